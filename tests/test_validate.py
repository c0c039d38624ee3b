"""`coopkg validate` and the shapes behind it.

Every rule bites: each file in fixtures/shapes/invalid/ declares in its header the results it must
produce (`# expect: <sh:sourceShape> <sh:sourceConstraintComponent>`), and the test asserts exactly
those, so a fixture cannot pass by failing for another reason. A fixture is laid over the valid base
(fixtures/shapes/valid/base.ttl): each resource it describes replaces the base's description of that
resource, so removing a property is writing the resource again without it. The CLI tests run
`coopkg validate` as a subprocess and check exit codes and what the messages name.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from coopkg.files import graph_dir
from coopkg.validate import (
    SHAPES_NS,
    InputError,
    Inputs,
    load_inputs,
    validate,
)
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
BASE = FIXTURES / "valid" / "base.ttl"
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))
ONTOLOGY = graph_dir("ontology")
SHAPES = graph_dir("shapes")

_EXPECT = re.compile(r"^#\s*expect:\s*(\S+)\s+(\S+)\s*$", re.MULTILINE)
_CURIES = {"coopsh": SHAPES_NS, "sh": str(SH)}
# Shape parameters that do not themselves produce results.
_NOT_CONSTRAINTS = {
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
    SH.name,
    SH.description,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.order,
    SH.group,
    SH.path,
    SH.ignoredProperties,
    RDF.type,
}


def _iri(curie: str) -> URIRef:
    prefix, _, local = curie.partition(":")
    if prefix not in _CURIES:
        raise ValueError(f"unknown prefix in {curie!r}; use coopsh: or sh:")
    return URIRef(_CURIES[prefix] + local)


def expectations(path: Path) -> set[tuple[URIRef, URIRef]]:
    return {(_iri(s), _iri(c)) for s, c in _EXPECT.findall(path.read_text(encoding="utf-8"))}


@cache
def ontology_and_shapes() -> Inputs:
    return load_inputs([ONTOLOGY, SHAPES])


def overlay(fixture: Path | None) -> Inputs:
    """Ontology + base, with the fixture's resources replacing the base's descriptions of them."""
    fixed = ontology_and_shapes()
    base = Graph().parse(BASE, format="turtle")
    data = Graph()
    data += fixed.data
    if fixture is not None:
        patch = Graph().parse(fixture, format="turtle")
        for subject in set(patch.subjects()):
            base.remove((subject, None, None))
        base += patch
    data += base
    return Inputs.from_graphs(data, fixed.shapes)


def reporting_shapes(shapes: Graph) -> set:
    """Every shape that can be the sh:sourceShape of a top-level result: the property shapes of
    targeted node shapes, and targeted node shapes with constraints of their own. Shapes used
    only as values (sh:node, sh:qualifiedValueShape) report through the shape that uses them."""
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    targeted = {s for t in targets for s in shapes.subjects(t, None)}
    found = {p for s in targeted for p in shapes.objects(s, SH.property)}
    for shape in targeted:
        parameters = {p for p in shapes.predicates(shape, None) if str(p).startswith(str(SH))}
        if parameters - _NOT_CONSTRAINTS:
            found.add(shape)
    return found


# -- the fixtures --------------------------------------------------------------------


def test_base_conforms_without_warnings():
    result = validate(overlay(None))
    assert not result.results, "\n".join(f"{r.focus} {r.shape} {r.message}" for r in result.results)


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_fails_for_the_expected_reason(fixture: Path):
    expected = expectations(fixture)
    assert expected, f"{fixture.name} declares no '# expect: <shape> <component>' line"
    result = validate(overlay(fixture))
    got = result.keys()
    assert got == expected, "\n".join(
        f"{r.shape} {r.component} focus={r.focus} value={r.value}" for r in result.results
    )


def test_every_shape_that_reports_has_an_invalid_fixture():
    covered = {shape for path in INVALID for shape, _ in expectations(path)}
    missing = reporting_shapes(ontology_and_shapes().shapes) - covered
    assert not missing, "shapes without an invalid fixture:\n" + "\n".join(sorted(missing))


def test_fixture_names_follow_the_convention():
    bad = [p.name for p in INVALID if not re.fullmatch(r"\d{2,3}_[a-z0-9_-]+\.ttl", p.name)]
    assert not bad, bad


# -- loading -------------------------------------------------------------------------


def test_load_inputs_collects_every_problem(tmp_path: Path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;\n  ex:d zz:y .\n")
    empty = tmp_path / "empty.ttl"
    empty.write_text("# nothing here\n@prefix ex: <http://example.org/> .\n")
    with pytest.raises(InputError) as caught:
        load_inputs([broken, empty, tmp_path / "missing.ttl", SHAPES])
    problems = {p.file.name: p for p in caught.value.problems}
    assert set(problems) == {"broken.ttl", "empty.ttl", "missing.ttl"}
    assert (problems["broken.ttl"].line, problems["broken.ttl"].column) == (3, 8)
    assert "zz:" in problems["broken.ttl"].message


def test_resources_are_located_by_file_and_line():
    inputs = load_inputs([ONTOLOGY, BASE, SHAPES])
    text = BASE.read_text(encoding="utf-8").splitlines()
    for f in inputs.files:
        if f.path == BASE:
            for subject in sorted(s for s in f.typed if isinstance(s, URIRef)):
                location = inputs.locate(subject)
                assert location is not None and location.file == BASE, subject
                assert location.line is not None, subject
                line = text[location.line - 1]
                local = str(subject).rsplit("/", 1)[-1]
                assert local in line, (subject, line)


# -- the command -------------------------------------------------------------------------


def run_validate(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coopkg.cli", "validate", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def mutated_base(tmp_path: Path, old: str, new: str) -> Path:
    text = BASE.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {BASE.name}"
    path = tmp_path / "data.ttl"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_shipped_graph_conforms_with_a_summary_line():
    done = run_validate()
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"coopkg validate: conforms(, [\d,]+ warnings?)? — [\d,]+ triples, [\d,]+ resources, "
        r"[\d,]+ shapes, \d+\.\d\d s",
        summary,
    ), summary


def test_syntax_error_exits_2_with_file_line_column(tmp_path: Path):
    path = mutated_base(tmp_path, *BREAKS["syntax"])
    done = run_validate(ONTOLOGY, path, SHAPES)
    assert done.returncode == 2, done.stdout + done.stderr
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: \S", done.stderr), done.stderr
    assert "Traceback" not in done.stderr


def test_empty_file_exits_2(tmp_path: Path):
    path = tmp_path / "empty.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\n# no triples\n")
    done = run_validate(ONTOLOGY, BASE, path, SHAPES)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{path}: empty graph" in done.stderr


def test_empty_folder_exits_2(tmp_path: Path):
    done = run_validate(ONTOLOGY, BASE, tmp_path, SHAPES)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{tmp_path}: empty graph" in done.stderr


def test_missing_file_exits_2(tmp_path: Path):
    done = run_validate(ONTOLOGY, tmp_path / "nowhere.ttl", SHAPES)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{tmp_path / 'nowhere.ttl'}: no such file" in done.stderr
    assert "Traceback" not in done.stderr


# Edits of base.ttl for the command-line tests: (text in base.ttl, replacement).
BREAKS = {
    "label": (
        'ex:city a schema:City ;\n    skos:prefLabel "Test city"@en , "Ville de test"@fr ;',
        'ex:city a schema:City ;\n    skos:prefLabel "Ville de test"@fr ;',
    ),
    "year": ('schema:startDate "2013"^^xsd:gYear ;', 'schema:startDate "2013" ;'),
    "reference": ("schema:containedInPlace ex:city ;", "schema:containedInPlace ex:atlantis ;"),
    "warning": ("schema:containedInPlace ex:region ;\n", ""),
    "syntax": ('dcterms:title "Test source"@en ;', 'dcterms:title "Test source@en ;'),
}
TEST_NS = "https://example.org/coopkg-test/"


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize(
    ("break_", "resource", "rule", "component"),
    [
        ("label", "city", "LabelledShape-prefLabel-en", "sh:QualifiedMinCountConstraintComponent"),
        ("year", "site", "SiteShape-startDate", "sh:DatatypeConstraintComponent"),
        ("reference", "site", "SiteShape-containedInPlace", "sh:ClassConstraintComponent"),
    ],
)
def test_violation_exits_1_naming_file_resource_and_rule(
    tmp_path: Path, break_: str, resource: str, rule: str, component: str
):
    path = mutated_base(tmp_path, *BREAKS[break_])
    done = run_validate(ONTOLOGY, path, SHAPES)
    assert done.returncode == 1, done.stdout + done.stderr
    line = line_of(path, f"ex:{resource} a ")
    assert f"{path}:{line}: <{TEST_NS}{resource}>" in done.stdout, done.stdout
    assert f"(coopsh:{rule}), {component}" in done.stdout, done.stdout
    assert (
        done.stdout.strip()
        .splitlines()[-1]
        .startswith("coopkg validate: does not conform — 1 violation in 1 file")
    )


def test_reference_report_names_the_missing_resource(tmp_path: Path):
    done = run_validate(ONTOLOGY, mutated_base(tmp_path, *BREAKS["reference"]), SHAPES)
    assert "value ex:atlantis" in done.stdout, done.stdout
    assert "schema:City described in data/places.ttl" in done.stdout


def test_warnings_pass_unless_strict(tmp_path: Path):
    path = mutated_base(tmp_path, *BREAKS["warning"])
    done = run_validate(ONTOLOGY, path, SHAPES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning: world region (coopsh:CountryRecommendations-containedInPlace)" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("coopkg validate: conforms, 1 warning —")
    strict = run_validate("--strict", ONTOLOGY, path, SHAPES)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "(--strict: warnings fail)" in strict.stdout


def test_json_report(tmp_path: Path):
    path = mutated_base(tmp_path, *BREAKS["year"])
    done = run_validate("--format", "json", ONTOLOGY, path, SHAPES)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["conforms"] is False and report["violations"] == 1
    (result,) = report["results"]
    assert result == {
        "file": str(path),
        "line": line_of(path, "ex:site a "),
        "focus": f"{TEST_NS}site",
        "label": "Test site",
        "path": "schema:startDate",
        "shape": f"{SHAPES_NS}SiteShape-startDate",
        "shape_name": "in use from",
        "component": str(SH.DatatypeConstraintComponent),
        "severity": "Violation",
        "message": result["message"],
        "value": '"2013"',
    }
    assert "xsd:gYear" in result["message"]


def test_turtle_report_is_the_shacl_report(tmp_path: Path):
    path = mutated_base(tmp_path, *BREAKS["reference"])
    done = run_validate("--format", "turtle", ONTOLOGY, path, SHAPES)
    assert done.returncode == 1, done.stderr
    report = Graph().parse(data=done.stdout, format="turtle")
    (result,) = report.subjects(SH.sourceShape, URIRef(f"{SHAPES_NS}SiteShape-containedInPlace"))
    assert report.value(result, SH.value) == URIRef(f"{TEST_NS}atlantis")
    assert (None, SH.conforms, None) in report


def test_syntax_error_names_the_line_and_column(tmp_path: Path):
    path = mutated_base(tmp_path, *BREAKS["syntax"])
    done = run_validate("--format", "json", ONTOLOGY, path, SHAPES)
    assert done.returncode == 2
    (error,) = json.loads(done.stdout)["errors"]
    assert error["file"] == str(path) and error["line"] >= line_of(path, '"Test source@en ;')
    assert error["column"] is not None and error["message"]


def test_unusable_shape_exits_2_without_a_traceback(tmp_path: Path):
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    (shapes / "broken.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ex: <http://example.org/> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass <https://w3id.org/coops4dev/ontology#Region> ;"
        " sh:property ex:S-p .\n"
        'ex:S-p sh:path ex:p ; sh:minCount "one" .\n'
    )
    done = run_validate(ONTOLOGY, BASE, shapes)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "unusable shape: MinCountConstraintComponent" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("sh:minCount") == 1


def test_ill_typed_literal_is_a_violation_not_a_log_message():
    fixture = FIXTURES / "invalid" / "125_principle_number_ill_typed.ttl"
    done = run_validate(ONTOLOGY, BASE, fixture, SHAPES)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'value "one"^^xsd:integer' in done.stdout
    assert done.stderr == "", done.stderr
