"""Running the application under uvicorn, with the fast event loop and HTTP parser."""

from __future__ import annotations

import sys

import uvicorn

from .app import create_app
from .config import Settings

__all__ = ["serve"]


def serve(settings: Settings) -> int:
    app = create_app(settings)
    print(
        f"coopkg: serving SPARQL at http://{settings.host}:{settings.port}/sparql", file=sys.stderr
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
    return 0
