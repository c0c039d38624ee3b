"""Search over every label and alternative label of the graph, in English, French and Spanish,
case- and accent-insensitive, ranked exact, then prefix, then substring (coopkg.query.index: one
lookup in memory per search, no query).

- `GET /search?q=`: the results as a page (a form without `q`);
- `GET /search.json?q=[&limit=]`: a JSON list of `{iri, label, lang, href}` for autocompletion;
- `GET /opensearch.xml`: the OpenSearch description browsers find through `base.html`.

`q` is bounded (400 past `MAX_QUERY` characters, 414 past the server's URL limit); an empty `q`
gives no results, not an error.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..query.index import SearchHit
from .documents import LANGUAGES
from .pages import PageContext, local_href, templates
from .site import label_of, origin, page_headers, page_language, text_response
from .site_text import UI
from .state import app_state
from .static import root_path

__all__ = ["MAX_QUERY", "router"]

router = APIRouter(include_in_schema=False)
MAX_QUERY = 200  # characters of `q`
PAGE_RESULTS = 50
JSON_RESULTS = 10


def _refusal(request: Request, q: str) -> Response | None:
    state = app_state(request)
    raw = request.scope.get("raw_path") or request.url.path.encode()
    if len(raw) + len(request.scope.get("query_string", b"")) + 1 > state.settings.max_url_bytes:
        return text_response("request target too long", 414)
    if len(q) > MAX_QUERY:
        return text_response(f"q is longer than {MAX_QUERY} characters", 400)
    if "\x00" in q:
        return text_response("q holds a NUL character", 400)
    return None


def _hit(hit: SearchHit, context: PageContext) -> dict[str, str | None]:
    return {
        "iri": hit.iri,
        "label": hit.label.text,
        "lang": hit.label.language or None,
        "href": local_href(hit.iri, context),
    }


@router.get("/search.json")
def search_json(request: Request) -> Response:
    q = request.query_params.get("q", "")
    refused = _refusal(request, q)
    if refused is not None:
        return refused
    state = app_state(request)
    language = page_language(request)
    try:
        limit = min(max(int(request.query_params.get("limit", JSON_RESULTS)), 1), PAGE_RESULTS)
    except ValueError:
        return text_response("limit must be a whole number", 400)
    context = PageContext(root_path(request), state.settings.base_iri, language, "")
    hits = [_hit(h, context) for h in state.index.search(q, language, limit)]
    headers = page_headers(None)
    headers["Vary"] = "Accept-Language"
    body = json.dumps(hits, ensure_ascii=False).encode()
    return Response(body, 200, headers, media_type="application/json")


@router.api_route("/search", methods=["GET", "HEAD"])
def search_page(request: Request) -> Response:
    q = request.query_params.get("q", "")
    refused = _refusal(request, q)
    if refused is not None:
        return refused
    state = app_state(request)
    language = page_language(request)
    root = root_path(request)
    context = PageContext(root, state.settings.base_iri, language, "")
    ui = UI[language]
    rank_names = (ui["exact"], ui["prefix"], ui["substring"])
    results = [
        (hit, local_href(hit.iri, context), rank_names[hit.rank],
         [label_of(state, t, language) for t in state.index.types.get(hit.iri, [])])
        for hit in state.index.search(q, language, PAGE_RESULTS)
    ]  # fmt: skip
    html = (
        templates()
        .get_template("search.html")
        .render(
            ui=ui,
            lang=language,
            root=root,
            version=__version__,
            q=q,
            results=results,
            languages=LANGUAGES,
        )  # fmt: skip
    )
    return Response(html, 200, page_headers(language), media_type="text/html; charset=utf-8")


@router.get("/opensearch.xml")
def opensearch(request: Request) -> Response:
    base = escape(origin(request), {'"': "&quot;"})
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
  <ShortName>coops4dev</ShortName>
  <Description>Search the coops4dev knowledge graph of the cooperative movement</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <Language>en</Language>
  <Language>fr</Language>
  <Language>es</Language>
  <Image height="16" width="16" type="image/svg+xml">{base}/static/favicon.svg</Image>
  <Url type="text/html" method="get" template="{base}/search?q={{searchTerms}}"/>
  <Url type="application/json" method="get" template="{base}/search.json?q={{searchTerms}}"/>
  <Url type="application/opensearchdescription+xml" rel="self" template="{base}/opensearch.xml"/>
</OpenSearchDescription>
"""
    headers = page_headers(None)
    return Response(body, 200, headers, media_type="application/opensearchdescription+xml")
