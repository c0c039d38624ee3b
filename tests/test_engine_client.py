"""coopkg.query.engine_client against a real `oxigraph serve`, and against an HTTP/1.0 engine
that closes after every answer: connections are kept alive and reused, a connection the engine
closed while idle is replaced without the caller seeing it, an answer over the cap is cut and its
connection dropped, an engine that is down is EngineUnreachable, and cancellation leaves nothing
half-read in the pool."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, quote_plus

import pytest
from conftest import free_port, handler_server
from coopkg.query.engine_client import EngineClient, EngineUnreachable
from engines import oxigraph_server

SRX = "application/sparql-results+xml"
_VALUES = " ".join(map(str, range(300)))
# Many seconds of counting, even on an empty store: 300^4 rows.
_BURN = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(f"VALUES ?v{i} {{ {_VALUES} }}" for i in range(4))
    + " }"
)


def _form(query: str) -> bytes:
    return b"query=" + quote_plus(query).encode()


def _ask(n: int) -> bytes:
    return _form(f"ASK {{ FILTER({n} = {n}) }}")


def test_connections_are_kept_alive_and_replaced_when_the_engine_closed_them(
    tmp_path: Path,
) -> None:
    port = free_port()

    async def queries(client: EngineClient) -> None:
        for n in range(20):
            answer = await client.post_form(_ask(n), SRX, 1 << 20)
            assert answer.status == 200 and b"<boolean>true</boolean>" in answer.body
            assert answer.headers["content-type"].startswith(SRX) and not answer.cut

    async def scenario() -> None:
        client = EngineClient(f"http://127.0.0.1:{port}/query", max_connections=4)
        with oxigraph_server(tmp_path / "a", port=port):
            await queries(client)
            assert client.opened == 1  # twenty queries, one connection
        # The engine restarted: the idle connection is dead; the next query opens a new one.
        with oxigraph_server(tmp_path / "b", port=port):
            await queries(client)
            assert client.opened == 2
        with pytest.raises(EngineUnreachable):  # and down: no stale retry hides it
            await client.post_form(_ask(0), SRX, 1 << 20)
        await client.close()

    asyncio.run(scenario())


def test_an_error_the_engine_sent_on_an_idle_connection_is_not_an_answer(tmp_path: Path) -> None:
    """Oxigraph server with --timeout-s answers an idle keep-alive connection with `500 Resource
    temporarily unavailable (os error 11)` when its read times out, then closes it: that must
    not be read as the answer to the next query sent on it."""

    async def scenario(url: str) -> None:
        client = EngineClient(url, max_connections=2)
        assert (await client.post_form(_ask(1), SRX, 1 << 20)).status == 200
        await asyncio.sleep(1.6)  # past the engine's 1 s: its 500 arrives on the idle connection
        answer = await client.post_form(_ask(2), SRX, 1 << 20)
        assert answer.status == 200, answer.body
        assert client.opened == 2
        await client.close()

    with oxigraph_server(tmp_path, timeout_s=1) as engine:
        asyncio.run(scenario(engine.query_url))


def test_an_answer_over_the_cap_is_cut_and_its_connection_dropped(tmp_path: Path) -> None:
    async def scenario(url: str) -> None:
        client = EngineClient(url, max_connections=2)
        query = _form("SELECT ?n WHERE { VALUES ?n { " + " ".join(map(str, range(500))) + " } }")
        whole = await client.post_form(query, SRX, 1 << 20)
        assert not whole.cut and whole.body.count(b"<result>") == 500
        cut = await client.post_form(query, SRX, 1000)
        assert cut.cut and 1000 < len(cut.body) < len(whole.body)
        again = await client.post_form(query, SRX, 1 << 20)  # a fresh connection, whole again
        assert again.body == whole.body and client.opened == 2
        await client.close()

    with oxigraph_server(tmp_path) as engine:
        asyncio.run(scenario(engine.query_url))


def test_a_cancelled_request_leaves_no_connection_half_read(tmp_path: Path) -> None:
    async def scenario(url: str) -> None:
        client = EngineClient(url, max_connections=1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await client.post_form(_form(_BURN), SRX, 1 << 20)
        answer = await client.post_form(_ask(1), SRX, 1 << 20)  # not the burnt query's answer
        assert answer.status == 200 and b"<boolean>true</boolean>" in answer.body
        assert client.opened == 2
        await client.close()

    with oxigraph_server(tmp_path) as engine:
        asyncio.run(scenario(engine.query_url))


@contextmanager
def http10_engine() -> Iterator[str]:
    """An engine that speaks HTTP/1.0 and closes the connection after each answer, with no
    Content-Length: the body ends with the connection."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(form["query"][0].encode())

        def log_message(self, *_args: object) -> None:
            pass

    with handler_server(Handler) as url:
        yield f"{url}/sparql"


def test_an_engine_that_closes_after_each_answer() -> None:
    async def scenario(url: str) -> None:
        client = EngineClient(url, max_connections=2)
        for n in range(3):
            answer = await client.post_form(_form(f"echo {n}"), "text/plain", 1 << 20)
            assert (answer.status, answer.body) == (200, f"echo {n}".encode())
        assert client.opened == 3  # nothing kept: the engine said it closes
        await client.close()

    with http10_engine() as url:
        asyncio.run(scenario(url))
