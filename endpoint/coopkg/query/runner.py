"""What every query goes through before and around its engine: the guard's refusals, one content
negotiation for the three result kinds, the result cache, and the lookup lane for point lookups.
The web layer hands it a parsed `QueryJob`; whatever `Engine` evaluates the rest, these rules are
the same."""

from __future__ import annotations

import asyncio

import pyoxigraph as ox

from ..config import Settings
from ..dataset import DatasetInfo, GraphSource, load_store
from ..errors import DETERMINISTIC_ERRORS, NotAcceptable, QuerySyntaxError, SparqlError
from ..formats import ResultFormats, negotiate, not_acceptable_message
from . import Engine, QueryJob, QueryOutcome
from .cache import ResultCache
from .guard import check_in_server
from .lookup import LookupLane, simple_lookup
from .neighbourhood import Neighbourhoods

__all__ = ["QueryRunner"]


class QueryRunner:
    """Answers `QueryJob`s through `engine`. With `lane_sources`, single-pattern lookups are
    answered in this process from a copy of the store loaded from them (coopkg.query.lookup),
    or from `lane`, that store already loaded."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        lane_sources: list[GraphSource] | None = None,
        lane: ox.Store | None = None,
    ) -> None:
        self.engine = engine
        self._settings = settings
        self._lane_sources = lane_sources if settings.lookup_lane else None
        self._lane_store = lane  # already loaded (coopkg.query.preload): not loaded again
        self._lane: LookupLane | None = None
        # Linked-data descriptions read from the lane's store (coopkg.query.neighbourhood): what
        # is read there needs no worker, and is bounded since nothing could kill it.
        self.neighbourhoods: Neighbourhoods | None = None
        self._etag: str | None = None
        self.cache = self._new_cache()

    def _new_cache(self) -> ResultCache[QueryOutcome]:
        return ResultCache(
            self._settings.cache_entries,
            self._settings.cache_max_bytes,
            size_of=lambda outcome: len(outcome.body) + len(outcome.content_type),
            keep_error=lambda exc: isinstance(exc, DETERMINISTIC_ERRORS),
        )

    async def start(self) -> DatasetInfo:
        info = await self.engine.start()
        self._etag = info.etag
        if self._lane_sources is not None:
            if self._lane_store is not None:
                store = self._lane_store
            else:
                store, _ = await asyncio.to_thread(load_store, self._lane_sources)
            self._lane = LookupLane(
                store,
                max_matches=self._settings.lookup_max_matches,
                max_bytes=self._settings.max_result_bytes,
            )
            if self._settings.describe_max_quads > 0:
                self.neighbourhoods = Neighbourhoods(store, self._settings.describe_max_quads)
        return info

    async def close(self) -> None:
        await self.engine.close()

    async def refresh(self) -> DatasetInfo | None:
        """The engine's dataset when it changed since the last look (someone pushed a new
        version into an external engine), else None. A change empties the cache: a new cache
        object, so that answers still in flight from the old version land in the old one."""
        info = await self.engine.refresh()
        if info is None or info.etag == self._etag:
            return None
        self._etag = info.etag
        self.cache = self._new_cache()
        return info

    def cached(self, job: QueryJob) -> QueryOutcome | None:
        """The cached answer to `job` (raising a cached error again), or None: no coroutine, so a
        hit costs the web layer no await."""
        return self.cache.get(job)

    async def answer(self, job: QueryJob) -> tuple[QueryOutcome, bool]:
        """(outcome, from the cache): a repeated request is answered from memory, and identical
        requests in flight share one evaluation. Errors that depend only on the request are
        cached too; the engine's failures never are."""
        outcome = self.cache.get(job)
        if outcome is not None:
            return outcome, True
        formats = negotiate(job.accept, job.format_name)
        if not formats.any_acceptable:  # before any work: no kind of result could be written
            raise NotAcceptable(not_acceptable_message(formats))
        outcome, checked = self._lane_answer(job, formats)
        if outcome is not None:  # answered here and now: no task, no future (bench/README.md)
            return self._lane_outcome_kept(job, outcome)
        return await self.cache.get_or_run(
            job, lambda: self._run(job, formats, lane=False, checked=checked)
        )

    def answer_now(self, job: QueryJob) -> tuple[QueryOutcome, bool] | None:
        """`answer`'s result when it needs no await (a cached outcome, or the lane's answer to a
        lookup the regular expression reads), with the same effects on the cache; None when the
        usual path must answer (an error, cached or not, is left to it: it raises and counts it).
        The connection calls it for a GET before any ASGI work (coopkg.web.immediate)."""
        if self.cache.holds_error(job):
            return None
        outcome = self.cache.get(job)
        if outcome is not None:
            return outcome, True
        if self._lane is None:
            return None
        simple = simple_lookup(job.query)
        if simple is None:
            return None  # the usual path would not take the lane, or would lex the query
        formats = negotiate(job.accept, job.format_name)
        if not formats.any_acceptable:
            return None
        # What the lane's regular expression reads passes the guard (coopkg.query.lookup): no
        # scan. The Unicode check stays: it is cheap and the job may come from anywhere.
        try:
            job.query.encode("utf-8")
        except UnicodeEncodeError:
            return None
        outcome = self._lane.answer(job, formats, simple)
        return None if outcome is None else self._lane_outcome_kept(job, outcome)

    async def run(self, job: QueryJob) -> QueryOutcome:
        """Evaluate `job` without the cache."""
        return await self._run(job, negotiate(job.accept, job.format_name))

    def _lane_answer(
        self, job: QueryJob, formats: ResultFormats
    ) -> tuple[QueryOutcome | None, bool]:
        """(the lookup lane's answer or None, whether `job` passed the server's checks, which then
        need not run again). None: not a lookup, or a query the usual path refuses (with the error
        it caches)."""
        if self._lane is None:
            return None, False
        try:
            check_in_server(job.query)
            job.query.encode("utf-8")
        except (SparqlError, UnicodeEncodeError):
            return None, False
        return self._lane.answer(job, formats), True

    def _lane_outcome_kept(self, job: QueryJob, outcome: QueryOutcome) -> tuple[QueryOutcome, bool]:
        """The lane's answer counted and kept as the cache keeps any evaluated outcome."""
        self.cache.stats.misses += 1
        self.cache.put(job, outcome)
        return outcome, False

    async def _run(
        self, job: QueryJob, formats: ResultFormats, lane: bool = True, checked: bool = False
    ) -> QueryOutcome:
        """Evaluate; `lane=False` when the lane has already declined `job`, `checked` when the
        server's checks have already passed it."""
        if not checked:
            check_in_server(job.query)
            try:
                job.query.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise QuerySyntaxError(
                    f"the query is not valid Unicode text (position {exc.start}: {exc.reason})"
                ) from None
        if lane and self._lane is not None:
            outcome = self._lane.answer(job, formats)
            if outcome is not None:
                return outcome
        return await self.engine.run(job, formats)
