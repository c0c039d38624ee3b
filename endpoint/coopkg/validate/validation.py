"""Running the SHACL engine over what was read, and turning its report into results a person can
act on.

The engine is pyshacl-turbo: pySHACL's API and reports, executed in Rust, which validates the
pyoxigraph store of the data directly (the union of its graphs). It gives exactly pySHACL's results
on every fixture of tests/ (shape, component, focus, path, value, severity and message:
tests/test_validate_engines.py) and is the engine bench/README.md measures at a million statements.
Ontology and data form the data graph together, so `sh:targetClass` and `sh:class` see the
ontology's `rdfs:subClassOf` triples without running inference (SHACL class membership follows
rdfs:subClassOf in the data graph): validation needs no RDFS or OWL closure. Each result is traced
back to the file and line that describe its focus node. The provenance rules, which look at graph
names that SHACL never sees (`provenance`), join the same results and the same report.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from ..vocab import SHAPES_NS
from .inputs import InputError, InputProblem, Inputs, Location, display, quiet
from .provenance import COMPONENT, Finding, check

__all__ = ["Result", "ValidationResult", "validate"]

_LABELS = (SKOS.prefLabel, RDFS.label)


@dataclass(frozen=True)
class Result:
    """One SHACL validation result, with where its focus node is described and how it is called."""

    focus: Node
    severity: URIRef
    shape: Node
    component: URIRef
    path: Node | None
    message: str
    value: Node | None
    shape_name: str | None
    label: str | None
    location: Location | None

    @property
    def is_violation(self) -> bool:
        return self.severity == SH.Violation


@dataclass
class ValidationResult:
    results: list[Result]
    report: Graph
    triples: int
    resources: int
    shapes: int
    seconds: float

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.is_violation]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if not r.is_violation]

    def conforms(self, strict: bool = False) -> bool:
        return not (self.results if strict else self.violations)

    def keys(self) -> set[tuple[Node, URIRef]]:
        """(sh:sourceShape, sh:sourceConstraintComponent) of every result: what the tests assert."""
        return {(r.shape, r.component) for r in self.results}


def validate(inputs: Inputs) -> ValidationResult:
    """Validate the data graph against the shapes graph; no inference (see the module docstring)."""
    started = time.perf_counter()
    report = _run_engine(inputs)
    for graph in (inputs.shapes, inputs.namespaces):
        for prefix, namespace in graph.namespaces():
            report.bind(prefix, namespace, override=False)
    # Top-level results only: those nested under sh:detail (from sh:node, sh:or...) explain them.
    results = [
        _result(inputs, report, node)
        for top in report.subjects(RDF.type, SH.ValidationReport)
        for node in report.objects(top, SH.result)
    ]
    results += [_provenance_result(inputs, report, finding) for finding in check(inputs)]
    results.sort(key=_sort_key)
    return ValidationResult(
        results=results,
        report=report,
        triples=inputs.count_triples(),
        resources=inputs.count_resources(),
        shapes=_count_shapes(inputs.shapes),
        seconds=time.perf_counter() - started,
    )


def _run_engine(inputs: Inputs) -> Graph:
    # Imported here: reporting a parse error needs no SHACL engine.
    from pyshacl_turbo import validate as shacl_validate
    from pyshacl_turbo.errors import ReportableRuntimeError

    where = Path(", ".join(display(p) for p in inputs.shapes_files) or "shapes")
    try:
        # rdflib logs a traceback for an ill-typed literal in the report ("x"^^xsd:integer).
        with quiet("pyshacl-turbo"), quiet("rdflib.term"):
            _conforms, report, _text = shacl_validate(
                inputs.store,
                shacl_graph=_typed_strings(inputs.shapes),
                inference="none",
                allow_warnings=True,
                allow_infos=True,
            )
    except (ReportableRuntimeError, ValueError, TypeError) as exc:  # sh:minCount "x", say
        raise InputError([InputProblem(where, f"unusable shape: {_explain(exc)}")]) from exc
    _plain_strings(report)
    return report


# "x" and "x"^^xsd:string are one RDF term, but not to rdflib, and pyshacl-turbo 0.6 reads a
# store's strings as the second: a plain "en" of sh:in would never match. The shapes' plain strings
# are typed before validation, and the report's values plain again after, so both read as pySHACL's.
def _typed_strings(shapes: Graph) -> Graph:
    typed = Graph()
    for prefix, namespace in shapes.namespaces():
        typed.bind(prefix, namespace)
    for s, p, o in shapes:
        if isinstance(o, Literal) and o.datatype is None and o.language is None:
            o = Literal(str(o), datatype=XSD.string)
        typed.add((s, p, o))
    return typed


def _plain_strings(report: Graph) -> None:
    typed = [(s, o) for s, o in report.subject_objects(SH.value) if _is_typed_string(o)]
    for s, o in typed:
        report.remove((s, SH.value, o))
        report.add((s, SH.value, Literal(str(o))))


def _is_typed_string(node: Node) -> bool:
    return isinstance(node, Literal) and node.datatype == XSD.string


# The engine names the parameter it cannot use (`sh:minCount`); reports name its component, as
# pySHACL's did. The parameters whose component is not named after them:
_COMPONENT_OF = {
    "qualifiedMinCount": "QualifiedValueShape",
    "qualifiedMaxCount": "QualifiedValueShape",
    "qualifiedValueShapesDisjoint": "QualifiedValueShape",
    "flags": "Pattern",
}
_PARAMETER = re.compile(r"\bsh:([A-Za-z]+)")


def _explain(exc: Exception) -> str:
    message = " ".join(str(exc.args[0] if exc.args else exc).split())
    parameter = _PARAMETER.search(message)
    if parameter is None:
        return message
    name = parameter.group(1)
    component = _COMPONENT_OF.get(name, name[:1].upper() + name[1:])
    return f"{component}ConstraintComponent: {message}"


def _iri(graph: Graph, node: Node, predicate: URIRef) -> URIRef:
    value = graph.value(node, predicate)
    if not isinstance(value, URIRef):
        raise ValueError(f"a SHACL result without an IRI for {predicate}: {value!r}")
    return value


def _result(inputs: Inputs, report: Graph, node: Node) -> Result:
    focus = report.value(node, SH.focusNode)
    shape = report.value(node, SH.sourceShape)
    if focus is None or shape is None:
        raise ValueError(f"a SHACL result without a focus node or a source shape: {node!r}")
    path = report.value(node, SH.resultPath)
    messages = list(report.objects(node, SH.resultMessage))
    if not messages:
        messages = list(inputs.shapes.objects(shape, SH.message))
    return Result(
        focus=focus,
        severity=_iri(report, node, SH.resultSeverity),
        shape=shape,
        component=_iri(report, node, SH.sourceConstraintComponent),
        path=path,
        message=pick_language(messages) or "",
        value=report.value(node, SH.value),
        shape_name=pick_language(list(inputs.shapes.objects(shape, SH.name))),
        label=_label(inputs, focus),
        location=inputs.locate(focus, path if isinstance(path, URIRef) else None),
    )


def _provenance_result(inputs: Inputs, report: Graph, finding: Finding) -> Result:
    """A provenance finding as a result, added to the SHACL report as pySHACL would add it."""
    result = Result(
        focus=finding.focus,
        severity=SH.Violation,
        shape=finding.rule.iri,
        component=COMPONENT,
        path=finding.path,
        message=finding.rule.message,
        value=finding.value,
        shape_name=finding.rule.name,
        label=_label(inputs, finding.focus),
        location=finding.location,
    )
    node = BNode()
    report.bind("coopsh", SHAPES_NS, override=False)
    for top in list(report.subjects(RDF.type, SH.ValidationReport)):
        report.add((top, SH.result, node))
        report.set((top, SH.conforms, Literal(False)))
    for predicate, value in (
        (RDF.type, SH.ValidationResult),
        (SH.focusNode, result.focus),
        (SH.resultSeverity, result.severity),
        (SH.sourceShape, result.shape),
        (SH.sourceConstraintComponent, result.component),
        (SH.resultPath, result.path),
        (SH.value, result.value),
        (SH.resultMessage, Literal(result.message, lang="en")),
    ):
        if value is not None:
            report.add((node, predicate, value))
    return result


def _sort_key(result: Result) -> tuple:
    loc = result.location
    return (
        str(loc.file) if loc else "~",
        loc.line or 0 if loc else 0,
        str(result.focus),
        not result.is_violation,
        str(result.shape),
        str(result.component),
        str(result.value),
    )


def _count_shapes(shapes: Graph) -> int:
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(
        shapes.subjects(RDF.type, SH.PropertyShape)
    )
    found |= set(shapes.objects(None, SH.property))
    return len(found)


def pick_language(literals: list[Node]) -> str | None:
    """The English literal, else an untagged one, else the first."""
    if not literals:
        return None
    ranked = sorted(
        literals,
        key=lambda lit: (
            0
            if getattr(lit, "language", None) == "en"
            else 1
            if not getattr(lit, "language", None)
            else 2,
            str(lit),
        ),
    )
    return str(ranked[0])


def _label(inputs: Inputs, node: Node) -> str | None:
    for predicate in _LABELS:
        label = pick_language(inputs.objects(node, predicate))
        if label:
            return label
    return None
