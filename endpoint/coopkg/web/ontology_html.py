"""The ontology's HTML documentation, made by pyLODE (its OntPub profile) from ontology/: one page
per language, each from a copy of the graph that keeps that language's literals and those with
none.

pyLODE is used as it is, with four adaptations, each for a reason seen on this ontology:

* Languages: fed every language, pyLODE prints all of a term's labels run together as its title.
  Hence the graph filtered per language (a copy: pyLODE adds its own triples to the graph it gets).
* Anchors: pyLODE names a term's section after its label, with non-ASCII letters dropped
  (`partenariat`, `rseau`, `langued'tiquetteditoriale`), so `ontology#Partnership` would land
  nowhere. OntPub keeps the fragment ids it has handed out in `fids` and reuses an IRI's id when
  it has one; the subclass below starts it with every `coop:` term's local name, so each section's
  id and every link pyLODE makes to the term is the local name, in every language.
* Background ontologies: OntPub's constructor writes two pickles into pyLODE's package folder the
  first time (two HTTP processes starting together race on them; a read-only install fails). The
  subclass reads the same files once (`load_background`) and keeps them in memory instead.
* `import pylode` calls `logging.basicConfig(level=DEBUG)` (in its supermodel loader): whoever
  imports this module restores the root logger (coopkg.web.vocabularies does).

The page carries one inline style sheet (pyLODE's, with a few lines for the navigation bar
coopkg adds) and no script: its icons are data: URLs and its JSON-LD block is data. The Content-
Security-Policy allows exactly that style sheet, by hash (`OntologyPage.csp`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import dominate
from dominate.tags import div
from pylode.profiles.ontpub import OntPub
from pylode.rdf_elements import PROPS
from pylode.utils import RDF_FOLDER, get_ns, make_title_from_iri
from pylode.version import __version__ as PYLODE_VERSION  # noqa: N812
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, DCTERMS, OWL, RDF, RDFS, SDO, SKOS

from .vocab_documents import NAV_SLOT

__all__ = [
    "PYLODE_VERSION",
    "Background",
    "OntologyPage",
    "language_graph",
    "load_background",
    "render_ontology_page",
    "term_ids",
]

# The navigation bar coopkg adds above pyLODE's content, in pyLODE's colours.
_NAV_CSS = """
.coopkg-nav { margin: 0 0 1.5em 0; padding: 0.5em 0; border-bottom: 1px solid #ccc;
  width: calc(100% - 150px); font-size: 0.95em; }
.coopkg-nav a { color: #005A9C; margin-right: 0.8em; }
.coopkg-nav [aria-current] { font-weight: bold; color: black; text-decoration: none; }
.coopkg-nav span { margin-right: 0.4em; color: #555; }
"""
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@dataclass(frozen=True)
class Background:
    """pyLODE's background ontologies (the labels of the properties it shows), read once."""

    graph: Graph
    titles: dict[str, str]
    props_labeled: dict[Any, dict[str, Any]]


@dataclass(frozen=True)
class OntologyPage:
    html: str  # with NAV_SLOT right after <body>
    style_hashes: tuple[str, ...]

    @property
    def csp(self) -> str:
        styles = " ".join(f"'sha256-{h}'" for h in self.style_hashes)
        return "; ".join(
            (
                "default-src 'none'",
                f"style-src {styles}",
                "img-src data:",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            )
        )


def load_background() -> Background:
    """What OntPub's constructor loads (pyLODE's rdf/ folder, titles and descriptions inferred as
    pyLODE does), without the pickles it writes."""
    graph = Graph(bind_namespaces="core")
    for path in sorted(RDF_FOLDER.glob("*.ttl")):
        graph.parse(path)
    for s, o in list(
        chain(
            graph.subject_objects(DC.title),
            graph.subject_objects(RDFS.label),
            graph.subject_objects(SKOS.prefLabel),
            graph.subject_objects(SDO.name),
        )
    ):
        graph.add((s, DCTERMS.title, o))
    for s, o in list(
        chain(
            graph.subject_objects(DC.description),
            graph.subject_objects(RDFS.comment),
            graph.subject_objects(SKOS.definition),
            graph.subject_objects(SDO.description),
        )
    ):
        graph.add((s, DCTERMS.description, o))
    titles = {
        str(s): str(o)
        for s in graph.subjects(RDF.type, OWL.Ontology)
        for o in graph.objects(s, DCTERMS.title)
    }
    titles = dict(sorted(titles.items(), key=lambda item: item[1]))
    return Background(graph, titles, {p: _prop_label(p, graph, titles) for p in PROPS})


def _prop_label(prop: URIRef, graph: Graph, titles: dict[str, str]) -> dict[str, Any]:
    title = graph.value(prop, DCTERMS.title) or make_title_from_iri(prop)
    ontology = None
    for iri, text in titles.items():
        if str(prop).startswith(iri):
            ontology = text
    return {
        "title": title,
        "description": graph.value(prop, DCTERMS.description),
        "ont_title": ontology,
    }


class _OntPub(OntPub):  # pyLODE is untyped: OntPub is Any to mypy
    """OntPub with the background ontologies handed in and the fragment ids chosen."""

    def __init__(self, ont: Graph, background: Background, fids: dict[str, str]) -> None:
        # What OntPub.__init__ does, less loading (and pickling) the background ontologies.
        self.ont = ont
        self._ontdoc_inference(self.ont)
        self.back_onts = background.graph
        self.back_onts_titles = background.titles
        self.props_labeled = background.props_labeled
        self.toc: dict[str, Any] = {}
        self.fids = dict(fids)
        self.ns = get_ns(self.ont)
        title = next(
            (
                str(o)
                for s in self.ont.subjects(RDF.type, OWL.Ontology)
                for o in self.ont.objects(s, DCTERMS.title)
            ),
            "Ontology",
        )
        self.doc = dominate.document(title=title)
        with self.doc:
            self.content = div(id="content")


def language_graph(graph: Graph, language: str) -> Graph:
    """A new graph with the statements of `graph` whose object is not a literal in another
    language, added in sorted order: pyLODE lists terms in the order the graph gives them."""
    out = Graph(bind_namespaces="core")
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=True)
    for s, p, o in sorted(graph):
        if isinstance(o, Literal) and o.language and o.language.split("-")[0] != language:
            continue
        out.add((s, p, o))
    return out


def term_ids(graph: Graph, namespace: str) -> dict[str, str]:
    """Every term of `namespace` the graph describes -> its local name (the section's id)."""
    return {
        str(s): str(s)[len(namespace) :]
        for s in set(graph.subjects())
        if isinstance(s, URIRef) and str(s).startswith(namespace) and len(str(s)) > len(namespace)
    }


def render_ontology_page(
    files: tuple[Path, ...], language: str, namespace: str, background: Background
) -> OntologyPage:
    """The documentation page in `language` of the ontology in `files`."""
    graph = Graph()
    for path in files:
        graph.parse(path)
    publisher = _OntPub(language_graph(graph, language), background, term_ids(graph, namespace))
    publisher.doc.set_attribute("lang", language)
    html: str = publisher.make_html()
    html = html.replace("</head>", f"<style>{_NAV_CSS}</style>\n</head>", 1)
    html = html.replace("<body>", f"<body>\n{NAV_SLOT}", 1)
    hashes = tuple(
        base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode()
        for m in _STYLE.finditer(html)
    )
    return OntologyPage(html, hashes)
