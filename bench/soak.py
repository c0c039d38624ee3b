"""Soak run: coopkg serve under a steady mixed load for N minutes, on loopback.

One `coopkg serve` holds the shipped graph (ontology/ + data/, the default graph their union, as
`make serve` serves it) plus a synthetic registry (bench/generate.py). wrk drives it at 16
connections with a shuffled mix of requests: SPARQL point lookups on random cooperatives, every
competency query of queries/ (coopkg.catalogue), and /id/ pages of random cooperatives in Turtle
and in HTML. A warm-up comes first; the server's memory (PSS of its process tree) is read after
the warm-up, every 30 s, and at the end. The run is bounded by time (-d) and by request count
(--max-requests); it fails (exit 1) on any error (non-2xx, socket error, timeout) or when the
memory at the end is more than 10 % above the memory after the warm-up.

    python bench/soak.py                     # 10 minutes, 1M synthetic triples
    python bench/soak.py --minutes 1 --triples 100000

Why wrk and not an asyncio httpx client: on a 2-core machine the client shares the cores with the
server; wrk costs a few percent of a core at these rates where a Python client would take most of
one and become the bottleneck, and it counts every socket error, timeout and non-2xx status.
Bodies are checked once per kind of request by a probe (httpx) before the load starts.

Results: bench/results/soak.md and bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coopkg.catalogue import load_catalogue  # noqa: E402
from generate import cooperative_iri, ensure_graph  # noqa: E402
from http_bench import (  # noqa: E402
    ROOT,
    CoopkgServer,
    find_tool,
    local_path,
    machine_busy_seconds,
    machine_notes,
    tree_memory_bytes,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LUA = HERE / "soak.lua"
JSON_RESULTS = "application/sparql-results+json"
POINT = "SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}"


def build_plan(cooperatives: int, size: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, Accept, path) triples: 40 % point lookups, 20 % competency queries, 20 % Turtle
    pages, 20 % HTML pages, shuffled."""
    rng = random.Random(seed)
    catalogue = load_catalogue()
    plan = []
    for i in range(size):
        coop = cooperative_iri(rng.randrange(cooperatives - 1))
        slot = i % 10
        if slot < 4:
            q = POINT.format(s=coop)
            plan.append(("point", JSON_RESULTS, "/sparql?query=" + quote(q, safe="")))
        elif slot < 6:
            ex = catalogue[rng.randrange(len(catalogue))]
            accept = "text/turtle" if ex.returns_graph else JSON_RESULTS
            plan.append(("competency", accept, "/sparql?query=" + quote(ex.query, safe="")))
        elif slot < 8:
            plan.append(("turtle", "text/turtle", "/id/" + local_path(coop)))
        else:
            plan.append(("html", "text/html", "/id/" + local_path(coop)))
    rng.shuffle(plan)
    return plan


def probe(base: str, plan: list[tuple[str, str, str]]) -> dict[str, str]:
    """One request of each kind (and every competency query once): status and size."""
    seen: dict[str, str] = {}
    bad = []
    with httpx.Client(timeout=60.0) as client:
        for kind, accept, path in plan:
            key = kind if kind != "competency" else path
            if key in seen:
                continue
            r = client.get(base + path, headers={"Accept": accept})
            seen[key] = f"{r.status_code} {len(r.content)} B"
            if r.status_code != 200:
                bad.append(f"{kind} {path[:80]} -> {r.status_code}")
    if bad:
        raise SystemExit("probe failed:\n" + "\n".join(bad))
    return seen


def run_wrk(base: str, plan_file: Path, seconds: float, max_requests: int, conns: int) -> dict:
    wrk = find_tool("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing (apt-get install -y wrk)")
    threads = 2
    cmd = [wrk, "-t", str(threads), "-c", str(conns), "-d", f"{seconds:.0f}s",
           "--timeout", "60s", "-s", str(LUA), base, "--",
           str(plan_file), str(max(0, max_requests // threads))]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    for line in done.stdout.splitlines():
        if line.startswith("SOAKJSON "):
            return json.loads(line[len("SOAKJSON ") :])
    raise SystemExit(f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}{done.stderr}")


class MemorySampler(threading.Thread):
    def __init__(self, pid: int, every: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.start_time = time.monotonic()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self.samples.append(
                (round(time.monotonic() - self.start_time, 1), tree_memory_bytes(self.pid))
            )


def settle_memory(pid: int, seconds: float = 3.0) -> int:
    """PSS of the tree once the load has stopped and retiring workers have been replaced."""
    time.sleep(seconds)
    return tree_memory_bytes(pid)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="length of the soak (default 10)")
    p.add_argument("--warmup", type=float, default=30.0, help="seconds of warm-up (default 30)")
    p.add_argument("--triples", type=int, default=1_000_000, help="synthetic triples added")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--max-requests", type=int, default=5_000_000, help="bound on the requests")
    p.add_argument("--plan-size", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=RESULTS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    graph, meta = ensure_graph(args.triples, args.seed)
    plan = build_plan(meta["cooperatives"], args.plan_size, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    plan_file = HERE / "out" / "soak-plan.tsv"
    plan_file.write_text("".join(f"{a}\t{p}\n" for _, a, p in plan), encoding="utf-8")
    server = CoopkgServer(
        graph,
        ["--union-default-graph", str(ROOT / "ontology"), str(ROOT / "data")],
        name="soak-coopkg",
    )
    server.start()
    try:
        assert server.proc is not None
        pid = server.proc.pid
        probes = probe(server.base, plan)
        loaded = tree_memory_bytes(pid)
        warm = run_wrk(server.base, plan_file, args.warmup, 0, args.connections)
        after_warmup = settle_memory(pid)
        sampler = MemorySampler(pid, 30.0)
        sampler.start()
        busy0, t0 = machine_busy_seconds(), time.monotonic()
        cpu0 = server.cpu_seconds()
        soak = run_wrk(
            server.base, plan_file, args.minutes * 60, args.max_requests, args.connections
        )
        wall = time.monotonic() - t0
        server_cpu = server.cpu_seconds() - cpu0
        others = max(0.0, machine_busy_seconds() - busy0 - server_cpu) / wall
        sampler.stop.set()
        at_end = settle_memory(pid)
        alive = server.proc.poll() is None
    finally:
        server.stop()
    errors = sum(soak[k] for k in ("connect", "read", "write", "status", "timeout"))
    growth = at_end / after_warmup - 1
    result = {
        "machine": machine_notes()[0],
        "version": server.version,
        "triples": args.triples,
        "minutes": args.minutes,
        "connections": args.connections,
        "mix": "40 % SPARQL point lookups, 20 % competency queries, 20 % /id/ Turtle, 20 % HTML",
        "probes": probes,
        "warmup": warm,
        "soak": soak,
        "errors": errors,
        "server_alive_at_end": alive,
        "memory_loaded": loaded,
        "memory_after_warmup": after_warmup,
        "memory_at_end": at_end,
        "memory_growth": growth,
        "memory_samples": sampler.samples,
        "server_cpu_cores": server_cpu / wall,
        "other_processes_cores": others,
    }
    (args.out / "soak.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "soak.md").write_text(render(result), encoding="utf-8")
    print(render(result))
    return 0 if errors == 0 and alive and growth <= 0.10 else 1


def render(r: dict) -> str:
    s = r["soak"]
    secs = s["duration_us"] / 1e6
    mib = 2**20
    samples = ", ".join(f"{t:.0f} s: {m / mib:.0f}" for t, m in r["memory_samples"])
    ok = "met" if r["errors"] == 0 and r["server_alive_at_end"] else "NOT met"
    mem_ok = "met" if r["memory_growth"] <= 0.10 else "NOT met"
    kinds = ", ".join(f"{k} {s[k]}" for k in ("status", "connect", "read", "write", "timeout"))
    memory = " / ".join(
        f"{r[k] / mib:.0f}" for k in ("memory_loaded", "memory_after_warmup", "memory_at_end")
    )
    rows = [
        ("requests", f"{s['requests']:,} in {secs:.0f} s ({s['requests'] / secs:,.0f}/s)", ""),
        (
            "latency p50 / p99 / max",
            f"{s['p50_us'] / 1e3:.1f} / {s['p99_us'] / 1e3:.1f} / {s['max_us'] / 1e3:.0f} ms",
            "",
        ),
        (f"errors ({kinds})", str(r["errors"]), f"0: {ok}"),
        ("memory, PSS of the tree: loaded / after warm-up / at end", f"{memory} MiB", ""),
        (
            "growth at end vs after warm-up",
            f"{100 * r['memory_growth']:+.1f} %",
            f"≤ 10 %: {mem_ok}",
        ),
        (
            "CPU: server / other processes on the machine",
            f"{r['server_cpu_cores']:.2f} / {r['other_processes_cores']:.2f} cores",
            "",
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    return f"""# Soak run

{r["machine"]}; {r["version"]}.
Shipped graph + {r["triples"]:,} synthetic triples; {r["connections"]} connections (wrk, 2
threads); {r["mix"]}; {r["minutes"]:g} minutes after a warm-up.

| figure | value | target |
|---|---|---|
{table}

Memory every 30 s (MiB): {samples}.

Reproduce: `.venv/bin/python bench/soak.py --minutes {r["minutes"]:g} --triples {r["triples"]}`
"""


if __name__ == "__main__":
    sys.exit(main())
