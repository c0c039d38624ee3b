"""The ontology and the shapes as published documents: read once at start-up from the package's
ontology/ and shapes/ folders (the files `coopkg validate` checks, whatever dataset is served) and
serialised in every RDF format of coopkg.web.documents. Their HTML pages are made on the first
request that wants one (coopkg.web.vocabularies) and kept here.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..dataset import OXIGRAPH_FORMATS
from ..files import RDF_SUFFIXES, graph_dir, rdf_files
from ..vocab import FOAF, ONTOLOGY_IRI, OWL, PREFIXES, SH, SHAPES_NS, VOID
from .documents import DOCUMENT_FORMATS, DocumentFormat

__all__ = ["NAV_SLOT", "Vocabularies", "Vocabulary", "load_vocabularies"]

# Where the ontology page gets the site's navigation bar (made per language, path and root).
NAV_SLOT = "<!--coopkg-nav-->"
_PREFIXES = {
    **PREFIXES,
    "coopsh": SHAPES_NS,
    "sh": SH,
    "foaf": FOAF,
    "void": VOID,
    "vann": "http://purl.org/vocab/vann/",
}


@dataclass
class Vocabulary:
    """One published document: the ontology or the shapes."""

    name: str  # "ontology" or "shapes": the path it is published at
    files: tuple[Path, ...]
    digest: str  # of the files' content: part of every ETag
    rdf: dict[str, bytes]  # by DocumentFormat.name (HTML excepted)
    version: str | None = None  # owl:versionInfo; /ontology/<version> answers too
    # (language, root, path) -> (page, Content-Security-Policy), made on the first request.
    html: dict[tuple[str, str, str], tuple[bytes, str]] = field(default_factory=dict)


@dataclass
class Vocabularies:
    ontology: Vocabulary
    shapes: Vocabulary
    # One page is made at a time, in a worker thread (pyLODE takes about a second the first time).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    background: Any = None  # pyLODE's background ontologies (coopkg.web.ontology_html)
    pages: dict[str, Any] = field(default_factory=dict)  # language -> ontology_html.OntologyPage


def _read(files: tuple[Path, ...]) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    for path in files:
        fmt = OXIGRAPH_FORMATS[RDF_SUFFIXES[path.suffix.lower()]]
        # Blank nodes renamed: two files' `_:b0` are two nodes.
        for quad in ox.parse(path=path, format=fmt, rename_blank_nodes=True):
            triples.append(ox.Triple(quad.subject, quad.predicate, quad.object))
    return triples


def _serialise(triples: list[ox.Triple], fmt: DocumentFormat) -> bytes:
    assert fmt.rdf is not None
    items: list[Any] = triples
    if fmt.keeps_graphs:
        items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        return ox.serialize(items, format=fmt.rdf, prefixes=_PREFIXES) or b""
    return ox.serialize(items, format=fmt.rdf) or b""


def _vocabulary(name: str, folder: Path) -> Vocabulary:
    files = tuple(rdf_files([folder]))
    digest = hashlib.blake2b(digest_size=16)
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    triples = _read(files)
    rdf = {f.name: _serialise(triples, f) for f in DOCUMENT_FORMATS if f.rdf is not None}
    version = next(
        (
            t.object.value
            for t in triples
            if t.subject == ox.NamedNode(ONTOLOGY_IRI)
            and t.predicate == ox.NamedNode(OWL + "versionInfo")
            and isinstance(t.object, ox.Literal)
        ),
        None,
    )
    return Vocabulary(name, files, digest.hexdigest(), rdf, version if name == "ontology" else None)


def load_vocabularies(root: Path | None = None) -> Vocabularies:
    """The ontology and the shapes of the checkout or the installed package (`root`: another
    folder holding ontology/ and shapes/)."""
    return Vocabularies(
        ontology=_vocabulary("ontology", graph_dir("ontology", root)),
        shapes=_vocabulary("shapes", graph_dir("shapes", root)),
    )
