"""Package discovery and build steps that pyproject.toml cannot express.

The baseline models live in the top-level ``baselines/`` folder but install as the package
``mtagbench_baselines``, so that they load through the ``mtagbench.models`` entry point like any
outside model package would, without taking the generic top-level name ``baselines``.

The canonical zoo index is ``zoo/index.json`` at the repository root, outside the ``mtagbench``
package. A regular (non-editable) build copies it to ``mtagbench/zoo/index.json`` in the build
folder, so wheels carry it as package data. Editable installs read ``zoo/index.json`` from the
source tree directly (see ``mtagbench.zoo.index.index_path``).
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ZOO_INDEX = Path("zoo") / "index.json"

baseline_packages = ["mtagbench_baselines"] + [
    f"mtagbench_baselines.{name}" for name in find_packages("baselines")
]


class BuildPyWithZooIndex(build_py):
    """``build_py`` that also copies ``zoo/index.json`` into ``mtagbench/zoo/`` of the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "mtagbench" / "zoo" / "index.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ZOO_INDEX, target)


setup(
    packages=find_packages(include=["mtagbench", "mtagbench.*"]) + baseline_packages,
    package_dir={"mtagbench_baselines": "baselines"},
    cmdclass={"build_py": BuildPyWithZooIndex},
)
