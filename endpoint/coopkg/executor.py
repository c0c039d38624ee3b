"""Running SPARQL queries on Oxigraph for an anonymous public: in processes that can be killed.

pyoxigraph's `Store.query` cannot be interrupted, so a query that must stop after `query_timeout`
seconds has to run in a process of its own. The layout:

    server process (asyncio) --control socket--> zygote --fork--> worker, worker, ...
          ^                                                          |
          +---------------- one socketpair per worker ---------------+

- `start()` spawns the **zygote**: a fresh interpreter (the server never forks itself: by then it
  may have threads, and a fork would copy their locks). The zygote is single-threaded: it loads
  the dataset (`coopkg.store.load_store`), moves into new user and network namespaces where the
  kernel allows it (then not even Oxigraph's own SERVICE client can reach anything), freezes the
  garbage collector, and from then on only forks workers. The server process never holds the
  store; if the zygote dies, a new one reloads the dataset.
- Each **worker** is forked from the zygote, so the store's memory is shared copy-on-write, and a
  fresh worker costs one `fork()` (22 ms on 1M triples) instead of a reload. The zygote passes the
  server a socketpair end and a pidfd for each worker (`socket.send_fds`): the server talks to the
  worker directly and kills it without racing against pid reuse. Workers die with the zygote
  (PR_SET_PDEATHSIG), the zygote with the server. A worker's address space is capped
  (`WorkerPolicy.memory_bytes`, RLIMIT_AS): a query that outgrows it makes Oxigraph abort, and the
  client gets `WorkerFailed` within moments instead of the machine swapping; should the OOM killer
  still act, workers go first (oom_score_adj 1000).
- Reading Oxigraph's in-memory store writes reference counts, so pages a query scans become the
  worker's private copy (a COUNT over one predicate of 1M triples: 284 MB). A worker whose
  private memory passes a bound (`WorkerPolicy`) retires after answering and a fresh fork, sharing
  every page again, takes its place. Measured on 1M triples: zygote and two workers at 552 MB RSS
  each, 182 MB PSS each.
- Workers evaluate on a thread with a 256 MB stack: Oxigraph's parser and optimiser recurse, and
  thousands of UNIONs or nested groups overflow the main thread's 8 MB (the kernel kills the
  process) where they fit here and end in a result or the timeout.
- The server waits on worker sockets with asyncio streams: no thread per request, nothing blocks
  the event loop. A job is a pickled `QueryJob`; the worker answers with a pickled `QueryOutcome`
  or an error (class name and message). On timeout, or when the caller is cancelled (the client
  left), the server SIGKILLs the worker, and forks a replacement in the background. A worker that
  dies mid-query gives `WorkerFailed` at once and is replaced the same way. Requests wait for a
  free worker in a bounded line; past its length, or after `2 * query_timeout`, `Overloaded`.
- Negotiation happens in the worker once the result kind is known, and pyoxigraph's own
  serializers write every result. Solutions are first written as TSV (one line per row, so rows
  can be counted and cut at a row boundary) and converted by pyoxigraph's TSV parser and the
  target serializer: about 10 % over a direct serialisation. Graphs are serialised from an
  iterator that stops at `max_result_rows`.

Cost (`bench/executor_overhead.py`, 2 cores, 100k triples): a point lookup answered as SPARQL JSON
takes 20 µs in process and about 90 µs through `run()` one at a time (+70 µs: the guard 3 µs,
two process wake-ups, pickling, and TSV plus negotiation in the worker); 8-10k lookups/s with 16
in flight on two workers. Engine-bound queries pay the same constant, nothing proportional.

Alternatives rejected: threads (a running query cannot be stopped), `multiprocessing` pools
(forked from a server that has threads, or spawned and reloading the whole graph for each
replacement), `ProcessPoolExecutor` (one killed worker breaks the whole pool).
"""

from __future__ import annotations

import asyncio
import ctypes
import faulthandler
import gc
import io
import logging
import os
import pickle
import re
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pyoxigraph as ox

from . import errors
from .config import Settings
from .dataset import DatasetInfo, LoadError, load_store
from .errors import (
    NotAcceptable,
    Overloaded,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    SparqlError,
    WorkerFailed,
)
from .formats import FORMATS, ResultFormat, choose_format
from .lookup_lane import LookupLane
from .query_guard import check_query, full_scan_needed

__all__ = ["QueryExecutor", "QueryJob", "QueryOutcome", "WorkerPolicy"]

_log = logging.getLogger(__name__)
_HEADER = struct.Struct("!Q")
_WORKER_STACK = 256 * 1024 * 1024
# A full guard scan costs ~80 ms per MB of query text: past this size it runs in the worker, not on
# the event loop (the substring tests that usually spare it stay in the server: ~1 ms per MB).
_INLINE_SCAN_LIMIT = 32 * 1024
_KIND_LABEL = {"solutions": "SELECT", "boolean": "ASK", "graph": "CONSTRUCT or DESCRIBE"}


@dataclass(frozen=True)
class QueryJob:
    """One query request, as the router parsed it. Picklable: it is sent to a worker."""

    query: str
    accept: str | None = None  # the raw Accept header
    format_name: str | None = None  # the `format` request parameter, wins over accept
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryOutcome:
    kind: str  # "solutions" | "boolean" | "graph"
    content_type: str  # ResultFormat.content_type
    body: bytes
    rows: int | None  # solutions or triples serialised (None for boolean)
    truncated: bool  # True when max_result_rows or max_result_bytes cut the result


# --------------------------------------------------------------------------------------------
# Framing, shared by both ends: an 8-byte length, then a pickle.


def _frame(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _read_frame(reader: io.BufferedReader) -> Any:
    """Blocking read of one frame (worker and zygote side); None when the peer has gone. The
    buffered reader usually gets header and body in one recv."""
    header = reader.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size = _HEADER.unpack(header)[0]
    data = reader.read(size)
    return pickle.loads(data) if len(data) == size else None


# --------------------------------------------------------------------------------------------
# Evaluation, in a worker process.


class _ByteCap(Exception):
    """Raised from inside a serializer's write() to stop it."""


class _CappedWriter(io.RawIOBase):
    """Collects what a serializer writes; stops it past `max_bytes` or past `max_lines` lines."""

    def __init__(self, max_bytes: int, max_lines: int | None = None) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.lines = 0
        self.max_bytes = max_bytes
        self.max_lines = max_lines

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.size += len(chunk)
        if self.max_lines is not None:
            self.lines += chunk.count(b"\n")
            if self.lines > self.max_lines:
                raise _ByteCap
        if self.size > self.max_bytes:
            raise _ByteCap
        return len(chunk)

    def value(self) -> bytes:
        return b"".join(self.parts)


def _offered(kind: str) -> str:
    return ", ".join(f.media_type for f in FORMATS if kind in f.kinds)


def _negotiate(job: QueryJob, kind: str, memo: dict[tuple, ResultFormat | None]) -> ResultFormat:
    """choose_format, remembered per worker: parsing a browser's Accept header costs ~35 µs, more
    than a point lookup. `memo` is the worker's own and bounded."""
    key = (job.accept, kind, job.format_name)
    try:
        fmt = memo[key]
    except KeyError:
        fmt = choose_format(job.accept, kind, job.format_name)  # type: ignore[arg-type]
        if len(memo) >= 1024:
            memo.clear()
        memo[key] = fmt
    if fmt is None:
        asked = f"format {job.format_name!r}" if job.format_name else f"Accept: {job.accept}"
        raise NotAcceptable(
            f"cannot produce a {_KIND_LABEL[kind]} result in any acceptable format ({asked}); "
            f"offered: {_offered(kind)}"
        )
    return fmt


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


def _solutions_body(results: Any, fmt: ResultFormat, settings: Settings) -> tuple[bytes, int, bool]:
    """Serialise at most max_result_rows solutions, cut at a row boundary, in at most
    max_result_bytes. TSV first: one line per solution (terms escape their newlines)."""
    max_rows, max_bytes = settings.max_result_rows, settings.max_result_bytes
    # TSV is about as compact as any target; allow slack so a smaller target (CSV) is not cut early.
    writer = _CappedWriter(2 * max_bytes + 4096, max_lines=max_rows + 1)
    truncated = False
    try:
        results.serialize(writer, format=ox.QueryResultsFormat.TSV)
    except _ByteCap:
        truncated = True
    tsv = writer.value()
    if not truncated and writer.lines <= max_rows + 1:  # the whole result: header + rows lines
        if fmt.oxigraph == ox.QueryResultsFormat.TSV:
            body = tsv
        else:
            body = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(
                format=fmt.oxigraph
            )
        if len(body) <= max_bytes:
            return body, max(0, writer.lines - 1), False
    lines = tsv.split(b"\n")
    # lines: header, rows..., then "" after the last newline (or a partial row when cut).
    header, rows = lines[0], lines[1:-1]
    if truncated or len(rows) > max_rows:
        truncated = True
        rows = rows[:max_rows]

    def render(keep: int) -> bytes:
        doc = b"\n".join([header, *rows[:keep]]) + b"\n"
        if fmt.oxigraph == ox.QueryResultsFormat.TSV:
            return doc
        parsed = ox.parse_query_results(doc, ox.QueryResultsFormat.TSV)
        return parsed.serialize(format=fmt.oxigraph)

    return _fit_bytes(render, len(rows), max_bytes, truncated)


def _graph_body(results: Any, fmt: ResultFormat, settings: Settings) -> tuple[bytes, int, bool]:
    max_rows, max_bytes = settings.max_result_rows, settings.max_result_bytes
    triples: list[Any] = []
    truncated = False
    for triple in results:
        if len(triples) == max_rows:
            truncated = True
            break
        triples.append(triple)
    return _fit_bytes(
        lambda keep: ox.serialize(triples[:keep], format=fmt.oxigraph),
        len(triples),
        max_bytes,
        truncated,
    )


def _fit_bytes(
    render: Callable[[int], bytes], keep: int, max_bytes: int, truncated: bool
) -> tuple[bytes, int, bool]:
    """Render the first `keep` rows, dropping rows until the body fits `max_bytes`: a cut body is
    still a whole document. Returns (body, rows kept, truncated)."""
    while True:
        body = render(keep)
        if len(body) <= max_bytes:
            return body, keep, truncated
        if keep == 0:
            raise ResultTooLarge(f"the empty result is over the {max_bytes} byte limit")
        truncated = True
        keep = max(0, min(keep - 1, int(keep * max_bytes / len(body) * 0.95)))


def _syntax_message(text: str) -> str:
    """Oxigraph says `error at 3:2: expected …`; say which is the line and which the column."""
    match = re.match(r"error at (\d+):(\d+): ", text)
    if match:
        line, column = match.groups()
        text = f"line {line}, column {column}: {text[match.end() :]}"
    return f"SPARQL syntax error at {text}" if match else f"SPARQL syntax error: {text}"


def _evaluate(
    store: Any, job: QueryJob, settings: Settings, memo: dict[tuple, ResultFormat | None]
) -> QueryOutcome:
    if len(job.query) > _INLINE_SCAN_LIMIT:
        check_query(job.query)  # deferred here by QueryExecutor.check
    try:
        results = store.query(job.query, **_dataset_options(job))
    except SyntaxError as exc:
        raise QuerySyntaxError(_syntax_message(str(exc))) from exc
    except UnicodeError as exc:
        raise QuerySyntaxError(f"the query is not valid Unicode text: {exc.reason}") from exc
    if isinstance(results, ox.QueryBoolean):
        fmt = _negotiate(job, "boolean", memo)
        return QueryOutcome(
            "boolean", fmt.content_type, results.serialize(format=fmt.oxigraph), None, False
        )
    if isinstance(results, ox.QuerySolutions):
        fmt = _negotiate(job, "solutions", memo)
        body, rows, truncated = _solutions_body(results, fmt, settings)
        return QueryOutcome("solutions", fmt.content_type, body, rows, truncated)
    fmt = _negotiate(job, "graph", memo)
    body, rows, truncated = _graph_body(results, fmt, settings)
    return QueryOutcome("graph", fmt.content_type, body, rows, truncated)


def _debug_info(network_isolated: bool) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "network_isolated": network_isolated,
        "rdflib_sparql_loaded": "rdflib.plugins.sparql" in sys.modules,
    }


def _worker_main(
    sock: socket.socket,
    store: Any,
    settings: Settings,
    isolated: bool,
    policy: WorkerPolicy,
    zygote: int,
) -> NoReturn:
    """Set the process up, then answer jobs on one thread with a large stack: Oxigraph's parser and
    optimiser recurse, and thousands of UNIONs, BINDs or `+` overflow the main thread's 8 MB (the
    kernel kills the process) where they fit in `_WORKER_STACK` and end in a result or the
    timeout. The stack is address space: only the pages a query touches are ever used."""
    _die_with_parent(zygote)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    faulthandler.disable()  # a crash reaches the client as WorkerFailed, not a dump on stderr
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


@dataclass(frozen=True)
class WorkerPolicy:
    """Limits of one worker: the memory it may use, and when it retires so that a fresh fork,
    sharing every page with the zygote, takes over.

    Reading Oxigraph's in-memory store writes to it (reference counts), so each page a query
    touches becomes the worker's private copy: one COUNT over a predicate of a 1M-triple store
    made 284 MB private. A worker checks its private memory (`/proc/self/smaps_rollup`, ~0.2 ms)
    after any query slower than `check_after` seconds and every `check_every` queries, and retires
    past `private_bytes` (default: 64 MB plus its size when forked). The bound is about the store's
    size, not a fraction of it: a fresh fork pays a copy-on-write fault for every page its first
    full scan touches (bench/: a text filter took 297 ms in a fresh fork, 141 ms in a warm one), so
    a worker that retired after each scan would pay that every time. Worst case, memory is the
    store once per process, what unshared processes would cost."""

    private_bytes: int | None = None
    check_after: float = 0.05
    check_every: int = 256
    # Address space a worker may add to its size at fork (RLIMIT_AS): past it an allocation fails,
    # Oxigraph aborts and the query ends in WorkerFailed instead of the machine swapping or the
    # OOM killer choosing. None: half the physical memory shared among the workers, at least 1 GiB.
    memory_bytes: int | None = None


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


def _serve_jobs(
    sock: socket.socket, store: Any, settings: Settings, isolated: bool, policy: WorkerPolicy
) -> NoReturn:
    """Answer jobs until the server closes the socket. Each reply says whether this worker now
    retires: after a failure the engine may not have recovered from (a Rust panic surfaces as a
    BaseException), or when too much of the shared store has become private (`WorkerPolicy`)."""
    limit = policy.private_bytes
    if limit is None:
        limit = 64 * 1024 * 1024 + _resident()
    served = 0
    memo: dict[tuple, ResultFormat | None] = {}
    reader = sock.makefile("rb")
    while True:
        job = _read_frame(reader)
        if job is None:
            os._exit(0)
        retire = False
        started = time.perf_counter()
        try:
            if job == "debug":
                info = _debug_info(isolated)
                info["private_dirty"] = _private_dirty()
                reply: Any = ("ok", info)
            else:
                reply = ("ok", _evaluate(store, job, settings, memo))
        except SparqlError as exc:
            reply = ("error", type(exc).__name__, exc.message)
        except MemoryError:  # the address-space cap, met on the Python side
            reply = ("error", "WorkerFailed", "the query needed more memory than a worker has")
            retire = True
        except Exception as exc:  # an engine error that is none of the above: the query's fault
            reply = ("error", "QueryRefused", f"the query could not be evaluated: {exc}")
        except BaseException as exc:  # pyo3 PanicException and friends
            reply = ("error", "WorkerFailed", f"the query engine failed: {type(exc).__name__}")
            retire = True
        served += 1
        if not retire and (
            time.perf_counter() - started > policy.check_after or served % policy.check_every == 0
        ):
            retire = _private_dirty() > limit
        try:
            sock.sendall(_frame((reply, retire)))
        except OSError:
            os._exit(0)
        if retire:
            os._exit(0)


# --------------------------------------------------------------------------------------------
# The zygote: loads the store once, then forks workers on request.

_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent exits (Linux); exit now if the
    parent is already gone (it may die between our fork and this call)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)


def _isolate_network() -> bool:
    """Move this (single-threaded) process into new user and network namespaces: only a loopback
    device that is down, so no outbound connection can be made by anything it forks. Defence in
    depth behind the guard's SERVICE refusal; False where the kernel does not allow it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


def _zygote_entry() -> NoReturn:
    """The zygote's program (`_ZYGOTE_PROGRAM`): a fresh interpreter, given the control socket's
    descriptor and the server's pid as arguments, and (sources, settings, policy) as the first
    frame on the socket."""
    ctl = socket.socket(fileno=int(sys.argv[1]))
    server = int(sys.argv[2])
    _die_with_parent(server)
    # Buffered, yet nothing is read ahead: the server sends nothing more until the zygote answers.
    request = _read_frame(ctl.makefile("rb"))
    if request is None:
        os._exit(1)
    sources, settings, policy = request
    _zygote_main(ctl, sources, settings, policy, server)


_ZYGOTE_PROGRAM = f"from {__name__} import _zygote_entry; _zygote_entry()"


def _zygote_main(
    ctl: socket.socket,
    sources: list[tuple[Path, str | None]],
    settings: Settings,
    policy: WorkerPolicy,
    server: int,
) -> NoReturn:
    # Ctrl-C reaches the whole process group: the server decides when the engine stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        store, info = load_store(sources)
    except LoadError as exc:
        ctl.sendall(_frame(("error", str(exc))))
        os._exit(1)
    except Exception as exc:
        ctl.sendall(_frame(("error", f"loading the dataset failed: {type(exc).__name__}: {exc}")))
        os._exit(1)
    isolated = _isolate_network()
    if isolated:
        _die_with_parent(server)  # a change of credentials (the new user namespace) clears it
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    gc.collect()
    gc.freeze()  # keep the collector from writing to (and so copying) the shared pages
    ctl.sendall(_frame(("ready", info, isolated)))
    while True:
        request = ctl.recv(1)
        if not request:
            os._exit(0)
        ours, theirs = socket.socketpair()
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            ctl.close()
            ours.close()
            try:
                _worker_main(theirs, store, settings, isolated, policy, zygote)
            finally:
                os._exit(1)
        theirs.close()
        try:
            pidfd = os.pidfd_open(pid)
            fds = [ours.fileno(), pidfd]
        except OSError:
            pidfd, fds = -1, [ours.fileno()]
        socket.send_fds(ctl, [_HEADER.pack(pid)], fds)
        ours.close()
        if pidfd >= 0:
            os.close(pidfd)


# --------------------------------------------------------------------------------------------
# The server side.


class _Channel(asyncio.Protocol):
    """The server's end of a worker socket: collects one reply frame at a time for `exchange`.
    A bare protocol rather than asyncio streams: about a third less server CPU per query."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.need = -1  # body length once the header has arrived
        self.waiter: asyncio.Future[bytes] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need < 0 and len(self.buf) >= _HEADER.size:
            self.need = _HEADER.unpack_from(self.buf)[0]
        if 0 <= self.need <= len(self.buf) - _HEADER.size:
            end = _HEADER.size + self.need
            frame = bytes(memoryview(self.buf)[_HEADER.size : end])
            del self.buf[:end]
            self.need = -1
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the worker closed its socket"))


class _Worker:
    def __init__(self, pid: int, pidfd: int, sock: socket.socket) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.sock = sock
        self.channel = _Channel()

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self.channel, sock=self.sock)

    def exited(self) -> bool:
        if self.pidfd >= 0:
            return bool(select.select([self.pidfd], [], [], 0)[0])
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def kill(self) -> None:
        try:
            if self.pidfd >= 0:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self.channel.transport is not None:
            self.channel.transport.close()
        else:
            self.sock.close()
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1

    async def exchange(self, request: Any, timeout: float) -> Any:
        channel = self.channel
        if channel.lost or channel.transport is None:
            raise ConnectionError("the worker closed its socket")
        channel.waiter = asyncio.get_running_loop().create_future()
        channel.transport.write(_frame(request))
        try:
            async with asyncio.timeout(timeout):
                data = await channel.waiter
        finally:
            channel.waiter = None
        return pickle.loads(data)


class QueryExecutor:
    """A pool of query worker processes behind an asyncio interface. See the module docstring."""

    def __init__(
        self,
        sources: list[tuple[Path, str | None]],
        settings: Settings,
        *,
        max_waiting: int | None = None,
        policy: WorkerPolicy | None = None,
    ) -> None:
        self._sources = list(sources)
        self._settings = settings
        self._policy = policy or WorkerPolicy()
        self._max_waiting = max_waiting if max_waiting is not None else 32 * settings.query_workers
        # A waiting query may sit behind one that runs to its timeout, then the replacement's fork.
        self._max_wait = 2 * settings.query_timeout
        self._zygote: subprocess.Popen[bytes] | None = None
        self._restarting = False
        self._ctl: socket.socket | None = None
        self._ctl_lock = asyncio.Lock()
        self._idle: deque[_Worker] = deque()
        self._waiters: deque[asyncio.Future[_Worker]] = deque()
        self._workers: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.dataset: DatasetInfo | None = None
        self.network_isolated = False
        self._lane: LookupLane | None = None

    # ---- lifecycle

    async def start(self) -> DatasetInfo:
        """Start the zygote, wait for it to load the dataset, and fork the workers."""
        info = await self._start_zygote()
        await self._fill_pool()
        if self._settings.lookup_lane:
            store, _ = await asyncio.to_thread(load_store, self._sources)
            self._lane = LookupLane(
                store,
                max_matches=self._settings.lookup_max_matches,
                max_bytes=self._settings.max_result_bytes,
            )
        return info

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._fail_waiters("the query engine is shutting down")
        workers = list(self._workers)
        for worker in workers:
            worker.kill()
        # Wait for the zygote to reap them: once it is gone, orphans are left to pid 1.
        for _ in range(100):
            if all(worker.exited() for worker in workers):
                break
            await asyncio.sleep(0.01)
        for worker in workers:
            worker.close()
        self._workers.clear()
        self._idle.clear()
        await self._stop_zygote()

    @property
    def zygote_pid(self) -> int:
        return self._zygote.pid if self._zygote is not None else 0

    async def _start_zygote(self) -> DatasetInfo:
        """Spawn a fresh interpreter as the zygote (the server process itself never forks: it
        may have threads by now), send it its job, and wait for the loaded dataset's facts."""
        ctl, theirs = socket.socketpair()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)  # coopkg importable, installed or not
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE_PROGRAM, str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            theirs.close()
        ctl.setblocking(False)
        self._ctl, self._zygote = ctl, proc
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(ctl, _frame((self._sources, self._settings, self._policy)))
        reply, _ = await self._ctl_read(_HEADER.size, with_frame=True)
        if reply is None or reply[0] == "error":
            await self._stop_zygote()
            raise LoadError(
                reply[1] if reply else "the query process exited while loading the dataset"
            )
        _, info, isolated = reply
        self.dataset, self.network_isolated = info, isolated
        if not isolated:
            _log.warning(
                "query workers could not be moved into a network namespace (unprivileged user "
                "namespaces are disabled here); SERVICE is still refused by the query guard"
            )
        return info

    async def _stop_zygote(self) -> None:
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None
        proc, self._zygote = self._zygote, None
        if proc is None:
            return
        for _ in range(100):  # it exits on EOF; its workers follow (PDEATHSIG)
            if proc.poll() is not None:
                return
            await asyncio.sleep(0.01)
        proc.kill()
        proc.wait()

    async def _fill_pool(self) -> None:
        missing = self._settings.query_workers - len(self._workers)
        for worker in await asyncio.gather(*(self._spawn() for _ in range(missing))):
            self._release(worker)

    def _zygote_lost(self) -> None:
        """The zygote is gone (its workers with it): load the dataset into a new one, once."""
        if self._closed or self._restarting:
            return
        self._restarting = True

        async def restart() -> None:
            try:
                _log.error("the query engine's zygote exited; reloading the dataset")
                await self._stop_zygote()
                await self._start_zygote()
                await self._fill_pool()
            except (LoadError, WorkerFailed, OSError) as exc:
                _log.error("restarting the query engine failed: %s", exc)
                self._fail_waiters("the query engine is not running")
            finally:
                self._restarting = False

        self._background(restart())

    def _background(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fail_waiters(self, message: str) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(WorkerFailed(message))

    # ---- the zygote channel

    async def _ctl_read(self, size: int, with_frame: bool = False) -> tuple[Any, list[int]]:
        """Read `size` bytes (then, with_frame, the pickle they announce) from the zygote without
        blocking the loop, collecting any file descriptors sent along."""
        ctl = self._ctl
        assert ctl is not None
        loop = asyncio.get_running_loop()
        buf, fds = bytearray(), []
        need = size
        while len(buf) < need:
            try:
                data, new_fds, _, _ = socket.recv_fds(ctl, need - len(buf), 4)
            except BlockingIOError:
                ready = loop.create_future()
                fd = ctl.fileno()
                loop.add_reader(fd, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_reader(fd)
                continue
            fds.extend(new_fds)
            if not data:
                for fd in fds:
                    os.close(fd)
                return None, []
            buf += data
            if with_frame and len(buf) == size:
                need = size + _HEADER.unpack(bytes(buf))[0]
        if with_frame:
            return pickle.loads(bytes(buf[size:])), fds
        return bytes(buf), fds

    async def _spawn(self) -> _Worker:
        """Have the zygote fork a worker; connect to it."""
        async with self._ctl_lock:
            if self._ctl is None:
                raise WorkerFailed("the query engine is not running")
            try:
                self._ctl.send(b"F")
                data, fds = await self._ctl_read(_HEADER.size)
            except OSError:
                data, fds = None, []
        if data is None or not fds:
            raise WorkerFailed("the query engine is not running (its zygote process exited)")
        pid = _HEADER.unpack(data)[0]
        worker = _Worker(pid, fds[1] if len(fds) > 1 else -1, socket.socket(fileno=fds[0]))
        await worker.connect()
        self._workers.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill and forget a worker; fork its successor in the background."""
        worker.kill()
        worker.close()
        self._workers.discard(worker)
        self._idle = deque(w for w in self._idle if w is not worker)
        if self._closed:
            return

        async def respawn() -> None:
            try:
                self._release(await self._spawn())
            except WorkerFailed:
                self._zygote_lost()

        self._background(respawn())

    # ---- the pool

    def _release(self, worker: _Worker) -> None:
        if len(self._workers) > self._settings.query_workers:  # a respawn raced a restart
            worker.kill()
            worker.close()
            self._workers.discard(worker)
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    async def _acquire(self) -> _Worker:
        while True:
            if self._idle:
                worker = self._idle.pop()  # LIFO: the most recently used worker is warm
            else:
                if self._closed:
                    raise WorkerFailed("the query engine is shutting down")
                if not self._workers and not self._tasks:
                    self._zygote_lost()  # try again: the dataset may load this time
                if len(self._waiters) >= self._max_waiting:
                    raise Overloaded(
                        f"all {self._settings.query_workers} query workers are busy and "
                        f"{len(self._waiters)} queries are waiting; try again later"
                    )
                waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                got: _Worker | None = None
                try:
                    async with asyncio.timeout(self._max_wait):
                        got = await waiter
                except TimeoutError:
                    raise Overloaded(
                        f"no query worker became free within {self._max_wait:g} s; try again later"
                    ) from None
                finally:
                    if got is None:  # timed out or cancelled: hand on a worker given meanwhile
                        if waiter in self._waiters:
                            self._waiters.remove(waiter)
                        if not waiter.done():
                            waiter.cancel()
                        elif not waiter.cancelled() and waiter.exception() is None:
                            self._release(waiter.result())
                worker = got
            if worker.exited() or worker.channel.lost:  # died while idle (killed, say)
                self._replace(worker)
                continue
            return worker

    async def _call(self, request: Any) -> Any:
        worker = await self._acquire()
        timeout = self._settings.query_timeout
        try:
            reply, retire = await worker.exchange(request, timeout)
        except TimeoutError:
            _log.warning(
                "a query ran past %g s: worker %d killed and replaced", timeout, worker.pid
            )
            self._replace(worker)
            raise QueryTimeout(f"query exceeded the {timeout:g} s limit and was stopped") from None
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            _log.error(
                "worker %d died during a query (crash or out of memory); replaced", worker.pid
            )
            self._replace(worker)
            raise WorkerFailed(
                "the query process died while evaluating this query (out of memory or a crash); "
                "it has been replaced"
            ) from None
        except BaseException:  # cancelled (the client left): the work must stop too
            self._replace(worker)
            raise
        if retire:
            self._replace(worker)  # it exits after this reply; a fresh fork takes its place
        else:
            self._release(worker)
        return reply

    # ---- the public interface

    def check(self, query: str) -> None:
        """The cheap refusals, in the server process: SERVICE, update, deep nesting. For a query
        over 32 KB whose substrings call for a full scan, that scan is left to the worker (`run`
        raises the same errors), so no request holds the event loop for long."""
        if len(query) <= _INLINE_SCAN_LIMIT or not full_scan_needed(query):
            check_query(query)

    async def run(self, job: QueryJob) -> QueryOutcome:
        self.check(job.query)
        try:
            job.query.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise QuerySyntaxError(
                f"the query is not valid Unicode text (position {exc.start}: {exc.reason})"
            ) from None
        if self._lane is not None and (outcome := self._lane.answer(job)) is not None:
            return outcome
        reply = await self._call(job)
        if reply[0] == "ok":
            return reply[1]
        raise getattr(errors, reply[1], WorkerFailed)(reply[2])

    async def worker_info(self) -> dict[str, Any]:
        """Facts reported by a worker about itself (pid, network isolation, loaded modules)."""
        reply = await self._call("debug")
        return reply[1]

    def worker_pids(self) -> list[int]:
        return sorted(w.pid for w in self._workers)
