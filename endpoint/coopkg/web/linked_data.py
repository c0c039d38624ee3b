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
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..errors import SparqlError
from ..query.resource import ResourceDescription, describe_resource_now
from ..vocab import DATASET_IRI
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
from .http import MAX_AGE, Reply, etag_matches
from .pages import PageContext, render_resource_page, templates
from .rdf import render_document
from .state import AppState, app_state
from .static import root_path
from .void import describe

__all__ = ["document_now", "router"]

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# A resource path: segments of unreserved characters, no dot segments, no empty segments.
_PATH = re.compile(
    r"^[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*(?:/[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*)*$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CACHE_LIMIT = 4096  # rendered documents kept per application
# A Host the connection may copy into a page's canonical URL as Starlette would (anything else:
# the route, through Starlette).
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?", re.ASCII)
# What a 304 leaves out: metadata of the representation that says nothing to a cache (RFC 9110,
# 15.4.5).
_NOT_IN_304 = frozenset({b"content-language", b"content-security-policy", b"referrer-policy"})


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
    origin = f"{request.url.scheme}://{request.url.netloc}"
    document = _Document.of(state, resource_path, fmt, language, root_path(request), origin)
    if etag_matches(request.headers.get("if-none-match"), document.etag):
        return _response(document.not_modified())
    body = state.documents.get(document.key)
    if body is None:
        try:
            description = await describe(state, iri)  # the dataset's with computed VoID/DCAT
        except ValueError:
            return _not_found(request, fmt, iri)
        except SparqlError as exc:
            return plain_text(exc.status, f"{exc.message}\n")
        if not description.exists:
            return _not_found(request, fmt, iri)
        body = document.rendered(state, description)
    return _response(document.ok(body))


def document_now(
    state: AppState, raw_path: bytes, fields: dict[bytes, str], scheme: str
) -> tuple[Reply, bool] | None:
    """The route's answer to a GET or HEAD of a resource's URL or document, when it needs no await:
    a 304, a rendered document kept, or one rendered from the store in this process
    (coopkg.query.neighbourhood), and whether it is worth keeping as a prepared answer (not a
    document just rendered: it is kept as a document, and its first repeat is kept as an answer).
    None for anything else (a query string, an encoded or odd path, no Host, a resource too big to
    read here, a 404, a 406...): the route answers it. `fields`: the request's header fields, each
    once. Called by the connection (coopkg.web.immediate)."""
    host = fields.get(b"host")
    if host is None or not _HOST.fullmatch(host):
        return None
    try:
        path = raw_path.removeprefix(b"/id/").decode("ascii")
    except UnicodeDecodeError:
        return None
    resource_path, fixed = _split(path)
    if not _PATH.fullmatch(resource_path):
        return None
    fmt = fixed or choose_document_format(fields.get(b"accept"), None)
    if fmt is None:
        return None
    language = choose_language(None, fields.get(b"accept-language"))
    document = _Document.of(state, resource_path, fmt, language, "", f"{scheme}://{host}")
    if etag_matches(fields.get(b"if-none-match"), document.etag):
        return document.not_modified(), True
    body = state.documents.get(document.key)
    if body is not None:
        return document.ok(body), True
    if document.iri == DATASET_IRI:
        return None  # its computed statements are made by an await (coopkg.web.void)
    try:
        description = describe_resource_now(state.runner, document.iri)
    except ValueError:
        return None
    if description is None or not description.exists:
        return None
    return document.ok(document.rendered(state, description)), False


@dataclass(frozen=True)
class _Document:
    """One document of one resource, as one request asks for it: what it is kept and tagged as,
    and the header fields of its answers."""

    iri: str
    fmt: DocumentFormat
    key: tuple[str, ...]
    etag: bytes
    fields: list[tuple[bytes, bytes]]  # of a 200 and a 304 (but Content-Length and -Type)
    context: PageContext
    canonical: str

    @classmethod
    def of(
        cls,
        state: AppState,
        resource_path: str,
        fmt: DocumentFormat,
        language: str,
        root: str,
        origin: str,
    ) -> _Document:
        settings = state.settings
        iri = f"{settings.base_iri}id/{resource_path}"
        document_path = f"{root}/id/{resource_path}"
        headers = document_headers(document_path)
        headers["Content-Location"] = f"{document_path}{fmt.suffix}"
        headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        # An HTML page names its canonical URL on the host it was asked by (a proxy's, a
        # replica's): the page, its ETag and its cache key depend on that host; the RDF documents
        # do not.
        canonical = f"{origin}{document_path}"
        page_of = (language, canonical) if fmt is HTML else ("", "")
        etag = state.tags.tag("ld", iri, fmt.name, *page_of, root)
        headers["ETag"] = etag.decode()
        if fmt is HTML:
            headers["Content-Language"] = language
            headers["Content-Security-Policy"] = PAGE_CSP
            headers["Referrer-Policy"] = "no-referrer"
        fields = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        context = PageContext(root, settings.base_iri, language, document_path)
        return cls(iri, fmt, (iri, fmt.name, *page_of, root), etag, fields, context, canonical)

    def not_modified(self) -> Reply:
        return Reply(304, [f for f in self.fields if f[0] not in _NOT_IN_304])

    def ok(self, body: bytes) -> Reply:
        length = (b"content-length", str(len(body)).encode())
        return Reply(200, [*self.fields, length, (b"content-type", self._content_type)], body)

    @property
    def _content_type(self) -> bytes:
        return self.fmt.content_type.encode()

    def rendered(self, state: AppState, description: ResourceDescription) -> bytes:
        """The document of `description`, kept; the result cache's switch (`cache_entries`)
        covers these too."""
        if self.fmt is HTML:
            body = render_resource_page(description, self.context, self.canonical).encode()
        else:
            body = render_document(description, self.fmt, f"{description.iri}{self.fmt.suffix}")
        limit = min(_CACHE_LIMIT, state.settings.cache_entries)
        if limit > 0:
            if len(state.documents) >= limit:
                state.documents.clear()
            state.documents[self.key] = body
        return body


def _response(reply: Reply) -> Response:
    """The reply as the route returns it: its header fields as they are (the immediate answers of
    coopkg.web.immediate are byte for byte these)."""
    response = Response(status_code=reply.status)
    response.body = reply.body
    response.raw_headers = reply.headers
    return response
