"""The result formats, and HTTP content negotiation for them: Accept headers with q-values and
wildcards (or a `format` parameter), mapped to the formats Oxigraph serialises natively.

A request is negotiated once, for the three result kinds at once (`negotiate`, memoised: browsers
send the same long Accept header again and again); the query worker then picks the entry for the
kind its result turned out to be."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pyoxigraph as ox

__all__ = [
    "FORMATS",
    "KIND_LABELS",
    "RESULT_KINDS",
    "ResultFormat",
    "ResultFormats",
    "ResultKind",
    "choose_format",
    "format_by_media_type",
    "negotiate",
    "not_acceptable_message",
    "offered",
    "parse_accept",
]

ResultKind = Literal["solutions", "boolean", "graph"]
RESULT_KINDS: tuple[ResultKind, ...] = ("solutions", "boolean", "graph")
KIND_LABELS: dict[str, str] = {
    "solutions": "SELECT",
    "boolean": "ASK",
    "graph": "CONSTRUCT or DESCRIBE",
}


@dataclass(frozen=True)
class ResultFormat:
    media_type: str
    name: str  # short name, accepted by the `format` request parameter
    kinds: frozenset[str]
    oxigraph: ox.QueryResultsFormat | ox.RdfFormat

    @property
    def rdf_format(self) -> ox.RdfFormat:
        """pyoxigraph's format, for a graph format."""
        assert isinstance(self.oxigraph, ox.RdfFormat), self.media_type
        return self.oxigraph

    @property
    def results_format(self) -> ox.QueryResultsFormat:
        """pyoxigraph's format, for a solutions or boolean format."""
        assert isinstance(self.oxigraph, ox.QueryResultsFormat), self.media_type
        return self.oxigraph

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("+json", "/json"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


_TABLE = frozenset({"solutions", "boolean"})
_GRAPH = frozenset({"graph"})

# Order matters: the first format of a kind is its default when the client accepts anything.
FORMATS: tuple[ResultFormat, ...] = (
    ResultFormat("application/sparql-results+json", "json", _TABLE, ox.QueryResultsFormat.JSON),
    ResultFormat("application/sparql-results+xml", "xml", _TABLE, ox.QueryResultsFormat.XML),
    ResultFormat("text/csv", "csv", frozenset({"solutions"}), ox.QueryResultsFormat.CSV),
    ResultFormat(
        "text/tab-separated-values", "tsv", frozenset({"solutions"}), ox.QueryResultsFormat.TSV
    ),
    ResultFormat("text/turtle", "turtle", _GRAPH, ox.RdfFormat.TURTLE),
    ResultFormat("application/n-triples", "nt", _GRAPH, ox.RdfFormat.N_TRIPLES),
    ResultFormat("application/ld+json", "json-ld", _GRAPH, ox.RdfFormat.JSON_LD),
    ResultFormat("application/rdf+xml", "rdf-xml", _GRAPH, ox.RdfFormat.RDF_XML),
    ResultFormat("application/n-quads", "nquads", _GRAPH, ox.RdfFormat.N_QUADS),
    ResultFormat("application/trig", "trig", _GRAPH, ox.RdfFormat.TRIG),
)

# Other names clients send for the same formats.
_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/sparql-results+json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/rdf+n3": "text/turtle",
    "application/json-ld": "application/ld+json",
    "text/x-nquads": "application/n-quads",
    "application/x-trig": "application/trig",
    "text/tsv": "text/tab-separated-values",
}


# Values of the `format` parameter (as browsers, SPARQLWrapper and other clients send it) that
# name a different format by result kind: `format=json` on a CONSTRUCT means JSON-LD, `xml` RDF/XML.
_SOLUTIONS_JSON = "application/sparql-results+json"
_SOLUTIONS_XML = "application/sparql-results+xml"
_FORMAT_NAMES: dict[str, dict[str, str]] = {
    "json": {
        "solutions": _SOLUTIONS_JSON,
        "boolean": _SOLUTIONS_JSON,
        "graph": "application/ld+json",
    },
    "xml": {"solutions": _SOLUTIONS_XML, "boolean": _SOLUTIONS_XML, "graph": "application/rdf+xml"},
    "rdf": {"graph": "application/rdf+xml"},
    "rdf+xml": {"graph": "application/rdf+xml"},
    "rdfxml": {"graph": "application/rdf+xml"},
    "ttl": {"graph": "text/turtle"},
    "n3": {"graph": "text/turtle"},
    "ntriples": {"graph": "application/n-triples"},
    "n-triples": {"graph": "application/n-triples"},
    "jsonld": {"graph": "application/ld+json"},
    "nq": {"graph": "application/n-quads"},
    "n-quads": {"graph": "application/n-quads"},
}


def parse_accept(accept: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, highest first, more specific first on ties."""
    if not accept or not accept.strip():
        return [("*/*", 1.0)]
    ranges: list[tuple[str, float, int, int]] = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        if "/" not in media:
            media = "*/*" if media == "*" else media + "/*"
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, q, specificity, position))
    ranges.sort(key=lambda r: (-r[1], -r[2], r[3]))
    return [(media, q) for media, q, _, _ in ranges]


def _matches(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.split("/")[0] == media_range[:-2]
    return _ALIASES.get(media_range, media_range) == media_type


def choose_format(
    accept: str | None, kind: ResultKind, name: str | None = None
) -> ResultFormat | None:
    """The best format for a result of `kind`, or None when nothing acceptable exists (406).
    `name` (the `format` request parameter) wins over the Accept header when given: a short name
    (`json`, `csv`, `turtle`, …) or a media type; several, comma-separated, are tried in order
    (SPARQLWrapper sends `format=tsv&format=text/tab-separated-values`)."""
    candidates = [f for f in FORMATS if kind in f.kinds]
    if name:
        for value in name.split(","):
            wanted = value.strip().lower()
            wanted = _FORMAT_NAMES.get(wanted, {}).get(kind) or _ALIASES.get(wanted, wanted)
            for fmt in candidates:
                if wanted in (fmt.name, fmt.media_type):
                    return fmt
        return None
    ranges = parse_accept(accept)
    # q=0 excludes a type even when a wildcard admits it.
    excluded = {m for m, q in ranges if q == 0.0 and "*" not in m}
    excluded = {_ALIASES.get(m, m) for m in excluded}
    best: tuple[float, int, ResultFormat] | None = None
    for fmt in candidates:
        if fmt.media_type in excluded:
            continue
        for media, q in ranges:
            if q > 0 and _matches(media, fmt.media_type):
                specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
                key = (q, specificity)
                if best is None or key > best[:2]:
                    best = (q, specificity, fmt)
                break
    return best[2] if best else None


_BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS}


def format_by_media_type(media_type: str) -> ResultFormat:
    return _BY_MEDIA_TYPE[media_type]


@dataclass(frozen=True)
class ResultFormats:
    """The negotiated format of each result kind (its media type, None: nothing acceptable), and
    what the client asked for, for the 406 message. Small and picklable: a query worker gets it
    with the job."""

    solutions: str | None
    boolean: str | None
    graph: str | None
    accept: str | None = None
    format_name: str | None = None

    def for_kind(self, kind: str) -> ResultFormat | None:
        media_type = getattr(self, kind)
        return _BY_MEDIA_TYPE[media_type] if media_type else None

    @property
    def any_acceptable(self) -> bool:
        return bool(self.solutions or self.boolean or self.graph)


@lru_cache(maxsize=1024)
def negotiate(accept: str | None, format_name: str | None = None) -> ResultFormats:
    """The format for each kind of result, for one request's Accept header and `format`."""
    solutions, boolean, graph = (
        fmt.media_type if (fmt := choose_format(accept, kind, format_name)) else None
        for kind in RESULT_KINDS
    )
    return ResultFormats(solutions, boolean, graph, accept=accept, format_name=format_name)


def offered(kind: str | None = None) -> str:
    """The media types offered for a result kind (all of them when kind is None)."""
    return ", ".join(f.media_type for f in FORMATS if kind is None or kind in f.kinds)


def not_acceptable_message(formats: ResultFormats, kind: str | None = None) -> str:
    """The one wording of a 406 for query results: what was asked, and what is offered (for the
    result's kind once it is known)."""
    if formats.format_name:
        asked = f"format={formats.format_name!r}"
    else:
        asked = f"Accept: {formats.accept}"
    what = f"a {KIND_LABELS[kind]} result" if kind else "any result"
    return f"no format acceptable for {what} ({asked}); offered: {offered(kind)}"
