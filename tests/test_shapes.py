"""The shapes themselves: valid SHACL (meta-SHACL), no misspelt `sh:` terms, traceable names, and
severities where they belong (violations in the core files, warnings in shapes/warnings.ttl)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

import pytest
from coopkg.files import graph_dir
from coopkg.validate import SHAPES_NS, Inputs, load_inputs, validate
from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH

SHAPES_DIR = graph_dir("shapes")
SHAPES_FILES = sorted(SHAPES_DIR.glob("*.ttl"))
WARNINGS_FILE = SHAPES_DIR / "warnings.ttl"
SH_NS = str(SH)
SOURCED = URIRef(SHAPES_NS + "SourcedShape")
LABELLED = URIRef(SHAPES_NS + "LabelledShape")
SKOSXL = Namespace("http://www.w3.org/2008/05/skos-xl#")


@cache
def shapes_graph(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@cache
def all_shapes() -> Graph:
    graph = Graph()
    for path in SHAPES_FILES:
        graph += shapes_graph(path)
    return graph


@cache
def shacl_vocabulary() -> frozenset[URIRef]:
    """Every term the SHACL vocabulary defines, read from the W3C SHACL graph pySHACL ships."""
    graph = Graph().parse(files("pyshacl") / "assets" / "shacl.ttl", format="turtle")
    return frozenset(
        s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(SH_NS)
    )


def undefined_sh_terms(graph: Graph) -> set[URIRef]:
    """`sh:` IRIs a graph uses that SHACL does not define (`sh:shape`, `sh:message:`...)."""
    used = {
        term
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(SH_NS)
    }
    return used - shacl_vocabulary()


def property_shapes(graph: Graph) -> set:
    return set(graph.objects(None, SH.property)) | set(graph.subjects(RDF.type, SH.PropertyShape))


def node_shapes(graph: Graph) -> set:
    return set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(SH.property, None))


def test_there_are_shapes():
    assert SHAPES_FILES, f"no shapes in {SHAPES_DIR}"
    assert WARNINGS_FILE in SHAPES_FILES, "recommended rules belong in shapes/warnings.ttl"


# -- meta-SHACL and vocabulary lint ---------------------------------------------


@pytest.mark.parametrize("path", SHAPES_FILES, ids=lambda p: p.name)
def test_shapes_conform_to_shacl_shacl(path: Path):
    shacl_shacl = Graph().parse(files("pyshacl") / "assets" / "shacl-shacl.ttl", format="turtle")
    conforms, _report, text = shacl_validate(shapes_graph(path), shacl_graph=shacl_shacl)
    assert conforms, text


@pytest.mark.parametrize("path", SHAPES_FILES, ids=lambda p: p.name)
def test_shapes_use_only_terms_shacl_defines(path: Path):
    unknown = undefined_sh_terms(shapes_graph(path))
    assert not unknown, f"{path.name} uses terms SHACL does not define: {sorted(unknown)}"


def test_the_lint_catches_the_typos_engines_ignore():
    """The two slips found in published shapes: `sh:shape` for `sh:node`, `sh:message:`."""
    typos = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:shape ex:T ;
            sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:message: "typo"@en ] .
        """,
        format="turtle",
    )
    assert undefined_sh_terms(typos) == {URIRef(SH_NS + "shape"), URIRef(SH_NS + "message:")}
    assert len(shacl_vocabulary()) > 100 and SH.node in shacl_vocabulary()


def test_every_referenced_coopsh_shape_is_defined():
    """A misspelt shape IRI after sh:property or sh:node is an empty shape that never fails."""
    graph = all_shapes()
    referenced = {
        o
        for p in (SH.property, SH.node, SH.qualifiedValueShape, SH["not"])
        for o in graph.objects(None, p)
        if isinstance(o, URIRef)
    }
    undefined = {s for s in referenced if (s, None, None) not in graph}
    assert not undefined, sorted(undefined)


# -- names, messages, severities ----------------------------------------------------


def test_property_shapes_are_named_iris_with_name_and_message():
    graph = all_shapes()
    problems = []
    for shape in property_shapes(graph):
        if isinstance(shape, BNode):
            problems.append(f"blank-node property shape on path {graph.value(shape, SH.path)}")
            continue
        if not str(shape).startswith(SHAPES_NS):
            problems.append(f"{shape}: not in {SHAPES_NS}")
        for predicate in (SH.name, SH.message):
            english = [o for o in graph.objects(shape, predicate) if isinstance(o, Literal)]
            if not any(o.language == "en" for o in english):
                problems.append(f"{shape}: no English {predicate.n3(graph.namespace_manager)}")
        owners = list(graph.subjects(SH.property, shape))
        if not any(str(shape).startswith(f"{owner}-") for owner in owners):
            problems.append(f"{shape}: its IRI does not start with its node shape's IRI + '-'")
    assert not problems, "\n".join(problems)


def test_node_shapes_are_iris_with_a_target_or_a_user():
    graph = all_shapes()
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    used = set(graph.objects(None, SH.node)) | set(graph.objects(None, SH.qualifiedValueShape))
    problems = []
    for shape in node_shapes(graph):
        if isinstance(shape, BNode):
            problems.append("blank-node node shape")
        elif not any(graph.value(shape, t) for t in targets) and shape not in used:
            problems.append(f"{shape}: no target, and no shape refers to it")
        elif not any(o.language == "en" for o in graph.objects(shape, RDFS.label)):
            problems.append(f"{shape}: no English rdfs:label")
    assert not problems, "\n".join(problems)


def test_every_rule_states_its_severity_and_warnings_live_in_their_own_file():
    problems = []
    for path in SHAPES_FILES:
        graph = shapes_graph(path)
        expected = SH.Warning if path == WARNINGS_FILE else SH.Violation
        for shape in property_shapes(graph):
            if graph.value(shape, SH.severity) != expected:
                problems.append(f"{path.name}: {shape} lacks sh:severity {expected.n3()}")
        for shape in node_shapes(graph):
            severity = graph.value(shape, SH.severity)
            if severity not in (None, expected):
                problems.append(f"{path.name}: {shape} has {severity}, expected {expected}")
    assert not problems, "\n".join(problems)


# -- shapes against the ontology and the data -------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_inputs([graph_dir("ontology"), graph_dir("data"), SHAPES_DIR])


def test_every_target_class_is_a_class_of_the_graph(shipped):
    """A misspelt sh:targetClass or sh:class targets nothing and checks nothing."""
    data = shipped.data
    known = set(data.objects(None, RDF.type))
    known |= set(data.subjects(RDFS.subClassOf, None)) | set(data.objects(None, RDFS.subClassOf))
    shapes = all_shapes()
    used = set(shapes.objects(None, SH.targetClass)) | set(shapes.objects(None, SH["class"]))
    assert not used - known, sorted(used - known)


def focus_nodes(shape: URIRef, data: Graph) -> set:
    """The nodes sh:targetClass selects: instances of the classes and of their subclasses."""
    classes = set()
    for cls in all_shapes().objects(shape, SH.targetClass):
        classes |= set(data.transitive_subjects(RDFS.subClassOf, cls))
    return {s for cls in classes for s in data.subjects(RDF.type, cls)}


def data_resources(shipped) -> set:
    data_dir = graph_dir("data").resolve()
    return {s for f in shipped.files if f.path.resolve().is_relative_to(data_dir) for s in f.typed}


def test_every_resource_in_the_data_is_checked_for_its_source(shipped):
    unchecked = data_resources(shipped) - focus_nodes(SOURCED, shipped.data)
    assert not unchecked, f"add their classes to {SOURCED}'s targets: {sorted(unchecked)}"


def test_every_resource_in_the_data_is_checked_for_its_labels(shipped):
    xl_labels = set(shipped.data.subjects(RDF.type, SKOSXL.Label))
    unchecked = data_resources(shipped) - xl_labels - focus_nodes(LABELLED, shipped.data)
    assert not unchecked, f"add their classes to {LABELLED}'s targets: {sorted(unchecked)}"


def test_owl_rl_closure_of_the_graph_still_conforms(shipped):
    """What the OWL RL reasoning of a consumer adds must not break a rule (the issue asks for it):
    inferred types widen the targets, inferred triples add values."""
    import owlrl

    closure = Graph()
    closure += shipped.data
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    assert len(closure) > len(shipped.data)
    result = validate(Inputs.from_graphs(closure, shipped.shapes))
    assert not result.violations, "\n".join(
        f"{r.focus} {r.shape} {r.component} {r.value}" for r in result.violations
    )
