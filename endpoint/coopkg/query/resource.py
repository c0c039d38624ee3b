"""What the graph says about one resource, for its linked-data documents and pages: its symmetric
concise bounded description (the statements about it and the statements that point to it), each
with the sources that state it (the named graphs that hold it), and the labels and types, in every
language, of every resource it links to.

One SELECT through the runner, so whatever engine answers queries answers this too, and the result
cache keeps repeated requests cheap. The IRI is checked before it is written into the query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..vocab import ONTOLOGY_NS, RDF_TYPE, RDFS, SKOS
from . import QueryJob
from .results import select_solutions
from .runner import QueryRunner

__all__ = [
    "EDITORIAL_LANGUAGE",
    "LABEL_PROPERTIES",
    "ResourceDescription",
    "Statement",
    "describe_resource",
]

SKOSXL = "http://www.w3.org/2008/05/skos-xl#"
EDITORIAL_LANGUAGE = ONTOLOGY_NS + "editorialLabelLanguage"
NOTATION = SKOS + "notation"
LABEL_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", SKOSXL + "literalForm")
"""What names a resource on a page (alternative labels are shown as statements of their own)."""

# The description's statements (?dir "out" or "in", with the graph of each when it is in one),
# then ("link") the labels, types, notations and editorial label languages of everything on the
# page: the resources on the other side, the predicates used, the sources (graphs) that state
# them, and the classes of all of these. The subquery binds ?s first: written as a join with the
# label properties, Oxigraph scanned every label of the store (125 ms against 0.4 ms on 100k
# synthetic triples; bench/README.md).
_QUERY = """SELECT ?dir ?s ?p ?o ?g WHERE {{
  {{ BIND("out" AS ?dir) BIND(<{iri}> AS ?s) ?s ?p ?o . OPTIONAL {{ GRAPH ?g {{ ?s ?p ?o }} }} }}
  UNION
  {{ BIND("in" AS ?dir) BIND(<{iri}> AS ?o) ?s ?p ?o . OPTIONAL {{ GRAPH ?g {{ ?s ?p ?o }} }} }}
  UNION
  {{ BIND("link" AS ?dir)
     {{ SELECT DISTINCT ?s WHERE {{
          {{ <{iri}> ?q ?s FILTER(isIRI(?s)) }} UNION {{ ?s ?q <{iri}> }}
          UNION {{ <{iri}> ?s ?x }} UNION {{ ?x ?s <{iri}> }}
          UNION {{ GRAPH ?s {{ <{iri}> ?q ?x }} }} UNION {{ GRAPH ?s {{ ?x ?q <{iri}> }} }}
          UNION {{ <{iri}> a ?s }} UNION {{ <{iri}> ?q ?x . ?x a ?s }}
          UNION {{ ?x ?q <{iri}> . ?x a ?s }}
     }} }}
     ?s ?p ?o .
     FILTER(?p IN ({properties}))
  }}
}}"""


@dataclass(frozen=True)
class Statement:
    subject: ox.NamedNode | ox.BlankNode
    predicate: ox.NamedNode
    object: ox.NamedNode | ox.BlankNode | ox.Literal
    sources: tuple[str, ...]  # the named graphs that hold it; () when it is in no named graph


@dataclass
class ResourceDescription:
    iri: str
    outgoing: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)
    # Labels and types of the resource, of the resources it links to, and of its predicates.
    labels: dict[str, list[ox.Literal]] = field(default_factory=lambda: defaultdict(list))
    types: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # skos:notation of linked resources, to show concept schemes in their order.
    notations: dict[str, str] = field(default_factory=dict)
    # The "link" statements as they are: labels and types of linked resources, for documents.
    linked: list[ox.Triple] = field(default_factory=list)
    # Languages in which a resource's labels are the project's own (translations).
    editorial_languages: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming)

    def statements(self) -> list[Statement]:
        return [*self.outgoing, *self.incoming]


def _term(binding: ox.QuerySolution, name: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    value = binding[name]
    return value if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal) else None


async def describe_resource(runner: QueryRunner, iri: str) -> ResourceDescription:
    """The description of `iri` (empty when the graph says nothing about it). ValueError when
    `iri` is not a valid IRI."""
    checked = ox.NamedNode(iri).value  # raises ValueError: nothing unchecked reaches the query
    properties = (*LABEL_PROPERTIES, RDF_TYPE, NOTATION, EDITORIAL_LANGUAGE)
    query = _QUERY.format(iri=checked, properties=", ".join(f"<{p}>" for p in properties))
    outcome, _ = await runner.answer(QueryJob(query, format_name="json"))
    return _collect(checked, select_solutions(outcome))


Term = ox.NamedNode | ox.BlankNode | ox.Literal
Key = tuple[str, ox.NamedNode | ox.BlankNode, ox.NamedNode, Term]


def _collect(iri: str, solutions: ox.QuerySolutions) -> ResourceDescription:
    description = ResourceDescription(iri)
    grouped: dict[Key, set[str]] = {}
    for row in solutions:
        direction = _term(row, "dir")
        s, p, o = _term(row, "s"), _term(row, "p"), _term(row, "o")
        if direction is None or isinstance(s, ox.Literal) or s is None:
            continue
        if not isinstance(p, ox.NamedNode) or o is None:
            continue
        if direction.value == "link":
            _add_link(description, s, p, o)
            continue
        sources = grouped.setdefault((direction.value, s, p, o), set())
        graph = _term(row, "g")
        if isinstance(graph, ox.NamedNode):
            sources.add(graph.value)
    for (side, s, p, o), sources in grouped.items():
        statement = Statement(s, p, o, tuple(sorted(sources)))
        if side == "in":
            description.incoming.append(statement)
            continue
        description.outgoing.append(statement)
        if s.value == iri and p.value in (RDF_TYPE, *LABEL_PROPERTIES):
            _add_link(description, s, p, o, keep=False)
    return description


def _add_link(
    description: ResourceDescription,
    s: ox.NamedNode | ox.BlankNode,
    p: ox.NamedNode,
    o: Term,
    keep: bool = True,
) -> None:
    """Record a label, type, notation or editorial language of `s`; with `keep`, also as a
    statement of the document."""
    if keep:
        _add_once(description.linked, ox.Triple(s, p, o))
    if p.value == RDF_TYPE and isinstance(o, ox.NamedNode):
        _add_once(description.types[s.value], o.value)
    elif not isinstance(o, ox.Literal):
        return
    elif p.value == NOTATION:
        description.notations.setdefault(s.value, o.value)
    elif p.value == EDITORIAL_LANGUAGE:
        description.editorial_languages[s.value].add(o.value.lower())
    else:
        _add_once(description.labels[s.value], o)


def _add_once(values: list, value: object) -> None:
    if value not in values:
        values.append(value)
