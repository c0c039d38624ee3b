"""The HTTP rules every route shares: entity tags and conditional requests, CORS, errors as plain
text or RFC 9457 problem JSON (never a stack trace), the handler for the unexpected, and the small
raw-ASGI reply the hot routes use instead of Starlette's Response objects."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

__all__ = [
    "CACHE_CONTROL",
    "CACHE_HEADER",
    "COMMON_HEADERS",
    "CORS_HEADERS",
    "INTERNAL_ERROR",
    "MAX_AGE",
    "NO_STORE",
    "TRUNCATED_HEADER",
    "EntityTags",
    "Receive",
    "Refusal",
    "Reply",
    "RequestHeaders",
    "Scope",
    "Send",
    "error_reply",
    "etag_matches",
    "internal_error",
    "not_modified",
    "send_reply",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

log = logging.getLogger(__name__)

TRUNCATED_HEADER = "Coopkg-Result-Truncated"
CACHE_HEADER = "Coopkg-Cache"
MAX_AGE = 300  # seconds a client or cache may reuse an answer without revalidating (ETag)
INTERNAL_ERROR = "internal server error: the request could not be answered"

CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", f"ETag, {TRUNCATED_HEADER}, {CACHE_HEADER}".encode()),
]
COMMON_HEADERS = [*CORS_HEADERS, (b"vary", b"Accept"), (b"x-content-type-options", b"nosniff")]
CACHE_CONTROL = (b"cache-control", f"public, max-age={MAX_AGE}".encode())
NO_STORE = (b"cache-control", b"no-store")

_TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Refusal(Exception):
    """A protocol-level refusal, answered with `status` and `message`."""

    def __init__(self, status: int, message: str, headers: list | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


class Reply:
    """A whole answer: status, raw header pairs and body."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list, body: bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.body = body


async def send_reply(send: Send, reply: Reply, head: bool) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": reply.headers})
    await send({"type": "http.response.body", "body": b"" if head else reply.body})


class RequestHeaders:
    """The request headers the routes read, found in one pass. Repeated fields are one
    comma-separated list (RFC 9110, 5.3)."""

    __slots__ = ("accept", "content_type", "content_length", "if_none_match")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.accept: str | None = None
        self.content_type: str | None = None
        self.content_length: bytes | None = None
        self.if_none_match: bytes | None = None
        for name, value in raw:
            if name == b"accept":
                text = value.decode("latin-1")
                self.accept = text if self.accept is None else f"{self.accept}, {text}"
            elif name == b"content-type":
                self.content_type = value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = value
            elif name == b"if-none-match":
                self.if_none_match = (
                    value if self.if_none_match is None else self.if_none_match + b", " + value
                )


# -- Entity tags ---------------------------------------------------------------------------------


class EntityTags:
    """Weak ETags derived from the dataset's content hash, the server's result caps and what
    identifies the representation: a server restarted on the same files gives the same tags, and
    a changed dataset or cap changes every tag."""

    def __init__(self, dataset_etag: str, *salt: object) -> None:
        self._prefix = f'W/"{dataset_etag[:16]}-'.encode()
        self._salt = "\x1f".join([dataset_etag, *(str(s) for s in salt)])

    def tag(self, *parts: str) -> bytes:
        key = "\x1f".join((self._salt, *parts)).encode("utf-8", "surrogatepass")
        return self._prefix + hashlib.blake2b(key, digest_size=12).hexdigest().encode() + b'"'


def etag_matches(if_none_match: bytes | str | None, etag: bytes, star: bool = True) -> bool:
    """Weak comparison (RFC 9110, 13.1.2): `W/` is ignored on both sides. `*` matches any
    representation, when `star` says there is one."""
    if not if_none_match:
        return False
    if isinstance(if_none_match, str):
        if_none_match = if_none_match.encode("latin-1")
    if if_none_match.strip() == b"*":
        return star
    opaque = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == opaque for tag in if_none_match.split(b","))


def not_modified(etag: bytes, headers: list | None = None) -> Reply:
    return Reply(304, [(b"etag", etag), CACHE_CONTROL, *(headers or COMMON_HEADERS)])


# -- Errors --------------------------------------------------------------------------------------


def _wants_problem_json(accept: str | None) -> bool:
    return accept is not None and "application/problem+json" in accept.lower()


def error_reply(status: int, message: str, accept: str | None, extra: list | None = None) -> Reply:
    """A refusal or failure as plain text, or as problem JSON when the client names it."""
    if _wants_problem_json(accept):
        problem = {
            "type": "about:blank",
            "title": _TITLES.get(status, "Error"),
            "status": status,
            "detail": message,
        }
        body = json.dumps(problem, ensure_ascii=False).encode()
        content_type = b"application/problem+json"
    else:
        body = (message.rstrip("\n") + "\n").encode()
        content_type = b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        NO_STORE,
        *COMMON_HEADERS,
        *(extra or []),
    ]
    return Reply(status, headers, body)


async def internal_error(request: Request, exc: Exception) -> Response:
    """The application's handler for exceptions nothing else caught: a plain 500, no trace."""
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return PlainTextResponse(
        INTERNAL_ERROR + "\n",
        status_code=500,
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
    )
