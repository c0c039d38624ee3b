"""The data as `coopkg validate` holds it once read: a pyoxigraph store with each data file in a
named graph of its own (the SHACL engine validates their union), the shapes as an rdflib graph,
and per file what is needed to say where a result comes from: its prefixes, and lines, found only
when asked for (most files have nothing to report, and finding lines costs far more than parsing:
`positions`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal as RoleLiteral
from urllib.parse import urljoin

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..dataset import OXIGRAPH_FORMATS
from ..files import RDF_SUFFIXES
from .positions import LINE_FORMATS, parse_with_lines, subject_lines
from .terms import ox_iri, ox_resource, to_ox, to_rdflib

__all__ = ["Inputs", "Location", "ParsedFile", "Role"]

Role = RoleLiteral["data", "shapes"]
"""What a file is to the validator: data to check (ontology included), or shapes to check it by."""

_OX_TYPE = ox.NamedNode(str(RDF.type))


@dataclass(frozen=True)
class Location:
    """Where a resource is described: the file, and the line of its first statement when known."""

    file: Path
    line: int | None = None


@dataclass
class ParsedFile:
    """One file that was read: its role, its prefixes, and, for a data file, the named graph of
    `store` that holds its statements (named after the file: the file's own graph names are set
    aside there). `quads` keeps the statements with their own graph names, only for files in the
    scope of the provenance rules (`needs_sources`). Lines are found only when asked for: most
    files have nothing to report, and finding them costs far more than parsing (`positions`)."""

    path: Path
    role: Role
    prefixes: dict[str, str]
    base: str
    graph: ox.NamedNode | None = None
    store: ox.Store | None = None
    quads: list[ox.Quad] = field(default_factory=list)
    needs_sources: bool = False
    _lines: dict[Node, int] | None = None
    _statement_lines: list[int | None] | None = None

    def _matches(self, subject: Node, predicate: Node | None = None) -> bool:
        if self.store is None or self.graph is None or isinstance(subject, Literal):
            return False
        found = self.store.quads_for_pattern(
            ox_resource(subject), None if predicate is None else ox_iri(predicate), None, self.graph
        )
        return next(iter(found), None) is not None

    def describes(self, node: Node) -> bool:
        """Whether the file states something about `node`."""
        return self._matches(node)

    def states(self, node: Node, predicate: Node) -> bool:
        return self._matches(node, predicate)

    def types(self, node: Node) -> bool:
        return self._matches(node, RDF.type)

    @property
    def typed(self) -> set[Node]:
        """Every subject the file gives a type."""
        if self.store is None or self.graph is None:
            return set()
        quads = self.store.quads_for_pattern(None, _OX_TYPE, None, self.graph)
        return {to_rdflib(q.subject) for q in quads}

    def statement_lines(self) -> list[int | None]:
        """The line of each statement, in the order the parser gives them (that of `quads`)."""
        if self._statement_lines is None:
            fmt = RDF_SUFFIXES[self.path.suffix.lower()]
            parser, quads = parse_with_lines(
                self.path.read_bytes(),
                OXIGRAPH_FORMATS[fmt],
                self.path.resolve().as_uri(),
                fmt in LINE_FORMATS,
            )
            self._statement_lines = [line for _quad, line in quads]
        return self._statement_lines

    def line_of(self, node: Node) -> int | None:
        """First line of the file where `node` opens a block of statements (found lexically), else
        the line of its first statement. None for blank nodes or formats without lines."""
        fmt = RDF_SUFFIXES.get(self.path.suffix.lower())
        if isinstance(node, BNode) or fmt not in LINE_FORMATS:
            return None
        if self._lines is None:
            self._lines = self._scan_subject_lines()
        if node not in self._lines and self.describes(node):
            self._lines.update(self._first_statement_lines())
        return self._lines.get(node)

    def _scan_subject_lines(self) -> dict[Node, int]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
        found = subject_lines(text, self._expand)
        return {
            node: line
            for node, line in found.items()
            if isinstance(node, URIRef) and self.describes(node)
        }

    def _first_statement_lines(self) -> dict[Node, int]:
        """Where the lexical scan found nothing (a subject inside a line, say): the line of each
        subject's first statement. A second parse; blank nodes get new names, IRIs do not."""
        fmt = RDF_SUFFIXES[self.path.suffix.lower()]
        _parser, quads = parse_with_lines(
            self.path.read_bytes(), OXIGRAPH_FORMATS[fmt], self.path.resolve().as_uri(), True
        )
        lines: dict[Node, int] = {}
        for quad, line in quads:
            if line is not None and isinstance(quad.subject, ox.NamedNode):
                lines.setdefault(URIRef(quad.subject.value), line)
        return {node: line for node, line in lines.items() if node not in (self._lines or {})}

    def _expand(self, token: str) -> URIRef | None:
        if token.startswith("<"):
            return URIRef(urljoin(self.base, token[1:-1]))
        prefix, _, local = token.partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            return None
        return URIRef(namespace + re.sub(r"\\(.)", r"\1", local))


@dataclass
class Inputs:
    """What was read: the data (ontology + data) in a pyoxigraph store, each file in a named graph
    of its own (SHACL sees their union), the shapes graph, the files, and the data's prefixes."""

    store: ox.Store
    shapes: Graph
    files: list[ParsedFile] = field(default_factory=list)
    namespaces: Graph = field(default_factory=Graph)

    @classmethod
    def from_graphs(cls, data: Graph, shapes: Graph) -> Inputs:
        """Inputs made of graphs built in memory (no files, so nothing is located). Generalized
        triples (a literal subject, as OWL RL reasoners write) are not RDF and are left out."""
        store = ox.Store()
        store.extend(
            ox.Quad(ox_resource(s), ox_iri(p), to_ox(o))
            for s, p, o in data
            if isinstance(s, URIRef | BNode) and isinstance(p, URIRef)
        )
        namespaces = Graph()
        for prefix, namespace in data.namespaces():
            namespaces.bind(prefix, namespace, override=False)
        return cls(store=store, shapes=shapes, namespaces=namespaces)

    @cached_property
    def data(self) -> Graph:
        """The data graph as one rdflib graph (the union of the files): for callers that want
        rdflib; validation itself never builds it."""
        graph = Graph()
        for prefix, namespace in self.namespaces.namespaces():
            graph.bind(prefix, namespace, override=False)
        for quad in self.store:
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    @property
    def data_files(self) -> list[Path]:
        return [f.path for f in self.files if f.role == "data"]

    @property
    def shapes_files(self) -> list[Path]:
        return [f.path for f in self.files if f.role == "shapes"]

    def objects(self, subject: Node, predicate: URIRef) -> list[Node]:
        """The values of a property of a resource, over every file (once each)."""
        if isinstance(subject, Literal):
            return []
        found = self.store.quads_for_pattern(ox_resource(subject), ox_iri(predicate), None, None)
        return list(dict.fromkeys(to_rdflib(q.object) for q in found))

    def subjects_of_type(self, cls: URIRef) -> set[Node]:
        found = self.store.quads_for_pattern(None, _OX_TYPE, to_ox(cls), None)
        return {to_rdflib(q.subject) for q in found}

    def _count(self, query: str) -> int:
        solutions = self.store.query(query, use_default_graph_as_union=True)
        if not isinstance(solutions, ox.QuerySolutions):
            raise TypeError("a count query gives solutions")
        (row,) = solutions
        return int(row[0].value)

    def count_triples(self) -> int:
        """Distinct statements (a statement two files make counts once)."""
        return self._count("SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }")

    def count_resources(self) -> int:
        """Distinct IRIs that are the subject of a statement."""
        return self._count("SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o FILTER isIRI(?s) }")

    def locate(self, focus: Node, path: Node | None = None) -> Location | None:
        """The file (and line) describing `focus`; with a predicate `path`, prefer the file that
        states that property. Blank nodes are located through the resource that refers to them."""
        seen: set[Node] = set()
        while isinstance(focus, BNode) and focus not in seen:
            seen.add(focus)
            parents = self.store.quads_for_pattern(None, None, to_ox(focus), None)
            parent = next(iter(parents), None)
            if parent is None:
                break
            focus, path = to_rdflib(parent.subject), None
        candidates = [f for f in self.files if f.role == "data" and f.describes(focus)]
        if not candidates:
            return None
        chosen = None
        if path is not None:
            chosen = next((f for f in candidates if f.states(focus, path)), None)
        chosen = chosen or next((f for f in candidates if f.types(focus)), candidates[0])
        return Location(chosen.path, chosen.line_of(focus))
