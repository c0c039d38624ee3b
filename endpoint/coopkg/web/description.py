"""The SPARQL 1.1 Service Description of the endpoint, served on `GET /sparql` without a query.

What it says (https://www.w3.org/TR/sparql11-service-description/):

- `sd:endpoint`: the URL the client asked (scheme, host and path of the request), so the
  description matches whatever name the server is reached by;
- `sd:supportedLanguage sd:SPARQL11Query` only: the endpoint is read-only, SPARQL Update gets 403;
- `sd:resultFormat`: every format `coopkg.formats` can produce, by its W3C formats IRI;
- `sd:feature`: none of the five the vocabulary defines is claimed. `sd:BasicFederatedQuery` is
  false by design (SERVICE is refused), `sd:DereferencesURIs` too (FROM never fetches), the default
  graph is not the union of all the named graphs (no `sd:UnionDefaultGraph`: it holds the ontology
  and the union of the source graphs, not the shapes graph), no dataset is required and empty
  graphs are not kept;
- `sd:defaultEntailmentRegime` simple entailment;
- `sd:defaultDataset`: the default graph and each named graph with its size (`void:triples`). A
  named graph under `https://w3id.org/coops4dev/id/source/` holds what one source states (the
  graph's name is the source, described in the data); the description says so in `rdfs:comment`,
  and says of the default graph that it is the ontology plus the union of those graphs, so that
  `GRAPH ?source { s p o }` finds the sources of a statement;
- the example queries of `queries/`, in the SIB sparql-examples convention
  (https://github.com/sib-swiss/sparql-examples): each one a `sh:SPARQLExecutable` with its text in
  `sh:select` / `sh:ask` / `sh:construct` / `spex:describe`, `rdfs:label`, `rdfs:comment`,
  `schema:keywords` and `schema:target` the endpoint. Their IRIs are
  `<base IRI>.well-known/sparql-examples/<slug>`.

The triples are built with pyoxigraph and serialised by it; the bytes are kept in the
application state, so this runs once per endpoint URL and format, never per request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from .. import __version__
from ..errors import NotAcceptable, SparqlError
from ..formats import FORMATS, ResultFormat, choose_format
from ..query import QueryJob
from ..vocab import (
    DCTERMS,
    FORMATS_NS,
    RDF,
    RDFS,
    SCHEMA,
    SD,
    SH,
    SOURCE_BASE,
    SPEX,
    VOID,
    XSD,
)
from .http import CACHE_CONTROL, COMMON_HEADERS, Reply, etag_matches, not_modified
from .state import AppState

__all__ = [
    "ServiceFacts",
    "describe",
    "description_reply",
    "format_iri",
    "render",
    "sd_format",
]

log = logging.getLogger(__name__)
_CACHE_LIMIT = 32  # distinct (endpoint URL, format) descriptions kept per application

_ENTAILMENT_SIMPLE = "http://www.w3.org/ns/entailment/Simple"

_SOURCE_GRAPH_COMMENT = (
    "The statements one source makes; the graph's name is the source, described in the data. "
    "A statement two sources make is in both graphs."
)
_DEFAULT_GRAPH_COMMENT = (
    "The ontology and the union of the source graphs: every statement of the data once. "
    "SELECT ?source WHERE { GRAPH ?source { <s> <p> <o> } } gives the sources of a statement."
)

PREFIXES = {
    "sd": SD,
    "rdfs": RDFS,
    "xsd": XSD,
    "void": VOID,
    "dcterms": DCTERMS,
    "sh": SH,
    "spex": SPEX,
    "schema": SCHEMA,
    "formats": FORMATS_NS,
}

# W3C "Unique URIs for file formats" (https://www.w3.org/ns/formats/), by media type.
_FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
}

# Query form -> (property holding the text, specific class or None), SIB convention.
_EXAMPLE_FORMS = {
    "SELECT": (SH + "select", SH + "SPARQLSelectExecutable"),
    "ASK": (SH + "ask", SH + "SPARQLAskExecutable"),
    "CONSTRUCT": (SH + "construct", SH + "SPARQLConstructExecutable"),
    "DESCRIBE": (SPEX + "describe", None),
}


@dataclass(frozen=True)
class ServiceFacts:
    """What the description states besides the endpoint URL."""

    base_iri: str
    named_graphs: tuple[str, ...] = ()
    # Triples per graph, None for the default graph; empty when they could not be counted.
    graph_sizes: Mapping[str | None, int] | None = None
    examples: tuple = ()  # coopkg.catalogue.ExampleQuery (duck-typed: slug, title, description…)


def format_iri(media_type: str) -> str:
    return FORMATS_NS + _FORMAT_IRIS[media_type]


def sd_format(accept: str | None, format_name: str | None = None) -> ResultFormat | None:
    """The RDF format to describe the service in (Turtle for `*/*`); None: 406."""
    return choose_format(accept, "graph", format_name)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(XSD + "integer"))


def _en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def describe(endpoint_url: str, facts: ServiceFacts) -> list[ox.Triple]:
    """The description's triples, with `endpoint_url` as the service and its endpoint."""
    return list(_triples(endpoint_url, facts))


def _triples(endpoint_url: str, facts: ServiceFacts) -> Iterator[ox.Triple]:
    a = _n(RDF + "type")
    service = _n(endpoint_url)
    yield ox.Triple(service, a, _n(SD + "Service"))
    yield ox.Triple(service, _n(SD + "endpoint"), service)
    yield ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query"))
    for fmt in FORMATS:
        yield ox.Triple(service, _n(SD + "resultFormat"), _n(format_iri(fmt.media_type)))
    yield ox.Triple(service, _n(SD + "defaultEntailmentRegime"), _n(_ENTAILMENT_SIMPLE))
    yield ox.Triple(
        service, _n(DCTERMS + "title"), _en("coops4dev knowledge graph: SPARQL endpoint")
    )
    yield ox.Triple(
        service,
        _n(RDFS + "comment"),
        _en(
            "Read-only SPARQL 1.1 Query endpoint over the coops4dev knowledge graph of the "
            "international cooperative movement. SERVICE is refused and FROM never fetches; "
            f"served by coopkg {__version__}."
        ),
    )

    sizes = facts.graph_sizes or {}
    dataset = ox.BlankNode("dataset")
    yield ox.Triple(service, _n(SD + "defaultDataset"), dataset)
    yield ox.Triple(dataset, a, _n(SD + "Dataset"))
    default_graph = ox.BlankNode("defaultGraph")
    yield ox.Triple(dataset, _n(SD + "defaultGraph"), default_graph)
    yield ox.Triple(default_graph, a, _n(SD + "Graph"))
    if None in sizes:
        yield ox.Triple(default_graph, _n(VOID + "triples"), _count(sizes[None]))
    if any(name.startswith(SOURCE_BASE) for name in facts.named_graphs):
        yield ox.Triple(default_graph, _n(RDFS + "comment"), _en(_DEFAULT_GRAPH_COMMENT))
    for index, name in enumerate(facts.named_graphs):
        named = ox.BlankNode(f"namedGraph{index}")
        graph = ox.BlankNode(f"graph{index}")
        yield ox.Triple(dataset, _n(SD + "namedGraph"), named)
        yield ox.Triple(named, a, _n(SD + "NamedGraph"))
        yield ox.Triple(named, _n(SD + "name"), _n(name))
        yield ox.Triple(named, _n(SD + "graph"), graph)
        yield ox.Triple(graph, a, _n(SD + "Graph"))
        if name in sizes:
            yield ox.Triple(graph, _n(VOID + "triples"), _count(sizes[name]))
        if name.startswith(SOURCE_BASE):
            yield ox.Triple(named, _n(RDFS + "comment"), _en(_SOURCE_GRAPH_COMMENT))

    yield from _example_triples(service, facts.base_iri, facts.examples)


def _example_triples(
    service: ox.NamedNode, base_iri: str, examples: Iterable
) -> Iterator[ox.Triple]:
    a = _n(RDF + "type")
    base = base_iri if base_iri.endswith(("/", "#")) else base_iri + "/"
    for example in examples:
        kind = str(getattr(example, "kind", "SELECT")).upper()
        text_property, specific_class = _EXAMPLE_FORMS.get(kind, _EXAMPLE_FORMS["SELECT"])
        node = _n(f"{base}.well-known/sparql-examples/{example.slug}")
        yield ox.Triple(node, a, _n(SH + "SPARQLExecutable"))
        if specific_class:
            yield ox.Triple(node, a, _n(specific_class))
        yield ox.Triple(node, _n(RDFS + "label"), _en(example.title))
        yield ox.Triple(node, _n(RDFS + "comment"), _en(example.description))
        yield ox.Triple(node, _n(text_property), ox.Literal(example.query))
        yield ox.Triple(node, _n(SCHEMA + "target"), service)
        for tag in getattr(example, "tags", ()):
            yield ox.Triple(node, _n(SCHEMA + "keywords"), ox.Literal(tag))


def render(triples: list[ox.Triple], fmt: ResultFormat) -> bytes:
    """Serialise with pyoxigraph; prefixes where the format has them."""
    if fmt.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=fmt.rdf_format, prefixes=PREFIXES) or b""
    return ox.serialize(triples, format=fmt.rdf_format) or b""


# -- Serving it ----------------------------------------------------------------------------------


async def description_reply(
    state: AppState,
    url: str,
    accept: str | None,
    format_name: str | None,
    if_none_match: bytes | None,
) -> Reply:
    """The description of the endpoint reached at `url`, negotiated; written once per URL and
    format."""
    fmt = sd_format(accept, format_name)
    if fmt is None:
        offered = ", ".join(sorted({f.media_type for f in FORMATS if "graph" in f.kinds}))
        raise NotAcceptable(f"the service description is available as {offered} (and text/html)")
    key = (url, fmt.media_type)
    cached = state.descriptions.get(key)
    if cached is None:
        if state.graph_sizes is None:
            state.graph_sizes = await _graph_sizes(state)
        facts = ServiceFacts(
            base_iri=state.settings.base_iri,
            named_graphs=state.dataset.named_graphs,
            graph_sizes=state.graph_sizes,
            examples=state.examples,
        )
        body = render(describe(url, facts), fmt)
        cached = (body, state.tags.tag("sd", url, fmt.media_type))
        if len(state.descriptions) >= _CACHE_LIMIT:
            state.descriptions.clear()
        state.descriptions[key] = cached
    body, etag = cached
    if etag_matches(if_none_match, etag):
        return not_modified(etag)
    headers = [
        (b"content-type", fmt.content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"etag", etag),
        CACHE_CONTROL,
        *COMMON_HEADERS,
    ]
    return Reply(200, headers, body)


async def _graph_sizes(state: AppState) -> dict[str | None, int]:
    """Triples per graph, by one GROUP BY through the runner; empty when they cannot be counted
    (the description then leaves the sizes out)."""
    query = (
        "SELECT ?g (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } "
        "GROUP BY ?g"
    )
    try:
        outcome = await state.runner.run(QueryJob(query, format_name="json"))
        sizes: dict[str | None, int] = {}
        for row in json.loads(outcome.body)["results"]["bindings"]:
            sizes[row.get("g", {}).get("value")] = int(row["n"]["value"])
        sizes.setdefault(None, 0)
        return sizes
    except (SparqlError, ValueError, KeyError) as exc:
        log.warning("service description: graph sizes not counted: %s", exc)
        return {}
