"""Which engine answers, from the settings: an external SPARQL service (`sparql_backend`), else
the embedded worker pool over an on-disk store (`store_path`) or over the configured files."""

from __future__ import annotations

from ..config import Settings
from ..dataset import dataset_sources
from . import Engine
from .pool import WorkerPool
from .preload import Preloaded
from .remote import RemoteEngine
from .runner import QueryRunner

__all__ = ["make_runner"]


def make_runner(
    settings: Settings, engine: Engine | None = None, preloaded: Preloaded | None = None
) -> QueryRunner:
    """The runner over `engine`, or over the engine the settings name. The lookup lane needs a
    local copy of the data: only the embedded engine over files has one (over a store, every
    query goes to a worker). `preloaded`: the dataset already in this process, and the zygote
    forked from it (coopkg.query.preload)."""
    if engine is not None:
        return QueryRunner(engine, settings)
    if settings.sparql_backend:
        return QueryRunner(RemoteEngine(settings.sparql_backend, settings), settings)
    if settings.store_path is not None:
        return QueryRunner(WorkerPool([], settings), settings)
    if preloaded is not None:
        pool = WorkerPool(preloaded.sources, settings, zygote=preloaded.take_zygote())
        return QueryRunner(pool, settings, lane_sources=preloaded.sources, lane=preloaded.store)
    sources = dataset_sources(settings.graph_paths, settings.union_default_graph)
    return QueryRunner(WorkerPool(sources, settings), settings, lane_sources=sources)
