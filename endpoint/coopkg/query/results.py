"""Writing a result in the negotiated format within the row and byte caps: a cut result is still a
whole document, cut at a row boundary, and says so (`QueryOutcome.truncated`).

Solutions are first written as TSV, one line per solution (terms escape their newlines), so rows
can be counted and cut; the TSV is then converted by pyoxigraph's parser and the target
serialiser. Graphs are serialised from an iterator that stops at the row cap. Engine-neutral: any
engine whose answer can be read into pyoxigraph results writes its bodies here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from ..errors import BadGateway, NotAcceptable, ResultTooLarge
from ..formats import ResultFormat, ResultFormats, not_acceptable_message
from . import QueryOutcome

__all__ = ["Limits", "select_solutions", "serialise"]


@dataclass(frozen=True)
class Limits:
    rows: int  # solutions or triples in one result
    bytes: int  # bytes in one body


class _LimitReached(Exception):
    """Raised from inside a serialiser's write() to stop it."""


class _CappedWriter(io.RawIOBase):
    """Collects what a serialiser writes; stops it past `max_bytes` or past `max_lines` lines."""

    def __init__(self, max_bytes: int, max_lines: int) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.lines = 0
        self.max_bytes = max_bytes
        self.max_lines = max_lines

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.size += len(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.max_lines or self.size > self.max_bytes:
            raise _LimitReached
        return len(chunk)

    def value(self) -> bytes:
        return b"".join(self.parts)


def serialise(results: Any, formats: ResultFormats, limits: Limits) -> QueryOutcome:
    """The outcome of a query whose results pyoxigraph holds (a QueryBoolean, QuerySolutions or
    an iterable of triples), in the format negotiated for its kind; NotAcceptable when there is
    none for that kind."""
    if isinstance(results, ox.QueryBoolean):
        fmt = _format(formats, "boolean")
        body = results.serialize(format=fmt.results_format) or b""
        return QueryOutcome("boolean", fmt.content_type, body, None, False)
    if isinstance(results, ox.QuerySolutions):
        fmt = _format(formats, "solutions")
        body, rows, truncated = _solutions_body(results, fmt, limits)
        return QueryOutcome("solutions", fmt.content_type, body, rows, truncated)
    fmt = _format(formats, "graph")
    body, rows, truncated = _graph_body(results, fmt, limits)
    return QueryOutcome("graph", fmt.content_type, body, rows, truncated)


def _format(formats: ResultFormats, kind: str) -> ResultFormat:
    fmt = formats.for_kind(kind)
    if fmt is None:
        raise NotAcceptable(not_acceptable_message(formats, kind))
    return fmt


def _convert(tsv: bytes, fmt: ResultFormat) -> bytes:
    if fmt.oxigraph == ox.QueryResultsFormat.TSV:
        return tsv
    parsed = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
    return parsed.serialize(format=fmt.results_format) or b""


def _solutions_body(results: Any, fmt: ResultFormat, limits: Limits) -> tuple[bytes, int, bool]:
    """At most `limits.rows` solutions, cut at a row boundary, in at most `limits.bytes`."""
    max_rows, max_bytes = limits.rows, limits.bytes
    # TSV is about as compact as any target; allow slack so a smaller target (CSV) is not cut early.
    writer = _CappedWriter(2 * max_bytes + 4096, max_lines=max_rows + 1)
    truncated = False
    try:
        results.serialize(writer, format=ox.QueryResultsFormat.TSV)
    except _LimitReached:
        truncated = True
    tsv = writer.value()
    if not truncated:  # the whole result: a header line, then one line per row
        body = _convert(tsv, fmt)
        if len(body) <= max_bytes:
            return body, max(0, writer.lines - 1), False
    lines = tsv.split(b"\n")
    # lines: header, rows..., then "" after the last newline (or a partial row when cut).
    header, rows = lines[0], lines[1:-1]
    if truncated or len(rows) > max_rows:
        truncated = True
        rows = rows[:max_rows]

    def render(keep: int) -> bytes:
        return _convert(b"\n".join([header, *rows[:keep]]) + b"\n", fmt)

    return _fit_bytes(render, len(rows), max_bytes, truncated)


def _graph_body(
    triples: Iterable[Any], fmt: ResultFormat, limits: Limits
) -> tuple[bytes, int, bool]:
    kept: list[Any] = []
    truncated = False
    for triple in triples:
        if len(kept) == limits.rows:
            truncated = True
            break
        kept.append(triple)

    def render(keep: int) -> bytes:
        return ox.serialize(kept[:keep], format=fmt.rdf_format) or b""

    return _fit_bytes(render, len(kept), limits.bytes, truncated)


def _fit_bytes(
    render: Callable[[int], bytes], keep: int, max_bytes: int, truncated: bool
) -> tuple[bytes, int, bool]:
    """Render the first `keep` rows, dropping rows until the body fits `max_bytes`: a cut body is
    still a whole document. Returns (body, rows kept, truncated)."""
    while True:
        body = render(keep)
        if len(body) <= max_bytes:
            return body, keep, truncated
        if keep == 0:
            raise ResultTooLarge(f"the empty result is over the {max_bytes} byte limit")
        truncated = True
        keep = max(0, min(keep - 1, int(keep * max_bytes / len(body) * 0.95)))


def select_solutions(outcome: QueryOutcome) -> ox.QuerySolutions:
    """The solutions of a SELECT the package itself asked for as SPARQL JSON (pages, the label
    index, figures, dumps). An engine that answers anything else is at fault: BadGateway."""
    try:
        solutions = ox.parse_query_results(outcome.body, ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as exc:
        raise BadGateway(f"the engine's answer to a SELECT does not parse: {exc}") from None
    if not isinstance(solutions, ox.QuerySolutions):
        raise BadGateway(f"the engine answered a SELECT with a {outcome.kind} result")
    return solutions
