"""Evaluation of a saved checkpoint folder on a dataset split, as ``mtagbench evaluate`` runs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mtagbench.checkpoint import WEIGHTS_NAME, build_from_config, check_feature_sizes, load_weights, read_config
from mtagbench.errors import CheckpointError, ConfigError
from mtagbench.tasks import create_task
from mtagbench.training.evaluate import evaluate


@dataclass(frozen=True)
class CheckpointEvaluation:
    """Metrics of one checkpoint on one split.

    Attributes:
        architecture: Registered model name from the checkpoint's config.
        dataset: Dataset name.
        split: Split evaluated.
        samples: Number of samples in the split.
        metrics: Metric name to value.
    """

    architecture: str
    dataset: str
    split: str
    samples: int
    metrics: dict[str, float]


def evaluate_checkpoint(
    checkpoint: str | Path,
    dataset_name: str,
    data_dir: str | Path | None = None,
    split: str = "test",
    batch_size: int = 64,
    device: str = "cpu",
    reader_options: Mapping[str, Any] | None = None,
) -> CheckpointEvaluation:
    """Load a checkpoint folder and compute its task's metrics on one split of a dataset.

    The dataset's task, modalities and feature sizes are checked against the checkpoint's config
    before the weights are loaded and before any batch runs. When the checkpoint uses a subset of
    the dataset's modalities, the dataset is restricted to that subset first.

    Args:
        checkpoint: Folder with ``config.json`` and ``model.safetensors``.
        dataset_name: Registered dataset name.
        data_dir: Folder with the dataset's files, or None to search the usual places.
        split: ``train``, ``valid`` or ``test``.
        batch_size: Samples per forward pass.
        device: Torch device, for example ``cpu`` or ``cuda:0``.
        reader_options: The dataset reader's options, for example ``{"num_train": 64}``.

    Returns:
        The metrics with what they were computed on.

    Raises:
        CheckpointError: For an unreadable checkpoint or one that does not match the dataset.
        ConfigError: For an unknown split, an invalid batch size or an unavailable device.
        DataError: For missing or invalid dataset files.
    """
    from mtagbench.data.registry import load_dataset

    if batch_size < 1:
        raise ConfigError(f"invalid batch size {batch_size}; pass a positive integer")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available; pass --device cpu")
    config = read_config(checkpoint)
    dataset = load_dataset(dataset_name, data_dir, **(reader_options or {}))

    if dataset.task != config.get("task"):
        raise CheckpointError(
            f"dataset {dataset_name!r} is a {dataset.task} task but the checkpoint in {checkpoint} was trained for "
            f"{config.get('task')!r}; pass the dataset it was trained on"
        )
    wanted = list(config["feature_sizes"])
    if list(dataset.feature_sizes) != wanted and all(modality in dataset.feature_sizes for modality in wanted):
        dataset = dataset.select_modalities(wanted)
    check_feature_sizes(config, dataset.feature_sizes, where=f"dataset {dataset_name!r}")
    if split not in dataset.splits:
        raise ConfigError(f"invalid split {split!r} for dataset {dataset_name!r}; choose one of {', '.join(dataset.splits)}")
    samples = dataset.splits[split]
    if not samples:
        raise ConfigError(f"split {split!r} of dataset {dataset_name!r} is empty")

    model = build_from_config(config)
    load_weights(Path(checkpoint) / WEIGHTS_NAME, model)
    model.to(device).eval()
    task = create_task(config["task"])
    metrics = evaluate(model, samples, task, batch_size=batch_size, device=device)
    return CheckpointEvaluation(
        architecture=config["architecture"],
        dataset=dataset_name,
        split=split,
        samples=len(samples),
        metrics={name: float(value) for name, value in metrics.items()},
    )
