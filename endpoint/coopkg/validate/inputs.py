"""Reading the graph files, with positions: what `coopkg validate` reports before anything runs.

Files are parsed with pyoxigraph, whose errors carry line and column (rdflib's Turtle parser reports
neither reliably), and converted to one rdflib graph for pySHACL: the union of every statement,
graph names set aside, so TriG data validates exactly as Turtle does. Each file keeps its prefixes
and its statements with their graph names and lines, so that a result can be traced back to the
file and line that caused it and the provenance rules can see which source states what.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as RoleLiteral
from typing import NamedTuple
from urllib.parse import urljoin

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ..dataset import OXIGRAPH_FORMATS
from ..files import QUAD_FORMATS, RDF_SUFFIXES, rdf_files
from .positions import LINE_FORMATS, parse_with_lines, subject_lines

__all__ = [
    "InputError",
    "InputProblem",
    "Inputs",
    "Location",
    "ParsedFile",
    "Role",
    "Statement",
    "display",
    "is_shapes_file",
    "load_inputs",
    "needs_sources",
    "quiet",
]

Role = RoleLiteral["data", "shapes"]
"""What a file is to the validator: data to check (ontology included), or shapes to check it by."""

_XSD_STRING = str(XSD.string)


@contextmanager
def quiet(logger_name: str) -> Iterator[None]:
    """Silence a library's logger for a while: what it would log is reported otherwise."""
    log = logging.getLogger(logger_name)
    was_disabled, log.disabled = log.disabled, True
    try:
        yield
    finally:
        log.disabled = was_disabled


def display(path: Path) -> str:
    """A path as reports show it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


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
        return f"{display(self.file)}{position}: {self.message}"

    def as_json(self) -> dict:
        return {
            "file": display(self.file),
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class InputError(Exception):
    """Raised by `load_inputs` once every file has been tried; carries all the problems found."""

    def __init__(self, problems: list[InputProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Statement(NamedTuple):
    """One statement of a file: its triple, its graph name (None: the default graph), and the
    line where it ends (None for formats without lines)."""

    subject: Node
    predicate: Node
    object: Node
    graph: Node | None
    line: int | None


@dataclass
class ParsedFile:
    """One file that was read: its role, its prefixes, its statements, and what it describes.
    `needs_sources`: every statement must sit in a named graph that names its source (see
    `needs_sources()`)."""

    path: Path
    role: Role
    prefixes: dict[str, str]
    base: str
    statements: list[Statement]
    needs_sources: bool = False
    subjects: set[Node] = field(init=False)
    subject_predicates: set[tuple[Node, Node]] = field(init=False)
    typed: set[Node] = field(init=False)
    _lines: dict[Node, int] | None = None

    def __post_init__(self) -> None:
        self.subjects = {s.subject for s in self.statements}
        self.subject_predicates = {(s.subject, s.predicate) for s in self.statements}
        self.typed = {s.subject for s in self.statements if s.predicate == RDF.type}

    def line_of(self, node: Node) -> int | None:
        """First line of the file where `node` opens a block of statements (found lexically), else
        the line of its first statement. None for blank nodes or formats without lines."""
        if self._lines is None:
            self._lines = self._scan_subject_lines()
        return self._lines.get(node)

    def _scan_subject_lines(self) -> dict[Node, int]:
        lines: dict[Node, int] = {}
        for statement in self.statements:
            if statement.line is not None and not isinstance(statement.subject, BNode):
                lines.setdefault(statement.subject, statement.line)
        if RDF_SUFFIXES.get(self.path.suffix.lower()) not in LINE_FORMATS:
            return lines
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return lines
        found = subject_lines(text, self._expand)
        lines.update((node, line) for node, line in found.items() if node in self.subjects)
        return lines

    def _expand(self, token: str) -> URIRef | None:
        if token.startswith("<"):
            return URIRef(urljoin(self.base, token[1:-1]))
        prefix, _, local = token.partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            return None
        return URIRef(namespace + re.sub(r"\\(.)", r"\1", local))


@dataclass
class Inputs:
    """What was read: the data graph (ontology + data), the shapes graph, and their files."""

    data: Graph
    shapes: Graph
    files: list[ParsedFile] = field(default_factory=list)

    @property
    def data_files(self) -> list[Path]:
        return [f.path for f in self.files if f.role == "data"]

    @property
    def shapes_files(self) -> list[Path]:
        return [f.path for f in self.files if f.role == "shapes"]

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
        candidates = [f for f in self.files if f.role == "data" and focus in f.subjects]
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


def needs_sources(path: Path, given: Path | None = None) -> bool:
    """The scope of the provenance rules (`provenance`), for a data file: a file directly in a
    folder named `data`, any file found in a folder named `data` given on the command line, and
    any TriG or N-Quads file, except in a folder named `ontology` (the ontology states its own
    terms; it has no sources to name). Shapes are never in scope."""
    folders = {path.parent.name}
    if given is not None and given.is_dir():
        folders.add(given.resolve().name)
    if "ontology" in folders:
        return False
    return "data" in folders or RDF_SUFFIXES.get(path.suffix.lower()) in QUAD_FORMATS


def _to_rdflib(term: object) -> Node:
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


def _parse_file(path: Path, role: Role, graph: Graph) -> ParsedFile | InputProblem:
    """Parse one file into `graph` (graph names set aside); a problem instead if it cannot be."""
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
    parser, quads = parse_with_lines(data, OXIGRAPH_FORMATS[fmt], base, fmt in LINE_FORMATS)
    statements: list[Statement] = []
    try:
        # rdflib logs a traceback for an ill-typed literal ("x"^^xsd:integer); sh:datatype
        # reports it as a violation instead.
        with quiet("rdflib.term"):
            statements.extend(_statement(quad, line) for quad, line in quads)
    except SyntaxError as exc:
        return _syntax_problem(path, exc)
    except (TypeError, ValueError) as exc:
        return InputProblem(path, str(exc))
    if not statements:
        return InputProblem(path, "empty graph: the file holds no triples")
    for statement in statements:
        graph.add((statement.subject, statement.predicate, statement.object))
    prefixes = dict(parser.prefixes) if fmt in ("turtle", "trig") else {}
    for prefix, namespace in prefixes.items():
        graph.bind(prefix, namespace, override=False)
    return ParsedFile(
        path=path,
        role=role,
        prefixes=prefixes,
        base=parser.base_iri or base,
        statements=statements,
    )


def _statement(quad: ox.Quad, line: int | None) -> Statement:
    graph_name = quad.graph_name
    return Statement(
        _to_rdflib(quad.subject),
        _to_rdflib(quad.predicate),
        _to_rdflib(quad.object),
        None if isinstance(graph_name, ox.DefaultGraph) else _to_rdflib(graph_name),
        line,
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
            role: Role = "shapes" if is_shapes_file(path, given) else "data"
            parsed = _parse_file(path, role, inputs.shapes if role == "shapes" else inputs.data)
            if isinstance(parsed, InputProblem):
                problems.append(parsed)
            else:
                parsed.needs_sources = role == "data" and needs_sources(path, given)
                inputs.files.append(parsed)
    if not problems:
        problems = _missing_roles(inputs, paths)
    if problems:
        raise InputError(problems)
    return inputs


def _missing_roles(inputs: Inputs, paths: list[Path]) -> list[InputProblem]:
    given = Path(", ".join(str(p) for p in paths))
    problems = []
    if not inputs.data_files:
        problems.append(InputProblem(given, "no data to validate, only shapes"))
    if not inputs.shapes_files:
        problems.append(
            InputProblem(given, "no shapes given: add the shapes/ folder or a *.shapes.ttl file")
        )
    return problems
