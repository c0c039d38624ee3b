"""What running a query in a worker process costs, next to calling pyoxigraph in process.

    .venv/bin/python bench/executor_overhead.py [--triples 100000] [--seconds 3]

Prints the median time of a point lookup (SELECT, answered as SPARQL JSON) done directly on a
pyoxigraph store, through the guard alone, and through `QueryRunner.run` over the worker pool one
at a time, without the lookup lane (the per-query cost of the process hop: framing, pickling, two
socket hops and two wake-ups), then the throughput with 16 queries in flight on the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import uvloop
from coopkg.config import Settings
from coopkg.query import QueryJob
from coopkg.query.guard import check_query
from coopkg.query.pool import WorkerPool
from coopkg.query.runner import QueryRunner

EX = "http://example.org/"


def point(i: int) -> str:
    return f"SELECT ?p ?o WHERE {{ <{EX}s{i}> ?p ?o }}"


def timed(fn, seconds: float) -> list[float]:
    samples, end = [], time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
        i += 1
    return samples


async def executor_figures(path: Path, n: int, seconds: float, workers: int) -> tuple[list, float]:
    settings = Settings(query_workers=workers)
    executor = QueryRunner(WorkerPool([(path, None)], settings), settings)
    await executor.start()
    try:
        for i in range(200):  # warm up
            await executor.run(QueryJob(point(i % n)))
        samples, end, i = [], time.perf_counter() + seconds, 0
        while time.perf_counter() < end:
            start = time.perf_counter()
            await executor.run(QueryJob(point(i % n)))
            samples.append(time.perf_counter() - start)
            i += 1
        done = 0
        end = time.perf_counter() + seconds

        async def client(k: int) -> None:
            nonlocal done
            j = k
            while time.perf_counter() < end:
                await executor.run(QueryJob(point(j % n)))
                done += 1
                j += 16

        start = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(16)))
        return samples, done / (time.perf_counter() - start)
    finally:
        await executor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n = args.triples // 4
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.nt"
        with path.open("w", encoding="utf-8") as out:
            for i in range(n):
                for k in range(4):
                    out.write(f'<{EX}s{i}> <{EX}p{k}> "value {i} {k}" .\n')
        store = ox.Store()
        store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        fmt = ox.QueryResultsFormat.JSON

        def direct(i: int) -> None:
            store.query(point(i % n)).serialize(format=fmt)

        def guarded(i: int) -> None:
            check_query(point(i % n))
            store.query(point(i % n)).serialize(format=fmt)

        rows = [
            ("pyoxigraph in process", timed(direct, args.seconds)),
            ("guard + pyoxigraph in process", timed(guarded, args.seconds)),
        ]
        samples, throughput = uvloop.run(executor_figures(path, n, args.seconds, args.workers))
        rows.append((f"QueryRunner.run, {args.workers} workers, one at a time", samples))
        base = statistics.median(rows[0][1])
        print(f"point lookup on {4 * n} triples, median of each:")
        for label, values in rows:
            med = statistics.median(values)
            print(f"  {label:52} {med * 1e6:8.1f} µs  (+{(med - base) * 1e6:.1f} µs)")
        print(f"  QueryRunner, 16 in flight: {throughput:,.0f} queries/s")


if __name__ == "__main__":
    main()
