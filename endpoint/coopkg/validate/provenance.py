"""Statement-level provenance: every statement of the data names its own source.

Data is written in TriG, each statement inside a named graph whose name is the IRI of the source
that states it. SHACL cannot see graph names (pySHACL validates the union of the statements), so
two rules are checked here, on the statements as each file holds them, and reported like shapes:

- `coopsh:StatementSourceRule`: a statement in the default graph of a file in scope has no source
  ("statement without a source"): a plain Turtle triple in data/, or a triple outside any GRAPH
  block of a TriG file.
- `coopsh:DescribedSourceRule`: the graph name of a statement in a file in scope is not a source
  described in the data, that is, nothing in the data loaded (any file: the union) types it
  `dcterms:BibliographicResource` ("source not described in data/sources").

Scope (`inputs.needs_sources`): data files directly in a folder named `data` or found in a folder
named `data` given on the command line, and every TriG or N-Quads data file; files in a folder
named `ontology` and shapes are exempt. One result per statement for the first rule (the object
is the value); one per resource, graph and predicate for the second (the graph name is the value).
Statements without a line (RDF/XML, JSON-LD) are reported without one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Node

from ..vocab import DCTERMS, SHAPES_NS
from .inputs import Inputs, Location, ParsedFile
from .terms import to_ox, to_rdflib

__all__ = [
    "COMPONENT",
    "DESCRIBED_SOURCE",
    "RULES",
    "STATEMENT_SOURCE",
    "Finding",
    "Rule",
    "check",
]

SOURCE_CLASS = URIRef(DCTERMS + "BibliographicResource")


@dataclass(frozen=True)
class Rule:
    """A provenance rule, named and explained as a shape is (sh:name, sh:message)."""

    iri: URIRef
    name: str
    message: str


STATEMENT_SOURCE = Rule(
    URIRef(SHAPES_NS + "StatementSourceRule"),
    "statement source",
    "statement without a source: every statement of the data sits in a named graph (a TriG "
    "GRAPH block) whose name is its source, described in data/sources.",
)
DESCRIBED_SOURCE = Rule(
    URIRef(SHAPES_NS + "DescribedSourceRule"),
    "described source",
    "source not described in data/sources: the graph name of this statement is not typed "
    "dcterms:BibliographicResource anywhere in the data.",
)
RULES = (STATEMENT_SOURCE, DESCRIBED_SOURCE)
COMPONENT = URIRef(SHAPES_NS + "StatementProvenanceConstraintComponent")
"""The sh:sourceConstraintComponent of both rules' results."""


@dataclass(frozen=True)
class Finding:
    """One statement (or group of statements) that breaks a rule, where it is written."""

    rule: Rule
    focus: Node
    path: Node
    value: Node
    location: Location


def check(inputs: Inputs) -> list[Finding]:
    """Every finding of both rules, over the data files in scope, in file order."""
    described = {to_ox(node) for node in inputs.subjects_of_type(SOURCE_CLASS)}
    findings: list[Finding] = []
    for parsed in inputs.files:
        if parsed.role == "data" and parsed.needs_sources:
            findings.extend(_check_file(parsed, described))
    return findings


def _check_file(parsed: ParsedFile, described: set) -> list[Finding]:
    broken: list[tuple[int, Rule]] = []
    reported: set[tuple] = set()
    for index, quad in enumerate(parsed.quads):
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph):
            broken.append((index, STATEMENT_SOURCE))
        elif graph not in described and (graph, quad.subject, quad.predicate) not in reported:
            reported.add((graph, quad.subject, quad.predicate))
            broken.append((index, DESCRIBED_SOURCE))
    if not broken:
        return []
    lines = parsed.statement_lines()  # only now: finding lines costs a second, slower parse
    findings = []
    for index, rule in broken:
        quad = parsed.quads[index]
        value = quad.object if rule is STATEMENT_SOURCE else quad.graph_name
        findings.append(
            Finding(
                rule,
                to_rdflib(quad.subject),
                to_rdflib(quad.predicate),
                to_rdflib(value),
                Location(parsed.path, lines[index]),
            )
        )
    return findings
