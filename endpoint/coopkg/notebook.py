"""What the research notebooks (`notebooks/`) share, so that none copies code from another.

- `select(url, query)`: a SELECT query's answer as a pandas DataFrame, one column per variable
  in the query's order, numbers and booleans typed, unbound values as None. pandas is imported
  inside the function: the package's core does not need it (it comes with the `test` extra).
- `example(key)`: the text of a competency question of `queries/`, by number (`"08"`) or slug,
  so a notebook runs the very query that `make test` checks against its expected result.
- `OKABE_ITO`: the eight colours of Okabe and Ito (2008), which readers with any common
  colour-vision deficiency tell apart; the notebooks draw every figure with them.
- `short(iri)`: an IRI of the graph shortened with the project's prefixes, for tables and
  figure labels.

Only the standard library is used to talk to the endpoint (POST, `application/sparql-query`,
SPARQL 1.1 JSON results), so the same call works on a local server and a public deployment.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from .catalogue import ExampleQuery, load_catalogue

__all__ = ["OKABE_ITO", "PREFIXES", "example", "example_query", "rows", "select", "short"]

OKABE_ITO = [
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
]
"""Okabe & Ito (2008), "Color Universal Design": a palette safe for colour-blind readers."""

PREFIXES = {
    "orgn": "https://w3id.org/coops4dev/id/organisation/",
    "office": "https://w3id.org/coops4dev/id/office/",
    "src": "https://w3id.org/coops4dev/id/source/",
    "site": "https://w3id.org/coops4dev/id/site/",
    "principle": "https://w3id.org/coops4dev/id/principle/",
    "value": "https://w3id.org/coops4dev/id/value/",
    "measure": "https://w3id.org/coops4dev/id/measure/",
    "fig": "https://w3id.org/coops4dev/id/figure/",
    "partnership": "https://w3id.org/coops4dev/id/partnership/",
    "agreement": "https://w3id.org/coops4dev/id/agreement/",
    "event": "https://w3id.org/coops4dev/id/event/",
    "statement": "https://w3id.org/coops4dev/id/statement/",
    "work-stream": "https://w3id.org/coops4dev/id/work-stream/",
    "city": "https://w3id.org/coops4dev/id/city/",
    "country": "https://w3id.org/coops4dev/id/country/",
    "id": "https://w3id.org/coops4dev/id/",
    "coop": "https://w3id.org/coops4dev/ontology#",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "skosxl": "http://www.w3.org/2008/05/skos-xl#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "prov": "http://www.w3.org/ns/prov#",
}
"""Prefixes for `short`, the most specific first."""

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger")}
_DECIMALS = {_XSD + t for t in ("decimal", "double", "float")}


def short(iri: object) -> object:
    """`https://w3id.org/coops4dev/id/organisation/ica` → `orgn:ica`; anything else unchanged."""
    if not isinstance(iri, str):
        return iri
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and "/" not in iri[len(namespace) :]:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _value(term: dict[str, str]) -> object:
    """A SPARQL JSON term as a Python value: numbers and booleans typed, the rest as text."""
    datatype = term.get("datatype", "")
    text = term["value"]
    if datatype in _INTEGERS:
        return int(text)
    if datatype in _DECIMALS:
        return float(text)
    if datatype == _XSD + "boolean":
        return text in ("true", "1")
    return text


def rows(url: str, query: str, timeout: float = 60.0) -> tuple[list[str], list[dict[str, object]]]:
    """Run a SELECT query; answer its variables and its rows (unbound variables are None)."""
    request = urllib.request.Request(
        url,
        data=query.encode("utf-8"),
        headers={
            "Content-Type": "application/sparql-query; charset=utf-8",
            "Accept": "application/sparql-results+json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http)
        answer: dict[str, Any] = json.load(response)
    variables: list[str] = answer["head"]["vars"]
    table = [
        {v: _value(binding[v]) if v in binding else None for v in variables}
        for binding in answer["results"]["bindings"]
    ]
    return variables, table


def select(url: str, query: str, *, shorten: bool = False) -> Any:
    """A SELECT query's answer as a pandas DataFrame (columns in the query's order). With
    `shorten`, IRIs of the graph are written with the project's prefixes (`orgn:ica`)."""
    import pandas as pd  # optional: only the notebooks and their tests need pandas

    variables, table = rows(url, query)
    frame = pd.DataFrame(table, columns=variables)
    if shorten:
        frame = frame.map(short)
    return frame


def example_query(key: str) -> ExampleQuery:
    """The competency question of `queries/` numbered or named `key` (`"08"`, `"08-…"`)."""
    for entry in load_catalogue():
        if key in (entry.slug, entry.slug.split("-", 1)[0]):
            return entry
    raise KeyError(f"no example query {key!r} in queries/")


def example(key: str) -> str:
    """The SPARQL text of the competency question numbered or named `key`."""
    return example_query(key).query
