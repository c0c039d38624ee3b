"""A resource's description read from the store's indexes (coopkg.query.neighbourhood) is the
description query's (coopkg.query.resource), and its documents are the same bytes.

For every IRI of the shipped graph, of a synthetic registry beside it, and of a small graph made of
the awkward cases (statements only in named graphs, blank nodes, quoted triples, literals that
differ only by language or datatype, a resource that names a graph, hubs): the rows read from the
indexes equal the query's rows as a set, and every document and page made of either is the same.
Then the bounds, and over HTTP: a server that reads descriptions in process and one that always
asks a worker (`COOPKG_DESCRIBE_MAX_QUADS=0`) serve the same bytes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import ROOT, running_server
from coopkg.dataset import GraphSource, default_sources, load_store
from coopkg.query.neighbourhood import Neighbourhoods, description_rows
from coopkg.query.resource import _QUERY, DESCRIPTION_PROPERTIES, collect, solution_rows
from coopkg.web.documents import DOCUMENT_FORMATS, HTML
from coopkg.web.pages import PageContext, render_resource_page
from coopkg.web.rdf import render_document

BASE = "https://w3id.org/coops4dev/"
EX = "http://example.org/"
UNBOUNDED = 100_000


def _query_rows(store: ox.Store, iri: str) -> set[tuple[str, ...]]:
    properties = ", ".join(f"<{p}>" for p in DESCRIPTION_PROPERTIES)
    solutions = store.query(_QUERY.format(iri=iri, properties=properties))
    return {_key(row) for row in solution_rows(solutions)}  # type: ignore[arg-type]


def _key(row: tuple) -> tuple[str, ...]:
    return tuple("" if term is None else str(term) for term in row)


def _iris(store: ox.Store) -> list[str]:
    iris: set[str] = set()
    for quad in store:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
    return sorted(iris)


def _documents(iri: str, rows: list) -> list[bytes]:
    description = collect(iri, rows)
    documents = [
        render_document(description, fmt, iri + fmt.suffix)
        for fmt in DOCUMENT_FORMATS
        if fmt is not HTML
    ]
    context = PageContext("", BASE, "fr", "/id/x")
    documents.append(render_resource_page(description, context, "http://h/id/x").encode())
    return documents


def _same(store: ox.Store, iri: str) -> None:
    read = description_rows(store, iri, DESCRIPTION_PROPERTIES, UNBOUNDED)
    assert read is not None, iri
    assert {_key(row) for row in read} == _query_rows(store, iri), iri
    properties = ", ".join(f"<{p}>" for p in DESCRIPTION_PROPERTIES)
    queried = list(solution_rows(store.query(_QUERY.format(iri=iri, properties=properties))))  # type: ignore[arg-type]
    assert _documents(iri, read) == _documents(iri, list(reversed(queried))), iri


@pytest.fixture(scope="module")
def shipped() -> ox.Store:
    return load_store(default_sources())[0]


def test_every_resource_of_the_shipped_graph(shipped) -> None:
    iris = _iris(shipped)
    assert len(iris) > 400
    described = 0
    for iri in iris:
        _same(shipped, iri)
        described += iri.startswith(BASE + "id/")
    assert described > 150


def test_what_is_kept_between_descriptions_changes_no_answer(shipped) -> None:
    """What is read about linked resources is kept for the next descriptions, and counted against
    the bound as if read again: the same rows, and the same resources over the bound."""
    iris = _iris(shipped)
    for bound in (40, 400, 2000):
        neighbourhoods = Neighbourhoods(shipped, bound)
        over = 0
        for iri in [*iris, *reversed(iris)]:
            alone = description_rows(shipped, iri, DESCRIPTION_PROPERTIES, bound)
            kept = neighbourhoods.rows(iri, DESCRIPTION_PROPERTIES)
            assert (kept is None) == (alone is None), (bound, iri)
            assert kept is None or [_key(r) for r in kept] == [_key(r) for r in alone or []]
            over += alone is None
        assert 0 < over < 2 * len(iris)


def test_a_synthetic_registry_beside_the_shipped_graph(tmp_path: Path) -> None:
    graph = tmp_path / "synthetic.nt"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "-n", "20000", "-o", str(graph)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    store = load_store([*default_sources(), GraphSource(graph)])[0]
    iris = [iri for iri in _iris(store) if "/synthetic/" in iri]
    assert len(iris) > 1000
    for iri in iris[::7]:
        _same(store, iri)


AWKWARD = f"""
@prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:r a ex:Thing, _:kind ; ex:to ex:o, _:b, "plain", "plain"@en, "plain"@fr,
    "1"^^<http://www.w3.org/2001/XMLSchema#integer>, "1" ; ex:self ex:r .
_:kind rdfs:label "a blank kind"@en .
_:b a ex:Blank ; rdfs:label "blank"@en ; ex:back ex:r .
_:c ex:to ex:r .
_:c a ex:Anonymous .
ex:o a ex:Thing ; skos:prefLabel "o"@en, "o"@fr ; skos:notation "1" ; rdfs:label "o" .
ex:to rdfs:label "to"@en .
ex:Thing rdfs:label "thing"@en ; a ex:Class .
<< ex:r ex:to ex:o >> ex:says ex:someone .
ex:someone ex:about << ex:r ex:to ex:o >> .
ex:g1 rdfs:label "a source"@en .
ex:g3 rdfs:label "a third source"@en .
"""
GRAPHS = f"""
<{EX}g1> {{ <{EX}r> <{EX}to> <{EX}o> . <{EX}r> <{EX}only> <{EX}named> . }}
<{EX}g2> {{ <{EX}r> <{EX}to> <{EX}o> . <{EX}x> <{EX}to> <{EX}r> . <{EX}r> <{EX}in> <{EX}g1> . }}
<{EX}g3> {{ <{EX}r> <{EX}says> <<( <{EX}a> <{EX}b> <{EX}c> )>> . }}
"""


def _awkward() -> ox.Store:
    store = ox.Store()
    store.load(AWKWARD.encode(), format=ox.RdfFormat.TURTLE)
    store.load(GRAPHS.encode(), format=ox.RdfFormat.TRIG)
    # A hub the resource links to: more statements than one index scan reads (64).
    hub = ox.NamedNode(EX + "hub")
    store.add(ox.Quad(ox.NamedNode(EX + "r"), ox.NamedNode(EX + "to"), hub))
    store.add(ox.Quad(hub, ox.NamedNode(EX + "label-free"), ox.Literal("x")))
    for n in range(200):
        store.add(ox.Quad(hub, ox.NamedNode(EX + "has"), ox.NamedNode(f"{EX}item/{n}")))
    store.add(
        ox.Quad(hub, ox.NamedNode(DESCRIPTION_PROPERTIES[0]), ox.Literal("hub", language="en"))
    )
    return store


def test_awkward_cases() -> None:
    store = _awkward()
    for iri in _iris(store):
        if not iri.startswith(EX + "item/"):
            _same(store, iri)
    rows = description_rows(store, EX + "r", DESCRIPTION_PROPERTIES, UNBOUNDED)
    assert rows is not None
    keys = {_key(row) for row in rows}
    assert ("out", f"<{EX}r>", f"<{EX}to>", f"<{EX}o>", f"<{EX}g1>") in keys  # each source
    assert ("out", f"<{EX}r>", f"<{EX}to>", f"<{EX}o>", f"<{EX}g2>") in keys
    assert not any(f"<{EX}named>" in key for key in keys)  # only in a named graph
    # A graph that holds only a quoted triple about r names a source all the same.
    assert ("link", f"<{EX}g3>", "<http://www.w3.org/2000/01/rdf-schema#label>",
            '"a third source"@en', "") in keys  # fmt: skip
    assert ("link", f"<{EX}hub>", f"<{DESCRIPTION_PROPERTIES[0]}>", '"hub"@en', "") in keys
    assert ("link", f"<{EX}g1>", "<http://www.w3.org/2000/01/rdf-schema#label>",
            '"a source"@en', "") in keys  # fmt: skip


def test_bounds_send_big_resources_to_the_query() -> None:
    store = _awkward()
    hub = EX + "hub"
    # 203 quads around the hub (and the labels of its 200 items and 2 predicates to read: none).
    assert description_rows(store, hub, DESCRIPTION_PROPERTIES, 202) is None
    assert description_rows(store, hub, DESCRIPTION_PROPERTIES, 260) is not None
    for n in range(300):  # 300 resources pointing to one item
        store.add(ox.Quad(ox.NamedNode(f"{EX}p/{n}"), ox.NamedNode(EX + "to"),
                          ox.NamedNode(EX + "item/0")))  # fmt: skip
    assert description_rows(store, EX + "item/0", DESCRIPTION_PROPERTIES, 300) is None
    # What it links to is counted too: r's neighbours hold more than its own 20 quads.
    assert description_rows(store, EX + "r", DESCRIPTION_PROPERTIES, 400) is not None
    assert description_rows(store, EX + "r", DESCRIPTION_PROPERTIES, 30) is None
    # A resource found over the bound is not read again.
    neighbourhoods = Neighbourhoods(store, 300)
    assert neighbourhoods.rows(EX + "item/0", DESCRIPTION_PROPERTIES) is None
    for n in range(300):  # a server's store never changes; here, to see it is not read again
        store.remove(ox.Quad(ox.NamedNode(f"{EX}p/{n}"), ox.NamedNode(EX + "to"),
                             ox.NamedNode(EX + "item/0")))  # fmt: skip
    assert description_rows(store, EX + "item/0", DESCRIPTION_PROPERTIES, 300) is not None
    assert neighbourhoods.rows(EX + "item/0", DESCRIPTION_PROPERTIES) is None  # remembered


def test_in_process_and_worker_descriptions_serve_the_same_bytes() -> None:
    paths = ["/id/organisation/ica", "/id/principle/1", "/id/sector/agriculture",
             "/id/source/project-editorial", "/id/organisation/ica.trig"]  # fmt: skip
    accepts = ["text/turtle", "text/html", "application/n-quads", "application/ld+json"]
    worker = {"COOPKG_DESCRIBE_MAX_QUADS": "0", "COOPKG_LOOKUP_IN_CONNECTION": "0"}
    with running_server() as fast, running_server(env=worker) as slow:
        for path in paths:
            for accept in accepts:
                headers = {"Accept": accept}
                a = httpx.get(fast + path, headers=headers)
                b = httpx.get(slow + path, headers=headers)
                assert a.status_code == b.status_code == 200, (path, accept)
                if accept != "text/html":  # a page's tag depends on its host (its canonical URL)
                    assert a.headers["etag"] == b.headers["etag"]
                assert a.content.replace(fast.encode(), b"") == b.content.replace(
                    slow.encode(), b""
                ), (path, accept)
