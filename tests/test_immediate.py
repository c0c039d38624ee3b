"""Lookups answered by the connection (coopkg.web.immediate) are byte for byte the application's.

Two real `coopkg serve` on 127.0.0.1 over the shipped graph: one as shipped, one with the
immediate answers off (`COOPKG_LOOKUP_IN_CONNECTION=0`, every request through ASGI). Both get the
same requests in the same order (so their result caches and prepared answers evolve alike); every
answer must have the same status line, the same header fields in the same order but Date and
Server, and the same body. Then, in process, that the lookups were indeed answered immediately and
that what must not be is not.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

import httpx
import pytest
import uvicorn
from conftest import data_subjects, running_server
from coopkg.answers import PreparedAnswers
from coopkg.config import Settings
from coopkg.connection import guarded_protocol
from coopkg.local import free_port
from coopkg.web import create_app

JSON = "application/sparql-results+json"
_SKIPPED = (b"date", b"server")


class Conversation:
    """One keep-alive connection that sends raw requests and reads raw answers."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=20)
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self.buffer += chunk

    def ask(self, method: str, target: str, headers: list[tuple[str, str]]) -> tuple:
        """(status line, header lines but Date and Server, body)."""
        lines = [
            f"{method} {target} HTTP/1.1",
            "Host: 127.0.0.1",
            *(f"{n}: {v}" for n, v in headers),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *fields = head.split(b"\r\n")
        length = 0
        for field in fields:
            name, _, value = field.partition(b": ")
            assert name == name.lower(), field
            if name == b"content-length":
                length = int(value)
            assert name != b"transfer-encoding", "lookups are answered with a Content-Length"
        if method == "HEAD" or status.split()[1] in (b"304", b"204"):
            length = 0
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        kept = tuple(f for f in fields if f.partition(b":")[0] not in _SKIPPED)
        return status, kept, body

    def close(self) -> None:
        self.sock.close()


def _subjects(base: str, count: int) -> list[str]:
    query = f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT {count}"
    answer = httpx.get(f"{base}/sparql", params={"query": query}, headers={"Accept": JSON})
    return [row["s"]["value"] for row in answer.json()["results"]["bindings"]]


def _queries(subject: str) -> list[str]:
    return [
        f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}",
        f"SELECT ?o ?p WHERE {{ <{subject}> ?p ?o . }} LIMIT 3",
        f"SELECT ?o WHERE {{ <{subject}> a ?o }}",
        f"SELECT ?o {{ <{subject}> <http://www.w3.org/2000/01/rdf-schema#label> ?o }} OFFSET 1",
    ]


# Header variants: the ones the immediate answers take, and some they must leave to the app.
_VARIANTS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("GET", "", []),
    ("GET", "", [("Accept", JSON)]),
    ("HEAD", "", [("Accept", JSON)]),
    ("GET", "", [("Accept", "application/sparql-results+xml")]),
    ("GET", "", [("Accept", "text/csv")]),
    ("GET", "", [("Accept", "text/tab-separated-values, */*;q=0.1")]),
    ("GET", "", [("Accept", "text/turtle")]),  # 406: left to the application
    ("GET", "", [("Accept", "application/problem+json, text/turtle")]),
    ("GET", "&format=xml", [("Accept", JSON)]),
    ("GET", "&format=nonsense", []),
    ("GET", "", [("Accept", JSON), ("Origin", "https://example.org")]),
    ("GET", "", [("Accept", JSON), ("Accept", "text/csv;q=0.5")]),
    ("GET", "", [("User-Agent", "test/1"), ("Accept-Encoding", "gzip"), ("Accept", JSON)]),
    ("GET", "", [("Accept", JSON), ("If-None-Match", "{etag}")]),
    ("HEAD", "", [("Accept", JSON), ("If-None-Match", "{etag}")]),
    ("GET", "", [("Accept", JSON), ("If-None-Match", 'W/"other", {etag}')]),
    ("GET", "", [("Accept", JSON), ("If-None-Match", "*")]),
    ("GET", "", [("Accept", JSON), ("If-None-Match", 'W/"other"')]),
    ("GET", "", [("Accept", JSON), ("X-Unusual", "1")]),  # left to the application
    ("GET", "&default-graph-uri=urn%3Ax", [("Accept", JSON)]),
    ("GET", "&update=x", [("Accept", JSON)]),
    ("GET", "&query=x", [("Accept", JSON)]),
]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    off = {"COOPKG_LOOKUP_IN_CONNECTION": "0"}
    with running_server() as fast, running_server(env=off) as usual:
        yield fast, usual


def test_immediate_answers_are_the_applications_byte_for_byte(servers) -> None:
    fast, usual = servers
    subjects = _subjects(usual, 30)
    assert len(subjects) == 30
    conversations = [Conversation(fast), Conversation(usual)]
    compared = 0
    try:
        for subject in subjects:
            for query in _queries(subject):
                target = "/sparql?query=" + quote(query, safe="")
                etag = ""
                for method, extra, headers in _VARIANTS:
                    fields = [(n, v.replace("{etag}", etag)) for n, v in headers]
                    for _ in range(2):  # the second: a result cache hit or a prepared answer
                        a, b = (c.ask(method, target + extra, fields) for c in conversations)
                        assert a == b, (method, target + extra, fields)
                        compared += 1
                        if not etag and a[0].endswith(b"200 OK"):
                            etag = dict(f.split(b": ", 1) for f in a[1])[b"etag"].decode()
    finally:
        for conversation in conversations:
            conversation.close()
    assert compared == 30 * 4 * len(_VARIANTS) * 2


# Linked-data documents: (method, path suffix or query, header fields). The immediate answers take
# plain GETs and HEADs of a resource's URL and its documents; the rest is left to the route.
_DOCUMENT_VARIANTS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("GET", "", []),
    ("GET", "", [("Accept", "text/turtle")]),
    ("HEAD", "", [("Accept", "text/turtle")]),
    ("GET", "", [("Accept", "application/ld+json, application/json;q=0.9, */*;q=0.1")]),
    ("GET", "", [("Accept", "text/html"), ("Accept-Language", "fr-FR,fr;q=0.9")]),
    ("GET", "", [("Accept", "text/html"), ("Accept-Language", "es")]),
    ("GET", ".ttl", []),
    ("GET", ".trig", []),
    ("GET", ".nq", [("Accept", "text/html")]),
    ("GET", ".html", [("Accept-Language", "fr")]),
    ("GET", ".rdf", []),
    ("GET", "", [("Accept", "text/turtle"), ("If-None-Match", "{etag}")]),
    ("HEAD", "", [("Accept", "text/turtle"), ("If-None-Match", "{etag}")]),
    ("GET", "", [("Accept", "text/turtle"), ("If-None-Match", "*")]),
    ("GET", "", [("Accept", "text/turtle"), ("If-None-Match", 'W/"other"')]),
    ("GET", "", [("Accept", "image/png")]),  # 406: the route's
    ("GET", "?lang=fr", [("Accept", "text/html")]),  # a query string: the route's
    ("GET", "?format=nt", []),
    ("GET", "", [("Accept", "text/turtle"), ("Accept", "text/html")]),  # repeated: the route's
    ("GET", "", [("Accept", "text/html"), ("X-Forwarded-Proto", "https")]),  # the route's
    ("GET", "/missing", [("Accept", "text/turtle")]),  # 404: the route's
    ("GET", "%41", [("Accept", "text/turtle")]),  # encoded: the route's
]


def test_immediate_documents_are_the_routes_byte_for_byte(servers) -> None:
    fast, usual = servers
    base = "https://w3id.org/coops4dev/"
    resources = sorted(str(s).removeprefix(base) for s in data_subjects())
    # Not the dataset's page: the gzip dumps it lists differ in size between two servers (the
    # shapes' blank nodes are labelled afresh by each load).
    resources = resources[:: max(1, len(resources) // 40)]
    conversations = [Conversation(fast), Conversation(usual)]
    compared = 0
    try:
        for resource in resources:
            etag = ""
            for method, extra, headers in _DOCUMENT_VARIANTS:
                fields = [(n, v.replace("{etag}", etag)) for n, v in headers]
                target = f"/{resource}{extra}"
                for _ in range(2):  # the second: a kept document or a prepared answer
                    a, b = (c.ask(method, target, fields) for c in conversations)
                    assert a == b, (method, target, fields)
                    compared += 1
                    if not etag and a[0].endswith(b"200 OK"):
                        etag = dict(f.split(b": ", 1) for f in a[1])[b"etag"].decode()
                assert etag, resource
    finally:
        for conversation in conversations:
            conversation.close()
    assert compared == len(resources) * len(_DOCUMENT_VARIANTS) * 2


# -- In process: which requests the connection answered itself --------------------------------


class Counted:
    """Wraps the application's immediate answers, counting what it made."""

    def __init__(self, answers: PreparedAnswers) -> None:
        self.inner = answers.immediate
        assert self.inner is not None
        self.made = 0
        self.declined = 0

    def __call__(self, *args: object) -> object:
        made = self.inner(*args)  # type: ignore[misc]
        if made is None:
            self.declined += 1
        else:
            self.made += 1
        return made


@contextmanager
def _in_process(settings: Settings) -> Iterator[tuple[str, PreparedAnswers, Counted]]:
    answers = PreparedAnswers(settings.cache_entries, settings.cache_max_bytes)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, answers=answers),
        host="127.0.0.1",
        port=port,
        http=guarded_protocol(settings, answers),
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started or answers.immediate is None:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    counted = Counted(answers)
    answers.immediate = counted
    try:
        yield f"http://127.0.0.1:{port}", answers, counted
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def in_process() -> Iterator[tuple[str, PreparedAnswers, Counted]]:
    with _in_process(Settings(cache_entries=0, query_workers=1)) as served:  # nothing kept
        yield served


def test_immediate_answers_are_kept_and_forgotten_with_the_dataset_version() -> None:
    """A lookup just evaluated is kept by the result cache; its repeat, answered from there, is
    kept as a prepared answer, and the next one replayed."""
    with _in_process(Settings(query_workers=1)) as (base, answers, counted):
        subject = _subjects(base, 1)[0]
        lookup = {"query": f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}"}
        with httpx.Client(base_url=base) as client:
            kept, hits = len(answers), answers.hits
            first = client.get("/sparql", params=lookup)
            assert first.headers["coopkg-cache"] == "miss"
            assert counted.made == 1 and len(answers) == kept  # not kept at once
            second = client.get("/sparql", params=lookup)
            assert second.headers["coopkg-cache"] == "hit"
            assert counted.made == 2 and len(answers) == kept + 1  # from the cache, then kept
            again = client.get("/sparql", params=lookup)
            assert counted.made == 2 and answers.hits == hits + 1  # replayed, not made again
            assert again.content == first.content and again.headers["coopkg-cache"] == "hit"
            answers.clear()  # what a new dataset version does
            assert len(answers) == 0
            client.get("/sparql", params=lookup)
            assert counted.made == 3 and len(answers) == 1  # made again, and kept again


def test_a_document_is_kept_as_an_answer_at_its_first_repeat() -> None:
    with _in_process(Settings(query_workers=1)) as (base, answers, counted):
        turtle = {"Accept": "text/turtle"}
        with httpx.Client(base_url=base) as client:
            kept, hits = len(answers), answers.hits
            first = client.get("/id/principle/1", headers=turtle)
            assert counted.made == 1 and len(answers) == kept  # rendered, kept as a document
            second = client.get("/id/principle/1", headers=turtle)
            assert counted.made == 2 and len(answers) == kept + 1  # the document kept, then kept
            third = client.get("/id/principle/1", headers=turtle)
            assert counted.made == 2 and answers.hits == hits + 1  # replayed
            assert first.content == second.content == third.content
            assert first.headers["etag"] == third.headers["etag"]


def test_lookups_are_answered_by_the_connection(in_process) -> None:
    base, _, counted = in_process
    subject = _subjects(base, 1)[0]
    made = counted.made
    with httpx.Client(base_url=base) as client:
        for query in _queries(subject):
            for _ in range(2):
                answer = client.get("/sparql", params={"query": query}, headers={"Accept": JSON})
                assert answer.status_code == 200
                assert answer.headers["coopkg-cache"] == "miss"  # no cache: made each time
    assert counted.made == made + 8


def test_what_is_not_certainly_equivalent_reaches_the_application(in_process) -> None:
    base, _, counted = in_process
    subject = _subjects(base, 1)[0]
    lookup = f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}"
    made = counted.made
    with httpx.Client(base_url=base) as client:
        assert client.post("/sparql", data={"query": lookup}).status_code == 200
        assert client.get("/sparql", params={"query": lookup}, headers={"X-Odd": "1"}).is_success
        assert client.get("/sparql", params={"query": "ASK {}"}).is_success
        assert client.get("/sparql", params={"query": lookup, "update": "x"}).status_code == 403
        assert client.get("/sparql", params={"query": lookup + " }"}).status_code == 400
        assert client.get("/sparql/", params={"query": lookup}).is_success  # made: the same path
    assert counted.made == made + 1


def test_documents_are_answered_by_the_connection(in_process) -> None:
    base, _, counted = in_process
    made = counted.made
    with httpx.Client(base_url=base) as client:
        for path in ("/id/organisation/ica", "/id/organisation/ica.trig"):
            for accept in ("text/turtle", "text/html"):
                for _ in range(2):  # nothing kept: rendered again from the store in process
                    answer = client.get(path, headers={"Accept": accept})
                    assert answer.status_code == 200, answer.text
                    assert answer.headers["content-location"].startswith(path)
        assert counted.made == made + 8
        declined = counted.declined
        assert client.get("/id/organisation/ica?lang=fr").status_code == 200
        assert client.get("/id/no/such/thing", headers={"Accept": "text/turtle"}).status_code == 404
        dataset = client.get("/id/dataset/coops4dev", headers={"Accept": "text/turtle"})
        assert dataset.status_code == 200  # its computed statements need an await: the route's
        assert counted.made == made + 8 and counted.declined == declined + 3
