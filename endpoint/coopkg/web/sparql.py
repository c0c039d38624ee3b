"""The SPARQL 1.1 Protocol on `/sparql` (https://www.w3.org/TR/sparql11-protocol/).

One raw ASGI endpoint, not a FastAPI path operation: the request path is the hot path of the
server, and FastAPI's routing, parameter and dependency machinery would cost more than everything
else done here on a cached answer (bench/README.md). `create_app` installs `SparqlFastPath`, a
middleware that answers `/sparql` and `/sparql/` before routing.

Requests
- `GET|HEAD /sparql?query=…`, `POST` form (`application/x-www-form-urlencoded`, `query=` in the
  body, other parameters in the body or the URL), `POST` direct (`application/sparql-query`, the
  query is the body, parameters in the URL). Bodies and parameters are UTF-8, decoded strictly.
- `default-graph-uri`, `named-graph-uri` (repeatable): graphs of the store; they replace the
  query's FROM / FROM NAMED. Nothing is ever fetched.
- `format=json|xml|csv|tsv|turtle|nt|json-ld|rdf-xml|nquads|trig` (or a media type) overrides the
  Accept header, for links typed into a browser.
- Without a query, `GET`/`HEAD` answer the service description (coopkg.web.description) by
  content negotiation, or the query editor page (coopkg.web.editor) when the Accept header
  prefers HTML.

Answers
- 200 with the negotiated format; `Vary: Accept`; `ETag` (weak: derived from the dataset's content
  hash, the request's query, dataset parameters, Accept and `format`, and the row cap) and
  `Cache-Control: public, max-age=300`. `If-None-Match` with a matching tag answers 304 before any
  work is done.
- `Coopkg-Result-Truncated: rows=<n>; max-rows=<cap>; max-bytes=<cap>` when the result was cut at
  the row or byte cap: never a silent cut. `Coopkg-Cache: hit|miss` says whether the answer came
  from the result cache (coopkg.query.cache).
- Errors are plain text (or RFC 9457 problem JSON when the Accept header names
  `application/problem+json`), never a stack trace: 400 syntax error (the parser's message and
  position), repeated or missing `query`, invalid UTF-8, invalid graph IRI, SERVICE, nesting too
  deep; 403 any SPARQL Update (`application/sparql-update`, `update=` in a form or URL, update text
  in `query=`); 405 other methods (with `Allow`); 406 nothing acceptable; 413 body over
  `max_body_bytes` (read incrementally, never buffered past the cap); 414 request target over
  `max_url_bytes`; 415 POST without a supported content type or with a charset other than UTF-8;
  503 timeout or all workers busy.
- CORS: `Access-Control-Allow-Origin: *` on every answer, never credentials, never the Origin
  echoed; `OPTIONS` is the preflight (204).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from ..errors import UPDATE_REFUSAL, Overloaded, SparqlError, UpdateForbidden
from ..formats import parse_accept
from ..query import QueryJob, QueryOutcome
from .description import description_reply
from .editor import editor_page
from .http import (
    CACHE_CONTROL,
    COMMON_HEADERS,
    CORS_HEADERS,
    INTERNAL_ERROR,
    Receive,
    Refusal,
    Reply,
    RequestHeaders,
    Scope,
    Send,
    error_reply,
    etag_matches,
    not_modified,
    send_reply,
)
from .params import (
    check_charset,
    content_type_parts,
    decode_utf8,
    format_names,
    graph_iris,
    parse_params,
    parse_query_string,
    read_body,
    single,
)
from .state import AppState

__all__ = ["ENDPOINT_PATHS", "SparqlEndpoint", "SparqlFastPath", "job_etag", "outcome_reply"]

log = logging.getLogger(__name__)

ENDPOINT_PATHS = ("/sparql", "/sparql/")
ALLOW = "GET, HEAD, POST, OPTIONS"

_FORM = "application/x-www-form-urlencoded"
_QUERY = "application/sparql-query"
_UPDATE = "application/sparql-update"

_PREFLIGHT = [
    *CORS_HEADERS,
    (b"access-control-allow-methods", ALLOW.encode()),
    (b"access-control-allow-headers", b"Accept, Content-Type, If-None-Match"),
    (b"access-control-max-age", b"86400"),
    (b"allow", ALLOW.encode()),
]
_RETRY_LATER = [(b"retry-after", b"2")]  # all workers busy: a short wait is worth it
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")


# -- The endpoint ------------------------------------------------------------------------------


class SparqlEndpoint:
    """The ASGI application behind `/sparql`; its state is the application's (`AppState`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        accept = None
        reply: Reply | Response
        try:
            headers = RequestHeaders(scope["headers"])
            accept = headers.accept
            reply = await self._dispatch(scope, receive, method, headers)
        except Refusal as exc:
            reply = error_reply(exc.status, exc.message, accept, exc.headers)
        except SparqlError as exc:
            if exc.status >= 500:
                log.warning("%s answering a query: %s", type(exc).__name__, exc.message)
            extra = _RETRY_LATER if isinstance(exc, Overloaded) else None
            reply = error_reply(exc.status, exc.message, accept, extra)
        except Exception:
            log.exception("unexpected error answering %s %s", method, scope.get("path"))
            reply = error_reply(500, INTERNAL_ERROR, accept)
        if isinstance(reply, Response):  # the query editor page
            await reply(scope, receive, send)
            return
        await send_reply(send, reply, head=method == "HEAD")

    async def _dispatch(
        self, scope: Scope, receive: Receive, method: str, headers: RequestHeaders
    ) -> Reply | Response:
        state: AppState = scope["app"].state.coopkg
        settings = state.settings
        query_string: bytes = scope["query_string"]
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(query_string) + 1
        if target > settings.max_url_bytes:
            raise Refusal(
                414,
                f"request target over the {settings.max_url_bytes} byte limit; "
                "send long queries by POST",
            )
        if method in ("GET", "HEAD"):
            params = parse_query_string(query_string)
            _refuse_updates(params)
            query = single(params, "query")
            if query is None:
                return await self._describe(scope, receive, state, params, headers)
            return await self._query(state, query, params, headers)
        if method == "POST":
            return await self._post(receive, state, query_string, headers)
        if method == "OPTIONS":
            return Reply(204, list(_PREFLIGHT))
        raise Refusal(
            405,
            f"method {method} is not allowed on this endpoint; use {ALLOW}",
            [(b"allow", ALLOW.encode())],
        )

    async def _post(
        self, receive: Receive, state: AppState, query_string: bytes, headers: RequestHeaders
    ) -> Reply:
        if headers.content_type is None:
            raise Refusal(415, f"POST needs a Content-Type: {_FORM} or {_QUERY}")
        media, charset = content_type_parts(headers.content_type)
        if media == _UPDATE:
            raise UpdateForbidden(UPDATE_REFUSAL)
        if media not in (_FORM, _QUERY):
            raise Refusal(
                415, f"unsupported Content-Type {media or '(empty)'}; use {_FORM} or {_QUERY}"
            )
        check_charset(media, charset)
        params = list(parse_query_string(query_string))
        body = await read_body(receive, state.settings.max_body_bytes, headers.content_length)
        if media == _FORM:
            params += parse_params(body, "form body")
        _refuse_updates(params)
        if media == _FORM:
            query = single(params, "query")
            if query is None:
                raise Refusal(400, "missing 'query' parameter in the form body")
        else:
            if any(k == "query" for k, _ in params):
                raise Refusal(
                    400, f"a {_QUERY} POST carries the query as its body, not as a parameter"
                )
            query = decode_utf8(body, "request body")
        return await self._query(state, query, params, headers)

    async def _query(
        self,
        state: AppState,
        query: str,
        params: Sequence[tuple[str, str]],
        headers: RequestHeaders,
    ) -> Reply:
        if not query.strip():
            raise Refusal(400, "the query is empty")
        job = QueryJob(
            query,
            headers.accept,
            format_names(params),
            graph_iris(params, "default-graph-uri"),
            graph_iris(params, "named-graph-uri"),
        )
        etag = job_etag(state, job)
        # A tag the client holds came from a 200 for this very request: answer before any work.
        # `*` only matches once we know there is a representation (not a 403 or 400).
        if etag_matches(headers.if_none_match, etag, star=False):
            return not_modified(etag)
        outcome = state.runner.cached(job)
        hit = outcome is not None
        if outcome is None:
            outcome, hit = await state.runner.answer(job)
        if etag_matches(headers.if_none_match, etag):
            return not_modified(etag)
        return outcome_reply(state, etag, outcome, hit)

    async def _describe(
        self,
        scope: Scope,
        receive: Receive,
        state: AppState,
        params: Sequence[tuple[str, str]],
        headers: RequestHeaders,
    ) -> Reply | Response:
        format_name = format_names(params)
        if format_name is None and _prefers_html(headers.accept):
            response = editor_page(Request(scope, receive))
            response.headers["Vary"] = "Accept"
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
            return response
        url = _endpoint_url(scope, state)
        return await description_reply(
            state, url, headers.accept, format_name, headers.if_none_match
        )


def job_etag(state: AppState, job: QueryJob) -> bytes:
    """The ETag of the answer to `job`: what identifies the representation (module docstring)."""
    return state.tags.tag(
        job.query,
        job.accept or "",
        job.format_name or "",
        "\x1e".join(job.default_graph_uris),
        "\x1e".join(job.named_graph_uris),
    )


def outcome_reply(state: AppState, etag: bytes, outcome: QueryOutcome, hit: bool) -> Reply:
    """The 200 for a query's outcome (`hit`: it came from the result cache)."""
    reply_headers = [
        (b"content-type", outcome.content_type.encode()),
        (b"content-length", str(len(outcome.body)).encode()),
        (b"etag", etag),
        CACHE_CONTROL,
        *COMMON_HEADERS,
        (b"coopkg-cache", b"hit" if hit else b"miss"),
    ]
    if outcome.truncated:
        settings = state.settings
        value = (
            f"rows={outcome.rows}; max-rows={settings.max_result_rows}; "
            f"max-bytes={settings.max_result_bytes}"
        )
        reply_headers.append((b"coopkg-result-truncated", value.encode()))
    return Reply(200, reply_headers, outcome.body)


def _refuse_updates(params: Sequence[tuple[str, str]]) -> None:
    """`update=` anywhere (URL or form body) is SPARQL Update: 403 before anything else."""
    if any(k == "update" for k, _ in params):
        raise UpdateForbidden(UPDATE_REFUSAL)


def _prefers_html(accept: str | None) -> bool:
    """True when the client's first choice is explicitly HTML (a browser), not a wildcard."""
    if not accept:
        return False
    for media, q in parse_accept(accept):
        if q <= 0:
            continue
        return media in ("text/html", "application/xhtml+xml")
    return False


def _endpoint_url(scope: Scope, state: AppState) -> str:
    """The URL the client used to reach the endpoint (host from the Host header when it is a plain
    host name, else the server's own address)."""
    scheme = scope.get("scheme", "http")
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host or not _HOST.match(host):
        server = scope.get("server") or (state.settings.host, state.settings.port)
        host = f"{server[0]}:{server[1]}"
    path = scope.get("root_path", "") + scope["path"]
    url = f"{scheme}://{host}{path}"
    try:
        ox.NamedNode(url)
    except ValueError:
        url = f"{scheme}://{state.settings.host}:{state.settings.port}/sparql"
    return url


class SparqlFastPath:
    """ASGI middleware that hands `/sparql` requests straight to the endpoint, past FastAPI's
    router, exception middleware and per-request telemetry check (bench/README.md has what that
    saves)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.endpoint = SparqlEndpoint()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            root = scope.get("root_path")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path in ENDPOINT_PATHS:
                await self.endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)
