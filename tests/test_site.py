"""The site around the linked data, against a real `coopkg serve` of the shipped graph: the home
page, browsing, the A–Z index, search, the dumps, VoID/DCAT, the sitemap and robots.txt. Every
expectation is read from the served graph through /sparql, never written by hand."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import urljoin
from xml.etree import ElementTree

import httpx
import pytest
import rdflib
from conftest import running_server
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID as DEFAULT
from rdflib.namespace import RDF, VOID, XSD

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")

BASE = "https://w3id.org/coops4dev/"
DATASET = BASE + "id/dataset/coops4dev"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SKOS = "http://www.w3.org/2004/02/skos/core#"
LABELS = f"<{SKOS}prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label>"
DUMPS = ["coops4dev.ttl", "coops4dev.nt", "coops4dev.jsonld", "coops4dev.trig", "coops4dev.nq"]
RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}


def select(base: str, query: str) -> list[dict]:
    response = httpx.post(
        f"{base}/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    response.raise_for_status()
    return [
        {k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]
    ]


def construct(base: str, where: str) -> rdflib.Graph:
    response = httpx.post(
        f"{base}/sparql",
        data={"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}"},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    response.raise_for_status()
    return rdflib.Graph().parse(data=response.text, format="nt")


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split()
    )


class Links(HTMLParser):
    """Every href and src on a page, and the title attribute of every link."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("title"):
            self.titles.append(values["title"])
        for name in ("href", "src"):
            if values.get(name):
                self.hrefs.append(values[name])


def links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


# -- Dumps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DUMPS)
def test_dump_is_the_served_dataset(server: str, name: str) -> None:
    response = httpx.get(f"{server}/dumps/{name}", timeout=30)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "max-age" in response.headers["cache-control"]
    fmt = RDFLIB_FORMATS[name.rsplit(".", 1)[1]]
    packed = httpx.get(f"{server}/dumps/{name}.gz", timeout=30)
    assert packed.headers["content-type"] == "application/gzip"
    assert gzip.decompress(packed.content) == response.content
    if fmt in ("trig", "nquads"):
        dataset = rdflib.Dataset()
        dataset.parse(data=response.content, format=fmt)
        names = {str(g.identifier) for g in dataset.graphs() if g.identifier != DEFAULT}
        served = {
            row["g"] for row in select(server, "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")
        }
        assert names == served
        for graph in served:
            expected = construct(server, f"GRAPH <{graph}> {{ ?s ?p ?o }}")
            assert isomorphic(dataset.graph(rdflib.URIRef(graph)), expected), graph
        default = dataset.graph(DEFAULT)
        assert isomorphic(default, construct(server, "?s ?p ?o")), "default graph"
    else:
        graph = rdflib.Graph().parse(data=response.content, format=fmt)
        assert isomorphic(graph, construct(server, "?s ?p ?o"))


def test_checksums_and_conditional_requests(server: str) -> None:
    sums = httpx.get(f"{server}/dumps/SHA256SUMS").text.splitlines()
    listed = dict(reversed(line.split("  ")) for line in sums)
    assert set(listed) == {*DUMPS, *(f"{n}.gz" for n in DUMPS)}
    for name, digest in listed.items():
        response = httpx.get(f"{server}/dumps/{name}", timeout=30)
        assert hashlib.sha256(response.content).hexdigest() == digest, name
        etag = response.headers["etag"]
        again = httpx.get(f"{server}/dumps/{name}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
    assert httpx.head(f"{server}/dumps/coops4dev.ttl").headers["content-length"] != "0"


def test_a_restarted_server_serves_the_same_dumps(server: str) -> None:
    """Every load gives blank nodes (the shapes have many) new identifiers; the dumps' bytes,
    checksums and ETags must stay: a download resumed across a restart would be two files."""
    with running_server() as again:
        sums = httpx.get(f"{again}/dumps/SHA256SUMS").text
        assert sums == httpx.get(f"{server}/dumps/SHA256SUMS").text
        first, second = (httpx.get(f"{base}/dumps/coops4dev.nq") for base in (server, again))
        assert b"_:" in first.content  # there are blank nodes to relabel
        assert first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]


# -- VoID and DCAT -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def void(server: str) -> rdflib.Graph:
    response = httpx.get(f"{server}/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=response.text, format="turtle")


def test_void_figures_are_the_served_graph(server: str, void: rdflib.Graph) -> None:
    dataset = rdflib.URIRef(DATASET)
    (count,) = select(server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert void.value(dataset, VOID.triples).toPython() == int(count["n"])
    classes = {
        row["c"]: int(row["n"])
        for row in select(server, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c")
    }
    partitions = {
        str(void.value(part, VOID["class"])): void.value(part, VOID.entities).toPython()
        for part in void.objects(dataset, VOID.classPartition)
    }
    assert partitions == classes
    properties = {
        row["p"]: int(row["n"])
        for row in select(server, "SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p")
    }
    by_property = {
        str(void.value(part, VOID.property)): void.value(part, VOID.triples).toPython()
        for part in void.objects(dataset, VOID.propertyPartition)
    }
    assert by_property == properties
    assert void.value(dataset, VOID.classes).toPython() == len(classes)
    assert str(void.value(dataset, VOID.sparqlEndpoint)) == BASE + "sparql"
    # The hand-written statements of data/dataset.trig are there too.
    assert (dataset, rdflib.URIRef("http://purl.org/dc/terms/license"), None) in void


def test_distributions_describe_the_dumps(server: str, void: rdflib.Graph) -> None:
    dataset = rdflib.URIRef(DATASET)
    downloads = 0
    for distribution in void.objects(dataset, DCAT.distribution):
        assert (distribution, RDF.type, DCAT.Distribution) in void
        url = void.value(distribution, DCAT.downloadURL)
        if url is None:  # the SPARQL endpoint, through its data service
            service = void.value(distribution, DCAT.accessService)
            assert (service, RDF.type, DCAT.DataService) in void
            assert (service, DCAT.servesDataset, dataset) in void
            continue
        downloads += 1
        name = str(url).removeprefix(BASE + "dumps/")
        body = httpx.get(f"{server}/dumps/{name}", timeout=30).content
        assert void.value(distribution, DCAT.byteSize).toPython() == len(body)
        checksum = void.value(distribution, SPDX.checksum)
        assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
        assert void.value(distribution, DCAT.mediaType) is not None
    assert downloads == 2 * len(DUMPS)
    assert str(void.value(dataset, VOID.dataDump)).startswith(BASE + "dumps/")


def test_conformance_is_stated(void: rdflib.Graph) -> None:
    reports = list(void.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert void.value(reports[0], SH.conforms) == rdflib.Literal(True, datatype=XSD.boolean)


def test_computed_statements_sit_in_no_source_graph(server: str) -> None:
    response = httpx.get(f"{server}/.well-known/void", headers={"Accept": "application/trig"})
    dataset = rdflib.Dataset().parse(data=response.text, format="trig")
    for graph in dataset.graphs():
        if str(graph.identifier).startswith(BASE + "id/source/"):
            assert (None, VOID.triples, None) not in graph
    for accept in ("text/html", "application/ld+json"):
        response = httpx.get(f"{server}/.well-known/void", headers={"Accept": accept})
        assert response.headers["content-type"].startswith(accept)


# -- Search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "must_find"),
    [
        ("cooperative", "cooperative"),
        ("Cooperative", "cooperative"),
        ("COOPÉRATIVE", "cooperative"),
        ("coopérative", "cooperative"),
        ("alliance cooperative internationale", "alliance cooperative internationale"),
    ],
)
def test_search_is_case_and_accent_insensitive(server: str, query: str, must_find: str) -> None:
    hits = httpx.get(f"{server}/search.json", params={"q": query, "limit": 50}).json()
    assert hits and all(must_find in normalise(hit["label"]) for hit in hits)
    assert {"iri", "label", "lang", "href"} <= set(hits[0])


@pytest.mark.parametrize("query", ["cooperative", "sector", "ica", "principle"])
def test_search_ranks_exact_then_prefix_then_substring(server: str, query: str) -> None:
    hits = httpx.get(f"{server}/search.json", params={"q": query, "limit": 50}).json()
    key = normalise(query)
    ranks = [0 if normalise(h["label"]) == key else 1 if normalise(h["label"]).startswith(key)
             else 2 for h in hits]  # fmt: skip
    assert ranks == sorted(ranks) and len(set(h["iri"] for h in hits)) == len(hits)


def test_search_finds_alternative_labels_and_accents(server: str) -> None:
    rows = select(server, f"SELECT ?s ?l {{ ?s <{SKOS}altLabel> ?l FILTER(isIRI(?s)) }} LIMIT 5")
    for row in rows:
        hits = httpx.get(f"{server}/search.json", params={"q": row["l"], "limit": 50}).json()
        assert row["s"] in {h["iri"] for h in hits}, row


@pytest.mark.parametrize("q", ["", "   ", "zzzqqqxxx"])
def test_search_without_results(server: str, q: str) -> None:
    assert httpx.get(f"{server}/search.json", params={"q": q}).json() == []
    page = httpx.get(f"{server}/search", params={"q": q})
    assert page.status_code == 200 and '<ol class="results">' not in page.text


def test_opensearch_is_linked(server: str) -> None:
    home = httpx.get(f"{server}/").text
    assert re.search(r'<link rel="search" type="application/opensearchdescription\+xml"', home)
    description = ElementTree.fromstring(httpx.get(f"{server}/opensearch.xml").content)
    templates = [u.get("template") for u in description if u.tag.endswith("Url")]
    assert f"{server}/search?q={{searchTerms}}" in templates


# -- Browse and A–Z ------------------------------------------------------------------------------


def test_browse_lists_the_classes_used(server: str) -> None:
    rows = select(server, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c FILTER(isIRI(?s)) } "
                          "GROUP BY ?c")  # fmt: skip
    page = httpx.get(f"{server}/browse").text
    assert set(links(page).titles) == {row["c"] for row in rows}
    for row in rows:
        assert re.search(rf"<code class=\"iri\">{re.escape(row['c'])}</code></td><td "
                         rf"class=\"number\">{row['n']}</td>", page), row  # fmt: skip


@pytest.mark.parametrize("cls", ["https://w3id.org/coops4dev/ontology#Sector", f"{SKOS}Concept"])
def test_browse_a_type_lists_its_members(server: str, cls: str) -> None:
    members = {r["s"] for r in select(server, f"SELECT ?s {{ ?s a <{cls}> FILTER(isIRI(?s)) }}")}
    response = httpx.get(f"{server}/browse", params={"type": cls})
    assert response.status_code == 200
    assert set(links(response.text).titles) == members
    assert httpx.get(f"{server}/browse", params={"type": "urn:x:none"}).status_code == 404


def test_a_z_lists_every_named_resource(server: str) -> None:
    rows = select(server, f"SELECT DISTINCT ?s {{ {{ ?s {LABELS} ?l }} UNION {{ ?s "
                          f"<http://www.w3.org/2008/05/skos-xl#prefLabel> ?x }} "
                          f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), \"{BASE}\")) }}")  # fmt: skip
    page = httpx.get(f"{server}/a-z", params={"lang": "fr"}).text
    assert set(links(page).titles) == {row["s"] for row in rows}
    for letter, section in re.findall(r'<h2 id="letter-\d+">(.)</h2>(.*?)</section>', page, re.S):
        for label in re.findall(r'title="[^"]+"><span[^>]*>([^<]+)</span>', section):
            first = next((c for c in normalise(label) if c.isalnum()), "#")
            assert (first.upper() if first.isalpha() else "#") == letter, label


# -- Home, sitemap, robots ------------------------------------------------------------------------


def test_home_page_links_resolve(server: str) -> None:
    response = httpx.get(f"{server}/", headers={"Accept-Language": "es"})
    assert response.status_code == 200
    assert response.headers["content-language"] == "es" and '<html lang="es">' in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    hrefs = {urljoin(f"{server}/", h).split("#")[0] for h in links(response.text).hrefs}
    local = sorted(h for h in hrefs if h.startswith(server))
    assert f"{server}/query" in local and f"{server}/ontology" in local
    assert any("/query?query=" in h for h in local), "the example queries open the editor"
    broken = {h for h in local if not 200 <= httpx.get(h, timeout=30).status_code < 300}
    assert broken == set(), broken


def test_home_page_describes_the_dataset(server: str) -> None:
    html = httpx.get(f"{server}/", params={"lang": "fr"}).text
    assert "Graphe de connaissances coops4dev" in html
    (count,) = select(server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert f"{int(count['n']):,}" in html
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match
    data = json.loads(match.group(1))
    assert data["@type"] == "Dataset" and data["@id"] == DATASET


def test_sitemap_lists_every_page(server: str) -> None:
    response = httpx.get(f"{server}/sitemap.xml")
    root = ElementTree.fromstring(response.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    rows = select(server, f"SELECT DISTINCT ?r {{ {{ ?r ?p ?o }} UNION {{ ?o ?p ?r }} "
                          f"FILTER(isIRI(?r) && STRSTARTS(STR(?r), \"{BASE}id/\")) }}")  # fmt: skip
    expected = {f"{server}/id/{r['r'].removeprefix(BASE + 'id/')}" for r in rows}
    assert set(locs) - {f"{server}/"} == expected
    for url in root.findall("s:url", ns)[1:]:
        langs = {link.get("hreflang") for link in url.findall("x:link", ns)}
        assert langs == {"en", "fr", "es", "x-default"}
    sample = sorted(expected)[:: max(1, len(expected) // 10)]
    for loc in sample:
        assert httpx.get(loc, headers={"Accept": "text/html"}).status_code == 200, loc


def test_robots_points_to_the_sitemap(server: str) -> None:
    text = httpx.get(f"{server}/robots.txt").text
    sitemap = re.search(r"^Sitemap: (\S+)$", text, re.M)
    assert sitemap and httpx.get(sitemap.group(1)).status_code == 200
    assert "Disallow: /sparql" in text


# -- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "statuses"),
    [
        ("/search?q=" + "a" * 10_000, {400, 414}),
        ("/search.json?q=" + "a" * 10_000, {400, 414}),
        ("/search.json?q=" + "a" * 300, {400}),
        ("/search?q=%00", {400}),
        ("/search.json?q=x&limit=many", {400}),
        ("/dumps/..%2fSHA256SUMS", {404}),
        ("/dumps/%2e%2e%2fpyproject.toml", {404}),
        ("/dumps/coops4dev.ttl%00", {404}),
        ("/dumps/coops4dev.exe", {404}),
        ("/browse?type=%00", {404}),
        ("/browse?type=" + "x" * 3000, {400}),
        ("/a-z%00", {404}),
        ("/.well-known/void%00", {404}),
        ("/.well-known/..%2fvoid", {404}),
        ("/sitemap.xml%2f..", {404}),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else None,
)
def test_bad_input_is_refused_cleanly(server: str, target: str, statuses: set[int]) -> None:
    response = httpx.get(f"{server}{target}", timeout=30)
    assert response.status_code in statuses, (target, response.status_code)


@pytest.mark.parametrize("path", ["/", "/browse", "/a-z", "/sitemap.xml"])
def test_site_pages_revalidate(server: str, path: str) -> None:
    first = httpx.get(f"{server}{path}")
    again = httpx.get(f"{server}{path}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
