"""What a client gets when the engine behind `coopkg serve --sparql-backend` misbehaves, and that
the next query works each time: a timed-out query (Oxigraph's cut body, Virtuoso's partial
200), a result the engine capped, an engine stopped mid-run, an engine answering garbage. And
`coopkg push`: idempotent, never half-done on a bad file, followed by every replica."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from conftest import burn_query, free_port, handler_server, running_server
from coopkg.meta import META_QUERY
from engines import oxigraph_server, virtuoso_server

ASK = "ASK { ?s ?p ?o }"
ALL = "SELECT * WHERE { ?s ?p ?o }"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _get(base: str, query: str, accept: str = "application/sparql-results+json") -> httpx.Response:
    response = httpx.get(
        f"{base}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=60
    )
    assert b"Traceback" not in response.content
    return response


def _works(base: str) -> None:
    response = _get(base, f"{ASK} # {time.monotonic()}")
    assert response.status_code == 200 and response.json()["boolean"] is True


# -- Time-outs and caps ---------------------------------------------------------------------------


def test_oxigraph_timeout_is_504(tmp_path: Path) -> None:
    """A query past coopkg's timeout is 504, whatever the engine was doing; the next query works.
    (Oxigraph server's own --timeout-s is coarse: a COUNT runs well past it, a streaming result
    is cut only after gigabytes, so its cut body is reproduced byte for byte by the garbage
    engine below.)"""
    with oxigraph_server(tmp_path, timeout_s=2) as engine:
        assert engine.push().returncode == 0
        with running_server("--sparql-backend", engine.query_url, "--timeout", "1") as base:
            started = time.monotonic()
            burned = _get(base, burn_query(4))
            assert burned.status_code == 504, burned.text
            assert "1 s" in burned.text and time.monotonic() - started < 5
            assert burned.headers["cache-control"] == "no-store"
            _works(base)


def test_virtuoso_timeout_and_caps(tmp_path: Path) -> None:
    """Virtuoso's partial 200 at the timeout (X-SQL-State: S1TAT) is 504; a result cut at its
    ResultSetMaxRows (SELECT: X-SPARQL-MaxRows; CONSTRUCT: silently) is 502; never a short
    200, and the next query works."""
    with virtuoso_server(tmp_path) as engine:
        assert engine.push().returncode == 0
        args = ("--sparql-backend", engine.query_url, "--timeout", "1")
        with running_server(*args, env=engine.serve_env) as base:
            burned = _get(base, burn_query(4))
            assert burned.status_code == 504, burned.text
            assert "1 s" in burned.text and "incomplete" in burned.text
            _works(base)
            capped = _get(base, ALL)
            assert capped.status_code == 502, capped.text
            assert "1000 rows" in capped.text
            _works(base)
            graph = _get(base, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
            assert graph.status_code == 502, graph.text
            _works(base)
            # Under its cap, a result is whole.
            few = _get(base, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 999")
            assert few.status_code == 200 and len(few.json()["results"]["bindings"]) == 999


def test_a_result_over_coopkgs_cap_is_cut_and_flagged(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path) as engine:
        assert engine.push().returncode == 0
        with running_server("--sparql-backend", engine.query_url, "--max-rows", "7") as base:
            response = _get(base, ALL)
            assert response.status_code == 200
            assert len(response.json()["results"]["bindings"]) == 7
            assert response.headers["coopkg-result-truncated"].startswith("rows=7; max-rows=7")


# -- An engine that stops, or answers garbage -----------------------------------------------------


def test_an_engine_stopped_mid_run_is_503_then_recovers(tmp_path: Path) -> None:
    port = free_port()
    with oxigraph_server(tmp_path, port=port, on_disk=True) as engine:
        assert engine.push().returncode == 0
        with running_server("--sparql-backend", engine.query_url) as base:
            _works(base)
            engine.stop()
            down = _get(base, f"{ASK} # down")
            assert down.status_code == 503, down.text
            assert "not available" in down.text
            assert down.headers["cache-control"] == "no-store"
            with oxigraph_server(tmp_path, port=port, on_disk=True):
                _works(base)
                again = _get(base, f"{ASK} # down")  # the failure was not cached
                assert again.status_code == 200


@contextmanager
def garbage_engine(version: bytes) -> Iterator[tuple[str, dict]]:
    """A SPARQL 'engine' that answers its version record properly and everything else as
    `mode["answer"]` says: (status, content type, body)."""
    mode: dict = {"answer": (200, SRX, TRUE)}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            if form.get("query", [""])[0] == META_QUERY:
                status, media, body = 200, "application/sparql-results+xml", version
            else:
                status, media, body = mode["answer"]
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    with handler_server(Handler) as url:
        yield f"{url}/sparql", mode


VERSION = b"""<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">
<head><variable name="p"/><variable name="o"/></head><results><result>
<binding name="p"><uri>http://purl.org/dc/terms/identifier</uri></binding>
<binding name="o"><literal>0123456789abcdef0123456789abcdef</literal></binding>
</result></results></sparql>"""
TRUE = b"""<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>
<boolean>true</boolean></sparql>"""
SRX = "application/sparql-results+xml"
# What Oxigraph server 0.5 sends when its --timeout-s passes mid-result: 200, rows, a trailer.
CANCELLED = (
    b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
    b'<variable name="a"/></head><results><result><binding name="a"><uri>http://e/a</uri>'
    b"</binding></result>The SPARQL operation has been cancelled"
)


@pytest.mark.parametrize(
    "answer,status,says",
    [
        ((200, SRX, CANCELLED), 504, "stopped"),
        ((200, SRX, b"<sparql><oops"), 502, "does not parse"),
        ((200, SRX, b"\x00\xff garbage"), 502, "does not parse"),
        ((200, "text/html", b"<html>hello</html>"), 502, "not SPARQL XML"),
        (
            (500, "text/html", b"<h1>Oops</h1><pre>Traceback (most recent call last):\n</pre>"),
            502,
            "Oops",
        ),
        ((503, "text/plain", b"busy"), 503, "busy"),
        ((400, "text/plain", b"Parse error: unexpected SELEKT"), 400, "SELEKT"),
    ],
    ids=["oxigraph cut body", "cut xml", "binary", "html", "500 with trace", "503", "engine 400"],
)
def test_garbage_gets_its_status_and_the_next_query_works(answer, status, says) -> None:
    with garbage_engine(VERSION) as (url, mode):
        with running_server("--sparql-backend", url, "--timeout", "2") as base:
            mode["answer"] = answer
            response = _get(base, f"ASK {{ ?s ?p ?o }} # {status}")
            assert response.status_code == status, response.text
            assert says in response.text
            assert "Traceback" not in response.text
            mode["answer"] = (200, SRX, TRUE)
            _works(base)


# -- Push, and replicas that follow it ------------------------------------------------------------


def _count(engine_url: str) -> int:
    response = httpx.post(
        engine_url,
        data={"query": COUNT_ALL},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_push_is_idempotent_and_refuses_a_bad_file(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path) as engine:
        assert engine.push().returncode == 0
        once = _count(engine.query_url)
        assert engine.push().returncode == 0
        assert _count(engine.query_url) == once > 5000
        bad = tmp_path / "bad.ttl"
        bad.write_text("<http://e/a> <http://e/p> <http://e/b> .\n" * 3 + "<oops> .\n")
        refused = engine.push(bad)
        assert refused.returncode == 2
        assert "bad.ttl" in refused.stderr and "line 4" in refused.stderr
        assert _count(engine.query_url) == once  # nothing was sent


def test_replicas_agree_and_follow_a_push(tmp_path: Path) -> None:
    """Two application processes in front of one engine give the same answers and ETags; after
    a push of another dataset, both follow within the refresh interval (1 s here)."""
    first = tmp_path / "first.ttl"
    first.write_text('<http://e/a> <http://e/p> "one" .\n')
    second = tmp_path / "second.ttl"
    second.write_text('<http://e/a> <http://e/p> "two" .\n')
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    with oxigraph_server(tmp_path) as engine:
        assert engine.push(first).returncode == 0
        env = {"COOPKG_BACKEND_REFRESH": "1"}
        args = ("--sparql-backend", engine.query_url)
        with running_server(*args, env=env) as one, running_server(*args, env=env) as two:
            a, b = _get(one, query), _get(two, query)
            assert a.headers["etag"] == b.headers["etag"] and a.content == b.content
            assert _get(one, query).headers["coopkg-cache"] == "hit"
            assert engine.push(second).returncode == 0
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                answers = [_get(one, query), _get(two, query)]
                if all(r.headers["etag"] != a.headers["etag"] for r in answers):
                    break
                time.sleep(0.2)
            assert all(r.headers["etag"] != a.headers["etag"] for r in answers)
            assert answers[0].headers["etag"] == answers[1].headers["etag"]
            for response in answers:
                assert response.json()["results"]["bindings"][0]["o"]["value"] == "two"
