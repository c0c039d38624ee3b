"""A resource's description read straight from an in-process store's indexes: the rows the
description query (coopkg.query.resource) would give, without a query, a worker or a result format.

Dereferencing spent most of its time outside the engine: the query went to a worker, its answer
came back as SPARQL JSON and was parsed again term by term (bench/README.md, issue 11). With the
store in this process (the lookup lane's), the same rows are a few index lookups. The rows are a
set equal to the query's (tests/test_description_rows.py compares them for every resource of the
shipped graph and of a synthetic one); a resource whose description would read more than `bound`
quads in all (around it, and labels and types of what it links to) is left to the query and its
timeout: None.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pyoxigraph as ox

from ..vocab import RDF_TYPE

__all__ = ["Neighbourhoods", "Row", "description_rows"]

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Subject = ox.NamedNode | ox.BlankNode
Row = tuple[str, Subject, ox.NamedNode, Term, ox.NamedNode | None]
"""(direction "out", "in" or "link", subject, predicate, object, named graph or None)."""

_TYPE = ox.NamedNode(RDF_TYPE)
# A linked resource's statements are read in one index scan when it has at most this many, else
# one lookup per property (a hub with thousands of statements costs a few lookups, not a scan).
# A pattern with its graph unbound costs less than one bound to the default graph (1.8 against
# 3.0 µs, bench/README.md): the default graph is picked out here.
_SCAN = 64
# Linked resources whose statements are kept between descriptions: the classes, predicates,
# sectors and sources that most pages link to are read once. Small, because every object kept is
# one more for each full garbage collection to visit (8,192 made some 26 ms pauses: bench/README).
_KEEP = 1024

About = tuple[list[tuple[ox.NamedNode, Term]], int]  # (predicate, object) wanted, quads read


class _TooMany(Exception):
    pass


class Neighbourhoods:
    """Descriptions read from one store that never changes (the embedded engine's, loaded from
    files), with what was read about each linked resource kept for the next description."""

    def __init__(self, store: ox.Store, bound: int) -> None:
        self._store = store
        self._bound = bound
        self._kept: dict[tuple[str, ...], dict[Subject, About]] = {}
        # Resources found over the bound: reading up to it again would cost as much each time.
        self._over: set[tuple[str, tuple[str, ...]]] = set()

    def rows(self, iri: str, properties: tuple[str, ...]) -> list[Row] | None:
        """`description_rows` of `iri`, the same rows and the same bound."""
        if (iri, properties) in self._over:
            return None
        kept = self._kept.setdefault(properties, {})
        if len(kept) >= _KEEP:
            kept.clear()
        rows = description_rows(self._store, iri, properties, self._bound, kept)
        if rows is None:
            if len(self._over) >= _KEEP:
                self._over.clear()
            self._over.add((iri, properties))
        return rows


def description_rows(
    store: ox.Store,
    iri: str,
    properties: Iterable[str],
    bound: int,
    kept: dict[Subject, About] | None = None,
) -> list[Row] | None:
    """The description query's rows for `iri` (a checked IRI), read from `store`'s indexes; None
    when that would read more than `bound` quads in all (around it and about what it links to).
    `kept`: what earlier descriptions read about linked resources (counted as read again, so that
    the answer never depends on what was kept)."""
    node = ox.NamedNode(iri)
    reader = _Reader(store, properties, bound, {} if kept is None else kept)
    try:
        outgoing, out_graphs = reader.side(store.quads_for_pattern(node, None, None, None))
        incoming, in_graphs = reader.side(store.quads_for_pattern(None, None, node, None))
        linked = _linked(reader, outgoing, incoming, out_graphs | in_graphs)
        rows: list[Row] = []
        for side, statements in (("out", outgoing), ("in", incoming)):
            for (s, p, o), graphs in statements.items():
                if graphs is not None:  # None: only in named graphs; the query reads the default
                    rows.extend((side, s, p, o, g) for g in graphs or (None,))
        for subject in linked:
            rows.extend(("link", subject, p, o, None) for p, o in reader.about(subject))
    except _TooMany:
        return None
    return rows


Statements = dict[tuple[Subject, ox.NamedNode, Term], list[ox.NamedNode] | None]


def _side(quads: Iterable[ox.Quad], bound: int) -> tuple[Statements, set[ox.NamedNode], int]:
    """The statements among `quads` with the named graphs that hold each (None: the statement is
    in no default graph, only in named ones), every named graph seen, and how many quads were
    read; _TooMany past `bound`."""
    held: dict[tuple[Subject, ox.NamedNode, Term], list[ox.NamedNode]] = {}
    in_default: set[tuple[Subject, ox.NamedNode, Term]] = set()
    graphs: set[ox.NamedNode] = set()
    read = 0
    for quad in quads:
        read += 1
        if read > bound:
            raise _TooMany
        s, o, graph = quad.subject, quad.object, quad.graph_name
        if isinstance(graph, ox.NamedNode):
            graphs.add(graph)  # a source of the resource's, whatever the statement holds
        if isinstance(s, ox.Triple) or isinstance(o, ox.Triple):
            continue  # quoted triples: the description's rows leave them out too
        key = (s, quad.predicate, o)
        sources = held.setdefault(key, [])
        if isinstance(graph, ox.NamedNode):
            sources.append(graph)
        else:
            in_default.add(key)
    statements: Statements = {k: v if k in in_default else None for k, v in held.items()}
    return statements, graphs, read


class _Reader:
    """What a description reads, at most `bound` quads in all: the statements around the resource
    (`side`), and the default graph's statements of `properties` about each linked resource, each
    read once (`about`)."""

    def __init__(
        self, store: ox.Store, properties: Iterable[str], bound: int, kept: dict[Subject, About]
    ) -> None:
        self._store = store
        self._properties = [ox.NamedNode(p) for p in properties]
        self._wanted = set(self._properties)
        self._bound = bound
        self._left = bound
        self._kept = kept
        self._read: set[Subject] = set()  # by this description

    def side(self, quads: Iterable[ox.Quad]) -> tuple[Statements, set[ox.NamedNode]]:
        """`_side` of `quads`, counted."""
        statements, graphs, read = _side(quads, self._left)
        self._left -= read
        return statements, graphs

    def about(self, subject: Subject) -> list[tuple[ox.NamedNode, Term]]:
        """(predicate, object) of the statements wanted about `subject`."""
        known = self._kept.get(subject)
        if known is None:
            known = self._kept[subject] = self._scan(subject)
        statements, cost = known
        if subject not in self._read:
            self._read.add(subject)
            self._left -= cost
            if self._left < 0:
                raise _TooMany
        return statements

    def _scan(self, subject: Subject) -> About:
        quads = self._store.quads_for_pattern
        found = list(itertools.islice(quads(subject, None, None, None), _SCAN + 1))
        if len(found) > _SCAN:
            found = []
            for p in self._properties:
                found.extend(itertools.islice(quads(subject, p, None, None), self._bound + 1))
        wanted = self._wanted
        statements = [
            (q.predicate, q.object)
            for q in found
            if q.predicate in wanted
            and isinstance(q.graph_name, ox.DefaultGraph)
            and not isinstance(q.object, ox.Triple)  # as the query's rows (quoted triples)
        ]
        return statements, len(found)


def _linked(
    reader: _Reader, outgoing: Statements, incoming: Statements, graphs: set[ox.NamedNode]
) -> list[Subject]:
    """What the query's "link" block binds to ?s: the IRIs the resource links to, what links to
    it, the predicates of both, the graphs that state either (in the default graph or not), the
    resource's types and the types of both sides."""
    found: dict[Subject, None] = dict.fromkeys(graphs)
    typed: dict[Subject, None] = {}
    for (_, p, o), held in outgoing.items():
        if held is None:
            continue
        found[p] = None
        if isinstance(o, ox.NamedNode) or (p == _TYPE and isinstance(o, ox.BlankNode)):
            found[o] = None
        if not isinstance(o, ox.Literal):
            typed[o] = None
    for (s, p, _), held in incoming.items():
        if held is not None:
            found[p] = found[s] = typed[s] = None
    for subject in typed:
        for p, o in reader.about(subject):
            if p == _TYPE and not isinstance(o, ox.Literal):
                found[o] = None
    return list(found)
