"""The research notebooks (notebooks/): stored clean, paired with their scripts, and executed.

Each notebook is executed with nbclient in a fresh kernel against ONE live local server (the
session's `server` fixture), whose URL reaches the kernel through COOPKG_ENDPOINT, as it would
for a public deployment. A notebook asserts what it shows (seven principles, four regional
offices, the figures that disagree), so a wrong graph fails the run: the last test serves a
copy of the graph with the seventh principle removed and expects notebook 3's own assertion.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import ROOT
from coopkg.local import ENDPOINT_VARIABLE, LocalEndpoint
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from rdflib import Dataset, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOK_FILES]
PRINCIPLE_7 = URIRef("https://w3id.org/coops4dev/id/principle/7")


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOK_FILES) >= 5, NOTEBOOK_FILES


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=IDS)
def test_stored_without_outputs(path: Path) -> None:
    """Outputs are made by running, never committed: no outputs, no execution counts."""
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; run `nbstripout {path}`"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=IDS)
def test_paired_with_its_script(path: Path) -> None:
    """The .ipynb and its percent script hold the same cells (`jupytext --sync` fixes a pair)."""
    script = path.with_suffix(".py")
    assert script.is_file(), f"{path.name} has no paired script {script.name}"

    def cells(p: Path) -> list[tuple[str, str]]:
        return [(c.cell_type, c.source.strip()) for c in jupytext.read(p).cells]

    assert cells(path) == cells(script), f"{path.name} and {script.name} differ: jupytext --sync"


def execute(path: Path, endpoint_url: str) -> nbformat.NotebookNode:
    """Run the notebook in a fresh kernel whose COOPKG_ENDPOINT is `endpoint_url`."""
    notebook = nbformat.read(path, as_version=4)
    environment = {**os.environ, ENDPOINT_VARIABLE: endpoint_url}
    # The kernel's own inline backend draws the figures into the outputs; Agg would draw none.
    environment.pop("MPLBACKEND", None)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute(env=environment)  # passed on to the kernel manager's start_kernel
    return notebook


@pytest.fixture(scope="module")
def endpoint_url(server: str) -> str:
    return f"{server}/sparql"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=IDS)
def test_executes_with_tables_and_pictures(path: Path, endpoint_url: str) -> None:
    notebook = execute(path, endpoint_url)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    kinds = {key for o in outputs for key in o.get("data", {})}
    assert "image/png" in kinds, f"{path.name} drew no picture"
    tables = [o for o in outputs if "<table" in o.get("data", {}).get("text/html", "")]
    assert tables, f"{path.name} showed no table"


@pytest.fixture(scope="module")
def graph_without_principle_7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on the shipped graph less every statement whose subject is the seventh principle
    (its number, labels, scheme; the links to it stay dangling). `coopkg serve PATHS` does not
    make the default graph the union of the named graphs as it does for the shipped data/, so
    the copy holds each statement twice, as the shipped dataset does: in its source's graph and
    in the default graph."""
    copy = tmp_path_factory.mktemp("graph")
    dataset = Dataset()
    for path in sorted((ROOT / "data").glob("*.trig")):
        dataset.parse(path, format="trig")
    removed = list(dataset.quads((PRINCIPLE_7, None, None, None)))
    assert removed, "data/ says nothing about principle 7 any more"
    for quad in removed:
        dataset.remove(quad)
    default = dataset.graph(DATASET_DEFAULT_GRAPH_ID)
    for subject, predicate, obj, graph in list(dataset.quads((None, None, None, None))):
        if graph != DATASET_DEFAULT_GRAPH_ID:
            default.add((subject, predicate, obj))
    (copy / "data.nq").write_text(dataset.serialize(format="nquads"), encoding="utf-8")
    with LocalEndpoint([ROOT / "ontology", copy / "data.nq"]) as url:
        yield url


def test_a_graph_with_one_principle_removed_fails_the_notebook(
    graph_without_principle_7: str,
) -> None:
    """The notebook fails on its own assertion, not on a crash: it counts the principles."""
    notebook = NOTEBOOKS / "03-cooperative-identity.ipynb"
    with pytest.raises(CellExecutionError) as failure:
        execute(notebook, graph_without_principle_7)
    assert failure.value.ename == "AssertionError", failure.value
    assert "seven principles" in str(failure.value)
