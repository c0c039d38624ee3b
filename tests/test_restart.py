"""A server that is stopped and started again serves exactly the same graph, with the same ETags."""

from __future__ import annotations

import httpx
from conftest import running_server
from rdflib import Graph
from rdflib.compare import isomorphic

DUMP = "CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def _snapshot(base: str) -> tuple[str, str, str | None]:
    dump = httpx.get(
        f"{base}/sparql",
        params={"query": DUMP},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    graphs = httpx.get(
        f"{base}/sparql", params={"query": GRAPHS}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert dump.status_code == 200 and graphs.status_code == 200
    return dump.text, graphs.text, dump.headers.get("etag")


def test_restart_serves_the_same_graph():
    with running_server() as base:
        first_dump, first_graphs, first_etag = _snapshot(base)
    with running_server() as base:
        second_dump, second_graphs, second_etag = _snapshot(base)

    assert first_dump.count("\n") > 500, "the shipped graph should not be empty"
    one = Graph().parse(data=first_dump, format="nt")
    two = Graph().parse(data=second_dump, format="nt")
    assert len(one) == len(two)
    assert isomorphic(one, two)
    assert first_graphs == second_graphs
    assert first_etag is not None and first_etag == second_etag
