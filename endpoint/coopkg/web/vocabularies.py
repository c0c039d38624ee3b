"""`/ontology` and `/shapes`: the documents of the ontology (`<base-iri>ontology`, its version IRI
`<base-iri>ontology/<version>`, and so every term `<base-iri>ontology#Term`) and of the SHACL
shapes (every `<base-iri>shapes#Shape`), negotiated as the graph's resources are
(coopkg.web.linked_data): HTML for people, every RDF format of coopkg.web.documents for machines,
`/ontology.ttl` (etc.) the fixed documents named in `Content-Location`, with the same `Vary`,
`Link`, `ETag` (304), `Cache-Control` and CORS headers.

The ontology's page is pyLODE's (coopkg.web.ontology_html), one per language (`?lang=`, else
Accept-Language), made in a worker thread on the first request that wants it and kept; the shapes'
page is coopkg.web.shapes_html. The RDF documents are read at start-up (coopkg.web.vocab_documents).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ..vocab import ONTOLOGY_NS
from .documents import (
    DOCUMENT_FORMATS,
    HTML,
    LANGUAGES,
    PAGE_CSP,
    DocumentFormat,
    choose_document_format,
    choose_language,
    document_headers,
    format_by_suffix,
    offered_formats,
    plain_text,
)
from .http import MAX_AGE, etag_matches
from .pages import templates
from .state import AppState, app_state
from .static import root_path
from .vocab_documents import NAV_SLOT, Vocabularies, Vocabulary

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

_LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
_NAV_UI = {
    "en": {"shapes": "Shapes", "languages": "Language", "formats": "Formats"},
    "fr": {"shapes": "Formes", "languages": "Langue", "formats": "Formats"},
    "es": {"shapes": "Formas", "languages": "Idioma", "formats": "Formatos"},
}


def _split(rest: str) -> tuple[str, DocumentFormat | None] | None:
    """`rest` after `/ontology` or `/shapes` -> (the version path or '', the fixed document's
    format or None); None: no such document."""
    head, dot, suffix = rest.rpartition(".")
    fixed = format_by_suffix("." + suffix) if dot and "/" not in suffix else None
    if fixed is not None:
        rest = head
    return (rest, fixed) if rest == "" or rest.startswith("/") else None


@contextmanager
def _root_logger_kept() -> Iterator[None]:
    """`import pylode` configures the root logger (DEBUG, a stderr handler): undo it."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def _page(
    vocabularies: Vocabularies, v: Vocabulary, language: str, root: str, path: str
) -> tuple[bytes, str]:
    """(page, Content-Security-Policy). Runs in a worker thread, one at a time."""
    if v.name == "shapes":
        from .shapes_html import render_shapes_page

        return render_shapes_page(v.files, root).encode(), PAGE_CSP
    page = vocabularies.pages.get(language)
    if page is None:
        with _root_logger_kept():
            from . import ontology_html
        if vocabularies.background is None:
            vocabularies.background = ontology_html.load_background()
        page = ontology_html.render_ontology_page(
            v.files, language, ONTOLOGY_NS, vocabularies.background
        )
        vocabularies.pages[language] = page
        log.info("ontology page (%s) made with pyLODE %s", language, ontology_html.PYLODE_VERSION)
    nav = (
        templates()
        .get_template("ontology_nav.html")
        .render(
            root=root,
            path=path,
            lang=language,
            ui=_NAV_UI[language],
            languages=[(code, _LANGUAGE_NAMES[code]) for code in LANGUAGES],
            formats=[(f.label, f"{path}{f.suffix}", f.media_type) for f in DOCUMENT_FORMATS[1:]],
        )
    )
    return page.html.replace(NAV_SLOT, nav, 1).encode(), page.csp


async def _html(
    state: AppState, v: Vocabulary, language: str, root: str, path: str
) -> tuple[bytes, str]:
    vocabularies = state.vocabularies
    assert vocabularies is not None
    key = (language, root, path)
    cached = v.html.get(key)
    if cached is None:
        async with vocabularies.lock:
            cached = v.html.get(key)
            if cached is None:
                cached = await asyncio.to_thread(_page, vocabularies, v, language, root, path)
                v.html[key] = cached
    return cached


async def _answer(
    request: Request, v: Vocabulary, path: str, fixed: DocumentFormat | None
) -> Response:
    state = app_state(request)
    accept = request.headers.get("accept")
    fmt = fixed or choose_document_format(accept, request.query_params.get("format"))
    if fmt is None:
        offered = offered_formats()
        return plain_text(406, f"no acceptable format for Accept: {accept}; offered: {offered}")
    language = "en"
    if v.name == "ontology":
        language = choose_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
    root = root_path(request)
    document_path = f"{root}/{path}"
    headers = document_headers(document_path, in_dataset=False)
    headers["Content-Location"] = f"{document_path}{fmt.suffix}"
    headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    etag = state.tags.tag("vocabulary", v.digest, path, fmt.name, language, root)
    headers["ETag"] = etag.decode()
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if fmt is not HTML:
        return Response(v.rdf[fmt.name], 200, headers, media_type=fmt.content_type)
    body, csp = await _html(state, v, language, root, document_path)
    headers["Content-Language"] = language
    headers["Content-Security-Policy"] = csp
    headers["Referrer-Policy"] = "no-referrer"
    return Response(body, 200, headers, media_type=fmt.content_type)


@router.api_route("/ontology{rest:path}", methods=["GET", "HEAD"])
async def ontology(rest: str, request: Request) -> Response:
    vocabularies = app_state(request).vocabularies
    split = _split(rest)
    if vocabularies is None or split is None:
        return plain_text(404, "not found")
    version, fixed = split
    v = vocabularies.ontology
    if version and version != f"/{v.version}":
        return plain_text(404, f"not found: the ontology has no version {version[1:]!r}")
    return await _answer(request, v, f"ontology{version}", fixed)


@router.api_route("/shapes{rest:path}", methods=["GET", "HEAD"])
async def shapes(rest: str, request: Request) -> Response:
    vocabularies = app_state(request).vocabularies
    split = _split(rest)
    if vocabularies is None or split is None or split[0]:
        return plain_text(404, "not found")
    return await _answer(request, vocabularies.shapes, "shapes", split[1])


@router.api_route("/graph/shapes", methods=["GET", "HEAD"])
async def shapes_graph(request: Request) -> Response:
    """The named graph that holds the shapes in the store is the shapes' document: 303 to it
    (Cool URIs: the graph's name is not itself a document)."""
    headers = {**document_headers(), "Location": f"{root_path(request)}/shapes"}
    return Response(status_code=303, headers=headers)
