"""Where dataset files are looked for.

Search order: the ``--data-dir`` folder, else ``$MTAGBENCH_DATA/<folder>`` (or ``$MTAGBENCH_DATA``
itself when it contains the files), else ``<user cache>/mtagbench/datasets/<folder>``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from mtagbench.data.registry import DatasetSpec
from mtagbench.errors import DataError

DATA_ENV = "MTAGBENCH_DATA"


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("mtagbench")) / "datasets"


def candidate_dirs(spec: DatasetSpec, data_dir: str | Path | None) -> list[Path]:
    """Return the folders searched for ``spec``'s files, in order."""
    if data_dir is not None:
        return [Path(data_dir).expanduser()]
    root = os.environ.get(DATA_ENV)
    if root:
        return [Path(root).expanduser() / spec.folder, Path(root).expanduser()]
    return [default_cache_dir() / spec.folder]


def find_data_dir(spec: DatasetSpec, data_dir: str | Path | None = None) -> Path:
    """Return the first candidate folder that contains every file ``spec`` needs.

    Raises:
        DataError: Naming each folder searched, the expected file names and where to get them.
    """
    candidates = candidate_dirs(spec, data_dir)
    for directory in candidates:
        if all((directory / file).is_file() for file in spec.files):
            return directory

    searched = "\n".join(
        f"  {directory}: missing {', '.join(f for f in spec.files if not (directory / f).is_file())}"
        for directory in candidates
    )
    raise DataError(
        f"dataset {spec.name!r} not found. It needs these files in one folder: {', '.join(spec.files)}\n"
        f"Searched:\n{searched}\n"
        f"Pass the folder with --data-dir, or set {DATA_ENV} to a folder containing '{spec.folder}/'.\n"
        f"Where to get the files: {spec.how_to_get}"
    )
