"""Package discovery that pyproject.toml cannot express.

The baseline models live in the top-level ``baselines/`` folder but install as the package
``mtagbench_baselines``, so that they load through the ``mtagbench.models`` entry point like any
outside model package would, without taking the generic top-level name ``baselines``.
"""

from setuptools import find_packages, setup

baseline_packages = ["mtagbench_baselines"] + [
    f"mtagbench_baselines.{name}" for name in find_packages("baselines")
]

setup(
    packages=find_packages(include=["mtagbench", "mtagbench.*"]) + baseline_packages,
    package_dir={"mtagbench_baselines": "baselines"},
)
