"""Where the graph files live, and which files are RDF: the checkout when run from one, else the
copy in the wheel. Standard library only: setup.py loads this module to copy the same folders."""

from __future__ import annotations

from pathlib import Path

__all__ = ["GRAPH_DIRS", "QUAD_FORMATS", "RDF_SUFFIXES", "graph_dir", "graph_root", "rdf_files"]

GRAPH_DIRS = ("ontology", "data", "shapes", "queries")

# File suffix -> format name (rdflib's names; dataset.OXIGRAPH_FORMATS maps them to pyoxigraph's).
RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".trig": "trig",
    ".nq": "nquads",
}
# Formats that name their own graphs.
QUAD_FORMATS = frozenset({"trig", "nquads"})


def graph_root() -> Path:
    """The folder that holds ontology/, data/, shapes/ and queries/."""
    package = Path(__file__).resolve().parent
    checkout = package.parent.parent
    if (checkout / "ontology").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return package / "graph"


def graph_dir(name: str, root: Path | None = None) -> Path:
    if name not in GRAPH_DIRS:
        raise ValueError(f"unknown graph folder {name!r}")
    return (root or graph_root()) / name


def rdf_files(paths: list[Path]) -> list[Path]:
    """Expand files and folders into a sorted list of RDF files; missing paths are kept so the
    caller can report them."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in RDF_SUFFIXES
                )
            )
        else:
            found.append(path)
    return found
