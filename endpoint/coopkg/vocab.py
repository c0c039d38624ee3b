"""Every namespace the package names, and the one prefix table.

The query editor declares `PREFIXES` in each new tab, the catalogue shortens IRIs with it when it
writes expected results, and the service description serialises with it: one table, so a prefix
means the same thing everywhere.
"""

from __future__ import annotations

__all__ = [
    "BASE_IRI",
    "DATASET_IRI",
    "DCAT",
    "DCTERMS",
    "DEFAULT_GRAPH",
    "FOAF",
    "LICENSE_IRI",
    "ONTOLOGY_IRI",
    "ORG",
    "PROV",
    "SKOS",
    "FORMATS_NS",
    "INSTANCE_BASE",
    "META_GRAPH",
    "ONTOLOGY_NS",
    "OWL",
    "PREFIXES",
    "RDF",
    "RDF_TYPE",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SHAPES_GRAPH",
    "SHAPES_NS",
    "SOURCE_BASE",
    "SPEX",
    "VOID",
    "XSD",
]

# The project's own IRIs.
BASE_IRI = "https://w3id.org/coops4dev/"
ONTOLOGY_NS = BASE_IRI + "ontology#"
INSTANCE_BASE = BASE_IRI + "id/"
SHAPES_NS = BASE_IRI + "shapes#"
SHAPES_GRAPH = BASE_IRI + "graph/shapes"
# In an external engine or an on-disk store: what version of the dataset it holds (coopkg.meta),
# and (external engines) a copy of the default graph, named, since engines disagree on what
# their own default graph is (Virtuoso's is the union of every graph it holds).
META_GRAPH = BASE_IRI + "graph/meta"
DEFAULT_GRAPH = BASE_IRI + "graph/default"
SOURCE_BASE = INSTANCE_BASE + "source/"
DATASET_IRI = INSTANCE_BASE + "dataset/coops4dev"
ONTOLOGY_IRI = BASE_IRI + "ontology"
LICENSE_IRI = "https://creativecommons.org/licenses/by/4.0/"
"""Sources: each is also the named graph of the statements it makes (see the ontology's header)."""

# Vocabularies.
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
DCAT = "http://www.w3.org/ns/dcat#"
SH = "http://www.w3.org/ns/shacl#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SPEX = "https://purl.expasy.org/sparql-examples/ontology#"
FORMATS_NS = "http://www.w3.org/ns/formats/"

RDF_TYPE = RDF + "type"

PREFIXES: dict[str, str] = {
    "coop": ONTOLOGY_NS,
    "id": INSTANCE_BASE,
    "org": ORG,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "rdfs": RDFS,
    "rdf": RDF,
    "xsd": XSD,
    "schema": SCHEMA,
    "prov": PROV,
    "owl": OWL,
}
"""The project's prefixes, in the order the query editor declares them."""
