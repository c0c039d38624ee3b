"""Writing the expected result of an example query (a developer aid behind `coopkg queries
--write-expected`): the query runs on the shipped graph and its result is written beside it,
pretty JSON with one solution per line or Turtle with the project's prefixes, so that a reviewer
reads it as a table and a diff shows the rows that changed. A written result must be read and
checked against the sources before it is committed."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import rdflib

from .catalogue import ExampleQuery, expected_suffix
from .dataset import default_sources, load_store
from .vocab import PREFIXES

__all__ = ["readable_json", "write_expected"]


def write_expected(entry: ExampleQuery, store: ox.Store | None = None) -> Path:
    """Run `entry` on `store` (default: the shipped graph) and write its result beside it."""
    if store is None:
        store, _ = load_store(default_sources())
    result = store.query(entry.query)
    target = entry.path.with_suffix(expected_suffix(entry.kind))
    if entry.returns_graph:
        assert isinstance(result, ox.QueryTriples)
        nt = result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
        graph = rdflib.Graph()
        graph.parse(data=nt.decode("utf-8"), format="nt")
        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns, override=True)
        target.write_text(graph.serialize(format="turtle"), encoding="utf-8")
    else:
        assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
        data = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON) or b"{}")
        target.write_text(readable_json(data), encoding="utf-8")
    return target


def readable_json(data: dict) -> str:
    """SPARQL JSON results with one solution per line."""

    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    if "boolean" in data:
        return '{\n  "head": {},\n  "boolean": ' + dump(data["boolean"]) + "\n}\n"
    rows = data["results"]["bindings"]
    lines = ["{", '  "head": ' + dump(data["head"]) + ",", '  "results": {"bindings": [']
    lines += ["    " + dump(row) + ("," if i < len(rows) - 1 else "") for i, row in enumerate(rows)]
    lines += ["  ]}", "}"]
    return "\n".join(lines) + "\n"
