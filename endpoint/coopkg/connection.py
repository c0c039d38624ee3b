"""HTTP/1.1 connections: the limits and read deadlines uvicorn's httptools protocol lacks.

uvicorn (0.54, `uvicorn.protocols.http.httptools_impl`) arms one timer only, `timeout_keep_alive`,
after a response, and cancels it on the first byte that arrives: a connection that opens and sends
nothing, or trickles a request head or body a byte at a time, is held forever, and the head is
buffered without bound. Its `httptools.parse_url` refuses targets over 65,535 bytes (the parser's
16-bit offsets) with a bare `400 Invalid HTTP request`, before the application can answer 414.

`guarded_protocol(settings)` is uvicorn's protocol with, per request:
- the request target counted as it arrives: over `max_url_bytes`, 414 and the connection closed,
  whatever the size (the application's own 414 check stays for the paths it sees);
- the head (request line and headers) counted as it arrives: over `max_url_bytes +
  max_header_bytes`, 431 and closed;
- `header_timeout` seconds from a connection's opening, or from a request's first byte, to the end
  of its head: 408 (or, if nothing of a request arrived, a silent close);
- `body_timeout` seconds from the end of the head to the end of the body: 408 if no answer has
  started, else closed. Time the server itself holds the reads back (a pipelined request waiting
  for the one before it) does not count: the deadline is pushed back;
- a GET or HEAD the application answered before, identically, is answered from its prepared bytes
  (coopkg.answers) as soon as its head is parsed, when nothing is queued before it on the
  connection: no ASGI scope, task or routing. So is one the application can answer without an
  await (`PreparedAnswers.immediate`: a point lookup or a document, coopkg.web.immediate); an
  answer just evaluated or rendered becomes a prepared answer at its first repeat, not at once
  (most uncached requests never come again: keeping each at once cost about a quarter of an
  uncached lookup's CPU, bench/README.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any

import httptools
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from .answers import SCOPE_KEY, PreparedAnswers, answer_key
from .config import Settings

__all__ = ["guarded_protocol"]

_LINGER = 2.0  # seconds a refused connection is drained before it is closed
# Seconds between two looks at a connection's deadline. A request only writes its deadline down;
# one timer per busy connection looks at it, instead of two timers made and cancelled per request
# on the hot path. A deadline is noticed at most this late.
_TICK = 0.5
_REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounded heads and read deadlines (module docstring)."""

    max_url_bytes = 8 * 1024
    max_head_bytes = 72 * 1024
    header_timeout = 10.0
    body_timeout = 30.0
    answers: PreparedAnswers | None = None  # replayed before any ASGI work (coopkg.answers)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None  # the connection's one timer
        self._due: float | None = None  # when the current phase must have ended
        self._in_head = True  # reading a request head (or waiting for one)
        self._started = False  # a byte of the current request arrived
        self._head_bytes = 0
        self._url_bytes = 0
        self._header_bytes = 0
        self._refused: _Refused | None = None
        self._discarding = False  # answered and closing: what arrives is dropped
        self._running: RequestResponseCycle | None = None  # the request being answered
        self._replayed = False  # the current request was answered from `answers`
        self._defaults: tuple[object, bytes] = (None, b"")  # uvicorn's Date/Server, written

    # -- deadlines ---------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._due = self.loop.time() + seconds
        if self._deadline is None:
            self._deadline = self.loop.call_later(min(_TICK, seconds), self._tick)

    def _disarm(self) -> None:
        self._due = None  # the timer stops at its next tick

    def _stop_timer(self) -> None:
        self._due = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _tick(self) -> None:
        self._deadline = None
        if self._due is None:
            return
        left = self._due - self.loop.time()
        if left > 0:
            self._deadline = self.loop.call_later(min(_TICK, left), self._tick)
            return
        self._due = None
        self._expired()

    def _expired(self) -> None:
        if self.transport.is_closing() or self._discarding:
            return
        if self.flow.read_paused or self.pipeline:  # the server holds the reads, not the client
            self._arm(self.header_timeout if self._in_head else self.body_timeout)
            return
        if self._in_head:
            if self._started:
                self._refuse(408, "the request head was not received in time")
            else:
                self.transport.close()
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            self._refuse(408, "the request body was not received in time")
        else:
            self.transport.close()

    # -- refusing ----------------------------------------------------------------------------

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` and close, whatever the application is doing with this request."""
        self._stop_timer()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the application's receive() now says http.disconnect
            cycle.keep_alive = False
            cycle.message_event.set()
        body = (message + "\n").encode()
        head = [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            *(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers),
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"access-control-allow-origin: *\r\n",
            b"cache-control: no-store\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        # Closing with unread bytes in the socket would reset the connection, and the client could
        # lose the answer before reading it: stop writing, drop what still comes, close shortly.
        self._discarding = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER, self.transport.close)

    # -- uvicorn's protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        # uvicorn marks only the last request parsed (`self.cycle`) as disconnected: with
        # pipelining, the one being answered then writes to a closed transport (a logged
        # RuntimeError). Every request of the connection is told.
        for cycle in (self._running, *(queued for queued, _ in self.pipeline)):
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True
                cycle.message_event.set()
        super().connection_lost(exc)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        self._running = cycle
        super()._start_asgi_task(cycle, app)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with the head counted and a refusal raised by a parser callback answered
        as itself rather than as uvicorn's logged 400."""
        if self._discarding:
            return
        if self._in_head:
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refused is not None:
                self._refuse(self._refused.status, self._refused.message)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        if self._in_head and self._head_bytes > self.max_head_bytes:
            self._refuse(431, f"the request head is over {self.max_head_bytes} bytes")

    def on_message_begin(self) -> None:
        # A replayed answer may have armed the keep-alive timer while this request was already
        # in the buffer.
        self._unset_keepalive_if_required()
        super().on_message_begin()
        self._in_head = True
        self._started = True
        self._url_bytes = 0
        self._header_bytes = 0
        self._refused = None
        self._arm(self.header_timeout)

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.max_url_bytes:
            self._refused = _Refused(
                414,
                f"request target over the {self.max_url_bytes} byte limit; "
                "send long queries by POST",
            )
            raise self._refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self.max_head_bytes - self.max_url_bytes:
            self._refused = _Refused(431, f"the request head is over {self.max_head_bytes} bytes")
            raise self._refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        if self.answers is not None and self._replay():
            return
        self._arm(self.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._replayed:
            # Answered already; an idle connection is closed after the keep-alive time, by the
            # one deadline timer (a quiet head deadline closes silently).
            self._replayed = False
            self._arm(self.timeout_keep_alive)
        else:
            super().on_message_complete()
            self._disarm()
        self._in_head = True
        self._started = False

    # -- prepared answers --------------------------------------------------------------------

    def _replay(self) -> bool:
        """Answer a GET or HEAD from the prepared answers when one is kept for it, or else with
        the application's immediate answer, when nothing is queued before it; else leave the key
        in the scope for the recorder. True if answered."""
        answers = self.answers
        assert answers is not None
        method = self.parser.get_method()
        if method not in (b"GET", b"HEAD"):
            return False
        keeping = answers.enabled
        if not keeping and answers.immediate is None:
            return False
        for name, _ in self.headers:
            if name in (b"content-length", b"transfer-encoding"):
                return False  # a body follows: left to the application
        key = answer_key(method, self.url, self.headers) if keeping else None
        cycle = self.cycle
        if (
            self.pipeline
            or (cycle is not None and not cycle.response_complete)
            or self.expect_100_continue
            or self.flow.write_paused
            or self.parser.get_http_version() != "1.1"
            or not self.parser.should_keep_alive()
            or self.parser.should_upgrade()
        ):
            if keeping:
                self.scope[SCOPE_KEY] = key  # type: ignore[literal-required]
            return False
        kept = answers.get(key) if keeping else None
        if kept is None:
            kept = self._immediate(method, key)
        if kept is None:
            if keeping:
                self.scope[SCOPE_KEY] = key  # type: ignore[literal-required]
            return False
        status, block, body = kept
        defaults = self.server_state.default_headers
        if self._defaults[0] is not defaults:  # uvicorn renews the Date once a second
            lines = b"".join(name + b": " + value + b"\r\n" for name, value in defaults)
            self._defaults = (defaults, lines)
        self.transport.write(
            b"".join(
                (
                    STATUS_LINE[status],
                    self._defaults[1],
                    block,
                    b"\r\n",
                    b"" if method == b"HEAD" else body,
                )
            )
        )
        self.server_state.total_requests += 1
        self._replayed = True
        return True

    def _immediate(self, method: bytes, key: Hashable | None) -> tuple[int, bytes, bytes] | None:
        """The application's immediate answer (coopkg.web.immediate) as (status, header lines,
        body), kept for replay as the recorder would keep it when it is worth keeping; None when
        it has none."""
        answers = self.answers
        assert answers is not None
        immediate = answers.immediate
        if immediate is None or self.root_path:
            return None  # under a root path the endpoint's path is not ours to match
        try:
            url = httptools.parse_url(self.url)
            made = immediate(url.path, url.query or b"", self.headers, self.scheme or "http")
        except Exception:  # whatever went wrong, the usual path answers (and says so)
            return None
        if made is None:
            return None
        status, headers, body, keep = made
        if key is not None and keep:
            kept = b"" if method == b"HEAD" else body  # as the recorder keeps a HEAD's
            answers.put(key, answers.generation, status, headers, kept)
        # As uvicorn writes an application's header fields.
        block = b"".join(name.lower() + b": " + value + b"\r\n" for name, value in headers)
        return status, block, body


def guarded_protocol(
    settings: Settings, answers: PreparedAnswers | None = None
) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for uvicorn's `http=`, with the limits of `settings`, replaying the
    prepared `answers` the application records."""
    return type(
        "CoopkgHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "max_url_bytes": settings.max_url_bytes,
            "max_head_bytes": settings.max_url_bytes + settings.max_header_bytes,
            "header_timeout": settings.header_timeout,
            "body_timeout": settings.body_timeout,
            "answers": answers,
        },
    )
