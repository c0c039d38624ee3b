"""`/ontology` and `/shapes` on a live `coopkg serve`: the ontology's pyLODE page per language with
a section per term whose id is the term's local name, the shapes' page with every shape, the RDF
documents isomorphic to the files, the headers every linked-data answer carries, and in headless
Chromium `ontology#Partnership` landing on its section."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import httpx
import pytest
from conftest import ROOT
from rdflib import RDFS, Graph, URIRef
from rdflib.compare import isomorphic

ONTOLOGY_NS = "https://w3id.org/coops4dev/ontology#"
SHAPES_NS = "https://w3id.org/coops4dev/shapes#"
CHROMIUM = Path("/usr/bin/chromium")
RDF_TYPES = [
    ("text/turtle", "turtle", ".ttl"),
    ("application/ld+json", "json-ld", ".jsonld"),
    ("application/n-triples", "nt", ".nt"),
    ("application/rdf+xml", "xml", ".rdf"),
]


def files_graph(folder: str) -> Graph:
    graph = Graph()
    for path in sorted((ROOT / folder).glob("*.ttl")):
        graph.parse(path)
    return graph


def ids(html: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', html)


# -- The ontology's page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "partnership"), ("fr", "partenariat"), ("es", "alianza")],
)
def test_ontology_page_per_language(server: str, language: str, label: str) -> None:
    ontology = Graph().parse(ROOT / "ontology" / "coop.ttl")
    labels = {
        o.language: str(o)
        for o in ontology.objects(URIRef(ONTOLOGY_NS + "Partnership"), RDFS.label)
    }
    assert labels[language] == label
    for params, headers in (({"lang": language}, {}), ({}, {"Accept-Language": language})):
        response = httpx.get(f"{server}/ontology", params=params, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-language"] == language
        html = response.text
        assert f'<html lang="{language}">' in html
        section = html[html.index('id="Partnership"') :][:400]
        assert f"<h3>{label}\n" in section, section
        others = {"en": "partnership", "fr": "partenariat", "es": "alianza"}
        for other, text in others.items():
            if other != language:  # one language per page
                assert f"<h3>{text}\n" not in html


def test_every_term_is_an_element_id(server: str) -> None:
    ontology = Graph().parse(ROOT / "ontology" / "coop.ttl")
    terms = {
        str(s)[len(ONTOLOGY_NS) :] for s in ontology.subjects() if str(s).startswith(ONTOLOGY_NS)
    }
    assert "Partnership" in terms and len(terms) > 30
    for language in ("en", "fr", "es"):
        found = ids(httpx.get(f"{server}/ontology?lang={language}").text)
        assert terms <= set(found), terms - set(found)
        assert [i for i, n in Counter(found).items() if n > 1] == []


def test_ontology_page_allows_only_its_own_style(server: str) -> None:
    response = httpx.get(f"{server}/ontology")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "'unsafe-inline'" not in csp
    html = response.text
    assert not re.search(r"<script(?![^>]*application/ld\+json)", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r'(?:src|srcset)="(?!data:)', html)  # images are data: URLs


def test_pylode_writes_nothing_into_its_package(server: str) -> None:
    import pylode.utils

    httpx.get(f"{server}/ontology?lang=fr").raise_for_status()
    assert list(pylode.utils.RDF_FOLDER.glob("*.pickle")) == []


# -- RDF documents -------------------------------------------------------------------------------


@pytest.mark.parametrize(("media_type", "rdflib_format", "suffix"), RDF_TYPES)
@pytest.mark.parametrize("path", ["ontology", "ontology/1.0.0", "shapes"])
def test_rdf_documents_are_the_files(
    server: str, path: str, media_type: str, rdflib_format: str, suffix: str
) -> None:
    expected = files_graph(path.split("/")[0])
    negotiated = httpx.get(f"{server}/{path}", headers={"Accept": media_type})
    assert negotiated.status_code == 200
    assert negotiated.headers["content-type"].startswith(media_type)
    assert negotiated.headers["content-location"] == f"/{path}{suffix}"
    fixed = httpx.get(f"{server}/{path}{suffix}")
    assert fixed.content == negotiated.content
    graph = Graph().parse(data=negotiated.content, format=rdflib_format)
    assert isomorphic(graph, expected)


def test_an_unknown_version_is_404(server: str) -> None:
    assert httpx.get(f"{server}/ontology/0.9").status_code == 404
    assert httpx.get(f"{server}/ontologies").status_code == 404
    assert httpx.get(f"{server}/shapes/x").status_code == 404


# -- Headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("ontology", "text/html"),
        ("ontology", "text/turtle"),
        ("ontology/1.0.0", "application/ld+json"),
        ("shapes", "text/html"),
        ("shapes", "application/rdf+xml"),
    ],
)
def test_headers_as_on_id_documents(server: str, path: str, accept: str) -> None:
    response = httpx.get(f"{server}/{path}", headers={"Accept": accept})
    assert response.status_code == 200
    headers = response.headers
    assert headers["vary"] == "Accept, Accept-Language"
    assert headers["access-control-allow-origin"] == "*"
    assert "ETag" in headers["access-control-expose-headers"]
    assert headers["cache-control"].startswith("public, max-age=")
    links = headers["link"]
    assert f'</{path}.ttl>; rel="alternate"; type="text/turtle"' in links
    assert '<https://creativecommons.org/licenses/by/4.0/>; rel="license"' in links
    etag = headers["etag"]
    again = httpx.get(f"{server}/{path}", headers={"Accept": accept, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    head = httpx.head(f"{server}/{path}", headers={"Accept": accept})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


def test_etag_differs_per_language_and_format(server: str) -> None:
    tags = {
        httpx.get(f"{server}/ontology", params=params, headers=headers).headers["etag"]
        for params, headers in (
            ({"lang": "en"}, {}),
            ({"lang": "fr"}, {}),
            ({}, {"Accept": "text/turtle"}),
        )
    }
    assert len(tags) == 3


def test_nothing_acceptable_is_406(server: str) -> None:
    response = httpx.get(f"{server}/ontology", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text


# -- The shapes' page ----------------------------------------------------------------------------


def test_shapes_page_lists_every_shape(server: str) -> None:
    shapes = files_graph("shapes")
    iris = {str(s) for s in shapes.subjects() if str(s).startswith(SHAPES_NS)}
    response = httpx.get(f"{server}/shapes")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en">' in html
    found = ids(html)
    assert {i[len(SHAPES_NS) :] for i in iris} <= set(found)
    assert [i for i, n in Counter(found).items() if n > 1] == []
    section = html[html.index('id="SiteShape-containedInPlace"') :][:3000]
    for text in ("sh:Violation", "schema:containedInPlace", "Message"):
        assert text in section
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # An ontology term links to its section of the ontology's page.
    assert 'href="/ontology#Partnership"' in html


# -- In a browser: a hash IRI lands on its section -----------------------------------------------


def test_hash_iri_lands_on_its_section(server: str, browser_context) -> None:
    page = browser_context.new_page()
    try:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/ontology#Partnership")
        assert page.evaluate("document.getElementById('Partnership') !== null")
        assert page.evaluate("document.querySelector(':target')?.id") == "Partnership"
        top = page.evaluate("document.getElementById('Partnership').getBoundingClientRect().top")
        assert abs(top) < 5, f"the section is {top}px from the top of the window"
        assert errors == [], errors  # nothing the CSP refused
        page.goto(f"{server}/shapes#SiteShape-containedInPlace")
        assert page.evaluate("document.querySelector(':target')?.id") == (
            "SiteShape-containedInPlace"
        )
    finally:
        page.close()
