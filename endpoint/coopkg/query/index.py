"""The resource index: every IRI of the default graph with its labels, types, notation and concept
schemes, read by one SELECT through the runner when the application starts, then searched in
memory. Search, browsing by type and the A–Z index all read it; none of them queries per request.

Labels are `skos:prefLabel`, `skos:altLabel`, `rdfs:label` and the literal forms of
`skosxl:prefLabel` / `skosxl:altLabel` (credited to the resource that has the label, not to the
label node). Matching is case- and accent-insensitive: both sides go through `normalise` (Unicode
NFKD, combining marks dropped, casefold, spaces collapsed), so `cooperative` finds `coopérative`. A
search ranks each resource by its best label: exact match, then prefix, then substring; ties go to
the reader's language, then the shorter label. The graph holds a few thousand labels, so a search
is one pass over a list of pre-normalised strings.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..vocab import RDF_TYPE, RDFS, SKOS
from . import QueryJob
from .results import select_solutions
from .runner import QueryRunner

__all__ = ["IndexedLabel", "ResourceIndex", "SearchHit", "build_index", "initial", "normalise"]

SKOSXL = "http://www.w3.org/2008/05/skos-xl#"
PREFERRED = (SKOS + "prefLabel", RDFS + "label", SKOSXL + "prefLabel")
"""Properties whose labels name a resource (the others are alternative names)."""

_QUERY = f"""SELECT ?s ?p ?o WHERE {{
  {{ VALUES ?p {{ <{SKOS}prefLabel> <{SKOS}altLabel> <{RDFS}label> }}
     ?s ?p ?o FILTER(isLiteral(?o)) }}
  UNION
  {{ VALUES ?p {{ <{SKOSXL}prefLabel> <{SKOSXL}altLabel> }}
     ?s ?p ?x . ?x <{SKOSXL}literalForm> ?o }}
  UNION
  {{ VALUES ?p {{ <{RDF_TYPE}> <{SKOS}notation> <{SKOS}inScheme> }} ?s ?p ?o }}
  FILTER(isIRI(?s))
}}"""


def normalise(text: str) -> str:
    """Text as search compares it: no accents, no case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def initial(text: str) -> str:
    """The A–Z letter of a label: its first letter without accent, upper case; `#` otherwise."""
    for char in normalise(text):
        if char.isalpha():
            return char.upper()
        if char.isdigit():
            return "#"
    return "#"


@dataclass(frozen=True)
class IndexedLabel:
    text: str
    language: str  # '' when untagged
    preferred: bool  # a name (prefLabel, rdfs:label, skosxl:prefLabel), not an alternative
    key: str  # normalise(text)


@dataclass(frozen=True)
class SearchHit:
    iri: str
    label: IndexedLabel
    rank: int  # 0 exact, 1 prefix, 2 substring


@dataclass
class ResourceIndex:
    labels: dict[str, list[IndexedLabel]] = field(default_factory=lambda: defaultdict(list))
    types: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notations: dict[str, str] = field(default_factory=dict)
    schemes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Every label once, for search: (key, iri, label).
    entries: list[tuple[str, str, IndexedLabel]] = field(default_factory=list)

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        if isinstance(o, ox.Literal):
            if p == SKOS + "notation":
                self.notations.setdefault(s, o.value)
                return
            label = IndexedLabel(o.value, (o.language or "").lower(), p in PREFERRED,
                                 normalise(o.value))  # fmt: skip
            if label not in self.labels[s]:
                self.labels[s].append(label)
                self.entries.append((label.key, s, label))
        elif p == RDF_TYPE and o.value not in self.types[s]:
            self.types[s].append(o.value)
        elif p == SKOS + "inScheme" and o.value not in self.schemes[s]:
            self.schemes[s].append(o.value)

    def members(self, class_iri: str) -> list[str]:
        """The IRIs typed `class_iri`."""
        return [iri for iri, types in self.types.items() if class_iri in types]

    def class_counts(self) -> dict[str, int]:
        """Each class used, with the number of IRIs typed with it."""
        counts: dict[str, int] = defaultdict(int)
        for types in self.types.values():
            for class_iri in types:
                counts[class_iri] += 1
        return dict(counts)

    def named(self, under: str) -> list[str]:
        """Every IRI starting with `under` that has a name of its own."""
        return [iri for iri, labels in self.labels.items()
                if iri.startswith(under) and any(lab.preferred for lab in labels)]  # fmt: skip

    def search(self, query: str, language: str, limit: int) -> list[SearchHit]:
        """The resources whose labels match `query`, best first, each once."""
        key = normalise(query)
        if not key:
            return []
        best: dict[str, tuple[tuple, SearchHit]] = {}
        for text, iri, label in self.entries:
            if text == key:
                rank = 0
            elif text.startswith(key):
                rank = 1
            elif key in text:
                rank = 2
            else:
                continue
            order = (rank, label.language != language, not label.preferred, len(text), text, iri)
            current = best.get(iri)
            if current is None or order < current[0]:
                best[iri] = (order, SearchHit(iri, label, rank))
        ranked = sorted(best.values(), key=lambda pair: pair[0])
        return [hit for _, hit in ranked[:limit]]


async def build_index(runner: QueryRunner) -> ResourceIndex:
    """The index of the served graph: one query, evaluated once."""
    outcome = await runner.run(QueryJob(_QUERY, format_name="json"))
    if outcome.truncated:
        raise RuntimeError("the resource index query was truncated: raise max_result_rows")
    solutions = select_solutions(outcome)
    index = ResourceIndex()
    for row in solutions:
        s, p, o = row["s"], row["p"], row["o"]
        if isinstance(s, ox.NamedNode) and isinstance(p, ox.NamedNode):
            if isinstance(o, ox.NamedNode | ox.Literal):
                index.add(s.value, p.value, o)
    return index
