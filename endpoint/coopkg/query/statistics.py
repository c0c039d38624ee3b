"""Figures about the served graph, for the home page and the VoID description: triples, distinct
subjects and objects, entities under the URI space, instances per class, triples per property and
per named graph, and the IRIs under the URI space (the /id/ pages, for the sitemap). One SELECT
through the runner when the application starts; nothing is hand-written. Figures are of the
default graph (every statement once) unless they are per named graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..vocab import RDF_TYPE
from . import QueryJob
from .results import select_solutions
from .runner import QueryRunner

__all__ = ["DatasetStatistics", "compute_statistics"]

_QUERY = """SELECT ?kind ?key ?n WHERE {{
  {{ SELECT ("triples" AS ?kind) (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} }}
  UNION {{ SELECT ("subjects" AS ?kind) (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o }} }}
  UNION {{ SELECT ("objects" AS ?kind) (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?s ?p ?o }} }}
  UNION {{ SELECT ("entities" AS ?kind) (COUNT(DISTINCT ?s) AS ?n)
           WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{uri_space}")) }} }}
  UNION {{ SELECT ("class" AS ?kind) (?c AS ?key) (COUNT(DISTINCT ?s) AS ?n)
           WHERE {{ ?s <{rdf_type}> ?c }} GROUP BY ?c }}
  UNION {{ SELECT ("property" AS ?kind) (?p AS ?key) (COUNT(*) AS ?n)
           WHERE {{ ?s ?p ?o }} GROUP BY ?p }}
  UNION {{ SELECT DISTINCT ("resource" AS ?kind) (?r AS ?key) WHERE {{
           {{ ?r ?p ?o }} UNION {{ ?x ?p ?r }}
           FILTER(isIRI(?r) && STRSTARTS(STR(?r), "{uri_space}") && !CONTAINS(STR(?r), "#")) }} }}
  UNION {{ SELECT ("graph" AS ?kind) (?g AS ?key) (COUNT(*) AS ?n)
           WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g }}
}}"""


@dataclass(frozen=True)
class DatasetStatistics:
    uri_space: str
    triples: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    entities: int = 0  # IRIs under the URI space that are the subject of a statement
    classes: dict[str, int] = field(default_factory=dict)  # class -> distinct instances
    properties: dict[str, int] = field(default_factory=dict)  # property -> triples
    graphs: dict[str, int] = field(default_factory=dict)  # named graph -> triples
    # IRIs under the URI space the graph mentions (as subject or object): the /id/ pages.
    resources: tuple[str, ...] = ()


def _count(term: object) -> int:
    return int(term.value) if isinstance(term, ox.Literal) else 0


async def compute_statistics(runner: QueryRunner, uri_space: str) -> DatasetStatistics:
    checked = uri_space.replace("\\", "").replace('"', "")
    query = _QUERY.format(uri_space=checked, rdf_type=RDF_TYPE)
    outcome = await runner.run(QueryJob(query, format_name="json"))
    solutions = select_solutions(outcome)
    totals: dict[str, int] = {}
    keyed: dict[str, dict[str, int]] = {"class": {}, "property": {}, "graph": {}, "resource": {}}
    for row in solutions:
        kind, key = row["kind"], row["key"]
        if not isinstance(kind, ox.Literal):
            continue
        if kind.value in keyed:
            if isinstance(key, ox.NamedNode):
                keyed[kind.value][key.value] = _count(row["n"])
        else:
            totals[kind.value] = _count(row["n"])
    return DatasetStatistics(
        uri_space=checked,
        triples=totals.get("triples", 0),
        distinct_subjects=totals.get("subjects", 0),
        distinct_objects=totals.get("objects", 0),
        entities=totals.get("entities", 0),
        classes=dict(sorted(keyed["class"].items(), key=lambda kv: (-kv[1], kv[0]))),
        properties=dict(sorted(keyed["property"].items(), key=lambda kv: (-kv[1], kv[0]))),
        graphs=dict(sorted(keyed["graph"].items())),
        resources=tuple(sorted(keyed["resource"])),
    )
