"""`coopkg serve --workers N`: several HTTP processes on one socket, supervised by the parent."""

from __future__ import annotations

import os
import signal
import time

import httpx
from conftest import running_server

ASK = {"query": "ASK { <https://w3id.org/coops4dev/id/organisation/ica> ?p ?o }"}


def _children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return {int(p) for p in fh.read().split()}


def test_several_http_processes_answer_and_a_dead_one_is_replaced():
    with running_server(workers=None) as base:  # the default: two
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(20):
                answer = client.get("/sparql", params=ASK, headers={"Accept": "application/json"})
                assert answer.status_code == 200 and answer.json()["boolean"] is True
        # Each new connection may reach either process: both answer the same bytes, same tags.
        for path, accept in (("/id/organisation/ica", "text/turtle"),
                             ("/id/principle/1", "text/html"),
                             ("/id/dataset/coops4dev", "application/n-triples")):  # fmt: skip
            seen = set()
            for _ in range(12):
                answer = httpx.get(base + path, headers={"Accept": accept}, timeout=10)
                assert answer.status_code == 200, (path, answer.text)
                seen.add((answer.headers["etag"], answer.content))
            assert len(seen) == 1, path
        # forked processes share the command line: the supervisor is the one whose parent is not
        matching = {
            int(p)
            for p in os.listdir("/proc")
            if p.isdigit() and _is_serve(int(p), base.rsplit(":", 1)[1])
        }
        supervisors = [pid for pid in matching if _parent(pid) not in matching]
        assert len(supervisors) == 1
        http_processes = _children(supervisors[0])
        assert len(http_processes) == 2
        victim = sorted(http_processes)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = _children(supervisors[0])
            if victim not in now and len(now) == 2:
                break
            time.sleep(0.2)
        assert victim not in now and len(now) == 2, now
        # the replacement serves too
        for _ in range(10):
            assert httpx.get(f"{base}/sparql", params=ASK, timeout=10).status_code == 200


def _is_serve(pid: int, port: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
    except OSError:
        return False
    return b"serve" in argv and port.encode() in argv


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def test_union_default_graph_for_given_quads(tmp_path) -> None:
    """Given TriG keeps its named graphs; with --union-default-graph they are also in the
    default graph, as the shipped data/ is loaded."""
    path = tmp_path / "sourced.trig"
    path.write_text(
        "<http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 . }\n"
    )
    ask = "ASK { <http://example.org/s> <http://example.org/p> 1 }"
    in_graph = "ASK { GRAPH <http://example.org/g> { <http://example.org/s> ?p ?o } }"
    expected = {(): False, ("--union-default-graph",): True}
    for flags, in_default in expected.items():
        with running_server(str(path), *flags) as base:
            for query, answer in ((ask, in_default), (in_graph, True)):
                response = httpx.get(f"{base}/sparql", params={"query": query, "format": "json"})
                assert response.json()["boolean"] is answer, (flags, query)
