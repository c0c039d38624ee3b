"""The one state of a running application, made in its lifespan and kept on `app.state.coopkg`:
the settings, the query runner and what it loaded, the entity tags, the example queries, and the
service descriptions already written. Every route reads it from there; nothing is module-level."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from ..answers import PreparedAnswers
from ..catalogue import CatalogueError, ExampleQuery, load_catalogue
from ..config import Settings
from ..dataset import DatasetInfo
from ..errors import SparqlError
from ..query.dump import DatasetDump
from ..query.index import ResourceIndex
from ..query.runner import QueryRunner
from ..query.statistics import DatasetStatistics
from .conformance import Conformance
from .http import EntityTags
from .vocab_documents import Vocabularies

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
    # Linked-data documents already rendered, by (IRI, format, language, root). Bounded by the
    # router; emptied when the engine serves a new version of the dataset (`follow`).
    documents: dict[tuple[str, ...], bytes] = field(default_factory=dict)
    # Triples per graph (None: the default graph), counted once, on the first description.
    graph_sizes: dict[str | None, int] | None = None
    # The ontology's and the shapes' documents (coopkg.web.vocabularies), read at start-up.
    vocabularies: Vocabularies | None = None
    # Read in the lifespan (coopkg.web.site.prepare): every label and type, and the figures.
    index: ResourceIndex = field(default_factory=ResourceIndex)
    statistics: DatasetStatistics | None = None
    # Made once, by the first request that needs them (coopkg.web.dumps, coopkg.web.void).
    dump: DatasetDump | None = None
    conformance: Conformance | None = None
    conformance_checked: bool = False
    building: asyncio.Lock = field(default_factory=asyncio.Lock)  # one build at a time
    # Pages of the site (home, browse, A–Z, search, sitemap) by what identifies them. Bounded.
    pages: dict[tuple[str, ...], bytes] = field(default_factory=dict)
    # Whole answers the connection replays (coopkg.answers); off unless the server passes one.
    answers: PreparedAnswers = field(default_factory=lambda: PreparedAnswers(0, 0))

    def follow(self, dataset: DatasetInfo) -> None:
        """A new version of the dataset is served: new ETags, descriptions written again (the
        runner has emptied its cache)."""
        self.dataset = dataset
        self.tags = EntityTags(
            dataset.etag, self.settings.max_result_rows, self.settings.max_result_bytes
        )
        self.descriptions.clear()
        self.graph_sizes = None
        # Everything made from the graph is made again from the new one.
        self.documents.clear()
        self.pages.clear()
        self.answers.clear()
        self.dump = None
        self.conformance = None
        self.conformance_checked = False


async def follow_dataset(
    state: AppState,
    interval: float,
    prepare: Callable[[AppState], Awaitable[None]] | None = None,
) -> None:
    """Every `interval` seconds, ask the engine which dataset it serves; follow a change (and
    `prepare` again what the site reads at start-up). An engine that cannot be asked keeps the
    version last seen."""
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
            if prepare is not None:
                await prepare(state)


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
