"""The coopkg application for granian (`granian --interface asgi --factory granian_app:app`),
for bench/http_bench.py's `coopkg-granian` servers only: settings come from `COOPKG_*`
variables, and each granian worker process runs the application's lifespan, which starts its own
query engine (loaded store, forked query workers) as under `coopkg serve`."""

from __future__ import annotations

from typing import Any

from coopkg.config import Settings
from coopkg.web import create_app


def app() -> Any:
    return create_app(Settings())
