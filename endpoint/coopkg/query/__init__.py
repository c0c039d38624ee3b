"""Answering SPARQL queries, whatever engine evaluates them.

What every query goes through, in the server process (`QueryRunner`, coopkg.query.runner): the
guard's refusals (SERVICE, updates, deep nesting: coopkg.query.guard), content negotiation for
the three result kinds at once (coopkg.formats), the result cache (coopkg.query.cache) and, for
point lookups, the lookup lane (coopkg.query.lookup). What evaluates the rest is an `Engine`:
the pool of killable Oxigraph worker processes (coopkg.query.pool, coopkg.query.worker), over
files or an on-disk store, or an external SPARQL 1.1 service (coopkg.query.remote); both write
their bodies with coopkg.query.results, which applies the row and byte caps. coopkg.query.choice
picks one from the settings.

This module holds only the types the pieces share, so that each of them imports it and none
imports another's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..dataset import DatasetInfo
from ..formats import ResultFormats

__all__ = ["Engine", "QueryJob", "QueryOutcome"]


@dataclass(frozen=True)
class QueryJob:
    """One query request, as the protocol layer parsed it. Hashable (the cache key) and
    picklable (it is sent to a worker process)."""

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


class Engine(Protocol):
    """What evaluates queries. The runner has already refused what the guard refuses and
    negotiated `formats`; the engine evaluates, caps and serialises, and raises a
    coopkg.errors.SparqlError for anything that is not an answer."""

    async def start(self) -> DatasetInfo: ...

    async def run(self, job: QueryJob, formats: ResultFormats) -> QueryOutcome: ...

    async def refresh(self) -> DatasetInfo | None:
        """The dataset served now, read again where it can change under a running server (an
        external engine someone pushes to); None where it cannot."""
        ...

    async def close(self) -> None: ...
