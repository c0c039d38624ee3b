"""`GET|HEAD /dumps/<stem>.{ttl,nt,jsonld,trig,nq}[.gz]` and `/dumps/SHA256SUMS`: the whole served
dataset, made once per application by the first request that needs it (coopkg.query.dump, through
the runner), then served from memory with a strong ETag (its SHA-256; 304 on a match),
Content-Length, Cache-Control and CORS. Any other name is 404.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ..errors import SparqlError
from ..query.dump import DatasetDump, build_dump
from .home import DUMP_STEM
from .http import MAX_AGE, etag_matches
from .site import text_response
from .state import AppState, app_state

__all__ = ["dataset_dump", "router"]

router = APIRouter(include_in_schema=False)
CHECKSUMS = "SHA256SUMS"


async def dataset_dump(state: AppState) -> DatasetDump:
    """The dumps, made on first use (one build at a time)."""
    if state.dump is None:
        async with state.building:
            if state.dump is None:
                state.dump = await build_dump(state.runner, DUMP_STEM)
    return state.dump


def _headers(etag: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "ETag, Content-Length",
        "X-Content-Type-Options": "nosniff",
    }


@router.api_route("/dumps/{name}", methods=["GET", "HEAD"])
async def dump_file(name: str, request: Request) -> Response:
    if name != CHECKSUMS and not (name.startswith(DUMP_STEM + ".") and "/" not in name):
        return text_response(f"no dump named {name!r}", 404)
    state = app_state(request)
    try:
        dump = await dataset_dump(state)
    except (SparqlError, RuntimeError) as exc:
        return text_response(f"the dump could not be made: {exc}", 503)
    if name == CHECKSUMS:
        body, media_type = dump.sha256sums(), "text/plain; charset=utf-8"
        digest = hashlib.sha256(body).hexdigest()
    elif name in dump.files:
        file = dump.files[name]
        body, media_type, digest = file.body, file.media_type, file.sha256
        if media_type.startswith("text/") or media_type.endswith("json"):
            media_type += "; charset=utf-8"
    else:
        return text_response(f"no dump named {name!r}", 404)
    etag = f'"{digest[:32]}"'  # strong: the bytes themselves
    headers = _headers(etag)
    if etag_matches(request.headers.get("if-none-match"), etag.encode()):
        return Response(status_code=304, headers=headers)
    if name.endswith(".gz"):
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(body, 200, headers, media_type=media_type)
