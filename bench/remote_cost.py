"""What going through coopkg costs in front of an external engine, before and after a change, in
one run: the same requests sent to `oxigraph serve` directly, through `coopkg serve
--sparql-backend` from this checkout, and (with --before REF) through the coopkg of another
commit, alternated request by request.

    .venv/bin/python bench/remote_cost.py --before main   # 1M triples, 20 lookups, 41 queries
    .venv/bin/python bench/remote_cost.py --concurrency 8 # also 8 clients at once

The engine is `oxigraph serve` in memory, loaded by `coopkg push` plus the synthetic registry in
the pushed default graph (as bench/suite.py's external part). Two direct baselines: `direct`
carries the dataset coopkg used to spell out on every request (`default-graph-uri` and every
`named-graph-uri`, as bench/suite.py does); `direct-lean` the one coopkg sends now (the named
graphs only when the query says `graph`), so that what coopkg itself adds is not flattered by
the engine doing less. coopkg's result cache is off (`COOPKG_CACHE_ENTRIES=0`): every request
reaches the engine. Median of --reps per request and side, after one warm-up; "added" is through
minus direct. Requests whose direct answer takes over 50 ms are also summarised apart.
Writes bench/results/<out>/remote-cost.md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from statistics import median

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coopkg.files import GRAPH_DIRS  # noqa: E402
from generate import ensure_graph  # noqa: E402
from http_bench import ROOT, checkout_version, find_tool, free_port, machine_notes  # noqa: E402
from suite import (  # noqa: E402
    DEFAULT_GRAPH,
    RESULTS,
    SCRATCH,
    _engine_graphs,
    coopkg_env,
    external_requests,
    push_engine,
    server,
)

_RUN_COOPKG = "import sys; sys.path.insert(0, sys.argv.pop(1)); from coopkg.cli import main; main()"


def export_commit(ref: str, into: Path) -> Path:
    """The package (and the files it reads) of commit `ref`, unpacked under `into`."""
    archive = subprocess.run(
        ["git", "archive", ref, "pyproject.toml", "endpoint", *GRAPH_DIRS],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "endpoint"


def coopkg_cmd(package_dir: Path | None, port: int, backend: str, timeout: float) -> list[str]:
    args = ["serve", "--port", str(port), "--sparql-backend", backend, "--timeout", f"{timeout:g}"]
    if package_dir is None:
        coopkg = find_tool("coopkg")
        assert coopkg
        return [coopkg, *args]
    return [sys.executable, "-c", _RUN_COOPKG, str(package_dir), *args]


Params = Callable[[str], dict]


def lean_dataset(named: list[str]) -> Params:
    """The dataset coopkg sends since it lists the named graphs only for queries that could
    reach them (coopkg.query.remote): the default graph alone unless the query says `graph`."""

    def params(text: str) -> dict:
        if "graph" in text.lower() or "\\u" in text.lower():
            return {"default-graph-uri": DEFAULT_GRAPH, "named-graph-uri": named}
        return {"default-graph-uri": DEFAULT_GRAPH}

    return params


def sequential(
    client: httpx.Client,
    sides: dict[str, tuple[str, Params]],
    text: str,
    accept: str,
    reps: tuple[int, int],
) -> dict:
    """Median seconds per side, the sides alternated request by request after one warm-up;
    `reps`: how many, and how many for a request that took over a second."""

    def get(url: str, params: Params) -> float:
        t = time.perf_counter()
        r = client.get(url, params={"query": text, **params(text)}, headers={"Accept": accept})
        r.raise_for_status()
        return time.perf_counter() - t

    times: dict[str, list[float]] = {name: [] for name in sides}
    count = reps[0]
    try:
        for url, params in sides.values():
            if get(url, params) > 1.0:
                count = reps[1]
        for _ in range(count):
            for name, (url, params) in sides.items():
                times[name].append(get(url, params))
    except (httpx.HTTPStatusError, httpx.TimeoutException) as exc:
        return {"error": str(exc)[:200]}
    return {name: median(values) for name, values in times.items()}


async def concurrent(
    url: str, params: Params, texts: list[str], clients: int, seconds: float
) -> dict:
    """Requests per second and median latency with `clients` keep-alive clients at once."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one(i: int) -> None:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                query = texts[i % len(texts)]
                r = await client.get(
                    url,
                    params={"query": query, **params(query)},
                    headers={"Accept": "application/sparql-results+json"},
                )
                r.raise_for_status()
                latencies.append(time.perf_counter() - t)
                i += clients

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return {"rps": len(latencies) / elapsed, "p50_ms": 1000 * median(latencies)}


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


BIG_MS = 50  # a request whose direct answer takes longer is counted apart: big results


def summarise(rows: dict[str, dict], sides: list[str], baselines: list[str]) -> dict:
    """Per group (point lookups; competency queries; the big ones among them), for each coopkg
    side and each direct baseline: the median of the per-request added ms, and how many requests
    added under 1 ms."""
    ok = {k: r for k, r in rows.items() if "error" not in r}
    groups = {
        "point lookups": [r for k, r in ok.items() if k.startswith("point-")],
        "competency queries": [r for k, r in ok.items() if not k.startswith("point-")],
        f"competency queries over {BIG_MS} ms direct": [
            r for k, r in ok.items() if not k.startswith("point-") and r["direct"] > BIG_MS / 1000
        ],
    }
    out: dict[str, dict] = {}
    for group, items in groups.items():
        if not items:
            continue
        out[group] = {"n": len(items)}
        for base in baselines:
            out[group][base] = {"ms": 1000 * median(r[base] for r in items)}
            for side in sides:
                added = [1000 * (r[side] - r[base]) for r in items]
                out[group][base][side] = {
                    "added_ms": median(added),
                    "under_1ms": sum(a < 1 for a in added),
                }
    return out


def report(result: dict, sides: list[str], baselines: list[str]) -> str:
    lines = [
        f"# Going through coopkg to an external engine ({result['triples']:,} triples)",
        "",
        f"coopkg {result['version']} (after); before: {result.get('before') or '-'}; "
        f"load average {result['load_before']} before, {result['load_after']} after",
        "",
        "| group | n | baseline | its median ms | "
        + " | ".join(f"{s}: added ms (n < 1 ms)" for s in sides)
        + " |",
        "|---|---|---|---|" + "---|" * len(sides),
    ]
    for group, g in result["summary"].items():
        for base in baselines:
            b = g[base]
            cells = " | ".join(f"{b[s]['added_ms']:+.2f} ({b[s]['under_1ms']})" for s in sides)
            lines.append(f"| {group} | {g['n']} | {base} | {b['ms']:.2f} | {cells} |")
    names = baselines + sides
    lines += ["", "| request | " + " | ".join(f"{n} ms" for n in names) + " |"]
    lines.append("|---|" + "---|" * len(names))
    for key, r in result["queries"].items():
        if "error" in r:
            lines.append(f"| {key} | error: {r['error']} |")
            continue
        lines.append(f"| {key} | " + " | ".join(f"{1000 * r[n]:.2f}" for n in names) + " |")
    if result.get("concurrent"):
        lines += ["", "| point lookups, concurrent clients | req/s | p50 ms |", "|---|---|---|"]
        for name, c in result["concurrent"].items():
            lines.append(f"| {name} | {c['rps']:.0f} | {c['p50_ms']:.2f} |")
    lines += ["", *machine_notes()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--points", type=int, default=20)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--slow-reps", type=int, default=1, help="reps of a request over 1 s")
    p.add_argument("--before", help="a git ref whose coopkg is measured beside this checkout's")
    p.add_argument("--only", help="only requests whose key contains this (e.g. point, 28-)")
    p.add_argument("--concurrency", type=int, default=0, help="also N clients at once")
    p.add_argument("--seconds", type=float, default=10, help="per concurrent measurement")
    p.add_argument("--query-timeout", type=float, default=10)
    p.add_argument("--out", default="remote-cost")
    args = p.parse_args(argv)

    graph, meta = ensure_graph(args.triples, args.seed)
    requests = external_requests(args.points, meta["cooperatives"], args.seed)
    if args.only:
        requests = [r for r in requests if args.only in r[0]]
    oxigraph = find_tool("oxigraph")
    assert oxigraph
    SCRATCH.mkdir(exist_ok=True)
    ox_port = free_port()
    ox_base = f"http://127.0.0.1:{ox_port}"
    ox_cmd = [oxigraph, "serve", "--bind", f"127.0.0.1:{ox_port}", "--timeout-s", "10"]
    packages: dict[str, Path | None] = {"after": None}
    result: dict = {"triples": args.triples, "version": checkout_version(), "before": args.before}
    with ExitStack() as stack:
        if args.before:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coopkg-before-")))
            packages = {"before": export_commit(args.before, tmp), "after": None}
        stack.enter_context(server(ox_cmd, ox_base + "/query", SCRATCH / "remote-oxigraph.log"))
        push_engine(ox_base, graph)
        urls: dict[str, str] = {}
        for name, package in packages.items():
            port = free_port()
            cmd = coopkg_cmd(package, port, ox_base + "/query", args.query_timeout)
            log = SCRATCH / f"remote-coopkg-{name}.log"
            urls[name] = f"http://127.0.0.1:{port}/sparql"
            stack.enter_context(server(cmd, urls[name], log, coopkg_env()))
        client = stack.enter_context(httpx.Client(timeout=120))
        named = _engine_graphs(client, ox_base + "/query")
        full = {"default-graph-uri": DEFAULT_GRAPH, "named-graph-uri": named}
        sides: dict[str, tuple[str, Params]] = {
            "direct": (ox_base + "/query", lambda _text: full),
            "direct-lean": (ox_base + "/query", lean_dataset(named)),
            **{name: (url, lambda _text: {}) for name, url in urls.items()},
        }
        result["load_before"] = load_average()
        rows = {}
        for key, text, accept in requests:
            rows[key] = sequential(client, sides, text, accept, (args.reps, args.slow_reps))
            print(key, {k: round(1000 * v, 2) for k, v in rows[key].items() if k != "error"})
        result["queries"] = rows
        if args.concurrency:
            points = [text for key, text, _ in requests if key.startswith("point-")]
            result["concurrent"] = {
                name: asyncio.run(concurrent(url, params, points, args.concurrency, args.seconds))
                for name, (url, params) in sides.items()
            }
        result["load_after"] = load_average()
    names, baselines = list(packages), ["direct", "direct-lean"]
    result["summary"] = summarise(result["queries"], names, baselines)
    out = RESULTS / args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "remote-cost.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    text = report(result, names, baselines)
    (out / "remote-cost.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
