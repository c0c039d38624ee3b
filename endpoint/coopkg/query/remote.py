"""A remote engine: an external SPARQL 1.1 service (Oxigraph server, Virtuoso, Fuseki, QLever,
GraphDB, Neptune) evaluates the queries; everything above evaluation stays in this application.

Engines differ, and clients must not see it (/work/shared/ENGINES.md has the measurements), so
the engine's answer is never passed through:

- The engine is asked for one format per result kind, the one every engine writes correctly:
  SPARQL XML for SELECT and ASK, N-Triples for CONSTRUCT and DESCRIBE (the kind is the query's
  first keyword, from the guard's tokeniser: Virtuoso answers 406 to an Accept listing both, and
  writes ASK as a one-row SELECT of `__ASK_RETVAL`, read back here as the boolean). The answer is
  parsed strictly by pyoxigraph and written in the client's format by coopkg.query.results, with
  the same caps as the embedded engine.
- A partial answer is never a short 200: Oxigraph server's cut body (200, then "The SPARQL
  operation has been cancelled"), Virtuoso's `X-SQL-State: S1TAT` and "timed out" errors are
  EngineTimeout (504); a body that does not parse, an engine error that is not a syntax error,
  and a result Virtuoso cut at its ResultSetMaxRows (`X-SPARQL-MaxRows`; for graph results, one
  of at least `backend_max_rows` triples) are BadGateway (502). An engine result larger than
  coopkg's own cap is cut here, at coopkg's cap, and flagged as any other.
- The engine's 400 is the client's QuerySyntaxError, with the engine's message (tags, echoed
  query and traces removed); an engine that cannot be reached, or drops the connection, is
  EngineFailed (503).
- Queries go as a form POST (Virtuoso never answers a direct `application/sparql-query` POST),
  prefixed with `BASE <base_iri>` on their first line (a BASE in the query still wins), with
  `timeout` in milliseconds for Virtuoso; the timeout is enforced here too.
- The dataset is explicit: without FROM in the query or graph parameters in the request, the
  engine is sent the pushed default graph (`vocab.DEFAULT_GRAPH`) and the pushed named graphs as
  `default-graph-uri` / `named-graph-uri`, so the engine's own idea of a default graph, its
  system graphs and the version record never show. The named graphs are sent only when the
  query text could reach them (it says `graph`, or has a `\\u` escape that could spell it): a
  query without a GRAPH pattern sees the default graph alone either way, and an engine builds
  its dataset view per request, at a cost that grows with the graphs listed. These parameters
  are encoded once per dataset version (`_DatasetForm`), not per request.
- Requests go through coopkg.query.engine_client (keep-alive connections, one write per
  request), not httpx: on loopback httpx's own per-request cost was larger than the engine's.
- `start` and `refresh` read the version record `coopkg push` wrote (coopkg.meta).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any
from urllib.parse import quote_plus, urlencode

import pyoxigraph as ox

from ..config import Settings
from ..dataset import DatasetInfo, LoadError
from ..errors import BadGateway, EngineFailed, EngineTimeout, QuerySyntaxError, ResultTooLarge
from ..formats import ResultFormats
from ..meta import META_QUERY, info_from_rows
from ..vocab import DEFAULT_GRAPH
from . import QueryJob, QueryOutcome
from .engine_client import EngineAnswer, EngineClient, EngineUnreachable
from .guard import INLINE_SCAN_LIMIT, check_query, scan_query, token_stream
from .results import Limits, serialise

__all__ = ["RemoteEngine"]

_XML = "application/sparql-results+xml"
_NT = "application/n-triples"
_CANCELLED = b"has been cancelled"  # Oxigraph server's trailer on a body cut at its timeout
_BOOLEAN_HEAD = (
    b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
)
_TAG = re.compile(r"<[^>]*>")
# Where an engine's error text turns into an echo of the query or a stack trace (Python, Java).
_TRACE = re.compile(r"SPARQL query:|Traceback|File \"|\n\s*at |Caused by|Exception in thread")
_POSITION = re.compile(r"error at (\d+):(\d+): ")


@dataclasses.dataclass(frozen=True)
class _DatasetForm:
    """The dataset parameters of one dataset version, form-encoded once (each starts with `&`):
    the pushed default graph alone, and with every pushed named graph."""

    info: DatasetInfo | None
    default_only: bytes
    with_named: bytes

    @classmethod
    def of(cls, info: DatasetInfo | None) -> _DatasetForm:
        default = [("default-graph-uri", DEFAULT_GRAPH)]
        named = [("named-graph-uri", g) for g in (info.named_graphs if info is not None else ())]
        return cls(info, _form(default), _form(default + named))


class RemoteEngine:
    """coopkg.query.Engine over an external SPARQL 1.1 query endpoint at `url`."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self._settings = settings
        self._client: EngineClient | None = None
        self._info: DatasetInfo | None = None
        self._dataset_form = _DatasetForm.of(None)
        self._virtuoso = False
        self._base = f"BASE <{settings.base_iri}> "

    async def start(self) -> DatasetInfo:
        # As many kept-alive connections as requests the runner lets in flight at once.
        try:
            self._client = EngineClient(self.url, max_connections=8 * self._settings.query_workers)
        except ValueError as exc:
            raise LoadError(f"the SPARQL engine at {self.url}: {exc}") from None
        try:
            info = await self.refresh()
        except (EngineFailed, BadGateway, EngineTimeout) as exc:
            await self.close()
            raise LoadError(f"the SPARQL engine at {self.url}: {exc.message}") from None
        if info is None:
            await self.close()
            raise LoadError(
                f"the SPARQL engine at {self.url} holds no coopkg dataset (no version record); "
                "load one with `coopkg push --to <its Graph Store URL>`"
            )
        return info

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def refresh(self) -> DatasetInfo | None:
        """Read the version record again: the dataset the engine holds now (None: none)."""
        answer = await self._send(META_QUERY, b"", _XML)
        self._virtuoso = answer.headers.get("server", "").startswith("Virtuoso")
        results = self._parse(answer, "SELECT")
        info = info_from_rows([(row["p"], row["o"]) for row in results])
        if info is not None:
            self._info = info
            if info != self._dataset_form.info:  # a new version: encode its graphs once
                self._dataset_form = _DatasetForm.of(info)
        return info

    async def run(self, job: QueryJob, formats: ResultFormats) -> QueryOutcome:
        if len(job.query) > INLINE_SCAN_LIMIT:  # the guard's full scan, off the event loop
            await asyncio.to_thread(check_query, job.query)
        operation = scan_query(job.query, until_operation=True).operation or "SELECT"
        accept = _NT if operation in ("CONSTRUCT", "DESCRIBE") else _XML
        try:
            answer = await self._send(self._base + job.query, self._dataset(job), accept)
        except (QuerySyntaxError, BadGateway) as exc:  # Virtuoso: some syntax errors are 500s
            if operation == "ASK":  # an empty store would evaluate it at once: keep the engine's
                raise
            ours = await asyncio.to_thread(_local_syntax_error, job.query, self._settings.base_iri)
            raise (ours or exc) from None
        limits = Limits(self._settings.max_result_rows, self._settings.max_result_bytes)
        try:
            outcome = serialise(self._parse(answer, operation), formats, limits)
        except SyntaxError as exc:
            if answer.cut:
                raise ResultTooLarge(
                    f"the engine's answer is over {self._download_cap()} bytes"
                ) from None
            raise BadGateway(f"the SPARQL engine's answer does not parse: {exc}") from None
        if outcome.kind == "graph":
            self._check_graph_cap(outcome.rows or 0)
        if answer.cut and not outcome.truncated:
            outcome = dataclasses.replace(outcome, truncated=True)
        return outcome

    # ---- the request

    def _dataset(self, job: QueryJob) -> bytes:
        """The dataset parameters of the request, form-encoded, each starting with `&`."""
        if job.default_graph_uris or job.named_graph_uris:
            return _form(
                [("default-graph-uri", g) for g in job.default_graph_uris]
                + [("named-graph-uri", g) for g in job.named_graph_uris]
            )
        query = job.query
        lowered = query.lower()
        if "from" in lowered and any(
            kind == "word" and text.upper() == "FROM" for kind, text in token_stream(query)
        ):
            return b""  # the query names its dataset
        form = self._dataset_form
        # Erring towards sending them: any "graph" (an IRI's too), or an escape that could hide it.
        if "graph" in lowered or "\\u" in lowered:
            return form.with_named
        return form.default_only

    def _download_cap(self) -> int:
        # SPARQL XML is a few times larger than the TSV the caps are measured on.
        return 4 * self._settings.max_result_bytes + (1 << 20)

    async def _send(self, query: str, dataset: bytes, accept: str) -> EngineAnswer:
        if self._client is None:
            raise EngineFailed("the query engine is not running")
        timeout = self._settings.query_timeout
        body = b"query=" + quote_plus(query).encode() + dataset
        if self._virtuoso:
            body += b"&timeout=%d" % int(timeout * 1000)
        try:
            async with asyncio.timeout(timeout + 2):
                answer = await self._client.post_form(body, accept, self._download_cap())
        except TimeoutError:
            raise EngineTimeout(
                f"the SPARQL engine gave no whole answer within the {timeout:g} s limit"
            ) from None
        except EngineUnreachable as exc:
            raise EngineFailed(
                f"the SPARQL engine is not available ({exc}); try again later"
            ) from None
        if answer.cut and answer.status == 200:  # keep whole lines: N-Triples stays parseable
            answer = dataclasses.replace(answer, body=_whole_lines(answer.body))
        _check_status(answer, len(self._base) if query.startswith(self._base) else 0)
        return answer

    # ---- the answer

    def _parse(self, answer: EngineAnswer, operation: str) -> Any:
        headers, body = answer.headers, answer.body
        if headers.get("x-sql-state", "").upper() == "S1TAT":
            raise EngineTimeout(
                f"the query exceeded the {self._settings.query_timeout:g} s limit and was "
                "stopped (the engine returned an incomplete result)"
            )
        if body.rstrip().endswith(_CANCELLED):
            raise EngineTimeout(
                f"the query exceeded the engine's time limit and was stopped "
                f"(coopkg's is {self._settings.query_timeout:g} s)"
            )
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if operation in ("CONSTRUCT", "DESCRIBE"):
            if media not in (_NT, "text/plain"):
                raise BadGateway(f"the SPARQL engine answered {media or 'no type'}, not N-Triples")
            return _triples(body)
        if media not in (_XML, "application/xml", "text/xml"):
            raise BadGateway(f"the SPARQL engine answered {media or 'no type'}, not SPARQL XML")
        try:
            results = ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
        except SyntaxError as exc:
            raise BadGateway(f"the SPARQL engine's answer does not parse: {exc}") from None
        if isinstance(results, ox.QuerySolutions):
            capped = headers.get("x-sparql-maxrows")
            if capped is not None:
                self._check_solutions_cap(int(capped) if capped.isdigit() else 0)
            if operation == "ASK":
                return _boolean(results)
        return results

    def _check_solutions_cap(self, engine_cap: int) -> None:
        """The engine cut the result at its own cap. Its first rows are still a true prefix, so
        when that cap is above coopkg's, coopkg cuts (and flags) as usual; else 502."""
        if engine_cap <= self._settings.max_result_rows:
            raise BadGateway(
                f"the SPARQL engine cut the result at its own limit of {engine_cap} rows "
                f"(set its ResultSetMaxRows above coopkg's {self._settings.max_result_rows})"
            )

    def _check_graph_cap(self, triples: int) -> None:
        cap = self._settings.backend_max_rows
        if cap is not None and cap <= triples <= self._settings.max_result_rows:
            raise BadGateway(
                f"the SPARQL engine's graph result reached its own limit of {cap} rows and may "
                "be incomplete"
            )


def _form(pairs: list[tuple[str, str]]) -> bytes:
    """`&name=value…`, form-encoded (empty for no pairs)."""
    return ("&" + urlencode(pairs)).encode() if pairs else b""


def _whole_lines(body: bytes) -> bytes:
    """A body cut at the download cap, up to its last line end."""
    end = body.rfind(b"\n")
    return body[: end + 1] if end >= 0 else body


def _check_status(answer: EngineAnswer, shift: int) -> None:
    """Raise the error an engine's non-200 answer means. `shift`: characters this module put
    before the client's query on its first line."""
    status = answer.status
    if status == 200:
        return
    message = _engine_message(answer.body)
    if status == 400:
        raise QuerySyntaxError(_syntax_message(message, shift))
    if status in (500, 504) and re.search(r"timed out|timeout|S1T00", message, re.I):
        raise EngineTimeout(f"the query exceeded the engine's time limit: {message}")
    if status == 503:
        raise EngineFailed(f"the SPARQL engine is not available: {message}")
    raise BadGateway(f"the SPARQL engine failed ({status}): {message}")


def _engine_message(body: bytes, limit: int = 500) -> str:
    """The engine's error message, readable: no markup, no echoed query, no stack trace."""
    text = _TAG.sub(" ", body.decode("utf-8", "replace"))
    text = _TRACE.split(text, maxsplit=1)[0]
    message = " ".join(text.split()) or "(no message)"
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _syntax_message(message: str, shift: int) -> str:
    """As the embedded engine says it: Oxigraph's `error at L:C: …` with the client's column."""
    match = _POSITION.match(message)
    if match is None:
        return f"SPARQL syntax error (reported by the engine): {message}"
    line, column = int(match.group(1)), int(match.group(2))
    if line == 1:
        column = max(1, column - shift)
    rest = message[match.end() :]
    return f"SPARQL syntax error at line {line}, column {column}: {rest}"


def _local_syntax_error(query: str, base_iri: str) -> QuerySyntaxError | None:
    """Oxigraph's own message for a query the engine refused, so that a syntax error reads the
    same whatever the engine (line and column, in the embedded engine's words); None when
    Oxigraph parses it (the engine's message is then kept). Only for SELECT, CONSTRUCT and
    DESCRIBE, whose results are lazy: on an empty store nothing is evaluated."""
    try:
        ox.Store().query(query, base_iri=base_iri)
    except SyntaxError as exc:
        return QuerySyntaxError(_syntax_message(str(exc), 0))
    except Exception:  # noqa: BLE001 (anything else: not a syntax error, keep the engine's)
        return None
    return None


def _triples(body: bytes) -> Any:
    """The N-Triples body as triples, parsed lazily (a syntax error surfaces while serialising)."""
    for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        yield ox.Triple(quad.subject, quad.predicate, quad.object)


def _boolean(results: ox.QuerySolutions) -> ox.QueryBoolean:
    """An ASK answer: a boolean, or (Virtuoso) one row whose single value is 0/1, or none."""
    values = [term for row in results for term in row if term is not None]
    if len(values) > 1 or (values and not isinstance(values[0], ox.Literal)):
        raise BadGateway("the SPARQL engine answered an ASK query with solutions")
    truth = bool(values) and values[0].value.strip().lower() in ("1", "true")
    xml = _BOOLEAN_HEAD + (b"<boolean>true</boolean>" if truth else b"<boolean>false</boolean>")
    boolean = ox.parse_query_results(xml + b"</sparql>", format=ox.QueryResultsFormat.XML)
    assert isinstance(boolean, ox.QueryBoolean)
    return boolean
