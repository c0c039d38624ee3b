"""Lines of statements, which no RDF parser at hand reports: pyoxigraph 0.5's `parse` gives
quads, prefixes and the base IRI, never a position (only its syntax errors carry one).

Two ways are combined. `parse_with_lines` feeds pyoxigraph one byte at a time, so that when it
yields a quad it has read just past the end of the quad's object: the line of that object's last
character is the statement's line, exactly, for the line-based formats (Turtle, TriG, N-Triples,
N-Quads), whatever their layout. `subject_lines` finds lexically the line where a resource opens a
block of statements, the line a SHACL result about that resource points at; it knows TriG's
`GRAPH <name> {` openings. Feeding bytes one by one costs about 0.6 s per MB of Turtle.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, cast

import pyoxigraph as ox

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["LINE_FORMATS", "parse_with_lines", "subject_lines"]

LINE_FORMATS = frozenset({"turtle", "trig", "nt", "nquads"})
"""Formats (files.RDF_SUFFIXES names) in which a line means something to a reader."""

_WHITESPACE = b" \t\r\n"


class _Trickle(io.RawIOBase):
    """A reader that hands out one byte per read and counts what it handed out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self.consumed >= len(self.data) or not len(view):
            return 0
        view[0] = self.data[self.consumed]
        self.consumed += 1
        return 1


class _LineCounter:
    """Line numbers of byte offsets, for offsets that only grow."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0
        self.line = 1

    def line_at(self, offset: int) -> int:
        self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line


def parse_with_lines(
    data: bytes, fmt: ox.RdfFormat, base_iri: str, with_lines: bool
) -> tuple[ox.QuadParser, Iterator[tuple[ox.Quad, int | None]]]:
    """The parser (for its prefixes and base IRI once consumed) and its quads, each with the line
    where its object ends (None when `with_lines` is false). Blank nodes are renamed, so files
    parsed separately never share one. Raises SyntaxError as pyoxigraph does, while iterating."""
    if not with_lines:
        parser = ox.parse(data, format=fmt, base_iri=base_iri, rename_blank_nodes=True)
        return parser, ((quad, None) for quad in parser)
    reader = _Trickle(data)
    # A raw binary reader is all pyoxigraph needs; typeshed does not count RawIOBase as IO[bytes].
    parser = ox.parse(
        cast(IO[bytes], reader), format=fmt, base_iri=base_iri, rename_blank_nodes=True
    )
    return parser, _with_lines(parser, reader, data)


def _with_lines(
    parser: ox.QuadParser, reader: _Trickle, data: bytes
) -> Iterator[tuple[ox.Quad, int | None]]:
    counter = _LineCounter(data)
    for quad in parser:
        # The last byte read is the one that told the parser the object had ended (a space, a
        # `;`, or the first character of the next token when a literal could still have taken a
        # language tag or datatype): the object ends at the last non-blank byte before it.
        end = reader.consumed - 1
        while end > 0 and data[end - 1] in _WHITESPACE:
            end -= 1
        yield quad, counter.line_at(max(end, counter.offset))


# A subject at the start of a line, possibly after a TriG graph opening (`GRAPH g {` or `g {`):
# an IRI in angle brackets or a prefixed name.
_TERM = r"<[^>\s]*>|(?:[A-Za-z][\w.-]*)?:(?:[^\s;,{}\\]|\\.)*(?<![.;,])"
_SUBJECT_TOKEN = re.compile(
    rf"\s*(?:(?:GRAPH\s+)?(?:{_TERM})\s*\{{\s*|\{{\s*)?({_TERM})(?=[\s;,.]|$)(?!\s*\{{)",
    re.IGNORECASE,
)
_GRAPH_OPENING = re.compile(rf"\s*(?:GRAPH\s+)?(?:{_TERM})\s*\{{|\s*\{{", re.IGNORECASE)


def subject_lines(text: str, expand: Callable[[str], object | None]) -> dict[object, int]:
    """First line where each term opens a statement at the start of a line (or just after a
    graph opening), as `expand` turns tokens into terms; terms it maps to None are skipped.
    Lines where the term is indented come second: such a token may be an object continuing a
    list, so it is only used for terms never found at the margin or after a graph opening."""
    lines: dict[object, int] = {}
    indented: dict[object, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SUBJECT_TOKEN.match(line)
        if not match:
            continue
        node = expand(match.group(1))
        if node is None:
            continue
        at_margin = not line[:1].isspace() or _GRAPH_OPENING.match(line) is not None
        (lines if at_margin else indented).setdefault(node, number)
    return {**indented, **lines}
