"""SPARQL GET queries and linked-data documents answered on the spot, for the connection to write
before any ASGI work.

An uncached point lookup spent about 150 µs in the HTTP process, of which the lookup lane is 30:
the rest was uvicorn's request cycle, the ASGI middleware and the recorder (bench/README.md, issue
11). `ImmediateAnswers` is called by the connection (coopkg.connection) with a GET or HEAD's parsed
head, and gives the answer the endpoint (coopkg.web.sparql) would give, built by the same functions
(`job_etag`, `outcome_reply`, `QueryRunner.answer_now`), when that answer needs no await: a 304
for a held tag, an outcome from the result cache, or the lookup lane's answer. Anything else
returns None and takes the usual path, which then does everything itself:
- a header field outside `_PLAIN` (what the endpoint or a middleware might read differently);
- a parameter the endpoint refuses or that needs more than a lookup (`update`, repeated `query`,
  dataset parameters, invalid UTF-8), an empty query;
- a cached error, no acceptable format, a query the lane declines.
A resource's URL or document (`/id/...`) is the linked-data route's to answer the same way
(`document_now`: a 304, a kept document, or one rendered from the store in this process).
tests/test_immediate.py compares its answers with the usual path's, header by header.
"""

from __future__ import annotations

from ..query import QueryJob
from .http import Refusal, RequestHeaders, etag_matches, not_modified
from .linked_data import document_now
from .params import format_names, graph_iris, parse_query_string, single
from .sparql import ENDPOINT_PATHS, job_etag, outcome_reply
from .state import AppState

__all__ = ["ImmediateAnswers"]

Headers = list[tuple[bytes, bytes]]

_PATHS = frozenset(path.encode() for path in ENDPOINT_PATHS)
# Header fields a client commonly sends with a GET that nothing on the way to the endpoint reads,
# or that the endpoint reads through `RequestHeaders` (accept, if-none-match). Any other field:
# the usual path, which is certainly right.
_PLAIN = frozenset(
    {
        b"host",
        b"user-agent",
        b"accept",
        b"accept-encoding",
        b"accept-language",
        b"origin",
        b"referer",
        b"if-none-match",
        b"cache-control",
        b"pragma",
        b"connection",
    }
)


class ImmediateAnswers:
    """The endpoint's answer to a GET or HEAD when it needs no await, else None (docstring)."""

    def __init__(self, state: AppState) -> None:
        self._state = state

    def __call__(
        self, raw_path: bytes, query_string: bytes, headers: Headers, scheme: str = "http"
    ) -> tuple[int, Headers, bytes, bool] | None:
        """(status, header fields, body, worth keeping) for `raw_path?query_string`, as the
        endpoint or the linked-data route writes them (uvicorn adds Date and Server), or None.
        Not worth keeping as a prepared answer: what was just evaluated or rendered (the result
        cache or the documents kept hold it; its first repeat is kept)."""
        state = self._state
        if len(raw_path) + len(query_string) + 1 > state.settings.max_url_bytes:
            return None  # 414
        for name, _ in headers:
            if name not in _PLAIN:
                return None
        if raw_path.startswith(b"/id/"):
            return _document(state, raw_path, query_string, headers, scheme)
        if raw_path not in _PATHS or not query_string:
            return None
        request = RequestHeaders(headers)
        job = _job(query_string, request.accept)
        if job is None:
            return None
        if_none_match = request.if_none_match
        etag = job_etag(state, job)
        keep = True
        if etag_matches(if_none_match, etag, star=False):
            reply = not_modified(etag)
        else:
            found = state.runner.answer_now(job)
            if found is None:
                return None
            if etag_matches(if_none_match, etag):
                reply = not_modified(etag)
            else:
                reply = outcome_reply(state, etag, *found)
                keep = found[1]  # from the result cache
        return reply.status, reply.headers, reply.body, keep


def _document(
    state: AppState, raw_path: bytes, query_string: bytes, headers: Headers, scheme: str
) -> tuple[int, Headers, bytes, bool] | None:
    """The linked-data route's answer (coopkg.web.linked_data.document_now), or None."""
    if query_string:
        return None  # ?format=, ?lang=: the route reads them
    fields: dict[bytes, str] = {}
    for name, value in headers:
        if name in fields:
            return None  # a repeated field: Starlette's reading of it decides
        fields[name] = value.decode("latin-1")
    made = document_now(state, raw_path, fields, scheme)
    if made is None:
        return None
    reply, keep = made
    return reply.status, reply.headers, reply.body, keep


def _job(query_string: bytes, accept: str | None) -> QueryJob | None:
    """The endpoint's job for these parameters, or None where it would refuse or need more."""
    try:
        params = parse_query_string(query_string)
        if any(k == "update" for k, _ in params):
            return None  # 403
        query = single(params, "query")
        if query is None or not query.strip():
            return None  # the service description, or 400
        job = QueryJob(
            query,
            accept,
            format_names(params),
            graph_iris(params, "default-graph-uri"),
            graph_iris(params, "named-graph-uri"),
        )
    except Refusal:
        return None
    if job.default_graph_uris or job.named_graph_uris:
        return None  # never the lane's
    return job
