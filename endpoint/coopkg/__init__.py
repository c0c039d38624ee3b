"""coopkg: the coops4dev knowledge graph of the international cooperative movement."""

__version__ = "0.1.0"

ONTOLOGY_IRI = "https://w3id.org/coops4dev/ontology"
ONTOLOGY_NS = "https://w3id.org/coops4dev/ontology#"
INSTANCE_BASE = "https://w3id.org/coops4dev/id/"
SHAPES_GRAPH = "https://w3id.org/coops4dev/graph/shapes"

__all__ = ["INSTANCE_BASE", "ONTOLOGY_IRI", "ONTOLOGY_NS", "SHAPES_GRAPH", "__version__"]
