"""The zoo index: which pretrained checkpoints exist, where they live and their file SHA-256s.

The canonical index is ``zoo/index.json`` at the repository root. A wheel carries a copy at
``mtagbench/zoo/index.json`` (``setup.py`` copies it at build time). :func:`index_path` looks, in
order, at ``$MTAGBENCH_ZOO_INDEX``, the copy inside the installed package, and the repository's
``zoo/index.json`` (a source checkout or an editable install).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mtagbench.errors import ConfigError
from mtagbench.hub.hashing import SHA256_PATTERN, is_commit_hash

INDEX_ENV = "MTAGBENCH_ZOO_INDEX"
INDEX_NAME = "index.json"
FORMAT_VERSION = 1
REQUIRED_FILES = ("config.json", "model.safetensors")
REPO_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class ZooEntry:
    """One pretrained checkpoint in the zoo index.

    Attributes:
        name: ``ARCHITECTURE.DATASET``, for example ``"mtag.mosi"``.
        architecture: Registered model name.
        dataset: Registered dataset name the model was trained on.
        task: ``"regression"`` or ``"multilabel"``.
        repo_id: Hugging Face Hub model repository, ``ORG/NAME``.
        revision: 40-character commit hash the entry is pinned to; None while unpublished.
        published: False until the checkpoint is uploaded and the entry pinned.
        files: File name to the SHA-256 of its content, for every file that ``pull`` downloads.
        metrics: Test metrics of the published checkpoint.
        recipe: The exact command that trains the checkpoint.
        description: One line for ``mtagbench zoo list``.
    """

    name: str
    architecture: str
    dataset: str
    task: str
    repo_id: str
    revision: str | None
    published: bool
    recipe: str
    files: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    description: str = ""

    @property
    def tag(self) -> str:
        """The part after the architecture, as in ``create_model("mtag", pretrained="mosi")``."""
        return self.name.split(".", 1)[1]


def index_path() -> Path:
    """Return the zoo index file in use (see the module documentation for the search order).

    Raises:
        ConfigError: If ``$MTAGBENCH_ZOO_INDEX`` names a missing file or no index is found.
    """
    override = os.environ.get(INDEX_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise ConfigError(f"{INDEX_ENV}={override} does not name a file; unset it or point it at a zoo index.json")
        return path

    packaged = resources.files("mtagbench.zoo") / INDEX_NAME
    if packaged.is_file():
        return Path(str(packaged))

    source_tree = Path(__file__).resolve().parents[2] / "zoo" / INDEX_NAME
    if source_tree.is_file():
        return source_tree
    raise ConfigError(
        f"no zoo index found: the installed package lacks mtagbench/zoo/{INDEX_NAME} and {source_tree} is missing; "
        f"reinstall mtagbench or set {INDEX_ENV}"
    )


def _check_entry(name: str, raw: dict[str, Any], path: Path) -> ZooEntry:
    where = f"zoo index {path}, entry {name!r}"
    missing = [key for key in ("architecture", "dataset", "task", "repo_id", "published", "recipe") if key not in raw]
    if missing:
        raise ConfigError(f"{where} lacks the keys {missing}")
    if name != f"{raw['architecture']}.{raw['dataset']}":
        raise ConfigError(f"{where}: the name must be ARCHITECTURE.DATASET, here {raw['architecture']}.{raw['dataset']}")
    if not REPO_ID_PATTERN.fullmatch(raw["repo_id"]):
        raise ConfigError(f"{where}: invalid repo_id {raw['repo_id']!r}; expected ORG/NAME")

    files = dict(raw.get("files") or {})
    if raw["published"]:
        if not is_commit_hash(raw.get("revision")):
            raise ConfigError(
                f"{where}: revision {raw.get('revision')!r} is not a 40-character commit hash; "
                "a published entry must pin a commit, never a branch"
            )
        absent = [required for required in REQUIRED_FILES if required not in files]
        if absent:
            raise ConfigError(f"{where}: files lacks {absent}")
        for file_name, digest in files.items():
            if not isinstance(digest, str) or not SHA256_PATTERN.fullmatch(digest):
                raise ConfigError(f"{where}: {file_name} has an invalid SHA-256 {digest!r}; expected 64 lowercase hex digits")

    return ZooEntry(
        name=name,
        architecture=raw["architecture"],
        dataset=raw["dataset"],
        task=raw["task"],
        repo_id=raw["repo_id"],
        revision=raw.get("revision"),
        published=bool(raw["published"]),
        recipe=raw["recipe"],
        files=files,
        metrics={key: float(value) for key, value in (raw.get("metrics") or {}).items()},
        description=raw.get("description", ""),
    )


def load_index(path: str | Path | None = None) -> dict[str, ZooEntry]:
    """Read and check the zoo index; return its entries by name.

    Raises:
        ConfigError: If the file is not valid JSON or an entry is malformed (for example a published
            entry pinned to a branch instead of a commit).
    """
    path = Path(path) if path is not None else index_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"zoo index {path} is not valid JSON: {error}") from None
    if raw.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"zoo index {path} has format_version {raw.get('format_version')!r}; this mtagbench reads {FORMAT_VERSION}")
    return {name: _check_entry(name, entry, path) for name, entry in sorted(raw.get("entries", {}).items())}


def get_entry(name: str) -> ZooEntry:
    """Return the index entry called ``name``.

    Raises:
        ConfigError: If there is none; the message lists the entries.
    """
    entries = load_index()
    if name not in entries:
        raise ConfigError(f"no zoo entry {name!r}; entries: {', '.join(entries)}")
    return entries[name]


def list_pretrained(pattern: str = "*", published_only: bool = False) -> list[str]:
    """Return the names of zoo entries matching the shell-style ``pattern``, for example ``"mtag.*"``."""
    return [
        name
        for name, entry in load_index().items()
        if fnmatch.fnmatch(name, pattern) and (entry.published or not published_only)
    ]
