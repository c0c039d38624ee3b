"""Shared fixtures. Servers are real: `coopkg serve` in a subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from coopkg.dataset import DatasetInfo
from coopkg.errors import EngineFailed
from coopkg.local import free_port
from rdflib import Dataset, URIRef

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LEAK = "http://example.org/leak"


def burn_query(patterns: int) -> str:
    """A cross join no engine can shortcut: every triple to the power `patterns`. Over a few dozen
    triples, six patterns are far more than a second of work."""
    joins = " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(patterns))
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {joins} }}"


@contextmanager
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets (and answers one N-Triples
    statement about LEAK): the endpoint must never call it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            hits.append(self.path)
            body = f"<{LEAK}> <{LEAK}> <{LEAK}> .\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/n-triples")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *_args: object) -> None:
            pass

    with handler_server(Handler) as url:
        yield url, hits


@contextmanager
def handler_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded stdlib HTTP server on a free 127.0.0.1 port answering with `handler`: a stand-in
    for an engine or a site; yields its base URL, and is stopped whatever happens."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_server(
    *args: str,
    startup_timeout: float = 60.0,
    env: dict | None = None,
    log: Path | None = None,
    workers: int | None = 1,
) -> Iterator[str]:
    """Start `coopkg serve ARGS` on a free port; yield its base URL; stop it afterwards. The
    server's output goes to a file (`log`, or a temporary one), not a pipe nobody reads (a full
    pipe would block the server). One HTTP process unless `workers` says otherwise (None: the
    default): tests that repeat a request read that process's caches."""
    port = free_port()
    if workers is not None and "--workers" not in args:
        args = (*args, "--workers", str(workers))
    cmd = [
        sys.executable,
        "-m",
        "coopkg.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *args,
    ]
    output = open(log, "w+") if log else tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                output.seek(0)
                raise RuntimeError(f"server exited with {proc.returncode}:\n{output.read()}")
            try:
                probe = httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=2)
                if probe.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in time")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        output.close()


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The shipped graph, served with default settings."""
    with running_server() as base:
        yield base


class NoEngine:
    """An engine with no data, for in-process tests of what does not query: every query fails
    with EngineFailed (503)."""

    async def start(self) -> DatasetInfo:
        return DatasetInfo(files=(), etag="0" * 32, quads=0)

    async def run(self, _job, _formats):
        raise EngineFailed("this test application has no query engine")

    async def refresh(self) -> None:
        return None

    async def close(self) -> None:
        pass


@pytest.fixture(scope="module")  # Playwright's sync API holds an event loop while it runs
def browser_context():
    """Debian's Chromium driven by Playwright (skips, saying why, where it is absent)."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian chromium is not installed: run `make browser` (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


def data_subjects() -> dict[URIRef, set]:
    """Every IRI under the base that data/ says something about, with those statements."""
    dataset = Dataset()
    for path in sorted((ROOT / "data").glob("*.trig")):
        dataset.parse(path, format="trig")
    statements: dict[URIRef, set] = {}
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        if isinstance(s, URIRef) and str(s).startswith("https://w3id.org/coops4dev/id/"):
            statements.setdefault(s, set()).add((s, p, o))
    return statements
