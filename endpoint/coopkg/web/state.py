"""The one state of a running application, made in its lifespan and kept on `app.state.coopkg`:
the settings, the query runner and what it loaded, the entity tags, the example queries, and the
service descriptions already written. Every route reads it from there; nothing is module-level."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from starlette.requests import Request

from ..catalogue import CatalogueError, ExampleQuery, load_catalogue
from ..config import Settings
from ..dataset import DatasetInfo
from ..errors import SparqlError
from ..query.runner import QueryRunner
from .http import EntityTags

__all__ = ["AppState", "app_state", "follow_dataset", "load_examples"]

log = logging.getLogger(__name__)


@dataclass
class AppState:
    settings: Settings
    runner: QueryRunner
    dataset: DatasetInfo
    tags: EntityTags
    examples: tuple[ExampleQuery, ...] = ()
    examples_problem: str | None = None  # why the example queries could not be loaded
    # Service descriptions by (endpoint URL, media type): (body, ETag). Bounded by the router.
    descriptions: dict[tuple[str, str], tuple[bytes, bytes]] = field(default_factory=dict)
    # Triples per graph (None: the default graph), counted once, on the first description.
    graph_sizes: dict[str | None, int] | None = None

    def follow(self, dataset: DatasetInfo) -> None:
        """A new version of the dataset is served: new ETags, descriptions written again (the
        runner has emptied its cache)."""
        self.dataset = dataset
        self.tags = EntityTags(
            dataset.etag, self.settings.max_result_rows, self.settings.max_result_bytes
        )
        self.descriptions.clear()
        self.graph_sizes = None


async def follow_dataset(state: AppState, interval: float) -> None:
    """Every `interval` seconds, ask the engine which dataset it serves; follow a change. An
    engine that cannot be asked keeps the version last seen."""
    while True:
        await asyncio.sleep(interval)
        try:
            dataset = await state.runner.refresh()
        except SparqlError as exc:
            log.warning("the dataset version could not be read: %s", exc.message)
            continue
        if dataset is not None:
            log.warning("the engine now serves dataset %s; ETags and cache follow", dataset.etag)
            state.follow(dataset)


def load_examples() -> tuple[tuple[ExampleQuery, ...], str | None]:
    """The example queries, and None; or none and why. A broken catalogue leaves the service
    usable."""
    try:
        return tuple(load_catalogue()), None
    except CatalogueError as exc:
        log.warning("example queries not loaded: %s", exc)
        return (), f"The example queries could not be loaded: {exc}"


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.coopkg
    return state
