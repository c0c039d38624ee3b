"""One copy of the dataset per server, shared: loaded once, before any HTTP process has a thread,
then inherited by everything forked from there.

Without it, each HTTP process held the store twice (its zygote's and its lookup lane's), and each
further HTTP process two more copies. With it, the process that starts the server loads the store;
each HTTP process is forked from it (with `--workers`), and forks its zygote before it starts its
event loop; the lookup lane reads the inherited store. Zygote, workers, lanes: one copy of the
store's pages, shared copy-on-write (bench/README.md has the figures).

Only the embedded engine over files needs it: an on-disk store is opened by the zygote itself, an
external engine holds its own data. A zygote that dies later is replaced by a fresh interpreter
that loads the dataset again (coopkg.query.pool), as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..config import Settings
from ..dataset import DatasetInfo, GraphSource, dataset_sources, load_store
from .worker import WorkerPolicy
from .zygote import ForkedZygote, fork_zygote

__all__ = ["Preloaded", "preload"]


@dataclass
class Preloaded:
    """The loaded dataset, and the zygote forked from this process for the next engine."""

    sources: list[GraphSource]
    store: ox.Store
    info: DatasetInfo
    zygote: ForkedZygote | None = None

    def fork_zygote(self, settings: Settings, close: tuple[int, ...] = ()) -> None:
        """Fork the zygote now, while this process has one thread; the engine adopts it."""
        self.zygote = fork_zygote(self.store, self.info, settings, WorkerPolicy(), close)

    def take_zygote(self) -> ForkedZygote | None:
        """The zygote, once: a second engine spawns its own."""
        zygote, self.zygote = self.zygote, None
        return zygote


def preload(settings: Settings) -> Preloaded | None:
    """The dataset loaded in this process when the embedded engine serves files, else None.
    Raises LoadError."""
    if settings.sparql_backend or settings.store_path is not None:
        return None
    sources = dataset_sources(settings.graph_paths, settings.union_default_graph)
    store, info = load_store(sources)
    return Preloaded(sources, store, info)
