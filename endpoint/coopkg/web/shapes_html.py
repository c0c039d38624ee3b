"""The HTML page of the SHACL shapes (`/shapes`): every shape that has an IRI, file by file, each
node shape followed by its property shapes, with its name, message, severity, targets, path and
constraints. A shape's section has its local name as id, so `…/shapes#SiteShape-containedInPlace`
lands on it. Values read as in Turtle (prefixed names, lists in parentheses, blank nodes in
brackets); the shapes' own IRIs link within the page, the ontology's terms to its documentation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from .. import __version__
from ..vocab import LICENSE_IRI, ONTOLOGY_NS, PREFIXES, SH, SHAPES_NS
from .documents import DOCUMENT_FORMATS
from .pages import templates

__all__ = ["Shape", "Token", "read_shapes", "render_shapes_page"]

_PREFIXES = {**PREFIXES, "coopsh": SHAPES_NS, "sh": SH}
_SHAPE_TYPES = (URIRef(SH + "NodeShape"), URIRef(SH + "PropertyShape"))
_TARGETS = tuple(URIRef(SH + t) for t in ("targetClass", "targetNode", "targetSubjectsOf",
                                           "targetObjectsOf"))  # fmt: skip
_SHOWN_APART = {
    RDF.type, RDFS.label, RDFS.comment, URIRef(SH + "name"), URIRef(SH + "description"),
    URIRef(SH + "message"), URIRef(SH + "severity"), URIRef(SH + "path"), *_TARGETS,
}  # fmt: skip
_PLAIN = {XSD.integer, XSD.boolean, XSD.decimal, XSD.double}
_MAX_DEPTH = 6


@dataclass(frozen=True)
class Token:
    """A piece of a value as it reads; `href` when it is a link."""

    text: str
    href: str | None = None


@dataclass
class Shape:
    iri: str
    anchor: str  # the local name: the element's id
    node: bool  # a node shape (else a property shape)
    name: str | None
    description: str | None
    message: str | None
    severity: list[Token]
    targets: list[list[Token]]
    path: list[Token]
    constraints: list[tuple[list[Token], list[Token]]]  # (parameter, value)
    properties: list[Shape] = field(default_factory=list)


class _Reader:
    def __init__(self, graph: Graph, root: str) -> None:
        self.graph = graph
        self.root = root

    def iri(self, iri: str) -> Token:
        text = iri
        for prefix, namespace in _PREFIXES.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                text = f"{prefix}:{iri[len(namespace) :]}"
                break
        if iri.startswith(SHAPES_NS):
            return Token(text, "#" + iri[len(SHAPES_NS) :])
        if iri.startswith(ONTOLOGY_NS):
            return Token(text, f"{self.root}/ontology#{iri[len(ONTOLOGY_NS) :]}")
        return Token(text, iri if iri.startswith(("http://", "https://")) else None)

    def value(self, term: object, depth: int = 0) -> list[Token]:
        if isinstance(term, URIRef):
            return [self.iri(str(term))]
        if isinstance(term, Literal):
            return [Token(_literal(term))]
        if not isinstance(term, BNode) or depth > _MAX_DEPTH:
            return [Token("[]")]
        if (term, RDF.first, None) in self.graph or term == RDF.nil:
            tokens = [Token("(")]
            for item in Collection(self.graph, term):
                tokens += self.value(item, depth + 1)
            return [*tokens, Token(")")]
        tokens = [Token("[")]
        for i, (p, o) in enumerate(sorted(self.graph.predicate_objects(term))):
            tokens += [*([Token(";")] if i else []), self.iri(str(p)), *self.value(o, depth + 1)]
        return [*tokens, Token("]")]

    def path(self, term: object, depth: int = 0) -> list[Token]:
        """A SHACL property path, in SPARQL's notation."""
        if not isinstance(term, BNode) or depth > _MAX_DEPTH:
            return self.value(term)
        if (term, RDF.first, None) in self.graph:
            steps = [self.path(step, depth + 1) for step in Collection(self.graph, term)]
            return _joined(steps, "/")
        for operator, suffix in (("inversePath", "^"), ("zeroOrMorePath", "*"),
                                 ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):  # fmt: skip
            inner = self.graph.value(term, URIRef(SH + operator))
            if inner is not None:
                tokens = self.path(inner, depth + 1)
                return [Token("^"), *tokens] if suffix == "^" else [*tokens, Token(suffix)]
        alternatives = self.graph.value(term, URIRef(SH + "alternativePath"))
        if alternatives is not None:
            steps = [self.path(s, depth + 1) for s in Collection(self.graph, alternatives)]
            return [Token("("), *_joined(steps, "|"), Token(")")]
        return self.value(term, depth)

    def text(self, subject: URIRef, *predicates: URIRef) -> str | None:
        for predicate in predicates:
            values = sorted(self.graph.objects(subject, predicate), key=_english_first)
            if values:
                return str(values[0])
        return None

    def shape(self, subject: URIRef) -> Shape:
        graph = self.graph
        iri = str(subject)
        constraints = [
            ([self.iri(str(p))], self.value(o))
            for p, o in sorted(graph.predicate_objects(subject))
            if p not in _SHOWN_APART
        ]
        path = graph.value(subject, URIRef(SH + "path"))
        return Shape(
            iri=iri,
            anchor=iri[len(SHAPES_NS) :] if iri.startswith(SHAPES_NS) else iri,
            node=(subject, RDF.type, URIRef(SH + "NodeShape")) in graph or path is None,
            name=self.text(subject, URIRef(SH + "name"), RDFS.label),
            description=self.text(subject, URIRef(SH + "description"), RDFS.comment),
            message=self.text(subject, URIRef(SH + "message")),
            severity=[self.iri(str(s)) for s in graph.objects(subject, URIRef(SH + "severity"))],
            targets=[self.value(o) for t in _TARGETS for o in _sorted(graph.objects(subject, t))],
            path=self.path(path) if path is not None else [],
            constraints=constraints,
        )


def _sorted(nodes: Iterable[Node]) -> list[Node]:
    return sorted(nodes, key=str)


def _joined(steps: list[list[Token]], separator: str) -> list[Token]:
    tokens: list[Token] = []
    for i, step in enumerate(steps):
        tokens += [*([Token(separator)] if i else []), *step]
    return tokens


def _english_first(literal: object) -> tuple[int, str]:
    language = literal.language if isinstance(literal, Literal) else None
    return (0 if language in (None, "en") else 1, str(literal))


def _literal(literal: Literal) -> str:
    if literal.language:
        return f'"{literal}"@{literal.language}'
    if literal.datatype in _PLAIN:
        return str(literal)
    if literal.datatype is None or literal.datatype == XSD.string:
        return f'"{literal}"'
    return f'"{literal}"^^{literal.datatype}'


def _shape_iris(graph: Graph) -> list[URIRef]:
    found = {s for t in _SHAPE_TYPES for s in graph.subjects(RDF.type, t)}
    found |= {s for s in graph.subjects(URIRef(SH + "path"), None)}
    found |= {o for o in graph.objects(None, URIRef(SH + "property"))}
    return sorted(s for s in found if isinstance(s, URIRef))


def read_shapes(files: tuple[Path, ...], root: str) -> list[tuple[str, list[Shape]]]:
    """Per file: its node shapes (each with its property shapes) and any property shape no node
    shape of the file names."""
    sections = []
    for path in files:
        graph = Graph().parse(path)
        reader = _Reader(graph, root)
        shapes = {s: reader.shape(s) for s in _shape_iris(graph)}
        listed: list[Shape] = []
        owned: set[URIRef] = set()
        for subject, shape in shapes.items():
            if not shape.node:
                continue
            for prop in _sorted(graph.objects(subject, URIRef(SH + "property"))):
                if isinstance(prop, URIRef) and prop in shapes and prop not in owned:
                    shape.properties.append(shapes[prop])
                    owned.add(prop)
            listed.append(shape)
        listed += [s for iri, s in shapes.items() if not s.node and iri not in owned]
        sections.append((f"{path.parent.name}/{path.name}", listed))
    return sections


def render_shapes_page(files: tuple[Path, ...], root: str) -> str:
    formats = [(f.label, f"{root}/shapes{f.suffix}", f.media_type) for f in DOCUMENT_FORMATS]
    return (
        templates()
        .get_template("shapes.html")
        .render(
            lang="en",
            root=root,
            version=__version__,
            sections=read_shapes(files, root),
            formats=formats,
            licence=LICENSE_IRI,
            namespace=SHAPES_NS,
        )
    )
