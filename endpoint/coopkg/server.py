"""Running the application under uvicorn (uvloop + httptools), in one or several HTTP processes.

The dataset is loaded once, here, before any thread exists (coopkg.query.preload): each HTTP
process forks its zygote from it, and their lookup lanes read it, so every process shares one copy.

Several processes: the parent binds one listening socket, sets TCP_NODELAY on it (accepted
connections inherit it; `uvicorn --workers` loses it and every keep-alive answer then waits for the
delayed ACK, uvicorn issue #3149), and forks the HTTP processes before any thread or event loop
exists. Each process runs its own lifespan (its own query engine and result cache) and accepts from
the shared socket; the parent only supervises: it replaces a process that dies and stops them all
on SIGTERM or SIGINT.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys

import uvicorn

from .answers import PreparedAnswers
from .config import Settings
from .connection import guarded_protocol
from .dataset import LoadError
from .query.preload import Preloaded, preload
from .web import create_app

__all__ = ["bind_socket", "serve"]


def _config(settings: Settings, preloaded: Preloaded | None) -> uvicorn.Config:
    # One process's prepared answers: recorded by the application, replayed by the connection.
    answers = PreparedAnswers(settings.cache_entries, settings.cache_max_bytes)
    return uvicorn.Config(
        create_app(settings, answers=answers, preloaded=preloaded),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=guarded_protocol(settings, answers),
        log_level="warning",
        access_log=False,
        backlog=2048,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_child(settings: Settings, sock: socket.socket, preloaded: Preloaded | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        if preloaded is not None:
            preloaded.fork_zygote(settings, close=(sock.fileno(),))
        uvicorn.Server(_config(settings, preloaded)).run(sockets=[sock])
    finally:
        os._exit(0)


def serve(settings: Settings) -> int:
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"coopkg: {url}/  SPARQL endpoint {url}/sparql  query editor {url}/query",
        file=sys.stderr,
        flush=True,
    )
    try:
        preloaded = preload(settings)  # before any thread: every process forked shares it
    except LoadError as exc:
        print(f"coopkg: the dataset could not be loaded: {exc}", file=sys.stderr)
        return 1
    if settings.http_workers == 1:
        if preloaded is not None:
            preloaded.fork_zygote(settings)
        uvicorn.Server(_config(settings, preloaded)).run()
        return 0
    return _supervise(settings, preloaded)


def _supervise(settings: Settings, preloaded: Preloaded | None) -> int:
    """Fork `http_workers` HTTP processes on one socket; replace any that dies."""
    sock = bind_socket(settings.host, settings.port)
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        gc.freeze()  # the inherited heap stays shared: no collector in a child walks it
        pid = os.fork()
        if pid == 0:
            _run_child(settings, sock, preloaded)
        children.add(pid)

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(settings.http_workers):
        spawn()
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        children.discard(pid)
        if not stopping:
            code = os.waitstatus_to_exitcode(status)
            print(f"coopkg: HTTP process {pid} ended ({code}); starting another", file=sys.stderr)
            spawn()
    sock.close()
    return 0
