"""Do the query workers of `coopkg serve --store` share the store's memory? (issue "Scale")

Serves the shipped graph plus N synthetic triples from an on-disk store (`coopkg load`, as
bench/suite.py builds it), sends every competency query and random point lookups for a few rounds
so that every query worker has read the store, then reads each process's
/proc/PID/smaps_rollup: RSS, PSS (a shared page divided among its sharers), shared and private
pages. The same queries are then answered by one plain process that opens the same store
read-only itself: if each worker held a copy of what that process holds, the tree's PSS would
be about that much per worker.

    .venv/bin/python bench/memory_share.py --triples 1000000 --query-workers 2
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coopkg.catalogue import load_catalogue  # noqa: E402
from generate import cooperative_iri, ensure_graph  # noqa: E402
from http_bench import find_tool, free_port, process_tree  # noqa: E402
from suite import JSON_RESULTS, POINT, SCRATCH, build_store, coopkg_env, server  # noqa: E402

FIELDS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty")
# One process answering the same requests from the same store (argv: store, requests file).
ALONE = """
import json, sys, pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
for text in json.load(open(sys.argv[2])):
    r = store.query(text)
    if not isinstance(r, bool) and type(r).__name__ != "QueryBoolean":
        for _ in r:
            pass
print(open("/proc/self/smaps_rollup").read())
"""


def rollup(text: str) -> dict[str, int]:
    """KiB fields of an smaps_rollup, in bytes."""
    out = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in FIELDS:
            out[name] = int(rest.split()[0]) * 1024
    return out


def role(p: int, server_pid: int) -> str:
    """The server spawns the zygote, which forks the query workers."""
    if p == server_pid:
        return "coopkg serve"
    ppid = int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return "zygote" if ppid == server_pid else "query worker"


def requests(rounds: int, points: int, cooperatives: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(rounds):
        texts += [ex.query for ex in load_catalogue()]
        texts += [
            POINT.format(s=cooperative_iri(rng.randrange(cooperatives))) for _ in range(points)
        ]
    return texts


def measure(args: argparse.Namespace) -> dict:
    store_dir = build_store(args.triples, args)
    _, meta = ensure_graph(args.triples, args.seed)
    texts = requests(args.rounds, args.points, meta["cooperatives"] - 1, args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [find_tool("coopkg") or "coopkg", "serve", "--store", str(store_dir), "--port", str(port)]
    cmd += ["--query-workers", str(args.query_workers), "--timeout", "30"]
    with server(cmd, base + "/sparql", SCRATCH / "memory-share.log", coopkg_env()) as pid:
        with httpx.Client(timeout=60) as client:
            for text in texts:
                client.get(
                    f"{base}/sparql", params={"query": text}, headers={"Accept": JSON_RESULTS}
                )
        tree = []
        for p in process_tree(pid):
            try:
                tree.append(
                    {
                        "pid": p,
                        "role": role(p, pid),
                        **rollup(Path(f"/proc/{p}/smaps_rollup").read_text()),
                    }
                )
            except OSError:
                continue
    plan = SCRATCH / "memory-share-requests.json"
    plan.write_text(json.dumps(texts))
    done = subprocess.run(
        [sys.executable, "-c", ALONE, str(store_dir), str(plan)],
        capture_output=True,
        text=True,
        check=True,
    )
    bare = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pyoxigraph, coopkg; print(open('/proc/self/smaps_rollup').read())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "triples": args.triples,
        "query_workers": args.query_workers,
        "requests": len(texts),
        "tree": tree,
        "one_process": rollup(done.stdout),
        "bare_interpreter": rollup(bare.stdout),
    }


def render(r: dict) -> str:
    mib = 1024 * 1024
    rows = [
        f"Shipped graph + {r['triples']:,} synthetic triples, "
        f"`--query-workers {r['query_workers']}`, {r['requests']:,} requests "
        "(every competency query and point lookups), MiB:",
        "",
        "| process | RSS | PSS | shared | private |",
        "|---|---|---|---|---|",
    ]

    def row(name: str, m: dict) -> str:
        shared = m.get("Shared_Clean", 0) + m.get("Shared_Dirty", 0)
        private = m.get("Private_Clean", 0) + m.get("Private_Dirty", 0)
        cells = [m["Rss"], m["Pss"], shared, private]
        return f"| {name} | " + " | ".join(f"{c / mib:.0f}" for c in cells) + " |"

    rows += [row(f"`{p['role']}` ({p['pid']})", p) for p in r["tree"]]
    total = {k: sum(p.get(k, 0) for p in r["tree"]) for k in FIELDS}
    rows.append(row("**the tree**", total))
    rows.append(row("one process answering the same requests from the store", r["one_process"]))
    rows.append(row("a bare interpreter (pyoxigraph and coopkg imported)", r["bare_interpreter"]))
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, default=1_000_000)
    p.add_argument("--query-workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--points", type=int, default=200, help="point lookups per round")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--load-timeout", type=float, default=1800.0)
    p.add_argument("--out", type=Path, default=None, help="folder for memory-share.md and .json")
    args = p.parse_args(argv)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    result = measure(args)
    text = render(result)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "memory-share.json").write_text(json.dumps(result, indent=2) + "\n")
        (args.out / "memory-share.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
