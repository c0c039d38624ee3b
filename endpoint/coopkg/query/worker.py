"""A query worker: a process forked from the zygote (coopkg.query.zygote) that evaluates one query
at a time on its copy-on-write view of the store, and can be killed at the timeout.

- Queries run on a thread with a large stack (`_WORKER_STACK`): Oxigraph's parser and optimiser
  recurse, and thousands of UNIONs, BINDs or `+` overflow the main thread's 8 MB (the kernel kills
  the process) where they fit here and end in a result or the timeout. The stack is address
  space: only the pages a query touches are ever used.
- A worker's address space is capped (`WorkerPolicy.memory_bytes`, RLIMIT_AS): a query that
  outgrows it makes Oxigraph abort, and the client gets EngineFailed within moments instead of
  the machine swapping; should the OOM killer still act, workers go first (oom_score_adj 1000).
- Reading Oxigraph's in-memory store writes reference counts, so the pages a query scans become
  the worker's private copy. A worker whose private memory passes a bound retires after
  answering, and a fresh fork, sharing every page again, takes its place (`WorkerPolicy`).
- Replies are ("ok", QueryOutcome) or ("error", error class name, message), with a flag saying
  whether the worker now retires. A SPARQL error is the query's; any other exception is the
  engine's (EngineError, a 500 the server logs and never caches).
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import re
import resource
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, NoReturn

import pyoxigraph as ox

from ..config import Settings
from ..errors import QueryRefused, QuerySyntaxError, SparqlError
from ..formats import ResultFormats
from . import QueryJob, QueryOutcome
from .frames import frame, read_frame
from .guard import INLINE_SCAN_LIMIT, check_query
from .results import Limits, serialise

__all__ = ["WorkerPolicy", "die_with_parent", "evaluate", "worker_main"]

_WORKER_STACK = 256 * 1024 * 1024
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class WorkerPolicy:
    """Limits of one worker: the memory it may use, and when it retires so that a fresh fork,
    sharing every page with the zygote, takes over.

    A worker checks its private memory (`/proc/self/smaps_rollup`) after any query that took more
    than `check_after` seconds of its CPU and every `check_every` queries, and retires past
    `private_bytes`
    (default: 64 MB plus its size when forked). The bound is about the store's size, not a
    fraction of it: a fresh fork pays a copy-on-write fault for every page its first full scan
    touches, so a worker that retired after each scan would pay that every time (bench/README.md
    has the figures). Worst case, memory is the store once per process, what unshared processes
    would cost."""

    private_bytes: int | None = None
    # CPU, not wall time: on a busy machine a quick query waits for a core, and reading
    # smaps_rollup costs about 7 ms with a 1M-triple store mapped (a tenth of a worker's time
    # on description queries when every 256th query or every preempted one read it; bench/README).
    check_after: float = 0.05
    check_every: int = 2048
    # Address space a worker may add to its size at fork (RLIMIT_AS): past it an allocation fails,
    # Oxigraph aborts and the query ends in EngineFailed instead of the machine swapping or the
    # OOM killer choosing. None: half the physical memory shared among the workers, at least 1 GiB.
    memory_bytes: int | None = None


# -- Evaluation ---------------------------------------------------------------------------------


def _syntax_message(text: str) -> str:
    """Oxigraph says `error at 3:2: expected …`; say which is the line and which the column."""
    match = re.match(r"error at (\d+):(\d+): ", text)
    if match:
        line, column = match.groups()
        return f"SPARQL syntax error at line {line}, column {column}: {text[match.end() :]}"
    return f"SPARQL syntax error: {text}"


def _dataset_options(job: QueryJob) -> dict[str, Any]:
    """Protocol graph parameters name graphs in the store (nothing is fetched). When any is given
    they define the whole dataset and replace FROM / FROM NAMED (SPARQL 1.1 Protocol, 2.1.4)."""
    if not job.default_graph_uris and not job.named_graph_uris:
        return {}
    try:
        return {
            "default_graph": [ox.NamedNode(u) for u in job.default_graph_uris],
            "named_graphs": [ox.NamedNode(u) for u in job.named_graph_uris],
        }
    except ValueError as exc:
        raise QueryRefused(
            f"invalid graph IRI in default-graph-uri or named-graph-uri: {exc}"
        ) from exc


def evaluate(
    store: ox.Store, job: QueryJob, formats: ResultFormats, settings: Settings
) -> QueryOutcome:
    """Run one query on `store` and write its result. Relative IRIs in the query resolve against
    the graph's base IRI (so `<id/…>` names an instance); a BASE in the query overrides it."""
    if len(job.query) > INLINE_SCAN_LIMIT:
        check_query(job.query)  # the guard's full scan, left to the worker by the runner
    try:
        results = store.query(job.query, base_iri=settings.base_iri, **_dataset_options(job))
    except SyntaxError as exc:
        raise QuerySyntaxError(_syntax_message(str(exc))) from exc
    except UnicodeError as exc:
        raise QuerySyntaxError(f"the query is not valid Unicode text: {exc}") from exc
    limits = Limits(settings.max_result_rows, settings.max_result_bytes)
    return serialise(results, formats, limits)


# -- The worker process -------------------------------------------------------------------------


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent exits (Linux); exit now if the
    parent is already gone (it may die between our fork and this call)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)


def worker_main(
    sock: socket.socket,
    store: ox.Store,
    settings: Settings,
    isolated: bool,
    policy: WorkerPolicy,
    zygote: int,
) -> NoReturn:
    """Set the process up, then answer jobs on a thread with a large stack."""
    die_with_parent(zygote)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    faulthandler.disable()  # a crash reaches the client as EngineFailed, not a dump on stderr
    try:  # Under memory pressure, the kernel should kill a worker, not the zygote or the server.
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    _limit_memory(policy, settings)
    threading.stack_size(_WORKER_STACK)
    thread = threading.Thread(
        target=_serve_jobs, args=(sock, store, settings, isolated, policy), name="coopkg-query"
    )
    thread.start()
    thread.join()
    os._exit(0)


def _limit_memory(policy: WorkerPolicy, settings: Settings) -> None:
    budget = policy.memory_bytes
    if budget is None:
        try:
            physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            return
        budget = max(1 << 30, physical // 2 // settings.query_workers)
    try:
        with open("/proc/self/status", "rb") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith(b"VmSize:"))
        limit = size + _WORKER_STACK + budget
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, StopIteration):
        pass


def _private_dirty() -> int:
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _resident() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _debug_info(isolated: bool) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "network_isolated": isolated,
        "rdflib_sparql_loaded": "rdflib.plugins.sparql" in sys.modules,
        "private_dirty": _private_dirty(),
    }


def _answer(request: Any, store: ox.Store, settings: Settings, isolated: bool) -> tuple[Any, bool]:
    """(reply, retire) for one request: after a failure the engine may not have recovered from (a
    Rust panic surfaces as a BaseException), the worker retires."""
    try:
        if request == "debug":
            return ("ok", _debug_info(isolated)), False
        job, formats = request
        return ("ok", evaluate(store, job, formats, settings)), False
    except SparqlError as exc:
        return ("error", type(exc).__name__, exc.message), False
    except MemoryError:  # the address-space cap, met on the Python side
        return ("error", "EngineFailed", "the query needed more memory than a worker has"), True
    except Exception as exc:  # not the query's fault: a bug in the engine or in this package
        return ("error", "EngineError", f"{type(exc).__name__}: {exc}"), False
    except BaseException as exc:  # pyo3 PanicException and friends
        return ("error", "EngineFailed", f"the query engine failed: {type(exc).__name__}"), True


def _serve_jobs(
    sock: socket.socket, store: ox.Store, settings: Settings, isolated: bool, policy: WorkerPolicy
) -> NoReturn:
    """Answer jobs until the server closes the socket; retire when too much of the shared store
    has become private (`WorkerPolicy`)."""
    limit = policy.private_bytes
    if limit is None:
        limit = 64 * 1024 * 1024 + _resident()
    served = 0
    reader = sock.makefile("rb")
    while True:
        request = read_frame(reader)
        if request is None:
            os._exit(0)
        started = time.thread_time()
        reply, retire = _answer(request, store, settings, isolated)
        served += 1
        if not retire and (
            time.thread_time() - started > policy.check_after or served % policy.check_every == 0
        ):
            retire = _private_dirty() > limit
        try:
            sock.sendall(frame((reply, retire)))
        except OSError:
            os._exit(0)
        if retire:
            os._exit(0)
