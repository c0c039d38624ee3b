"""Content negotiation (coopkg.negotiation), from tables of cases."""

from __future__ import annotations

import pytest
from coopkg.formats import choose_format, parse_accept

SRJ = "application/sparql-results+json"
SRX = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TTL = "text/turtle"
NT = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
NQ = "application/n-quads"
TRIG = "application/trig"

# (Accept header, result kind, format parameter, expected media type or None for 406)
CASES = [
    # No preference: the first format of the kind.
    (None, "solutions", None, SRJ),
    ("", "boolean", None, SRJ),
    ("*/*", "graph", None, TTL),
    ("*", "graph", None, TTL),
    # Exact types and their aliases.
    (SRX, "solutions", None, SRX),
    (CSV, "solutions", None, CSV),
    (TSV, "solutions", None, TSV),
    ("text/tsv", "solutions", None, TSV),
    ("application/json", "solutions", None, SRJ),
    ("application/xml", "boolean", None, SRX),
    ("text/xml", "solutions", None, SRX),
    (NT, "graph", None, NT),
    ("text/plain", "graph", None, NT),
    ("application/x-turtle", "graph", None, TTL),
    ("text/n3", "graph", None, TTL),
    (JSONLD, "graph", None, JSONLD),
    (RDFXML, "graph", None, RDFXML),
    (NQ, "graph", None, NQ),
    (TRIG, "graph", None, TRIG),
    # Case and whitespace do not matter.
    ("  Application/SPARQL-Results+XML ", "solutions", None, SRX),
    # q-values: highest wins; ties go to the more specific range, then to the server's order
    # (RFC 9110 gives no meaning to the order of equal ranges).
    (f"{CSV};q=0.5, {SRX}", "solutions", None, SRX),
    (f"{SRX};q=0.2, {TSV};q=0.9", "solutions", None, TSV),
    (f"{TSV}, {CSV}", "solutions", None, CSV),
    (f"*/*;q=0.9, {CSV}", "solutions", None, CSV),
    (f"text/*;q=0.3, {SRX};q=0.2", "solutions", None, CSV),
    (f"{RDFXML};q=0.1, {TTL};q=0.8, */*;q=0.01", "graph", None, TTL),
    # Wildcards of a type.
    ("text/*", "solutions", None, CSV),
    ("text/*", "graph", None, TTL),
    ("application/*", "graph", None, NT),
    # q=0 excludes, even when a wildcard would admit it.
    (f"{SRJ};q=0, */*", "solutions", None, SRX),
    (f"{TTL};q=0, */*;q=0.5", "graph", None, NT),
    # Nothing acceptable: 406.
    ("image/png", "solutions", None, None),
    ("text/html", "graph", None, None),
    (CSV, "boolean", None, None),  # CSV and TSV are for solutions only
    (CSV, "graph", None, None),
    (TTL, "solutions", None, None),
    ("*/*;q=0", "solutions", None, None),
    ("text/csv;q=abc", "solutions", None, None),  # an unreadable q is q=0
    # The format parameter overrides Accept.
    (SRJ, "solutions", "csv", CSV),
    (SRJ, "solutions", "tsv", TSV),
    (SRJ, "solutions", "xml", SRX),
    (None, "solutions", TSV, TSV),
    (None, "graph", "turtle", TTL),
    (None, "graph", "ttl", TTL),
    (None, "graph", "nt", NT),
    (None, "graph", "json-ld", JSONLD),
    (None, "graph", "rdf-xml", RDFXML),
    (None, "graph", "trig", TRIG),
    # ... by result kind: json / xml on a graph mean JSON-LD / RDF/XML.
    (None, "graph", "json", JSONLD),
    (None, "graph", "xml", RDFXML),
    (None, "boolean", "json", SRJ),
    # ... several, comma-joined by the router: the first usable wins (SPARQLWrapper's pair).
    (None, "solutions", "tsv,text/tab-separated-values", TSV),
    (None, "graph", "rdf+xml,application/rdf+xml", RDFXML),
    (None, "graph", "n3,text/turtle", TTL),
    (None, "graph", "bogus,turtle", TTL),
    # ... an unknown or unsuitable name is 406, whatever Accept says.
    ("*/*", "solutions", "bogus", None),
    ("*/*", "graph", "csv", None),
]


@pytest.mark.parametrize("accept,kind,name,expected", CASES)
def test_choose_format(accept, kind, name, expected) -> None:
    chosen = choose_format(accept, kind, name)
    assert (chosen.media_type if chosen else None) == expected


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, [("*/*", 1.0)]),
        ("", [("*/*", 1.0)]),
        ("text/html", [("text/html", 1.0)]),
        ("a/b;q=0.5, c/d", [("c/d", 1.0), ("a/b", 0.5)]),
        ("*/*, text/*, text/csv", [("text/csv", 1.0), ("text/*", 1.0), ("*/*", 1.0)]),
        ("text/csv;q=2", [("text/csv", 1.0)]),  # clamped
        ("text/csv;q=-1", [("text/csv", 0.0)]),
        ("text/csv; charset=utf-8; q=0.4", [("text/csv", 0.4)]),
        ("text, , */*;q=0.1", [("text/*", 1.0), ("*/*", 0.1)]),
    ],
)
def test_parse_accept(accept, expected) -> None:
    assert parse_accept(accept) == expected


def test_results_are_written_as_utf8_text() -> None:
    assert choose_format(CSV, "solutions").content_type == "text/csv; charset=utf-8"
    assert choose_format(SRJ, "solutions").content_type.endswith("charset=utf-8")
    assert choose_format(RDFXML, "graph").content_type == RDFXML
