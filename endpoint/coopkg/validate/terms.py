"""RDF terms between pyoxigraph (the data store) and rdflib (the shapes, the SHACL report and what
the reports print): IRIs, blank nodes (same names both ways) and literals."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

__all__ = ["ox_iri", "ox_resource", "to_ox", "to_rdflib"]

_XSD_STRING = str(XSD.string)


def to_rdflib(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if term.language:
            return Literal(term.value, lang=term.language)
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported RDF term {term!r}")  # RDF-star triple terms


def to_ox(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        datatype = node.datatype or XSD.string
        return ox.Literal(str(node), datatype=ox.NamedNode(str(datatype)))
    raise TypeError(f"unsupported RDF term {node!r}")


def ox_resource(node: Node) -> ox.NamedNode | ox.BlankNode:
    """A subject: an IRI or a blank node (TypeError for a literal)."""
    term = to_ox(node)
    if isinstance(term, ox.Literal):
        raise TypeError(f"a literal cannot be a subject: {node!r}")
    return term


def ox_iri(node: Node) -> ox.NamedNode:
    term = to_ox(node)
    if not isinstance(term, ox.NamedNode):
        raise TypeError(f"not an IRI: {node!r}")
    return term
