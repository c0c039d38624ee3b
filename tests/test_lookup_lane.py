"""The in-process lookup lane: which queries take it, that it answers exactly what a worker answers,
and that it answers while every worker is busy (so it really skips the worker round trip)."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pyoxigraph as ox
import pytest
from conftest import burn_query, running_server
from coopkg.config import Settings
from coopkg.dataset import dataset_sources, load_store
from coopkg.errors import QueryTimeout
from coopkg.formats import negotiate
from coopkg.query import QueryJob
from coopkg.query.guard import check_query, scan_query
from coopkg.query.lookup import (
    _SIMPLE,
    LookupLane,
    _simple_shape,
    _solutions_json,
    _tokenized_shape,
    lookup_pattern,
    simple_lookup,
)
from coopkg.query.pool import WorkerPool
from coopkg.query.runner import QueryRunner

EX = "http://example.org/"
DATA = f"""
@prefix ex: <{EX}> .
ex:a ex:name "Alpha"@en , "Alpha"@fr ; ex:size 3 ; ex:knows ex:b ; a ex:Thing .
ex:b ex:name "Beta" .
""" + "\n".join(f"ex:hub ex:link ex:n{i} ." for i in range(50))
BURN = burn_query(8)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"SELECT ?p ?o WHERE {{ <{EX}a> ?p ?o }}", ((f"{EX}a", None, None), None, 0)),
        (f"select * {{ <{EX}a> <{EX}name> ?o . }} limit 1", ((f"{EX}a", f"{EX}name", None), 1, 0)),
        (
            f"PREFIX ex: <{EX}> SELECT ?t {{ ex:a a ?t }} OFFSET 2 LIMIT 3",
            ((f"{EX}a", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", None), 3, 2),
        ),
        (f"SELECT ?p # a comment\n{{ <{EX}a> ?p <{EX}b> }}", ((f"{EX}a", None, f"{EX}b"), None, 0)),
        (
            f"SELECT ?o {{ <{EX}a> ?p ?o }} LIMIT 1000000000123",
            ((f"{EX}a", None, None), 10**12 + 123, 0),
        ),
        # everything else goes to a worker
        (f"SELECT ?s {{ ?s ?p <{EX}b> }}", None),  # unbound subject
        ("SELECT ?p { <a> ?p ?o }", None),  # relative IRI: depends on the base
        (f"BASE <{EX}> SELECT ?p {{ <a> ?p ?o }}", None),
        (f"SELECT DISTINCT ?p {{ <{EX}a> ?p ?o }}", None),
        (f"SELECT ?o {{ <{EX}a> ?p ?o FILTER(regex(?o, 'x')) }}", None),
        (f"SELECT ?o {{ <{EX}a> ?p ?o . ?o ?q ?r }}", None),
        (f"SELECT ?o {{ <{EX}a> <{EX}p>+ ?o }}", None),  # property path
        (f"SELECT ?o {{ <{EX}a> ?p 'literal' }}", None),
        (f"SELECT (COUNT(*) AS ?n) {{ <{EX}a> ?p ?o }}", None),
        (f"SELECT ?o {{ <{EX}a> ?p ?o }} ORDER BY ?o", None),
        (f"SELECT ?o FROM <{EX}g> {{ <{EX}a> ?p ?o }}", None),
        (f"SELECT ?o {{ GRAPH ?g {{ <{EX}a> ?p ?o }} }}", None),
        (f"ASK {{ <{EX}a> ?p ?o }}", None),
        (f"CONSTRUCT {{ <{EX}a> ?p ?o }} {{ <{EX}a> ?p ?o }}", None),
        ("SELECT ?o { undeclared:a ?p ?o }", None),
        (f"SELECT ?o {{ <{EX}a> ?p ?o }} LIMIT 1 LIMIT 2", None),
    ],
)
def test_which_queries_take_the_lane(query, expected):
    assert lookup_pattern(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?p ?o WHERE {{ <{EX}a> ?p ?o }}",
        f"PREFIX ex: <{EX}>\nPREFIX : <{EX}x/>\nSELECT ?p ?o WHERE {{ <{EX}a> ?p ?o }} LIMIT 12",
        f"  select ?o\twhere{{<{EX}a>a ?o.}}offset 3",
        f"SELECT ?p {{ <{EX}a> ?p <{EX}b> }} LIMIT 1 OFFSET 2",
        f"SELECT ?o {{ <{EX}a> <{EX}name> ?o }} LIMIT 000000000000000001",
    ],
)
def test_the_quick_reading_agrees_with_the_tokenizer(query):
    """The regular expression for the common lookup finds what the tokenizer finds."""
    quick = _simple_shape(query)
    assert quick is not None
    assert quick[0] == _tokenized_shape(query)


def ask(lane: LookupLane, job: QueryJob):
    return lane.answer(job, negotiate(job.accept, job.format_name))


@pytest.fixture
def lane() -> LookupLane:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    return LookupLane(store, max_matches=20, max_bytes=10_000)


def test_lane_declines_a_subject_with_more_matches_than_its_bound(lane):
    assert ask(lane, QueryJob(f"SELECT ?o {{ <{EX}hub> ?p ?o }}")) is None
    assert ask(lane, QueryJob(f"SELECT ?o {{ <{EX}hub> <{EX}none> ?o }}")) is not None


def test_lane_declines_what_a_worker_must_explain(lane):
    # no acceptable format: the worker answers 406 listing the formats
    assert ask(lane, QueryJob(f"SELECT ?o {{ <{EX}a> ?p ?o }}", accept="image/png")) is None
    # dataset parameters
    job = QueryJob(f"SELECT ?o {{ <{EX}a> ?p ?o }}", default_graph_uris=(f"{EX}g",))
    assert ask(lane, job) is None


SPECIAL = f"""
@prefix ex: <{EX}> .
ex:s ex:q "say \\"hi\\"" , "back\\\\slash" , "line\\nbreak" , "tab\\there" , "é ü 漢字 😀"@fr ,
    "x"^^<{EX}type> , 42 , 1.5 , true , "2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date> ,
    "\\u2028sep" , "bell\\u0007" , [ ex:q 1 ] , <{EX}with%20escape> , "lang"@en-GB .
"""


@pytest.fixture(scope="module")
def shipped_store() -> ox.Store:
    store, _ = load_store(dataset_sources())
    store.load(SPECIAL.encode(), format=ox.RdfFormat.TURTLE)
    return store


def test_written_json_is_oxigraphs_byte_for_byte(shipped_store):
    """The lane writes SPARQL JSON itself for the common lookup; for every subject of the shipped
    graph (and literals with quotes, escapes, languages, datatypes, blank nodes), in every
    projection order and with LIMIT/OFFSET, it is what Oxigraph writes."""
    lane = LookupLane(shipped_store, max_matches=1000, max_bytes=1 << 26)
    subjects = {q.subject for q in shipped_store.quads_for_pattern(None, None, None)}
    iris = sorted(s.value for s in subjects if isinstance(s, ox.NamedNode))
    assert len(iris) > 300
    written = 0
    for iri in iris:
        for query in (
            f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}",
            f"select ?o ?p {{ <{iri}> ?p ?o . }} LIMIT 3 OFFSET 1",
            f"SELECT ?o WHERE {{ <{iri}> a ?o }}",
            f"SELECT ?p {{ <{iri}> ?p <{EX}b> }}",
        ):
            outcome = ask(lane, QueryJob(query))
            expected = shipped_store.query(query).serialize(format=ox.QueryResultsFormat.JSON)
            assert outcome is not None and outcome.body == expected, query
        names = _simple_shape(f"SELECT ?p ?o {{ <{iri}> ?p ?o }}")
        assert names is not None
        quads = list(shipped_store.quads_for_pattern(ox.NamedNode(iri), None, None))
        written += _solutions_json(quads, *names[1]) is not None
    assert written > len(iris) * 0.9  # the hand-written path was the one compared, mostly
    special = list(shipped_store.quads_for_pattern(ox.NamedNode(f"{EX}s"), None, None))
    assert _solutions_json(special, ("?p", "?o"), "?p", "?o") is None  # left to Oxigraph


def test_quotes_and_backslashes_are_escaped_as_oxigraph_escapes_them():
    """The hand-written path writes strings with `"` and `\\` itself (escaped all at once)."""
    store = ox.Store()
    data = f"""@prefix ex: <{EX}> .
    ex:s ex:q "say \\"hi\\"" , "back\\\\slash" , "plain" , "x"^^<{EX}type> ;
        ex:r "\\\\\\""@en , <{EX}a%22b> ."""
    store.load(data.encode(), format=ox.RdfFormat.TURTLE)
    quads = list(store.quads_for_pattern(ox.NamedNode(f"{EX}s"), None, None))
    for projection in (("?p", "?o"), ("?o", "?p"), ("?o",)):
        p_var = "?p" if "?p" in projection else None
        query = f"SELECT {' '.join(projection)} {{ <{EX}s> {p_var or f'<{EX}q>'} ?o }}"
        matching = [q for q in quads if p_var or q.predicate.value == f"{EX}q"]
        written = _solutions_json(matching, projection, p_var, "?o")
        assert written is not None
        assert written == store.query(query).serialize(format=ox.QueryResultsFormat.JSON)


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?p ?p {{ <{EX}a> ?p ?o }}",  # repeated projection
        f"SELECT ?p ?x {{ <{EX}a> ?p ?o }}",  # a variable the pattern does not bind
        f"SELECT ?p {{ <{EX}a> ?p ?p }}",  # the same variable twice: a join condition
        f"SELECT ?p\u00a0?o {{ <{EX}a> ?p ?o }}",  # not SPARQL white space
    ],
)
def test_lookups_the_writer_leaves_to_oxigraph(lane, query):
    shape = _simple_shape(query)
    if shape is not None:
        quads = list(lane._store.quads_for_pattern(ox.NamedNode(f"{EX}a"), None, None))
        assert _solutions_json(quads, *shape[1]) is None


def test_lane_counts_rows_with_limit_and_offset(lane):
    outcome = ask(lane, QueryJob(f"SELECT ?p ?o {{ <{EX}a> ?p ?o }} LIMIT 3 OFFSET 1"))
    assert outcome is not None and outcome.rows == 3
    outcome = ask(lane, QueryJob(f"SELECT ?p ?o {{ <{EX}a> ?p ?o }} OFFSET 4"))
    assert outcome is not None and outcome.rows == 1


LOOKUPS = [
    f"SELECT ?p ?o WHERE {{ <{EX}a> ?p ?o }}",
    f"PREFIX ex: <{EX}> SELECT * {{ ex:a ex:name ?o }} LIMIT 1",
    f"SELECT ?o {{ <{EX}missing> ?p ?o }}",
]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("lane") / "data.ttl"
    path.write_text(DATA)
    return path


def test_lane_answers_while_the_only_worker_burns_and_matches_the_worker(data_file):
    async def scenario():
        sources = [(data_file, None)]
        settings = Settings(query_timeout=2, query_workers=1)
        with_lane = QueryRunner(WorkerPool(sources, settings), settings, lane_sources=sources)
        without = QueryRunner(WorkerPool(sources, settings), settings)
        await with_lane.start()
        await without.start()
        try:
            burn = asyncio.ensure_future(with_lane.run(QueryJob(BURN)))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            for query in LOOKUPS:
                for accept in (
                    "application/sparql-results+json",
                    "text/csv",
                    "text/tab-separated-values",
                    "application/sparql-results+xml",
                ):
                    job = QueryJob(query, accept=accept)
                    fast = await with_lane.run(job)
                    slow = await without.run(job)
                    assert (fast.content_type, fast.body, fast.truncated) == (
                        slow.content_type,
                        slow.body,
                        slow.truncated,
                    ), (query, accept)
                    assert fast.rows == slow.rows
            # all of that while the only worker of `with_lane` was busy: the lane skipped it
            assert not burn.done()
            assert time.monotonic() - started < 1.5
            with pytest.raises(QueryTimeout):
                await burn
        finally:
            await with_lane.close()
            await without.close()

    asyncio.run(scenario())


def test_http_answers_are_the_same_with_and_without_the_lane(data_file):
    headers = {"Accept": "application/sparql-results+json"}
    with (
        running_server(str(data_file)) as fast,
        running_server(str(data_file), env={"COOPKG_LOOKUP_LANE": "false"}) as slow,
    ):
        for query in LOOKUPS:
            one = httpx.get(f"{fast}/sparql", params={"query": query}, headers=headers)
            two = httpx.get(f"{slow}/sparql", params={"query": query}, headers=headers)
            assert one.status_code == two.status_code == 200
            assert one.content == two.content
            assert one.headers["etag"] == two.headers["etag"]


def _random_simple_lookup(rng: random.Random) -> str:
    """A query of the lane's common shape, with what could mislead a scan where it is allowed:
    keywords as prefix and variable names, `;`, `#`, brackets and quotes in IRIs."""

    def ws(least: int = 0) -> str:
        return rng.choice([" ", "\t", "\n", "\r\n", "  "] + ([] if least else [""]))

    def case(word: str) -> str:
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)

    def iri() -> str:
        parts = ["http://x.org/", "SERVICE", "insert", ";", "#", "(", "[", "!", "-", "+", "'", "é"]
        return "<" + "".join(rng.choice(parts) for _ in range(rng.randrange(1, 6))) + ">"

    names = ["", "ex", "service", "SERVICE", "insert", "Delete", "with", "a.b", "x_", "q-1", "a"]
    names += ["insert-", "x-"]  # allowed in SPARQL, not read (the test below)
    variables = ["?s", "?service", "?INSERT", "?p", "?o", "?with", "?_"]
    text = ws()
    for _ in range(rng.randrange(3)):
        text += case("PREFIX") + ws(1) + rng.choice(names) + ":" + ws() + iri() + ws()
    text += case("SELECT") + ws(1) + (ws(1)).join(rng.sample(variables, rng.randrange(1, 4)))
    text += ws() + (case("WHERE") + ws() if rng.random() < 0.5 else "") + "{" + ws() + iri()
    text += ws() + rng.choice([rng.choice(variables), iri(), "a"]) + ws(1)
    text += rng.choice([rng.choice(variables), iri()]) + ws() + rng.choice([".", ""]) + ws() + "}"
    text += ws()
    if rng.random() < 0.5:
        text += case("LIMIT") + ws(1) + str(rng.randrange(10**6)) + ws()
    if rng.random() < 0.5:
        text += case("OFFSET") + ws(1) + str(rng.randrange(10**6)) + ws()
    return text


def test_what_the_regular_expression_reads_passes_the_guard():
    """The runner answers what `_SIMPLE` reads without the guard's scan: a full scan of every such
    query finds nothing the guard refuses (tokens as the regular expression reads them)."""
    rng = random.Random(11)
    read = 0
    for _ in range(20_000):
        query = _random_simple_lookup(rng)
        if _SIMPLE.fullmatch(query) is None:
            assert "-:" in query, query  # only a prefix name ending with `-` is not read
            continue
        read += 1
        check_query(query)
        shape = scan_query(query)
        assert shape.operation == "SELECT", query
        assert not shape.has_service and not shape.update_after_semicolon, query
        assert shape.max_depth == 1, query
    assert 12_000 < read < 19_000


@pytest.mark.parametrize(
    ("query", "status"),
    [
        (f"PREFIX insert-: <{EX}> SELECT ?o {{ <{EX}a> ?p ?o }}", 403),
        (f"PREFIX Service-: <{EX}> SELECT ?o {{ <{EX}a> ?p ?o }}", 400),
        (f"PREFIX service: <{EX}service;insert> SELECT ?service {{ <{EX}a> ?p ?service }}", 200),
    ],
)
def test_what_the_guard_refuses_is_not_read_as_a_simple_lookup(data_file, query, status):
    """SPARQL allows `-` at the end of a prefix name; the guard's tokenizer reads `insert-:` as the
    keyword INSERT, and refuses it. The regular expression leaves such a query to the guard."""
    assert (simple_lookup(query) is None) == (status != 200)
    with running_server(str(data_file)) as base:
        answer = httpx.get(f"{base}/sparql", params={"query": query})
        assert answer.status_code == status
