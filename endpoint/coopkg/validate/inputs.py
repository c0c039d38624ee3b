"""Reading the graph files, with positions: what `coopkg validate` reports before anything runs.

Files are parsed with pyoxigraph, whose errors carry line and column (rdflib's Turtle parser reports
neither reliably). Data goes into one pyoxigraph store, each file in a named graph of its own; the
SHACL engine validates the union of the statements, graph names set aside, so TriG data validates
exactly as Turtle does, and no rdflib graph of the data is ever built (at a million statements that
alone took longer than validating). Shapes, small, go to an rdflib graph. Each file keeps its
prefixes, so that a result can be traced back to the file and line that caused it, and the files in
the provenance rules' scope keep their statements with their own graph names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from ..dataset import OXIGRAPH_FORMATS
from ..files import QUAD_FORMATS, RDF_SUFFIXES, rdf_files
from .graphs import Inputs, Location, ParsedFile, Role
from .terms import to_rdflib

__all__ = [
    "InputError",
    "InputProblem",
    "Inputs",
    "Location",
    "ParsedFile",
    "Role",
    "display",
    "is_shapes_file",
    "load_inputs",
    "needs_sources",
    "quiet",
]


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


def _read(path: Path) -> tuple[str, bytes] | InputProblem:
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        return InputProblem(path, f"not an RDF file (unknown suffix {path.suffix!r})")
    try:
        return fmt, path.read_bytes()
    except FileNotFoundError:
        return InputProblem(path, "no such file")
    except OSError as exc:
        return InputProblem(path, exc.strerror or str(exc))


def _parse_file(
    path: Path, role: Role, in_scope: bool, store: ox.Store, shapes: Graph
) -> ParsedFile | InputProblem:
    """Parse one file: data into a named graph of `store` (the file's graph names set aside),
    shapes into `shapes`; a problem instead if it cannot be read. A file that fails half-way
    leaves statements in the store, but then nothing is validated."""
    read = _read(path)
    if isinstance(read, InputProblem):
        return read
    fmt, data = read
    base = path.resolve().as_uri()
    graph = ox.NamedNode(base) if role == "data" else None
    if graph is not None and fmt not in _KEEPS_PREFIXES and not in_scope:
        return _load_data(path, role, fmt, data, store, graph)
    parser = ox.parse(data, format=OXIGRAPH_FORMATS[fmt], base_iri=base, rename_blank_nodes=True)
    kept: list[ox.Quad] = []
    try:
        if graph is None:
            count = _add_shapes(parser, shapes)
        else:
            count = _add_data(parser, store, graph, kept if in_scope else None)
    except SyntaxError as exc:
        return _syntax_problem(path, exc)
    except (TypeError, ValueError) as exc:
        return InputProblem(path, str(exc))
    if not count:
        return InputProblem(path, "empty graph: the file holds no triples")
    prefixes = dict(parser.prefixes) if fmt in _KEEPS_PREFIXES else {}
    return ParsedFile(
        path=path,
        role=role,
        prefixes=prefixes,
        base=parser.base_iri or base,
        graph=graph,
        store=store if graph is not None else None,
        quads=kept,
        needs_sources=in_scope,
    )


_KEEPS_PREFIXES = frozenset({"turtle", "trig"})


def _load_data(
    path: Path, role: Role, fmt: str, data: bytes, store: ox.Store, graph: ox.NamedNode
) -> ParsedFile | InputProblem:
    """A data file with no prefixes to keep and no provenance to check (N-Triples, say: the big
    registries) is loaded by pyoxigraph itself, twice as fast as quad by quad from Python. Blank
    nodes are renamed as `ox.parse` renames them, so files never share one."""
    base = graph.value
    try:
        store.load(data, format=OXIGRAPH_FORMATS[fmt], base_iri=base, to_graph=graph)
    except SyntaxError as exc:
        return _syntax_problem(path, exc)
    except (TypeError, ValueError) as exc:
        return InputProblem(path, str(exc))
    if next(iter(store.quads_for_pattern(None, None, None, graph)), None) is None:
        return InputProblem(path, "empty graph: the file holds no triples")
    return ParsedFile(path=path, role=role, prefixes={}, base=base, graph=graph, store=store)


def _add_data(
    parser: ox.QuadParser, store: ox.Store, graph: ox.NamedNode, kept: list[ox.Quad] | None
) -> int:
    count = 0

    def quads() -> Iterator[ox.Quad]:
        nonlocal count
        for quad in parser:
            count += 1
            if kept is not None:
                kept.append(quad)
            yield ox.Quad(quad.subject, quad.predicate, quad.object, graph)

    store.extend(quads())
    return count


def _add_shapes(parser: ox.QuadParser, shapes: Graph) -> int:
    count = 0
    # rdflib logs a traceback for an ill-typed literal ("x"^^xsd:integer); reported otherwise.
    with quiet("rdflib.term"):
        for quad in parser:
            shapes.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
            count += 1
    return count


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
    inputs = Inputs(store=ox.Store(), shapes=Graph())
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
            in_scope = role == "data" and needs_sources(path, given)
            parsed = _parse_file(path, role, in_scope, inputs.store, inputs.shapes)
            if isinstance(parsed, InputProblem):
                problems.append(parsed)
            else:
                bound = inputs.shapes if role == "shapes" else inputs.namespaces
                for prefix, namespace in parsed.prefixes.items():
                    bound.bind(prefix, namespace, override=False)
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
