"""bench/generate.py: a synthetic registry the shapes, pages and queries apply to.

Issue "Scale" asks for registries "in the ontology's own terms … so that shapes, pages and example
queries apply to them": a small one, beside the shipped graph, must pass `coopkg validate` with no
violation and no warning, hold exactly the triples asked for, come out the same byte for byte, and
keep every subject under the synthetic namespace. Run as programs, as the benchmarks run them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYN = "https://w3id.org/coops4dev/id/synthetic/"
SOURCE = "<http://purl.org/dc/terms/source>"


def generate(triples: int, out: Path) -> list[str]:
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "-n", str(triples), "-o", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out.read_text(encoding="utf-8").splitlines()


def test_small_registry_beside_the_shipped_graph_conforms(tmp_path: Path):
    graph = tmp_path / "synthetic.nt"
    lines = generate(5000, graph)
    assert len(lines) == 5000
    done = subprocess.run(
        [sys.executable, "-m", "coopkg.cli", "validate", "--format", "json", str(graph)]
        + [str(ROOT / d) for d in ("ontology", "data", "shapes")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(done.stdout)
    assert (report["violations"], report["warnings"]) == (0, 0), report["results"][:5]
    assert done.returncode == 0, done.stderr


def test_every_subject_is_synthetic_and_every_source_a_synthetic_source(tmp_path: Path):
    lines = generate(5000, tmp_path / "synthetic.nt")
    assert all(line.startswith(f"<{SYN}") for line in lines)
    sources = {line.split()[2] for line in lines if line.split()[1] == SOURCE}
    assert sources and all(s.startswith(f"<{SYN}source/") for s in sources)


def test_same_arguments_same_bytes(tmp_path: Path):
    one = generate(4000, tmp_path / "one.nt")
    two = generate(4000, tmp_path / "two.nt")
    assert one == two and len(one) == 4000
