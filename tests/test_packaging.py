"""An installed coopkg works outside the checkout: the wheel carries ontology/, data/, shapes/ and
queries/, and `coopkg validate` finds them there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_the_graph_and_validates_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("coopkg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("ontology", "data", "shapes", "queries"):
        shipped = sorted(
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )
        assert shipped, f"{folder}/ is empty in the checkout"
        for rel in shipped:
            assert f"coopkg/graph/{rel}" in names, f"{rel} missing from the wheel"
    package = ROOT / "endpoint" / "coopkg"
    own = sorted(
        p.relative_to(package.parent).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    for rel in own:  # every module, template and static file, subpackages included
        assert rel in names, f"{rel} missing from the wheel"

    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import coopkg.files as r, sys; print(r.graph_root());"
            "from coopkg.cli import main; sys.exit(main(['validate']))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(target / "coopkg" / "graph") in result.stdout
