"""A bounded result cache for the SPARQL endpoint, with single-flight evaluation.

The graph is read-only for the lifetime of a server, so a query's answer depends only on the request
(query text, dataset parameters, negotiated format): identical requests can be answered from memory.
The cache is an LRU bounded both by entries and by bytes. Concurrent identical misses share one
evaluation ("single flight"): sixteen clients sending the same query at once cost one worker run.

What is kept:
- successful outcomes, truncated ones included (a truncated answer is deterministic and carries its
  truncation flag, so the client is told again on every hit);
- errors the caller marks as deterministic (a syntax error stays a syntax error); they are stored as
  (class, message) and raised as fresh exceptions, never the same object twice.
What is not: anything the caller does not mark (timeouts, crashed workers), and values larger than a
quarter of the byte budget, which would evict everything else.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["CacheStats", "ResultCache"]

V = TypeVar("V")

_ENTRY_OVERHEAD = 256  # bytes charged per entry on top of the caller's size (key, node, object)


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    shared: int = 0  # misses answered by joining an evaluation already under way


@dataclass(frozen=True)
class _StoredError:
    cls: type[BaseException]
    args: tuple


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


class ResultCache(Generic[V]):
    """LRU of `key -> value` bounded by `max_entries` and `max_bytes` (either 0 disables it)."""

    def __init__(
        self,
        max_entries: int,
        max_bytes: int,
        size_of: Callable[[V], int],
        keep_error: Callable[[BaseException], bool] = lambda _exc: False,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._keep_error = keep_error
        self._entries: OrderedDict[Hashable, tuple[V | _StoredError, int]] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Future] = {}
        self.bytes = 0
        self.stats = CacheStats()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> V | None:
        """The cached value (raising a cached error again), or None on a miss."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        self.stats.hits += 1
        value = entry[0]
        if isinstance(value, _StoredError):
            raise value.cls(*value.args)
        return value

    def holds_error(self, key: Hashable) -> bool:
        """True when `get(key)` would raise a cached error (nothing counted, nothing moved)."""
        entry = self._entries.get(key)
        return entry is not None and isinstance(entry[0], _StoredError)

    def put(self, key: Hashable, value: V) -> bool:
        """Store a value; False when it is too large to be worth keeping."""
        return self._store(key, value, self._size_of(value))

    def put_error(self, key: Hashable, exc: BaseException) -> bool:
        stored = _StoredError(type(exc), exc.args)
        return self._store(key, stored, sum(len(str(a)) for a in exc.args))

    async def get_or_run(self, key: Hashable, run: Callable[[], Awaitable[V]]) -> tuple[V, bool]:
        """(value, hit): the cached value, or the result of `run()`, which is stored. Concurrent
        callers with the same key wait for the same evaluation; it keeps running (and is cached)
        even if every caller goes away."""
        value = self.get(key)
        if value is not None:
            return value, True
        self.stats.misses += 1
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._evaluate(key, run))
            # No "exception never retrieved" warning when every caller has gone.
            future.add_done_callback(_retrieve)
            self._inflight[key] = future
        else:
            self.stats.shared += 1
        return await asyncio.shield(future), False

    async def _evaluate(self, key: Hashable, run: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await run()
        except Exception as exc:
            if self._keep_error(exc):
                self.put_error(key, exc)
            raise
        finally:
            self._inflight.pop(key, None)
        self.put(key, value)
        return value

    def _store(self, key: Hashable, value: V | _StoredError, size: int) -> bool:
        if not self.enabled:
            return False
        size += _ENTRY_OVERHEAD
        if size > self.max_bytes // 4:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped
            self.stats.evictions += 1
        return True
