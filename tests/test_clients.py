"""Real SPARQL clients against a live server on the shipped graph: SPARQLWrapper, rdflib's
SPARQLStore, and raw httpx requests with the Accept headers other tools send.

The assertions hold for any version of the data that describes the ICA
(https://w3id.org/coops4dev/id/organisation/ica); they count rather than compare.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.error import HTTPError

import httpx
import pytest
import rdflib
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"  # inside SPARQLWrapper and rdflib
)

ICA = "https://w3id.org/coops4dev/id/organisation/ica"
SELECT_TYPES = f"SELECT ?type WHERE {{ <{ICA}> a ?type }}"
SELECT_LABELS = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    f"SELECT ?label WHERE {{ <{ICA}> skos:prefLabel ?label }}"
)
CONSTRUCT = f"CONSTRUCT {{ <{ICA}> ?p ?o }} WHERE {{ <{ICA}> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{ICA}>"
ASK = f"ASK {{ <{ICA}> ?p ?o }}"
SRX = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def endpoint(server: str) -> str:
    return f"{server}/sparql"


def wrapper(endpoint: str, query: str, return_format: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint, returnFormat=return_format)
    client.setQuery(query)
    client.setMethod(method)
    client.setTimeout(30)
    return client


# -- SPARQLWrapper ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_select_json(endpoint: str, method: str) -> None:
    result = wrapper(endpoint, SELECT_TYPES, JSON, method).queryAndConvert()
    types = {row["type"]["value"] for row in result["results"]["bindings"]}
    assert "http://www.w3.org/ns/org#FormalOrganization" in types or types


def test_sparqlwrapper_select_xml(endpoint: str) -> None:
    document = wrapper(endpoint, SELECT_LABELS, XML).queryAndConvert()
    literals = [e.firstChild.data for e in document.getElementsByTagName("literal")]
    assert any("Alliance" in text for text in literals)


def test_sparqlwrapper_select_csv(endpoint: str) -> None:
    data = wrapper(endpoint, SELECT_LABELS, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["label"] and len(rows) > 1


def test_sparqlwrapper_select_tsv(endpoint: str) -> None:
    """SPARQLWrapper sends `format=tsv&format=text/tab-separated-values` and more."""
    data = wrapper(endpoint, SELECT_LABELS, TSV).queryAndConvert()
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == "?label" and len(lines) > 1


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
@pytest.mark.parametrize("return_format", [TURTLE, N3, RDFXML, JSONLD])
def test_sparqlwrapper_graphs(endpoint: str, query: str, return_format: str) -> None:
    response = wrapper(endpoint, query, return_format).query()
    graph = response.convert()
    if not isinstance(graph, rdflib.Graph):  # Turtle and N3 come back as bytes
        graph = rdflib.Graph().parse(data=graph, format="turtle")
    assert len(graph) > 3
    assert (rdflib.URIRef(ICA), None, None) in graph


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_ask(endpoint: str, return_format: str) -> None:
    result = wrapper(endpoint, ASK, return_format).queryAndConvert()
    if return_format == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


def test_sparqlwrapper_update_is_refused(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint, updateEndpoint=endpoint)
    client.setQuery(f"DELETE WHERE {{ <{ICA}> ?p ?o }}")
    client.setMethod(POST)
    with pytest.raises(HTTPError) as info:  # SPARQLWrapper lets urllib's error through
        client.query()
    assert info.value.code == 403
    assert wrapper(endpoint, ASK, JSON).queryAndConvert()["boolean"] is True


# -- rdflib's SPARQLStore -----------------------------------------------------------------------


_SPARQLSTORE_SCRIPT = """
import sys, rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
endpoint, select, ask, ica = sys.argv[1:]
graph = rdflib.Graph(store=SPARQLStore(endpoint, timeout=30))
rows = list(graph.query(select))
assert rows and all(isinstance(row[0], rdflib.Literal) for row in rows), rows
assert graph.query(ask).askAnswer is True
triples = list(graph.triples((rdflib.URIRef(ica), None, None)))
print(len(rows), len(triples))
"""


def test_rdflib_sparqlstore(endpoint: str) -> None:
    """In a child process: Graph.query loads rdflib's SPARQL engine, and test_executor checks that
    query workers (forked from the test process there) never hold it."""
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            _SPARQLSTORE_SCRIPT,
            endpoint,
            SELECT_LABELS,
            ASK,
            ICA,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows, triples = map(int, done.stdout.split())
    assert rows > 0 and triples > 3


# -- Raw HTTP with hand-written Accept headers --------------------------------------------------


# (what sends it, Accept header, query, expected media type)
ACCEPTS = [
    ("curl", "*/*", SELECT_LABELS, "application/sparql-results+json"),
    (
        "Jena",
        "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
        "text/tab-separated-values;q=0.7, text/csv;q=0.5, application/json;q=0.2, "
        "application/xml;q=0.2, */*;q=0.1",
        SELECT_LABELS,
        "application/sparql-results+json",
    ),
    (
        "YASGUI select",
        "application/sparql-results+json,*/*;q=0.9",
        SELECT_LABELS,
        "application/sparql-results+json",
    ),
    ("YASGUI construct", "text/turtle,*/*;q=0.9", CONSTRUCT, "text/turtle"),
    (
        "RDF4J",
        "application/sparql-results+xml, application/x-binary-rdf-results-table;q=0.9, */*;q=0.5",
        SELECT_LABELS,
        "application/sparql-results+xml",
    ),
    ("rdflib", "application/rdf+xml", CONSTRUCT, "application/rdf+xml"),
    (
        "a browser",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        SELECT_LABELS,
        "application/sparql-results+xml",
    ),
    ("spreadsheet", "text/csv", SELECT_LABELS, "text/csv"),
    ("JSON-LD tool", "application/ld+json", DESCRIBE, "application/ld+json"),
    (
        "N-Triples tool",
        "application/n-triples, text/plain;q=0.5",
        CONSTRUCT,
        "application/n-triples",
    ),
]


@pytest.mark.parametrize(
    "accept,query,expected", [a[1:] for a in ACCEPTS], ids=[a[0] for a in ACCEPTS]
)
def test_httpx_accept_headers(endpoint, accept, query, expected) -> None:
    response = httpx.get(endpoint, params={"query": query}, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected
    if expected == "application/sparql-results+xml":
        assert ET.fromstring(response.content).find(f"{SRX}results") is not None
    elif expected.startswith("application/sparql-results+json"):
        assert response.json()["results"]["bindings"]
    elif expected == "text/csv":
        assert len(response.text.splitlines()) > 1
    else:
        fmt = {
            "text/turtle": "turtle",
            "application/rdf+xml": "xml",
            "application/ld+json": "json-ld",
            "application/n-triples": "nt",
        }[expected]
        assert len(rdflib.Graph().parse(data=response.content, format=fmt)) > 3


def test_httpx_post_form_and_direct_agree(endpoint: str) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    form = httpx.post(endpoint, data={"query": SELECT_LABELS}, headers=accept, timeout=30)
    direct = httpx.post(
        endpoint,
        content=SELECT_LABELS.encode(),
        timeout=30,
        headers={**accept, "Content-Type": "application/sparql-query"},
    )
    get = httpx.get(endpoint, params={"query": SELECT_LABELS}, headers=accept, timeout=30)
    assert form.status_code == direct.status_code == get.status_code == 200
    assert form.json() == direct.json() == get.json()


def test_service_description_lists_the_example_queries(endpoint: str) -> None:
    response = httpx.get(endpoint, headers={"Accept": "text/turtle"}, timeout=30)
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    examples = set(graph.subjects(rdflib.RDF.type, sh.SPARQLExecutable))
    assert examples, "the queries/ catalogue is described"
    for example in examples:
        assert graph.value(example, rdflib.RDFS.comment) is not None
        assert graph.value(example, rdflib.URIRef("https://schema.org/target")) == rdflib.URIRef(
            endpoint
        )
