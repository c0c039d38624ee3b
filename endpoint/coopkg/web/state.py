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
from ..query.dump import DatasetDump
from ..query.index import ResourceIndex
from ..query.runner import QueryRunner
from ..query.statistics import DatasetStatistics
from .conformance import Conformance
from .http import EntityTags
from .vocab_documents import Vocabularies

__all__ = ["AppState", "app_state", "load_examples"]

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
    # router; the dataset does not change while the application runs.
    documents: dict[tuple[str, str, str, str], bytes] = field(default_factory=dict)
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
