"""Evaluation of a model on one split: predictions and the task's metrics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn

from mtagbench.data.sample import Batch, Sample, collate
from mtagbench.tasks import Task


def iterate_batches(
    samples: Sequence[Sample],
    batch_size: int,
    modalities: Sequence[str],
    order: Sequence[int] | None = None,
) -> Iterator[Batch]:
    """Yield padded batches of ``samples`` in ``order`` (default: the stored order)."""
    indices = range(len(samples)) if order is None else order
    indices = list(indices)
    for start in range(0, len(indices), batch_size):
        yield collate([samples[i] for i in indices[start : start + batch_size]], modalities)


@torch.no_grad()
def predict(
    model: nn.Module,
    samples: Sequence[Sample],
    task: Task,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Return the task's predictions for ``samples``, in order, with the model in evaluation mode."""
    was_training = model.training
    model.eval()
    modalities = tuple(model.feature_sizes)
    outputs = []
    try:
        for batch in iterate_batches(samples, batch_size, modalities):
            outputs.append(task.predictions(model(batch.to(device))))
    finally:
        model.train(was_training)
    return np.concatenate(outputs, axis=0)


def labels_of(samples: Sequence[Sample]) -> np.ndarray:
    """Return the labels of ``samples`` stacked into one array."""
    return np.stack([np.asarray(s.label) for s in samples])


def evaluate(
    model: nn.Module,
    samples: Sequence[Sample],
    task: Task,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """Return the task's metrics of ``model`` on ``samples``."""
    predictions = predict(model, samples, task, batch_size, device)
    return task.metrics(predictions, labels_of(samples))
