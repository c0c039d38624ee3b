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
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import OUT_DIR, cooperative_iri, ensure_graph  # noqa: E402
from http_bench import (  # noqa: E402
    LUA,
    QUERIES,
    CoopkgServer,
    find_tool,
    process_tree,
    write_plan,
)


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


_PROCESSES = re.compile(r'^((?:process \d+:"[^"]*";)+)(.*)$')
# Frames where a process waits for work (py-spy may still count them): reported apart.
WAITING = ("SocketIO.readinto", "_read_frame", "select", "epoll")


def analyse(raw: Path, top: int, cpu: dict[int, float]) -> str:
    """Shares of samples by process and by function. A stack starts with the chain of processes
    (server, zygote, worker); the last one is the process the stack belongs to."""
    per_process: Counter[int] = Counter()
    names: dict[int, str] = {}
    self_time: dict[int, Counter[str]] = defaultdict(Counter)
    inclusive: dict[int, Counter[str]] = defaultdict(Counter)
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        match = _PROCESSES.match(stack)
        if not match or not count.isdigit():
            continue
        chain = re.findall(r'process (\d+):"([^"]*)"', match.group(1))
        pid = int(chain[-1][0])
        if len(chain) >= 3:  # every query worker in one bucket: they come and go (retirement)
            pid, names[0] = 0, "query workers (all)"
        else:
            names[pid] = f"{'zygote' if len(chain) == 2 else 'HTTP server'} {pid}"
        frames = [f for f in match.group(2).split(";") if f and not f.startswith("thread ")]
        if not frames:
            continue
        n = int(count)
        per_process[pid] += n
        self_time[pid][_frame_name(frames[-1])] += n
        for name in {_frame_name(f) for f in frames}:
            inclusive[pid][name] += n
    out = ["CPU seconds by process while sampled (from /proc) and py-spy samples:"]
    for pid, n in per_process.most_common():
        waiting = sum(k for name, k in self_time[pid].items() if name.startswith(WAITING))
        seconds = f"{cpu[pid]:6.2f} s" if pid in cpu else "   (n/a)"
        out.append(
            f"  {names[pid]:28s} cpu {seconds}   samples {n:6d} "
            f"({waiting / n:.0%} of them in waits: {', '.join(WAITING[:2])})"
        )
    for pid, n in per_process.most_common():
        busy = n - sum(k for name, k in self_time[pid].items() if name.startswith(WAITING))
        if busy <= 0:
            continue
        out.append("")
        out.append(f"== {names[pid]}: self time, share of its non-waiting samples")
        for name, k in self_time[pid].most_common(top + 3):
            if not name.startswith(WAITING):
                out.append(f"  {k / busy:6.1%}  {name}")
        out.append(f"== {names[pid]}: inclusive time, share of its non-waiting samples")
        for name, k in inclusive[pid].most_common(top):
            out.append(f"  {k / busy:6.1%}  {name}")
    return "\n".join(out)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1


def _cpu_by_pid(root: int) -> dict[int, float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _user_system(server: CoopkgServer) -> tuple[float, float] | None:
    """(user, system) CPU seconds of the server's cgroup so far, where it has one."""
    account = server._account
    if account is None:
        return None
    try:
        fields = dict(
            line.split() for line in (account.path / "cpuacct.stat").read_text().splitlines()
        )
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields["user"]) / tick, int(fields["system"]) / tick


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
        print(
            "needs py-spy (.venv/bin/pip install py-spy) and wrk (apt-get install -y wrk)",
            file=sys.stderr,
        )
        return 2
    graph, meta = ensure_graph(args.triples)
    subjects = [cooperative_iri(i) for i in range(max(1, meta["cooperatives"] - 1))]
    query = next(q for q in QUERIES if q.key == args.query)
    server = CoopkgServer(graph, args.coopkg_args.split())
    raw = OUT_DIR / f"profile-{args.query}.txt"
    cpu: dict[int, float] = {}
    try:
        server.start()
        plan = OUT_DIR / "plan-profile.txt"
        write_plan(plan, server, query, subjects)
        duration = args.seconds + 4
        load = subprocess.Popen(
            [
                wrk,
                "-t2",
                f"-c{args.connections}",
                f"-d{duration:g}s",
                "--latency",
                "-s",
                str(LUA),
                server.base,
                "--",
                str(plan),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(2)  # let the load settle
        cmd = [
            pyspy,
            "record",
            "--pid",
            str(server.proc.pid),
            "--subprocesses",
            "--nonblocking",
            "--rate",
            str(args.rate),
            "--duration",
            str(int(args.seconds)),
            "--format",
            "raw",
            "--output",
            str(raw),
        ]
        if args.native:
            cmd.append("--native")
        before, cpu_before = _user_system(server), _cpu_by_pid(server.proc.pid)
        subprocess.run(cmd, capture_output=True, timeout=args.seconds + 60)
        after, cpu_after = _user_system(server), _cpu_by_pid(server.proc.pid)
        cpu = {pid: t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items()}
        if before and after:  # workers that retired meanwhile are only in the cgroup's total
            total = sum(after) - sum(before)
            ours = sum(
                t
                for pid, t in cpu.items()
                if pid == server.proc.pid or _parent(pid) == server.proc.pid
            )
            cpu[0] = total - ours
        out, _ = load.communicate(timeout=duration + 60)
        rps = next((ln for ln in out.splitlines() if ln.startswith("Requests/sec")), "?")
        print(
            f"coopkg, query {args.query!r}, {args.connections} connections: {rps.strip()} "
            "(while sampled)"
        )
        if before and after:
            user, system = after[0] - before[0], after[1] - before[1]
            print(
                f"CPU of all coopkg processes while sampled: user {user:.1f} s, system "
                f"{system:.1f} s ({system / max(user + system, 1e-9):.0%} in the kernel)"
            )
    finally:
        server.stop()
    print(analyse(raw, args.top, cpu))
    print(f"\nraw stacks: {raw} (flamegraph.pl or speedscope can read them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
