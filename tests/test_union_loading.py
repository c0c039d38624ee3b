"""Files loaded with their named graphs copied into the default graph (data/ is, and
`--union-default-graph` files are): a blank node is one node in its source's graph and in the
union, and two files' blank nodes with the same label stay two nodes. Both loaders: the server's
(coopkg.dataset.load_store) and `coopkg load`'s (coopkg.store.bulk_load)."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest
from coopkg.dataset import GraphSource, load_store
from coopkg.store import _Progress, bulk_load

TRIG = """@prefix ex: <http://example.org/> .
ex:source-{n} {{
  ex:r{n} ex:address _:place .
  _:place ex:city "City {n}" .
  ex:r{n} ex:seat [ ex:room {n} ] .
}}
"""

SAME_NODE = """SELECT (COUNT(*) AS ?n) WHERE {
  GRAPH ?g { ?r <http://example.org/address> ?b . ?b <http://example.org/city> ?city }
  ?r <http://example.org/address> ?b . ?b <http://example.org/city> ?city
}"""
BLANKS = "SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?s ?p ?b FILTER(isBlank(?b)) }"


def _files(tmp_path: Path) -> list[GraphSource]:
    sources = []
    for n in (1, 2):
        path = tmp_path / f"s{n}.trig"
        path.write_text(TRIG.format(n=n), encoding="utf-8")
        sources.append(GraphSource(path, union=True))
    return sources


def _count(store: ox.Store, query: str) -> int:
    [row] = store.query(query)  # type: ignore[misc]
    return int(row["n"].value)


def _server_store(sources: list[GraphSource]) -> ox.Store:
    return load_store(sources)[0]


def _bulk_store(sources: list[GraphSource]) -> ox.Store:
    store = ox.Store()
    bulk_load(sources, store, _Progress(0, io.StringIO()))
    return store


@pytest.mark.parametrize("loader", [_server_store, _bulk_store], ids=["serve", "coopkg-load"])
def test_a_blank_node_is_one_node_in_its_graph_and_in_the_union(tmp_path: Path, loader) -> None:
    store = loader(_files(tmp_path))
    assert _count(store, SAME_NODE) == 2  # each file's place, found through both graphs
    assert _count(store, BLANKS) == 4  # two files × (a place and a seat): `_:place` twice is two
    assert len(store) == 2 * 4 * 2  # 2 files × 4 statements, in the source's graph and the union
