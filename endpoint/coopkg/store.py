"""Loading the graph files into an Oxigraph store, and the facts about what was loaded."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import SHAPES_GRAPH
from .resources import OXIGRAPH_FORMATS, QUAD_FORMATS, RDF_SUFFIXES, graph_dir, rdf_files

__all__ = ["DatasetInfo", "LoadError", "default_graph_paths", "load_store"]


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


def default_graph_paths(root: Path | None = None) -> list[tuple[Path, str | None]]:
    """The default dataset: ontology and data in the default graph, shapes in their own graph."""
    return [
        (graph_dir("ontology", root), None),
        (graph_dir("data", root), None),
        (graph_dir("shapes", root), SHAPES_GRAPH),
    ]


def load_store(
    sources: list[tuple[Path, str | None]], store: ox.Store | None = None
) -> tuple[ox.Store, DatasetInfo]:
    """Load (path, target graph IRI or None for the default graph) pairs; folders are expanded.
    Quad formats (TriG, N-Quads) keep their own graph names whatever the target."""
    store = store if store is not None else ox.Store()
    digest = hashlib.sha256()
    loaded: list[Path] = []
    for source, graph in sources:
        for path in rdf_files([source]):
            fmt = RDF_SUFFIXES.get(path.suffix.lower())
            if fmt is None:
                raise LoadError(f"{path}: unknown RDF file type {path.suffix!r}")
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LoadError(f"{path}: {exc.strerror or exc}") from exc
            kwargs = {}
            if fmt not in QUAD_FORMATS:
                kwargs["to_graph"] = ox.NamedNode(graph) if graph else ox.DefaultGraph()
            try:
                store.load(
                    data, format=OXIGRAPH_FORMATS[fmt], base_iri=path.resolve().as_uri(), **kwargs
                )
            except SyntaxError as exc:
                raise LoadError(f"{path}: {exc}") from exc
            digest.update(str(graph).encode() + b"\0" + path.name.encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
            loaded.append(path)
    named = tuple(sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)))
    info = DatasetInfo(
        files=tuple(loaded), etag=digest.hexdigest()[:32], quads=len(store), named_graphs=named
    )
    return store, info
