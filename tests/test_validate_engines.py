"""The SHACL engine `coopkg validate` runs (pyshacl-turbo, in Rust, on the pyoxigraph store) gives
exactly what pySHACL, the reference it replaced, gives: on the valid base, on every invalid fixture
and on the shipped graph, every result's focus node, shape, component, severity, path, value and
message. pySHACL runs here on the same data as an rdflib graph, the way coopkg ran it before."""

from __future__ import annotations

from pathlib import Path

import pytest
from coopkg.files import graph_dir
from coopkg.validate import Inputs, load_inputs, validate
from coopkg.validate.provenance import COMPONENT as PROVENANCE
from pyshacl import validate as reference_validate
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.namespace import SH
from test_validate import BASE, INVALID, TEST_NS, overlay

Row = tuple


def reference_rows(inputs: Inputs) -> set[Row]:
    """pySHACL's top-level results, as coopkg ran it before (no inference, warnings allowed)."""
    _conforms, report, _text = reference_validate(
        inputs.data,
        shacl_graph=inputs.shapes,
        inference="none",
        allow_warnings=True,
        allow_infos=True,
    )
    return rows(report)


def rows(report: Graph) -> set[Row]:
    found = set()
    for top in report.subjects(RDF.type, SH.ValidationReport):
        for node in report.objects(top, SH.result):
            path = report.value(node, SH.resultPath)
            found.add(
                (
                    report.value(node, SH.focusNode),
                    report.value(node, SH.sourceShape),
                    report.value(node, SH.sourceConstraintComponent),
                    report.value(node, SH.resultSeverity),
                    None if isinstance(path, BNode) else path,  # SPARQL paths: fresh blank nodes
                    report.value(node, SH.value),
                    tuple(sorted(map(str, report.objects(node, SH.resultMessage)))),
                )
            )
    return found


def coopkg_rows(inputs: Inputs) -> set[Row]:
    """What coopkg's engine reported, from its SHACL report (provenance rules set aside: pySHACL
    never saw those)."""
    result = validate(inputs)
    shacl = {r.shape for r in result.results if r.component != PROVENANCE}
    return {row for row in rows(result.report) if row[1] in shacl}


@pytest.mark.parametrize("fixture", [None, *INVALID], ids=lambda p: p.stem if p else "base")
def test_engine_agrees_with_pyshacl_on_every_fixture(fixture: Path | None):
    inputs = overlay(fixture)
    expected = reference_rows(inputs)
    assert fixture is None or expected, "a fixture pySHACL finds nothing wrong with"
    assert coopkg_rows(inputs) == expected


def test_engine_agrees_with_pyshacl_on_the_shipped_graph():
    inputs = load_inputs([graph_dir(name) for name in ("ontology", "data", "shapes")])
    assert coopkg_rows(inputs) == reference_rows(inputs)


def test_files_are_validated_as_their_union(tmp_path: Path):
    """Each file sits in a graph of its own in the store; the engine sees one data graph: a type
    stated in one file makes a target of a resource described in another, and a statement two
    files make is one value (sh:maxCount 1 holds), counted once."""
    ontology, base, shapes = graph_dir("ontology"), BASE, graph_dir("shapes")
    alone = validate(load_inputs([ontology, base, shapes]))
    again = tmp_path / "again.ttl"
    again.write_text(
        "@prefix ex: <https://example.org/coopkg-test/> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        "ex:site schema:containedInPlace ex:city .\n"
    )
    twice = validate(load_inputs([ontology, base, again, shapes]))
    assert alone.results == [] and twice.results == []
    assert twice.triples == alone.triples
    moved = tmp_path / "moved.ttl"
    moved.write_text(
        "@prefix ex: <https://example.org/coopkg-test/> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        "ex:site schema:containedInPlace ex:nowhere .\n"
    )
    results = validate(load_inputs([ontology, base, moved, shapes])).results
    site = URIRef(TEST_NS + "site")
    assert {(r.focus, r.component) for r in results} == {
        (site, SH.MaxCountConstraintComponent),  # two places: one from each file
        (site, SH.ClassConstraintComponent),  # ex:nowhere is typed nowhere
    }
