"""The competency questions: every query in `queries/` runs on the graph as the server loads it, and
its result must equal the expected result reviewed by hand and stored beside it.

- SELECT: the same variables; rows compared with RDF term equality, as a multiset, or as a list
  when the query has ORDER BY (blank nodes match any blank node).
- ASK: the same boolean.
- CONSTRUCT / DESCRIBE: isomorphic graphs.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from coopkg.catalogue import (
    CatalogueError,
    ExampleQuery,
    expected_suffix,
    load_catalogue,
    parse_query_file,
)
from coopkg.dataset import default_sources, load_store
from coopkg.files import graph_dir
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

QUERIES_DIR = graph_dir("queries")
MIN_QUERIES = 20

try:
    CATALOGUE: list[ExampleQuery] = load_catalogue(QUERIES_DIR)
    LOAD_ERROR: CatalogueError | None = None
except CatalogueError as exc:  # reported by test_catalogue_loads, not as a collection error
    CATALOGUE, LOAD_ERROR = [], exc


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store, _ = load_store(default_sources())
    return store


# -- Comparison helpers ----------------------------------------------------------------------------

Key = tuple[str, ...] | None


def _key(term: object) -> Key:
    """A hashable form of an RDF term under term equality; every blank node is alike."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.datatype.value, term.language or "")
    if isinstance(term, ox.Triple):
        return ("triple", *map(str, (_key(term.subject), _key(term.predicate), _key(term.object))))
    raise TypeError(f"unexpected term {term!r}")


def _show(row: tuple[Key, ...], variables: list[str]) -> str:
    cells = []
    for var, key in zip(variables, row, strict=True):
        if key is None:
            continue
        if key[0] == "iri":
            text = f"<{key[1]}>"
        elif key[0] == "literal":
            text = repr(key[1]) + (f"@{key[3]}" if key[3] else f"^^<{key[2]}>")
        else:
            text = str(key)
        cells.append(f"?{var}={text}")
    return "  " + " ".join(cells)


def _rows(solutions: ox.QuerySolutions) -> tuple[list[str], list[tuple[Key, ...]]]:
    variables = [v.value for v in solutions.variables]
    return variables, [tuple(_key(s[v]) for v in variables) for s in solutions]


def _to_rdflib(triples) -> rdflib.Graph:
    graph = rdflib.Graph()
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES) or b""
    graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def _compare_solutions(entry: ExampleQuery, actual: ox.QuerySolutions) -> None:
    expected = ox.parse_query_results(
        entry.expected_path.read_bytes(), format=ox.QueryResultsFormat.JSON
    )
    assert isinstance(expected, ox.QuerySolutions), f"{entry.expected_path} holds no solutions"
    exp_vars, exp_rows = _rows(expected)
    act_vars, act_rows = _rows(actual)
    assert act_vars == exp_vars, f"variables differ: got {act_vars}, expected {exp_vars}"
    if Counter(act_rows) != Counter(exp_rows):
        missing = list((Counter(exp_rows) - Counter(act_rows)).elements())
        extra = list((Counter(act_rows) - Counter(exp_rows)).elements())
        lines = [f"{entry.slug}: {len(act_rows)} rows, {len(exp_rows)} expected"]
        lines += ["missing (expected, not returned):"] + [_show(r, exp_vars) for r in missing]
        lines += ["unexpected (returned, not expected):"] + [_show(r, exp_vars) for r in extra]
        pytest.fail("\n".join(lines), pytrace=False)
    if entry.ordered and act_rows != exp_rows:
        first = next(i for i, (a, e) in enumerate(zip(act_rows, exp_rows, strict=True)) if a != e)
        pytest.fail(
            f"{entry.slug}: same rows, different order (ORDER BY); first difference at row "
            f"{first + 1}:\n got {_show(act_rows[first], exp_vars)}\n"
            f" expected {_show(exp_rows[first], exp_vars)}",
            pytrace=False,
        )


def _nt(triple) -> str:
    return "  " + " ".join(term.n3() for term in triple) + " ."


def _compare_graphs(entry: ExampleQuery, actual) -> None:
    got = _to_rdflib(actual)
    expected = rdflib.Graph().parse(entry.expected_path, format="turtle")
    if not isomorphic(got, expected):
        _, only_expected, only_got = graph_diff(to_isomorphic(expected), to_isomorphic(got))
        lines = [f"{entry.slug}: {len(got)} triples, {len(expected)} expected"]
        lines += ["missing:"] + [_nt(t) for t in sorted(only_expected)]
        lines += ["unexpected:"] + [_nt(t) for t in sorted(only_got)]
        pytest.fail("\n".join(lines), pytrace=False)


# -- The competency questions ----------------------------------------------------------------------


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.slug for e in CATALOGUE])
def test_query_gives_expected_result(entry: ExampleQuery, store: ox.Store) -> None:
    assert entry.expected_path is not None, (
        f"{entry.path}: no expected result {entry.path.with_suffix(expected_suffix(entry.kind))}"
    )
    result = store.query(entry.query)
    if entry.kind == "SELECT":
        _compare_solutions(entry, result)
    elif entry.kind == "ASK":
        expected = ox.parse_query_results(
            entry.expected_path.read_bytes(), format=ox.QueryResultsFormat.JSON
        )
        assert isinstance(expected, ox.QueryBoolean), f"{entry.expected_path} holds no boolean"
        if bool(result) is not bool(expected):
            pytest.fail(
                f"{entry.slug}: ASK answered {bool(result)}, expected {bool(expected)}",
                pytrace=False,
            )
    else:
        _compare_graphs(entry, result)


# -- The catalogue itself --------------------------------------------------------------------------


def test_catalogue_loads() -> None:
    assert LOAD_ERROR is None, str(LOAD_ERROR)


def test_enough_questions() -> None:
    assert len(CATALOGUE) >= MIN_QUERIES, f"{len(CATALOGUE)} queries in {QUERIES_DIR}"


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.slug for e in CATALOGUE])
def test_query_is_documented(entry: ExampleQuery) -> None:
    assert entry.title.strip() and entry.description.strip()
    assert entry.tags, f"{entry.path}: give it tags"


def test_titles_are_unique() -> None:
    titles = Counter(e.title for e in CATALOGUE)
    assert not [t for t, n in titles.items() if n > 1], "two queries share a title"


def test_select_queries_are_ordered() -> None:
    """Rows come back in a stated order, so expected results compare in order and the UI shows
    the same table every time."""
    unordered = [e.path.name for e in CATALOGUE if e.kind == "SELECT" and not e.ordered]
    assert not unordered, f"SELECT queries without ORDER BY: {unordered}"


def test_every_query_has_its_expected_result() -> None:
    missing = [e.path.name for e in CATALOGUE if e.expected_path is None]
    assert not missing, f"queries without an expected result: {missing}"


def test_no_expected_result_without_its_query() -> None:
    stems = {e.path.stem for e in CATALOGUE}
    orphans = [
        p.name
        for p in sorted(QUERIES_DIR.iterdir())
        if p.suffix in (".srj", ".ttl") and p.stem not in stems
    ]
    assert not orphans, f"expected results without a query: {orphans}"


def test_the_seeds_are_covered() -> None:
    """Each part of the seed documents has at least one question (by tag)."""
    tags = {t for e in CATALOGUE for t in e.tags}
    wanted = {
        "structure",
        "offices",
        "sectors",
        "committees",
        "principles",
        "values",
        "definition",
        "partnership",
        "work-streams",
        "figures",
        "provenance",
        "history",
    }
    assert wanted <= tags, f"no question tagged {sorted(wanted - tags)}"
    assert {e.kind for e in CATALOGUE} == {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


# -- Header parsing --------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_is_parsed(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "07-a-question.rq",
        "# title: A question\n# description: First line\n#   and its continuation.\n"
        "# tags: one, two\n\nPREFIX ex: <http://example.org/#>\n# ORDER BY in a comment\n"
        'SELECT ?s WHERE { ?s ex:p "#" }\n',
    )
    (tmp_path / "07-a-question.srj").write_text("{}", encoding="utf-8")
    entry = parse_query_file(path)
    assert (entry.slug, entry.title, entry.tags) == ("07-a-question", "A question", ("one", "two"))
    assert entry.description == "First line and its continuation."
    assert entry.kind == "SELECT" and not entry.ordered
    assert entry.expected_path == tmp_path / "07-a-question.srj"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# description: d\nASK {}\n", "missing or empty '# title:'"),
        ("# title: t\nASK {}\n", "missing or empty '# description:'"),
        ("# title:\n# description: d\nASK {}\n", "missing or empty '# title:'"),
        ("# title: t\n# description: d\n# author: me\nASK {}\n", "unknown header key 'author'"),
        ("# title: t\n# title: u\n# description: d\nASK {}\n", "given twice"),
        ("# title: t\n# description: d\nINSERT DATA {}\n", "no SELECT, ASK, CONSTRUCT"),
    ],
)
def test_broken_header_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "01-broken.rq", text)
    with pytest.raises(CatalogueError) as info:
        parse_query_file(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_bad_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "Question.rq", "# title: t\n# description: d\nASK {}\n")
    with pytest.raises(CatalogueError, match="NN-slug"):
        parse_query_file(path)


def test_duplicate_numbers(tmp_path: Path) -> None:
    _write(tmp_path, "01-one.rq", "# title: t\n# description: d\nASK {}\n")
    _write(tmp_path, "01-two.rq", "# title: u\n# description: d\nASK {}\n")
    with pytest.raises(CatalogueError, match="number 01"):
        load_catalogue(tmp_path)
