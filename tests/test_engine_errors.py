"""A failure inside the engine that is not the query's fault (a serialiser bug, say) is a 500,
logged, and never cached: the next identical request reaches the engine again.

The fault is injected into the real worker processes of a real server: a `sitecustomize` module
on PYTHONPATH (which every interpreter the server starts, the zygote included, imports at
start-up) wraps coopkg.query.worker.evaluate so that a query carrying a marker raises a plain
ValueError and leaves a line in a file."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import httpx
from conftest import running_server

MARKER = "FAULT-INJECTION"

SITECUSTOMIZE = f"""
import os

import coopkg.query.worker as worker

_evaluate = worker.evaluate


def evaluate(store, job, formats, settings):
    if {MARKER!r} in job.query:
        with open(os.environ["COOPKG_TEST_FAULTS"], "a") as log:
            log.write(job.query.splitlines()[-1] + "\\n")
        raise ValueError("an injected serialiser bug")
    return _evaluate(store, job, formats, settings)


worker.evaluate = evaluate
"""


def test_an_engine_failure_is_a_logged_500_and_never_cached(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    faults = tmp_path / "faults.txt"
    env = {"PYTHONPATH": str(tmp_path), "COOPKG_TEST_FAULTS": str(faults)}
    query = f"ASK {{ ?s ?p ?o }}\n# {MARKER} {uuid.uuid4()}"
    with running_server(env=env) as base:
        answers = [httpx.get(f"{base}/sparql", params={"query": query}) for _ in range(2)]
        healthy = httpx.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"})
    for answer in answers:
        assert answer.status_code == 500, answer.text
        assert "ValueError: an injected serialiser bug" in answer.text
        assert answer.headers["cache-control"] == "no-store"
        assert "Traceback" not in answer.text
    # both requests reached a worker: the first failure was not kept as an answer
    assert faults.read_text().count(MARKER) == 2
    assert healthy.status_code == 200
