"""Run folders: where a run's config, history, weights and results live, and how they are named.

Layout of ``runs/<dataset>/<model>/<config hash>/seed-<seed>/``:

- ``config.json``: the checkpoint config (architecture, options, feature sizes, task) plus the
  dataset (name, fingerprint, modalities, split sizes, reader options), the training settings, the
  environment (package versions, hardware), the git commit and the command line.
- ``history.json``: one record per completed epoch (train loss, validation metrics, learning rate,
  epoch seconds).
- ``model.safetensors``: the weights of the epoch with the best validation metric.
- ``results.json``: written once, after the test split was evaluated with those weights.
- ``state/last.pt``: what ``--resume`` needs (model, optimizer, scheduler and random-number-generator
  states after the last completed epoch); removed when the run completes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.json"
RESULTS_FILE = "results.json"
STATE_FILE = "state/last.pt"

# Training settings that change where a run's numbers come from; ``seed`` is kept out so that
# the seeds of one configuration share a folder, and the device is kept out on purpose.
IDENTITY_TRAINING_KEYS = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "lr_patience",
    "lr_factor",
    "grad_clip",
    "loss",
    "class_weights",
)


def identity(config: dict[str, Any]) -> dict[str, Any]:
    """Return the part of a run config that defines the experiment, seed excluded."""
    dataset = config["dataset"]
    return {
        "architecture": config["architecture"],
        "options": config["options"],
        "dataset": dataset["name"],
        "fingerprint": dataset["fingerprint"],
        "modalities": dataset["modalities"],
        "reader_options": dataset.get("options", {}),
        "training": {key: config["training"][key] for key in IDENTITY_TRAINING_KEYS},
    }


def config_hash(config: dict[str, Any]) -> str:
    """Return a 10-character hash of :func:`identity`, stable across runs and machines."""
    text = json.dumps(identity(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def default_run_dir(root: str | Path, config: dict[str, Any]) -> Path:
    seed = config["training"]["seed"]
    return Path(root) / config["dataset"]["name"] / config["architecture"] / config_hash(config) / f"seed-{seed}"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def is_complete(run_dir: Path) -> bool:
    path = run_dir / RESULTS_FILE
    if not path.is_file():
        return False
    try:
        return bool(read_json(path).get("complete"))
    except (json.JSONDecodeError, OSError):
        return False
