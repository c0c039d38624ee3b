"""Whether the served files conform to the SHACL shapes: `coopkg validate` (coopkg.validate) run
once per application on the very files the engine loaded, in a thread, the first time the dataset
description is asked for (the validation takes a second or two; most servers, tests among them,
never need it). Nothing is stated when the application was given an engine of its own (no files)
or when the served files cannot be validated (no shapes among them, say).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from ..dataset import dataset_sources
from ..validate import InputError, load_inputs, validate

__all__ = ["Conformance", "check_conformance"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Conformance:
    conforms: bool
    violations: int
    warnings: int
    shapes: int
    triples: int  # in the data graph the shapes were checked against


def _check(paths: tuple[Path, ...]) -> Conformance | None:
    try:
        inputs = load_inputs(paths)
        result = validate(inputs)
    except InputError as exc:
        log.info("served files not validated: %s", exc)
        return None
    return Conformance(
        conforms=result.conforms(),
        violations=len(result.violations),
        warnings=len(result.warnings),
        shapes=result.shapes,
        triples=result.triples,
    )


async def check_conformance(graph_paths: tuple[Path, ...]) -> Conformance | None:
    """The served files' conformance, validated in a worker thread."""
    paths = tuple(source.path for source in dataset_sources(graph_paths))
    return await asyncio.to_thread(_check, paths)
