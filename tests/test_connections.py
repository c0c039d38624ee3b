"""HTTP/1.1 edge cases against the real server (`coopkg serve`), over raw sockets where httpx would
not send the request: over-long targets, slow clients, keep-alive, pipelining, HEAD,
`Expect: 100-continue`, and a client that leaves in the middle of an answer
(coopkg.connection)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from conftest import running_server

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
SLACK = 1.5  # seconds of scheduling slack on a loaded 2-core machine
ASK = "ASK { ?s ?p ?o }"
ASK_TARGET = "/sparql?query=" + quote(ASK)
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The shipped graph with short read deadlines; the server's log, to look for crashes."""
    log = tmp_path_factory.mktemp("connections") / "server.log"
    env = {"COOPKG_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "COOPKG_BODY_TIMEOUT": str(BODY_TIMEOUT)}
    with running_server(env=env, log=log) as base:
        yield base, log


def connect(base: str, timeout: float = 10.0) -> socket.socket:
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request(target: str, method: str = "GET", headers: str = "", body: bytes = b"") -> bytes:
    accept = JSON if target.startswith("/sparql") else "text/turtle"
    head = f"{method} {target} HTTP/1.1\r\nHost: test\r\nAccept: {accept}\r\n{headers}\r\n"
    return head.encode() + body


class Reader:
    """Reads HTTP/1.1 answers off a socket, one at a time (Content-Length framed)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def answer(self, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise EOFError(f"connection closed; got {self.buffer[:200]!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = dict(line.split(": ", 1) for line in lines[1:])
        fields = {k.lower(): v for k, v in fields.items()}
        length = 0 if head_only or status in (100, 304) else int(fields["content-length"])
        while len(self.buffer) < length:
            if not self._fill():
                raise EOFError("connection closed in a body")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, fields, body

    def closed(self) -> bool:
        """True when the server closed (EOF or reset) with nothing more to read."""
        try:
            return not self.buffer and not self._fill()
        except ConnectionResetError:
            return True


def healthy(base: str) -> None:
    started = time.monotonic()
    answer = httpx.get(f"{base}/sparql", params={"query": ASK}, headers={"Accept": JSON})
    assert answer.status_code == 200 and answer.json()["boolean"] is True
    assert time.monotonic() - started < SLACK


def no_crash_logged(log: Path) -> None:
    text = log.read_text()
    assert "Traceback" not in text and "ERROR" not in text, text[-3000:]


# -- 1. Request targets over the limit -----------------------------------------------------------


@pytest.mark.parametrize("size", [9_000, 70_000, 200_000, 1_000_000])
@pytest.mark.parametrize("path", ["/sparql?query=", "/id/organisation/ica?x="])
def test_a_target_over_the_limit_is_414_at_every_size(
    served: tuple[str, Path], path: str, size: int
) -> None:
    """uvicorn's httptools answered 400 past 65,535 bytes (parse_url's limit): now 414 always."""
    base, log = served
    with connect(base) as sock:
        sender = threading.Thread(target=_send_quietly, args=(sock, request(path + "a" * size)))
        sender.start()
        status, fields, body = Reader(sock).answer()
        sender.join()
    assert status == 414, body
    assert fields["connection"] == "close"
    assert b"byte limit" in body
    healthy(base)
    no_crash_logged(log)


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:  # the server answered and stopped reading: that is the point
        pass


def test_a_head_over_the_limit_is_431(served: tuple[str, Path]) -> None:
    base, _ = served
    headers = "".join(f"X-Filler-{i}: {'b' * 1000}\r\n" for i in range(100))
    with connect(base) as sock:
        _send_quietly(sock, request(ASK_TARGET, headers=headers))
        status, _, _ = Reader(sock).answer()
    assert status == 431
    healthy(base)


# -- 2. Slow clients -------------------------------------------------------------------------------


def _trickle(sock: socket.socket, data: bytes, stop: threading.Event) -> None:
    for byte in data:
        if stop.is_set():
            return
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return
        stop.wait(1.0)


def _closed_within(sock: socket.socket, started: float) -> tuple[float, bytes]:
    """Seconds from `started` until the server closed `sock`, and what it said before."""
    sock.settimeout(HEADER_TIMEOUT + BODY_TIMEOUT + 10)
    said = b""
    try:
        while chunk := sock.recv(4096):
            said += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return time.monotonic() - started, said


@pytest.mark.parametrize("kind", ["head", "body"])
def test_trickling_clients_hold_nothing_and_are_closed_in_time(
    served: tuple[str, Path], kind: str
) -> None:
    """Ten clients sending one byte a second (of a head, or of a POST body): a normal request
    is answered at once, and each trickler gets 408 within the documented deadline."""
    base, log = served
    if kind == "head":
        data, deadline = request(ASK_TARGET), HEADER_TIMEOUT
    else:
        body = ("query=" + quote(ASK)).encode()
        head = request(
            "/sparql",
            "POST",
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n",
        )
        data, deadline = body, BODY_TIMEOUT
    stop = threading.Event()
    socks = [connect(base) for _ in range(10)]
    started = time.monotonic()
    threads = []
    for sock in socks:
        if kind == "body":
            sock.sendall(head)
        thread = threading.Thread(target=_trickle, args=(sock, data, stop))
        thread.start()
        threads.append(thread)
    try:
        time.sleep(0.5)
        healthy(base)
        for sock in socks:
            took, said = _closed_within(sock, started)
            assert said.startswith(b"HTTP/1.1 408 "), said
            assert took < deadline + SLACK, took
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for sock in socks:
            sock.close()
    healthy(base)
    no_crash_logged(log)


def test_an_idle_connection_is_closed_after_the_header_timeout(served: tuple[str, Path]) -> None:
    base, _ = served
    with connect(base) as sock:
        took, said = _closed_within(sock, time.monotonic())
    assert said == b""
    assert took < HEADER_TIMEOUT + SLACK


# -- 3. Keep-alive, pipelining, HEAD, Expect, leaving mid-answer ---------------------------------


def test_keep_alive_answers_several_requests_on_one_connection(served: tuple[str, Path]) -> None:
    base, _ = served
    with connect(base) as sock:
        reader = Reader(sock)
        for target in (ASK_TARGET, "/sparql?query=" + quote("ASK { ?s a ?o }"), ASK_TARGET):
            sock.sendall(request(target))
            status, fields, body = reader.answer()
            assert status == 200 and b'"boolean":true' in body.replace(b" ", b"")
            assert fields.get("connection") != "close"


def test_pipelined_requests_are_answered_in_order(served: tuple[str, Path]) -> None:
    base, _ = served
    first = "/sparql?query=" + quote("SELECT (1 AS ?n) {}")
    second = "/sparql?query=" + quote("SELECT (2 AS ?n) {}")
    with connect(base) as sock:
        sock.sendall(request(first) + request(second) + request("/id/organisation/ica", "HEAD"))
        reader = Reader(sock)
        one, two = reader.answer(), reader.answer()
        three = reader.answer(head_only=True)
    assert (one[0], two[0], three[0]) == (200, 200, 200)
    assert b'"1"' in one[2] and b'"2"' in two[2]


def test_head_has_no_body_and_the_get_content_length(served: tuple[str, Path]) -> None:
    base, _ = served
    for target in (ASK_TARGET, "/id/organisation/ica"):
        with connect(base) as sock:
            reader = Reader(sock)
            sock.sendall(request(target))
            _, got, body = reader.answer()
            sock.sendall(request(target, "HEAD") + request(target))
            status, fields, _ = reader.answer(head_only=True)
            # the next answer starts right after the HEAD answer's head: no body came between
            again = reader.answer()
        assert got["content-type"] == fields["content-type"]
        assert status == 200 and int(fields["content-length"]) == len(body) > 0
        assert fields["etag"] == got["etag"] and again[2] == body


@pytest.mark.parametrize("wait_for_100", [True, False])
def test_expect_100_continue(served: tuple[str, Path], wait_for_100: bool) -> None:
    base, _ = served
    body = ("query=" + quote(ASK)).encode()
    head = request(
        "/sparql",
        "POST",
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n",
    )
    with connect(base) as sock:
        reader = Reader(sock)
        if wait_for_100:
            sock.sendall(head)
            assert reader.answer(head_only=True)[0] == 100
            sock.sendall(body)
        else:  # a client that does not wait for the 100 sends the body at once
            sock.sendall(head + body)
        status, _, answer = reader.answer()
        if status == 100:
            status, _, answer = reader.answer()
    assert status == 200 and b"true" in answer


def test_expect_100_continue_with_a_body_over_the_limit_is_413_without_100(
    served: tuple[str, Path],
) -> None:
    base, _ = served
    head = request(
        "/sparql",
        "POST",
        "Content-Type: application/sparql-query\r\n"
        f"Content-Length: {10 * 1024 * 1024}\r\nExpect: 100-continue\r\n",
    )
    with connect(base) as sock:
        sock.sendall(head)
        status, _, _ = Reader(sock).answer()
    assert status == 413


def test_a_client_leaving_mid_answer_harms_nothing(served: tuple[str, Path]) -> None:
    """Big answers, each abandoned after its first bytes: the server keeps answering and logs
    no crash."""
    base, log = served
    for i in range(10):
        # different queries (no cache hit): the pipelined ones are still running when it leaves
        big = [
            "/sparql?query=" + quote(f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {5000 + 3 * i + k}")
            for k in range(3)
        ]
        with connect(base) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"".join(request(target + "&format=xml") for target in big))
            assert sock.recv(1024).startswith(b"HTTP/1.1 200 ")
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        healthy(base)
    time.sleep(0.5)
    healthy(base)
    no_crash_logged(log)
