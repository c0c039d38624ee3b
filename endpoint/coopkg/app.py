"""The application factory: FastAPI composes one router per concern around a shared query
executor."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from . import __version__
from .config import Settings
from .dataset import default_sources
from .executor import QueryExecutor
from .services import Services

__all__ = ["create_app", "dataset_sources"]


def dataset_sources(settings: Settings) -> list[tuple[Path, str | None]]:
    """Paths given in the settings replace the default dataset; each goes to the default graph
    (quad formats keep their named graphs)."""
    if settings.graph_paths:
        return [(Path(p), None) for p in settings.graph_paths]
    return default_sources()


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        executor = QueryExecutor(dataset_sources(settings), settings)
        dataset = await executor.start()
        app.state.services = Services(settings=settings, executor=executor, dataset=dataset)
        try:
            yield
        finally:
            await executor.close()

    app = FastAPI(
        title="coops4dev knowledge graph",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api",
        redoc_url=None,
        # FastAPI's OpenTelemetry hook checks for configured providers on every request (about
        # 8 µs, a fifth of a cached SPARQL answer); this server does not use it.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    from . import sparql, ui  # routers are imported here so each module stays importable on its own

    app.include_router(sparql.router)
    app.add_exception_handler(Exception, sparql.internal_error)  # a clean 500, never a trace
    app.add_middleware(sparql.SparqlFastPath)  # /sparql skips FastAPI's routing (measured)
    ui.install(app)  # the query editor: /, /query, /static/..., and HTML on /sparql
    return app
