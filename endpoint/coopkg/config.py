"""Settings for the whole application. Built once by the CLI (or a test) and passed in: nothing here
is read at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every knob of the server. Environment variables `COOPKG_<NAME>` override the defaults when a
    Settings object is created; the CLI passes its options explicitly."""

    model_config = SettingsConfigDict(env_prefix="COOPKG_", frozen=True)

    # What to serve. Empty: the checkout's (or package's) ontology/ and data/, shapes in a named
    # graph.
    graph_paths: tuple[Path, ...] = ()
    # With given paths: copy the quads of TriG and N-Quads files into the default graph too, as
    # the shipped data/ is loaded (the default graph is then the union of the source graphs).
    union_default_graph: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    # Public base of the graph's IRIs: relative IRIs in a query resolve against it.
    base_iri: str = "https://w3id.org/coops4dev/"

    # HTTP processes sharing one listening socket; each has its own query workers and cache. Two,
    # measured on a 2-core machine: 1.7-1.9x the uncached lookups and documents of one process,
    # engine-bound queries unchanged, one more Python heap but no second store (bench/README.md).
    http_workers: int = Field(2, ge=1, description="HTTP server processes")

    # Query execution.
    query_timeout: float = Field(30.0, gt=0, description="seconds before a query is killed (503)")
    query_workers: int = Field(2, ge=1, description="processes that evaluate queries")
    # Single-pattern lookups bounded by this many matching triples run in the server process,
    # skipping the worker round trip (coopkg.query.lookup); everything else runs in a worker.
    lookup_lane: bool = True
    lookup_max_matches: int = Field(1000, ge=1, le=100_000)
    # A linked-data document's description is read from that same store in the server process
    # when it reads at most this many quads in all, around the resource and about what it links
    # to (a few milliseconds at most); a bigger one is a query in a worker, under the timeout
    # (coopkg.query.neighbourhood). 0: always the worker.
    describe_max_quads: int = Field(2000, ge=0, le=100_000)
    # A GET the endpoint answers without an await (a lookup, a cached result, a 304) is answered
    # by the connection itself, before any ASGI work (coopkg.web.immediate). Off: every request
    # goes through the application (the tests compare the two).
    lookup_in_connection: bool = True
    max_result_rows: int = Field(100_000, ge=1, description="rows or triples in one result")
    max_result_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="bytes in one result")

    # Request limits.
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="bytes in a POST body (413)")
    max_url_bytes: int = Field(8 * 1024, ge=256, description="bytes in a request target (414)")
    max_header_bytes: int = Field(
        64 * 1024, ge=1024, description="bytes of header fields in a request head (431)"
    )
    # Read deadlines (coopkg.connection): a slow or stalled client is answered 408 and let go.
    header_timeout: float = Field(
        10.0, gt=0, description="seconds from a connection or a request's first byte to its head"
    )
    body_timeout: float = Field(30.0, gt=0, description="seconds from a request's head to its body")

    # An on-disk Oxigraph store made by `coopkg load` (coopkg.store): served as it is, no parsing.
    store_path: Path | None = None
    # An external SPARQL 1.1 engine that answers every query (coopkg.query.remote); the dataset
    # is pushed into it with `coopkg push`.
    sparql_backend: str | None = None
    # Seconds between two reads of the dataset version a push records in the engine: a replica's
    # ETags and cache follow a push within this time (plus one query's time).
    backend_refresh: float = Field(30.0, gt=0)
    # The engine's own row cap, when it has one that cuts results silently (Virtuoso's
    # ResultSetMaxRows): a graph result of at least this many triples is refused (502).
    backend_max_rows: int | None = Field(None, ge=1)

    # Result cache for repeated identical queries, and for rendered linked-data documents (the
    # graph is read-only); 0 entries turns both off.
    cache_entries: int = Field(1024, ge=0)
    cache_max_bytes: int = Field(256 * 1024 * 1024, ge=0)
