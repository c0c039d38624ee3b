"""Real external SPARQL engines for the tests, on free 127.0.0.1 ports in temporary folders: the
Oxigraph server of the PyPI package `oxigraph` (its CLI next to sys.executable) and Virtuoso Open
Source (Debian's `virtuoso-t`, started with an ini of its own). Each comes with `push`, which
loads a dataset into it with `coopkg push`, as a user would."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port

VIRTUOSO_MAX_ROWS = 1000  # ResultSetMaxRows of the test Virtuoso: the shipped graph is larger


@dataclass
class Engine:
    name: str
    query_url: str  # the SPARQL query endpoint, for --sparql-backend
    store_url: str  # the Graph Store endpoint, for coopkg push --to
    proc: subprocess.Popen
    env: dict[str, str]  # what coopkg push needs (credentials)
    serve_env: dict[str, str] = field(default_factory=dict)  # for coopkg serve in front of it

    def push(self, *paths: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "coopkg.cli", "push", "--to", self.store_url, *map(str, paths)],
            cwd=ROOT,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"engine exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"engine at {url} did not start: {log.read_text()[-2000:]}")


def oxigraph_binary() -> str:
    found = Path(sys.executable).with_name("oxigraph")
    if found.exists():
        return str(found)
    which = shutil.which("oxigraph")
    if which is None:
        pytest.fail("the oxigraph CLI is missing: pip install -e '.[test]' installs it")
    return which


@contextmanager
def oxigraph_server(
    folder: Path, *, timeout_s: int | None = None, port: int | None = None, on_disk: bool = False
) -> Iterator[Engine]:
    """`oxigraph serve` in memory (or on disk in `folder`, to survive a restart)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    args = [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}"]
    if on_disk:
        args += ["--location", str(folder / "oxigraph")]
    if timeout_s is not None:
        args += ["--timeout-s", str(timeout_s)]
    log = folder / f"oxigraph-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    engine = Engine("oxigraph", f"{base}/query", f"{base}/store", proc, {})
    try:
        _wait_for(engine.query_url, proc, log)
        yield engine
    finally:
        engine.stop()


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 0
"""


def virtuoso_binary() -> str | None:
    """virtuoso-t, or None (then the tests skip, unless CI or COOPKG_REQUIRE_VIRTUOSO says that
    its absence is a failure)."""
    found = shutil.which("virtuoso-t")
    if found is None and (os.environ.get("CI") or os.environ.get("COOPKG_REQUIRE_VIRTUOSO")):
        pytest.fail(
            "virtuoso-t is missing, and CI / COOPKG_REQUIRE_VIRTUOSO requires the Virtuoso tests "
            "(DEBIAN_FRONTEND=noninteractive apt-get install -y virtuoso-opensource)"
        )
    return found


@contextmanager
def virtuoso_server(folder: Path) -> Iterator[Engine]:
    binary = virtuoso_binary()
    if binary is None:
        pytest.skip(
            "Virtuoso is not installed (Debian package virtuoso-opensource; .ci/run installs it "
            "and there its absence fails)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    http = free_port()
    ini = VIRTUOSO_INI.format(dir=folder, isql=free_port(), http=http, max_rows=VIRTUOSO_MAX_ROWS)
    (folder / "virtuoso.ini").write_text(ini)
    log = folder / "virtuoso.out"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(folder / "virtuoso.ini")],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{http}"
    engine = Engine(
        "virtuoso",
        f"{base}/sparql",
        f"{base}/sparql-graph-crud-auth",
        proc,
        {"COOPKG_PUSH_USER": "dba", "COOPKG_PUSH_PASSWORD": "dba"},
        {"COOPKG_BACKEND_MAX_ROWS": str(VIRTUOSO_MAX_ROWS)},
    )
    try:
        _wait_for(engine.query_url, proc, log)
        yield engine
    finally:
        engine.stop()
