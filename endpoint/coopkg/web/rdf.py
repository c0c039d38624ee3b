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


def document_quads(
    description: ResourceDescription, document_iri: str, with_graphs: bool
) -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    seen: set[ox.Quad] = set()

    def add(quad: ox.Quad) -> None:
        if quad not in seen:
            seen.add(quad)
            quads.append(quad)

    for statement in description.statements():
        s, p, o = statement.subject, statement.predicate, statement.object
        add(ox.Quad(s, p, o))
        if with_graphs:
            for source in statement.sources:
                add(ox.Quad(s, p, o, ox.NamedNode(source)))
    for triple in description.linked:
        add(ox.Quad(triple.subject, triple.predicate, triple.object))
    document = ox.NamedNode(document_iri)
    for predicate, obj in (
        (RDF_TYPE, FOAF + "Document"),
        (FOAF + "primaryTopic", description.iri),
        (VOID + "inDataset", DATASET_IRI),
        (DCTERMS + "license", LICENSE_IRI),
    ):
        add(ox.Quad(document, ox.NamedNode(predicate), ox.NamedNode(obj)))
    return quads


def render_document(
    description: ResourceDescription, fmt: DocumentFormat, document_iri: str
) -> bytes:
    assert fmt.rdf is not None, "HTML is rendered by coopkg.web.pages"
    quads = document_quads(description, document_iri, with_graphs=fmt.keeps_graphs)
    # The default graph first, then one block per source, each in the order of the statements.
    quads.sort(key=lambda q: "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name))
    if not fmt.keeps_graphs:
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        return _serialise(triples, fmt)
    return _serialise(quads, fmt)


def _serialise(items: list, fmt: DocumentFormat) -> bytes:
    if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        return ox.serialize(items, format=fmt.rdf, prefixes=_PREFIXES) or b""
    return ox.serialize(items, format=fmt.rdf) or b""
