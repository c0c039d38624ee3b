"""The server's end of one query worker: its socket as a bare asyncio protocol (cheaper per query
than asyncio streams: bench/README.md), its pid and pidfd, and one request-reply exchange at a
time."""

from __future__ import annotations

import asyncio
import os
import pickle
import select
import signal
import socket
from typing import Any, cast

from .frames import LENGTH, frame

__all__ = ["WorkerChannel", "WorkerHandle"]


class WorkerChannel(asyncio.Protocol):
    """The server's end of a worker socket: collects one reply frame at a time for `exchange`.
    A bare protocol rather than asyncio streams, for the server CPU it saves per query."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.need = -1  # body length once the header has arrived
        self.waiter: asyncio.Future[bytes] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need < 0 and len(self.buf) >= LENGTH.size:
            self.need = LENGTH.unpack_from(self.buf)[0]
        if 0 <= self.need <= len(self.buf) - LENGTH.size:
            end = LENGTH.size + self.need
            frame = bytes(memoryview(self.buf)[LENGTH.size : end])
            del self.buf[:end]
            self.need = -1
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            reason = f": {exc}" if exc is not None else ""
            self.waiter.set_exception(ConnectionError(f"the worker closed its socket{reason}"))


class WorkerHandle:
    def __init__(self, pid: int, pidfd: int, sock: socket.socket) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.sock = sock
        self.channel = WorkerChannel()

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
        channel.transport.write(frame(request))
        try:
            async with asyncio.timeout(timeout):
                data = await channel.waiter
        finally:
            channel.waiter = None
        return pickle.loads(data)
