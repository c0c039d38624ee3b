"""The dataset's identity, recorded beside the data so that a server knows what it serves (its
ETags derive from it) without reading the files again. `coopkg load` writes it as a JSON file in
the store's folder (`write_record`, `open_store`); `coopkg push` writes it into an external
engine, in the named graph `vocab.META_GRAPH`:

    <META_GRAPH> dcterms:identifier "<etag>" ;      # DatasetInfo.etag: a hash of the files
        void:triples <quads> ;
        dcterms:hasPart <named graph> , … ;          # the dataset's named graphs
        dcterms:source "<file name>" , … ;
        dcterms:modified "<when>"^^xsd:dateTime .
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from .dataset import DatasetInfo, LoadError
from .vocab import DCTERMS, META_GRAPH, VOID, XSD

__all__ = ["META_QUERY", "RECORD", "info_from_rows", "meta_triples", "open_store", "write_record"]

RECORD = "coopkg-dataset.json"  # in an on-disk store's folder

_ID, _PART, _SOURCE = DCTERMS + "identifier", DCTERMS + "hasPart", DCTERMS + "source"
_TRIPLES, _MODIFIED = VOID + "triples", DCTERMS + "modified"

META_QUERY = f"SELECT ?p ?o WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> ?p ?o }} }}"
"""The record, as (predicate, object) rows; `info_from_rows` reads them."""


def meta_triples(info: DatasetInfo) -> list[ox.Triple]:
    node = ox.NamedNode(META_GRAPH)

    def triple(predicate: str, obj: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(node, ox.NamedNode(predicate), obj)

    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    triples = [
        triple(_ID, ox.Literal(info.etag)),
        triple(_TRIPLES, ox.Literal(str(info.quads), datatype=ox.NamedNode(XSD + "integer"))),
        triple(_MODIFIED, ox.Literal(now, datatype=ox.NamedNode(XSD + "dateTime"))),
    ]
    triples += [triple(_PART, ox.NamedNode(g)) for g in info.named_graphs]
    triples += [triple(_SOURCE, ox.Literal(str(path))) for path in info.files]
    return triples


def info_from_rows(rows: list[tuple[ox.NamedNode, object]]) -> DatasetInfo | None:
    """The DatasetInfo a record states, or None when there is no record (nothing pushed)."""
    etag, quads = None, 0
    graphs: list[str] = []
    files: list[Path] = []
    for predicate, obj in rows:
        value = getattr(obj, "value", "")
        if predicate.value == _ID:
            etag = value
        elif predicate.value == _TRIPLES:
            quads = int(value) if value.isdigit() else 0
        elif predicate.value == _PART:
            graphs.append(value)
        elif predicate.value == _SOURCE:
            files.append(Path(value))
    if not etag:
        return None
    return DatasetInfo(
        files=tuple(sorted(files)),
        etag=etag,
        quads=quads,
        named_graphs=tuple(sorted(graphs)),
    )


def write_record(folder: Path, info: DatasetInfo) -> None:
    record = {
        "etag": info.etag,
        "quads": info.quads,
        "named_graphs": list(info.named_graphs),
        "files": [str(path) for path in info.files],
        "modified": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    (folder / RECORD).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def open_store(folder: Path) -> tuple[ox.Store, DatasetInfo]:
    """The on-disk store `coopkg load` made in `folder`, opened read-only, and what it holds."""
    try:
        record = json.loads((Path(folder) / RECORD).read_text(encoding="utf-8"))
        info = DatasetInfo(
            files=tuple(Path(f) for f in record["files"]),
            etag=str(record["etag"]),
            quads=int(record["quads"]),
            named_graphs=tuple(record["named_graphs"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"{folder}: not a store made by coopkg load ({exc})") from None
    try:
        store = ox.Store.read_only(str(folder))
    except OSError as exc:
        raise LoadError(f"{folder}: the store cannot be opened: {exc}") from None
    return store, info
