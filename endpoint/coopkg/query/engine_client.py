"""A lean HTTP/1.1 client for an external engine's query endpoint: form POSTs over a pool of
keep-alive connections, each request sent in one write, the answer read within a byte cap.

Why not httpx (which `coopkg push` and the tests still use): on loopback, the engine's own work
for a point lookup is a few hundred microseconds, and httpx's per-request machinery (request and
header objects, cookies, anyio cancel scopes, an `import sniffio` attempt per lock, headers and
body in separate writes) cost more than that; h11, its pure-Python parser, alone costs about
0.1 ms an answer. Answers are parsed by httptools (llhttp, in C; uvicorn's parser, already a
dependency): sized or chunked bodies, and HTTP/1.0 engines whose body ends with the connection.
The request head is written here: every value in it comes from the settings or from
coopkg.query.remote's constants, and is checked once for line breaks. Figures: bench/README.md.

The engine is trusted no more than the client is: answers are read within `cap` bytes; a
connection is reused only after a whole, uncut answer, when the engine allows keep-alive, and
when nothing arrived on it while it was idle; one that fails before the first byte of its answer
had been kept idle and is retried once on a fresh connection (the engine may close idle
connections at any time, and queries are read-only, so a retry is safe); any other failure is
`EngineUnreachable`. Cancellation (the caller's timeout) closes the connection in use.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import SupportsIndex
from urllib.parse import unquote, urlsplit

import httptools

__all__ = ["EngineAnswer", "EngineClient", "EngineUnreachable"]

_READ_SIZE = 256 * 1024


class EngineUnreachable(Exception):
    """The engine could not be reached, or dropped the connection, or did not speak HTTP."""


@dataclass(frozen=True)
class EngineAnswer:
    """What the engine answered, read within the cap (`cut`: the cap stopped it). Header names
    are lower case; a repeated header's values are joined with ", "."""

    status: int
    headers: dict[str, str]
    body: bytes
    cut: bool


class _Reader(asyncio.StreamReader):
    """A stream reader that notices anything arriving while its connection is idle: an engine
    may answer an idle keep-alive connection with an error of its own before closing it
    (Oxigraph server sends `500 Resource temporarily unavailable` when its read times out), and
    that answer must not be taken for the next request's."""

    idle = False
    spoilt = False

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:
        self.spoilt = self.spoilt or self.idle
        super().feed_data(data)

    def feed_eof(self) -> None:
        self.spoilt = self.spoilt or self.idle
        super().feed_eof()


class _Connection:
    def __init__(self, reader: _Reader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class _Stale(Exception):
    """A kept-alive connection failed before its answer began: the engine had closed it."""


class _Collector:
    """httptools' callbacks for one answer."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.headers: dict[str, str] = {}
        self.parts: list[bytes] = []
        self.size = 0
        self.cut = False
        self.framed = False  # Content-Length or chunked: else the body ends with the connection
        self.head_done = False
        self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None
        self.messages = 0
        self.complete = False

    def on_message_begin(self) -> None:
        self.messages += 1

    def on_header(self, name: bytes, value: bytes) -> None:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text
        if key == "content-length" or (key == "transfer-encoding" and "chunked" in text.lower()):
            self.framed = True

    def on_headers_complete(self) -> None:
        self.head_done = True
        # Only here: httptools forgets it once the message is complete.
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        if not self.cut:
            self.parts.append(body)
            self.size += len(body)
            self.cut = self.size > self.cap

    def on_message_complete(self) -> None:
        self.complete = True


class EngineClient:
    """Form POSTs to `url` over at most `max_connections` connections at once."""

    def __init__(self, url: str, *, max_connections: int, connect_timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self._host = parts.hostname
        self._tls = parts.scheme == "https"
        self._port = parts.port or (443 if self._tls else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]  # never the credentials
        head = f"POST {target} HTTP/1.1\r\nHost: {host}\r\n"
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
        if parts.username is not None:  # credentials in the URL: Basic, as httpx would send them
            user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            head += f"Authorization: Basic {base64.b64encode(user.encode()).decode()}\r\n"
        if any(c in target + host for c in " \r\n\t"):
            raise ValueError(f"the URL has white space in it: {url!r}")
        self._head = head.encode()
        self._accept: dict[str, bytes] = {}
        self._connect_timeout = connect_timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self.opened = 0  # connections opened so far (tests and benchmarks read it)

    async def post_form(self, body: bytes, accept: str, cap: int) -> EngineAnswer:
        """POST `body` (already form-encoded) and read the answer within `cap` bytes."""
        async with self._slots:
            while self._idle:
                connection = self._idle.pop()
                connection.reader.idle = False
                if connection.reader.spoilt:  # the engine wrote or closed while it was idle
                    connection.close()
                    continue
                try:
                    return await self._exchange(connection, body, accept, cap, reused=True)
                except _Stale:
                    continue
            return await self._exchange(await self._connect(), body, accept, cap, reused=False)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def _connect(self) -> _Connection:
        context = ssl.create_default_context() if self._tls else None
        try:
            async with asyncio.timeout(self._connect_timeout):
                loop = asyncio.get_running_loop()
                reader = _Reader(limit=_READ_SIZE, loop=loop)
                transport, protocol = await loop.create_connection(
                    lambda: asyncio.StreamReaderProtocol(reader, loop=loop),
                    self._host,
                    self._port,
                    ssl=context,
                )
        except (OSError, TimeoutError) as exc:
            raise EngineUnreachable(f"cannot connect ({type(exc).__name__})") from None
        self.opened += 1
        return _Connection(reader, asyncio.StreamWriter(transport, protocol, reader, loop))

    def _request(self, body: bytes, accept: str) -> bytes:
        line = self._accept.get(accept)
        if line is None:
            if "\r" in accept or "\n" in accept:
                raise ValueError(f"a line break in an Accept value: {accept!r}")
            line = self._accept[accept] = f"Accept: {accept}\r\n".encode("latin-1")
        return b"%s%sContent-Length: %d\r\n\r\n%s" % (self._head, line, len(body), body)

    async def _exchange(
        self, connection: _Connection, body: bytes, accept: str, cap: int, *, reused: bool
    ) -> EngineAnswer:
        keep = False
        answered = False  # a byte of the answer arrived: no retry past this point
        collector = _Collector(cap)
        parser = collector.parser = httptools.HttpResponseParser(collector)
        try:
            connection.writer.write(self._request(body, accept))  # one write: one segment
            await connection.writer.drain()
            while not collector.complete and not collector.cut:
                data = await connection.reader.read(_READ_SIZE)
                if not data:
                    if collector.head_done and not collector.framed:
                        break  # HTTP/1.0 style: the body ended with the connection
                    raise ConnectionResetError("the engine closed the connection mid-answer")
                answered = True
                parser.feed_data(data)
            if collector.messages != 1:
                raise httptools.HttpParserError("more than one answer to one request")
            keep = collector.complete and collector.framed and collector.keep_alive
            return EngineAnswer(
                parser.get_status_code(),
                collector.headers,
                b"".join(collector.parts),
                collector.cut,
            )
        except (OSError, httptools.HttpParserError) as exc:
            if reused and not answered:
                raise _Stale from None
            raise EngineUnreachable(f"the connection failed ({type(exc).__name__})") from None
        finally:
            if keep and not collector.cut:
                connection.reader.idle = True
                self._idle.append(connection)
            else:
                connection.close()
