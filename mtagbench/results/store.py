"""The results store: one row per run folder under a root, as a pandas DataFrame.

A run folder is any folder under the root that contains a run ``config.json`` (one with
``architecture``, ``dataset`` and ``training``; see :mod:`mtagbench.training.run_folder`). The store
reads only files, so it indexes runs made on other machines and copied in.
"""

from __future__ import annotations

import json
import logging
import math
import shlex
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mtagbench.errors import ConfigError
from mtagbench.results.command import run_command
from mtagbench.training import run_folder

logger = logging.getLogger(__name__)

# Columns before the metric columns, in this order; ``valid_<metric>`` and ``test_<metric>`` follow.
BASE_COLUMNS = (
    "dataset",
    "model",
    "config_hash",
    "seed",
    "complete",
    "task",
    "modalities",
    "options",
    "epochs",
    "epochs_done",
    "best_epoch",
    "selection_metric",
    "parameters",
    "epoch_seconds_median",
    "hardware",
    "device",
    "mtagbench_version",
    "git_commit",
    "command",
    "run_command",
    "run_dir",
)


# Counts that an unfinished run lacks; they use pandas' nullable integer type instead of float.
INTEGER_COLUMNS = ("seed", "epochs", "epochs_done", "best_epoch", "parameters")


def flatten_metrics(metrics: Mapping[str, Any], prefix: str) -> dict[str, float]:
    """Return ``{prefix_name: value}``, joining nested names with ``_``; null values become NaN."""
    flat: dict[str, float] = {}
    for name, value in metrics.items():
        key = f"{prefix}_{name}"
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, key))
        elif value is None:
            flat[key] = math.nan
        elif isinstance(value, (int, float)):
            flat[key] = float(value)
    return flat


def read_run(run_dir: Path) -> dict[str, Any] | None:
    """Return the store row of ``run_dir``, or None when its ``config.json`` is not a run config."""
    try:
        config = run_folder.read_json(run_dir / run_folder.CONFIG_FILE)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
        logger.warning("skipping %s: cannot read config.json (%s)", run_dir, error)
        return None
    if not isinstance(config, dict) or not {"architecture", "dataset", "training"} <= set(config):
        return None

    history = _read_optional(run_dir / run_folder.HISTORY_FILE) or []
    complete = run_folder.is_complete(run_dir)
    results = _read_optional(run_dir / run_folder.RESULTS_FILE) if complete else None
    environment = config.get("environment", {})
    epoch_seconds = [record["epoch_seconds"] for record in history if "epoch_seconds" in record]
    command = config.get("command")

    row: dict[str, Any] = {
        "dataset": config["dataset"]["name"],
        "model": config["architecture"],
        "config_hash": run_folder.config_hash(config),
        "seed": int(config["training"]["seed"]),
        "complete": complete,
        "task": config.get("task"),
        "modalities": ",".join(config["dataset"]["modalities"]),
        "options": json.dumps(config.get("options", {}), sort_keys=True),
        "epochs": int(config["training"]["epochs"]),
        "epochs_done": len(history),
        "best_epoch": results["best_epoch"] if results else None,
        "selection_metric": results.get("selection_metric") if results else None,
        "parameters": results["parameters"] if results else None,
        "epoch_seconds_median": statistics.median(epoch_seconds) if epoch_seconds else math.nan,
        "hardware": environment.get("device_name"),
        "device": environment.get("device"),
        "mtagbench_version": config.get("mtagbench_version"),
        "git_commit": config.get("git_commit"),
        "command": shlex.join(command) if isinstance(command, list) else command,
        "run_command": run_command(config),
        "run_dir": str(run_dir),
    }
    if results:
        row.update(flatten_metrics(results.get("valid", {}), "valid"))
        row.update(flatten_metrics(results.get("test", {}), "test"))
    return row


def index_runs(root: str | Path) -> list[dict[str, Any]]:
    """Return one row per run folder under ``root``, sorted by dataset, model, config hash and seed.

    Raises:
        ConfigError: If ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"runs folder {root} not found; pass --runs with the folder that contains the run folders")

    rows = []
    for config_path in sorted(root.rglob(run_folder.CONFIG_FILE)):
        row = read_run(config_path.parent)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda row: (row["dataset"], row["model"], row["config_hash"], row["seed"], row["run_dir"]))
    return rows


def load_runs(
    root: str | Path,
    *,
    model: str | None = None,
    dataset: str | None = None,
    complete_only: bool = False,
) -> pd.DataFrame:
    """Load the runs under ``root`` into a DataFrame, optionally filtered.

    Args:
        root: Folder searched recursively for run folders.
        model: Keep only this model.
        dataset: Keep only this dataset.
        complete_only: Keep only runs whose ``results.json`` marks them complete.

    Returns:
        The columns of :data:`BASE_COLUMNS`, then ``valid_<metric>`` and ``test_<metric>`` for every
        metric found, in the order the runs list them. An empty frame still has the base columns.
    """
    rows = index_runs(root)
    frame = pd.DataFrame(rows, columns=_columns(rows))
    for column in INTEGER_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    if model is not None:
        frame = frame[frame["model"] == model]
    if dataset is not None:
        frame = frame[frame["dataset"] == dataset]
    if complete_only:
        frame = frame[frame["complete"]]
    return frame.reset_index(drop=True)


def metric_names(frame: pd.DataFrame, split: str) -> list[str]:
    """Return the metric names that have a ``<split>_<metric>`` column in ``frame``, in column order."""
    prefix = f"{split}_"
    return [column[len(prefix) :] for column in frame.columns if column.startswith(prefix)]


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    metrics: dict[str, None] = {}
    for row in rows:
        metrics.update(dict.fromkeys(key for key in row if key not in BASE_COLUMNS))
    valid = [name for name in metrics if name.startswith("valid_")]
    test = [name for name in metrics if name.startswith("test_")]
    return [*BASE_COLUMNS, *valid, *test]


def _read_optional(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return run_folder.read_json(path)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
        logger.warning("cannot read %s (%s); treating it as absent", path, error)
        return None
