"""Tasks: how a model's outputs become a loss, predictions and metrics.

A task fixes the number of model outputs, the training loss, the metrics, and the validation metric
that selects the checkpoint that is tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

from mtagbench.errors import ConfigError


class Task(Protocol):
    name: str
    selection_metric: str
    lower_is_better: bool

    def output_dim(self, label_shape: tuple[int, ...]) -> int: ...

    def loss(self, outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor: ...

    def predictions(self, outputs: torch.Tensor) -> np.ndarray: ...

    def metrics(self, predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]: ...


@dataclass
class RegressionTask:
    """Sentiment regression on a score in [-3, 3] (CMU-MOSI, CMU-MOSEI).

    Attributes:
        loss_name: ``"l1"`` (the published MOSI setting) or ``"smooth_l1"``.
    """

    loss_name: str = "l1"
    name: str = "regression"
    selection_metric: str = "mae"
    lower_is_better: bool = True

    def __post_init__(self) -> None:
        losses = {"l1": nn.L1Loss(), "smooth_l1": nn.SmoothL1Loss()}
        if self.loss_name not in losses:
            raise ConfigError(f"invalid regression loss {self.loss_name!r}: choose one of {', '.join(losses)}")
        self._loss = losses[self.loss_name]

    def output_dim(self, label_shape: tuple[int, ...]) -> int:
        return 1

    def loss(self, outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self._loss(outputs.reshape(-1), labels.reshape(-1))

    def predictions(self, outputs: torch.Tensor) -> np.ndarray:
        return outputs.detach().reshape(-1).cpu().double().numpy()

    def metrics(self, predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        from mtagbench.metrics import regression_metrics

        return regression_metrics(predictions, np.asarray(labels).reshape(-1))


def create_task(name: str, **options) -> Task:
    """Return the task called ``name`` (``"regression"`` or ``"multilabel"``)."""
    if name == "regression":
        return RegressionTask(**options)
    if name == "multilabel":
        from mtagbench.multilabel import MultilabelTask

        return MultilabelTask(**options)
    raise ConfigError(f"unknown task {name!r}: choose regression or multilabel")
