"""Prepared answers (coopkg.answers): reusable answers replayed by the connection before any ASGI
work. First against a counting application behind the real protocol on 127.0.0.1, to see which
requests reach the application at all; then against `coopkg serve`, to see that a replayed answer
is the one the application gives, on keep-alive, pipelined, HEAD and conditional requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import running_server
from coopkg.answers import AnswerRecorder, PreparedAnswers
from coopkg.config import Settings
from coopkg.connection import guarded_protocol
from coopkg.local import free_port
from test_connections import Reader, connect, request

# -- Which requests reach the application --------------------------------------------------------


class CountingApp:
    """Answers `/public` reusably (ETag, public, length), `/private` with no-store, and says how
    often it was called, with the Accept header in the body."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: dict, _receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.calls += 1
        accept = dict(scope["headers"]).get(b"accept", b"")
        body = b"call %d for %s" % (self.calls, accept)
        public = scope["path"] == "/public"
        headers = [
            (b"content-type", b"text/plain"),
            (b"content-length", str(len(body)).encode()),
            (b"etag", b'W/"tag"'),
            (b"cache-control", b"public, max-age=300" if public else b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def counting() -> Iterator[tuple[str, CountingApp, PreparedAnswers]]:
    app = CountingApp()
    answers = PreparedAnswers(max_entries=16, max_bytes=1 << 20)
    port = free_port()
    config = uvicorn.Config(
        AnswerRecorder(app, answers),
        host="127.0.0.1",
        port=port,
        http=guarded_protocol(Settings(), answers),
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", app, answers
    server.should_exit = True
    thread.join(timeout=10)


def test_a_repeated_request_is_answered_without_the_application(counting) -> None:
    base, app, _ = counting
    before = app.calls
    with httpx.Client(base_url=base) as client:
        first = [client.get("/public", headers={"Accept": "text/a"}) for _ in range(3)]
        other = client.get("/public", headers={"Accept": "text/b"})
    assert app.calls == before + 2  # once per distinct request
    assert {r.text for r in first} == {f"call {before + 1} for text/a"}
    assert other.text == f"call {before + 2} for text/b"
    assert first[2].headers["etag"] == 'W/"tag"' and first[2].headers["date"]


def test_what_is_not_reusable_always_reaches_the_application(counting) -> None:
    base, app, _ = counting
    before = app.calls
    with httpx.Client(base_url=base) as client:
        for _ in range(3):
            client.get("/private")
        for _ in range(2):
            client.post("/public", content=b"x")
    assert app.calls == before + 5


def test_a_new_dataset_version_forgets_every_answer(counting) -> None:
    base, app, answers = counting
    with httpx.Client(base_url=base) as client:
        client.get("/public", headers={"Accept": "text/c"})
        before = app.calls
        client.get("/public", headers={"Accept": "text/c"})
        assert app.calls == before
        answers.clear()
        client.get("/public", headers={"Accept": "text/c"})
    assert app.calls == before + 1


def test_an_answer_made_before_a_change_is_not_kept() -> None:
    answers = PreparedAnswers(max_entries=4, max_bytes=1 << 20)
    headers = [(b"etag", b'"x"'), (b"cache-control", b"public"), (b"content-length", b"1")]
    generation = answers.generation
    answers.clear()
    assert not answers.put("key", generation, 200, headers, b"x")
    assert answers.put("key", answers.generation, 200, headers, b"x")
    assert not answers.put("k2", answers.generation, 404, headers, b"x")
    assert not answers.put("k3", answers.generation, 200, [*headers, (b"set-cookie", b"a")], b"x")


# -- The real server: a replay is the application's answer ---------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with running_server() as base:
        yield base


def _same_but_date(a: dict[str, str], b: dict[str, str]) -> None:
    a, b = dict(a), dict(b)
    for fields in (a, b):
        fields.pop("date", None)
        fields.pop("coopkg-cache", None)
    assert a == b


@pytest.mark.parametrize(
    ("target", "accept"),
    [
        ("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D", "application/sparql-results+json"),
        ("/id/organisation/ica", "text/turtle"),
        ("/id/organisation/ica", "text/html"),
        ("/", "text/html"),
    ],
)
def test_replayed_answers_are_the_applications(served: str, target: str, accept: str) -> None:
    with connect(served) as sock:
        reader = Reader(sock)
        answers = []
        for _ in range(3):
            sock.sendall(request(target, headers=f"Accept: {accept}\r\n"))
            answers.append(reader.answer())
    (s1, f1, b1), (s2, f2, b2), (s3, f3, b3) = answers
    assert s1 == s2 == s3 == 200 and b1 == b2 == b3
    _same_but_date(f1, f2)
    _same_but_date(f2, f3)
    assert f3.get("coopkg-cache", "hit") == "hit"


def test_languages_and_conditions_are_told_apart(served: str) -> None:
    with httpx.Client(base_url=served) as client:
        pages = {}
        for _ in range(2):
            for lang in ("en", "fr"):
                got = client.get(
                    "/id/organisation/ica",
                    headers={"Accept": "text/html", "Accept-Language": lang},
                )
                pages.setdefault(lang, set()).add(got.headers["content-language"])
        assert pages == {"en": {"en"}, "fr": {"fr"}}
        tag = client.get("/id/organisation/ica", headers={"Accept": "text/turtle"}).headers["etag"]
        for _ in range(2):
            same = client.get(
                "/id/organisation/ica", headers={"Accept": "text/turtle", "If-None-Match": tag}
            )
            other = client.get(
                "/id/organisation/ica", headers={"Accept": "text/turtle", "If-None-Match": '"x"'}
            )
            assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == tag
            assert other.status_code == 200 and other.content


def test_pipelined_replays_stay_in_order_with_head(served: str) -> None:
    one = "/sparql?query=" + "SELECT%20(1%20AS%20%3Fn)%20%7B%7D"
    two = "/sparql?query=" + "SELECT%20(2%20AS%20%3Fn)%20%7B%7D"
    with connect(served) as sock:
        reader = Reader(sock)
        for target in (one, two):  # made once, so that what follows is replayed
            sock.sendall(request(target))
            reader.answer()
        sock.sendall(request(one) + request(two, "HEAD") + request(two) + request(one))
        first, head, second, third = (
            reader.answer(),
            reader.answer(head_only=True),
            reader.answer(),
            reader.answer(),
        )
    assert b'"1"' in first[2] and b'"2"' in second[2] and b'"1"' in third[2]
    assert head[0] == 200 and int(head[1]["content-length"]) == len(second[2])


def test_an_idle_connection_is_closed_after_a_replayed_answer(served: str) -> None:
    target = "/id/organisation/ica"
    with connect(served, timeout=15) as sock:
        reader = Reader(sock)
        for _ in range(2):
            sock.sendall(request(target))
            assert reader.answer()[0] == 200
        started = time.monotonic()
        assert reader.closed()  # blocks until the server closes the idle connection
        took = time.monotonic() - started
    assert took < 5 + 2  # uvicorn's keep-alive time, plus the deadline timer's tick and slack
