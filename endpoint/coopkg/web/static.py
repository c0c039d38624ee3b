"""`/static/...`: the package's `static/` folder (the vendored YASGUI, the editor's own script,
style and icon), served from memory with a strong ETag, gzip for clients that accept it, and a
one-year immutable cache for the content-addressed URLs pages use (`?v=<hash>`)."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .http import etag_matches

__all__ = ["root_path", "router", "static_url"]

_STATIC = Path(__file__).resolve().parent.parent / "static"
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "public, max-age=3600"
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class _Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    version: str  # the first hex digits of the content's SHA-256: the URL's `v` and the ETag

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _content_type(path: Path) -> str:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type == "text/javascript":
        media_type = "application/javascript"
    if media_type.startswith("text/") or media_type == "application/javascript":
        media_type += "; charset=utf-8"
    return media_type


@cache  # the package's own files, read once: the same for every application in the process
def _assets() -> dict[str, _Asset]:
    """Every file under static/, keyed by its path relative to it: the only paths ever served, so a
    request cannot reach anything else. The files are small (about 1 MB in all)."""
    assets: dict[str, _Asset] = {}
    for path in sorted(_STATIC.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.parts):
            continue
        body = path.read_bytes()
        content_type = _content_type(path)
        gzipped = None
        if content_type.startswith(_COMPRESSIBLE) and len(body) > 1024:
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        version = hashlib.sha256(body).hexdigest()[:16]
        assets[path.relative_to(_STATIC).as_posix()] = _Asset(body, gzipped, content_type, version)
    return assets


def root_path(request: Request) -> str:
    """The application's path prefix when mounted below another path or proxy ('' at the top)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def static_url(request: Request, name: str) -> str:
    """The content-addressed URL of a static file, relative to the application's root."""
    return f"{root_path(request)}/static/{name}?v={_assets()[name].version}"


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
    if etag_matches(request.headers.get("if-none-match"), asset.etag.encode()):
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and _accepts_gzip(request):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    # For HEAD the server sends the headers (Content-Length included) and drops the body.
    return Response(body, headers=headers, media_type=asset.content_type)
