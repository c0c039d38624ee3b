"""Statement-level provenance: every statement of data/ sits in the named graph of a source that
states it (data/*.trig), and a researcher finds those sources through the endpoint with plain
SPARQL 1.1 (`GRAPH ?source { s p o }`).

- every statement of data/, asked over HTTP of a real server, has at least one source, and the
  sources the endpoint returns are exactly the graphs the files put it in;
- the attributions a fact-check verified by hand hold;
- a resource's dcterms:source is the summary of the graphs that hold statements about it;
- every graph name is a source described in data/sources.trig.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = sorted((ROOT / "data").glob("*.trig"))
ID = "https://w3id.org/coops4dev/id/"
SRC = ID + "source/"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SEEDS = (SRC + "seed-coops4dev", SRC + "seed-ica-about-fr")
FACT_SHEET = SRC + "coops4dev-fact-sheet"
EDITORIAL = SRC + "project-editorial"
BATCH = 200  # statements per SPARQL request


def _statements() -> dict[ox.Triple, set[str]]:
    """Each statement of data/ with the graphs the files put it in."""
    graphs: dict[ox.Triple, set[str]] = defaultdict(set)
    for path in DATA_FILES:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
            assert isinstance(quad.graph_name, ox.NamedNode), (
                f"{path.name}: {quad.triple} is outside any GRAPH block"
            )
            graphs[quad.triple].add(quad.graph_name.value)
    return dict(graphs)


STATEMENTS = _statements()


def _sparql_term(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> str:
    assert not isinstance(term, ox.BlankNode), "data/ has no blank nodes"
    return str(term)  # pyoxigraph writes N-Triples syntax, which SPARQL reads


def _from_json(binding: dict) -> ox.NamedNode | ox.Literal:
    if binding["type"] == "uri":
        return ox.NamedNode(binding["value"])
    if "xml:lang" in binding:
        return ox.Literal(binding["value"], language=binding["xml:lang"])
    datatype = binding.get("datatype", XSD + "string")
    return ox.Literal(binding["value"], datatype=ox.NamedNode(datatype))


def _sources_over_http(endpoint: str, triples: list[ox.Triple]) -> dict[ox.Triple, set[str]]:
    rows = "\n".join(
        f"    ({_sparql_term(t.subject)} {_sparql_term(t.predicate)} {_sparql_term(t.object)})"
        for t in triples
    )
    query = (
        "SELECT ?s ?p ?o ?source WHERE {\n"
        f"  VALUES (?s ?p ?o) {{\n{rows}\n  }}\n"
        "  GRAPH ?source { ?s ?p ?o }\n}"
    )
    response = httpx.post(
        endpoint,
        content=query.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
        timeout=30,
    )
    response.raise_for_status()
    found: dict[ox.Triple, set[str]] = defaultdict(set)
    for row in response.json()["results"]["bindings"]:
        triple = ox.Triple(_from_json(row["s"]), _from_json(row["p"]), _from_json(row["o"]))
        found[triple].add(row["source"]["value"])
    return found


def test_data_is_a_set_of_source_graphs() -> None:
    assert len(DATA_FILES) == 11
    assert len(STATEMENTS) > 1500


def test_every_statement_has_its_sources_through_the_endpoint(server: str) -> None:
    """For EVERY statement of data/, SPARQL over HTTP finds at least one source, and exactly the
    graphs the files put it in."""
    endpoint = f"{server}/sparql"
    triples = sorted(STATEMENTS, key=str)
    found: dict[ox.Triple, set[str]] = {}
    for start in range(0, len(triples), BATCH):
        found.update(_sources_over_http(endpoint, triples[start : start + BATCH]))
    unsourced = [str(t) for t in triples if not found.get(t)]
    assert not unsourced, f"{len(unsourced)} statements without a source, e.g. {unsourced[:5]}"
    wrong = [
        (str(t), sorted(found[t]), sorted(STATEMENTS[t]))
        for t in triples
        if found[t] != STATEMENTS[t]
    ]
    assert not wrong, f"{len(wrong)} statements whose sources differ, e.g. {wrong[:3]}"


def test_a_query_without_graph_sees_every_statement_once(server: str) -> None:
    """The default graph is the union: counting data/ statements without GRAPH gives each once."""
    query = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER STRSTARTS(STR(?s), "' + ID + '") }'
    response = httpx.get(f"{server}/sparql", params={"query": query, "format": "json"}, timeout=30)
    count = int(response.json()["results"]["bindings"][0]["n"]["value"])
    in_data = sum(1 for t in STATEMENTS if t.subject.value.startswith(ID))
    assert count == in_data


# -- The attributions a fact-check verified by hand ---------------------------------------------


def _graphs(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> set[str]:
    return STATEMENTS.get(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj), set())


ICA = ID + "organisation/ica"
SITE = ID + "site/"

HAND_CHECKED = [
    pytest.param(
        ID + "organisation/european-commission",
        SCHEMA + "sameAs",
        ox.NamedNode("http://www.wikidata.org/entity/Q8880"),
        {FACT_SHEET},
        id="Q8880",
    ),
    pytest.param(
        ID + "concept/cooperative",
        SKOS + "closeMatch",
        ox.NamedNode("http://www.wikidata.org/entity/Q4539"),
        {FACT_SHEET},
        id="Q4539",
    ),
    pytest.param(
        ICA,
        SCHEMA + "foundingDate",
        ox.Literal("1895", datatype=ox.NamedNode(XSD + "gYear")),
        {SRC + "seed-ica-about-fr"},
        id="ICA-founded-1895",
    ),
]


@pytest.mark.parametrize(("subject", "predicate", "obj", "expected"), HAND_CHECKED)
def test_hand_checked_attribution(subject: str, predicate: str, obj, expected: set[str]) -> None:
    assert _graphs(subject, predicate, obj) == expected


def test_identifiers_are_not_attributed_to_seed_000() -> None:
    for subject, predicate, qid in (
        (ID + "organisation/european-commission", SCHEMA + "sameAs", "Q8880"),
        (ID + "concept/cooperative", SKOS + "closeMatch", "Q4539"),
    ):
        graphs = _graphs(subject, predicate, ox.NamedNode("http://www.wikidata.org/entity/" + qid))
        assert FACT_SHEET in graphs
        assert not graphs & set(SEEDS), f"{qid} attributed to a seed: {graphs}"


HEADQUARTERS = [
    (ICA, SCHEMA + "foundingLocation", ox.NamedNode(ID + "city/london")),
    (
        SITE + "ica-headquarters-london",
        SCHEMA + "containedInPlace",
        ox.NamedNode(ID + "city/london"),
    ),
    (
        SITE + "ica-headquarters-london",
        SCHEMA + "startDate",
        ox.Literal("1895", datatype=ox.NamedNode(XSD + "gYear")),
    ),
    (
        SITE + "ica-headquarters-geneva",
        SCHEMA + "startDate",
        ox.Literal("1982", datatype=ox.NamedNode(XSD + "gYear")),
    ),
    (
        SITE + "ica-headquarters-geneva",
        SCHEMA + "containedInPlace",
        ox.NamedNode(ID + "city/geneva"),
    ),
    (
        SITE + "ica-global-office-brussels",
        SCHEMA + "startDate",
        ox.Literal("2013", datatype=ox.NamedNode(XSD + "gYear")),
    ),
    (ICA, "http://www.w3.org/ns/org#hasSite", ox.NamedNode(SITE + "ica-headquarters-london")),
    (ICA, "http://www.w3.org/ns/org#hasSite", ox.NamedNode(SITE + "ica-headquarters-geneva")),
    (
        ICA,
        "http://www.w3.org/ns/org#hasPrimarySite",
        ox.NamedNode(SITE + "ica-global-office-brussels"),
    ),
]


@pytest.mark.parametrize(
    ("subject", "predicate", "obj"),
    HEADQUARTERS,
    ids=lambda v: str(v).rsplit("/", 1)[-1].strip('<>"'),
)
def test_headquarters_history_is_not_from_the_seeds(subject: str, predicate: str, obj) -> None:
    graphs = _graphs(subject, predicate, obj)
    assert graphs, "the statement is missing"
    assert not graphs & set(SEEDS), f"attributed to a seed: {graphs}"
    assert graphs == {FACT_SHEET}


# -- Resource-level summaries and graph names ---------------------------------------------------


def test_dcterms_source_is_the_summary_of_the_graphs() -> None:
    """dcterms:source of a resource = the graphs holding statements with it as subject (the
    summary statements themselves, in src:project-editorial, are not counted)."""
    holding: dict[str, set[str]] = defaultdict(set)
    summary: dict[str, set[str]] = defaultdict(set)
    for triple, graphs in STATEMENTS.items():
        if triple.predicate.value == DCTERMS + "source":
            assert graphs == {EDITORIAL}, f"summary outside the editorial graph: {triple}"
            summary[triple.subject.value].add(triple.object.value)
        else:
            holding[triple.subject.value].update(graphs)
    problems = [
        f"{s}: dcterms:source {sorted(summary.get(s, set()))} but graphs {sorted(holding[s])}"
        for s in sorted(set(holding) | set(summary))
        if summary.get(s, set()) != holding.get(s, set())
    ]
    assert not problems, "\n".join(problems[:20])


def test_every_graph_name_is_a_described_source() -> None:
    graph_names = {g for graphs in STATEMENTS.values() for g in graphs}
    described = {
        t.subject.value
        for t in STATEMENTS
        if t.predicate.value == RDF_TYPE
        and t.object == ox.NamedNode(DCTERMS + "BibliographicResource")
    }
    assert graph_names <= described, sorted(graph_names - described)
    assert all(g.startswith(SRC) for g in graph_names)
    assert EDITORIAL in graph_names and FACT_SHEET in graph_names


def test_the_service_description_names_the_source_graphs(server: str) -> None:
    response = httpx.get(f"{server}/sparql", headers={"Accept": "application/n-triples"})
    triples = list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    comment = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
    named = {t.subject for t in triples if t.predicate == ox.NamedNode(sd + "name")}
    names = {
        t.object.value
        for t in triples
        if t.predicate == ox.NamedNode(sd + "name") and t.subject in named
    }
    assert {*SEEDS, FACT_SHEET, EDITORIAL} <= names
    commented = {t.subject for t in triples if t.predicate == comment}
    source_nodes = {
        t.subject
        for t in triples
        if t.predicate == ox.NamedNode(sd + "name") and t.object.value.startswith(SRC)
    }
    assert source_nodes <= commented
