"""What machines look for first:

- `GET /.well-known/void` (RFC 8615; VoID's well-known location): the dataset's description,
  answered exactly as its linked-data URL `/id/dataset/coops4dev` answers (coopkg.web.linked_data:
  content-negotiated, Turtle and the other RDF formats for RDF clients, HTML for browsers; the
  statements of data/dataset.trig with the ones coopkg.web.void computes);
- `GET /sitemap.xml`: every `/id/` page (each IRI under `<base>id/` the graph mentions, as the
  linked-data route answers for it), with its language alternates (`xhtml:link hreflang`), and
  the home page;
- `GET /robots.txt`: crawl the pages, not the query services; where the sitemap is.
"""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ..vocab import DATASET_IRI
from .documents import LANGUAGES
from .linked_data import resource
from .site import origin, site_page, text_response
from .state import app_state

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.api_route("/.well-known/void", methods=["GET", "HEAD"])
async def well_known_void(request: Request) -> Response:
    base = app_state(request).settings.base_iri + "id/"
    if not DATASET_IRI.startswith(base):
        return text_response(f"the dataset {DATASET_IRI} is not published under {base}", 404)
    return await resource(DATASET_IRI[len(base) :], request)


def _sitemap(iris: list[str], id_base: str, site: str) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">',
        f"  <url><loc>{escape(site)}/</loc></url>",
    ]
    for iri in iris:
        page = f"{site}/id/{quote(iri[len(id_base) :], safe='/')}"
        lines.append(f"  <url><loc>{escape(page)}</loc>")
        for code in LANGUAGES:
            href = escape(f"{page}?lang={code}", {'"': "&quot;"})
            lines.append(f'    <xhtml:link rel="alternate" hreflang="{code}" href="{href}"/>')
        default = escape(page, {'"': "&quot;"})
        lines.append(f'    <xhtml:link rel="alternate" hreflang="x-default" href="{default}"/>')
        lines.append("  </url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode()


@router.api_route("/sitemap.xml", methods=["GET", "HEAD"])
async def sitemap(request: Request) -> Response:
    state = app_state(request)
    statistics = state.statistics
    id_base = state.settings.base_iri + "id/"
    iris = sorted(statistics.resources) if statistics else []

    async def render() -> bytes:
        return _sitemap(iris, id_base, origin(request))

    return await site_page(request, ("sitemap",), render, media_type="application/xml")


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    body = (
        "User-agent: *\n"
        "Disallow: /sparql\n"
        "Disallow: /query\n"
        "Disallow: /search\n"
        "Allow: /\n"
        f"Sitemap: {origin(request)}/sitemap.xml\n"
    )
    return Response(body, 200, {"Cache-Control": "public, max-age=3600"}, media_type="text/plain")
