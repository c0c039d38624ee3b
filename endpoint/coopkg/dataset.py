"""The dataset: which files make it, loading them into an Oxigraph store, and the facts about what
was loaded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

import pyoxigraph as ox

from .files import QUAD_FORMATS, RDF_SUFFIXES, graph_dir, rdf_files
from .vocab import SHAPES_GRAPH

__all__ = [
    "OXIGRAPH_FORMATS",
    "DatasetInfo",
    "GraphSource",
    "LoadError",
    "dataset_sources",
    "default_sources",
    "load_file",
    "load_store",
]

# Format name (files.RDF_SUFFIXES) -> pyoxigraph format, for loading and for parsing with
# positions (coopkg.validate).
OXIGRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "json-ld": ox.RdfFormat.JSON_LD,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}


class GraphSource(NamedTuple):
    """A file or folder, and where its statements go."""

    path: Path
    graph: str | None = None
    """The graph a triple format's statements go to (None: the default graph). Quad formats
    (TriG, N-Quads) keep their own graph names."""
    union: bool = False
    """Quads in named graphs are also copied into the default graph. The data/ folder is loaded
    so: each named graph holds what one source states, and the default graph is their union, so
    that a query without GRAPH sees every statement once (see the ontology's header)."""


class LoadError(Exception):
    """A file that could not be read or parsed; the message names the file (and line when known)."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a store was loaded from. `etag` is derived from the files' content, so a server that is
    restarted on the same files answers with the same ETags."""

    files: tuple[Path, ...]
    etag: str
    quads: int
    named_graphs: tuple[str, ...] = field(default_factory=tuple)


def default_sources(root: Path | None = None) -> list[GraphSource]:
    """The shipped dataset: ontology and data in the default graph, shapes in their own graph.
    `coopkg serve` and `coopkg validate` both start from it."""
    return [
        GraphSource(graph_dir("ontology", root)),
        GraphSource(graph_dir("data", root), union=True),
        GraphSource(graph_dir("shapes", root), SHAPES_GRAPH),
    ]


def dataset_sources(
    paths: tuple[Path, ...] | list[Path] = (), union: bool = False
) -> list[GraphSource]:
    """Paths given replace the shipped dataset; each goes to the default graph (quad formats keep
    their named graphs, and with `union` are copied into the default graph too)."""
    if paths:
        return [GraphSource(Path(p), union=union) for p in paths]
    return default_sources()


def load_store(
    sources: list[GraphSource] | list[tuple[Path, str | None]], store: ox.Store | None = None
) -> tuple[ox.Store, DatasetInfo]:
    """Load every source (plain (path, graph) pairs are accepted); folders are expanded."""
    store = store if store is not None else ox.Store()
    digest = hashlib.sha256()
    loaded: list[Path] = []
    for source in sources:
        how = GraphSource(*source)
        for path in rdf_files([how.path]):
            fmt = RDF_SUFFIXES.get(path.suffix.lower())
            if fmt is None:
                raise LoadError(f"{path}: unknown RDF file type {path.suffix!r}")
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LoadError(f"{path}: {exc.strerror or exc}") from exc
            try:
                load_file(store, data, path, fmt, how)
            except SyntaxError as exc:
                raise LoadError(f"{path}: {exc}") from exc
            digest.update(f"{how.graph}\0{how.union}\0{path.name}\0".encode())
            digest.update(hashlib.sha256(data).digest())
            loaded.append(path)
    named = tuple(sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)))
    info = DatasetInfo(
        files=tuple(loaded), etag=digest.hexdigest()[:32], quads=len(store), named_graphs=named
    )
    return store, info


def load_file(
    store: ox.Store,
    source: bytes | IO[bytes],
    path: Path,
    fmt: str,
    how: GraphSource,
    bulk: bool = False,
) -> None:
    """One file's statements into `store` (`bulk`: by Oxigraph's bulk loader), in the graph `how`
    says; SyntaxError as the parser raises it. A quad file with `how.union` is parsed once, each
    named-graph quad written to its graph and to the default graph from that one parse: a blank
    node is one node in both (a second parse would have given it other identifiers)."""
    base_iri = path.resolve().as_uri()
    if how.union and fmt in QUAD_FORMATS:
        # Fresh blank node identifiers, as a store's load gives them: two files' `_:b0` are two.
        quads = ox.parse(
            source, format=OXIGRAPH_FORMATS[fmt], base_iri=base_iri, rename_blank_nodes=True
        )
        (store.bulk_extend if bulk else store.extend)(_with_union(quads))
        return
    target: ox.NamedNode | ox.DefaultGraph | None = None
    if fmt not in QUAD_FORMATS:
        target = ox.NamedNode(how.graph) if how.graph else ox.DefaultGraph()
    load = store.bulk_load if bulk else store.load
    load(source, format=OXIGRAPH_FORMATS[fmt], base_iri=base_iri, to_graph=target)


def _with_union(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Each quad, and each named-graph quad again in the default graph."""
    default = ox.DefaultGraph()
    for quad in quads:
        yield quad
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            yield ox.Quad(quad.subject, quad.predicate, quad.object, default)
