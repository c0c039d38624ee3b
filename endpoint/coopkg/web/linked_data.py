"""Dereferencing the graph's IRIs: `GET|HEAD /id/<kind>/<slug>` answers for
`<base-iri>id/<kind>/<slug>` (behind the w3id redirect and on localhost alike), and
`/id/<kind>/<slug>.<suffix>` is each format's fixed document (coopkg.web.documents).

The resource's URL answers 200 with the negotiated document and names it in `Content-Location`.
Every answer carries `Vary: Accept, Accept-Language`, `Link` (an alternate per format, the licence,
the dataset), an `ETag` (304 on a match), `Cache-Control` and CORS headers that expose `Link`,
`Content-Location` and `ETag`. An IRI the graph does not describe is 404, as a page for people and
as text for machines; a path that is not a plain IRI path (`..`, `%00`, control characters) is
404 before any query, and a target over the URL limit 414.
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..errors import SparqlError
from ..query.resource import ResourceDescription
from .documents import (
    HTML,
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
from .pages import PageContext, render_resource_page, templates
from .rdf import render_document
from .state import AppState, app_state
from .static import root_path
from .void import describe

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# A resource path: segments of unreserved characters, no dot segments, no empty segments.
_PATH = re.compile(
    r"^[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*(?:/[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*)*$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CACHE_LIMIT = 4096  # rendered documents kept per application


def _not_found(request: Request, fmt: DocumentFormat | None, iri: str) -> Response:
    headers = {**document_headers(), "Cache-Control": "no-store"}
    if fmt is HTML:
        html = (
            templates()
            .get_template("not_found.html")
            .render(iri=iri, root=root_path(request), lang="en", version=__version__)
        )
        headers["Content-Security-Policy"] = PAGE_CSP
        return Response(html, 404, headers, media_type="text/html; charset=utf-8")
    return plain_text(404, f"not found: the graph does not describe {iri}")


def _split(path: str) -> tuple[str, DocumentFormat | None]:
    """(resource path, the fixed document's format or None for the resource's own URL)."""
    head, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix:
        fmt = format_by_suffix("." + suffix)
        if fmt is not None:
            return head, fmt
    return path, None


@router.api_route("/id/{path:path}", methods=["GET", "HEAD"])
async def resource(path: str, request: Request) -> Response:
    state = app_state(request)
    settings = state.settings
    raw = request.scope.get("raw_path") or request.url.path.encode()
    if len(raw) + len(request.scope.get("query_string", b"")) + 1 > settings.max_url_bytes:
        return plain_text(414, "request target too long\n")
    accept = request.headers.get("accept")
    resource_path, fixed = _split(path)
    fmt = fixed or choose_document_format(accept, request.query_params.get("format"))
    iri = f"{settings.base_iri}id/{resource_path}"
    # The route's pattern stops before a trailing newline: the decoded path is checked too.
    if not _PATH.fullmatch(resource_path) or _CONTROL.search(request.scope["path"]):
        return _not_found(request, fmt or HTML, iri)
    if fmt is None:
        offered = offered_formats()
        return plain_text(406, f"no acceptable format for Accept: {accept}; offered: {offered}")
    language = choose_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    root = root_path(request)
    document_path = f"{root}/id/{resource_path}"
    headers = document_headers(document_path)
    headers["Content-Location"] = f"{document_path}{fmt.suffix}"
    headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # An HTML page names its canonical URL on the host it was asked by (a proxy's, a replica's):
    # the page, its ETag and its cache key depend on that host; the RDF documents do not.
    canonical = f"{request.url.scheme}://{request.url.netloc}{document_path}"
    page_of = (language, canonical) if fmt is HTML else ("", "")
    etag = state.tags.tag("ld", iri, fmt.name, *page_of, root)
    headers["ETag"] = etag.decode()
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    key = (iri, fmt.name, *page_of, root)
    body = state.documents.get(key)
    if body is None:
        try:
            description = await describe(state, iri)  # the dataset's with computed VoID/DCAT
        except ValueError:
            return _not_found(request, fmt, iri)
        except SparqlError as exc:
            return plain_text(exc.status, f"{exc.message}\n")
        if not description.exists:
            return _not_found(request, fmt, iri)
        context = PageContext(root, settings.base_iri, language, document_path)
        body = _render(description, fmt, context, canonical)
        _keep(state, key, body)
    if fmt is HTML:
        headers["Content-Language"] = language
        headers["Content-Security-Policy"] = PAGE_CSP
        headers["Referrer-Policy"] = "no-referrer"
    return Response(body, 200, headers, media_type=fmt.content_type)


def _render(
    description: ResourceDescription, fmt: DocumentFormat, context: PageContext, canonical: str
) -> bytes:
    if fmt is HTML:
        return render_resource_page(description, context, canonical).encode()
    return render_document(description, fmt, f"{description.iri}{fmt.suffix}")


def _keep(state: AppState, key: tuple[str, ...], body: bytes) -> None:
    """Keep a rendered document; the result cache's switch (`cache_entries`) covers these too."""
    limit = min(_CACHE_LIMIT, state.settings.cache_entries)
    if limit > 0:
        if len(state.documents) >= limit:
            state.documents.clear()
        state.documents[key] = body
