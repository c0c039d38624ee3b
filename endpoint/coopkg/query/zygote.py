"""The zygote: a fresh interpreter that loads the dataset once (or opens the on-disk store
`coopkg load` made, read-only), then only forks query workers.

The server never forks itself (by then it may have threads, and a fork would copy their locks),
so it spawns this program instead. Single-threaded, it loads the dataset
(coopkg.dataset.load_store), moves into new user and network namespaces where the kernel allows
it (then not even Oxigraph's own SERVICE client can reach anything), freezes the garbage
collector, and answers each request for a worker with a fork: the store's memory is shared
copy-on-write, so a fresh worker costs one `fork()` instead of a reload. It passes the server a
socketpair end and a pidfd for each worker (`socket.send_fds`): the server talks to the worker
directly and kills it without racing against pid reuse. Workers die with the zygote
(PR_SET_PDEATHSIG), the zygote with the server.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import socket
import sys
from typing import NoReturn

import pyoxigraph as ox

from ..config import Settings
from ..dataset import DatasetInfo, GraphSource, LoadError, load_store
from ..meta import open_store
from .frames import LENGTH, frame, read_frame
from .worker import WorkerPolicy, die_with_parent, worker_main

__all__ = [
    "PROGRAM",
    "STATUS_UNKNOWN",
    "ForkedZygote",
    "fork_zygote",
    "serve_zygote",
    "zygote_entry",
]

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def _isolate_network() -> bool:
    """Move this (single-threaded) process into new user and network namespaces: only a loopback
    device that is down, so no outbound connection can be made by anything it forks. Defence in
    depth behind the guard's SERVICE refusal; False where the kernel does not allow it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


def zygote_entry() -> NoReturn:
    """The zygote's program (`PROGRAM`): a fresh interpreter, given the control socket's
    descriptor and the server's pid as arguments, and (sources, settings, policy) as the first
    frame on the socket."""
    ctl = socket.socket(fileno=int(sys.argv[1]))
    server = int(sys.argv[2])
    die_with_parent(server)
    # Buffered, yet nothing is read ahead: the server sends nothing more until the zygote answers.
    request = read_frame(ctl.makefile("rb"))
    if request is None:
        os._exit(1)
    sources, settings, policy = request
    _zygote_main(ctl, sources, settings, policy, server)


PROGRAM = f"from {__name__} import zygote_entry; zygote_entry()"


def _zygote_main(
    ctl: socket.socket,
    sources: list[GraphSource],
    settings: Settings,
    policy: WorkerPolicy,
    server: int,
) -> NoReturn:
    # Ctrl-C reaches the whole process group: the server decides when the engine stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if settings.store_path is not None:  # coopkg load's store: opened, nothing parsed
            store, info = open_store(settings.store_path)
        else:
            store, info = load_store(sources)
    except LoadError as exc:
        ctl.sendall(frame(("error", str(exc))))
        os._exit(1)
    except Exception as exc:
        ctl.sendall(frame(("error", f"loading the dataset failed: {type(exc).__name__}: {exc}")))
        os._exit(1)
    serve_zygote(ctl, store, info, settings, policy, server)


def serve_zygote(
    ctl: socket.socket,
    store: ox.Store,
    info: DatasetInfo,
    settings: Settings,
    policy: WorkerPolicy,
    server: int,
) -> NoReturn:
    """With the dataset in `store` (loaded here, or before the fork that made this process):
    isolate the network, say "ready" on `ctl`, then fork a worker for each request on it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    isolated = _isolate_network()
    if isolated:
        die_with_parent(server)  # a change of credentials (the new user namespace) clears it
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    gc.collect()
    gc.freeze()  # keep the collector from writing to (and so copying) the shared pages
    ctl.sendall(frame(("ready", info, isolated)))
    try:
        _fork_on_request(ctl, store, settings, isolated, policy)
    except ConnectionError:  # the server closed with a fork request unanswered: the end too
        pass
    os._exit(0)


def _fork_on_request(
    ctl: socket.socket, store: ox.Store, settings: Settings, isolated: bool, policy: WorkerPolicy
) -> None:
    """Fork a worker for each byte the server sends; return when it closes the socket."""
    zygote = os.getpid()
    while ctl.recv(1):
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ctl.close()
            ours.close()
            try:
                worker_main(theirs, store, settings, isolated, policy, zygote)
            finally:
                os._exit(1)
        theirs.close()
        try:
            pidfd = os.pidfd_open(pid)
            fds = [ours.fileno(), pidfd]
        except OSError:
            pidfd, fds = -1, [ours.fileno()]
        try:
            socket.send_fds(ctl, [LENGTH.pack(pid)], fds)
        finally:
            ours.close()
            if pidfd >= 0:
                os.close(pidfd)


# The returncode of a zygote whose status another waiter collected: no signal has this number.
STATUS_UNKNOWN = -256


class ForkedZygote:
    """A zygote forked from this process (`fork_zygote`), with the few methods of `Popen` the
    pool uses."""

    def __init__(self, pid: int, ctl: socket.socket) -> None:
        self.pid = pid
        self.ctl = ctl
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = STATUS_UNKNOWN
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self) -> int:
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = STATUS_UNKNOWN
        return self.returncode


def fork_zygote(
    store: ox.Store,
    info: DatasetInfo,
    settings: Settings,
    policy: WorkerPolicy,
    close: tuple[int, ...] = (),
) -> ForkedZygote:
    """Fork the zygote from this process, which holds the loaded `store` and has no other
    thread yet (a fork copies only the calling thread, and the locks others held): the zygote,
    its workers and this process then share the store's pages copy-on-write. `close`: descriptors
    the zygote must not keep (a listening socket)."""
    ours, theirs = socket.socketpair()
    parent = os.getpid()
    # What is alive now lives as long as the server: frozen, the collector of neither process
    # walks it, and so neither copies the pages it would touch (the whole inherited heap).
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            for fd in close:
                os.close(fd)
            die_with_parent(parent)
            serve_zygote(theirs, store, info, settings, policy, parent)
        finally:
            os._exit(1)
    theirs.close()
    return ForkedZygote(pid, ours)
