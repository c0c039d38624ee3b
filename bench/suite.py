"""Benchmark suite for big graphs: every figure against its baseline, measured in the same run.

1. load: `coopkg load --store` against `oxigraph load` on the same N-Triples file (triples/s);
2. queries: every competency query (queries/*.rq) on the shipped graph plus a synthetic registry,
   on the pyoxigraph store directly and through `coopkg serve --store` over HTTP, against rdflib's
   own engine (an rdflib Dataset holding the same quads; each query capped at --rdflib-timeout);
3. validation: `coopkg validate` on the shipped graph alone and with synthetic triples added;
4. external engine: the same queries sent to `oxigraph serve` directly and through
   `coopkg serve --sparql-backend` in front of it (median per query, sequential);
5. peak memory of every loader (max RSS) and server (PSS of its process tree).

    python bench/suite.py                                  # 10k and 1M triples (make bench-suite)
    python bench/suite.py --sizes 10000 --parts load,queries
    python bench/suite.py --load-sizes 10000,1000000,10000000

Writes bench/results/suite.md, suite.json and suite.png (with the machine it ran on). Results
already measured are written after each part, so an interrupted run keeps them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coopkg.catalogue import ExampleQuery, load_catalogue  # noqa: E402
from generate import cooperative_iri, ensure_graph  # noqa: E402
from http_bench import (  # noqa: E402
    ROOT,
    checkout_version,
    export_revision,
    find_tool,
    free_port,
    machine_busy_seconds,
    machine_notes,
    tree_memory_bytes,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SCRATCH = HERE / "out"
JSON_RESULTS = "application/sparql-results+json"
DEFAULT_GRAPH = "https://w3id.org/coops4dev/graph/default"
META_GRAPH = "https://w3id.org/coops4dev/graph/meta"
POINT = "SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}"
# Okabe-Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7"]


# ------------------------------------------------------------------------------ processes


def _hwm(pid: int) -> int:
    """Peak RSS of a live process (VmHWM). Not ru_maxrss from wait4: Linux keeps that across
    execve, so a child forked from this (large) process would report this process's peak."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_measured(cmd: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run a command; its wall time, exit status, peak RSS (VmHWM, polled) and output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _hwm(proc.pid))
            if time.perf_counter() > start + timeout:
                proc.kill()
                proc.wait()
                return {"seconds": None, "timeout": timeout, "max_rss": peak}
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return {
            "seconds": seconds,
            "rc": proc.returncode,
            "max_rss": peak,
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace")[-2000:],
        }


def _wait_ready(url: str, proc: subprocess.Popen, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {seconds} s")


@contextmanager
def server(cmd: list[str], url: str, log: Path, env: dict | None = None) -> Iterator[int]:
    """Start a server in its own process group; yield its pid; kill the group at the end."""
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True
        )
    try:
        _wait_ready(url, proc)
        yield proc.pid
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def coopkg_env(**extra: str) -> dict:
    return {**os.environ, "COOPKG_CACHE_ENTRIES": "0", **extra}  # no result cache flatters


# ------------------------------------------------------------------------------ 1. load


def part_load(sizes: list[int], args: argparse.Namespace) -> list[dict]:
    coopkg, oxigraph = find_tool("coopkg"), find_tool("oxigraph")
    assert coopkg and oxigraph, "coopkg and oxigraph must be installed (make install)"
    rows = []
    for n in sizes:
        graph, _ = ensure_graph(n, args.seed)
        row: dict[str, Any] = {"triples": n, "bytes": graph.stat().st_size}
        # Alternate which goes first, so a disturbance does not always fall on the same one.
        order = ["coopkg", "oxigraph"] if len(rows) % 2 == 0 else ["oxigraph", "coopkg"]
        for who in order:
            target = Path(tempfile.mkdtemp(prefix=f"load-{who}-", dir=SCRATCH))
            shutil.rmtree(target)
            if who == "coopkg":
                cmd = [coopkg, "load", "--store", str(target), str(graph)]
            else:
                cmd = [oxigraph, "load", "--location", str(target), "--file", str(graph)]
            busy = machine_busy_seconds()
            res = run_measured(cmd, args.load_timeout)
            res["machine_busy_cores"] = (machine_busy_seconds() - busy) / (res["seconds"] or 1)
            res["disk_bytes"] = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
            shutil.rmtree(target, ignore_errors=True)
            res.pop("stdout", None)
            if res.get("rc"):
                raise RuntimeError(f"{who} load failed: {res['stderr']}")
            res["triples_per_s"] = n / res["seconds"] if res["seconds"] else None
            row[who] = res
            print(f"load {n:,}: {who} {res['seconds']} s", file=sys.stderr)
        c, o = row["coopkg"]["triples_per_s"], row["oxigraph"]["triples_per_s"]
        row["ratio"] = c / o if c and o else None
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ 2. queries


def consume(result: Any) -> int:
    """Iterate a pyoxigraph result to its end; the number of rows or triples."""
    if isinstance(result, bool) or type(result).__name__ == "QueryBoolean":
        return 1
    return sum(1 for _ in result)


def timed(fn, reps: int, budget: float) -> tuple[float, Any]:
    """Median seconds of fn() over up to `reps` runs after one warm-up, within about `budget`."""
    t = time.perf_counter()
    value = fn()
    if time.perf_counter() - t > budget / 2:  # slow: one more run is the measure
        t = time.perf_counter()
        value = fn()
        return time.perf_counter() - t, value
    times: list[float] = []
    spent = 0.0
    while len(times) < reps and (not times or spent < budget):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
        spent += times[-1]
    return median(times), value


def build_store(n: int, args: argparse.Namespace) -> Path:
    """An on-disk store with the shipped graph plus n synthetic triples, by `coopkg load`."""
    graph, _ = ensure_graph(n, args.seed)
    target = SCRATCH / f"suite-store-{n}"
    coopkg = find_tool("coopkg")
    assert coopkg
    for cmd in (
        [coopkg, "load", "--force", "--store", str(target)],
        [coopkg, "load", "--append", "--store", str(target), str(graph)],
    ):
        res = run_measured(cmd, args.load_timeout)
        if res.get("rc"):
            raise RuntimeError(f"{cmd}: {res['stderr']}")
    return target


def _child(conn, fn, reps: int) -> None:  # noqa: ANN001
    try:
        conn.send(timed(fn, reps, 2.0))
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))


def child_time(fn, timeout: float, reps: int) -> dict:  # noqa: ANN001
    """Median seconds of fn() (which returns a row count) in a forked child killed at
    `timeout`: {"seconds", "rows"}, {"timeout"} or {"error"}."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, reps))
    proc.start()
    got = parent.recv() if parent.poll(timeout) else None
    proc.kill()
    proc.join()
    if got is None:
        return {"seconds": None, "timeout": timeout}
    if got[0] == "error":
        return {"seconds": None, "error": got[1]}
    return {"seconds": got[0], "rows": got[1]}


def load_rdflib(store_dir: Path) -> tuple[Any, float, int]:
    """The same quads in an rdflib Dataset (dumped by pyoxigraph as N-Quads, parsed by rdflib)."""
    import pyoxigraph as ox
    import rdflib

    dump = store_dir.with_suffix(".nq")
    ox.Store.read_only(str(store_dir)).dump(str(dump), format=ox.RdfFormat.N_QUADS)
    before = _rss()
    t = time.perf_counter()
    dataset = rdflib.Dataset()
    dataset.parse(str(dump), format="nquads")
    seconds = time.perf_counter() - t
    dump.unlink()
    return dataset, seconds, _rss() - before


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def http_query(client: httpx.Client, url: str, ex: ExampleQuery) -> int:
    accept = "text/turtle" if ex.returns_graph else JSON_RESULTS
    r = client.get(url, params={"query": ex.query}, headers={"Accept": accept})
    r.raise_for_status()
    return len(r.content)


def part_queries(n: int, args: argparse.Namespace) -> dict:
    import pyoxigraph as ox

    catalogue = load_catalogue()
    store_dir = build_store(n, args)
    store = ox.Store.read_only(str(store_dir))
    rows: dict[str, dict] = {ex.slug: {"title": ex.title} for ex in catalogue}
    for ex in catalogue:
        got = child_time(
            lambda ex=ex: consume(store.query(ex.query)), args.query_timeout, args.reps
        )
        rows[ex.slug].update(direct=got["seconds"], rows=got.get("rows"), direct_info=got)
        print(f"store {n:,} {ex.slug}: {got}", file=sys.stderr)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        find_tool("coopkg") or "coopkg",
        "serve",
        "--store",
        str(store_dir),
        "--port",
        str(port),
        "--timeout",
        f"{args.query_timeout:g}",
    ]
    memory = {}
    with server(cmd, base + "/sparql", SCRATCH / "suite-coopkg-store.log", coopkg_env()) as pid:
        with httpx.Client(timeout=120) as client:
            for ex in catalogue:
                try:
                    secs, _ = timed(
                        lambda ex=ex: http_query(client, base + "/sparql", ex), args.reps, 2.0
                    )
                except httpx.HTTPStatusError as exc:
                    secs, rows[ex.slug]["http_error"] = None, exc.response.status_code
                rows[ex.slug]["http"] = secs
        memory["coopkg serve --store (PSS of the tree)"] = tree_memory_bytes(pid)
    out: dict[str, Any] = {"triples": n, "queries": rows, "memory": memory}
    if args.rdflib_timeout > 0 and n <= args.rdflib_max_size:
        dataset, load_s, rss = load_rdflib(store_dir)
        out["rdflib_load_seconds"], memory["rdflib Dataset (RSS growth)"] = load_s, rss
        for ex in catalogue:
            rows[ex.slug]["rdflib"] = child_time(
                lambda ex=ex: len(list(dataset.query(ex.query))), args.rdflib_timeout, 3
            )
            print(f"rdflib {n:,} {ex.slug}: {rows[ex.slug]['rdflib']}", file=sys.stderr)
        del dataset
    else:
        out["rdflib_skipped"] = f"not run above {args.rdflib_max_size:,} triples or with timeout 0"
    shutil.rmtree(store_dir, ignore_errors=True)
    return out


# ------------------------------------------------------------------------------ 3. validation


def validate_once(paths: list[Path], timeout: float, source: Path | None = None) -> dict:
    """`coopkg validate --format json` on the paths; `source`: the package folder of another
    revision (`export_revision`), run from this environment instead of the installed one."""
    if source is None:
        cmd, env = [find_tool("coopkg") or "coopkg"], None
    else:
        cmd, env = [sys.executable, "-m", "coopkg.cli"], {**os.environ, "PYTHONPATH": str(source)}
    uptime = os.getloadavg()[0]
    res = run_measured([*cmd, "validate", "--format", "json", *map(str, paths)], timeout, env)
    out = {k: res.get(k) for k in ("seconds", "timeout", "rc", "max_rss")}
    out["load_average"] = uptime
    try:
        doc = json.loads(res.get("stdout") or "")
        out.update({k: doc.get(k) for k in ("conforms", "triples", "violations", "warnings")})
        messages: dict[str, int] = {}
        for r in doc.get("results", []):
            key = str(r.get("message") or r.get("path") or "?")[:100]
            messages[key] = messages.get(key, 0) + 1
        out["messages"] = dict(sorted(messages.items(), key=lambda kv: -kv[1])[:5])
    except ValueError:
        out["stderr"] = res.get("stderr")
    return out


def part_validation(sizes: list[int], args: argparse.Namespace) -> dict:
    """Validation time against size; with --validate-baseline REV, that revision too, size by
    size in the same run (under "baseline", each capped at --validate-baseline-timeout)."""
    shipped = [ROOT / "ontology", ROOT / "data", ROOT / "shapes"]
    before = export_revision(args.validate_baseline) if args.validate_baseline else None
    cap = args.validate_baseline_timeout or args.validate_timeout
    rows: dict[str, Any] = {"shipped": validate_once(shipped, args.validate_timeout)}
    baseline: dict[str, Any] = {}
    if before is not None:
        baseline["shipped"] = validate_once(shipped, cap, before)
    for n in sizes:
        graph, _ = ensure_graph(n, args.seed)
        rows[str(n)] = validate_once([*shipped, graph], args.validate_timeout)
        print(f"validate +{n:,}: {rows[str(n)].get('seconds')}", file=sys.stderr)
        if before is not None:
            baseline[str(n)] = validate_once([*shipped, graph], cap, before)
            print(
                f"  at {args.validate_baseline}: {baseline[str(n)].get('seconds')}", file=sys.stderr
            )
    if baseline:
        rows = {**rows, "baseline": {"revision": args.validate_baseline, "rows": baseline}}
    return rows


# ------------------------------------------------------------------------------ 4. external engine


def push_engine(base: str, graph: Path) -> None:
    coopkg = find_tool("coopkg") or "coopkg"
    res = run_measured([coopkg, "push", "--to", base + "/store"], 600)
    if res.get("rc"):
        raise RuntimeError(f"coopkg push: {res['stderr']}")
    with graph.open("rb") as fh:  # the synthetic registry joins the pushed default graph
        r = httpx.post(
            base + "/store",
            params={"graph": DEFAULT_GRAPH},
            content=fh,
            headers={"Content-Type": "application/n-triples"},
            timeout=900,
        )
    r.raise_for_status()


def external_requests(n_points: int, cooperatives: int, seed: int) -> list[tuple[str, str, str]]:
    """(key, query, Accept): point lookups on random cooperatives, then every competency query."""
    rng = random.Random(seed)
    out = []
    for i in range(n_points):
        s = cooperative_iri(rng.randrange(cooperatives - 1))
        out.append((f"point-{i}", POINT.format(s=s), JSON_RESULTS))
    for ex in load_catalogue():
        out.append((ex.slug, ex.query, "text/turtle" if ex.returns_graph else JSON_RESULTS))
    return out


def _engine_graphs(client: httpx.Client, url: str) -> list[str]:
    r = client.get(
        url,
        params={"query": "SELECT DISTINCT ?g { GRAPH ?g {} }"},
        headers={"Accept": JSON_RESULTS},
    )
    r.raise_for_status()
    found = [b["g"]["value"] for b in r.json()["results"]["bindings"]]
    return [g for g in found if g not in (DEFAULT_GRAPH, META_GRAPH)]


def part_external(n: int, args: argparse.Namespace) -> dict:
    graph, meta = ensure_graph(n, args.seed)
    oxigraph, coopkg = find_tool("oxigraph"), find_tool("coopkg")
    assert oxigraph and coopkg
    ox_port, ck_port = free_port(), free_port()
    ox_base, ck_base = f"http://127.0.0.1:{ox_port}", f"http://127.0.0.1:{ck_port}"
    ox_cmd = [
        oxigraph,
        "serve",
        "--bind",
        f"127.0.0.1:{ox_port}",
        "--timeout-s",
        f"{args.query_timeout:g}",
    ]
    ck_cmd = [
        coopkg,
        "serve",
        "--port",
        str(ck_port),
        "--sparql-backend",
        ox_base + "/query",
        "--timeout",
        f"{args.query_timeout:g}",
    ]
    requests = external_requests(args.points, meta["cooperatives"], args.seed)
    rows: dict[str, dict] = {}
    with server(ox_cmd, ox_base + "/query", SCRATCH / "suite-oxigraph.log") as ox_pid:
        push_engine(ox_base, graph)
        with (
            server(ck_cmd, ck_base + "/sparql", SCRATCH / "suite-backend.log", coopkg_env()) as ck,
            httpx.Client(timeout=120) as client,
        ):
            named = _engine_graphs(client, ox_base + "/query")
            dataset = {"default-graph-uri": DEFAULT_GRAPH, "named-graph-uri": named}
            for key, text, accept in requests:
                rows[key] = _compare(
                    client,
                    ox_base + "/query",
                    ck_base + "/sparql",
                    text,
                    accept,
                    dataset,
                    args.reps,
                )
            memory = {
                "oxigraph serve, in memory (PSS)": tree_memory_bytes(ox_pid),
                "coopkg serve --sparql-backend (PSS of the tree)": tree_memory_bytes(ck),
            }
    return {"triples": n, "queries": rows, "memory": memory}


def _compare(client, direct, through, text, accept, dataset, reps) -> dict:  # noqa: ANN001
    """Median of direct and through, alternated request by request (one pair only when the
    query takes more than a second; an HTTP error is recorded, not raised)."""

    def get(url: str, params: dict) -> float:
        t = time.perf_counter()
        r = client.get(url, params={"query": text, **params}, headers={"Accept": accept})
        r.raise_for_status()
        return time.perf_counter() - t

    try:
        if get(direct, dataset) > 1.0:
            reps = 1
        get(through, {})
        a, b = [], []
        for _ in range(reps):
            a.append(get(direct, dataset))
            b.append(get(through, {}))
    except (httpx.HTTPStatusError, httpx.TimeoutException) as exc:
        return {"error": str(exc)[:200]}
    return {"direct": median(a), "through": median(b)}


# ------------------------------------------------------------------------------ report


def machine() -> dict:
    import matplotlib
    import pyoxigraph
    import rdflib

    versions = {
        "coopkg": checkout_version(),
        "pyoxigraph": pyoxigraph.__version__,
        "oxigraph CLI": _cli_version("oxigraph"),
        "rdflib": rdflib.__version__,
        "matplotlib": matplotlib.__version__,
    }
    return {"machine": machine_notes()[0], "versions": versions, "date": time.ctime()}


def _cli_version(name: str) -> str:
    exe = find_tool(name)
    if exe is None:
        return "absent"
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default="load,queries,validation,external")
    p.add_argument("--sizes", default="10000,1000000", help="synthetic triples for the queries")
    p.add_argument("--load-sizes", default=None, help="for the load part (default: --sizes)")
    p.add_argument("--validate-sizes", default="10000,100000,1000000")
    p.add_argument("--external-size", type=int, default=None, help="default: largest --sizes")
    p.add_argument("--reps", type=int, default=5, help="repetitions per query (median)")
    p.add_argument("--points", type=int, default=20, help="point lookups (external part)")
    p.add_argument("--rdflib-timeout", type=float, default=5.0, help="0: skip rdflib")
    # rdflib took 63-127 s to parse 1M triples and grew by 1.2 GiB: at 10M it would not finish.
    p.add_argument(
        "--rdflib-max-size", type=int, default=1_000_000, help="no rdflib baseline above this"
    )
    p.add_argument("--query-timeout", type=float, default=10.0, help="store, HTTP and engine")
    p.add_argument("--validate-timeout", type=float, default=600.0)
    p.add_argument("--validate-baseline", default=None, help="a git revision to validate with too")
    p.add_argument("--validate-baseline-timeout", type=float, default=None)
    p.add_argument("--load-timeout", type=float, default=1800.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=RESULTS)
    return p.parse_args(argv)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    from suite_report import plot, render

    args = parse_args(argv)
    parts = args.parts.split(",")
    sizes = _ints(args.sizes)
    args.out.mkdir(parents=True, exist_ok=True)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"machine": machine(), "argv": sys.argv[1:]}
    steps = {
        "load": lambda: part_load(_ints(args.load_sizes or args.sizes), args),
        "queries": lambda: [part_queries(n, args) for n in sizes],
        "validation": lambda: part_validation(_ints(args.validate_sizes), args),
        "external": lambda: part_external(args.external_size or max(sizes), args),
    }
    for part in parts:
        busy, t = machine_busy_seconds(), time.perf_counter()
        result[part] = steps[part]()
        wall = time.perf_counter() - t
        result.setdefault("machine_busy_cores", {})[part] = (machine_busy_seconds() - busy) / wall
        (args.out / "suite.json").write_text(json.dumps(result, indent=2) + "\n")
        (args.out / "suite.md").write_text(render(result))
        plot(result, args.out / "suite.png")
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
