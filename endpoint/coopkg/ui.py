"""The browser query editor: YASGUI, vendored under `static/yasgui/`, served by this package with no
request to any other host.

Where the page is served:

- `GET /sparql` from a browser (Accept prefers text/html, no query): the SPARQL router calls
  `request.app.state.ui_page(request)`, which `install(app)` sets;
- `GET /` and `GET /query`, always.

The page points YASGUI at the same server's `/sparql` by a path relative to the application's root
(so it works behind any host name or proxy prefix), opens the example queries of `queries/` as
tabs, and declares the project's prefixes in each new tab. Its script and data are files and a
JSON island, never inline code, so the page is served with a Content-Security-Policy that lets the
browser connect to this origin only.

`/static/...` serves the package's `static/` folder from memory, with a strong ETag, gzip for
clients that accept it, and a one-year immutable cache for the content-addressed URLs the page
uses (`?v=<hash>`).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from . import __version__
from .catalogue import CatalogueError, load_catalogue
from .vocab import PREFIXES

__all__ = ["PREFIXES", "UI_PATHS", "install", "router", "ui_page"]

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent
_STATIC = _PACKAGE / "static"
_TEMPLATES = _PACKAGE / "templates"

UI_PATHS = ("/", "/query")
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
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "public, max-age=3600"
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")

router = APIRouter(include_in_schema=False)


# -- Static files ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    version: str  # the first hex digits of the content's SHA-256: the URL's `v` and the ETag

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _media_type(path: Path) -> str:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type == "text/javascript":
        media_type = "application/javascript"
    if media_type.startswith("text/") or media_type == "application/javascript":
        media_type += "; charset=utf-8"
    return media_type


@cache
def _assets() -> dict[str, _Asset]:
    """Every file under static/, keyed by its path relative to it: the only paths ever served, so a
    request cannot reach anything else. Read once; the files are small (about 1 MB in all)."""
    assets: dict[str, _Asset] = {}
    for path in sorted(_STATIC.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.parts):
            continue
        body = path.read_bytes()
        media_type = _media_type(path)
        gzipped = None
        if media_type.startswith(_COMPRESSIBLE) and len(body) > 1024:
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        version = hashlib.sha256(body).hexdigest()[:16]
        assets[path.relative_to(_STATIC).as_posix()] = _Asset(body, gzipped, media_type, version)
    return assets


def static_url(request: Request, name: str) -> str:
    """The content-addressed URL of a static file, relative to the application's root."""
    return f"{_root(request)}/static/{name}?v={_assets()[name].version}"


def _accepts_gzip(request: Request) -> bool:
    for item in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@router.api_route("/static/{name:path}", methods=["GET", "HEAD"])
def static_file(name: str, request: Request) -> Response:
    asset = _assets().get(name)
    if asset is None:
        return Response("Not found\n", status_code=404, media_type="text/plain; charset=utf-8")
    versioned = request.query_params.get("v") == asset.version
    headers = {
        "ETag": asset.etag,
        "Cache-Control": _IMMUTABLE if versioned else _REVALIDATE,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if_none_match = request.headers.get("if-none-match", "")
    if asset.etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(",")) or (
        if_none_match.strip() == "*"
    ):
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and _accepts_gzip(request):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    # For HEAD the server sends the headers (Content-Length included) and drops the body.
    return Response(body, headers=headers, media_type=asset.media_type)


# -- The editor page ------------------------------------------------------------------------------

@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _root(request: Request) -> str:
    """The application's path prefix when mounted below another path or proxy ('' at the top)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _examples(request: Request) -> tuple[list[dict[str, object]], str | None]:
    """The example queries, loaded once per application; a broken catalogue leaves the page usable
    and says why."""
    state = request.app.state
    cached = getattr(state, "ui_examples", None)
    if cached is None:
        try:
            cached = ([entry.to_dict() for entry in load_catalogue()], None)
        except CatalogueError as exc:
            log.warning("query UI: example queries not loaded: %s", exc)
            cached = ([], f"The example queries could not be loaded: {exc}")
        state.ui_examples = cached
    return cached


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


def ui_page(request: Request) -> Response:
    """The query editor page, for any route that serves it (GET and HEAD)."""
    root = _root(request)
    examples, problem = _examples(request)
    config = {
        "endpoint": f"{root}/sparql",
        "prefixes": PREFIXES,
        "defaultQuery": default_query(),
        "examples": examples,
    }
    docs_url = getattr(request.app, "docs_url", None)
    html = _environment().get_template("query.html").render(
        version=__version__,
        endpoint_path=f"{root}/sparql",
        docs_url=f"{root}{docs_url}" if docs_url else None,
        config=config,
        examples=examples,
        problem=problem,
        css_url=static_url(request, "yasgui/yasgui.min.css"),
        js_url=static_url(request, "yasgui/yasgui.min.js"),
        ui_css_url=static_url(request, "coopkg-ui.css"),
        ui_js_url=static_url(request, "coopkg-ui.js"),
        icon_url=static_url(request, "favicon.svg"),
    )
    return HTMLResponse(html, headers=_PAGE_HEADERS)


for _path in UI_PATHS:
    router.add_api_route(_path, ui_page, methods=["GET", "HEAD"], response_class=HTMLResponse)


def install(app: FastAPI) -> None:
    """Serve the editor and the static files on `app`, and let the SPARQL route hand browsers the
    editor (`app.state.ui_page`)."""
    app.state.ui_page = ui_page
    app.include_router(router)
