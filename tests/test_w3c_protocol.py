"""The W3C SPARQL 1.1 Protocol (34 tests) and Service Description (3 tests) suites, run live.

The manifests are read with rdflib: every `mf:ProtocolTest` becomes a test case and every
`ht:Request` of it is sent, in order, to a `coopkg serve` holding the graphs the manifest names
(`ut:graphData`: the N-Triples file as a named graph called by its `rdfs:label`). Request paths
start with `/sparql/`, which the endpoint also serves; they are mapped to `/sparql` all the same.

The endpoint is read-only. Where the suite expects an update to succeed, the runner expects `403`
instead, and the queries that follow it in the same test, which would see the update's effect, are
expected to answer `false`: the update was refused and the store is unchanged. Every other
expectation (status class, result format, boolean) is the manifest's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import ROOT, running_server
from rdflib import RDF, RDFS, Namespace
from rdflib.collection import Collection

W3C_DIR = Path(os.environ.get("COOPKG_W3C_DIR", ROOT / "tests" / "w3c"))
PROTOCOL = W3C_DIR / "protocol" / "manifest.ttl"
SERVICE_DESCRIPTION = W3C_DIR / "service-description" / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}
SRX = "{http://www.w3.org/2005/sparql-results#}"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[str]  # "2xx", "4xx", ...
    result_format: str | None  # "boolean" | "tabular" | "RDF"
    boolean: bool | None


@dataclass(frozen=True)
class ProtocolCase:
    name: str
    title: str
    graphs: tuple[tuple[Path, str], ...]
    exchanges: tuple[Exchange, ...]


def _manifest(path: Path) -> rdflib.Graph:
    if not path.is_file():
        pytest.skip(f"W3C manifest {path} not found (set COOPKG_W3C_DIR)", allow_module_level=True)
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=path.as_uri())
    return graph


def _entries(graph: rdflib.Graph) -> list[rdflib.term.Node]:
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest)
    return list(Collection(graph, graph.value(manifest, MF.entries)))


def _status_class(node: rdflib.term.Node) -> str:
    return str(node).removeprefix(str(HTS)).removeprefix("StatusCode").lower()


def _exchange(graph: rdflib.Graph, request: rdflib.term.Node) -> Exchange:
    headers = []
    header_list = graph.value(request, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers.append(
                (str(graph.value(header, HT.fieldName)), str(graph.value(header, HT.fieldValue)))
            )
    body = None
    body_node = graph.value(request, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(request, HT.resp)
    expected_format = graph.value(response, MF.expectedFormat)
    expected_boolean = graph.value(response, MF.expectedBoolean)
    return Exchange(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=tuple(headers),
        body=body,
        statuses=frozenset(_status_class(s) for s in graph.objects(response, MF.expectedStatus)),
        result_format=str(expected_format) if expected_format is not None else None,
        boolean=expected_boolean.toPython() if expected_boolean is not None else None,
    )


def protocol_cases() -> list[ProtocolCase]:
    graph = _manifest(PROTOCOL)
    cases = []
    for entry in _entries(graph):
        assert (entry, RDF.type, MF.ProtocolTest) in graph, entry
        graphs = tuple(
            sorted(
                (
                    Path(urlsplit(str(graph.value(data, UT.graph))).path),
                    str(graph.value(data, RDFS.label)),
                )
                for data in graph.objects(entry, UT.graphData)
            )
        )
        connection = graph.value(entry, MF.action)
        requests = Collection(graph, graph.value(connection, HT.requests))
        cases.append(
            ProtocolCase(
                name=str(entry).rsplit("#", 1)[-1],
                title=str(graph.value(entry, MF.name)),
                graphs=graphs,
                exchanges=tuple(_exchange(graph, r) for r in requests),
            )
        )
    return cases


CASES = protocol_cases()


def test_the_manifest_has_all_34_tests() -> None:
    assert len(CASES) == 34
    assert sum(c.name.startswith("bad_") for c in CASES) == 14  # negative tests
    assert sum(c.name.startswith("update_") for c in CASES) == 7  # refused with 403 here


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server holding every graph any test names, each in its named graph."""
    quads = [
        ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(name))
        for source, name in sorted({g for case in CASES for g in case.graphs})
        for triple in ox.parse(path=source, format=ox.RdfFormat.N_TRIPLES)
    ]
    path = tmp_path_factory.mktemp("w3c") / "protocol-graphs.nq"
    ox.serialize(quads, path, format=ox.RdfFormat.N_QUADS)
    with running_server(str(path)) as base:
        yield base


# -- Reading answers ----------------------------------------------------------------------------


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _boolean(response: httpx.Response) -> bool:
    media = _media_type(response)
    assert media in BOOLEAN_TYPES, f"a boolean result, not {media}"
    if media.endswith("json"):
        value = json.loads(response.content)["boolean"]
    else:
        element = ET.fromstring(response.content).find(f"{SRX}boolean")
        assert element is not None, response.text
        value = {"true": True, "false": False}[element.text.strip()]
    assert isinstance(value, bool)
    return value


def _check_tabular(response: httpx.Response) -> None:
    media = _media_type(response)
    assert media in TABULAR_TYPES, f"a tabular result, not {media}"
    if media.endswith("json"):
        document = json.loads(response.content)
        assert "vars" in document["head"] and "bindings" in document["results"]
    elif media.endswith("xml"):
        root = ET.fromstring(response.content)
        assert root.find(f"{SRX}results") is not None
    else:
        delimiter = "," if media == "text/csv" else "\t"
        rows = list(csv.reader(io.StringIO(response.text), delimiter=delimiter))
        assert rows and rows[0], "a header row"


def _check_rdf(response: httpx.Response) -> rdflib.Graph:
    media = _media_type(response)
    assert media in RDF_TYPES, f"an RDF result, not {media}"
    graph = rdflib.Graph()
    graph.parse(data=response.content, format=RDF_TYPES[media])
    return graph


def _is_update(exchange: Exchange) -> bool:
    """SPARQL Update in any of the protocol's forms."""
    content_type = dict((k.lower(), v) for k, v in exchange.headers).get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "application/sparql-update":
        return True
    if "update" in parse_qs(urlsplit(exchange.path).query):
        return True
    form = content_type.startswith("application/x-www-form-urlencoded")
    return form and exchange.body is not None and "update" in parse_qs(exchange.body.decode())


def _send(base: str, exchange: Exchange) -> httpx.Response:
    path = exchange.path.replace("/sparql/", "/sparql", 1)
    assert path.startswith("/sparql")
    return httpx.request(
        exchange.method,
        base + path,
        headers=list(exchange.headers),
        content=exchange.body,
        timeout=30,
    )


# -- The protocol suite -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_protocol(case: ProtocolCase, w3c_server: str) -> None:
    update_refused = False
    for number, exchange in enumerate(case.exchanges, start=1):
        response = _send(w3c_server, exchange)
        where = f"{case.name} request {number} ({exchange.method} {exchange.path[:60]})"
        assert b"Traceback" not in response.content, where
        status_class = f"{response.status_code // 100}xx"
        if _is_update(exchange):
            # Read-only endpoint: every update is refused, whatever the suite expected.
            assert response.status_code == 403, f"{where}: {response.status_code} {response.text}"
            update_refused = True
            continue
        assert status_class in exchange.statuses, (
            f"{where}: {response.status_code}, expected {sorted(exchange.statuses)}: "
            f"{response.text[:300]}"
        )
        if exchange.result_format == "boolean":
            value = _boolean(response)
            if exchange.boolean is not None:
                # After a refused update the store is unchanged: what it should have made true
                # is false.
                expected = False if update_refused else exchange.boolean
                assert value is expected, where
        elif exchange.result_format == "tabular":
            _check_tabular(response)
        elif exchange.result_format == "RDF":
            _check_rdf(response)
        else:
            assert exchange.result_format is None, exchange.result_format


# -- The service-description suite -------------------------------------------------------------

# The SPARQL 1.1 Service Description vocabulary (https://www.w3.org/TR/sparql11-service-description/
# section 3): its classes, its instances, and the domain and range of each property.
SD_CLASSES = {
    "Service",
    "Language",
    "Function",
    "Aggregate",
    "EntailmentRegime",
    "EntailmentProfile",
    "GraphCollection",
    "Dataset",
    "Graph",
    "NamedGraph",
    "Feature",
    "LanguageExtension",
}
SD_INSTANCES = {
    "SPARQL10Query": "Language",
    "SPARQL11Query": "Language",
    "SPARQL11Update": "Language",
    "DereferencesURIs": "Feature",
    "UnionDefaultGraph": "Feature",
    "RequiresDataset": "Feature",
    "EmptyGraphs": "Feature",
    "BasicFederatedQuery": "Feature",
}
SD_PROPERTIES = {  # property: (domain, range or None for any IRI)
    "endpoint": ("Service", None),
    "feature": ("Service", "Feature"),
    "defaultEntailmentRegime": ("Service", "EntailmentRegime"),
    "supportedEntailmentProfile": ("Service", "EntailmentProfile"),
    "defaultSupportedEntailmentProfile": ("Service", "EntailmentProfile"),
    "extensionFunction": ("Service", "Function"),
    "extensionAggregate": ("Service", "Aggregate"),
    "languageExtension": ("Service", "LanguageExtension"),
    "supportedLanguage": ("Service", "Language"),
    "propertyFeature": ("Service", None),
    "defaultDataset": ("Service", "Dataset"),
    "availableGraphs": ("Service", "GraphCollection"),
    "resultFormat": ("Service", None),
    "inputFormat": ("Service", None),
    "defaultGraph": ("Dataset", "Graph"),
    "namedGraph": ("GraphCollection", "NamedGraph"),
    "name": ("NamedGraph", None),
    "graph": ("NamedGraph", "Graph"),
    "entailmentRegime": ("NamedGraph", "EntailmentRegime"),
}
SD_SUBCLASSES = {"Dataset": {"GraphCollection"}}
ENTAILMENT = "http://www.w3.org/ns/entailment/"


def _types(graph: rdflib.Graph, node: rdflib.term.Node) -> set[str]:
    names = {str(t).removeprefix(str(SD)) for t in graph.objects(node, RDF.type)}
    if isinstance(node, rdflib.URIRef) and str(node).startswith(str(SD)):
        instance = SD_INSTANCES.get(str(node).removeprefix(str(SD)))
        names |= {instance} if instance else set()
    if isinstance(node, rdflib.URIRef) and str(node).startswith(ENTAILMENT):
        names.add("EntailmentRegime")
    for name in list(names):
        names |= SD_SUBCLASSES.get(name, set())
    return names


def schema_problems(graph: rdflib.Graph) -> list[str]:
    """What in `graph` breaks the SD vocabulary: unknown terms, domains, ranges."""
    problems = []
    for s, p, o in graph:
        for term in (p, o):
            if isinstance(term, rdflib.URIRef) and str(term).startswith(str(SD)):
                local = str(term).removeprefix(str(SD))
                known = SD_CLASSES | set(SD_INSTANCES) | set(SD_PROPERTIES)
                if local not in known:
                    problems.append(f"sd:{local} is not in the vocabulary")
        if not str(p).startswith(str(SD)):
            continue
        domain, range_ = SD_PROPERTIES.get(str(p).removeprefix(str(SD)), (None, None))
        if domain and domain not in _types(graph, s):
            problems.append(f"{s} uses {p} but is not a sd:{domain}")
        if range_ and range_ not in _types(graph, o):
            problems.append(f"{p} {o}: not a sd:{range_}")
        if range_ is None and not isinstance(o, rdflib.URIRef):
            problems.append(f"{p} {o}: an IRI expected")
    return problems


SD_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/n-triples;q=0.8, */*;q=0.1"


def _service_description(base: str, accept: str = SD_ACCEPT) -> tuple[rdflib.Graph, str]:
    response = httpx.get(f"{base}/sparql", headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    return _check_rdf(response), _media_type(response)


def _returns_rdf(base: str) -> None:
    for accept, media in [
        (SD_ACCEPT, "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("*/*", "text/turtle"),
    ]:
        graph, got = _service_description(base, accept)
        assert got == media, accept
        assert len(graph) > 10, accept


def _has_endpoint_triple(base: str) -> None:
    graph, _ = _service_description(base)
    services = set(graph.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    assert (services.pop(), SD.endpoint, rdflib.URIRef(f"{base}/sparql")) in graph


def _conforms_to_schema(base: str) -> None:
    graph, _ = _service_description(base)
    assert schema_problems(graph) == []
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph  # read-only
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph  # SERVICE is refused
    assert (service, SD.feature, SD.UnionDefaultGraph) not in graph  # it is not the union


SD_CHECKS = {
    "returns-rdf": _returns_rdf,
    "has-endpoint-triple": _has_endpoint_triple,
    "conforms-to-schema": _conforms_to_schema,
}


def service_description_cases() -> list[tuple[str, str]]:
    graph = _manifest(SERVICE_DESCRIPTION)
    return [
        (str(e).rsplit("#", 1)[-1], str(graph.value(e, MF.name)))
        for e in _entries(graph)
        if (e, RDF.type, MF.ServiceDescriptionTest) in graph
    ]


SD_CASES = service_description_cases()


def test_the_service_description_manifest_has_3_tests() -> None:
    assert len(SD_CASES) == 3


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("name,title", SD_CASES, ids=[n for n, _ in SD_CASES])
def test_service_description(name: str, title: str, w3c_server: str) -> None:
    assert name in SD_CHECKS, f"no check written for the manifest's test {name!r} ({title})"
    SD_CHECKS[name](w3c_server)


def test_the_schema_check_catches_mistakes() -> None:
    """The conformance check is not vacuous."""
    graph = rdflib.Graph()
    service = rdflib.URIRef("http://example.org/sparql")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, rdflib.Literal("not an IRI")))
    graph.add((service, SD.supportedLanguage, SD.SPARQL12Query))
    graph.add((rdflib.BNode(), SD.defaultGraph, rdflib.BNode()))
    problems = schema_problems(graph)
    assert any("SPARQL12Query is not in the vocabulary" in p for p in problems)
    assert any("an IRI expected" in p for p in problems)
    assert any("is not a sd:Dataset" in p for p in problems)
    assert any("not a sd:Graph" in p for p in problems)
