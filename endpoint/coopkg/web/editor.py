"""The browser query editor: YASGUI, vendored under `static/yasgui/`, served by this package with no
request to any other host.

Where the page is served: `GET /query` always, and `GET /sparql` without a query when
the Accept header prefers HTML (coopkg.web.sparql calls `editor_page`).

The page points YASGUI at the same server's `/sparql` by a path relative to the application's root
(so it works behind any host name or proxy prefix), opens the example queries of `queries/` as
tabs, and declares the project's prefixes in each new tab. Its script and data are files and a
JSON island, never inline code, so the page is served with a Content-Security-Policy that lets the
browser connect to this origin only.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .. import __version__
from ..vocab import PREFIXES
from .pages import templates
from .state import app_state
from .static import root_path, static_url

__all__ = ["EDITOR_PATHS", "default_query", "editor_page", "router"]


EDITOR_PATHS = ("/query",)
"""Where the editor page is served besides `/sparql` (which serves it to browsers)."""

# The page runs only this package's script and talks only to this origin. YASGUI and its table
# plugin set inline styles, hence 'unsafe-inline' for styles (never for scripts).
_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
_PAGE_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def default_query() -> str:
    """The text of every new tab: the prefixes, then a query that shows some of the graph."""
    declarations = "\n".join(f"PREFIX {prefix}: <{iri}>" for prefix, iri in PREFIXES.items())
    return (
        f"{declarations}\n\n"
        "SELECT ?subject ?predicate ?object WHERE {\n"
        "  ?subject ?predicate ?object .\n"
        "}\n"
        "LIMIT 10\n"
    )


def editor_page(request: Request) -> Response:
    """The query editor page (GET and HEAD)."""
    state = app_state(request)
    root = root_path(request)
    examples = [entry.to_dict() for entry in state.examples]
    config = {
        "endpoint": f"{root}/sparql",
        "prefixes": PREFIXES,
        "defaultQuery": default_query(),
        "examples": examples,
    }
    docs_url = getattr(request.app, "docs_url", None)
    html = (
        templates()
        .get_template("query.html")
        .render(
            version=__version__,
            endpoint_path=f"{root}/sparql",
            docs_url=f"{root}{docs_url}" if docs_url else None,
            config=config,
            examples=examples,
            problem=state.examples_problem,
            css_url=static_url(request, "yasgui/yasgui.min.css"),
            js_url=static_url(request, "yasgui/yasgui.min.js"),
            ui_css_url=static_url(request, "coopkg-ui.css"),
            ui_js_url=static_url(request, "coopkg-ui.js"),
            icon_url=static_url(request, "favicon.svg"),
        )
    )
    return HTMLResponse(html, headers=_PAGE_HEADERS)


for _path in EDITOR_PATHS:
    router.add_api_route(_path, editor_page, methods=["GET", "HEAD"], response_class=HTMLResponse)
