"""Copies the graph folders into the package at build time, so an installed coopkg works outside
the checkout. Everything else is declared in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

GRAPH_DIRS = ("ontology", "data", "shapes", "queries")


class BuildPyWithGraph(build_py):
    def run(self):
        super().run()
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "coopkg" / "graph"
        for name in GRAPH_DIRS:
            if (here / name).is_dir():
                shutil.copytree(here / name, target / name, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithGraph})
