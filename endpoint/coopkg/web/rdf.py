"""The RDF of a resource's document: the resource's statements and the statements that point to it,
the labels and types of everything it links to, and what the document itself is
(`<document> foaf:primaryTopic <resource>`, the dataset it belongs to, its licence). Absolute IRIs
only. The formats that keep graphs (TriG, N-Quads) also carry each statement in the named graph of
every source that states it, as the dataset does: the default graph is their union.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..query.resource import ResourceDescription
from ..vocab import DATASET_IRI, DCTERMS, FOAF, LICENSE_IRI, PREFIXES, RDF_TYPE, VOID
from .documents import DocumentFormat

__all__ = ["document_quads", "render_document"]

# Not `id:`: the local names of instances hold slashes, which Turtle would escape (`id:a\/b`).
_PREFIXES = {**{k: v for k, v in PREFIXES.items() if k != "id"}, "foaf": FOAF, "void": VOID}
# What every document says of itself (None: the resource it is about).
_ABOUT_DOCUMENT = tuple(
    (ox.NamedNode(p), o)
    for p, o in (
        (RDF_TYPE, FOAF + "Document"),
        (FOAF + "primaryTopic", None),
        (VOID + "inDataset", DATASET_IRI),
        (DCTERMS + "license", LICENSE_IRI),
    )
)


def document_quads(
    description: ResourceDescription, document_iri: str, with_graphs: bool
) -> list[ox.Quad] | list[ox.Triple]:
    """The document's statements, each once, in the order of the description; with
    `with_graphs`, quads: the default graph's first, then one block per source."""
    triples: dict[ox.Triple, None] = {}
    sourced: dict[ox.Quad, None] = {}
    for statement in (*description.outgoing, *description.incoming):
        triple = ox.Triple(statement.subject, statement.predicate, statement.object)
        triples[triple] = None
        if with_graphs:
            for source in statement.sources:
                sourced[
                    ox.Quad(
                        statement.subject,
                        statement.predicate,
                        statement.object,
                        ox.NamedNode(source),
                    )
                ] = None
    triples.update(dict.fromkeys(ox.Triple(s, p, o) for s, p, o in description.linked))
    document = ox.NamedNode(document_iri)
    for predicate, obj in _ABOUT_DOCUMENT:
        triples[ox.Triple(document, predicate, ox.NamedNode(obj or description.iri))] = None
    if not with_graphs:
        return list(triples)
    by_source = sorted(sourced, key=lambda q: q.graph_name.value)  # type: ignore[union-attr]
    return [ox.Quad(t.subject, t.predicate, t.object) for t in triples] + by_source


def render_document(
    description: ResourceDescription, fmt: DocumentFormat, document_iri: str
) -> bytes:
    assert fmt.rdf is not None, "HTML is rendered by coopkg.web.pages"
    items = document_quads(description, document_iri, with_graphs=fmt.keeps_graphs)
    if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        return ox.serialize(items, format=fmt.rdf, prefixes=_PREFIXES) or b""
    return ox.serialize(items, format=fmt.rdf) or b""
