"""The catalogue of example queries (the competency questions in `queries/`).

Each question is one `NN-slug.rq` file that opens with a header of comment lines::

    # title: Sectoral organisation for each sector
    # description: The ICA's eight global sectoral organisations and the sector each one
    #   gathers. Lines indented under a key continue its value.
    # tags: structure, sectors

followed by the PREFIX declarations and the query. Beside it lies the expected result, reviewed by
hand against the sources: `NN-slug.srj` (SPARQL 1.1 JSON results) for SELECT and ASK, `NN-slug.ttl`
for CONSTRUCT and DESCRIBE.

The endpoint's service description and query UI read the same catalogue, so this module needs only
the standard library. `coopkg queries` lists the catalogue, and `coopkg queries --write-expected
NN` (coopkg.expected) writes a query's result beside it, to be read and checked against the
sources before it is committed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from .files import graph_dir

__all__ = [
    "CatalogueError",
    "ExampleQuery",
    "QueryKind",
    "expected_suffix",
    "load_catalogue",
    "parse_query_file",
]

QueryKind = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

_HEADER_KEYS = ("title", "description", "tags")
_REQUIRED_KEYS = ("title", "description")
_SLUG = re.compile(r"^[0-9]{2,}-[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY_LINE = re.compile(r"^#\s?([A-Za-z][A-Za-z_-]*)\s*:\s*(.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")
# The prologue (comments, BASE and PREFIX declarations) comes before the query form.
_PROLOGUE_ITEM = re.compile(
    r"""\s*(?:
        \#[^\n]*                                        # a comment
      | (?i:PREFIX)\s+[^\s:]*:\s*<[^>\s]*>              # PREFIX p: <iri>
      | (?i:BASE)\s*<[^>\s]*>                           # BASE <iri>
    )""",
    re.VERBOSE,
)
_FORM = re.compile(r"\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


class CatalogueError(ValueError):
    """A query file that breaks the catalogue's conventions; the message names the file."""


@dataclass(frozen=True)
class ExampleQuery:
    """One competency question: its header, its SPARQL text and where its expected result lies."""

    slug: str
    title: str
    description: str
    tags: tuple[str, ...]
    query: str
    path: Path
    expected_path: Path | None
    kind: QueryKind
    ordered: bool = field(default=False)
    """True when the query sorts its results (ORDER BY): then row order is part of the answer."""

    @property
    def returns_graph(self) -> bool:
        return self.kind in ("CONSTRUCT", "DESCRIBE")

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary, for the service description and the query UI."""
        return {
            "slug": self.slug,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "kind": self.kind,
            "query": self.query,
        }


def expected_suffix(kind: QueryKind) -> str:
    """The file suffix of the expected result for a query of `kind`."""
    return ".ttl" if kind in ("CONSTRUCT", "DESCRIBE") else ".srj"


def _parse_header(path: Path, text: str) -> dict[str, str]:
    header: dict[str, str] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.startswith("#"):
            break  # the header is the run of comment lines at the top of the file
        if line.strip("# ") == "":
            current = None
            continue
        continued = _CONTINUATION.match(line)
        if continued and current is not None:
            header[current] += " " + continued.group(1).strip()
            continue
        keyed = _KEY_LINE.match(line)
        if keyed is None:
            raise CatalogueError(
                f"{path}:{number}: header line is neither '# key: value' nor an indented "
                f"continuation: {line!r}"
            )
        key = keyed.group(1).lower()
        if key not in _HEADER_KEYS:
            raise CatalogueError(
                f"{path}:{number}: unknown header key {key!r} (known: {', '.join(_HEADER_KEYS)})"
            )
        if key in header:
            raise CatalogueError(f"{path}:{number}: header key {key!r} given twice")
        header[key] = keyed.group(2).strip()
        current = key
    for key in _REQUIRED_KEYS:
        if not header.get(key):
            raise CatalogueError(f"{path}: missing or empty '# {key}:' in the header comment")
    return header


def _strip_prologue(text: str) -> str:
    position = 0
    while True:
        match = _PROLOGUE_ITEM.match(text, position)
        if match is None or match.end() == position:
            return text[position:]
        position = match.end()


def _without_comments(text: str) -> str:
    """The query without `#` comments; '#' inside IRIs (`<...#>`) and strings is kept."""
    return re.sub(
        r"""(<[^<>\s]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|#[^\n]*""",
        lambda m: m.group(1) or "",
        text,
    )


def parse_query_file(path: Path) -> ExampleQuery:
    """Read one `.rq` file; raise CatalogueError, naming the file, on a broken convention."""
    path = Path(path)
    slug = path.stem
    if not _SLUG.match(slug):
        raise CatalogueError(
            f"{path}: file name must be NN-slug.rq (digits, '-', lower-case words)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot be read: {exc}") from exc
    header = _parse_header(path, text)
    form = _FORM.match(_strip_prologue(text))
    if form is None:
        raise CatalogueError(
            f"{path}: no SELECT, ASK, CONSTRUCT or DESCRIBE after the prologue "
            "(only comments, BASE and PREFIX may come before it)"
        )
    kind = cast(QueryKind, form.group(1).upper())  # the pattern admits only the four forms
    expected = path.with_suffix(expected_suffix(kind))
    tags = tuple(t.strip() for t in header.get("tags", "").split(",") if t.strip())
    return ExampleQuery(
        slug=slug,
        title=header["title"],
        description=header["description"],
        tags=tags,
        query=text,
        path=path,
        expected_path=expected if expected.is_file() else None,
        kind=kind,
        ordered=bool(_ORDER_BY.search(_without_comments(text))),
    )


def load_catalogue(queries_dir: Path | None = None) -> list[ExampleQuery]:
    """Every `*.rq` file of `queries_dir` (default: the graph's `queries/`), sorted by file name."""
    if queries_dir is None:
        queries_dir = graph_dir("queries")
    queries_dir = Path(queries_dir)
    if not queries_dir.is_dir():
        raise CatalogueError(f"{queries_dir}: no such folder of example queries")
    catalogue = [parse_query_file(p) for p in sorted(queries_dir.glob("*.rq"))]
    seen: dict[str, Path] = {}
    for entry in catalogue:
        number = entry.slug.split("-", 1)[0]
        if number in seen:
            raise CatalogueError(f"{entry.path}: number {number} is also used by {seen[number]}")
        seen[number] = entry.path
    return catalogue
