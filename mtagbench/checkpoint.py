"""Checkpoint folders: ``model.safetensors`` plus ``config.json``.

``config.json`` contains everything needed to rebuild the model through the registry: the architecture
name, every option, the input feature sizes, the output size and the task. Weights are read with
safetensors only, so loading a checkpoint never runs code.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from mtagbench.errors import CheckpointError, ConfigError
from mtagbench.io import atomic_write, atomic_write_json, sha256_file

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
RESULTS_NAME = "results.json"
FORMAT_NAME = "mtagbench-checkpoint"
FORMAT_VERSION = 1


def model_config(model: nn.Module, model_name: str, task: str, **extra: Any) -> dict[str, Any]:
    """Return the ``config.json`` contents that rebuild ``model``."""
    from mtagbench import __version__

    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "architecture": model_name,
        "options": dataclasses.asdict(model.options),
        "feature_sizes": dict(model.feature_sizes),
        "output_dim": int(model.output_dim),
        "task": task,
        "mtagbench_version": __version__,
        **extra,
    }


def save_weights(path: str | Path, model: nn.Module) -> Path:
    """Write ``model``'s state dict to ``path`` as safetensors, atomically."""
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    return atomic_write(path, lambda temporary: save_file(state, str(temporary), metadata={"format": "pt"}))


def save_checkpoint(directory: str | Path, model: nn.Module, model_name: str, task: str, **extra: Any) -> Path:
    """Write ``model.safetensors`` and ``config.json`` into ``directory`` and return the folder."""
    directory = Path(directory)
    save_weights(directory / WEIGHTS_NAME, model)
    atomic_write_json(directory / CONFIG_NAME, model_config(model, model_name, task, **extra))
    return directory


def read_config(directory: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint's ``config.json``.

    Raises:
        CheckpointError: If the file is missing, is not JSON, or lacks a required key.
    """
    path = Path(directory) / CONFIG_NAME
    if not path.is_file():
        raise CheckpointError(f"{path} not found: a checkpoint folder needs {CONFIG_NAME} and {WEIGHTS_NAME}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path} is not valid JSON ({error}); the checkpoint is corrupt") from None
    missing = [key for key in ("architecture", "options", "feature_sizes", "output_dim") if key not in config]
    if missing:
        raise CheckpointError(f"{path} lacks the keys {missing}; it was not written by mtagbench")
    return config


def build_from_config(config: Mapping[str, Any]) -> nn.Module:
    """Rebuild an untrained model from a checkpoint's config through the registry."""
    from mtagbench.registry import create_model

    try:
        return create_model(
            config["architecture"],
            feature_sizes=config["feature_sizes"],
            output_dim=int(config["output_dim"]),
            **config["options"],
        )
    except ConfigError as error:
        raise CheckpointError(f"cannot rebuild the checkpoint's model: {error}") from None


def load_weights(path: str | Path, model: nn.Module) -> None:
    """Load safetensors weights from ``path`` into ``model``, requiring an exact match of names and shapes.

    Raises:
        CheckpointError: For a missing, truncated or altered file, or mismatched tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} not found")
    verify_recorded_sha256(path)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{path} is not a readable safetensors file ({error}); the checkpoint is corrupt") from None

    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path} does not match the model: missing tensors {missing[:5]}, unexpected tensors {unexpected[:5]}"
        )
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{path}: tensor {name!r} has shape {tuple(tensor.shape)}, the model expects {tuple(expected[name].shape)}"
            )
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{path}: tensor {name!r} contains NaN or inf; the checkpoint is corrupt")
    model.load_state_dict(state)


def verify_recorded_sha256(weights: Path) -> None:
    """Check ``weights`` against the SHA-256 that training recorded in ``results.json`` beside it.

    Folders without a recorded digest (a run still training, an older checkpoint) are not checked.

    Raises:
        CheckpointError: If the file's SHA-256 differs from the recorded one.
    """
    results = weights.parent / RESULTS_NAME
    if not results.is_file():
        return
    try:
        expected = json.loads(results.read_text(encoding="utf-8")).get("weights_sha256")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        raise CheckpointError(f"{results} is not valid JSON; the run folder is corrupt") from None
    if expected and sha256_file(weights) != expected:
        raise CheckpointError(
            f"{weights} does not match the SHA-256 recorded in {results.name} when training finished; "
            "the weights were changed or damaged. Retrain, or restore the file."
        )


def load_checkpoint(directory: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model saved in ``directory`` and load its weights; return ``(model, config)``.

    The model is returned in evaluation mode, on the CPU.
    """
    config = read_config(directory)
    model = build_from_config(config)
    load_weights(Path(directory) / WEIGHTS_NAME, model)
    model.eval()
    return model, config


def check_feature_sizes(config: Mapping[str, Any], feature_sizes: Mapping[str, int], where: str) -> None:
    """Raise :class:`CheckpointError` unless the data's modalities and sizes match the checkpoint's."""
    expected = dict(config["feature_sizes"])
    if list(expected) != list(feature_sizes):
        raise CheckpointError(
            f"{where} has modalities {list(feature_sizes)} but the checkpoint expects {list(expected)}; "
            "pass the dataset (and --modalities) it was trained on"
        )
    for modality, size in expected.items():
        if int(feature_sizes[modality]) != int(size):
            raise CheckpointError(
                f"{modality} features in {where} have {feature_sizes[modality]} columns but the checkpoint "
                f"expects {size}; pass the dataset it was trained on or retrain"
            )
