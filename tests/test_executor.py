"""The embedded engine (the pool of query worker processes) behind the query runner, as the
application drives it, with real worker processes and a real Oxigraph store, on small graphs."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import burn_query, recording_server
from coopkg.config import Settings
from coopkg.dataset import LoadError
from coopkg.errors import (
    EngineFailed,
    NotAcceptable,
    Overloaded,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    SparqlError,
    UpdateForbidden,
)
from coopkg.formats import negotiate
from coopkg.query import QueryJob, QueryOutcome
from coopkg.query.guard import check_in_server
from coopkg.query.pool import WorkerPool
from coopkg.query.runner import QueryRunner
from coopkg.query.worker import WorkerPolicy

EX = "http://example.org/"
G1, G2 = "http://example.org/graph/one", "http://example.org/graph/two"

DEFAULT_TTL = f"""
@prefix ex: <{EX}> .
ex:a ex:name "Alpha"@en ; ex:size 3 ; ex:knows ex:b .
ex:b ex:name "Beta" ; ex:size 5 ; ex:knows [ ex:name "anon" ] .
ex:c ex:name "line one\\nline \\"two\\"\\ttab, comma" .
ex:d ex:name "Delta" .
ex:e ex:name "Epsilon" .
"""
NAMED_TRIG = f"""
@prefix ex: <{EX}> .
<{G1}> {{ ex:x ex:in "one" . }}
<{G2}> {{ ex:y ex:in "two" . }}
"""

BURN = burn_query(8)  # over ~20 triples: far past any timeout here
POINT = f"SELECT ?n {{ <{EX}a> <{EX}name> ?n }}"


class Loop:
    """One event loop for a group of tests, so one executor can serve them all."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __call__(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.loop.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("graph")
    (root / "default.ttl").write_text(DEFAULT_TTL, encoding="utf-8")
    (root / "named.trig").write_text(NAMED_TRIG, encoding="utf-8")
    return root


class Embedded:
    """The worker pool behind the runner, as the application uses them; the pool's own
    attributes (worker pids, zygote) are reached through it."""

    def __init__(self, pool: WorkerPool, settings: Settings) -> None:
        self.pool = pool
        # No lookup lane: point lookups must reach a worker too. The in-process lane has its own
        # tests (tests/test_lookup_lane.py).
        self.runner = QueryRunner(pool, settings)

    def run(self, job: QueryJob):
        return self.runner.run(job)

    def past_the_guard(self, job: QueryJob):
        """The engine alone: what a worker does with a query the guard would have refused."""
        return self.pool.run(job, negotiate(job.accept, job.format_name))

    @staticmethod
    def check(query: str) -> bool:
        return check_in_server(query)

    def __getattr__(self, name: str):
        return getattr(self.pool, name)


@contextmanager
def started(
    data_dir: Path, policy: WorkerPolicy | None = None, max_waiting: int | None = None, **settings
) -> Iterator[tuple[Embedded, Loop]]:
    loop = Loop()
    config = Settings(**settings)
    pool = WorkerPool([(data_dir, None)], config, policy=policy, max_waiting=max_waiting)
    executor = Embedded(pool, config)
    loop(executor.runner.start())
    try:
        yield executor, loop
    finally:
        loop(executor.runner.close())
        loop.close()


@pytest.fixture(scope="module")
def pool(data_dir) -> Iterator[tuple[Embedded, Loop]]:
    with started(data_dir, query_timeout=5, query_workers=2) as pair:
        yield pair


def run(pool, query: str, **job) -> QueryOutcome:
    executor, loop = pool
    return loop(executor.run(QueryJob(query, **job)))


def triples_of(outcome: QueryOutcome, fmt: ox.RdfFormat) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(outcome.body, format=fmt)}


def _select_rows(outcome: QueryOutcome, name: str) -> list[dict[str, str]]:
    """Parse a SELECT result independently of pyoxigraph where the standard library can."""
    if name == "json":
        doc = json.loads(outcome.body)
        return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]
    if name == "xml":
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        root = ET.fromstring(outcome.body)
        return [
            {b.get("name"): "".join(b.itertext()) for b in result.findall("r:binding", ns)}
            for result in root.find("r:results", ns)
        ]
    if name == "csv":
        reader = csv.DictReader(io.StringIO(outcome.body.decode("utf-8"), newline=""))
        return [{k: v for k, v in row.items() if v} for row in reader]
    parsed = ox.parse_query_results(outcome.body, ox.QueryResultsFormat.TSV)
    return [{str(v)[1:]: s[v].value for v in parsed.variables if s[v] is not None} for s in parsed]


# ------------------------------------------------------------------------------------------
# Results and formats


@pytest.mark.parametrize(
    ("accept", "format_name", "content_type", "parser"),
    [
        (None, None, "application/sparql-results+json; charset=utf-8", "json"),
        ("application/sparql-results+xml", None, "application/sparql-results+xml", "xml"),
        ("text/csv", None, "text/csv; charset=utf-8", "csv"),
        ("text/tab-separated-values", None, "text/tab-separated-values; charset=utf-8", "tsv"),
        ("text/csv", "json", "application/sparql-results+json; charset=utf-8", "json"),
    ],
)
def test_select_in_each_format(pool, accept, format_name, content_type, parser):
    query = f"SELECT ?s ?n WHERE {{ ?s <{EX}name> ?n }} ORDER BY ?n"
    outcome = run(pool, query, accept=accept, format_name=format_name)
    assert (outcome.kind, outcome.content_type, outcome.rows, outcome.truncated) == (
        "solutions",
        content_type,
        6,
        False,
    )
    rows = _select_rows(outcome, parser)
    names = {r["n"] for r in rows}
    assert names == {
        "Alpha",
        "Beta",
        "anon",
        "Delta",
        "Epsilon",
        'line one\nline "two"\ttab, comma',
    }
    assert {"s": f"{EX}a", "n": "Alpha"} in rows


@pytest.mark.parametrize(
    ("accept", "expected"),
    [(None, b'"boolean":true'), ("application/sparql-results+xml", b"<boolean>true</boolean>")],
)
def test_ask(pool, accept, expected):
    outcome = run(pool, f"ASK {{ <{EX}a> ?p ?o }}", accept=accept)
    assert outcome.kind == "boolean" and outcome.rows is None and expected in outcome.body


def test_not_acceptable_lists_the_formats_offered(pool):
    with pytest.raises(NotAcceptable) as info:
        run(pool, "ASK {}", accept="text/csv")
    assert "application/sparql-results+json" in info.value.message
    assert "text/turtle" not in info.value.message
    with pytest.raises(NotAcceptable, match="text/turtle"):
        run(pool, "CONSTRUCT WHERE { ?s ?p ?o }", accept="application/sparql-results+json")


GRAPH_FORMATS = [
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/n-quads", ox.RdfFormat.N_QUADS),
    ("application/trig", ox.RdfFormat.TRIG),
]


@pytest.mark.parametrize(("accept", "fmt"), GRAPH_FORMATS)
def test_construct_and_describe_in_each_format(pool, accept, fmt):
    outcome = run(
        pool, f"CONSTRUCT {{ ?s <{EX}n> ?n }} WHERE {{ ?s <{EX}name> ?n }}", accept=accept
    )
    assert outcome.kind == "graph" and outcome.content_type.startswith(accept)
    assert outcome.rows == 6 and not outcome.truncated
    names = {t[2].value for t in triples_of(outcome, fmt)}
    assert {"Alpha", "Beta", "anon", "Delta"} <= names
    described = run(pool, f"DESCRIBE <{EX}a>", accept=accept)
    assert described.kind == "graph"
    assert (
        ox.NamedNode(f"{EX}a"),
        ox.NamedNode(f"{EX}size"),
        ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ) in triples_of(described, fmt)


def test_syntax_error_has_line_and_column(pool):
    with pytest.raises(QuerySyntaxError) as info:
        run(pool, "SELECT *\nWHERE {\n  ?s ?p\n}")
    assert "line 4, column" in info.value.message
    assert "Traceback" not in info.value.message


# ------------------------------------------------------------------------------------------
# Dataset selection: graph names in the store, never fetched


def _graph_values(pool, query: str, **job) -> set[str]:
    outcome = run(pool, query, accept="application/sparql-results+json", **job)
    return {r["v"] for r in _select_rows(outcome, "json")}


UNION = (
    f"SELECT ?v {{ {{ ?s <{EX}in> ?v }} "
    f"UNION {{ GRAPH ?g {{ ?s <{EX}in> ?x }} BIND(STR(?g) AS ?v) }} }}"
)


def test_graph_selection_by_protocol_parameters(pool):
    assert _graph_values(pool, UNION) == {
        G1,
        G2,
    }  # named graphs only; the default graph has no ex:in
    assert _graph_values(pool, UNION, default_graph_uris=(G1,)) == {"one"}
    assert _graph_values(pool, UNION, named_graph_uris=(G2,)) == {G2}
    assert _graph_values(pool, UNION, default_graph_uris=(G1, G2), named_graph_uris=(G1,)) == {
        "one",
        "two",
        G1,
    }


def test_invalid_graph_iri_is_refused(pool):
    with pytest.raises(QueryRefused, match="invalid graph IRI"):
        run(pool, "ASK {}", default_graph_uris=("not an IRI",))


def test_from_clauses_and_protocol_parameters_win(pool):
    query = UNION.replace("SELECT ?v", f"SELECT ?v FROM <{G1}> FROM NAMED <{G2}>")
    assert _graph_values(pool, query) == {"one", G2}
    assert _graph_values(pool, query, default_graph_uris=(G2,)) == {"two"}
    assert _graph_values(pool, query, named_graph_uris=(G1,)) == {G1}


def test_from_and_graph_parameters_never_fetch(pool):
    with recording_server() as (base, hits):
        outcome = run(
            pool,
            f"SELECT * FROM <{base}/data.nt> FROM NAMED <{base}/named.nt> "
            "{ { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
        )
        assert outcome.rows == 0
        outcome = run(
            pool,
            "CONSTRUCT WHERE { ?s ?p ?o }",
            default_graph_uris=(f"{base}/d.nt",),
            named_graph_uris=(f"{base}/n.nt",),
        )
        assert outcome.rows == 0
        time.sleep(0.2)
    assert hits == []


# ------------------------------------------------------------------------------------------
# Safety


def test_service_refused(pool):
    with pytest.raises(QueryRefused, match="SERVICE is not allowed"):
        run(pool, "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    executor, _ = pool
    with pytest.raises(QueryRefused):
        executor.check("select * { ?s ?p ?o . service silent ?x { ?s ?p ?o } }")
    assert run(pool, f"SELECT ?service {{ ?service <{EX}name> 'SERVICE' }}").rows == 0


def test_service_cannot_reach_the_network_even_past_the_guard(pool):
    """Defence in depth: a worker asked to run SERVICE past the guard has no network route."""
    executor, loop = pool
    if not executor.network_isolated:
        pytest.skip("this kernel does not allow unprivileged network namespaces")
    with recording_server() as (base, hits):
        with pytest.raises(SparqlError):
            loop(
                executor.past_the_guard(
                    QueryJob(f"SELECT * {{ SERVICE <{base}/sparql> {{ ?s ?p ?o }} }}")
                )
            )
        time.sleep(0.2)
    assert hits == []


def _count(pool) -> int:
    outcome = run(
        pool,
        "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
        accept="text/csv",
    )
    return int(outcome.body.decode().split()[-1])


@pytest.mark.parametrize(
    "update",
    [
        f"INSERT DATA {{ <{EX}z> <{EX}name> 'Zeta' }}",
        f"PREFIX ex: <{EX}>\nDELETE WHERE {{ ?s ex:name ?n }}",
        "# comment\nBASE <http://x/> DROP ALL",
        "CLEAR DEFAULT",
        f"WITH <{G1}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "ASK {} ; DROP ALL",
    ],
)
def test_update_forbidden_and_store_unchanged(pool, update):
    before = _count(pool)
    with pytest.raises(UpdateForbidden):
        run(pool, update)
    assert _count(pool) == before == 12


def test_update_past_the_guard_is_still_refused_by_the_engine(pool):
    """Defence in depth: workers only ever call Store.query, whose parser rejects updates."""
    executor, loop = pool
    before = _count(pool)
    with pytest.raises(QuerySyntaxError):
        loop(executor.past_the_guard(QueryJob(f"INSERT DATA {{ <{EX}z> <{EX}name> 'Zeta' }}")))
    assert _count(pool) == before


def test_queries_reach_oxigraph_in_a_worker_process(pool):
    executor, loop = pool
    info = loop(executor.worker_info())
    assert info["pid"] in executor.worker_pids() and info["pid"] != os.getpid()
    # The zygote is a fresh interpreter: whatever this test process has imported, workers have
    # no rdflib SPARQL engine to fall back on.
    assert info["rdflib_sparql_loaded"] is False
    # RDF 1.2 triple terms: Oxigraph evaluates them; rdflib's SPARQL engine cannot parse them.
    outcome = run(
        pool,
        "SELECT (isTRIPLE(<<( <http://a> <http://b> <http://c> )>>) AS ?t) {}",
        accept="text/csv",
    )
    assert outcome.body.split() == [b"t", b"true"]


# ------------------------------------------------------------------------------------------
# Caps


def test_row_cap_truncates_to_a_valid_document(data_dir):
    with started(data_dir, max_result_rows=2, query_workers=1) as pair:
        for accept, parser in [
            (None, "json"),
            ("application/sparql-results+xml", "xml"),
            ("text/csv", "csv"),
            ("text/tab-separated-values", "tsv"),
        ]:
            outcome = run(pair, f"SELECT * {{ ?s <{EX}name> ?n }}", accept=accept)
            assert (outcome.rows, outcome.truncated) == (2, True)
            assert len(_select_rows(outcome, parser)) == 2
        exact = run(pair, f"SELECT * {{ <{EX}a> ?p ?o }} LIMIT 2")
        assert (exact.rows, exact.truncated) == (2, False)
        for accept, fmt in GRAPH_FORMATS:
            outcome = run(pair, "CONSTRUCT WHERE { ?s ?p ?o }", accept=accept)
            assert (outcome.rows, outcome.truncated) == (2, True)
            assert len(triples_of(outcome, fmt)) == 2


def test_byte_cap_cuts_at_a_row_boundary(tmp_path):
    lines = [f'<{EX}s{i}> <{EX}label> "{"x" * 40} {i}" .' for i in range(200)]
    (tmp_path / "big.nt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with started(tmp_path, max_result_bytes=2048, query_workers=1) as pair:
        for accept in ("application/sparql-results+xml", "text/csv"):
            outcome = run(pair, "SELECT * { ?s ?p ?o }", accept=accept)
            assert outcome.truncated and 0 < outcome.rows < 200 and len(outcome.body) <= 2048
            assert len(_select_rows(outcome, "xml" if "xml" in accept else "csv")) == outcome.rows
        outcome = run(pair, "CONSTRUCT WHERE { ?s ?p ?o }", accept="application/rdf+xml")
        assert outcome.truncated and len(outcome.body) <= 2048
        assert len(triples_of(outcome, ox.RdfFormat.RDF_XML)) == outcome.rows


# ------------------------------------------------------------------------------------------
# Timeouts, crashes and a busy pool


def _gone(pid: int) -> bool:
    """Exited: reaped, or a zombie waiting for pid 1 (orphans of a dead zygote)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_timeout_kills_the_worker_while_others_answer(data_dir):
    with started(data_dir, query_timeout=1, query_workers=2) as (executor, loop):
        pids_before = executor.worker_pids()

        async def scenario():
            start = time.monotonic()
            burn = asyncio.ensure_future(executor.run(QueryJob(BURN)))
            await asyncio.sleep(0.2)
            point = await executor.run(QueryJob(POINT))
            point_done = time.monotonic() - start
            with pytest.raises(QueryTimeout, match="1 s limit"):
                await burn
            return point, point_done, time.monotonic() - start

        point, point_done, burn_done = loop(scenario())
        assert point.rows == 1 and point_done < 0.9 < burn_done
        assert 0.9 < burn_done < 3
        killed = set(pids_before) - set(executor.worker_pids())
        assert len(killed) == 1
        time.sleep(0.1)
        assert _gone(killed.pop())
        assert run((executor, loop), POINT).rows == 1
        deadline = time.monotonic() + 2
        while len(executor.worker_pids()) < 2 and time.monotonic() < deadline:
            loop(asyncio.sleep(0.02))
        assert len(executor.worker_pids()) == 2


def test_cancelled_query_stops_its_worker(data_dir):
    with started(data_dir, query_timeout=20, query_workers=1) as (executor, loop):
        [pid] = executor.worker_pids()

        async def scenario():
            task = asyncio.ensure_future(executor.run(QueryJob(BURN)))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        loop(scenario())
        time.sleep(0.1)
        assert _gone(pid)
        assert run((executor, loop), POINT).rows == 1


def test_busy_pool_has_a_bounded_queue(data_dir):
    with started(data_dir, query_timeout=1, query_workers=1, max_waiting=1) as (executor, loop):

        async def scenario():
            burn = asyncio.ensure_future(executor.run(QueryJob(BURN)))
            await asyncio.sleep(0.1)
            waiting = asyncio.ensure_future(executor.run(QueryJob(POINT)))
            await asyncio.sleep(0.05)
            with pytest.raises(Overloaded):
                await executor.run(QueryJob(POINT))
            with pytest.raises(QueryTimeout):
                await burn
            return await waiting

        assert loop(scenario()).rows == 1


def test_worker_death_mid_query_is_reported_and_replaced(data_dir):
    """What the OOM killer (or a crash) does to a worker: the query fails at once, not at the
    timeout, and a new worker takes over."""
    with started(data_dir, query_timeout=10, query_workers=1) as (executor, loop):
        [pid] = executor.worker_pids()

        async def scenario():
            start = time.monotonic()
            burn = asyncio.ensure_future(executor.run(QueryJob(BURN)))
            await asyncio.sleep(0.2)
            os.kill(pid, signal.SIGSEGV)
            with pytest.raises(EngineFailed, match="replaced"):
                await burn
            return time.monotonic() - start

        assert loop(scenario()) < 2
        assert run((executor, loop), POINT).rows == 1
        assert executor.worker_pids() != [pid]


def test_deep_query_past_the_guard_does_not_crash_the_worker(pool):
    """The worker evaluates on a thread with a large stack: 10,000 nested groups parse."""
    executor, loop = pool
    pids = executor.worker_pids()
    deep = "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000
    assert loop(executor.past_the_guard(QueryJob(deep))).rows == 1
    assert executor.worker_pids() == pids


def _kill_the_zygote(executor: Embedded) -> int:
    """SIGKILL the zygote and wait until its workers have followed it (PDEATHSIG); its pid."""
    zygote, workers = executor.zygote_pid, executor.worker_pids()
    os.kill(zygote, signal.SIGKILL)
    deadline = time.monotonic() + 3
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers)
    return zygote


def _recovered(executor: Embedded, loop: Loop, answered: QueryOutcome | None = None) -> None:
    """Query until the pool answers again (queries meeting a dead worker fail meanwhile), then
    wait for its two workers: a dead worker's successor may still be forking."""
    deadline = time.monotonic() + 10
    while answered is None and time.monotonic() < deadline:
        try:
            answered = run((executor, loop), POINT)
        except EngineFailed:
            loop(asyncio.sleep(0.05))
    assert answered is not None and answered.rows == 1
    while len(executor.worker_pids()) != 2 and time.monotonic() < deadline:
        loop(asyncio.sleep(0.05))
    assert len(executor.worker_pids()) == 2


def test_zygote_death_reloads_the_dataset(data_dir, caplog):
    """If the zygote dies (its workers die with it), a new one loads the dataset again, and the
    log says how it ended."""
    with started(data_dir, query_workers=2) as (executor, loop):
        zygote = _kill_the_zygote(executor)
        _recovered(executor, loop)
        assert executor.zygote_pid not in (0, zygote)
    assert "the query engine's zygote was killed by SIGKILL; reloading" in caplog.text


def test_a_worker_replaced_while_the_zygote_reloads_waits_for_it(data_dir):
    """A dead worker found while a new zygote is loading asks for its successor only once that
    zygote is ready: asking earlier read the zygote's socket beside the restart, took its reader
    and left the restart waiting for ever (queries then failed as Overloaded)."""
    with started(data_dir, query_workers=2, query_timeout=2) as (executor, loop):
        pool = executor.pool
        zygote = _kill_the_zygote(executor)

        async def dead_worker_found_during_the_reload() -> QueryOutcome:
            pool._zygote_lost()
            while pool.zygote_pid in (0, zygote):  # the new zygote is starting
                await asyncio.sleep(0.001)
            pool._replace(next(iter(pool._workers)))
            return await executor.run(QueryJob(POINT))

        try:
            answered = loop(dead_worker_found_during_the_reload())
        except EngineFailed:  # the other dead worker, met first: the pool recovers after it
            answered = None
        _recovered(executor, loop, answered)


def test_closing_with_a_fork_request_unanswered_is_quiet(data_dir, capfd):
    """A query killed at its timeout asks the zygote for a successor; closing the engine before
    the answer is read resets the zygote's socket, which it takes as the end, with no traceback."""
    with started(data_dir, query_workers=1, query_timeout=0.5) as pair:
        with pytest.raises(QueryTimeout):
            run(pair, BURN)
    time.sleep(0.3)
    assert "Traceback" not in capfd.readouterr().err


def test_worker_killed_while_idle_is_replaced(pool):
    executor, loop = pool
    for pid in executor.worker_pids():
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    assert run(pool, POINT).rows == 1
    assert run(pool, POINT).rows == 1


def test_close_stops_every_process_even_with_another_executor_alive(pool, data_dir):
    other, _ = pool  # alive all along: its sockets must not keep this executor's processes up
    assert other.worker_pids()
    with started(data_dir, query_workers=2) as (executor, loop):
        zygote, workers = executor.zygote_pid, executor.worker_pids()
        start = time.monotonic()
    assert time.monotonic() - start < 0.5
    time.sleep(0.1)
    assert all(_gone(pid) for pid in [zygote, *workers])


def test_worker_retires_when_its_private_memory_grows(data_dir):
    """A worker whose copy-on-write pages have become private hands over to a fresh fork."""
    policy = WorkerPolicy(private_bytes=0, check_every=1)
    with started(data_dir, policy=policy, query_workers=1) as (executor, loop):
        seen = set()
        for _ in range(3):
            [pid] = executor.worker_pids()
            seen.add(pid)
            assert run((executor, loop), POINT).rows == 1
            deadline = time.monotonic() + 2
            while executor.worker_pids() in ([], [pid]) and time.monotonic() < deadline:
                loop(asyncio.sleep(0.01))
        assert len(seen) == 3
    with started(data_dir, query_workers=1) as (executor, loop):  # the default keeps its worker
        [pid] = executor.worker_pids()
        for _ in range(300):
            run((executor, loop), POINT)
        assert executor.worker_pids() == [pid]
        assert loop(executor.worker_info())["private_dirty"] < 64 * 1024 * 1024


def test_a_query_over_check_after_makes_its_worker_check_and_quick_ones_do_not(data_dir):
    """Between the periodic checks, only a query that used `check_after` seconds makes the worker
    read its private memory (smaps_rollup costs about 7 ms with a big store mapped)."""
    lazy = WorkerPolicy(private_bytes=0, check_after=0.0, check_every=10**9)
    with started(data_dir, policy=lazy, query_workers=1) as (executor, loop):
        [pid] = executor.worker_pids()
        assert run((executor, loop), POINT).rows == 1  # it used some CPU: checked, and retires
        deadline = time.monotonic() + 2
        while executor.worker_pids() in ([], [pid]) and time.monotonic() < deadline:
            loop(asyncio.sleep(0.01))
        assert executor.worker_pids() not in ([], [pid])
    patient = WorkerPolicy(private_bytes=0, check_after=60.0, check_every=10**9)
    with started(data_dir, policy=patient, query_workers=1) as (executor, loop):
        [pid] = executor.worker_pids()
        for _ in range(20):
            run((executor, loop), POINT)
        assert executor.worker_pids() == [pid]


def test_memory_hungry_query_fails_cleanly(tmp_path):
    """A worker's address space is capped: a sort that outgrows it kills the worker, not the
    machine; the client gets EngineFailed quickly and the pool recovers."""
    lines = [f'<{EX}s{i}> <{EX}p> "v{i}" .' for i in range(2000)]
    (tmp_path / "g.nt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    policy = WorkerPolicy(memory_bytes=150 * 1024 * 1024)
    with started(tmp_path, policy=policy, query_timeout=20, query_workers=1) as pair:
        start = time.monotonic()
        with pytest.raises(EngineFailed):
            run(pair, "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f")
        assert time.monotonic() - start < 10
        assert run(pair, f"ASK {{ <{EX}s1> ?p ?o }}").body.endswith(b"true}")


def test_workers_volunteer_to_the_oom_killer(pool):
    executor, _ = pool
    for pid in executor.worker_pids():
        assert Path(f"/proc/{pid}/oom_score_adj").read_text().strip() == "1000"


def test_load_error_is_reported_and_leaves_no_process(tmp_path):
    (tmp_path / "broken.ttl").write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    executor = WorkerPool([(tmp_path, None)], Settings())
    loop = Loop()
    try:
        with pytest.raises(LoadError, match="broken.ttl"):
            loop(executor.start())
    finally:
        loop.close()
    assert executor.zygote_pid == 0


# ------------------------------------------------------------------------------------------
# Hostile queries: 4xx or the timeout, never a hang or a crash


def test_deep_nesting_refused(pool):
    with pytest.raises(QueryRefused, match="nested too deeply"):
        run(pool, "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000)
    with pytest.raises(QueryRefused, match="nested too deeply"):
        run(pool, "SELECT * { FILTER(" + "!" * 10_000 + "true) }")
    assert run(pool, "SELECT * WHERE " + "{" * 50 + "}" * 50).rows == 1


def test_large_query_is_guarded_in_the_worker_not_the_event_loop(pool):
    executor, _ = pool
    padding = "# the word service in a comment; insert nothing\n" * 20_000  # ~1 MB
    refused = "SELECT * { ?s ?p ?o \n" + padding + " SERVICE <http://example.org/sparql> { } }"
    start = time.perf_counter()
    assert executor.check(refused) is False  # too long for the event loop: left to the worker
    assert time.perf_counter() - start < 0.02
    with pytest.raises(QueryRefused, match="SERVICE is not allowed"):
        run(pool, refused)
    with pytest.raises(UpdateForbidden):
        run(pool, "ASK {} ;\n" + padding + "DROP ALL")
    assert run(pool, "ASK {}\n" + padding).body.endswith(b"true}")


def test_lone_surrogates_are_a_syntax_error(pool):
    with pytest.raises(QuerySyntaxError, match="not valid Unicode"):
        run(pool, 'SELECT * { ?s ?p "\udc80" }')
    executor, loop = pool  # the worker itself copes too
    with pytest.raises(QuerySyntaxError, match="not valid Unicode"):
        loop(executor.past_the_guard(QueryJob('SELECT * { ?s ?p "\udc80" }')))
    assert run(pool, POINT).rows == 1


def test_catastrophic_regex_is_linear(pool):
    subject = "a" * 5000 + "!"
    start = time.monotonic()
    outcome = run(pool, f'ASK {{ FILTER(REGEX("{subject}", "^(a+)+$")) }}')
    assert b"false" in outcome.body and time.monotonic() - start < 1
