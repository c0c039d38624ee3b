"""A local endpoint: the SPARQL endpoint a notebook or a script talks to.

`endpoint()` answers the endpoint's URL. Where the environment variable `COOPKG_ENDPOINT` names
one (`https://…/sparql`, a public deployment or a server already running), that is the answer
and nothing is started. Otherwise it starts `coopkg serve` in a subprocess on a free port of
127.0.0.1 (on the shipped graph, or on the paths given), waits until the server answers
`ASK {}`, and stops it when the interpreter exits (or when `stop()` is called). A second call
returns the same server, so every cell of a notebook asks the same one.

`LocalEndpoint` is the same server as a context manager, for tests and scripts that want it
stopped at the end of a block::

    with LocalEndpoint(["ontology", "data/copy.trig"]) as url:
        ...

This module only starts a process: it imports neither the web application nor the query
engine, and uses the standard library alone (the server is probed with urllib).
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["ENDPOINT_VARIABLE", "LocalEndpoint", "endpoint", "free_port", "server_root", "stop"]

ENDPOINT_VARIABLE = "COOPKG_ENDPOINT"
"""The environment variable naming the SPARQL endpoint to use instead of a local server."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def server_root(url: str) -> str:
    """The server's root URL for an endpoint URL: `http://h:p/sparql` → `http://h:p`. The
    linked-data pages of a resource live under that root (`{root}/id/organisation/ica`)."""
    return url.rstrip("/").removesuffix("/sparql")


def _answers(url: str, timeout: float = 2.0) -> bool:
    probe = url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    try:
        with urllib.request.urlopen(probe, timeout=timeout) as response:  # noqa: S310 (http)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class LocalEndpoint:
    """`coopkg serve PATHS` on a free port of 127.0.0.1, from start to stop.

    `paths` replace the shipped graph (files or folders, as for `coopkg serve`); `cwd` is where
    relative paths are read from. The server's output goes to a temporary file (a pipe nobody
    reads would fill up and block it) and is shown in the error when it fails to start."""

    def __init__(
        self,
        paths: Sequence[str | Path] = (),
        *,
        cwd: str | Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.paths = tuple(str(p) for p in paths)
        self.cwd = cwd
        self.startup_timeout = startup_timeout
        self.url: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._output: IO[str] | None = None

    def start(self) -> str:
        """Start the server (once) and answer the URL of its SPARQL endpoint."""
        if self.url is not None:
            return self.url
        port = free_port()
        command = [sys.executable, "-m", "coopkg.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), *self.paths]
        self._output = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(
            command, cwd=self.cwd, stdout=self._output, stderr=subprocess.STDOUT, text=True
        )
        url = f"http://127.0.0.1:{port}/sparql"
        deadline = time.monotonic() + self.startup_timeout
        while not _answers(url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                output = self._read_output()
                self.stop()
                raise RuntimeError(f"`coopkg serve` did not start ({' '.join(command)}):\n{output}")
            time.sleep(0.1)
        self.url = url
        return url

    def _read_output(self) -> str:
        if self._output is None:
            return ""
        self._output.seek(0)
        return self._output.read()

    def stop(self) -> None:
        """Stop the server, if it runs; answer at once when it never started."""
        process, self._process, self.url = self._process, None, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


_shared: LocalEndpoint | None = None


def endpoint(paths: Sequence[str | Path] = ()) -> str:
    """The SPARQL endpoint's URL: `COOPKG_ENDPOINT` where it is set, else a local server started
    on first use (on `paths`, or the shipped graph) and stopped when the interpreter exits."""
    global _shared
    configured = os.environ.get(ENDPOINT_VARIABLE, "").strip()
    if configured:
        return configured
    if _shared is None:
        _shared = LocalEndpoint(paths)
        atexit.register(_shared.stop)
    return _shared.start()


def stop() -> None:
    """Stop the server `endpoint()` started, if any (a configured endpoint is left alone)."""
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None
