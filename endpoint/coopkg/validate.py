"""`coopkg validate`: parse every graph file, then check ontology + data against the SHACL shapes.

Files are parsed with pyoxigraph, whose errors carry line and column (rdflib's Turtle parser reports
neither reliably), and the triples are handed to pySHACL as one rdflib graph. Ontology and data
form the data graph together, so `sh:targetClass` and `sh:class` see the ontology's
`rdfs:subClassOf` triples without running inference (SHACL class membership follows
rdfs:subClassOf in the data graph): validation stays fast and needs no RDFS or OWL closure.

Exit codes: 0 conforms; 1 violations (or warnings with `strict`); 2 input that could not be read.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urljoin

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from .dataset import OXIGRAPH_FORMATS
from .files import RDF_SUFFIXES, graph_dir, rdf_files

__all__ = [
    "EXIT_CONFORMS",
    "EXIT_INVALID",
    "EXIT_UNREADABLE",
    "InputError",
    "Inputs",
    "Location",
    "ParsedFile",
    "Result",
    "ValidationResult",
    "default_paths",
    "is_shapes_file",
    "load_inputs",
    "validate",
    "validate_command",
]

EXIT_CONFORMS = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2

SHAPES_NS = "https://w3id.org/coops4dev/shapes#"

_XSD_STRING = str(XSD.string)
_LABELS = (SKOS.prefLabel, RDFS.label)


# -- Inputs -------------------------------------------------------------------


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a library's logger for a while: what it would log is reported otherwise."""
    log = logging.getLogger(logger_name)
    was_disabled, log.disabled = log.disabled, True
    try:
        yield
    finally:
        log.disabled = was_disabled


@dataclass(frozen=True)
class Location:
    """Where a resource is described: the file, and the line of its first statement when known."""

    file: Path
    line: int | None = None


@dataclass(frozen=True)
class InputProblem:
    """A file that could not be read: the message names the file, and line and column if known."""

    file: Path
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        position = "".join(f":{n}" for n in (self.line, self.column) if n is not None)
        return f"{_display(self.file)}{position}: {self.message}"

    def as_json(self) -> dict:
        return {
            "file": _display(self.file),
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class InputError(Exception):
    """Raised by `load_inputs` once every file has been tried; carries all the problems found."""

    def __init__(self, problems: list[InputProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ParsedFile:
    """One file that was read: which graph it went to, its prefixes, and what it describes."""

    path: Path
    kind: str  # "data" or "shapes"
    prefixes: dict[str, str]
    base: str
    subjects: set[Node]
    subject_predicates: set[tuple[Node, Node]]
    typed: set[Node]
    _lines: dict[Node, int] | None = None

    def line_of(self, node: Node) -> int | None:
        """First line of the file where `node` opens a statement (found lexically: pyoxigraph does
        not report positions of triples). None for blank nodes or non-Turtle files."""
        if self._lines is None:
            self._lines = self._scan_subject_lines()
        return self._lines.get(node)

    def _scan_subject_lines(self) -> dict[Node, int]:
        lines: dict[Node, int] = {}
        if RDF_SUFFIXES.get(self.path.suffix.lower()) not in ("turtle", "trig", "nt", "nquads"):
            return lines
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return lines
        indented: dict[Node, int] = {}  # may be an object continuing a list: used as fallback
        for number, line in enumerate(text.splitlines(), start=1):
            match = _SUBJECT_TOKEN.match(line)
            if not match:
                continue
            node = self._expand(match.group(1))
            if node is None or node not in self.subjects:
                continue
            found = indented if line[:1].isspace() else lines
            found.setdefault(node, number)
        return {**indented, **lines}

    def _expand(self, token: str) -> URIRef | None:
        if token.startswith("<"):
            return URIRef(urljoin(self.base, token[1:-1]))
        prefix, _, local = token.partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            return None
        return URIRef(namespace + re.sub(r"\\(.)", r"\1", local))


# A subject at the start of a line: an IRI in angle brackets or a prefixed name.
_SUBJECT_TOKEN = re.compile(
    r"\s*(<[^>\s]*>|(?:[A-Za-z][\w.-]*)?:(?:[^\s;,\\]|\\.)*(?<![.;,]))(?=[\s;,.]|$)"
)


@dataclass
class Inputs:
    """What was read: the data graph (ontology + data), the shapes graph, and their files."""

    data: Graph
    shapes: Graph
    files: list[ParsedFile] = field(default_factory=list)

    @property
    def data_files(self) -> list[Path]:
        return [f.path for f in self.files if f.kind == "data"]

    @property
    def shapes_files(self) -> list[Path]:
        return [f.path for f in self.files if f.kind == "shapes"]

    def locate(self, focus: Node, path: Node | None = None) -> Location | None:
        """The file (and line) describing `focus`; with a predicate `path`, prefer the file that
        states that property. Blank nodes are located through the resource that refers to them."""
        seen: set[Node] = set()
        while isinstance(focus, BNode) and focus not in seen:
            seen.add(focus)
            parent = next(iter(self.data.subjects(None, focus)), None)
            if parent is None:
                break
            focus, path = parent, None
        candidates = [f for f in self.files if f.kind == "data" and focus in f.subjects]
        if not candidates:
            return None
        chosen = None
        if path is not None:
            chosen = next((f for f in candidates if (focus, path) in f.subject_predicates), None)
        chosen = chosen or next((f for f in candidates if focus in f.typed), candidates[0])
        return Location(chosen.path, chosen.line_of(focus))


def is_shapes_file(path: Path, given: Path | None = None) -> bool:
    """Shapes are the files found in a folder named `shapes` given on the command line, files
    directly in a folder named `shapes`, and files named `*.shapes.ttl`. Only the given folder or
    the file's own folder counts, so tests/fixtures/shapes/valid/base.ttl is data."""
    return (
        path.name.endswith(".shapes.ttl")
        or path.parent.name == "shapes"
        or (given is not None and given.is_dir() and given.resolve().name == "shapes")
    )


def default_paths(root: Path | None = None) -> list[Path]:
    return [graph_dir(name, root) for name in ("ontology", "data", "shapes")]


def _to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if term.language:
            return Literal(term.value, lang=term.language)
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported RDF term {term!r}")  # RDF-star triple terms


def _parse_file(path: Path, kind: str, graph: Graph) -> ParsedFile | InputProblem:
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        return InputProblem(path, f"not an RDF file (unknown suffix {path.suffix!r})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return InputProblem(path, "no such file")
    except OSError as exc:
        return InputProblem(path, exc.strerror or str(exc))
    base = path.resolve().as_uri()
    parser = ox.parse(data, format=OXIGRAPH_FORMATS[fmt], base_iri=base, rename_blank_nodes=True)
    triples: list[tuple[Node, Node, Node]] = []
    try:
        # rdflib logs a traceback for an ill-typed literal ("x"^^xsd:integer); sh:datatype
        # reports it as a violation instead.
        with _quiet("rdflib.term"):
            for quad in parser:
                triples.append(
                    (_to_rdflib(quad.subject), _to_rdflib(quad.predicate), _to_rdflib(quad.object))
                )
    except SyntaxError as exc:
        return _syntax_problem(path, exc)
    except (TypeError, ValueError) as exc:
        return InputProblem(path, str(exc))
    if not triples:
        return InputProblem(path, "empty graph: the file holds no triples")
    for triple in triples:
        graph.add(triple)
    prefixes = dict(parser.prefixes) if fmt in ("turtle", "trig") else {}
    for prefix, namespace in prefixes.items():
        graph.bind(prefix, namespace, override=False)
    return ParsedFile(
        path=path,
        kind=kind,
        prefixes=prefixes,
        base=parser.base_iri or base,
        subjects={s for s, _, _ in triples},
        subject_predicates={(s, p) for s, p, _ in triples},
        typed={s for s, p, _ in triples if p == RDF.type},
    )


# pyoxigraph prefixes its messages with the position, which we give as file:line:column instead.
_OX_POSITION = re.compile(r"^Parser error (?:at|between) line [^:]*: ")


def _syntax_problem(path: Path, exc: SyntaxError) -> InputProblem:
    message = str(exc.msg if exc.msg else exc)
    line, column = exc.lineno, exc.offset
    return InputProblem(path, _OX_POSITION.sub("", message), line, column)


def load_inputs(paths: Iterable[Path]) -> Inputs:
    """Parse every file (folders are expanded; see `is_shapes_file` for which files are shapes,
    the rest is data). Raises InputError listing every problem once all files have been tried:
    syntax errors with line and column, missing or unreadable files, files and folders without
    triples, and inputs with no data or no shapes at all."""
    paths = list(paths)
    problems: list[InputProblem] = []
    inputs = Inputs(data=Graph(), shapes=Graph())
    seen: set[Path] = set()
    for given in paths:
        files = rdf_files([given])
        if given.is_dir() and not files:
            problems.append(InputProblem(given, "empty graph: the folder holds no RDF files"))
        for path in files:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            kind = "shapes" if is_shapes_file(path, given) else "data"
            parsed = _parse_file(path, kind, inputs.shapes if kind == "shapes" else inputs.data)
            if isinstance(parsed, InputProblem):
                problems.append(parsed)
            else:
                inputs.files.append(parsed)
    if not problems:
        given = Path(", ".join(str(p) for p in paths))
        if not inputs.data_files:
            problems.append(InputProblem(given, "no data to validate, only shapes"))
        if not inputs.shapes_files:
            problems.append(
                InputProblem(
                    given, "no shapes given: add the shapes/ folder or a *.shapes.ttl file"
                )
            )
    if problems:
        raise InputError(problems)
    return inputs


# -- Validation ---------------------------------------------------------------


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

    def as_json(self, graph: Graph) -> dict:
        return {
            "file": _display(self.location.file) if self.location else None,
            "line": self.location.line if self.location else None,
            "focus": str(self.focus),
            "label": self.label,
            "path": _n3(self.path, graph) if self.path is not None else None,
            "shape": str(self.shape),
            "shape_name": self.shape_name,
            "component": str(self.component),
            "severity": _local(self.severity),
            "message": self.message,
            "value": _n3(self.value, graph) if self.value is not None else None,
        }


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
    # Imported here: reporting a parse error needs no pySHACL.
    from pyshacl import validate as shacl_validate
    from pyshacl.errors import ReportableRuntimeError

    started = time.perf_counter()
    where = Path(", ".join(_display(p) for p in inputs.shapes_files) or "shapes")
    try:
        # pySHACL logs an unusable shape to stderr before raising: it is reported once, below.
        with _quiet("pyshacl-validate"), _quiet("rdflib.term"):
            _conforms, report, _text = shacl_validate(
                inputs.data,
                shacl_graph=inputs.shapes,
                inference="none",
                inplace=True,
                allow_warnings=True,
                allow_infos=True,
            )
    except ReportableRuntimeError as exc:  # a shape pySHACL cannot use, such as sh:minCount "x"
        message = " ".join(str(exc.args[0] if exc.args else exc).split())
        raise InputError([InputProblem(where, f"unusable shape: {message}")]) from exc
    except (TypeError, ValueError) as exc:  # pySHACL comparing values it cannot compare
        message = f"pySHACL could not apply the shapes to this data: {type(exc).__name__}: {exc}"
        raise InputError([InputProblem(where, message)]) from exc
    for graph in (inputs.shapes, inputs.data):
        for prefix, namespace in graph.namespaces():
            report.bind(prefix, namespace, override=False)
    # Top-level results only: those nested under sh:detail (from sh:node, sh:or...) explain them.
    results = [
        _result(inputs, report, node)
        for top in report.subjects(RDF.type, SH.ValidationReport)
        for node in report.objects(top, SH.result)
    ]
    results.sort(key=_sort_key)
    return ValidationResult(
        results=results,
        report=report,
        triples=len(inputs.data),
        resources=len({s for s in inputs.data.subjects() if isinstance(s, URIRef)}),
        shapes=_count_shapes(inputs.shapes),
        seconds=time.perf_counter() - started,
    )


def _result(inputs: Inputs, report: Graph, node: Node) -> Result:
    focus = report.value(node, SH.focusNode)
    shape = report.value(node, SH.sourceShape)
    path = report.value(node, SH.resultPath)
    messages = list(report.objects(node, SH.resultMessage))
    if not messages:
        messages = list(inputs.shapes.objects(shape, SH.message))
    return Result(
        focus=focus,
        severity=report.value(node, SH.resultSeverity),
        shape=shape,
        component=report.value(node, SH.sourceConstraintComponent),
        path=path,
        message=_pick_language(messages) or "",
        value=report.value(node, SH.value),
        shape_name=_pick_language(list(inputs.shapes.objects(shape, SH.name))),
        label=_label(inputs.data, focus),
        location=inputs.locate(focus, path if isinstance(path, URIRef) else None),
    )


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


def _pick_language(literals: list[Node]) -> str | None:
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


def _label(graph: Graph, node: Node) -> str | None:
    for predicate in _LABELS:
        label = _pick_language(list(graph.objects(node, predicate)))
        if label:
            return label
    return None


# -- Reports ------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _n3(node: Node, graph: Graph) -> str:
    if isinstance(node, URIRef | Literal):
        return node.n3(graph.namespace_manager)
    if isinstance(node, BNode):
        return "[]"  # pySHACL's SPARQL-path blank nodes and blank-node focus nodes have no name
    return str(node)


def _local(iri: Node) -> str:
    return str(iri).rsplit("#", 1)[-1]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def write_text(result: ValidationResult, inputs: Inputs, out: TextIO, strict: bool) -> None:
    """Results grouped by file, then by resource; then one summary line."""
    graph = result.report
    by_file: dict[str, dict[Node, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in result.results:
        by_file[_display(r.location.file) if r.location else "(not located)"][r.focus].append(r)
    for file_name, resources in by_file.items():
        print(file_name, file=out)
        for focus, results in resources.items():
            first = results[0]
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
                rule = (
                    f"{r.shape_name} ({_n3(r.shape, graph)})"
                    if r.shape_name
                    else _n3(r.shape, graph)
                )
                print(f"    {kind}: {rule}, {_n3(r.component, graph)}", file=out)
                print(f"      {r.message}", file=out)
                details = []
                if r.path is not None:
                    details.append(f"path {_n3(r.path, graph)}")
                if r.value is not None:
                    details.append(f"value {_n3(r.value, graph)}")
                if details:
                    print(f"      {', '.join(details)}", file=out)
        print(file=out)
    print(summary(result, strict), file=out)


def summary(result: ValidationResult, strict: bool = False) -> str:
    sizes = (
        f"{_plural(result.triples, 'triple')}, {_plural(result.resources, 'resource')}, "
        f"{_plural(result.shapes, 'shape')}, {result.seconds:.2f} s"
    )
    violations, warnings = len(result.violations), len(result.warnings)
    if result.conforms(strict):
        extra = f", {_plural(warnings, 'warning')}" if warnings else ""
        return f"coopkg validate: conforms{extra} — {sizes}"
    counts = [_plural(violations, "violation")] + (
        [_plural(warnings, "warning")] if warnings else []
    )
    files = len({r.location.file for r in result.results if r.location})
    return (
        f"coopkg validate: does not conform — {', '.join(counts)} in {_plural(files, 'file')}"
        f"{' (--strict: warnings fail)' if strict and warnings else ''} — {sizes}"
    )


def write_json(result: ValidationResult, inputs: Inputs, out: TextIO, strict: bool) -> None:
    document = {
        "conforms": result.conforms(strict),
        "strict": strict,
        "triples": result.triples,
        "resources": result.resources,
        "shapes": result.shapes,
        "seconds": round(result.seconds, 3),
        "violations": len(result.violations),
        "warnings": len(result.warnings),
        "results": [r.as_json(result.report) for r in result.results],
    }
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_turtle(result: ValidationResult, inputs: Inputs, out: TextIO, strict: bool) -> None:
    out.write(result.report.serialize(format="turtle"))


_WRITERS = {"text": write_text, "json": write_json, "turtle": write_turtle}


def validate_command(
    paths: list[Path] | None, output_format: str = "text", strict: bool = False
) -> int:
    """What `coopkg validate` does; returns the exit code (0, 1 or 2)."""
    started = time.perf_counter()
    writer = _WRITERS[output_format]
    try:
        inputs = load_inputs(paths or default_paths())
        result = validate(inputs)
    except InputError as exc:
        for problem in exc.problems:
            print(f"coopkg validate: {problem}", file=sys.stderr)
        print(
            f"coopkg validate: {_plural(len(exc.problems), 'problem')} in the input; "
            "nothing was validated",
            file=sys.stderr,
        )
        if output_format == "json":
            json.dump(
                {"conforms": False, "errors": [p.as_json() for p in exc.problems]}, sys.stdout
            )
            sys.stdout.write("\n")
        return EXIT_UNREADABLE
    result.seconds = time.perf_counter() - started  # the figure a user waits for: parse + validate
    writer(result, inputs, sys.stdout, strict)
    if output_format != "text":
        print(summary(result, strict), file=sys.stderr)
    return EXIT_CONFORMS if result.conforms(strict) else EXIT_INVALID
