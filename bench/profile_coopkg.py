"""Where coopkg's time goes under load: py-spy samples every coopkg process while wrk drives one
of the benchmark's queries, then a breakdown by process and by function is printed.

    .venv/bin/pip install py-spy                       # once
    .venv/bin/python bench/profile_coopkg.py           # point lookups, 1M triples, 16 connections
    .venv/bin/python bench/profile_coopkg.py --query join --seconds 15 --top 25

py-spy samples only frames that are running (not idle waits), so the shares below are shares of the
CPU time of each process. py-spy itself takes some CPU on the same two cores (it runs with
--nonblocking, so it never pauses the server). Native frames (Rust inside pyoxigraph, the C of
uvloop and httptools) are shown with --native; without it their time lands on the Python
function that called them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import OUT_DIR, cooperative_iri, ensure_graph  # noqa: E402
from http_bench import LUA, QUERIES, CoopkgServer, find_tool, write_plan  # noqa: E402


def _frame_name(frame: str) -> str:
    """'handle (coopkg/sparql.py:123)' -> 'handle (coopkg/sparql.py)': group by function."""
    name, _, where = frame.partition(" (")
    if not where:
        return frame
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/endpoint/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def analyse(raw: Path, top: int) -> str:
    per_process: Counter[str] = Counter()
    self_time: dict[str, Counter[str]] = defaultdict(Counter)
    inclusive: dict[str, Counter[str]] = defaultdict(Counter)
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        process = "?"
        if frames and frames[0].startswith("process "):
            process = frames[0].split(":", 1)[0]
            cmd = frames[0].split(":", 1)[1] if ":" in frames[0] else ""
            process = f"{process} {cmd.strip(chr(34))[:60]}"
            frames = frames[1:]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        per_process[process] += n
        self_time[process][_frame_name(frames[-1])] += n
        for name in {_frame_name(f) for f in frames}:
            inclusive[process][name] += n
    out = []
    total = sum(per_process.values()) or 1
    out.append("samples by process (share of all samples):")
    for process, n in per_process.most_common():
        out.append(f"  {n / total:6.1%}  {n:7d}  {process}")
    for process, n in per_process.most_common():
        if n < 0.02 * total:
            continue
        out.append("")
        out.append(f"== {process}: top functions by self time (share of this process)")
        for name, k in self_time[process].most_common(top):
            out.append(f"  {k / n:6.1%}  {name}")
        out.append(f"== {process}: top functions by inclusive time")
        for name, k in inclusive[process].most_common(top):
            out.append(f"  {k / n:6.1%}  {name}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--triples", type=int, default=1_000_000)
    p.add_argument("--query", default="point", choices=[q.key for q in QUERIES])
    p.add_argument("-c", "--connections", type=int, default=16)
    p.add_argument("--seconds", type=float, default=12.0, help="seconds of sampling")
    p.add_argument("--rate", type=int, default=250, help="samples per second")
    p.add_argument("--native", action="store_true", help="include native frames")
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--coopkg-args", default="")
    args = p.parse_args(argv)
    pyspy, wrk = find_tool("py-spy"), shutil.which("wrk")
    if pyspy is None or wrk is None:
        print("needs py-spy (.venv/bin/pip install py-spy) and wrk (apt-get install -y wrk)",
              file=sys.stderr)
        return 2
    graph, meta = ensure_graph(args.triples)
    subjects = [cooperative_iri(i) for i in range(max(1, meta["cooperatives"] - 1))]
    query = next(q for q in QUERIES if q.key == args.query)
    server = CoopkgServer(graph, args.coopkg_args.split())
    raw = OUT_DIR / f"profile-{args.query}.txt"
    try:
        server.start()
        plan = OUT_DIR / "plan-profile.txt"
        write_plan(plan, server, query, subjects)
        duration = args.seconds + 4
        load = subprocess.Popen(
            [wrk, "-t2", f"-c{args.connections}", f"-d{duration:g}s", "--latency", "-s", str(LUA),
             server.base, "--", str(plan)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        time.sleep(2)  # let the load settle
        cmd = [pyspy, "record", "--pid", str(server.proc.pid), "--subprocesses", "--nonblocking",
               "--rate", str(args.rate), "--duration", str(int(args.seconds)), "--format", "raw",
               "--output", str(raw)]
        if args.native:
            cmd.append("--native")
        subprocess.run(cmd, capture_output=True, timeout=args.seconds + 60)
        out, _ = load.communicate(timeout=duration + 60)
        rps = next((ln for ln in out.splitlines() if ln.startswith("Requests/sec")), "?")
        print(f"coopkg, query {args.query!r}, {args.connections} connections: {rps.strip()} "
              "(while sampled)")
    finally:
        server.stop()
    print(analyse(raw, args.top))
    print(f"\nraw stacks: {raw} (flamegraph.pl or speedscope can read them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
