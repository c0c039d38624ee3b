"""`coopkg load --store DIR` and `coopkg serve --store DIR`: all-or-nothing bulk loading into an
on-disk store that records its dataset, and serving it after a restart with no parsing, with
the same answers, ETags and time-outs as the embedded engine over the files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, burn_query, running_server
from coopkg.meta import open_store

GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def coopkg_load(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coopkg.cli", "load", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _etag_of(folder: Path) -> str:
    store, info = open_store(folder)
    del store
    return info.etag


@pytest.fixture(scope="module")
def shipped_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("store") / "kg"
    loaded = coopkg_load("--store", folder)
    assert loaded.returncode == 0, loaded.stderr
    assert "quads" in loaded.stderr and "named graphs" in loaded.stderr
    return folder


def test_serve_store_answers_as_the_files_do(shipped_store: Path, server: str) -> None:
    with running_server("--store", str(shipped_store), "--timeout", "1") as base:
        for query in (GRAPHS, "SELECT ?s WHERE { ?s a ?type } ORDER BY ?s LIMIT 20"):
            ours = httpx.get(f"{base}/sparql", params={"query": query}, timeout=30)
            theirs = httpx.get(f"{server}/sparql", params={"query": query}, timeout=30)
            assert ours.status_code == theirs.status_code == 200
            assert ours.json() == theirs.json()
            assert ours.headers["etag"] == theirs.headers["etag"]
        burned = httpx.get(f"{base}/sparql", params={"query": burn_query(4)}, timeout=30)
        assert burned.status_code == 503 and "stopped" in burned.text
        assert httpx.get(f"{base}/sparql", params={"query": "ASK {}"}).status_code == 200


def test_a_syntax_error_leaves_the_store_as_it_was(shipped_store: Path, tmp_path: Path) -> None:
    before = _etag_of(shipped_store)
    good = tmp_path / "a-good.nt"
    good.write_text("<http://e/a> <http://e/p> <http://e/b> .\n" * 1000)
    bad = tmp_path / "b-bad.nt"
    bad.write_text("<http://e/a> <http://e/p> <http://e/b> .\n" * 4999 + "<http://e/a> oops .\n")
    refused = coopkg_load("--store", shipped_store, good, bad, "--force")
    assert refused.returncode == 2
    assert "b-bad.nt, line 5000" in refused.stderr and "unchanged" in refused.stderr
    assert _etag_of(shipped_store) == before
    assert not list(shipped_store.parent.glob(".*loading*"))


def test_another_dataset_is_refused_unless_told(tmp_path: Path) -> None:
    folder = tmp_path / "kg"
    one, two = tmp_path / "one.ttl", tmp_path / "two.trig"
    one.write_text('<http://e/a> <http://e/p> "one" .\n')
    two.write_text('GRAPH <http://e/g> { <http://e/b> <http://e/p> "two" . }\n')
    assert coopkg_load("--store", folder, one).returncode == 0
    assert coopkg_load("--store", folder, one).returncode == 0  # the same dataset: fine
    refused = coopkg_load("--store", folder, two)
    assert refused.returncode == 1 and "another dataset" in refused.stderr
    assert coopkg_load("--store", folder, two, "--append").returncode == 0
    store, info = open_store(folder)
    assert len(store) == 2 and info.named_graphs == ("http://e/g",)
    assert [p.name for p in info.files] == ["one.ttl", "two.trig"]
    del store
    assert coopkg_load("--store", folder, two, "--force").returncode == 0
    store, info = open_store(folder)
    assert len(store) == 1 and [p.name for p in info.files] == ["two.trig"]


def test_progress_is_plain_lines_off_a_terminal(tmp_path: Path) -> None:
    data = tmp_path / "d.nt"
    data.write_text("<http://e/a> <http://e/p> <http://e/b> .\n")
    loaded = coopkg_load("--store", tmp_path / "kg", data)
    assert loaded.returncode == 0
    assert "\r" not in loaded.stderr and "\x1b" not in loaded.stderr
    lines = loaded.stderr.splitlines()
    assert lines[0].startswith(f"coopkg load: {data} read; ") and "ETA" in lines[0]
    assert lines[-1].startswith("coopkg load: 1 files")
