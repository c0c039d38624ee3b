"""Checks of the ontology (ontology/coop.ttl) and the instance data (data/*.trig, one named graph
per source; the checks below read their union, and the statement-level ones read the graphs).

Each test is a real check that fails on a broken graph: parse errors, an inconsistent OWL RL
closure, an undocumented or undeclared coop: term, unsourced or unlabelled resources, blank
nodes, dangling references to sources.
"""

from __future__ import annotations

from pathlib import Path

import owlrl
import pyoxigraph
import pytest
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "coop.ttl"
DATA_FILES = sorted((ROOT / "data").glob("*.trig"))
ALL_FILES = [ONTOLOGY_FILE, *DATA_FILES]

COOP = Namespace("https://w3id.org/coops4dev/ontology#")
ONTOLOGY = URIRef("https://w3id.org/coops4dev/ontology")
ID = "https://w3id.org/coops4dev/id/"
SOURCE_PREFIX = ID + "source/"
SKOSXL = Namespace("http://www.w3.org/2008/05/skos-xl#")
SCHEMA = Namespace("https://schema.org/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VANN = Namespace("http://purl.org/vocab/vann/")
CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")

# Resources whose labels are carried by skosxl:literalForm, not skos:prefLabel.
LABEL_CLASSES = {SKOSXL.Label}


def _parse(*paths: Path) -> Graph:
    """The union of the files' statements (TriG: of all their named graphs)."""
    graph = Graph()
    for path in paths:
        if path.suffix == ".trig":
            dataset = Dataset()
            dataset.parse(path, format="trig")
            for s, p, o, _ in dataset.quads((None, None, None, None)):
                graph.add((s, p, o))
        else:
            graph.parse(path, format="turtle")
    return graph


def _sources_of(triple: tuple) -> set[URIRef]:
    """The named graphs (sources) of data/ that hold the statement."""
    return {
        g.identifier if hasattr(g, "identifier") else g for _, _, _, g in _DATASET.quads(triple)
    }


_DATASET = Dataset()
for _path in DATA_FILES:
    _DATASET.parse(_path, format="trig")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _parse(ONTOLOGY_FILE)


@pytest.fixture(scope="module")
def data() -> Graph:
    return _parse(*DATA_FILES)


@pytest.fixture(scope="module")
def combined(ontology: Graph, data: Graph) -> Graph:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    for triple in data:
        graph.add(triple)
    return graph


def _typed_subjects(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}


def _coop_terms(graph: Graph) -> set[URIRef]:
    return {
        s
        for s in graph.subjects()
        if isinstance(s, URIRef) and str(s).startswith(str(COOP)) and s != URIRef(str(COOP))
    }


# -- Parsing ---------------------------------------------------------------------


def test_the_graph_has_the_expected_files() -> None:
    names = {p.name for p in DATA_FILES}
    expected = {
        "sources.trig",
        "ica.trig",
        "offices.trig",
        "sectoral-organisations.trig",
        "committees.trig",
        "partnership.trig",
        "identity.trig",
        "sectors.trig",
        "places.trig",
        "figures.trig",
        "dataset.trig",
    }
    assert expected <= names, f"missing data files: {sorted(expected - names)}"
    assert ONTOLOGY_FILE.is_file()


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_file_parses_with_rdflib_and_pyoxigraph_to_the_same_size(path: Path) -> None:
    store = pyoxigraph.Store()
    if path.suffix == ".trig":
        dataset = Dataset()
        dataset.parse(path, format="trig")
        rdflib_size = sum(1 for _ in dataset.quads((None, None, None, None)))
        store.load(path=str(path), format=pyoxigraph.RdfFormat.TRIG)
    else:
        rdflib_size = len(_parse(path))
        store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    assert rdflib_size > 0, f"{path} is empty"
    assert len(store) == rdflib_size, f"{path}: rdflib {rdflib_size} vs pyoxigraph {len(store)}"


# -- Ontology header ---------------------------------------------------------------


def test_ontology_header(ontology: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY, OWL.versionIRI) == URIRef(
        "https://w3id.org/coops4dev/ontology/1.0.0"
    )
    assert ontology.value(ONTOLOGY, OWL.versionInfo) == Literal("1.0.0")
    assert (ONTOLOGY, DCTERMS.license, CC_BY_4) in ontology
    assert ontology.value(ONTOLOGY, VANN.preferredNamespacePrefix) == Literal("coop")
    assert ontology.value(ONTOLOGY, VANN.preferredNamespaceUri) == Literal(str(COOP))
    for prop in (DCTERMS.title, DCTERMS.description):
        langs = {o.language for o in ontology.objects(ONTOLOGY, prop)}
        assert {"en", "fr", "es"} <= langs, f"{prop} lacks a language: {langs}"


def test_header_annotation_properties_are_declared(ontology: Graph) -> None:
    """OWL DL: every non-OWL/RDFS property used on the ontology and on coop: terms is declared."""
    builtin = {str(RDF), str(RDFS), str(OWL)}
    subjects = {ONTOLOGY, *_coop_terms(ontology)}
    used = {
        p
        for s in subjects
        for p in ontology.predicates(s, None)
        if not any(str(p).startswith(ns) for ns in builtin)
    }
    undeclared = {
        p
        for p in used
        if (p, RDF.type, OWL.AnnotationProperty) not in ontology
        and (p, RDF.type, OWL.ObjectProperty) not in ontology
        and (p, RDF.type, OWL.DatatypeProperty) not in ontology
    }
    assert not undeclared, f"undeclared annotation properties: {sorted(undeclared)}"


def test_no_owl_imports(ontology: Graph) -> None:
    assert not list(ontology.objects(ONTOLOGY, OWL.imports))


# -- coop: terms ------------------------------------------------------------------


def test_every_coop_term_is_typed(ontology: Graph) -> None:
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    untyped = [t for t in _coop_terms(ontology) if not set(ontology.objects(t, RDF.type)) & kinds]
    assert not untyped, f"coop: terms without an OWL type: {sorted(untyped)}"


def test_every_coop_term_is_documented(ontology: Graph) -> None:
    problems = []
    for term in sorted(_coop_terms(ontology)):
        labels = list(ontology.objects(term, RDFS.label))
        langs = [lbl.language for lbl in labels]
        for lang in ("en", "fr", "es"):
            if langs.count(lang) != 1:
                problems.append(f"{term}: {langs.count(lang)} rdfs:label in {lang!r}")
        definitions = {d.language for d in ontology.objects(term, SKOS.definition)}
        if "en" not in definitions:
            problems.append(f"{term}: no English skos:definition")
        defined_by = set(ontology.objects(term, RDFS.isDefinedBy))
        if defined_by != {ONTOLOGY}:
            problems.append(f"{term}: rdfs:isDefinedBy {defined_by}, expected {{{ONTOLOGY}}}")
    assert not problems, "\n".join(problems)


def test_coop_properties_have_no_hard_domain_or_range(ontology: Graph) -> None:
    """Soft domains only: OWL RL must not infer classes onto instances from coop: properties."""
    hard = [
        (t, p)
        for t in _coop_terms(ontology)
        for p in (RDFS.domain, RDFS.range)
        if (t, p, None) in ontology
    ]
    assert not hard, f"hard domain/range on: {hard}"


def test_every_coop_term_used_in_data_is_declared(ontology: Graph, data: Graph) -> None:
    declared = _coop_terms(ontology)
    used = set()
    for s, p, o in data:
        for node in (s, p, o):
            # the bare namespace IRI (e.g. as void:vocabulary) is not a term
            if (
                isinstance(node, URIRef)
                and str(node).startswith(str(COOP))
                and str(node) != str(COOP)
            ):
                used.add(node)
    undeclared = used - declared
    assert not undeclared, f"coop: terms used in data/ but not declared: {sorted(undeclared)}"


# -- Consistency -----------------------------------------------------------------


def test_owl_rl_closure_is_consistent(combined: Graph) -> None:
    closure = Graph()
    for triple in combined:
        closure.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    nothing = sorted(closure.subjects(RDF.type, OWL.Nothing))
    assert not nothing, f"members of owl:Nothing: {nothing}"
    errors = [
        str(closure.value(m, ERRNS.error)) for m in closure.subjects(RDF.type, ERRNS.ErrorMessage)
    ]
    assert not errors, "owlrl inconsistencies:\n" + "\n".join(errors)


def test_owl_rl_closure_infers_no_coop_class_onto_unexpected_resources(
    combined: Graph, data: Graph
) -> None:
    """The closure may add superclasses, but never a coop: class to a resource not typed with
    that class or one of its subclasses in data/ (a symptom of a wrong domain or range)."""
    closure = Graph()
    for triple in combined:
        closure.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    problems = []
    for s, _, cls in closure.triples((None, RDF.type, None)):
        if not (isinstance(cls, URIRef) and str(cls).startswith(str(COOP))):
            continue
        if not (isinstance(s, URIRef) and str(s).startswith(ID)):
            continue
        asserted = set(data.objects(s, RDF.type))
        subclasses = set(closure.transitive_subjects(RDFS.subClassOf, cls))
        if not asserted & subclasses:
            problems.append(f"{s} inferred as {cls}")
    assert not problems, "\n".join(problems)


# -- Data: identifiers, provenance, labels ---------------------------------------


def test_no_blank_nodes_in_data(data: Graph) -> None:
    blank = {s for s in data.subjects() if isinstance(s, BNode)}
    blank |= {o for o in data.objects() if isinstance(o, BNode)}
    assert not blank, f"{len(blank)} blank nodes in data/"


def test_typed_subjects_live_under_the_id_namespace(data: Graph) -> None:
    outside = [s for s in _typed_subjects(data) if not str(s).startswith(ID)]
    assert not outside, f"typed resources outside {ID}: {sorted(outside)}"


def test_every_typed_resource_has_a_source(data: Graph) -> None:
    missing = [s for s in _typed_subjects(data) if (s, DCTERMS.source, None) not in data]
    assert not missing, f"resources without dcterms:source: {sorted(missing)}"


def test_every_source_target_exists_in_sources_ttl(data: Graph) -> None:
    sources = _parse(ROOT / "data" / "sources.trig")
    described = {s for s in sources.subjects(RDF.type, DCTERMS.BibliographicResource)}
    dangling = sorted({o for o in data.objects(None, DCTERMS.source) if o not in described})
    assert not dangling, f"dcterms:source targets not described in data/sources.trig: {dangling}"


# A source record standing for several unnamed pages has no single language.
SOURCES_WITHOUT_ONE_LANGUAGE = {URIRef(SOURCE_PREFIX + "other-public-sources")}


def test_sources_have_title_and_language(data: Graph) -> None:
    problems = []
    for src in data.subjects(RDF.type, DCTERMS.BibliographicResource):
        if not str(src).startswith(SOURCE_PREFIX):
            problems.append(f"{src}: not under {SOURCE_PREFIX}")
        if (src, DCTERMS.title, None) not in data:
            problems.append(f"{src}: no dcterms:title")
        if (src, DCTERMS.language, None) not in data and src not in SOURCES_WITHOUT_ONE_LANGUAGE:
            problems.append(f"{src}: no dcterms:language")
    assert not problems, "\n".join(problems)


def test_seed_documents_are_described() -> None:
    sources = _parse(ROOT / "data" / "sources.trig")
    for slug, lang, title in (
        ("seed-coops4dev", "en", "What is #coops4dev ?"),
        ("seed-ica-about-fr", "fr", "Alliance Coopérative Internationale"),
    ):
        seed = URIRef(SOURCE_PREFIX + slug)
        assert sources.value(seed, DCTERMS.title) == Literal(title, lang=lang)
        assert sources.value(seed, DCTERMS.publisher) is not None
        assert str(sources.value(seed, DCTERMS.language)).endswith("/" + lang)


def test_every_typed_resource_has_one_prefLabel_in_english_and_french(data: Graph) -> None:
    problems = []
    for s in sorted(_typed_subjects(data)):
        types = set(data.objects(s, RDF.type))
        if types & LABEL_CLASSES:
            if (s, SKOSXL.literalForm, None) not in data:
                problems.append(f"{s}: skosxl:Label without skosxl:literalForm")
            continue
        langs = [lbl.language for lbl in data.objects(s, SKOS.prefLabel)]
        for lang in ("en", "fr"):
            if langs.count(lang) != 1:
                problems.append(f"{s}: {langs.count(lang)} skos:prefLabel in {lang!r}")
        if len(langs) != len(set(langs)):
            problems.append(f"{s}: several skos:prefLabel in one language: {langs}")
    assert not problems, "\n".join(problems)


def test_labels_are_language_tagged(data: Graph) -> None:
    untagged = [
        (s, p)
        for p in (SKOS.prefLabel, SKOS.altLabel, SKOSXL.literalForm)
        for s, o in data.subject_objects(p)
        if isinstance(o, Literal) and not o.language
    ]
    assert not untagged, f"labels without a language tag: {untagged}"


def test_editorial_label_languages_are_valid(data: Graph) -> None:
    problems = []
    for s, lang in data.subject_objects(COOP.editorialLabelLanguage):
        langs = {lbl.language for lbl in data.objects(s, SKOS.prefLabel)}
        if str(lang) not in langs:
            problems.append(f"{s}: flags {lang!r} but has no prefLabel in that language")
    assert not problems, "\n".join(problems)


# -- Data: specific facts that must hold ------------------------------------------

ICA = URIRef(ID + "organisation/ica")


def test_dates_are_typed(data: Graph) -> None:
    date_props = (
        SCHEMA.foundingDate,
        SCHEMA.startDate,
        SCHEMA.endDate,
        SCHEMA.observationDate,
        DCTERMS.date,
        DCTERMS.issued,
        COOP.signedOn,
    )
    allowed = {XSD.date, XSD.gYear, XSD.gYearMonth, XSD.dateTime}
    bad = [
        (s, p, o)
        for p in date_props
        for s, o in data.subject_objects(p)
        if not isinstance(o, Literal) or o.datatype not in allowed
    ]
    assert not bad, f"untyped dates: {bad}"
    assert data.value(ICA, SCHEMA.foundingDate) == Literal("1895", datatype=XSD.gYear)
    partnership = URIRef(ID + "partnership/ica-eu-2016")
    assert data.value(partnership, SCHEMA.startDate) == Literal("2016-03", datatype=XSD.gYearMonth)
    agreement = data.value(partnership, COOP.agreement)
    assert data.value(agreement, COOP.signedOn) == Literal("2016-03-18", datatype=XSD.date)


def test_the_seed_structure_counts(data: Graph) -> None:
    def count(cls: URIRef) -> int:
        return len(set(data.subjects(RDF.type, cls)))

    assert count(COOP.GlobalOffice) == 1
    assert count(COOP.RegionalOffice) == 4
    assert count(COOP.SectoralOrganisation) == 8
    committees_and_networks = {
        s
        for cls in (COOP.Committee, COOP.Network)
        for s in data.subjects(RDF.type, cls)
        if (s, URIRef("http://www.w3.org/ns/org#unitOf"), ICA) in data
        or (s, URIRef("http://www.w3.org/ns/org#subOrganizationOf"), ICA) in data
    }
    # Seed 004: five committees and networks, one per theme. For the youth theme the fact sheet
    # names two bodies, the Youth Network and the ICA Youth Committee (the one it dates), which
    # are two resources: six bodies, five themes.
    assert len(committees_and_networks) == 6
    purpose = URIRef("http://www.w3.org/ns/org#purpose")
    themes = {data.value(body, purpose) for body in committees_and_networks}
    assert len(themes) == 5 and None not in themes
    assert count(COOP.WorkStream) == 8
    assert count(COOP.Sector) == 8
    assert count(COOP.CooperativeValue) == 6
    assert count(COOP.EthicalValue) == 4
    notations = sorted(
        int(data.value(p, SKOS.notation)) for p in data.subjects(RDF.type, COOP.Principle)
    )
    assert notations == list(range(1, 8))


def test_disagreeing_member_figures_all_stand_with_their_sources(data: Graph) -> None:
    measure = URIRef(ID + "measure/member-organisations")
    figures = {
        int(data.value(f, SCHEMA.value)): _sources_of(
            (f, SCHEMA.value, data.value(f, SCHEMA.value))
        )
        for f in data.subjects(COOP.measure, measure)
    }
    assert set(figures) == {306, 307, 310, 312}
    assert figures[307] == {URIRef(SOURCE_PREFIX + "seed-ica-about-fr")}
    for value in (306, 310, 312):
        assert figures[value] == {URIRef(SOURCE_PREFIX + "other-public-sources")}


def test_every_figure_is_dated_or_marked_undated(data: Graph) -> None:
    problems = []
    for fig in data.subjects(RDF.type, COOP.Figure):
        dated = (fig, SCHEMA.observationDate, None) in data
        undated = (fig, COOP.undated, Literal(True)) in data
        if dated == undated:
            problems.append(f"{fig}: dated={dated} undated={undated}")
        for prop in (SCHEMA.value, COOP.measure, SCHEMA.observationAbout):
            if (fig, prop, None) not in data:
                problems.append(f"{fig}: no {prop}")
    assert not problems, "\n".join(problems)


def test_only_the_sourced_wikidata_identifiers_are_used(data: Graph) -> None:
    wikidata = {
        o for o in data.objects() if isinstance(o, URIRef) and "wikidata.org/entity/" in str(o)
    }
    assert wikidata == {
        URIRef("http://www.wikidata.org/entity/Q8880"),
        URIRef("http://www.wikidata.org/entity/Q4539"),
    }


def test_unconfirmed_spanish_principle_titles_are_never_preferred_labels(data: Graph) -> None:
    for principle in data.subjects(RDF.type, COOP.Principle):
        langs = {lbl.language for lbl in data.objects(principle, SKOS.prefLabel)}
        assert "es" not in langs, f"{principle} has a Spanish prefLabel"
        for xl in data.objects(principle, SKOSXL.altLabel):
            assert _sources_of((xl, SKOSXL.literalForm, data.value(xl, SKOSXL.literalForm))) == {
                URIRef(SOURCE_PREFIX + "third-party-es-principle-titles")
            }
            assert (xl, SKOS.editorialNote, None) in data


def test_seed_name_of_the_dg_is_kept_with_its_source(data: Graph) -> None:
    dg = URIRef(ID + "organisation/dg-intpa")
    seed_labels = [
        xl
        for xl in data.objects(dg, SKOSXL.altLabel)
        if data.value(xl, SKOSXL.literalForm)
        == Literal("DG Development and Cooperation", lang="en")
    ]
    assert len(seed_labels) == 1
    literal = Literal("DG Development and Cooperation", lang="en")
    assert _sources_of((seed_labels[0], SKOSXL.literalForm, literal)) == {
        URIRef(SOURCE_PREFIX + "seed-coops4dev")
    }


def test_only_one_street_address(data: Graph) -> None:
    streets = list(data.objects(None, SCHEMA.streetAddress))
    assert streets == [Literal("Avenue Milcamps 105")]
