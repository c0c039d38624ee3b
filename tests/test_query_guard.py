"""The guard's verdicts, from a table: what is refused, and what only looks like it should be."""

from __future__ import annotations

import pytest
from coopkg.errors import QueryRefused, UpdateForbidden
from coopkg.query.guard import (
    MAX_DEPTH,
    UPDATE_KEYWORDS,
    check_query,
    full_scan_needed,
    scan_query,
)

ALLOWED = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT ?service WHERE { ?service ?p ?o }",
    "SELECT $service WHERE { $service ?p ?o }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ?o }",
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:p ?o }",
    'SELECT * WHERE { ?s ?p "SERVICE" }',
    "SELECT * WHERE { ?s ?p 'service <http://x> { }' }",
    'SELECT * WHERE { ?s ?p """multi\nline SERVICE <http://x> {} \\""" still""" }',
    "SELECT * WHERE { ?s ?p '''it''s SERVICE''' }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x> { }",
    "# SERVICE\nSELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { <http://x/SERVICE> ?p ?o }",
    'SELECT * WHERE { ?s ?p "x"@service }',
    "SELECT * WHERE { _:service ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }",
    "ASK { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "DESCRIBE <http://example.org/x>",
    "BASE <http://x/> PREFIX : <http://x/> SELECT * { :a :insert :delete }",
    "PREFIX insert: <http://x/> SELECT * { ?s insert:drop ?o }",
    "SELECT ?insert ?delete ?load WHERE { ?insert ?delete ?load }",
    'SELECT * WHERE { ?s ?p "; DROP ALL" }',
    "SELECT * WHERE { ?s ?p ?o ; ?q ?r }",  # `;` inside a group is a predicate list
    "select * where { ?s a ?o }",
    # Not keywords for Oxigraph (ASCII case folding only), though str.upper() would make them so.
    "SELECT * { \u017fervice <http://x> { ?s ?p ?o } }",
    "\u0131nsert DATA { <http://a> <http://b> <http://c> }",
]


@pytest.mark.parametrize("query", ALLOWED)
def test_allowed(query):
    check_query(query)


SERVICE = [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://x> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE ?endpoint { ?s ?p ?o } }",
    "PREFIX ex: <http://x/>\nSELECT * WHERE {\n  # comment\n  SERVICE ex:sparql { ?s ?p ?o }\n}",
    'SELECT * WHERE { ?s ?p "unterminated SERVICE <http://x> { } }',  # lexed char by char
    "SELECT * WHERE { ?s ?p ?o . SERVICE<http://x>{?s ?p ?o} }",
]


@pytest.mark.parametrize("query", SERVICE)
def test_service_refused(query):
    with pytest.raises(QueryRefused, match="SERVICE is not allowed"):
        check_query(query)


UPDATES = [
    ("INSERT DATA { <a> <b> <c> }", "INSERT"),
    ("insert data { <a> <b> <c> }", "INSERT"),
    ("DELETE WHERE { ?s ?p ?o }", "DELETE"),
    ("DELETE DATA { <a> <b> <c> }", "DELETE"),
    ("LOAD <http://example.org/data.ttl>", "LOAD"),
    ("CLEAR ALL", "CLEAR"),
    ("CREATE GRAPH <http://g>", "CREATE"),
    ("DROP SILENT GRAPH <http://g>", "DROP"),
    ("COPY <http://a> TO <http://b>", "COPY"),
    ("MOVE DEFAULT TO <http://b>", "MOVE"),
    ("ADD <http://a> TO <http://b>", "ADD"),
    ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
    ("PREFIX ex: <http://x/SELECT>\nBASE <http://x/>\nINSERT DATA { ex:a ex:b ex:c }", "INSERT"),
    ("# SELECT * { ?s ?p ?o }\nDROP ALL", "DROP"),
    ("PREFIX : <http://x/> CLEAR DEFAULT", "CLEAR"),
    ("ASK { } ; DROP ALL", "ASK"),
    ("SELECT * { ?s ?p ?o } ;\n# x\nINSERT DATA { <a> <b> <c> }", "SELECT"),
]


@pytest.mark.parametrize(("query", "operation"), UPDATES)
def test_update_forbidden(query, operation):
    assert scan_query(query).operation == operation
    with pytest.raises(UpdateForbidden, match="read-only"):
        check_query(query)


def test_update_wins_over_service():
    with pytest.raises(UpdateForbidden):
        check_query("INSERT { ?s ?p ?o } WHERE { SERVICE <http://x> { ?s ?p ?o } }")


@pytest.mark.parametrize(
    ("query", "depth"),
    [
        ("SELECT * { ?s ?p ?o }", 1),
        ("SELECT * { { ?s ?p ?o } UNION { ?s ?p [ ?q ( 1 2 ) ] } }", 4),
        ('SELECT * { ?s ?p "{{{{((((" }', 1),
        ("SELECT * { FILTER(!!!true) }", 5),
        ("SELECT * { FILTER(- -1 > 0) }", 4),
        ("SELECT * " + "{" * 40 + "}" * 40, 40),
    ],
)
def test_depth(query, depth):
    assert scan_query(query).max_depth == depth


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000,
        "SELECT * WHERE { FILTER(" + "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1) + ") }",
        "SELECT * WHERE { FILTER(" + "!" * 10_000 + "true) }",
        "SELECT * WHERE { FILTER(" + "- " * 10_000 + "1) }",
        "SELECT * WHERE { ?s ?p " + "[ ?p " * 10_000 + "]" * 10_000 + " }",
    ],
)
def test_deep_nesting_refused(query):
    with pytest.raises(QueryRefused, match="nested too deeply"):
        check_query(query)


# Queries at the edges of the substring tests that decide whether the full scan runs: keywords
# hidden in strings, IRIs, names and comments; bracket and operator counts around MAX_DEPTH;
# update verbs next to a `;` in every disguise; non-ASCII look-alikes.
FAST_PATH_EDGES = [
    'SELECT * { ?s ?p "service" }',
    "SELECT * { ?s <http://example.org/SERVICE> ?o }",
    "PREFIX service: <http://example.org/> SELECT * { service:a ?p ?o }",
    "SELECT * { ?s ?p ?o } # SERVICE <http://example.org/>",
    "SELECT ?service { ?service ?p ?o }",
    "SELECT * { ?s ?p ?o . SeRvIcE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o . SERV\u0130CE <http://example.org/sparql> { } }",
    "SELECT * { ?s ?p ?o . SERVİCE <http://example.org/sparql> { } }",
    'SELECT * { ?s ?p "a; drop all" }',
    "SELECT * { ?s ?p ?o } # ; DROP ALL",
    "ASK {};DROP ALL",
    "ASK {} ;\n\n  insert data { <a:b> <a:c> <a:d> }",
    "ASK { ?s ?p ?o ; ?q ?r } ",
    "ASK { ?s ?p ?o ; <http://example.org/drop> ?r }",
    "PREFIX insert: <http://example.org/> SELECT * { insert:a ?p ?o }",
    "SELECT * WHERE " + "{" * MAX_DEPTH + "}" * MAX_DEPTH,
    "SELECT * WHERE " + "{" * (MAX_DEPTH // 2) + "}" * (MAX_DEPTH // 2),
    "SELECT * WHERE { " + " ".join(f"<http://ex.org/a-{i}> ?p ?o ." for i in range(300)) + " }",
    "SELECT * WHERE { FILTER(" + "-" * (MAX_DEPTH - 5) + "1) }",
    "SELECT * WHERE { FILTER(" + "-" * (MAX_DEPTH + 5) + "1) }",
    "SELECT * WHERE { FILTER(" + "(" * (MAX_DEPTH - 4) + "1" + ")" * (MAX_DEPTH - 4) + ") }",
]


def _full_verdict(query: str) -> type[Exception] | None:
    full = scan_query(query)
    if full.operation in UPDATE_KEYWORDS or full.update_after_semicolon:
        return UpdateForbidden
    if full.has_service:
        return QueryRefused
    if full.max_depth > MAX_DEPTH:
        return QueryRefused
    return None


@pytest.mark.parametrize("query", FAST_PATH_EDGES)
def test_fast_path_agrees_with_a_full_scan(query):
    """check_query lexes only the prologue when substring tests allow it: the verdict is the
    same as a full scan's, at the edges of those tests."""
    expected = _full_verdict(query)
    if expected is None:
        check_query(query)
    else:
        with pytest.raises(expected):
            check_query(query)


def test_the_edge_cases_reach_both_paths():
    """The edges above take both the fast path and the full scan, and both verdicts occur."""
    paths = {full_scan_needed(q) for q in FAST_PATH_EDGES}
    verdicts = {_full_verdict(q) for q in FAST_PATH_EDGES}
    assert paths == {True, False}
    assert verdicts == {None, UpdateForbidden, QueryRefused}


def test_large_query_is_cheap():
    import time

    query = "SELECT * WHERE {" + ' ?s <http://example.org/p> "some text" .' * 20_000 + " }"
    start = time.perf_counter()
    check_query(query)
    assert time.perf_counter() - start < 1.0
