"""Dumps of the whole served dataset, read through the runner by one SELECT over the default graph
and every named graph (one query, so blank nodes keep one identity across graphs), then written
in each format, gzipped, and summed (SHA-256).

Turtle, N-Triples and JSON-LD hold the default graph: the ontology and every statement of the data
once. TriG and N-Quads hold the default graph and every named graph as served: each source's
statements in the source's graph, and the shapes in theirs.

The store gives blank nodes new identifiers at every load, so they are relabelled by RDF Dataset
Canonicalization (RDFC-1.0) before writing: a restarted server serves the same bytes under the
same ETag and checksums, and a download resumed across a restart (`If-Range`) is one file.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

import pyoxigraph as ox

from ..vocab import PREFIXES
from . import QueryJob
from .results import select_solutions
from .runner import QueryRunner

__all__ = ["DUMP_FORMATS", "DatasetDump", "DumpFile", "DumpFormat", "build_dump"]

_QUERY = "SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


@dataclass(frozen=True)
class DumpFormat:
    suffix: str
    media_type: str
    rdf: ox.RdfFormat
    label: str

    @property
    def keeps_graphs(self) -> bool:
        return self.rdf in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)


DUMP_FORMATS = (
    DumpFormat(".ttl", "text/turtle", ox.RdfFormat.TURTLE, "Turtle"),
    DumpFormat(".nt", "application/n-triples", ox.RdfFormat.N_TRIPLES, "N-Triples"),
    DumpFormat(".jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, "JSON-LD"),
    DumpFormat(".trig", "application/trig", ox.RdfFormat.TRIG, "TriG"),
    DumpFormat(".nq", "application/n-quads", ox.RdfFormat.N_QUADS, "N-Quads"),
)


@dataclass(frozen=True)
class DumpFile:
    name: str  # coops4dev.ttl, coops4dev.ttl.gz
    media_type: str
    body: bytes
    sha256: str
    gzipped: bool
    label: str

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True)
class DatasetDump:
    files: dict[str, DumpFile]  # by name
    quads: int  # default-graph triples and named-graph quads written to TriG / N-Quads

    def sha256sums(self) -> bytes:
        """The `sha256sum` check file of every dump."""
        lines = [f"{f.sha256}  {name}\n" for name, f in sorted(self.files.items())]
        return "".join(lines).encode()


def _file(name: str, fmt: DumpFormat, body: bytes, gzipped: bool) -> DumpFile:
    media_type = "application/gzip" if gzipped else fmt.media_type
    label = f"{fmt.label}, gzip" if gzipped else fmt.label
    return DumpFile(name, media_type, body, hashlib.sha256(body).hexdigest(), gzipped, label)


async def build_dump(runner: QueryRunner, stem: str) -> DatasetDump:
    """Every dump of the served dataset. RuntimeError when the engine's caps cut the read."""
    outcome = await runner.run(QueryJob(_QUERY, format_name="json"))
    if outcome.truncated:
        raise RuntimeError("the dataset is larger than the server's result caps: no dump")
    solutions = select_solutions(outcome)
    quads: list[ox.Quad] = []
    for row in solutions:
        s, p, o, g = row["s"], row["p"], row["o"], row["g"]
        if isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode):
            if isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal):
                graph = g if isinstance(g, ox.NamedNode) else ox.DefaultGraph()
                quads.append(ox.Quad(s, p, o, graph))
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    quads = list(dataset)
    quads.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads
               if isinstance(q.graph_name, ox.DefaultGraph)]  # fmt: skip
    files: dict[str, DumpFile] = {}
    for fmt in DUMP_FORMATS:
        items: list = quads if fmt.keeps_graphs else triples
        if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
            body = ox.serialize(items, format=fmt.rdf, prefixes=PREFIXES) or b""
        else:
            body = ox.serialize(items, format=fmt.rdf) or b""
        name = stem + fmt.suffix
        files[name] = _file(name, fmt, body, gzipped=False)
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        files[name + ".gz"] = _file(name + ".gz", fmt, packed, gzipped=True)
    return DatasetDump(files, len(quads))
