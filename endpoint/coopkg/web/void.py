"""The dataset's description: what `data/dataset.trig` states about
`https://w3id.org/coops4dev/id/dataset/coops4dev` (title, licence, publisher, languages...), each
statement with its source, plus what the software computes from the served graph, which no source
states and which therefore sits in no source's graph:

- VoID: `void:triples`, `void:entities`, distinct subjects and objects, `void:classes` and
  `void:properties`, a `void:classPartition` per class and a `void:propertyPartition` per property
  with their counts (coopkg.query.statistics), `void:sparqlEndpoint`, `void:dataDump`,
  `void:vocabulary` (the namespaces of the classes and properties used) and a few
  `void:exampleResource`s;
- DCAT 3: each dump a `dcat:Distribution` (`dcat:downloadURL`, `dcat:mediaType`,
  `dcat:compressFormat` for the gzipped ones, `dcat:byteSize`, `spdx:checksum` SHA-256), and the
  SPARQL endpoint a `dcat:DataService` reached through a distribution's `dcat:accessService`;
- `prov:wasDerivedFrom` each source whose named graph is served, `dcterms:modified` (the newest
  modification time of the served files), and the SHACL conformance of the served files
  (coopkg.web.conformance: `coopkg validate` run once, on first request) as a `sh:ValidationReport`
  and `dcterms:conformsTo` the shapes graph when it conforms;
- an `rdfs:comment` saying that these statements are computed by coopkg, not stated by a source.

The linked-data route (coopkg.web.linked_data) calls `describe` for every resource; only the
dataset's description is extended. Hash IRIs (`…/coops4dev#class-coop-Office`) name the
partitions, distributions, the service and the report, so that their statements live in the
dataset's own document.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime

import pyoxigraph as ox

from .. import __version__
from ..errors import SparqlError
from ..query.resource import ResourceDescription, Statement, describe_resource
from ..query.statistics import DatasetStatistics
from ..vocab import (
    DATASET_IRI,
    DCAT,
    DCTERMS,
    LICENSE_IRI,
    ONTOLOGY_NS,
    PREFIXES,
    PROV,
    RDF_TYPE,
    RDFS,
    SH,
    SHAPES_GRAPH,
    SOURCE_BASE,
    VOID,
    XSD,
)
from .conformance import Conformance, check_conformance
from .dumps import dataset_dump
from .site import label_of
from .state import AppState

__all__ = ["SPDX", "describe"]

log = logging.getLogger(__name__)
SPDX = "http://spdx.org/rdf/terms#"
IANA = "https://www.iana.org/assignments/media-types/"
_NAMES = {**PREFIXES, "void": VOID, "dcat": DCAT, "foaf": "http://xmlns.com/foaf/0.1/", "sh": SH,
          "skosxl": "http://www.w3.org/2008/05/skos-xl#"}  # fmt: skip
_COMMENT = (
    "The figures, partitions, distributions, checksums, sources, modification date and SHACL "
    "conformance of this dataset are computed by coopkg {version} from the served graph; no "
    "source states them, so they sit in no source's graph."
)
_TERMS: dict[str, tuple[str, str, str]] = {
    VOID + "triples": ("statements", "énoncés", "enunciados"),
    VOID + "entities": ("resources", "ressources", "recursos"),
    VOID + "distinctSubjects": ("distinct subjects", "sujets distincts", "sujetos distintos"),
    VOID + "distinctObjects": ("distinct objects", "objets distincts", "objetos distintos"),
    VOID + "classes": ("classes used", "classes utilisées", "clases usadas"),
    VOID + "properties": ("properties used", "propriétés utilisées", "propiedades usadas"),
    VOID + "classPartition": ("instances per class", "instances par classe",
                              "instancias por clase"),
    VOID + "propertyPartition": ("statements per property", "énoncés par propriété",
                                 "enunciados por propiedad"),
    VOID + "sparqlEndpoint": ("SPARQL endpoint", "point d'accès SPARQL", "punto de acceso SPARQL"),
    VOID + "dataDump": ("dump", "export", "volcado"),
    VOID + "vocabulary": ("vocabulary", "vocabulaire", "vocabulario"),
    VOID + "exampleResource": ("example", "exemple", "ejemplo"),
    VOID + "uriSpace": ("URI space", "espace d'URI", "espacio de URI"),
    DCAT + "distribution": ("distribution", "distribution", "distribución"),
    DCAT + "servesDataset": ("serves", "sert", "sirve"),
    PROV + "wasDerivedFrom": ("derived from", "dérivé de", "derivado de"),
}  # fmt: skip


def _slug(iri: str) -> str:
    for prefix, namespace in _NAMES.items():
        if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z0-9_-]+", iri[len(namespace) :]):
            return f"{prefix}-{iri[len(namespace) :]}"
    return "x-" + hashlib.blake2b(iri.encode(), digest_size=6).hexdigest()


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


class _Computed:
    """Adds computed statements to a description, skipping what the graph already states."""

    def __init__(self, description: ResourceDescription, state: AppState) -> None:
        self.description = description
        self.state = state
        self.known = {(s.subject, s.predicate, s.object) for s in description.outgoing}

    def node(self, fragment: str) -> ox.NamedNode:
        return ox.NamedNode(f"{DATASET_IRI}#{fragment}")

    def add(self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        triple = (s, ox.NamedNode(p), obj)
        if triple not in self.known:
            self.known.add(triple)
            self.description.outgoing.append(Statement(*triple, ()))
            if isinstance(obj, ox.NamedNode) and obj.value not in self.description.labels:
                names = [lab for lab in self.state.index.labels.get(obj.value, []) if lab.preferred]
                self.description.labels[obj.value] = [
                    ox.Literal(lab.text, language=lab.language or None) for lab in names
                ]

    def count(self, s: ox.NamedNode, p: str, n: int, datatype: str = "integer") -> None:
        self.add(s, p, ox.Literal(str(n), datatype=ox.NamedNode(XSD + datatype)))

    def label(self, node: ox.NamedNode, en: str, fr: str, es: str) -> None:
        self.description.labels[node.value] = [
            ox.Literal(en, language="en"), ox.Literal(fr, language="fr"),
            ox.Literal(es, language="es"),
        ]  # fmt: skip

    def named(self, iri: str, suffix: str = "") -> tuple[str, str, str]:
        en, fr, es = (label_of(self.state, iri, lang).text + suffix for lang in ("en", "fr", "es"))
        return en, fr, es


def _figures(c: _Computed, dataset: ox.NamedNode, statistics: DatasetStatistics) -> None:
    c.count(dataset, VOID + "triples", statistics.triples)
    c.count(dataset, VOID + "entities", statistics.entities)
    c.count(dataset, VOID + "distinctSubjects", statistics.distinct_subjects)
    c.count(dataset, VOID + "distinctObjects", statistics.distinct_objects)
    c.count(dataset, VOID + "classes", len(statistics.classes))
    c.count(dataset, VOID + "properties", len(statistics.properties))
    for kind, counts, unit in (
        ("class", statistics.classes, VOID + "entities"),
        ("property", statistics.properties, VOID + "triples"),
    ):
        for term, n in counts.items():
            part = c.node(f"{kind}-{_slug(term)}")
            c.add(dataset, VOID + f"{kind}Partition", part)
            c.add(part, VOID + kind, term)
            c.count(part, unit, n)
            c.label(part, *c.named(term, f": {n}"))
    vocabularies = {_namespace(t) for t in (*statistics.classes, *statistics.properties)}
    for namespace in sorted(vocabularies):
        c.add(dataset, VOID + "vocabulary", namespace)
    own = [cls for cls in statistics.classes if cls.startswith(ONTOLOGY_NS)][:3]
    for cls in own:
        members = sorted(c.state.index.members(cls))
        if members:
            c.add(dataset, VOID + "exampleResource", members[0])
    for graph in statistics.graphs:
        if graph.startswith(SOURCE_BASE):
            c.add(dataset, PROV + "wasDerivedFrom", graph)


def _services(c: _Computed, dataset: ox.NamedNode, base: str) -> None:
    endpoint = base + "sparql"
    c.add(dataset, VOID + "sparqlEndpoint", endpoint)
    distribution, service = c.node("sparql"), c.node("sparql-service")
    c.add(dataset, DCAT + "distribution", distribution)
    c.add(distribution, RDF_TYPE, DCAT + "Distribution")
    c.add(distribution, DCAT + "accessURL", endpoint)
    c.add(distribution, DCAT + "accessService", service)
    c.add(service, RDF_TYPE, DCAT + "DataService")
    c.add(service, DCAT + "endpointURL", endpoint)
    c.add(service, DCAT + "endpointDescription", endpoint)
    c.add(service, DCTERMS + "conformsTo", "https://www.w3.org/TR/sparql11-protocol/")
    c.add(service, DCTERMS + "title", ox.Literal("SPARQL 1.1 endpoint", language="en"))
    c.label(distribution, "SPARQL endpoint", "point d'accès SPARQL", "punto de acceso SPARQL")
    c.description.incoming.append(
        Statement(service, ox.NamedNode(DCAT + "servesDataset"), dataset, ())
    )
    c.label(service, "SPARQL endpoint", "point d'accès SPARQL", "punto de acceso SPARQL")


def _distributions(c: _Computed, dataset: ox.NamedNode, base: str, state: AppState) -> None:
    if state.dump is None:
        return
    for name, file in state.dump.files.items():
        url = f"{base}dumps/{name}"
        node = c.node("dump-" + name.split(".", 1)[1].replace(".", "-"))
        if not file.gzipped:
            c.add(dataset, VOID + "dataDump", url)
        c.add(dataset, DCAT + "distribution", node)
        c.add(node, RDF_TYPE, DCAT + "Distribution")
        c.add(node, DCAT + "downloadURL", url)
        c.add(node, DCAT + "accessURL", url)
        inner = name.removesuffix(".gz")
        media = next(f.media_type for n, f in state.dump.files.items() if n == inner)
        c.add(node, DCAT + "mediaType", IANA + media)
        if file.gzipped:
            c.add(node, DCAT + "compressFormat", IANA + "application/gzip")
        c.count(node, DCAT + "byteSize", file.size, "nonNegativeInteger")
        c.add(node, DCTERMS + "license", LICENSE_IRI)
        c.add(node, DCTERMS + "title", ox.Literal(f"{file.label} dump", language="en"))
        checksum = c.node(f"{node.value.rsplit('#', 1)[1]}-sha256")
        c.add(node, SPDX + "checksum", checksum)
        c.add(checksum, RDF_TYPE, SPDX + "Checksum")
        c.add(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
        c.add(checksum, SPDX + "checksumValue",
              ox.Literal(file.sha256, datatype=ox.NamedNode(XSD + "hexBinary")))  # fmt: skip
        size = f"{file.size:,} B"
        c.label(node, f"{file.label} ({size})", f"{file.label} ({size})", f"{file.label} ({size})")


def _conformance(c: _Computed, dataset: ox.NamedNode, result: Conformance | None) -> None:
    if result is None:
        return
    report = c.node("shacl-validation")
    if result.conforms:
        c.add(dataset, DCTERMS + "conformsTo", SHAPES_GRAPH)
    c.add(dataset, RDFS + "seeAlso", report)
    c.add(report, RDF_TYPE, SH + "ValidationReport")
    c.add(report, SH + "conforms", ox.Literal("true" if result.conforms else "false",
                                              datatype=ox.NamedNode(XSD + "boolean")))  # fmt: skip
    text = (f"coopkg validate on the served files: {result.shapes} shapes, "
            f"{result.violations} violations, {result.warnings} warnings")  # fmt: skip
    c.add(report, RDFS + "comment", ox.Literal(text, language="en"))
    verdict = ("conforms", "conforme", "conforme") if result.conforms else (
        "does not conform", "non conforme", "no conforme")  # fmt: skip
    c.label(report, f"SHACL: {verdict[0]}", f"SHACL : {verdict[1]}", f"SHACL: {verdict[2]}")


def _modified(c: _Computed, dataset: ox.NamedNode, state: AppState) -> None:
    times = [p.stat().st_mtime for p in state.dataset.files if p.exists()]
    if times:
        stamp = datetime.fromtimestamp(max(times), UTC).replace(microsecond=0)
        c.add(dataset, DCTERMS + "modified",
              ox.Literal(stamp.isoformat().replace("+00:00", "Z"),
                         datatype=ox.NamedNode(XSD + "dateTime")))  # fmt: skip


async def _ensure_facts(state: AppState) -> None:
    """The dumps and the conformance, made once."""
    try:
        await dataset_dump(state)
    except (SparqlError, RuntimeError) as exc:
        log.warning("dataset description without distributions: %s", exc)
    if not state.conformance_checked:
        async with state.building:
            if not state.conformance_checked:
                if state.dataset.files:  # the embedded engine: the files are known
                    state.conformance = await check_conformance(state.settings.graph_paths)
                state.conformance_checked = True


async def describe(state: AppState, iri: str) -> ResourceDescription:
    """What the graph says about `iri`; for the dataset, with the computed statements."""
    description = await describe_resource(state.runner, iri)
    if iri != DATASET_IRI or not description.exists or state.statistics is None:
        return description
    await _ensure_facts(state)
    computed = _Computed(description, state)
    dataset = ox.NamedNode(DATASET_IRI)
    base = state.settings.base_iri
    _figures(computed, dataset, state.statistics)
    _services(computed, dataset, base)
    _distributions(computed, dataset, base, state)
    _conformance(computed, dataset, state.conformance)
    _modified(computed, dataset, state)
    computed.add(dataset, RDFS + "comment",
                 ox.Literal(_COMMENT.format(version=__version__), language="en"))  # fmt: skip
    for term, (en, fr, es) in _TERMS.items():
        computed.label(ox.NamedNode(term), en, fr, es)
    return description
