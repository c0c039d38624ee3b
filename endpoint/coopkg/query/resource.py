"""What the graph says about one resource, for its linked-data documents and pages: its symmetric
concise bounded description (the statements about it and the statements that point to it), each
with the sources that state it (the named graphs that hold it), and the labels and types, in every
language, of every resource it links to.

One SELECT through the runner, so whatever engine answers queries answers this too, and the result
cache keeps repeated requests cheap. The IRI is checked before it is written into the query. When
the store is in this process (the embedded engine over files), the same rows are read from its
indexes instead (coopkg.query.neighbourhood): no worker, no result format, unless the resource has
too much around it to read without a timeout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter

import pyoxigraph as ox

from ..vocab import ONTOLOGY_NS, RDF_TYPE, RDFS, SKOS
from . import QueryJob
from .neighbourhood import Row
from .results import select_solutions
from .runner import QueryRunner

__all__ = [
    "EDITORIAL_LANGUAGE",
    "LABEL_PROPERTIES",
    "ResourceDescription",
    "Statement",
    "collect",
    "describe_resource",
    "describe_resource_now",
    "description_query",
    "solution_rows",
]

SKOSXL = "http://www.w3.org/2008/05/skos-xl#"
EDITORIAL_LANGUAGE = ONTOLOGY_NS + "editorialLabelLanguage"
NOTATION = SKOS + "notation"
LABEL_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", SKOSXL + "literalForm")
"""What names a resource on a page (alternative labels are shown as statements of their own)."""
DESCRIPTION_PROPERTIES = (*LABEL_PROPERTIES, RDF_TYPE, NOTATION, EDITORIAL_LANGUAGE)
"""What a description reads of every resource on the page."""

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
    # The "link" statements as they are: labels and types of linked resources, for documents (as
    # terms: only the RDF documents make triples of them, and a triple costs about a microsecond).
    linked: list[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, Term]] = field(
        default_factory=list
    )
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


def _checked_iri(iri: str) -> str:
    return ox.NamedNode(iri).value  # raises ValueError: nothing unchecked reaches the query


def description_query(checked: str) -> str:
    """The SELECT whose rows make the description of the IRI `checked` (written into the query
    as it is: check it first)."""
    properties = ", ".join(f"<{p}>" for p in DESCRIPTION_PROPERTIES)
    return _QUERY.format(iri=checked, properties=properties)


async def describe_resource(runner: QueryRunner, iri: str) -> ResourceDescription:
    """The description of `iri` (empty when the graph says nothing about it). ValueError when
    `iri` is not a valid IRI."""
    checked = _checked_iri(iri)
    described = _read_here(runner, checked)
    if described is not None:
        return described
    outcome, _ = await runner.answer(QueryJob(description_query(checked), format_name="json"))
    return collect(checked, solution_rows(select_solutions(outcome)))


def describe_resource_now(runner: QueryRunner, iri: str) -> ResourceDescription | None:
    """The description of `iri` read from the store in this process (coopkg.query.neighbourhood),
    or None: no store here, or a resource with too much around it for the server process (the
    query then runs in a worker, under the timeout). ValueError when `iri` is not a valid IRI."""
    return _read_here(runner, _checked_iri(iri))


def _read_here(runner: QueryRunner, checked: str) -> ResourceDescription | None:
    neighbourhoods = runner.neighbourhoods
    if neighbourhoods is None:
        return None
    rows = neighbourhoods.rows(checked, DESCRIPTION_PROPERTIES)
    return None if rows is None else collect(checked, rows)


def solution_rows(solutions: ox.QuerySolutions) -> Iterator[Row]:
    """The description query's solutions as rows; anything a description cannot hold is skipped."""
    for row in solutions:
        direction = _term(row, "dir")
        s, p, o = _term(row, "s"), _term(row, "p"), _term(row, "o")
        if direction is None or isinstance(s, ox.Literal) or s is None:
            continue
        if not isinstance(p, ox.NamedNode) or o is None:
            continue
        graph = _term(row, "g")
        yield direction.value, s, p, o, graph if isinstance(graph, ox.NamedNode) else None


Term = ox.NamedNode | ox.BlankNode | ox.Literal


def collect(iri: str, rows: Iterable[Row]) -> ResourceDescription:
    """The description made of the description query's rows, however they were read: in one
    order, so that a resource's documents are the same bytes whichever way and engine read them.
    Rows are grouped by their terms' text (hashing a text is cheaper than hashing a term)."""
    description = ResourceDescription(iri)
    grouped: dict[tuple[str, str, str, str], tuple[Row, list[str]]] = {}
    linked: dict[tuple[str, str, str], tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, Term]] = {}
    for key, row in sorted(((_row_order(row), row) for row in rows), key=itemgetter(0)):
        direction, s_text, p_text, o_text, graph = key
        if direction == "link":
            if (s_text, p_text, o_text) not in linked:
                linked[s_text, p_text, o_text] = (row[1], row[2], row[3])
                _add_link(description, row[1], p_text, row[3])
            continue
        entry = grouped.get((direction, s_text, p_text, o_text))
        if entry is None:
            grouped[direction, s_text, p_text, o_text] = (row, [graph] if graph else [])
        elif graph and entry[1][-1:] != [graph]:
            entry[1].append(graph)  # sorted already, so a repeat follows its twin
    description.linked = list(linked.values())
    subject = f"<{iri}>"
    for (side, s_text, p_text, _), ((_, s, p, o, _), sources) in grouped.items():
        statement = Statement(s, p, o, tuple(sources))
        if side == "in":
            description.incoming.append(statement)
            continue
        description.outgoing.append(statement)
        if p_text in _NAMING and s_text == subject:
            _add_link(description, s, p_text, o)
    return description


def _row_order(row: Row) -> tuple[str, str, str, str, str]:
    direction, s, p, o, graph = row
    return direction, str(s), p.value, str(o), "" if graph is None else graph.value


_NAMING = frozenset((RDF_TYPE, *LABEL_PROPERTIES))


def _add_link(
    description: ResourceDescription,
    s: ox.NamedNode | ox.BlankNode,
    predicate: str,
    o: Term,
) -> None:
    """Record a label, type, notation or editorial language of `s`."""
    if predicate == RDF_TYPE:
        if isinstance(o, ox.NamedNode):
            _add_once(description.types[s.value], o.value)
    elif not isinstance(o, ox.Literal):
        return
    elif predicate == NOTATION:
        description.notations.setdefault(s.value, o.value)
    elif predicate == EDITORIAL_LANGUAGE:
        description.editorial_languages[s.value].add(o.value.lower())
    else:
        _add_once(description.labels[s.value], o)


def _add_once(values: list, value: object) -> None:
    if value not in values:
        values.append(value)
