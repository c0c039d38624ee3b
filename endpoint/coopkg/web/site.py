"""What the site's own pages share (home, browse, A–Z, search, sitemap): the start-up work they
read (the resource index and the dataset's figures, made in the lifespan), the reader's language,
the page cache, ETags and headers (a strict Content-Security-Policy, as the resource pages have),
and the labels of classes and resources in the reader's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from ..errors import SparqlError
from ..query.index import build_index
from ..query.statistics import compute_statistics
from .documents import PAGE_CSP, choose_language, plain_text
from .http import MAX_AGE, etag_matches
from .labels import STANDARD_LABELS, Label, pick_label, readable_iri
from .state import AppState, app_state
from .static import root_path

__all__ = [
    "label_of",
    "origin",
    "page_headers",
    "page_language",
    "prepare",
    "site_page",
    "text_response",
]

log = logging.getLogger(__name__)
_CACHE_LIMIT = 1024  # pages kept per application


async def prepare(state: AppState) -> None:
    """The lifespan's work for the site: two queries through the runner, once. An engine that
    cannot answer them leaves the pages empty and the SPARQL service up."""
    try:
        state.index = await build_index(state.runner)
        state.statistics = await compute_statistics(state.runner, state.settings.base_iri + "id/")
    except (SparqlError, RuntimeError) as exc:
        log.warning("site pages without an index: %s", exc)


def page_language(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def origin(request: Request) -> str:
    """The scheme, host and path prefix the request reached the application by."""
    return f"{request.url.scheme}://{request.url.netloc}{root_path(request)}"


def page_headers(language: str | None) -> dict[str, str]:
    headers = {
        "Vary": "Accept-Language",
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": f"public, max-age={MAX_AGE}",
    }
    if language:
        headers["Content-Language"] = language
        headers["Content-Security-Policy"] = PAGE_CSP
        headers["Referrer-Policy"] = "no-referrer"
    return headers


def text_response(message: str, status: int) -> Response:
    return plain_text(status, message)


async def site_page(
    request: Request,
    key: tuple[str, ...],
    render: Callable[[], Awaitable[str | bytes]],
    media_type: str = "text/html; charset=utf-8",
    language: str | None = None,
) -> Response:
    """A page rendered once per application for `key` (and the root path and `language`), with
    an ETag (304 on a match). `language` None: not a page for people (no CSP, no language)."""
    state = app_state(request)
    root = root_path(request)
    full_key = (*key, language or "", root, request.url.netloc)
    headers = page_headers(language)
    etag = state.tags.tag("site", *full_key)
    headers["ETag"] = etag.decode()
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    body = state.pages.get(full_key)
    if body is None:
        rendered = await render()
        body = rendered.encode() if isinstance(rendered, str) else rendered
        if len(state.pages) >= _CACHE_LIMIT:
            state.pages.clear()
        state.pages[full_key] = body
    return Response(body, 200, headers, media_type=media_type)


def label_of(state: AppState, iri: str, language: str) -> Label:
    """The label of `iri` in `language` from the index (names first), else the standard
    vocabularies' label, else the end of the IRI."""
    labels = state.index.labels.get(iri, [])
    literals = [ox.Literal(lab.text, language=lab.language or None)
                for lab in labels if lab.preferred]  # fmt: skip
    picked = pick_label(literals, language)
    if picked is not None:
        return picked
    standard = STANDARD_LABELS.get(iri)
    if standard is not None:
        return Label(standard.get(language) or standard["en"], language, False, False)
    return Label(readable_iri(iri), None, False, False)
