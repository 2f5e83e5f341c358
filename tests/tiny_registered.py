"""The tiny dataset of ``tests/tiny.py`` registered under the name ``tiny``, for command-line tests."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import mtagbench.data
from mtagbench.data.registry import register_dataset
from tests.tiny import make_dataset

# NOTE: the built-in readers package imports its synthetic reader module; where that module is not
# present in this source tree, an empty stand-in lets the registry load the other readers.
if not (Path(mtagbench.data.__file__).parent / "readers" / "synthetic.py").is_file():
    sys.modules["mtagbench.data.readers.synthetic"] = types.ModuleType("mtagbench.data.readers.synthetic")


@register_dataset("tiny", description="tiny generated regression data (tests only)")
def read_tiny(directory, seed: int = 0):
    return make_dataset(seed)
