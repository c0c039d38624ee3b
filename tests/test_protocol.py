"""The SPARQL 1.1 Protocol as this endpoint speaks it, and its safety promises, over real HTTP.

Tables of cases (methods, content types, Accept headers, update forms, limits) run against one
`coopkg serve` per module, started on a small graph of our own with small limits: 5 rows per
result, a 1 s query timeout, 4 KiB bodies, 2 KiB request targets. Every answer is checked for
a stack trace.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest
from conftest import burn_query, recording_server, running_server
from coopkg.config import Settings
from coopkg.dataset import DatasetInfo
from coopkg.errors import EngineError, EngineFailed, Overloaded, QueryTimeout
from coopkg.web import create_app
from coopkg.web.http import internal_error
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

EX = "http://example.org/"
ROWS = 40
MAX_ROWS = 5
MAX_BODY = 4096
MAX_URL = 2048

SRJ = "application/sparql-results+json"
SRX = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TTL = "text/turtle"

SELECT_ALL = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }"
SELECT_FEW = "SELECT ?s WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s LIMIT 3"
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
BURN = burn_query(6)  # over 40 triples: 4 × 10^9 combinations


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("protocol")
    lines = [f"<{EX}item/{i:02d}> <{EX}p> {i} ." for i in range(ROWS)]
    lines += [
        f'GRAPH <{EX}graph/g1> {{ <{EX}item/g1> <{EX}q> "in g1" . }}',
        f'GRAPH <{EX}graph/g2> {{ <{EX}item/g2> <{EX}q> "in g2" . }}',
    ]
    (folder / "graph.trig").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {"COOPKG_MAX_BODY_BYTES": str(MAX_BODY), "COOPKG_MAX_URL_BYTES": str(MAX_URL)}
    args = (str(folder / "graph.trig"), "--max-rows", str(MAX_ROWS), "--timeout", "1")
    with running_server(*args, env=env) as url:
        yield url


def call(
    base: str,
    method: str = "GET",
    *,
    params=None,
    headers=None,
    content=None,
    data=None,
    path: str = "/sparql",
    timeout: float = 30,
) -> httpx.Response:
    response = httpx.request(
        method,
        base + path,
        params=params,
        headers=headers,
        content=content,
        data=data,
        timeout=timeout,
    )
    assert b"Traceback" not in response.content
    assert b'File "' not in response.content
    return response


def media(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def nonce() -> str:
    """A comment that makes a query text unique, so no cache can answer it."""
    return f"\n# {uuid.uuid4()}"


# -- Methods and content types ---------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    method: str = "GET"
    params: dict | list | None = None
    headers: dict = field(default_factory=dict)
    content: bytes | None = None
    status: int = 200
    media_type: str | None = None
    says: str | None = None  # a phrase the (error) message must contain


CASES = [
    Case("get", params={"query": ASK}, media_type=SRJ),
    Case("get trailing slash", params={"query": ASK}, media_type=SRJ),
    Case(
        "post form",
        "POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=f"query={quote(ASK)}".encode(),
        media_type=SRJ,
    ),
    Case(
        "post form, utf-8 charset",
        "POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        content=f"query={quote(ASK)}".encode(),
        media_type=SRJ,
    ),
    Case(
        "post form, parameters in URL and body",
        "POST",
        params={"format": "xml"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=f"query={quote(ASK)}".encode(),
        media_type=SRX,
    ),
    Case(
        "post direct",
        "POST",
        headers={"Content-Type": "application/sparql-query"},
        content=ASK.encode(),
        media_type=SRJ,
    ),
    Case(
        "post direct, utf-8 charset",
        "POST",
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
        content=ASK.encode(),
        media_type=SRJ,
    ),
    Case(
        "non-ASCII query",
        params={"query": 'ASK { FILTER("coopérative" != "coop") }'},
        media_type=SRJ,
    ),
    # 405 for any other method, with Allow.
    Case("put", "PUT", params={"query": ASK}, status=405, says="GET, HEAD, POST, OPTIONS"),
    Case("delete", "DELETE", status=405),
    Case("patch", "PATCH", content=b"ASK {}", status=405),
    Case("propfind", "PROPFIND", status=405),
    # 415 for POST without a usable content type.
    Case("post without content type", "POST", content=ASK.encode(), status=415),
    Case(
        "post text/plain",
        "POST",
        headers={"Content-Type": "text/plain"},
        content=ASK.encode(),
        status=415,
    ),
    Case(
        "post json",
        "POST",
        headers={"Content-Type": "application/json"},
        content=b'{"query": "ASK {}"}',
        status=415,
    ),
    Case(
        "post multipart",
        "POST",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        content=b"--x--",
        status=415,
    ),
    Case(
        "post direct, UTF-16 declared",
        "POST",
        headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
        content=ASK.encode("utf-16"),
        status=415,
        says="UTF-8",
    ),
    Case(
        "post form, latin-1 declared",
        "POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"},
        content=b"query=ASK%20%7B%7D",
        status=415,
    ),
    # 400 for a request that is not a query.
    Case("repeated query", params=[("query", ASK), ("query", ASK)], status=400, says="2 times"),
    Case(
        "repeated query, URL and form",
        "POST",
        params={"query": ASK},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=f"query={quote(ASK)}".encode(),
        status=400,
    ),
    Case(
        "post form without query",
        "POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=b"default-graph-uri=http%3A%2F%2Fexample.org%2F",
        status=400,
        says="query",
    ),
    Case(
        "post direct with a query parameter",
        "POST",
        params={"query": ASK},
        headers={"Content-Type": "application/sparql-query"},
        content=ASK.encode(),
        status=400,
    ),
    Case("empty query", params={"query": "  "}, status=400, says="empty"),
    Case(
        "empty direct body",
        "POST",
        headers={"Content-Type": "application/sparql-query"},
        content=b"",
        status=400,
    ),
    Case(
        "syntax error",
        params={"query": "SELECT * WHERE { ?s ?p }"},
        status=400,
        says="line 1, column",
    ),
    Case(
        "syntax error on line 3",
        "POST",
        headers={"Content-Type": "application/sparql-query"},
        content=b"PREFIX ex: <http://example.org/>\nSELECT *\nWHERE { ?s ex:p <rel> ",
        status=400,
        says="line 3",
    ),
    Case("invalid UTF-8 in URL", params=None, status=400, says="UTF-8"),
    Case(
        "invalid UTF-8, direct",
        "POST",
        headers={"Content-Type": "application/sparql-query"},
        content=b'ASK { FILTER("\xff\xfe" = 1) }',
        status=400,
        says="UTF-8",
    ),
    Case(
        "invalid UTF-8, form",
        "POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=b"query=ASK%20%7B%FF%7D",
        status=400,
        says="UTF-8",
    ),
    Case(
        "UTF-16 body, no charset",
        "POST",
        headers={"Content-Type": "application/sparql-query"},
        content=ASK.encode("utf-16"),
        status=400,
        says="UTF-8",
    ),
    Case(
        "graph name not an IRI",
        params={"query": ASK, "default-graph-uri": "not an iri"},
        status=400,
        says="IRI",
    ),
    # Dataset parameters name graphs of the store.
    Case(
        "default-graph-uri",
        media_type=SRJ,
        params={
            "query": f'ASK {{ <{EX}item/g1> <{EX}q> "in g1" }}',
            "default-graph-uri": f"{EX}graph/g1",
        },
    ),
    Case(
        "named-graph-uri",
        media_type=SRJ,
        params=[
            ("query", f"ASK {{ GRAPH <{EX}graph/g2> {{ ?s ?p ?o }} }}"),
            ("named-graph-uri", f"{EX}graph/g1"),
            ("named-graph-uri", f"{EX}graph/g2"),
        ],
    ),
    # Relative IRIs resolve against the service's base (W3C update_base_uri, for queries).
    Case("relative IRIs", params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"}, media_type=TTL),
    # Refusals.
    Case(
        "SERVICE",
        params={"query": f"SELECT * {{ SERVICE <{EX}sparql> {{ ?s ?p ?o }} }}"},
        status=400,
        says="SERVICE",
    ),
    Case(
        "deep nesting",
        "POST",
        headers={"Content-Type": "application/sparql-query"},
        content=("SELECT * WHERE " + "{" * 1500 + "}" * 1500).encode(),
        status=400,
        says="nested",
    ),
    Case(
        "deep nesting, parentheses",
        "POST",
        headers={"Content-Type": "application/sparql-query"},
        content=("SELECT * WHERE { FILTER(" + "(" * 1500 + "1" + ")" * 1500 + ") }").encode(),
        status=400,
    ),
]
# Cases whose request cannot be written as a dict of parameters.
_RAW_TARGETS = {
    "get trailing slash": "/sparql/",
    "invalid UTF-8 in URL": "/sparql?query=ASK%20%7B%FF%7D",
}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_request(base: str, case: Case) -> None:
    path = _RAW_TARGETS.get(case.id, "/sparql")
    response = call(
        base, case.method, params=case.params, headers=case.headers, content=case.content, path=path
    )
    assert response.status_code == case.status, response.text
    if case.media_type:
        assert media(response) == case.media_type
    if case.status >= 400:
        assert media(response) == "text/plain"
        assert response.headers["cache-control"] == "no-store"
    if case.says:
        assert case.says in response.text
    if case.status == 405:
        assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert response.headers["access-control-allow-origin"] == "*"


# -- Content negotiation ---------------------------------------------------------------------

# (query, Accept, format parameter, expected status, expected media type)
NEGOTIATION = [
    (SELECT_FEW, SRJ, None, 200, SRJ),
    (SELECT_FEW, SRX, None, 200, SRX),
    (SELECT_FEW, CSV, None, 200, CSV),
    (SELECT_FEW, TSV, None, 200, TSV),
    (SELECT_FEW, "application/json", None, 200, SRJ),
    (SELECT_FEW, f"{CSV};q=0.5, {SRX}", None, 200, SRX),
    (SELECT_FEW, f"{SRJ};q=0, */*", None, 200, SRX),
    (SELECT_FEW, "text/*", None, 200, CSV),
    (SELECT_FEW, "*/*", None, 200, SRJ),
    (SELECT_FEW, None, None, 200, SRJ),
    (SELECT_FEW, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, 200, SRX),
    (SELECT_FEW, "image/png", None, 406, "text/plain"),
    (SELECT_FEW, TTL, None, 406, "text/plain"),
    (SELECT_FEW, SRJ, "csv", 200, CSV),
    (SELECT_FEW, None, "tsv", 200, TSV),
    (SELECT_FEW, None, "bogus", 406, "text/plain"),
    (ASK, SRX, None, 200, SRX),
    (ASK, CSV, None, 406, "text/plain"),
    (CONSTRUCT, TTL, None, 200, TTL),
    (CONSTRUCT, "application/n-triples", None, 200, "application/n-triples"),
    (CONSTRUCT, "application/ld+json", None, 200, "application/ld+json"),
    (CONSTRUCT, "application/rdf+xml", None, 200, "application/rdf+xml"),
    (CONSTRUCT, "application/n-quads", None, 200, "application/n-quads"),
    (CONSTRUCT, "application/trig", None, 200, "application/trig"),
    (CONSTRUCT, "*/*", None, 200, TTL),
    (CONSTRUCT, f"{SRJ}, {TTL};q=0.5", None, 200, TTL),
    (CONSTRUCT, CSV, None, 406, "text/plain"),
    (CONSTRUCT, None, "json", 200, "application/ld+json"),
    (f"DESCRIBE <{EX}item/01>", TTL, None, 200, TTL),
]


@pytest.mark.parametrize("query,accept,fmt,status,media_type", NEGOTIATION)
def test_negotiation(base, query, accept, fmt, status, media_type) -> None:
    params = {"query": query} | ({"format": fmt} if fmt else {})
    headers = {"Accept": accept} if accept else {"Accept": ""}
    response = call(base, params=params, headers=headers)
    assert response.status_code == status, response.text
    assert media(response) == media_type
    assert response.headers["vary"] == "Accept"


def test_repeated_accept_fields_are_one_list(base: str) -> None:
    response = httpx.get(
        f"{base}/sparql",
        params={"query": SELECT_FEW},
        timeout=30,
        headers=[("Accept", "image/png"), ("Accept", CSV)],
    )
    assert response.status_code == 200 and media(response) == CSV


def test_problem_json_when_asked(base: str) -> None:
    response = call(
        base, params={"query": "ASK {"}, headers={"Accept": f"{SRJ}, application/problem+json"}
    )
    assert response.status_code == 400
    assert media(response) == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and "line 1" in problem["detail"]


# -- HEAD, OPTIONS, CORS ---------------------------------------------------------------------


@pytest.mark.parametrize("params", [{"query": SELECT_FEW}, {}], ids=["query", "description"])
def test_head_answers_like_get_without_a_body(base: str, params: dict) -> None:
    get = call(base, params=params, headers={"Accept": CSV if params else TTL})
    head = call(base, "HEAD", params=params, headers={"Accept": CSV if params else TTL})
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    for name in (
        "content-type",
        "content-length",
        "etag",
        "cache-control",
        "vary",
        "access-control-allow-origin",
    ):
        assert head.headers.get(name) == get.headers.get(name), name
    assert int(head.headers["content-length"]) == len(get.content) > 0


def test_options_is_a_cors_preflight(base: str) -> None:
    response = call(
        base,
        "OPTIONS",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204 and response.content == b""
    assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "method,params,content_type,content",
    [
        ("GET", {"query": ASK}, None, None),
        ("GET", {"query": "ASK {"}, None, None),
        ("POST", None, "application/sparql-query", ASK.encode()),
        ("POST", None, "application/sparql-update", b"CLEAR ALL"),
        ("GET", {}, None, None),
    ],
    ids=["query", "error", "post", "update", "description"],
)
def test_cors_is_a_wildcard_without_credentials(base, method, params, content_type, content):
    origin = "https://evil.example"
    headers = {"Origin": origin, "Cookie": "session=1"}
    if content_type:
        headers["Content-Type"] = content_type
    response = call(base, method, params=params, headers=headers, content=content)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert all(origin not in value for value in response.headers.values())
    exposed = response.headers["access-control-expose-headers"]
    assert "ETag" in exposed and "Coopkg-Result-Truncated" in exposed


# -- Read-only: updates are refused and change nothing -----------------------------------------


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[str]]]:
    with recording_server() as pair:
        yield pair


def _triple_count(base: str) -> int:
    response = call(base, params={"query": COUNT + nonce()}, headers={"Accept": SRJ})
    assert response.status_code == 200
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


UPDATE = f"INSERT DATA {{ <{EX}new> <{EX}p> 1 }}"
UPDATE_FORMS = [
    ("direct", "POST", None, "application/sparql-update", UPDATE.encode()),
    (
        "direct, no charset trouble",
        "POST",
        None,
        "application/sparql-update; charset=utf-8",
        b"CLEAR ALL",
    ),
    ("form", "POST", None, "application/x-www-form-urlencoded", f"update={quote(UPDATE)}".encode()),
    (
        "form, with a query too",
        "POST",
        None,
        "application/x-www-form-urlencoded",
        f"query={quote(ASK)}&update={quote('DROP ALL')}".encode(),
    ),
    ("GET ?update=", "GET", {"update": "CLEAR ALL"}, None, None),
    ("update inside query=", "GET", {"query": UPDATE}, None, None),
    ("update inside query=, lower case", "GET", {"query": "drop all"}, None, None),
    (
        "update inside query=, after PREFIX",
        "GET",
        {"query": f"PREFIX ex: <{EX}>\nDELETE WHERE {{ ?s ?p ?o }}"},
        None,
        None,
    ),
    (
        "update after a query",
        "POST",
        None,
        "application/sparql-query",
        f"{ASK} ; CLEAR ALL".encode(),
    ),
    ("update in a direct query POST", "POST", None, "application/sparql-query", b"CLEAR DEFAULT"),
    ("LOAD", "POST", None, "application/sparql-query", b"LOAD <RECORDER/data.nt>"),
]


@pytest.mark.parametrize(
    "method,params,content_type,content",
    [u[1:] for u in UPDATE_FORMS],
    ids=[u[0] for u in UPDATE_FORMS],
)
def test_updates_are_forbidden_and_change_nothing(
    base, recorder, method, params, content_type, content
):
    recorder_url, hits = recorder
    if content:
        content = content.replace(b"RECORDER", recorder_url.encode())
    before = _triple_count(base)
    headers = {"Content-Type": content_type} if content_type else {}
    response = call(base, method, params=params, headers=headers, content=content)
    assert response.status_code == 403, response.text
    assert "read-only" in response.text
    assert _triple_count(base) == before == ROWS + 2
    assert hits == []


# -- No outbound traffic -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,status",
    [
        ("SELECT * FROM <RECORDER/x> WHERE { ?s ?p ?o }", 200),
        ("SELECT * FROM NAMED <RECORDER/x> WHERE { GRAPH ?g { ?s ?p ?o } }", 200),
        ("ASK FROM <RECORDER/x> { <http://example.org/leak> ?p ?o }", 200),
        ("SELECT * WHERE { SERVICE <RECORDER/sparql> { ?s ?p ?o } }", 400),
        ("SELECT * WHERE { SERVICE SILENT <RECORDER/sparql> { ?s ?p ?o } }", 400),
        ("SELECT * WHERE { ?s ?p ?o . service <RECORDER/sparql> { ?s ?p ?o } }", 400),
    ],
)
def test_no_outbound_requests(base, recorder, query, status) -> None:
    recorder_url, hits = recorder
    response = call(base, params={"query": query.replace("RECORDER", recorder_url)})
    assert response.status_code == status, response.text
    if status == 200:
        assert "leak" not in response.text or '"boolean":false' in response.text
    time.sleep(0.05)
    assert hits == []


@pytest.mark.parametrize(
    "query,expected",
    [
        ("SELECT (STR(<x>) AS ?v) {}", "https://w3id.org/coops4dev/x"),
        ("SELECT (STR(<id/a#b>) AS ?v) {}", "https://w3id.org/coops4dev/id/a#b"),
        (
            "BASE <http://example.org/base/>\nSELECT (STR(<x>) AS ?v) {}",
            "http://example.org/base/x",
        ),
    ],
)
def test_relative_iris_resolve_against_the_base_iri(base: str, query: str, expected: str) -> None:
    response = call(base, params={"query": query}, headers={"Accept": SRJ})
    assert response.json()["results"]["bindings"][0]["v"]["value"] == expected


def test_a_syntax_error_after_a_relative_iri_names_the_clients_line(base: str) -> None:
    """Relative IRIs resolve against the base IRI without touching the query text, so the
    parser's line numbers are the client's."""
    query = "SELECT ?p WHERE {\n  <id/organisation/ica> ?p ?o .\n  ?o ?q ?? .\n}\n"
    response = call(base, params={"query": query})
    assert response.status_code == 400
    assert "line 3, column" in response.text, response.text


def test_a_catastrophic_regex_is_not_a_problem(base: str) -> None:
    query = 'ASK { FILTER(REGEX("' + "a" * 40 + '!", "^(a+)+$")) }'
    started = time.monotonic()
    response = call(base, params={"query": query})
    assert response.status_code == 200 and response.json()["boolean"] is False
    assert time.monotonic() - started < 1


# -- Limits ------------------------------------------------------------------------------------


def test_body_over_the_limit_is_413(base: str) -> None:
    body = ("ASK {}" + " " * MAX_BODY).encode()
    response = call(
        base, "POST", headers={"Content-Type": "application/sparql-query"}, content=body
    )
    assert response.status_code == 413


def test_body_over_the_limit_is_413_without_content_length(base: str) -> None:
    """A chunked body is counted as it arrives, not buffered whole."""

    def chunks() -> Iterator[bytes]:
        yield b"ASK {}"
        for _ in range(100):
            yield b" " * 1024

    response = call(
        base, "POST", headers={"Content-Type": "application/sparql-query"}, content=chunks()
    )
    assert response.status_code == 413


def test_body_under_the_limit_is_fine(base: str) -> None:
    body = ("ASK {}" + " " * (MAX_BODY - 100)).encode()
    response = call(
        base, "POST", headers={"Content-Type": "application/sparql-query"}, content=body
    )
    assert response.status_code == 200


def test_request_target_over_the_limit_is_414(base: str) -> None:
    query = "ASK {} #" + "x" * MAX_URL
    response = call(base, params={"query": query})
    assert response.status_code == 414
    assert "POST" in response.text


def test_truncation_is_announced(base: str) -> None:
    response = call(base, params={"query": SELECT_ALL}, headers={"Accept": SRJ})
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == MAX_ROWS
    header = response.headers["coopkg-result-truncated"]
    assert header.startswith(f"rows={MAX_ROWS}; max-rows={MAX_ROWS}; max-bytes=")


def test_truncation_of_a_graph_is_announced(base: str) -> None:
    response = call(
        base,
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
    )
    assert response.status_code == 200
    assert len(response.text.strip().splitlines()) == MAX_ROWS
    assert response.headers["coopkg-result-truncated"].startswith(f"rows={MAX_ROWS};")


def test_a_complete_result_has_no_truncation_header(base: str) -> None:
    response = call(base, params={"query": SELECT_FEW})
    assert response.status_code == 200
    assert "coopkg-result-truncated" not in response.headers


# -- ETag, 304 and the result cache -----------------------------------------------------------


def test_etag_and_if_none_match(base: str) -> None:
    params = {"query": SELECT_FEW}
    first = call(base, params=params, headers={"Accept": SRJ})
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and "public" in first.headers["cache-control"]
    again = call(base, params=params, headers={"Accept": SRJ, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    strong_form = etag.removeprefix("W/")
    listed = call(
        base, params=params, headers={"Accept": SRJ, "If-None-Match": f'"nope", {strong_form}'}
    )
    assert listed.status_code == 304
    stale = call(base, params=params, headers={"Accept": SRJ, "If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.headers["etag"] == etag


def test_if_none_match_star_does_not_hide_a_refusal(base: str) -> None:
    star = {"If-None-Match": "*"}
    assert call(base, params={"query": "DROP ALL"}, headers=star).status_code == 403
    assert call(base, params={"query": "ASK {"}, headers=star).status_code == 400
    assert call(base, params={"query": SELECT_FEW}, headers=star).status_code == 304


def test_etag_depends_on_the_variant(base: str) -> None:
    etags = {
        call(base, params=params, headers={"Accept": accept}).headers["etag"]
        for params, accept in [
            ({"query": SELECT_FEW}, SRJ),
            ({"query": SELECT_FEW}, CSV),
            ({"query": SELECT_FEW, "format": "tsv"}, SRJ),
            ({"query": SELECT_FEW, "default-graph-uri": f"{EX}graph/g1"}, SRJ),
            ({"query": SELECT_FEW + " "}, SRJ),
        ]
    }
    assert len(etags) == 5


def test_post_and_get_share_the_etag(base: str) -> None:
    query = SELECT_FEW + nonce()
    get = call(base, params={"query": query}, headers={"Accept": SRJ})
    post = call(
        base,
        "POST",
        headers={"Content-Type": "application/sparql-query", "Accept": SRJ},
        content=query.encode(),
    )
    assert get.headers["etag"] == post.headers["etag"]
    assert post.headers["coopkg-cache"] == "hit"


def test_repeated_queries_come_from_the_cache(base: str) -> None:
    params = {"query": SELECT_FEW + nonce()}
    first = call(base, params=params)
    second = call(base, params=params)
    assert first.headers["coopkg-cache"] == "miss"
    assert second.headers["coopkg-cache"] == "hit"
    assert first.content == second.content


def test_the_service_description_has_an_etag(base: str) -> None:
    first = call(base, headers={"Accept": TTL})
    assert first.status_code == 200 and media(first) == TTL
    assert f"<{base}/sparql>" in first.text
    again = call(base, headers={"Accept": TTL, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_the_service_description_counts_the_graphs(base: str) -> None:
    text = call(base, headers={"Accept": "application/n-triples"}).text
    assert f'"{ROWS}"^^<http://www.w3.org/2001/XMLSchema#integer>' in text
    assert f"<{EX}graph/g1>" in text and f"<{EX}graph/g2>" in text


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_browser_gets_the_query_editor(base: str, method: str) -> None:
    response = call(base, method, headers={"Accept": BROWSER})
    assert response.status_code == 200 and media(response) == "text/html"
    assert response.headers["vary"] == "Accept"
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "accept,params,expected",
    [
        (BROWSER, {"format": "turtle"}, TTL),  # the editor's "service description" link
        (BROWSER, {"query": SELECT_FEW}, SRX),  # a query typed into the address bar
        ("*/*", {}, TTL),
        ("application/rdf+xml", {}, "application/rdf+xml"),
    ],
)
def test_what_a_description_request_gets(base, accept, params, expected) -> None:
    response = call(base, params=params, headers={"Accept": accept})
    assert response.status_code == 200 and media(response) == expected


def test_the_service_description_is_406_when_no_rdf_is_acceptable(base: str) -> None:
    assert call(base, headers={"Accept": "image/png"}).status_code == 406


# -- Timeout ---------------------------------------------------------------------------------


def test_a_burning_query_times_out_while_others_answer(base: str) -> None:
    results: dict[str, httpx.Response] = {}

    def burn() -> None:
        results["burn"] = call(base, params={"query": BURN + nonce()})

    thread = threading.Thread(target=burn)
    started = time.monotonic()
    thread.start()
    time.sleep(0.2)
    quick_started = time.monotonic()
    quick = call(base, params={"query": SELECT_FEW + nonce()})
    quick_time = time.monotonic() - quick_started
    thread.join(timeout=20)
    elapsed = time.monotonic() - started
    assert quick.status_code == 200 and quick_time < 0.5
    burned = results["burn"]
    assert burned.status_code == 503, burned.text
    assert "1 s" in burned.text and "stopped" in burned.text
    assert elapsed < 5
    # The worker that was killed has been replaced.
    assert call(base, params={"query": ASK + nonce()}).status_code == 200


# -- Unexpected errors -------------------------------------------------------------------------


class FailingEngine:
    """An engine that fails as told, for what the endpoint makes of each failure."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def start(self) -> DatasetInfo:
        return DatasetInfo(files=(), etag="0" * 32, quads=0)

    async def run(self, _job, _formats):
        raise self.error

    async def refresh(self) -> None:
        return None

    async def close(self) -> None:
        pass


def test_an_unexpected_error_is_a_clean_500() -> None:
    def boom(_request) -> Response:
        raise RuntimeError("secret detail /etc/passwd")

    app = Starlette(routes=[Route("/boom", boom)], exception_handlers={Exception: internal_error})
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Traceback" not in response.text and "secret" not in response.text
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "error,status,starts,retry_after",
    [
        (RuntimeError("secret detail"), 500, "internal server error", None),
        (EngineError("ValueError: serialiser bug"), 500, "ValueError: serialiser bug", None),
        (Overloaded("all 2 query workers are busy"), 503, "all 2 query workers", "2"),
        (QueryTimeout("query exceeded the 1 s limit"), 503, "query exceeded", None),
        (EngineFailed("the query process died"), 503, "the query process died", None),
    ],
    ids=["unexpected", "engine-error", "overloaded", "timeout", "engine-failed"],
)
def test_engine_failures_in_process(error, status, starts, retry_after, caplog) -> None:
    """The application in process over an engine that fails as told: each failure has its
    status, none is cached (the second request reaches the engine again), none leaks a trace."""
    app = create_app(Settings(lookup_lane=False), engine=FailingEngine(error))
    query = f"ASK {{}} # {uuid.uuid4()}"
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(2):
            response = client.get("/sparql", params={"query": query})
            assert response.status_code == status
            assert response.text.startswith(starts)
            assert "secret" not in response.text and "Traceback" not in response.text
            assert response.headers.get("retry-after") == retry_after
            assert response.headers["access-control-allow-origin"] == "*"
            assert response.headers["cache-control"] == "no-store"
        assert len(app.state.coopkg.runner.cache) == 0
    logged = [
        f"{r.getMessage()} {r.exc_info[0].__name__ if r.exc_info else ''}"
        for r in caplog.records
        if r.levelname in ("WARNING", "ERROR")
    ]
    assert any(type(error).__name__ in m or str(error) in m for m in logged), logged


ODD_REQUESTS = [
    ("GET", {"query": "\x00"}, {}, None),
    ("GET", {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 99999999999999999999999"}, {}, None),
    ("GET", {"query": 'SELECT * WHERE { BIND(STRDT("x", <bad iri>) AS ?x) }'}, {}, None),
    ("GET", {"query": ASK, "named-graph-uri": "http://x y"}, {}, None),
    ("POST", None, {"Content-Type": "application/sparql-query; charset"}, b"ASK {}"),
    ("POST", None, {"Content-Type": ";;;"}, b"ASK {}"),
    ("POST", None, {"Content-Type": "application/x-www-form-urlencoded"}, b"%%%=&&&=="),
    ("GET", {"query": json.dumps({"a": 1})}, {"Accept": "*/*;q=x"}, None),
]


@pytest.mark.parametrize("method,params,headers,content", ODD_REQUESTS)
def test_no_answer_ever_carries_a_trace(base, method, params, headers, content) -> None:
    """Odd requests; `call` checks each body for a trace."""
    response = call(base, method, params=params, headers=headers, content=content)
    assert response.status_code < 500 or response.status_code == 503, (params, response.text)
