"""Statement-level provenance in `coopkg validate`: every statement of the data sits in a named
graph whose name is a source described in the data (coopkg.validate.provenance).

The fixture tests/fixtures/provenance/sourced/data/ is TriG in which every statement is sourced;
each test copies it to a folder named `data`, breaks one thing, and asserts exit code, file, exact
line, resource, predicate and rule, through the command (a subprocess) and the function. The
shipped data/ conforms, and a statement added to a copy of it without a source fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from coopkg.files import graph_dir
from coopkg.validate import SHAPES_NS, load_inputs, validate
from coopkg.validate.inputs import needs_sources
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "provenance"
SOURCED = FIXTURES / "sourced" / "data"
SHAPES_FILE = FIXTURES / "provenance.shapes.ttl"
EX = "https://example.org/coopkg-test/"
SRC = "https://w3id.org/coops4dev/id/source/"
STATEMENT_RULE = URIRef(SHAPES_NS + "StatementSourceRule")
DESCRIBED_RULE = URIRef(SHAPES_NS + "DescribedSourceRule")
COMPONENT = URIRef(SHAPES_NS + "StatementProvenanceConstraintComponent")


def run_validate(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coopkg.cli", "validate", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def sourced_copy(tmp_path: Path, append: str = "", old: str = "", new: str = "") -> Path:
    """The sourced fixture in tmp_path/data, with `append` added to organisations.trig and `old`
    replaced by `new` in it; returns organisations.trig."""
    data = tmp_path / "data"
    shutil.copytree(SOURCED, data)
    path = data / "organisations.trig"
    text = path.read_text(encoding="utf-8")
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text + append, encoding="utf-8")
    return path


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_sourced_trig_conforms():
    done = run_validate(SOURCED, SHAPES_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("coopkg validate: conforms — 13 triples"), done.stdout
    assert validate(load_inputs([SOURCED, SHAPES_FILE])).results == []


def test_trig_data_is_validated_by_shacl_as_turtle_is(tmp_path: Path):
    path = sourced_copy(tmp_path, old='rdfs:label "Coop B"@en ', new="")
    result = validate(load_inputs([path.parent, SHAPES_FILE]))
    assert result.keys() == {
        (URIRef(EX + "OrganisationShape-label"), SH.MinCountConstraintComponent)
    }


def test_statement_without_a_source_exits_1(tmp_path: Path):
    path = sourced_copy(tmp_path, append='ex:alliance ex:motto "Test motto" .\n')
    line = line_count(path)
    done = run_validate(path.parent, SHAPES_FILE)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{path}:{line}: <{EX}alliance>" in done.stdout, done.stdout
    assert (
        "violation: statement source (coopsh:StatementSourceRule), "
        "coopsh:StatementProvenanceConstraintComponent\n      statement without a source"
    ) in done.stdout
    assert 'path ex:motto, value "Test motto"' in done.stdout
    assert "does not conform — 1 violation in 1 file" in done.stdout
    (result,) = validate(load_inputs([path.parent, SHAPES_FILE])).results
    assert (result.shape, result.component, result.is_violation) == (
        STATEMENT_RULE,
        COMPONENT,
        True,
    )
    assert (result.focus, result.path) == (URIRef(EX + "alliance"), URIRef(EX + "motto"))
    assert result.location is not None and (result.location.file, result.location.line) == (
        path,
        line,
    )


def test_undescribed_source_exits_1(tmp_path: Path):
    old = "src:test-editorial { ex:alliance ex:member"
    path = sourced_copy(tmp_path, old=old, new="src:test-blog { ex:alliance ex:member")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "test-blog" in text)
    done = run_validate(path.parent, SHAPES_FILE)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{path}:{line}: <{EX}alliance>" in done.stdout, done.stdout
    assert "violation: described source (coopsh:DescribedSourceRule)" in done.stdout
    assert "source not described in data/sources" in done.stdout
    assert "path ex:member, value src:test-blog" in done.stdout
    (result,) = validate(load_inputs([path.parent, SHAPES_FILE])).results
    assert (result.shape, result.path, result.value) == (
        DESCRIBED_RULE,
        URIRef(EX + "member"),
        URIRef(SRC + "test-blog"),
    )


def test_plain_turtle_in_a_data_folder_fails_line_by_line(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "plain.ttl").write_text(
        "@prefix ex: <https://example.org/coopkg-test/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "\n"
        "ex:coop-c a ex:Organisation ;\n"
        '    rdfs:label "Coop C"@en ,\n'
        '        "Coop C"@fr .\n',
        encoding="utf-8",
    )
    done = run_validate(data, SHAPES_FILE)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{data / 'plain.ttl'}:4: <{EX}coop-c>" in done.stdout, done.stdout
    assert 'line 6, path rdfs:label, value "Coop C"@fr' in done.stdout
    result = validate(load_inputs([data, SHAPES_FILE]))
    lines = [(r.shape, r.location.line if r.location else None) for r in result.results]
    assert lines == [(STATEMENT_RULE, 4), (STATEMENT_RULE, 5), (STATEMENT_RULE, 6)]


def test_json_report_names_file_line_focus_path_and_rule(tmp_path: Path):
    path = sourced_copy(tmp_path, append='ex:alliance ex:motto "Test motto" .\n')
    done = run_validate("--format", "json", path.parent, SHAPES_FILE)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["conforms"] is False and report["violations"] == 1
    (result,) = report["results"]
    assert result == {
        "file": str(path),
        "line": line_count(path),
        "focus": f"{EX}alliance",
        "label": "Test alliance",
        "path": "ex:motto",
        "shape": str(STATEMENT_RULE),
        "shape_name": "statement source",
        "component": str(COMPONENT),
        "severity": "Violation",
        "message": result["message"],
        "value": '"Test motto"',
    }
    assert result["message"].startswith("statement without a source")


def test_turtle_report_holds_the_provenance_results(tmp_path: Path):
    old = "src:test-editorial { ex:alliance ex:member"
    path = sourced_copy(tmp_path, old=old, new="src:test-blog { ex:alliance ex:member")
    done = run_validate("--format", "turtle", path.parent, SHAPES_FILE)
    assert done.returncode == 1, done.stderr
    report = Graph().parse(data=done.stdout, format="turtle")
    (result,) = report.subjects(SH.sourceShape, DESCRIBED_RULE)
    assert (result, RDF.type, SH.ValidationResult) in report
    assert (None, SH.result, result) in report
    assert report.value(result, SH.resultSeverity) == SH.Violation
    assert report.value(result, SH.sourceConstraintComponent) == COMPONENT
    assert report.value(result, SH.focusNode) == URIRef(EX + "alliance")
    assert report.value(result, SH.resultPath) == URIRef(EX + "member")
    assert report.value(result, SH.value) == URIRef(SRC + "test-blog")
    assert set(report.objects(None, SH.conforms)) == {Literal(False)}


def test_lines_of_statements_in_graph_blocks(tmp_path: Path):
    path = sourced_copy(
        tmp_path,
        append=(
            "GRAPH src:test-blog {\n"  # +1
            "  ex:coop-a\n"  # +2
            '    ex:motto "x"\n'  # +3: a literal: the parser reads on to the `;` to end it
            "    ;\n"  # +4
            "    ex:y ex:z . }\n"  # +5
            "ex:coop-b ex:motto ( ex:a\n"  # +6: a list: its statement starts where the list does
            "   ex:b ) .\n"  # +7
        ),
    )
    start = line_count(path) - 7
    found = {
        (r.shape, str(r.focus), str(r.path)): r.location.line if r.location else None
        for r in validate(load_inputs([path.parent, SHAPES_FILE])).results
        if not isinstance(r.focus, BNode)
    }
    assert found == {
        (DESCRIBED_RULE, f"{EX}coop-a", f"{EX}motto"): start + 3,
        (DESCRIBED_RULE, f"{EX}coop-a", f"{EX}y"): start + 5,
        (STATEMENT_RULE, f"{EX}coop-b", f"{EX}motto"): start + 6,
    }


@pytest.mark.parametrize(
    ("path", "given", "expected"),
    [
        ("data/ica.ttl", None, True),  # a data folder
        ("data/ica.trig", None, True),
        ("fixtures/base.ttl", None, False),  # Turtle outside a data folder: not in scope
        ("fixtures/base.trig", None, True),  # quads anywhere
        ("fixtures/base.nq", None, True),
        ("ontology/coop.ttl", None, False),  # the ontology is exempt
        ("ontology/coop.trig", None, False),
    ],
)
def test_scope_of_the_provenance_rules(
    tmp_path: Path, path: str, given: str | None, expected: bool
):
    assert needs_sources(tmp_path / path, given and tmp_path / given) is expected


def test_scope_counts_a_data_folder_given_on_the_command_line(tmp_path: Path):
    (tmp_path / "data" / "topics").mkdir(parents=True)
    nested = tmp_path / "data" / "topics" / "ica.ttl"
    assert needs_sources(nested, tmp_path / "data")
    assert not needs_sources(nested, tmp_path / "data" / "topics")


# -- the shipped graph ---------------------------------------------------------------


def test_shipped_data_conforms_with_every_statement_sourced():
    inputs = load_inputs([graph_dir(name) for name in ("ontology", "data", "shapes")])
    data_files = [f for f in inputs.files if f.role == "data" and f.path.parent.name == "data"]
    assert data_files and all(f.path.suffix == ".trig" for f in data_files)
    assert validate(inputs).results == []


def test_a_statement_added_to_the_shipped_data_without_a_source_fails(tmp_path: Path):
    """What a contributor's CI sees: exit 1, the file and line, the resource and the predicate."""
    data = tmp_path / "data"
    shutil.copytree(graph_dir("data"), data)
    path = data / "ica.trig"
    text = path.read_text(encoding="utf-8")
    line = text.count("\n") + 2
    path.write_text(text + '\norgn:ica schema:slogan "An unsourced slogan"@en .\n')
    done = run_validate(graph_dir("ontology"), data, graph_dir("shapes"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"ica.trig:{line}" in done.stdout, done.stdout
    assert "https://w3id.org/coops4dev/id/organisation/ica" in done.stdout
    assert "schema:slogan" in done.stdout and "StatementSourceRule" in done.stdout
