"""Dereferencing the graph's IRIs against a live `coopkg serve`: content negotiation for the
Accept headers real clients send, the HTTP headers every answer carries, rdflib as a linked-data
client crawling every resource data/ describes, bad paths, and the pages in headless Chromium
(languages, links, embedded JSON-LD, and a hostile graph whose strings stay inert)."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import rdflib
from conftest import ROOT, data_subjects, running_server
from rdflib import Dataset, Graph, Literal, URIRef

BASE_IRI = "https://w3id.org/coops4dev/"
ICA = "id/organisation/ica"
TTL, HTML, JSONLD, NT, RDFXML = (
    "text/turtle",
    "text/html",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)
TRIG, NQ = "application/trig", "application/n-quads"
SUFFIX = {HTML: ".html", TTL: ".ttl", JSONLD: ".jsonld", NT: ".nt", RDFXML: ".rdf",
          TRIG: ".trig", NQ: ".nq"}  # fmt: skip

CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDFLIB = (
    "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json, "
    "application/n-quads, application/trix, application/trig"
)
RDFLIB_TURTLE = "text/turtle, application/x-turtle, */*;q=0.1"
RDFLIB_JSONLD = "application/ld+json, application/json;q=0.9, */*;q=0.1"
JENA = (
    "text/turtle,application/n-triples;q=0.95,application/ld+json;q=0.9,application/rdf+xml;q=0.7,"
    "application/trig;q=0.4,application/n-quads;q=0.3,application/trix+xml;q=0.2,text/plain;q=0.1,"
    "*/*;q=0.1"
)
SPARQLWRAPPER_RDF = "application/rdf+xml"

# (Accept, Accept-Language, query string, status, media type, Content-Language)
CASES = [
    (None, None, "", 200, HTML, "en"),
    ("*/*", None, "", 200, HTML, "en"),
    (CHROME, "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "", 200, HTML, "fr"),
    (FIREFOX, "es-ES,es;q=0.8,en-US;q=0.5,en;q=0.3", "", 200, HTML, "es"),
    (FIREFOX, "de-DE,de;q=0.9", "", 200, HTML, "en"),
    (FIREFOX, "fr", "?lang=es", 200, HTML, "es"),
    (RDFLIB, None, "", 200, TTL, None),
    (RDFLIB_TURTLE, None, "", 200, TTL, None),
    (RDFLIB_JSONLD, None, "", 200, JSONLD, None),
    (JENA, None, "", 200, TTL, None),
    (SPARQLWRAPPER_RDF, None, "", 200, RDFXML, None),
    ("text/turtle, application/ld+json", None, "", 200, TTL, None),  # Trifid issue #362
    ("application/ld+json, text/turtle;q=0.9", None, "", 200, JSONLD, None),
    ("application/n-triples", None, "", 200, NT, None),
    ("text/plain", None, "", 200, NT, None),
    ("application/trig", None, "", 200, TRIG, None),
    ("application/n-quads", None, "", 200, NQ, None),
    ("application/*", None, "", 200, JSONLD, None),
    ("text/turtle;q=0, */*", None, "", 200, HTML, "en"),
    ("image/png", None, "", 406, "text/plain", None),
    ("text/turtle;q=0", None, "", 406, "text/plain", None),
    (FIREFOX, None, "?format=turtle", 200, TTL, None),
    (TTL, None, "?format=html", 200, HTML, "en"),
    (None, None, "?format=bogus", 406, "text/plain", None),
]


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


@pytest.mark.parametrize("accept,language,query,status,media_type,content_language", CASES)
def test_negotiation(server, accept, language, query, status, media_type, content_language):
    headers = {k: v for k, v in (("Accept", accept), ("Accept-Language", language)) if v}
    response = httpx.get(f"{server}/{ICA}{query}", headers=headers)
    assert response.status_code == status, response.text
    assert media(response) == media_type
    assert response.headers["vary"] == "Accept, Accept-Language"
    assert response.headers["access-control-allow-origin"] == "*"
    if status != 200:
        assert "text/turtle" in response.text and "application/ld+json" in response.text
        return
    assert response.headers["content-location"] == f"/{ICA}{SUFFIX[media_type]}"
    assert response.headers.get("content-language") == content_language
    links = response.headers["link"]
    for suffix in SUFFIX.values():
        assert f'</{ICA}{suffix}>; rel="alternate"' in links
    assert 'rel="license"' in links and "id/dataset/coops4dev" in links
    exposed = response.headers["access-control-expose-headers"]
    assert all(h in exposed for h in ("Link", "Content-Location", "ETag"))
    if media_type == HTML:
        assert f'<html lang="{content_language}">' in response.text


@pytest.mark.parametrize("media_type,suffix", SUFFIX.items())
def test_each_document_is_fixed(server, media_type, suffix):
    """`<slug>.ttl` is Turtle whatever the client asks."""
    response = httpx.get(f"{server}/{ICA}{suffix}", headers={"Accept": "image/png"})
    assert response.status_code == 200 and media(response) == media_type
    assert response.headers["content-location"] == f"/{ICA}{suffix}"


def test_etag_head_and_304(server):
    url = f"{server}/{ICA}"
    first = httpx.get(url, headers={"Accept": TTL})
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = httpx.get(url, headers={"Accept": TTL, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = httpx.get(url, headers={"Accept": JSONLD, "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    french = httpx.get(url, headers={"Accept": HTML, "Accept-Language": "fr"})
    english = httpx.get(url, headers={"Accept": HTML, "Accept-Language": "en"})
    assert french.headers["etag"] != english.headers["etag"]
    head = httpx.head(url, headers={"Accept": TTL})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag and head.headers["content-location"] == f"/{ICA}.ttl"


def test_a_page_names_the_host_it_was_asked_by(server):
    """The HTML page's canonical link is on the requested host: a page rendered (and kept) for
    one host is not served to another, nor is its ETag a match there; RDF is the same for all."""
    url = f"{server}/{ICA}"
    pages = {
        host: httpx.get(url, headers={"Accept": HTML, "Host": host})
        for host in ("one.example", "two.example", "one.example")
    }
    for host, page in pages.items():
        assert f'<link rel="canonical" href="http://{host}/{ICA}">' in page.text
    assert pages["one.example"].headers["etag"] != pages["two.example"].headers["etag"]
    stale = httpx.get(
        url,
        headers={"Accept": HTML, "Host": "two.example",
                 "If-None-Match": pages["one.example"].headers["etag"]},
    )  # fmt: skip
    assert stale.status_code == 200
    turtle = [
        httpx.get(url, headers={"Accept": TTL, "Host": h}) for h in ("a.example", "b.example")
    ]
    assert turtle[0].content == turtle[1].content
    assert turtle[0].headers["etag"] == turtle[1].headers["etag"]


@pytest.mark.parametrize(
    "path,accept,status,media_type",
    [
        ("id/organisation/no-such-thing", HTML, 404, "text/html"),
        ("id/organisation/no-such-thing", TTL, 404, "text/plain"),
        ("id/organisation/no-such-thing.ttl", HTML, 404, "text/plain"),
        ("id/organisation/..%2f..%2fetc%2fpasswd", HTML, 404, "text/html"),
        ("id/organisation/%2e%2e", TTL, 404, "text/plain"),
        ("id/organisation/ica%00", TTL, 404, "text/plain"),
        ("id/organisation/ica%0a", TTL, 404, "text/plain"),
        ("id/organisation//ica", TTL, 404, "text/plain"),
        ("id/" + "a" * 20_000, TTL, 414, "text/plain"),
    ],
)
def test_bad_paths_are_refused_cleanly(server, path, accept, status, media_type):
    response = httpx.get(f"{server}/{path}", headers={"Accept": accept})
    assert response.status_code == status
    assert media(response) == media_type
    assert "Traceback" not in response.text and "root:" not in response.text


def _local(server: str, iri: str) -> str:
    return f"{server}/{iri[len(BASE_IRI) :]}"


def test_rdflib_crawls_every_resource_and_gets_every_statement(server):
    """rdflib as a linked-data client (Graph().parse of the URL: its own Accept header, its own
    format detection) gets back at least every statement data/ makes about each resource."""
    subjects = data_subjects()
    assert len(subjects) > 150
    missing: list[str] = []
    for iri, statements in sorted(subjects.items()):
        graph = Graph().parse(_local(server, str(iri)))
        lost = {t for t in statements if t not in graph}
        if lost:
            missing.append(f"{iri}: {len(lost)} statements missing, e.g. {sorted(lost)[0]}")
        document = URIRef(str(iri) + ".ttl")
        assert (document, rdflib.FOAF.primaryTopic, iri) in graph, iri
    assert missing == []


def test_rdflib_gets_every_ontology_term_from_the_ontology_document(server):
    """`coop:Term` IRIs are hash IRIs: their document is the ontology's, whole."""
    ontology = Graph().parse(ROOT / "ontology" / "coop.ttl")
    served = Graph().parse(f"{server}/ontology")
    terms = {s for s in ontology.subjects() if str(s).startswith(BASE_IRI + "ontology#")}
    assert len(terms) > 30
    assert [t for t in ontology if t not in served] == []


def test_the_quads_carry_each_statements_sources(server):
    dataset = Dataset()
    dataset.parse(data=httpx.get(f"{server}/{ICA}.trig").text, format="trig")
    founded = URIRef("https://schema.org/foundingDate")
    graphs = {str(g) for *_, g in dataset.quads((URIRef(BASE_IRI + ICA), founded, None, None))}
    assert BASE_IRI + "id/source/seed-ica-about-fr" in graphs
    same_as = (
        URIRef(BASE_IRI + "id/organisation/european-commission"),
        URIRef("https://schema.org/sameAs"),
        URIRef("http://www.wikidata.org/entity/Q8880"),
    )
    ec = Dataset()
    ec.parse(data=httpx.get(_local(server, str(same_as[0])) + ".nq").text, format="nquads")
    sources = {str(g) for *_, g in ec.quads((*same_as, None))}
    assert BASE_IRI + "id/source/coops4dev-fact-sheet" in sources
    assert BASE_IRI + "id/source/seed-coops4dev" not in sources


def test_documents_hold_only_absolute_iris(server):
    text = httpx.get(f"{server}/{ICA}.nt").text
    iris = re.findall(r"<([^>]*)>", text)
    assert iris and all(re.match(r"^[a-z][a-z0-9+.-]*:", i) for i in iris)


# -- In Chromium ---------------------------------------------------------------------------------


def _one_page_per_kind() -> list[str]:
    """One resource of every kind (`id/<kind>/…`) that data/ describes."""
    by_kind: dict[str, str] = {}
    for iri in sorted(map(str, data_subjects())):
        path = iri[len(BASE_IRI) :]
        by_kind.setdefault(path.split("/")[1], path)
    return sorted({ICA, *by_kind.values()})


PAGES = _one_page_per_kind()
SITE_PAGES = ["", "browse", "a-z", "search?q=coop", "ontology", "shapes"]
_CHECKED: set[str] = set()  # links already fetched, across the page tests


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_pages_in_chromium(server, browser_context, path, lang):
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        response = page.goto(f"{server}/{path}?lang={lang}")
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == lang
        title = page.locator("h1").inner_text()
        graph = Graph().parse(f"{server}/{path}.ttl")
        labels = {
            str(o)
            for o in graph.objects(URIRef(BASE_IRI + path), rdflib.SKOS.prefLabel)
            if isinstance(o, Literal) and o.language == lang
        }
        if labels:
            assert title.split("\n")[0].strip() in labels
        data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert data["@id"] == BASE_IRI + path
        _links_resolve(page, server)
        assert problems == []
    finally:
        page.close()


def _links_resolve(page, server: str) -> None:
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    local = {h.split("#")[0] for h in hrefs if urlsplit(h).netloc == urlsplit(server).netloc}
    for href in sorted(local - _CHECKED):
        if "/query" in href:
            continue  # the editor, checked by tests/test_ui.py
        status = httpx.get(href, headers={"Accept": HTML}, follow_redirects=True).status_code
        assert status == 200, href
        _CHECKED.add(href)


@pytest.mark.parametrize("path", SITE_PAGES)
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_site_pages_in_chromium(server, browser_context, path, lang):
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        joiner = "&" if "?" in path else "?"
        response = page.goto(f"{server}/{path}{joiner}lang={lang}")
        assert response is not None and response.status == 200
        # The shapes' messages exist in English only: that page says so rather than pretend.
        assert page.locator("html").get_attribute("lang") == ("en" if path == "shapes" else lang)
        for script in page.locator('script[type="application/ld+json"]').all():
            json.loads(script.text_content())
        _links_resolve(page, server)
        assert problems == []
    finally:
        page.close()


HOSTILE = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/coops4dev/id/test/hostile>
    skos:prefLabel "<script>window.__pwned = 1</script>"@en ;
    skos:altLabel "</script><img src=x onerror=window.__pwned=2>"@en ;
    rdfs:seeAlso <javascript:window.__pwned=3> .
"""


def test_hostile_strings_stay_inert(browser_context, tmp_path: Path):
    path = tmp_path / "hostile.ttl"
    path.write_text(HOSTILE, encoding="utf-8")
    with running_server(str(path)) as base:
        page = browser_context.new_page()
        try:
            page.goto(f"{base}/id/test/hostile")
            assert page.evaluate("window.__pwned") is None
            assert "<script>window.__pwned = 1</script>" in page.locator("h1").inner_text()
            assert page.locator("script:not([src]):not([type='application/ld+json'])").count() == 0
            hrefs = page.locator("a[href]").evaluate_all(
                "as => as.map(a => a.getAttribute('href'))"
            )
            assert not any(h.lower().startswith("javascript:") for h in hrefs)
            assert "javascript:window.__pwned=3" in page.content()
            data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
            assert data["name"] == "<script>window.__pwned = 1</script>"
            csp = httpx.get(f"{base}/id/test/hostile").headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        finally:
            page.close()


def test_urljoin_of_content_location_is_the_document(server):
    response = httpx.get(f"{server}/{ICA}", headers={"Accept": TTL})
    document = urljoin(str(response.url), response.headers["content-location"])
    assert httpx.get(document).text == response.text


def test_the_icas_structure_is_a_tree_of_kinds(server):
    """The ICA's page shows its units and parts by kind: the Global Office, four regional
    offices, eight sectoral organisations, and the committees and networks."""
    html = httpx.get(f"{server}/{ICA}?lang=en", headers={"Accept": HTML}).text
    tree = html[html.index('<ul class="tree">') :]
    counts = dict(
        re.findall(r'<span class="branch">.*?<span[^>]*>([^<]+)</span>.*?\((\d+)\)', tree)
    )
    assert counts["global office"] == "1"
    assert counts["regional office"] == "4"
    assert counts["sectoral organisation"] == "8"
    assert int(counts["committee"]) + int(counts["network"]) >= 5


@pytest.mark.parametrize(
    "path",
    ["//evil.example/", "/\\evil.example/", "//evil.example/id/", "/%2F%2Fevil.example/",
     "/%5Cevil.example/", "/query/", "/browse/", "/id/organisation/ica/", "/static//evil.example"],
)  # fmt: skip
def test_redirects_never_leave_the_site(server, path):
    """Raw requests (no client normalises the path): any redirect stays on this host."""
    host = urlsplit(server).netloc
    address = (urlsplit(server).hostname, urlsplit(server).port)
    with socket.create_connection(address) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    assert status < 500
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "location":
            target = urljoin(f"{server}{path}", value.strip())
            assert urlsplit(target).netloc == host, target
