"""Publish a finished training run folder to the Hub and produce its zoo index entry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtagbench.checkpoint import CONFIG_NAME, WEIGHTS_NAME, load_checkpoint, read_config
from mtagbench.errors import CheckpointError
from mtagbench.hub import client
from mtagbench.hub.card import build_model_card, format_command
from mtagbench.hub.hashing import sha256_file
from mtagbench.zoo.index import REPO_ID_PATTERN

RESULTS_NAME = "results.json"
HISTORY_NAME = "history.json"
CARD_NAME = "README.md"


@dataclass(frozen=True)
class PushResult:
    """Outcome of a push: the new commit and its zoo index entry.

    Attributes:
        repo_id: Repository the files were committed to.
        commit: 40-character hash of the new commit.
        commit_url: Web address of the commit.
        name: Zoo entry name, ``ARCHITECTURE.DATASET``.
        entry: The zoo index entry to add under ``name``, pinned to ``commit``.
    """

    repo_id: str
    commit: str
    commit_url: str
    name: str
    entry: dict[str, Any]


def _read_results(run_dir: Path) -> dict[str, Any]:
    path = run_dir / RESULTS_NAME
    if not path.is_file():
        raise CheckpointError(f"{path} not found: push needs a finished run folder written by `mtagbench run`")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path} is not valid JSON ({error})") from None
    if results.get("complete") is not True:
        raise CheckpointError(f"{path} does not contain complete: true; the run did not finish, so it is not published")
    if not results.get("test"):
        raise CheckpointError(f"{path} has no test metrics; the model card needs them")
    return results


def push_run(
    run_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    branch: str = client.DEFAULT_BRANCH,
    license: str = "mit",
) -> PushResult:
    """Upload a run folder's checkpoint, model card, results and history in one commit.

    The checkpoint is loaded once before anything is sent, so a corrupt or mismatched folder is
    never published.

    Args:
        run_dir: Run folder with ``config.json``, ``model.safetensors`` and ``results.json``
            (``history.json`` is uploaded when present).
        repo_id: Target model repository, ``ORG/NAME``; created when missing.
        private: Create the repository as private.
        branch: Branch to commit to.
        license: License identifier written into the model card.

    Returns:
        The commit and the zoo index entry pinned to it.

    Raises:
        HubError: Without a token, or when the Hub rejects a request.
        CheckpointError: For an incomplete or unreadable run folder.
    """
    run_dir = Path(run_dir)
    settings = client.current_settings()
    client.require_token(settings)
    if not REPO_ID_PATTERN.fullmatch(repo_id):
        raise CheckpointError(f"invalid repo id {repo_id!r}; expected ORG/NAME")

    config = read_config(run_dir)
    results = _read_results(run_dir)
    load_checkpoint(run_dir)
    card = build_model_card(config, results, repo_id, license=license)

    files: dict[str, bytes | Path] = {
        WEIGHTS_NAME: run_dir / WEIGHTS_NAME,
        CONFIG_NAME: run_dir / CONFIG_NAME,
        CARD_NAME: str(card).encode("utf-8"),
        RESULTS_NAME: run_dir / RESULTS_NAME,
    }
    if (run_dir / HISTORY_NAME).is_file():
        files[HISTORY_NAME] = run_dir / HISTORY_NAME

    dataset = config.get("dataset", {}).get("name", "unknown")
    name = f"{config['architecture']}.{dataset}"
    test_summary = ", ".join(f"{key}={float(value):.4f}" for key, value in results["test"].items())
    commit, commit_url = client.upload_files(
        settings,
        repo_id,
        files,
        private=private,
        branch=branch,
        message=f"Add {name} checkpoint (test {test_summary})",
    )

    entry = {
        "architecture": config["architecture"],
        "dataset": dataset,
        "task": config.get("task", "regression"),
        "description": f"{config['architecture']} trained on {dataset}.",
        "repo_id": repo_id,
        "revision": commit,
        "published": True,
        "files": {
            file_name: sha256_file(content) if isinstance(content, Path) else _sha256_bytes(content)
            for file_name, content in files.items()
        },
        "metrics": {key: float(value) for key, value in results["test"].items()},
        "recipe": format_command(config.get("command")),
    }
    return PushResult(repo_id=repo_id, commit=commit, commit_url=commit_url, name=name, entry=entry)


def _sha256_bytes(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
