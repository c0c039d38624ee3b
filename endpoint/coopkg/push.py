"""`coopkg push --to URL`: load the dataset into an external SPARQL engine through the SPARQL 1.1
Graph Store HTTP Protocol, so that `coopkg serve --sparql-backend` can answer from it.

- Everything is read and validated before anything is sent: some engines empty a graph on a
  failed PUT (Virtuoso answers 500 and leaves it empty), so a file that does not parse, or a
  dataset that does not conform to the shapes, never reaches the engine.
- Graph by graph, each with one PUT (it replaces the graph: pushing twice leaves the same
  triples, where a POST would add blank-node triples again): the default graph under the name
  `vocab.DEFAULT_GRAPH` (engines disagree on what their own default graph is), each named graph
  (the sources, the shapes), then the version record (coopkg.meta) last, so that servers in
  front of the engine see a new version only once its graphs are there. Graphs of the previous
  push that the dataset no longer has are deleted.
- Credentials come from the environment (`COOPKG_PUSH_USER`, `COOPKG_PUSH_PASSWORD`), never the
  command line; HTTP Digest (Virtuoso's `/sparql-graph-crud-auth` wants it) unless
  `COOPKG_PUSH_AUTH=basic`.

Blank nodes are local to each PUT: one shared by two graphs becomes two nodes in the engine.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pyoxigraph as ox

from .dataset import GraphSource, LoadError, load_store
from .meta import meta_triples
from .vocab import DCTERMS, DEFAULT_GRAPH, META_GRAPH

__all__ = ["PushError", "PushReport", "push", "push_auth"]

_NT = "application/n-triples"


class PushError(Exception):
    """The dataset could not be pushed; the message says which graph and what the engine said."""


@dataclass(frozen=True)
class PushReport:
    etag: str
    graphs: dict[str, int]  # graph name -> triples sent
    deleted: tuple[str, ...]
    seconds: float


def push_auth(env: dict[str, str] | None = None) -> httpx.Auth | None:
    """Credentials from the environment, or None."""
    env = dict(os.environ) if env is None else env
    user, password = env.get("COOPKG_PUSH_USER"), env.get("COOPKG_PUSH_PASSWORD")
    if not user:
        return None
    if env.get("COOPKG_PUSH_AUTH", "digest").lower() == "basic":
        return httpx.BasicAuth(user, password or "")
    return httpx.DigestAuth(user, password or "")


def push(
    to: str,
    sources: list[GraphSource],
    *,
    auth: httpx.Auth | None = None,
    timeout: float = 300.0,
    progress: Callable[[str], None] | None = None,
) -> PushReport:
    """Push the dataset `sources` make into the Graph Store at `to`. The caller has validated
    it; parsing it here again raises LoadError before anything is sent."""
    started = time.perf_counter()
    store, info = load_store(sources)
    bodies: dict[str, tuple[bytes, int]] = {
        DEFAULT_GRAPH: _graph_body(store, ox.DefaultGraph()),
    }
    for name in info.named_graphs:
        bodies[name] = _graph_body(store, ox.NamedNode(name))
    meta = ox.serialize(meta_triples(info), format=ox.RdfFormat.N_TRIPLES) or b""
    say = progress or (lambda _line: None)
    with httpx.Client(auth=auth, timeout=timeout) as client:
        previous = _previous_graphs(client, to)
        for name, (body, count) in bodies.items():
            _put(client, to, name, body)
            say(f"{name}: {count} triples")
        deleted = tuple(sorted(previous - set(bodies)))
        for name in deleted:
            _request(client, "DELETE", to, name)
            say(f"{name}: deleted (no longer in the dataset)")
        _put(client, to, META_GRAPH, meta)
    return PushReport(
        etag=info.etag,
        graphs={name: count for name, (_, count) in bodies.items()},
        deleted=deleted,
        seconds=time.perf_counter() - started,
    )


def _graph_body(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph) -> tuple[bytes, int]:
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, graph)
    ]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", len(triples)


def _request(
    client: httpx.Client, method: str, to: str, graph: str, body: bytes | None = None
) -> httpx.Response:
    headers = {"Content-Type": _NT} if body is not None else {"Accept": _NT}
    try:
        response = client.request(
            method, to, params={"graph": graph}, content=body, headers=headers
        )
    except httpx.HTTPError as exc:
        raise PushError(
            f"{method} {graph}: the Graph Store at {to} could not be reached: {exc}"
        ) from None
    if method == "GET" and response.status_code == 404:
        return response
    if response.status_code not in (200, 201, 204):
        text = " ".join(response.text.split())[:300]
        raise PushError(
            f"{method} {graph}: the Graph Store answered {response.status_code}: {text}"
        )
    return response


def _put(client: httpx.Client, to: str, graph: str, body: bytes) -> None:
    _request(client, "PUT", to, graph, body)


def _previous_graphs(client: httpx.Client, to: str) -> set[str]:
    """The graphs the previous push recorded (none when there was none)."""
    response = _request(client, "GET", to, META_GRAPH)
    if response.status_code == 404 or not response.content.strip():
        return set()
    try:
        triples = list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError:
        return set()
    graphs = {
        t.object.value
        for t in triples
        if t.predicate.value == DCTERMS + "hasPart" and isinstance(t.object, ox.NamedNode)
    }
    return graphs | {DEFAULT_GRAPH}


def push_command(to: str, sources: list[GraphSource]) -> int:
    """What `coopkg push` does after validation: 0 pushed, 2 not read, 1 the engine refused."""
    try:
        report = push(to, sources, auth=push_auth(), progress=lambda line: print(line))
    except LoadError as exc:
        print(f"coopkg push: {exc}; nothing was sent", file=sys.stderr)
        return 2
    except PushError as exc:
        print(f"coopkg push: {exc}", file=sys.stderr)
        return 1
    total = sum(report.graphs.values())
    print(
        f"coopkg push: {len(report.graphs)} graphs, {total} triples, version {report.etag}, "
        f"in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0
