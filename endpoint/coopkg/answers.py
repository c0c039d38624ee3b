"""Prepared answers: whole HTTP answers kept as bytes, replayed by the connection before any ASGI
work (no request object, no task, no routing).

The graph is read-only while a dataset version is served, so an answer the application marks as
reusable (status 200 or 304, an `ETag`, `Cache-Control: public`, no cookie, a `Content-Length`) is
a function of the request alone. The key is the whole request as it arrived: method, target, and
every header field but `Connection` (Accept, Accept-Language, If-None-Match, Host, Origin...), so a
replayed answer is byte for byte the one the application would write again, whatever it reads.

- `coopkg.connection` computes the key from the parsed head and, for a GET or HEAD without a body
  that nothing is queued before, writes the prepared bytes and is done; otherwise it puts the key in
  the ASGI scope and lets the request run.
- `AnswerRecorder` (the outermost ASGI middleware) keeps what the application answered to a request
  carrying a key, when the answer is reusable.
- `immediate`, when the application sets it (coopkg.web.immediate), makes the answer to a request
  that has none kept yet but needs no await (a point lookup, a document): the connection writes it
  and keeps it here as the recorder would have, except an answer just evaluated or rendered: the
  result cache (or the documents kept) holds it, and its first repeat, answered from there, is
  kept here.
- `clear()` when a new dataset version is served: the generation changes, and an answer recorded
  for a request that started before is dropped.

Bounded by entries and bytes (LRU); `max_entries` 0 turns it off.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, MutableMapping
from typing import Any

__all__ = ["SCOPE_KEY", "AnswerRecorder", "Immediate", "PreparedAnswers", "answer_key"]

SCOPE_KEY = "coopkg.answer_key"  # where the connection leaves the key in the ASGI scope

# (raw path, query string, header fields, scheme) -> (status, header fields, body, worth keeping)
# or None.
Immediate = Callable[
    [bytes, bytes, list[tuple[bytes, bytes]], str],
    tuple[int, list[tuple[bytes, bytes]], bytes, bool] | None,
]

_ENTRY_OVERHEAD = 512  # bytes charged per entry on top of its key and answer
_SKIPPED_FIELDS = frozenset({b"connection"})  # hop-by-hop: says nothing about the answer


def answer_key(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> Hashable:
    """What a reusable answer may depend on: the request as it arrived (names lower-cased)."""
    return (method, target, tuple(h for h in headers if h[0] not in _SKIPPED_FIELDS))


class PreparedAnswers:
    """LRU of request key -> (status, header block, body), the header block written once."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        # An answer larger than this is not kept: dumps and big results would evict the many
        # small answers that are worth keeping.
        self.max_answer_bytes = max_bytes // 64
        self.generation = 0
        self.hits = 0
        # Set by the application once it is ready; works whether or not answers are kept.
        self.immediate: Immediate | None = None
        self._entries: OrderedDict[Hashable, tuple[int, bytes, bytes, int]] = OrderedDict()
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> tuple[int, bytes, bytes] | None:
        """(status, header lines, body) or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0], entry[1], entry[2]

    def put(
        self,
        key: Hashable,
        generation: int,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> bool:
        """Keep a reusable answer made in `generation`; False when it is not kept."""
        if generation != self.generation or not self.enabled or not _reusable(status, headers):
            return False
        lines = []
        for name, value in headers:
            if name.lower() == b"coopkg-cache":
                value = b"hit"  # replayed: from memory, whatever the first answer said
            lines.append(name + b": " + value + b"\r\n")
        block = b"".join(lines)
        size = len(block) + len(body) + _key_bytes(key) + _ENTRY_OVERHEAD
        if size > self.max_answer_bytes:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[3]
        self._entries[key] = (status, block, body, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, _, _, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped
        return True

    def clear(self) -> None:
        """A new dataset version: forget every answer, and refuse those still being made."""
        self.generation += 1
        self._entries.clear()
        self._bytes = 0


def _key_bytes(key: Hashable) -> int:
    """The bytes an `answer_key` holds (its method, target and header fields), or the length of
    any other key's repr. Writing an `answer_key`'s repr took a large part of `put`."""
    if type(key) is tuple and len(key) == 3 and type(key[2]) is tuple:
        method, target, fields = key
        return len(method) + len(target) + sum([len(n) + len(v) for n, v in fields])
    return len(repr(key))


def _reusable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    if status not in (200, 304):
        return False
    etag = public = length = False
    for name, value in headers:
        name = name.lower()
        if name == b"etag":
            etag = True
        elif name == b"cache-control":
            low = value.lower()
            public = b"public" in low and b"no-store" not in low and b"private" not in low
        elif name == b"content-length":
            length = True
        elif name in (b"set-cookie", b"connection", b"transfer-encoding") or (
            name == b"vary" and b"*" in value
        ):
            return False
    return etag and public and (length or status == 304)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class AnswerRecorder:
    """ASGI middleware: keeps the reusable answers to requests the connection gave a key."""

    def __init__(self, app: Any, answers: PreparedAnswers) -> None:
        self.app = app
        self.answers = answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope.get(SCOPE_KEY) if scope["type"] == "http" else None
        if key is None or not self.answers.enabled:
            await self.app(scope, receive, send)
            return
        answers = self.answers
        generation = answers.generation
        head = scope["method"] == "HEAD"
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def recording_send(message: Message) -> None:
            nonlocal status, headers, size, keep
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                keep = _reusable(status, headers)
            elif kind == "http.response.body" and keep:
                body = message.get("body", b"")
                if body and not head:
                    size += len(body)
                    if size > answers.max_answer_bytes:
                        keep = False
                        chunks.clear()
                    else:
                        chunks.append(body)
                if not message.get("more_body", False):
                    answers.put(key, generation, status, headers, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, recording_send)
