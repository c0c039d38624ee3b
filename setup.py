"""Copies the graph folders into the package at build time, so an installed coopkg works outside
the checkout. Everything else is declared in pyproject.toml."""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _graph_dirs() -> tuple[str, ...]:
    """coopkg.files.GRAPH_DIRS, read without importing the package (its dependencies may not be
    installed at build time; files.py needs only the standard library)."""
    spec = importlib.util.spec_from_file_location("_coopkg_files", HERE / "endpoint/coopkg/files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GRAPH_DIRS


class BuildPyWithGraph(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "coopkg" / "graph"
        shutil.rmtree(target, ignore_errors=True)  # a file removed from the checkout leaves too
        for name in _graph_dirs():
            if (HERE / name).is_dir():
                shutil.copytree(HERE / name, target / name, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithGraph})
