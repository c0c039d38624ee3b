"""Where a query's time goes inside coopkg's remote engine (coopkg.query.remote), piece by piece,
in one process against a real `oxigraph serve` holding the shipped graph and the synthetic
registry (as bench/remote_cost.py): the HTTP client (httpx against coopkg.query.engine_client,
the same form body), what the dataset parameters cost the engine, and the CPU of each step
coopkg adds (guard, dataset, encoding, parse, serialise).

    .venv/bin/python bench/remote_parts.py                  # 1M triples, 400 point lookups

Medians of each step over the same random point lookups; CPU-only steps are timed with timeit
(best of 3). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import timeit
from pathlib import Path
from statistics import median
from urllib.parse import quote_plus

import httpx
from pyoxigraph import QueryResultsFormat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coopkg.catalogue import load_catalogue  # noqa: E402
from coopkg.config import Settings  # noqa: E402
from coopkg.formats import negotiate  # noqa: E402
from coopkg.query import QueryJob  # noqa: E402
from coopkg.query.engine_client import EngineClient  # noqa: E402
from coopkg.query.guard import check_in_server, scan_query  # noqa: E402
from coopkg.query.remote import RemoteEngine  # noqa: E402
from coopkg.query.results import Limits, serialise  # noqa: E402
from generate import cooperative_iri, ensure_graph  # noqa: E402
from http_bench import find_tool, free_port  # noqa: E402
from suite import DEFAULT_GRAPH, POINT, SCRATCH, push_engine, server  # noqa: E402

SRX = "application/sparql-results+xml"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": SRX}


async def timed(fn, queries: list[str]) -> float:  # noqa: ANN001
    """Median ms of `await fn(query)` over the queries."""
    times = []
    for query in queries:
        start = time.perf_counter()
        await fn(query)
        times.append(time.perf_counter() - start)
    return 1000 * median(times)


def cpu(fn, n: int = 2000) -> float:  # noqa: ANN001
    """Best-of-3 µs of `fn()`."""
    return 1e6 * min(timeit.repeat(fn, number=n, repeat=3)) / n


def _missing_import() -> None:
    try:
        import sniffio  # noqa: F401 (httpcore tries this on every lock; absent here)
    except ImportError:
        pass


async def measure(url: str, queries: list[str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    engine = RemoteEngine(url, Settings())
    await engine.start()
    job = QueryJob(queries[0], "application/sparql-results+json")
    named = engine._dataset_form.with_named  # noqa: SLF001 (what is measured)
    default = engine._dataset_form.default_only  # noqa: SLF001
    full = {
        "default-graph-uri": [DEFAULT_GRAPH],
        "named-graph-uri": list(engine._info.named_graphs),
    }  # type: ignore[union-attr]  # noqa: SLF001, E501
    lean = EngineClient(url, max_connections=4)
    async with httpx.AsyncClient() as client:

        async def via_httpx(query: str) -> bytes:
            body = b"query=" + quote_plus(query).encode() + default
            return (await client.post(url, content=body, headers=FORM)).content

        async def via_httpx_dict(query: str) -> bytes:  # what coopkg did before
            response = await client.post(url, data={"query": query, **full}, headers=FORM)
            return response.content

        def via_lean(dataset: bytes):  # noqa: ANN202
            async def post(query: str) -> bytes:
                body = b"query=" + quote_plus(query).encode() + dataset
                return (await lean.post_form(body, SRX, 1 << 26)).body

            return post

        formats = negotiate("application/sparql-results+json", None)

        async def run(query: str) -> object:
            return await engine.run(QueryJob(query, "application/sparql-results+json"), formats)

        for _ in range(2):  # the second round is reported: connections warm
            ms = {
                "httpx, form dict with every named graph (coopkg before)": await timed(
                    via_httpx_dict, queries
                ),
                "httpx, same body as below (default graph only)": await timed(via_httpx, queries),
                "engine_client, default graph only": await timed(via_lean(default), queries),
                "engine_client, default graph + every named graph": await timed(
                    via_lean(named), queries
                ),
                "engine_client, no dataset parameters": await timed(via_lean(b""), queries),
                "RemoteEngine.run, whole (coopkg now)": await timed(run, queries),
            }
        rows += [(name, f"{value:.3f} ms") for name, value in ms.items()]
        answer = await engine._send(engine._base + queries[0], default, SRX)  # noqa: SLF001
        limits = Limits(100_000, 64 << 20)
        query = queries[0]
        steps = {
            "guard: check_in_server": lambda: check_in_server(query),
            "guard: scan_query to the operation": lambda: scan_query(query, until_operation=True),
            "dataset parameters (now: precomputed bytes)": lambda: engine._dataset(job),  # noqa: SLF001
            "httpx build_request with every named graph (before)": lambda: client.build_request(
                "POST", url, data={"query": query, **full}, headers=FORM
            ),
            "form body (now: quote_plus of the query)": lambda: (
                b"query=" + quote_plus(query).encode() + default
            ),
            "a failed `import sniffio` (httpcore: 4 a request)": _missing_import,
            "parse the engine's SPARQL XML": lambda: list(engine._parse(answer, "SELECT")),  # noqa: SLF001
            "parse + serialise as SPARQL JSON": lambda: serialise(
                engine._parse(answer, "SELECT"),  # noqa: SLF001
                formats,
                limits,
            ),
        }
        rows += [(name, f"{cpu(fn):.1f} µs") for name, fn in steps.items()]
        rows += await big_result(engine, client, url, formats, limits)
    await lean.close()
    await engine.close()
    return rows


async def big_result(engine, client, url, formats, limits) -> list[tuple[str, str]]:  # noqa: ANN001
    """A big answer (queries/28: one row per synthetic site, 41k at 1M triples): the engine's
    time to answer it directly as SPARQL JSON and as SPARQL XML, and the CPU coopkg spends
    turning the XML into the client's JSON (the floor: pyoxigraph straight from XML to JSON)."""
    ex = next(e for e in load_catalogue() if e.slug.startswith("28-"))
    job = QueryJob(ex.query)
    dataset = engine._dataset(job)  # noqa: SLF001
    body = b"query=" + quote_plus(ex.query).encode() + dataset
    rows = []
    for accept in ("application/sparql-results+json", SRX):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            answer = await client.post(url, content=body, headers={**FORM, "Accept": accept})
            times.append(time.perf_counter() - start)
        rows.append((f"28, {accept} straight from the engine ({len(answer.content):,} B)", times))
    answer = await engine._send(engine._base + ex.query, dataset, SRX)  # noqa: SLF001
    results = list(engine._parse(answer, "SELECT"))  # noqa: SLF001
    steps = {
        f"28 ({len(results):,} rows): parse the SPARQL XML": lambda: list(
            engine._parse(answer, "SELECT")  # noqa: SLF001
        ),
        "28: parse + serialise as SPARQL JSON (coopkg, with its caps)": lambda: serialise(
            engine._parse(answer, "SELECT"),  # noqa: SLF001
            formats,
            limits,
        ),
        "28: XML straight to JSON (the floor of any re-serialisation)": lambda: engine._parse(
            answer, "SELECT"
        ).serialize(format=QueryResultsFormat.JSON),  # noqa: SLF001
    }
    out = [(name, f"{1000 * min(times):.1f} ms (best of 3)") for name, times in rows]
    return out + [(name, f"{cpu(fn, 3) / 1000:.1f} ms") for name, fn in steps.items()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, default=1_000_000)
    p.add_argument("--points", type=int, default=400)
    args = p.parse_args(argv)
    graph, meta = ensure_graph(args.triples)
    rng = random.Random(7)
    queries = [
        POINT.format(s=cooperative_iri(rng.randrange(meta["cooperatives"] - 1)))
        for _ in range(args.points)
    ]
    oxigraph = find_tool("oxigraph")
    assert oxigraph
    SCRATCH.mkdir(exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [oxigraph, "serve", "--bind", f"127.0.0.1:{port}"]
    with server(cmd, base + "/query", SCRATCH / "remote-parts-oxigraph.log"):
        push_engine(base, graph)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        rows = asyncio.run(measure(base + "/query", queries))
    print(f"load average {load}; {args.triples:,} triples; {args.points} point lookups\n")
    print("| step | median |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
