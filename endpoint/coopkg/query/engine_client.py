"""A lean HTTP/1.1 client for an external engine's query endpoint: form POSTs over a pool of
keep-alive connections, each request sent in one write, the answer read within a byte cap.

Why not httpx (which `coopkg push` and the tests still use): on loopback, the engine's own work
for a point lookup is a few hundred microseconds, and httpx's per-request machinery (request and
header objects, cookies, anyio cancel scopes, an `import sniffio` attempt per lock, headers and
body in separate writes) cost more than that (bench/README.md has the figures). h11, the HTTP/1.1
state machine httpx itself uses, parses the answers here: chunked or sized bodies, HTTP/1.0
engines that close after each answer, keep-alive only when both sides allow it.

The engine is trusted no more than the client is: answers are read within `cap` bytes; a
connection is reused only after a whole, uncut answer; one that fails before the first byte of its
answer had been kept idle and is retried once on a fresh connection (the engine may close idle
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

import h11

__all__ = ["EngineAnswer", "EngineClient", "EngineUnreachable"]

_FORM = b"application/x-www-form-urlencoded"
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
        self.state = h11.Connection(h11.CLIENT)

    def close(self) -> None:
        self.writer.close()


class _Stale(Exception):
    """A kept-alive connection failed before its answer began: the engine had closed it."""


class EngineClient:
    """Form POSTs to `url` over at most `max_connections` connections at once."""

    def __init__(self, url: str, *, max_connections: int, connect_timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self._host = parts.hostname
        self._tls = parts.scheme == "https"
        self._port = parts.port or (443 if self._tls else 80)
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._host_header = parts.netloc.rpartition("@")[2].encode()  # never credentials in Host
        self._extra: list[tuple[bytes, bytes]] = []
        if parts.username is not None:  # credentials in the URL: Basic, as httpx would send them
            user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self._extra.append((b"Authorization", b"Basic " + base64.b64encode(user.encode())))
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

    async def _exchange(
        self, connection: _Connection, body: bytes, accept: str, cap: int, *, reused: bool
    ) -> EngineAnswer:
        state = connection.state
        keep = False
        answered = False  # a byte of the answer arrived: no retry past this point
        try:
            request = h11.Request(
                method="POST",
                target=self._target,
                headers=[
                    (b"Host", self._host_header),
                    (b"Accept", accept.encode("latin-1")),
                    (b"Content-Type", _FORM),
                    (b"Content-Length", b"%d" % len(body)),
                    *self._extra,
                ],
            )
            head = state.send(request) or b""
            rest = (state.send(h11.Data(data=body)) or b"") + (
                state.send(h11.EndOfMessage()) or b""
            )
            connection.writer.write(head + rest)  # one write: no wait for a second segment
            await connection.writer.drain()
            response: h11.Response | None = None
            parts: list[bytes] = []
            size = 0
            cut = False
            while True:
                event = state.next_event()
                if event is h11.NEED_DATA:
                    data = await connection.reader.read(_READ_SIZE)
                    answered = answered or bool(data)
                    state.receive_data(data)
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    parts.append(bytes(event.data))
                    size += len(event.data)
                    if size > cap:
                        cut = True
                        break
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            if response is None:
                raise h11.RemoteProtocolError("no answer")
            keep = not cut and state.our_state is h11.DONE and state.their_state is h11.DONE
            return EngineAnswer(response.status_code, _headers(response), b"".join(parts), cut)
        except (OSError, h11.ProtocolError) as exc:
            if reused and not answered:
                raise _Stale from None
            raise EngineUnreachable(f"the connection failed ({type(exc).__name__})") from None
        finally:
            if keep:
                state.start_next_cycle()
                connection.reader.idle = True
                self._idle.append(connection)
            else:
                connection.close()


def _headers(response: h11.Response) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in response.headers:
        key, text = name.decode("latin-1"), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers
