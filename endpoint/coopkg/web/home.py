"""The home page, `GET /`: what the dataset is (its title, description and licence as the graph
states them, its sources and figures computed from the served graph), and the ways in: the query
editor (/query), the ontology (/ontology), the dumps, the example queries of the catalogue (each
opening the editor), browsing by type, the A–Z index and search. Server-rendered, in the reader's
language (?lang=, else Accept-Language), with schema.org `Dataset` JSON-LD for search engines,
escaped as the resource pages escape theirs. Rendered once per language and root.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..query.dump import DUMP_FORMATS
from ..query.resource import describe_resource
from ..vocab import DATASET_IRI, DCAT, DCTERMS, LICENSE_IRI, SOURCE_BASE
from .documents import LANGUAGES
from .labels import pick_label
from .pages import PageContext, local_href, templates
from .site import label_of, origin, page_language, site_page
from .site_text import UI
from .state import AppState, app_state
from .static import root_path

__all__ = ["DUMP_STEM", "router"]

router = APIRouter(include_in_schema=False)
DUMP_STEM = DATASET_IRI.rstrip("/").rsplit("/", 1)[-1]  # coops4dev


def _literals(description: object, predicate: str) -> list[ox.Literal]:
    outgoing = getattr(description, "outgoing", [])
    return [s.object for s in outgoing
            if s.predicate.value == predicate and isinstance(s.object, ox.Literal)]  # fmt: skip


def _json_ld(title: str, text: str, keywords: list[str], base: str, dumps: list) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": DATASET_IRI,
        "name": title,
        "description": text,
        "url": f"{base}/",
        "identifier": DATASET_IRI,
        "license": LICENSE_IRI,
        "isAccessibleForFree": True,
        "inLanguage": list(LANGUAGES),
        "keywords": keywords,
        "creator": {"@type": "Organization", "name": "coops4dev knowledge graph project"},
        "distribution": [
            {"@type": "DataDownload", "contentUrl": f"{base}{href}", "encodingFormat": media}
            for _, href, media in dumps
        ],
    }
    text_json = json.dumps(data, ensure_ascii=False, indent=1)
    return text_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def _render(request: Request, state: AppState, language: str) -> str:
    root = root_path(request)
    context = PageContext(root, state.settings.base_iri, language, f"{root}/")
    description = await describe_resource(state.runner, DATASET_IRI)
    title = pick_label(_literals(description, DCTERMS + "title"), language)
    text = pick_label(_literals(description, DCTERMS + "description"), language)
    keywords = [k.value for k in _literals(description, DCAT + "keyword")]
    statistics = state.statistics
    graphs = statistics.graphs if statistics else {}
    sources = sorted(
        (
            (label_of(state, g, language), local_href(g, context), n)
            for g, n in graphs.items()
            if g.startswith(SOURCE_BASE)
        ),
        key=lambda item: item[0].text.casefold(),
    )
    dumps = [(f.label, f"/dumps/{DUMP_STEM}{f.suffix}", f.media_type) for f in DUMP_FORMATS]
    examples = [
        (e.title, e.description, f"{root}/query?query={quote(e.query, safe='')}")
        for e in state.examples
    ]
    languages = [(code, f"{root}/?lang={code}") for code in LANGUAGES]
    title_text = title.text if title else "coops4dev knowledge graph"
    return (
        templates()
        .get_template("home.html")
        .render(
            ui=UI[language],
            lang=language,
            root=root,
            version=__version__,
            title=title,
            title_text=title_text,
            text=text,
            statistics=statistics,
            sources=sources,
            dumps=dumps,
            examples=examples,
            examples_problem=state.examples_problem,
            languages=languages,
            licence=LICENSE_IRI,
            dataset_href=local_href(DATASET_IRI, context),
            canonical=f"{origin(request)}/",
            jsonld=_json_ld(
                title_text, text.text if text else "", keywords, origin(request), dumps
            ),  # fmt: skip
        )
    )


@router.api_route("/", methods=["GET", "HEAD"])
async def home(request: Request) -> Response:
    state = app_state(request)
    language = page_language(request)
    return await site_page(
        request, ("home",), lambda: _render(request, state, language), language=language
    )
