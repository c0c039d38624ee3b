"""`coopkg validate`: parse every graph file, then check ontology + data against the SHACL shapes.

The package has one module per step, each importing only the ones before it:
`terms` (RDF terms between pyoxigraph and rdflib), `positions` (lines of statements), `graphs`
(the data as read: a pyoxigraph store, file by file), `inputs` (read the files), `provenance`
(the graph-name rules), `validation` (run the SHACL engine, pyshacl-turbo, and trace results to
files and lines), `reports` (text, JSON, Turtle). This module re-exports their public names and
holds the command the CLI calls.

Exit codes: 0 conforms; 1 violations (or warnings with `strict`); 2 input that could not be read.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..dataset import default_sources
from ..vocab import SHAPES_NS
from .inputs import (
    InputError,
    InputProblem,
    Inputs,
    Location,
    ParsedFile,
    Role,
    is_shapes_file,
    load_inputs,
)
from .reports import plural, summary, write_json, write_text, write_turtle
from .validation import Result, ValidationResult, validate

__all__ = [
    "EXIT_CONFORMS",
    "EXIT_INVALID",
    "EXIT_UNREADABLE",
    "SHAPES_NS",
    "InputError",
    "InputProblem",
    "Inputs",
    "Location",
    "ParsedFile",
    "Result",
    "Role",
    "ValidationResult",
    "is_shapes_file",
    "load_inputs",
    "summary",
    "validate",
    "validate_command",
]

EXIT_CONFORMS = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def validate_command(
    paths: list[Path] | None, output_format: str = "text", strict: bool = False
) -> int:
    """What `coopkg validate` does; returns the exit code (0, 1 or 2). Without paths, the shipped
    dataset (`coopkg.dataset.default_sources`) is validated."""
    started = time.perf_counter()
    if output_format not in ("text", "json", "turtle"):
        raise ValueError(f"unknown output format {output_format!r}")
    try:
        inputs = load_inputs(paths or [source.path for source in default_sources()])
        result = validate(inputs)
    except InputError as exc:
        _report_problems(exc.problems, output_format)
        return EXIT_UNREADABLE
    result.seconds = time.perf_counter() - started  # the figure a user waits for: parse + validate
    if output_format == "text":
        write_text(result, sys.stdout, strict)
    else:
        if output_format == "json":
            write_json(result, sys.stdout, strict)
        else:
            write_turtle(result, sys.stdout)
        print(summary(result, strict), file=sys.stderr)
    return EXIT_CONFORMS if result.conforms(strict) else EXIT_INVALID


def _report_problems(problems: list[InputProblem], output_format: str) -> None:
    for problem in problems:
        print(f"coopkg validate: {problem}", file=sys.stderr)
    print(
        f"coopkg validate: {plural(len(problems), 'problem')} in the input; nothing was validated",
        file=sys.stderr,
    )
    if output_format == "json":
        json.dump({"conforms": False, "errors": [p.as_json() for p in problems]}, sys.stdout)
        sys.stdout.write("\n")
