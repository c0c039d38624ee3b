"""The embedded engine: Oxigraph in query worker processes that can be killed at the timeout.

pyoxigraph's `Store.query` cannot be interrupted, so a query that must stop after `query_timeout`
seconds has to run in a process of its own:

    server process (asyncio) --control socket--> zygote --fork--> worker, worker, ...
          ^                                                          |
          +---------------- one socketpair per worker ---------------+

The zygote (coopkg.query.zygote) loads the dataset once and forks workers (coopkg.query.worker),
which share its memory copy-on-write. This module is the server's side: it starts the zygote,
keeps a pool of workers, and sends each job to an idle one (LIFO: the most recently used worker
has warm caches). On timeout, or when the caller is cancelled (the client left), the server
SIGKILLs the worker and forks a replacement in the background; a worker that dies mid-query
gives EngineFailed at once and is replaced the same way; if the zygote dies, a new one reloads
the dataset. Requests wait for a free worker in a bounded line; past its length, or after
`2 * query_timeout`, Overloaded.

Alternatives rejected: threads (a running query cannot be stopped), `multiprocessing` pools
(forked from a server that has threads, or spawned and reloading the whole graph for each
replacement), `ProcessPoolExecutor` (one killed worker breaks the whole pool).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any

from .. import errors
from ..config import Settings
from ..dataset import DatasetInfo, GraphSource, LoadError
from ..errors import EngineError, EngineFailed, Overloaded, QueryTimeout, SparqlError
from ..formats import ResultFormats
from . import QueryJob, QueryOutcome
from .channel import WorkerHandle
from .frames import LENGTH, frame
from .worker import WorkerPolicy
from .zygote import PROGRAM, STATUS_UNKNOWN, ForkedZygote

__all__ = ["WorkerPool"]

_log = logging.getLogger(__name__)


class WorkerPool:
    """The embedded engine (coopkg.query.Engine): a pool of query worker processes behind an
    asyncio interface. See the module docstring."""

    def __init__(
        self,
        sources: list[GraphSource],
        settings: Settings,
        *,
        max_waiting: int | None = None,
        policy: WorkerPolicy | None = None,
        zygote: ForkedZygote | None = None,
    ) -> None:
        self._sources = list(sources)
        self._adopt = zygote  # forked with the store already loaded: used for the first start
        self._settings = settings
        self._policy = policy or WorkerPolicy()
        self._max_waiting = max_waiting if max_waiting is not None else 32 * settings.query_workers
        # A waiting query may sit behind one that runs to its timeout, then the replacement's fork.
        self._max_wait = 2 * settings.query_timeout
        self._zygote: subprocess.Popen[bytes] | ForkedZygote | None = None
        self._restarting = False
        self._ctl: socket.socket | None = None
        self._ctl_lock = asyncio.Lock()
        self._idle: deque[WorkerHandle] = deque()
        self._waiters: deque[asyncio.Future[WorkerHandle]] = deque()
        self._workers: set[WorkerHandle] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.network_isolated = False

    # ---- lifecycle

    async def start(self) -> DatasetInfo:
        """Start the zygote, wait for it to load the dataset, and fork the workers."""
        info = await self._start_zygote()
        await self._fill_pool()
        return info

    async def refresh(self) -> DatasetInfo | None:
        return None  # the files or store were read at start; they do not change under it

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
        """Spawn a fresh interpreter as the zygote (the server process never forks once it may
        have threads), send it its job, and wait for the loaded dataset's facts. A zygote forked
        before that (`fork_zygote`) is adopted instead, the first time."""
        if self._adopt is not None:
            zygote, self._adopt = self._adopt, None
            zygote.ctl.setblocking(False)
            self._ctl, self._zygote = zygote.ctl, zygote
            return await self._zygote_ready()
        ctl, theirs = socket.socketpair()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # coopkg importable, installed or not
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", PROGRAM, str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            theirs.close()
        ctl.setblocking(False)
        self._ctl, self._zygote = ctl, proc
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(ctl, frame((self._sources, self._settings, self._policy)))
        return await self._zygote_ready()

    async def _zygote_ready(self) -> DatasetInfo:
        reply, _ = await self._ctl_read(LENGTH.size, with_frame=True)
        if reply is None or reply[0] == "error":
            await self._stop_zygote()
            raise LoadError(
                reply[1] if reply else "the query process exited while loading the dataset"
            )
        _, info, isolated = reply
        self.network_isolated = isolated
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
                _log.error(
                    "the query engine's zygote %s; reloading the dataset", self._how_it_ended()
                )
                # A worker found dead meanwhile asks for its successor on the zygote's socket
                # (_spawn, under the same lock): not before the new zygote has said it is ready,
                # or both would read that socket and the restart could wait for ever.
                async with self._ctl_lock:
                    await self._stop_zygote()
                    await self._start_zygote()
                await self._fill_pool()
            except (LoadError, EngineFailed, OSError) as exc:
                _log.error("restarting the query engine failed: %s", exc)
                self._fail_waiters("the query engine is not running")
            finally:
                self._restarting = False

        self._background(restart())

    def _how_it_ended(self) -> str:
        """The zygote's end in words, so that a log says what killed it (SIGKILL here is the
        kernel's OOM killer or an operator; an exception exits 1 with its traceback on stderr)."""
        code = self._zygote.poll() if self._zygote is not None else None
        if code is None:
            return "stopped answering"
        if code == STATUS_UNKNOWN:
            return "exited (its status was collected elsewhere)"
        if code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with status {code}"

    def _background(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fail_waiters(self, message: str) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(EngineFailed(message))

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
                need = size + LENGTH.unpack(bytes(buf))[0]
        if with_frame:
            return pickle.loads(bytes(buf[size:])), fds
        return bytes(buf), fds

    async def _spawn(self) -> WorkerHandle:
        """Have the zygote fork a worker; connect to it."""
        async with self._ctl_lock:
            if self._ctl is None:
                raise EngineFailed("the query engine is not running")
            try:
                self._ctl.send(b"F")
                data, fds = await self._ctl_read(LENGTH.size)
            except OSError:
                data, fds = None, []
        if data is None or not fds:
            raise EngineFailed("the query engine is not running (its zygote process exited)")
        pid = LENGTH.unpack(data)[0]
        worker = WorkerHandle(pid, fds[1] if len(fds) > 1 else -1, socket.socket(fileno=fds[0]))
        await worker.connect()
        self._workers.add(worker)
        return worker

    def _replace(self, worker: WorkerHandle) -> None:
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
            except EngineFailed:
                self._zygote_lost()

        self._background(respawn())

    # ---- the pool

    def _release(self, worker: WorkerHandle) -> None:
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

    async def _acquire(self) -> WorkerHandle:
        while True:
            if self._idle:
                worker = self._idle.pop()  # LIFO: the most recently used worker is warm
            else:
                if self._closed:
                    raise EngineFailed("the query engine is shutting down")
                if not self._workers and not self._tasks:
                    self._zygote_lost()  # try again: the dataset may load this time
                if len(self._waiters) >= self._max_waiting:
                    raise Overloaded(
                        f"all {self._settings.query_workers} query workers are busy and "
                        f"{len(self._waiters)} queries are waiting; try again later"
                    )
                waiter: asyncio.Future[WorkerHandle] = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                got: WorkerHandle | None = None
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
        except (ConnectionError, OSError):
            _log.error(
                "worker %d died during a query (crash or out of memory); replaced", worker.pid
            )
            self._replace(worker)
            raise EngineFailed(
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

    async def run(self, job: QueryJob, formats: ResultFormats) -> QueryOutcome:
        reply = await self._call((job, formats))
        if reply[0] == "ok":
            return reply[1]
        _, name, message = reply
        error = getattr(errors, name, None)
        if not (isinstance(error, type) and issubclass(error, SparqlError)):
            error = EngineFailed
        if error is EngineError:
            _log.error("the query engine failed on a query: %s", message)
        raise error(message)

    async def worker_info(self) -> dict[str, Any]:
        """Facts reported by a worker about itself (pid, network isolation, loaded modules)."""
        reply = await self._call("debug")
        return reply[1]

    def worker_pids(self) -> list[int]:
        return sorted(w.pid for w in self._workers)
