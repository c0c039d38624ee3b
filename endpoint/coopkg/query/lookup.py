"""Point lookups answered in the server process, without the round trip to a query worker.

Every other query runs in a worker process that can be killed at the timeout; that costs one
socket round trip and two process switches per query, which is most of the price of a point lookup
(bench/README.md). A lookup whose
cost is bounded before it runs needs no timeout, so it may run here.

A query takes this lane only when its text has the shape of a single-pattern lookup,

    [PREFIX p: <iri>]* SELECT (?var+ | *) [WHERE] { S P O [.] } [LIMIT n] [OFFSET n]

with S an absolute IRI (or a prefixed name declared in the query), P an IRI, `a` or a variable,
O an IRI or a variable, no dataset parameters, and only when the store holds at most
`max_matches` triples matching the pattern in the default graph (counted first, and the count
itself stops at that bound). Its evaluation is then an index lookup over at most `max_matches`
triples: microseconds, never long enough to need killing. Anything else (or a result the client
wants in a format this lane does not produce, or one over the byte cap) returns None and goes to a
worker as usual. The lane holds its own copy of the store (loaded once, read-only), so the server
process holds the store as well as the zygote.
"""

from __future__ import annotations

import itertools
import re

import pyoxigraph as ox

from ..formats import ResultFormats
from ..vocab import RDF_TYPE
from . import QueryJob, QueryOutcome
from .guard import token_stream

__all__ = ["LookupLane", "lookup_pattern", "simple_lookup"]

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DIGITS = frozenset("0123456789")
_VAR = r"\?[A-Za-z_][A-Za-z0-9_]*"
_IRIREF = r"<[^<>\"{}|^`\\\x00-\x20]*>"
# The common case in one regular expression (the tokenizer below costs about ten times more):
# `[PREFIX p: <iri>]* SELECT ?v+ [WHERE] { <S> P O [.] } [LIMIT n] [OFFSET n]`, full IRIs and
# plain ASCII variable names only. Whatever it does not match goes through the tokenizer, which
# accepts a superset. What it matches, the guard's tokenizer reads as the same tokens, whose only
# words are PREFIX, SELECT, WHERE, a, LIMIT and OFFSET, with no `;` and one level of brackets:
# the guard passes it (`simple_lookup`). A prefix name ends with a letter, digit or `_` for that
# (SPARQL allows `-`, which the guard's tokenizer reads as a word and `-`).
_W = r"[ \t\r\n]"  # SPARQL's white space (`\s` would take more)
_SIMPLE = re.compile(
    rf"{_W}*(?:PREFIX{_W}+(?:[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)?:{_W}*{_IRIREF}{_W}*)*"
    rf"SELECT{_W}+(?P<vars>{_VAR}(?:{_W}+{_VAR})*){_W}*(?:WHERE{_W}*)?\{{{_W}*"
    rf"(?P<s>{_IRIREF}){_W}*(?P<p>{_VAR}|{_IRIREF}|(?-i:a)){_W}+(?P<o>{_VAR}|{_IRIREF}){_W}*"
    rf"\.?{_W}*\}}{_W}*(?:LIMIT{_W}+(?P<limit>\d{{1,18}}){_W}*)?"
    rf"(?:OFFSET{_W}+(?P<offset>\d{{1,18}}){_W}*)?",
    re.IGNORECASE | re.ASCII,
)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class _NotALookup(Exception):
    pass


def _term(kind: str, text: str, prefixes: dict[str, str]) -> str | None:
    """The IRI a pattern term names, or None for a variable."""
    return None if kind == "var" else _iri(kind, text, prefixes)


def _iri(kind: str, text: str, prefixes: dict[str, str]) -> str:
    """The IRI a term names; _NotALookup for anything else (a variable, a literal...)."""
    if kind == "iri":
        iri = text[1:-1]
        if not _ABSOLUTE_IRI.match(iri):
            raise _NotALookup  # relative: resolved against a base, leave it to the worker
        return iri
    if kind == "pname":
        prefix, _, local = text.partition(":")
        if prefix + ":" not in prefixes or "\\" in local or "%" in local:
            raise _NotALookup
        return prefixes[prefix + ":"] + local
    raise _NotALookup


def _number(tokens: list[tuple[str, str]], at: int) -> tuple[int, int]:
    digits = ""
    while at < len(tokens) and tokens[at][0] == "other" and tokens[at][1] in _DIGITS:
        digits += tokens[at][1]
        at += 1
    if not digits or len(digits) > 18:
        raise _NotALookup
    return int(digits), at


def _expect(tokens: list[tuple[str, str]], at: int, kind: str, text: str) -> int:
    """The position after the expected token; _NotALookup when it is not there."""
    got_kind, got = tokens[at]
    if got_kind != kind or (got.upper() if kind == "word" else got) != text:
        raise _NotALookup
    return at + 1


def _prologue(tokens: list[tuple[str, str]]) -> tuple[dict[str, str], int]:
    """The PREFIX declarations, and the position after them."""
    prefixes: dict[str, str] = {}
    at = 0
    while tokens[at][0] == "word" and tokens[at][1].upper() == "PREFIX":
        (k1, name), (k2, iri) = tokens[at + 1], tokens[at + 2]
        if k1 != "pname" or not name.endswith(":") or k2 != "iri":
            raise _NotALookup
        prefixes[name] = _iri(k2, iri, {})
        at += 3
    return prefixes, at


def _projection(tokens: list[tuple[str, str]], at: int) -> int:
    """`SELECT (* | ?var+) [WHERE]`: the position after it."""
    at = _expect(tokens, at, "word", "SELECT")
    if tokens[at] == ("other", "*"):
        at += 1
    else:
        start = at
        while tokens[at][0] == "var":
            at += 1
        if at == start:
            raise _NotALookup
    if tokens[at][0] == "word" and tokens[at][1].upper() == "WHERE":
        at += 1
    return at


def _pattern(
    tokens: list[tuple[str, str]], at: int, prefixes: dict[str, str]
) -> tuple[tuple[str, str | None, str | None], int]:
    """`{ S P O [.] }`: the pattern's IRIs (None for variables) and the position after it."""
    at = _expect(tokens, at, "other", "{")
    (ks, s), (kp, p), (ko, o) = tokens[at : at + 3]
    subject = _iri(ks, s, prefixes)
    if kp == "word" and p == "a":
        predicate: str | None = RDF_TYPE
    else:
        predicate = _term(kp, p, prefixes)
    obj = _term(ko, o, prefixes)
    at += 3
    if tokens[at] == ("other", "."):
        at += 1
    return (subject, predicate, obj), _expect(tokens, at, "other", "}")


def _modifiers(tokens: list[tuple[str, str]], at: int) -> tuple[int | None, int]:
    """`[LIMIT n] [OFFSET n]` in either order, up to the end: (LIMIT or None, OFFSET)."""
    values: dict[str, int] = {}
    while at < len(tokens):
        kind, word = tokens[at]
        word = word.upper()
        if kind != "word" or word not in ("LIMIT", "OFFSET") or word in values:
            raise _NotALookup
        values[word], at = _number(tokens, at + 1)
    return values.get("LIMIT"), values.get("OFFSET", 0)


Shape = tuple[tuple[str, str | None, str | None], int | None, int]


Names = tuple[tuple[str, ...], str | None, str | None]


Simple = tuple[Shape, Names]


def simple_lookup(query: str) -> Simple | None:
    """The common lookup's shape and variable names when its regular expression reads `query`
    (no tokenizer run), for `LookupLane.answer`; else None. Such a query passes the server's guard
    (coopkg.query.guard: see `_SIMPLE`; tests/test_lookup_lane.py), so it need not be scanned."""
    return _simple_shape(query)


def _simple_shape(query: str) -> Simple | None:
    """The shape of the common lookup, its projected variables and the pattern's variables for P
    and O (None for an IRI), or None (then try the tokenizer)."""
    match = _SIMPLE.fullmatch(query)
    if match is None:
        return None
    subject = match["s"][1:-1]
    if not _ABSOLUTE_IRI.match(subject):
        return None
    p, o = match["p"], match["o"]
    predicate = RDF_TYPE if p == "a" else None if p[0] == "?" else p[1:-1]
    obj = None if o[0] == "?" else o[1:-1]
    if (predicate is not None and not _ABSOLUTE_IRI.match(predicate)) or (
        obj is not None and not _ABSOLUTE_IRI.match(obj)
    ):
        return None
    limit = int(match["limit"]) if match["limit"] else None
    offset = int(match["offset"]) if match["offset"] else 0
    names = (p if p[0] == "?" else None, o if o[0] == "?" else None)
    return ((subject, predicate, obj), limit, offset), (tuple(match["vars"].split()), *names)


def _shape(query: str) -> tuple[Shape, Names | None] | None:
    """The lookup's shape, with its variables' names when the regular expression found them."""
    simple = _simple_shape(query)
    if simple is not None:
        return simple
    shape = lookup_pattern(query)
    return None if shape is None else (shape, None)


def lookup_pattern(query: str) -> Shape | None:
    """((S, P, O), LIMIT, OFFSET) when `query` is a single-pattern lookup (P and O None when they
    are variables), else None. Conservative: any token outside the shape disqualifies."""
    simple = _simple_shape(query)
    return simple[0] if simple is not None else _tokenized_shape(query)


def _tokenized_shape(query: str) -> Shape | None:
    if query.count("{") != 1:  # not one group: no need to lex a long query to know it
        return None
    tokens = list(token_stream(query))
    try:
        prefixes, at = _prologue(tokens)
        at = _projection(tokens, at)
        pattern, at = _pattern(tokens, at, prefixes)
        limit, offset = _modifiers(tokens, at)
    except (IndexError, ValueError, _NotALookup):
        return None
    return pattern, limit, offset


class LookupLane:
    """Answers single-pattern lookups from its own read-only copy of the store."""

    def __init__(self, store: ox.Store, *, max_matches: int, max_bytes: int) -> None:
        self._store = store
        self._max_matches = max_matches
        self._max_bytes = max_bytes

    def answer(
        self, job: QueryJob, formats: ResultFormats, simple: Simple | None = None
    ) -> QueryOutcome | None:
        """The answer to `job`, or None. `simple`: `simple_lookup(job.query)`, already read."""
        if job.default_graph_uris or job.named_graph_uris:
            return None
        found = _shape(job.query) if simple is None else simple
        if found is None:
            return None
        shape, names = found
        (subject, predicate, obj), limit, offset = shape
        try:
            pattern = (
                ox.NamedNode(subject),
                ox.NamedNode(predicate) if predicate else None,
                ox.NamedNode(obj) if obj else None,
                ox.DefaultGraph(),
            )
        except ValueError:  # not a valid IRI: the worker reports it properly
            return None
        quads = list(
            itertools.islice(self._store.quads_for_pattern(*pattern), self._max_matches + 1)
        )
        matches = len(quads)
        if matches > self._max_matches:
            return None
        fmt = formats.for_kind("solutions")
        if fmt is None:
            return None  # the worker answers 406 with the list of formats
        rows = max(0, matches - offset)
        if limit is not None:
            rows = min(rows, limit)
        if fmt.results_format == ox.QueryResultsFormat.JSON and names is not None:
            body = _solutions_json(quads[offset : offset + rows], *names)
            if body is not None and len(body) <= self._max_bytes:
                return QueryOutcome("solutions", fmt.content_type, body, rows, False)
        try:
            results = self._store.query(job.query)
        except SyntaxError:
            return None  # the worker reports it with its position
        if not isinstance(results, ox.QuerySolutions):
            return None
        body = results.serialize(format=fmt.results_format) or b""
        if len(body) > self._max_bytes:
            return None
        return QueryOutcome("solutions", fmt.content_type, body, rows, False)


def _solutions_json(
    quads: list[ox.Quad], projection: tuple[str, ...], p_var: str | None, o_var: str | None
) -> bytes | None:
    """SPARQL JSON results for the pattern's matches, byte for byte as Oxigraph writes them
    (tests/test_lookup_lane.py compares the two), without a query's fixed cost (parsing, planning:
    about 30 µs, more than the lookup). None when the projection is not exactly the pattern's
    variables, or a term is not an IRI or a literal whose text needs no escaping beyond `"` and
    `\\`: Oxigraph writes those."""
    pattern = [v for v in (p_var, o_var) if v is not None]
    if not pattern or p_var == o_var or sorted(projection) != sorted(pattern):
        return None
    # One list of pieces, written once: fixed text at even positions, the terms' strings at odd
    # ones. The strings are checked (and, rarely, escaped) all at once: per string, the check
    # cost more than the writing.
    keys = [f'"{name[1:]}":{{"type":"' for name in projection]
    picks = [name == p_var for name in projection]  # True: the predicate, False: the object
    head = ",".join([f'"{name[1:]}"' for name in projection])
    pieces: list[str] = []
    add = pieces.append
    named_node, literal = ox.NamedNode, ox.Literal
    fixed = '{"head":{"vars":[' + head + ']},"results":{"bindings":['
    for row, quad in enumerate(quads):
        fixed += ",{" if row else "{"
        for cell, pick in enumerate(picks):
            term = quad.predicate if pick else quad.object
            if cell:
                fixed += ","
            if type(term) is named_node:
                add(fixed + keys[cell] + 'uri","value":"')
                add(term.value)
            elif type(term) is literal and term.direction is None:
                add(fixed + keys[cell] + 'literal","value":"')
                add(term.value)
                language = term.language
                if language is not None:
                    add('","xml:lang":"')
                    add(language)
                else:
                    datatype = term.datatype.value
                    if datatype != _XSD_STRING:
                        add('","datatype":"')
                        add(datatype)
            else:
                return None  # blank nodes, quoted triples, directional literals: Oxigraph's
            fixed = '"}'
        fixed += "}"
    add(fixed + "]}}")
    strings = "".join(pieces[1::2])
    if not strings.isprintable():
        return None  # control and other special characters: Oxigraph's escaping decides
    if '"' in strings or "\\" in strings:
        pieces[1::2] = [s.replace("\\", "\\\\").replace('"', '\\"') for s in pieces[1::2]]
    return "".join(pieces).encode()
