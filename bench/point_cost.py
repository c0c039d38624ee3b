"""CPU per uncached point lookup in the HTTP process, without sockets, wrk or other processes.

The application is started in process (uvicorn in a thread, as tests/test_immediate.py does); then
the connection's protocol (coopkg.connection) is fed whole GET requests, one after the other, by a
fake transport that keeps what is written: the path of an uncached lookup answered by the
connection (coopkg.web.immediate), from the parsed head to the written answer. Each request is the
benchmark's point lookup (bench/http_bench.py: a random cooperative, a LIMIT numbered per request).
The figure is the thread's CPU time per request, the third best of ten rounds: the machine is
shared, and the best rounds are the least disturbed.

    .venv/bin/python bench/point_cost.py                    # 1M triples (made if missing)
    .venv/bin/python bench/point_cost.py --query deref-html # an uncached page instead
    COOPKG_CACHE_ENTRIES=0 .venv/bin/python bench/point_cost.py   # nothing kept
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coopkg.answers import PreparedAnswers  # noqa: E402
from coopkg.config import Settings  # noqa: E402
from coopkg.connection import guarded_protocol  # noqa: E402
from coopkg.local import free_port  # noqa: E402
from coopkg.web import create_app  # noqa: E402
from generate import cooperative_iri, ensure_graph  # noqa: E402
from http_bench import PREFIXES, QUERIES, local_path  # noqa: E402


class _Transport(asyncio.Transport):
    """Takes what the protocol writes; counts it."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.writes = 0
        self.last = b""

    def write(self, data: Any) -> None:
        self.writes += 1
        self.last = bytes(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", self.port), "peername": ("127.0.0.1", 1)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--triples", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument(
        "--query",
        default="point",
        choices=[q.key for q in QUERIES if q.kind in ("point", "deref")],
        help="the benchmark's uncached request to cost (default: the point lookup)",
    )
    args = parser.parse_args()
    graph, meta = ensure_graph(args.triples, 1)
    settings = Settings(graph_paths=(graph,), query_workers=1)
    answers = PreparedAnswers(settings.cache_entries, settings.cache_max_bytes)
    port = free_port()
    protocol = guarded_protocol(settings, answers)
    config = uvicorn.Config(
        create_app(settings, answers=answers),
        host="127.0.0.1",
        port=port,
        http=protocol,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started or answers.immediate is None:
        time.sleep(0.1)
    try:
        transport = _Transport(port)
        connection = protocol(
            config=config,
            server_state=server.server_state,
            app_state={},
            _loop=asyncio.new_event_loop(),
        )
        connection.connection_made(transport)
        query = next(q for q in QUERIES if q.key == args.query)
        rng = random.Random(1)
        requests = []
        for i in range(args.requests + 200):
            subject = cooperative_iri(rng.randrange(meta["cooperatives"]))
            if query.path:
                target = query.path.replace("__S__", local_path(subject))
            else:
                text = query.text.replace("__S__", subject).replace("__N__", str(10**9 + i))
                target = f"/sparql?query={quote(PREFIXES + text, safe='')}"
            requests.append(
                f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Accept: {query.accept}\r\n\r\n".encode()
            )
        for request in requests[:200]:  # warm up
            connection.data_received(request)
        assert transport.last.startswith(b"HTTP/1.1 200 OK"), transport.last[:200]
        rounds = []
        size = args.requests // 10
        for r in range(10):
            batch = requests[200 + r * size : 200 + (r + 1) * size]
            started = time.thread_time()
            for request in batch:
                connection.data_received(request)
            rounds.append((time.thread_time() - started) / len(batch))
        assert transport.writes == 200 + 10 * size, "every request answered by the connection"
    finally:
        server.should_exit = True
    rounds.sort()
    print(
        f"{rounds[2] * 1e6:.1f} µs of CPU per uncached {query.title} (third best of 10 rounds of "
        f"{size}; best {rounds[0] * 1e6:.1f}, median {rounds[5] * 1e6:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
