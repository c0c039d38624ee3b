"""The three ways `coopkg validate` tells its outcome: text for people, JSON for tools, and the
SHACL validation report in Turtle for other SHACL software; plus the one-line summary."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TextIO

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .inputs import display
from .validation import Result, ValidationResult

__all__ = ["plural", "result_as_json", "summary", "write_json", "write_text", "write_turtle"]


def _n3(node: Node, graph: Graph) -> str:
    if isinstance(node, URIRef | Literal):
        return node.n3(graph.namespace_manager)
    if isinstance(node, BNode):
        return "[]"  # pySHACL's SPARQL-path blank nodes and blank-node focus nodes have no name
    return str(node)


def _local(iri: Node) -> str:
    return str(iri).rsplit("#", 1)[-1]


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def result_as_json(result: Result, graph: Graph) -> dict:
    """One result as the JSON report gives it; IRIs in full, paths and values in Turtle syntax."""
    return {
        "file": display(result.location.file) if result.location else None,
        "line": result.location.line if result.location else None,
        "focus": str(result.focus),
        "label": result.label,
        "path": _n3(result.path, graph) if result.path is not None else None,
        "shape": str(result.shape),
        "shape_name": result.shape_name,
        "component": str(result.component),
        "severity": _local(result.severity),
        "message": result.message,
        "value": _n3(result.value, graph) if result.value is not None else None,
    }


def write_text(result: ValidationResult, out: TextIO, strict: bool) -> None:
    """Results grouped by file, then by resource; then one summary line."""
    by_file: dict[str, dict[Node, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in result.results:
        by_file[display(r.location.file) if r.location else "(not located)"][r.focus].append(r)
    for file_name, resources in by_file.items():
        print(file_name, file=out)
        for focus, results in resources.items():
            _write_resource(file_name, focus, results, result.report, out)
        print(file=out)
    print(summary(result, strict), file=out)


def _write_resource(
    file_name: str, focus: Node, results: list[Result], graph: Graph, out: TextIO
) -> None:
    first = results[0]
    line = first.location.line if first.location else None
    where = (
        f"{file_name}:{first.location.line}"
        if first.location and first.location.line
        else file_name
    )
    label = f' "{first.label}"' if first.label else ""
    name = f"<{focus}>" if isinstance(focus, URIRef) else "[] (blank node)"
    print(f"  {where}: {name}{label}", file=out)
    for r in results:
        kind = "violation" if r.is_violation else _local(r.severity).lower()
        rule = f"{r.shape_name} ({_n3(r.shape, graph)})" if r.shape_name else _n3(r.shape, graph)
        print(f"    {kind}: {rule}, {_n3(r.component, graph)}", file=out)
        print(f"      {r.message}", file=out)
        details = []
        if r.location and r.location.line and r.location.line != line:
            details.append(f"line {r.location.line}")  # a statement below the resource's first
        if r.path is not None:
            details.append(f"path {_n3(r.path, graph)}")
        if r.value is not None:
            details.append(f"value {_n3(r.value, graph)}")
        if details:
            print(f"      {', '.join(details)}", file=out)


def summary(result: ValidationResult, strict: bool = False) -> str:
    sizes = (
        f"{plural(result.triples, 'triple')}, {plural(result.resources, 'resource')}, "
        f"{plural(result.shapes, 'shape')}, {result.seconds:.2f} s"
    )
    violations, warnings = len(result.violations), len(result.warnings)
    if result.conforms(strict):
        extra = f", {plural(warnings, 'warning')}" if warnings else ""
        return f"coopkg validate: conforms{extra} — {sizes}"
    counts = [plural(violations, "violation")] + ([plural(warnings, "warning")] if warnings else [])
    files = len({r.location.file for r in result.results if r.location})
    return (
        f"coopkg validate: does not conform — {', '.join(counts)} in {plural(files, 'file')}"
        f"{' (--strict: warnings fail)' if strict and warnings else ''} — {sizes}"
    )


def write_json(result: ValidationResult, out: TextIO, strict: bool) -> None:
    document = {
        "conforms": result.conforms(strict),
        "strict": strict,
        "triples": result.triples,
        "resources": result.resources,
        "shapes": result.shapes,
        "seconds": round(result.seconds, 3),
        "violations": len(result.violations),
        "warnings": len(result.warnings),
        "results": [result_as_json(r, result.report) for r in result.results],
    }
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_turtle(result: ValidationResult, out: TextIO) -> None:
    out.write(result.report.serialize(format="turtle"))
