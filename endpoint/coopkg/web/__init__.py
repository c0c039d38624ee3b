"""The web application: `create_app(settings)` composes the routes around one `AppState` made in
the lifespan (coopkg.web.state). Routes by concern: the SPARQL protocol (sparql), the service
description (description), the query editor (editor), static files (static), the linked-data
documents (linked_data), the home page (home), browsing and the A–Z index (browse), search
(search), the dumps (dumps), the VoID description and what crawlers read (discovery), the
ontology and shapes documents (vocabularies); the HTTP rules they share are in coopkg.web.http."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from ..answers import AnswerRecorder, PreparedAnswers
from ..config import Settings
from ..query import Engine
from ..query.choice import make_runner
from ..query.preload import Preloaded
from . import (
    browse,
    discovery,
    dumps,
    editor,
    home,
    linked_data,
    search,
    site,
    static,
    vocabularies,
)
from .http import EntityTags, internal_error
from .immediate import ImmediateAnswers
from .sparql import SparqlFastPath
from .state import AppState, follow_dataset, load_examples
from .vocab_documents import load_vocabularies

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    answers: PreparedAnswers | None = None,
    preloaded: Preloaded | None = None,
) -> FastAPI:
    """The application. `engine` evaluates the queries; by default the one the settings name
    (coopkg.query.choice): an external SPARQL service, or the embedded Oxigraph worker pool.
    `answers` keeps its reusable answers for the connection to replay (coopkg.answers);
    `preloaded` is the dataset the server process loaded (coopkg.query.preload)."""
    if answers is None:
        answers = PreparedAnswers(settings.cache_entries, settings.cache_max_bytes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = make_runner(settings, engine, preloaded)
        dataset = await runner.start()
        examples, problem = load_examples()
        app.state.coopkg = AppState(
            settings=settings,
            runner=runner,
            dataset=dataset,
            tags=EntityTags(dataset.etag, settings.max_result_rows, settings.max_result_bytes),
            examples=examples,
            examples_problem=problem,
            vocabularies=load_vocabularies(),
            answers=answers,
        )
        await site.prepare(app.state.coopkg)  # the label index and the figures, once
        if settings.lookup_in_connection:
            answers.immediate = ImmediateAnswers(app.state.coopkg)
        follow = asyncio.create_task(
            follow_dataset(app.state.coopkg, settings.backend_refresh, site.prepare)
        )
        try:
            yield
        finally:
            answers.immediate = None
            follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follow
            await runner.close()

    app = FastAPI(
        title="coops4dev knowledge graph",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api",
        redoc_url=None,
        # FastAPI's OpenTelemetry hook checks for configured providers on every request; this
        # server does not use it (its cost is in bench/README.md).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.add_exception_handler(Exception, internal_error)  # a clean 500, never a trace
    app.add_middleware(SparqlFastPath)  # /sparql and /sparql/ are answered here, past routing
    app.add_middleware(AnswerRecorder, answers=answers)  # outermost: sees every answer
    app.include_router(editor.router)
    app.include_router(static.router)
    app.include_router(linked_data.router)
    for router in (
        home.router,
        browse.router,
        search.router,
        dumps.router,
        discovery.router,
        vocabularies.router,
    ):
        app.include_router(router)
    return app
