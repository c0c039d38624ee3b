"""The endpoint's bounded result cache (coopkg.result_cache)."""

from __future__ import annotations

import asyncio

import pytest
from coopkg.errors import QuerySyntaxError, QueryTimeout
from coopkg.query.cache import ResultCache


def _cache(entries: int = 10, max_bytes: int = 100_000) -> ResultCache[bytes]:
    return ResultCache(
        entries, max_bytes, size_of=len, keep_error=lambda e: isinstance(e, QuerySyntaxError)
    )


def test_get_put_and_least_recently_used_eviction() -> None:
    cache = _cache(entries=2)
    assert cache.get("a") is None
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.put("c", b"3")  # evicts b
    assert "b" not in cache and cache.get("a") == b"1" and cache.get("c") == b"3"
    assert cache.stats.evictions == 1 and len(cache) == 2


def test_bounded_by_bytes() -> None:
    cache = _cache(entries=100, max_bytes=4 * 1024)
    for key in range(10):
        cache.put(key, b"x" * 500)
    assert cache.bytes <= 4 * 1024
    assert 0 < len(cache) < 10 and 9 in cache and 0 not in cache


def test_a_value_over_a_quarter_of_the_budget_is_not_kept() -> None:
    cache = _cache(max_bytes=4000)
    assert cache.put("big", b"x" * 2000) is False
    assert "big" not in cache and cache.bytes == 0


@pytest.mark.parametrize("entries,max_bytes", [(0, 1000), (10, 0)])
def test_disabled(entries: int, max_bytes: int) -> None:
    cache = _cache(entries, max_bytes)
    assert not cache.enabled
    assert cache.put("a", b"1") is False and cache.get("a") is None


def test_replacing_a_key_keeps_the_byte_count_right() -> None:
    cache = _cache()
    cache.put("a", b"x" * 100)
    before = cache.bytes
    cache.put("a", b"x" * 10)
    assert cache.bytes == before - 90 and len(cache) == 1


def test_get_or_run_runs_once_and_then_hits() -> None:
    cache = _cache()
    calls = []

    async def run() -> bytes:
        calls.append(1)
        return b"result"

    async def main() -> None:
        assert await cache.get_or_run("q", run) == (b"result", False)
        assert await cache.get_or_run("q", run) == (b"result", True)

    asyncio.run(main())
    assert len(calls) == 1 and cache.stats.hits == 1 and cache.stats.misses == 1


def test_concurrent_misses_share_one_evaluation() -> None:
    cache = _cache()
    calls = []

    async def run() -> bytes:
        calls.append(1)
        await asyncio.sleep(0.05)
        return b"shared"

    async def main() -> list:
        return await asyncio.gather(*(cache.get_or_run("q", run) for _ in range(16)))

    results = asyncio.run(main())
    assert len(calls) == 1
    assert all(value == b"shared" for value, _ in results)
    assert cache.stats.shared == 15


def test_deterministic_errors_are_kept_and_raised_afresh() -> None:
    cache = _cache()
    calls = []

    async def run() -> bytes:
        calls.append(1)
        raise QuerySyntaxError("line 1, column 5: expected WHERE")

    async def main() -> list[BaseException]:
        raised = []
        for _ in range(3):
            with pytest.raises(QuerySyntaxError) as info:
                await cache.get_or_run("bad", run)
            raised.append(info.value)
        return raised

    raised = asyncio.run(main())
    assert len(calls) == 1
    assert raised[1] is not raised[2]  # a new exception each time: no growing traceback
    assert raised[2].message == "line 1, column 5: expected WHERE"


def test_other_errors_are_not_kept() -> None:
    cache = _cache()
    calls = []

    async def run() -> bytes:
        calls.append(1)
        raise QueryTimeout("stopped after 1 s")

    async def main() -> None:
        for _ in range(2):
            with pytest.raises(QueryTimeout):
                await cache.get_or_run("slow", run)

    asyncio.run(main())
    assert len(calls) == 2 and len(cache) == 0


def test_an_evaluation_outlives_a_cancelled_caller() -> None:
    cache = _cache()

    async def run() -> bytes:
        await asyncio.sleep(0.05)
        return b"late"

    async def main() -> None:
        caller = asyncio.ensure_future(cache.get_or_run("q", run))
        await asyncio.sleep(0.01)
        caller.cancel()
        await asyncio.sleep(0.1)
        assert cache.get("q") == b"late"

    asyncio.run(main())
