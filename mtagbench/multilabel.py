"""Multilabel emotion recognition: one binary decision per emotion (IEMOCAP's four emotions).

The model emits ``2 * num_labels`` logits, viewed as ``(N, num_labels, 2)``: for each emotion a pair of
scores for "absent" (index 0) and "present" (index 1). Labels are stored per sample as ``(num_labels,)``
integers in {0, 1}; for IEMOCAP the order is Neutral, Happy, Sad, Angry.

Accuracy alone flatters a model that always predicts "absent" (only 338 of 2717 IEMOCAP training
utterances are Sad), so each emotion also gets scikit-learn's weighted F1, and the checkpoint is selected
on the mean weighted F1 over emotions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch.nn import functional

from mtagbench.errors import ConfigError, DataError

IEMOCAP_EMOTIONS = ("neutral", "happy", "sad", "angry")


@dataclass
class MultilabelTask:
    """Independent binary classification of each label with a two-way softmax.

    Attributes:
        label_names: Label names in output order; metric names use them in lower case.
        class_weights: When True, weight the cross-entropy of each label's classes by inverse frequency;
            call :meth:`fit_class_weights` with the training labels before training.
    """

    label_names: Sequence[str] = IEMOCAP_EMOTIONS
    class_weights: bool = False
    name: str = "multilabel"
    selection_metric: str = "f1_mean"
    lower_is_better: bool = False
    weights: torch.Tensor | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.label_names = tuple(str(name).lower() for name in self.label_names)
        if not self.label_names:
            raise ConfigError("a multilabel task needs at least one label name")
        if len(set(self.label_names)) != len(self.label_names):
            raise ConfigError(f"label names must be unique, got {list(self.label_names)}")

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    def output_dim(self, label_shape: tuple[int, ...]) -> int:
        if tuple(label_shape) != (self.num_labels,):
            raise DataError(
                f"multilabel task with labels {list(self.label_names)} expects labels of shape "
                f"({self.num_labels},), got {tuple(label_shape)}"
            )
        return 2 * self.num_labels

    def fit_class_weights(self, train_labels: np.ndarray) -> torch.Tensor:
        """Compute inverse-frequency class weights from the training labels and store them.

        For label ``j`` with ``n_c`` training samples of class ``c``, the weight of class ``c`` is
        ``N / (2 * n_c)``: both classes get weight 1 when balanced. A class with no training sample gets
        weight 0 instead of infinity.

        Args:
            train_labels: Array ``(N, num_labels)`` of 0 and 1.

        Returns:
            Float tensor ``(num_labels, 2)``; :meth:`loss` uses it when ``class_weights`` is True.

        Raises:
            DataError: If the labels have the wrong shape or hold values other than 0 and 1.
        """
        labels = self._check_labels(np.asarray(train_labels))
        counts = np.stack([(labels == 0).sum(axis=0), (labels == 1).sum(axis=0)], axis=1).astype(np.float64)

        total = counts.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore"):
            weights = np.where(counts > 0, total / (2.0 * counts), 0.0)

        self.weights = torch.as_tensor(weights, dtype=torch.float32)
        return self.weights

    def loss(self, outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Return the mean cross-entropy over all ``N * num_labels`` binary decisions.

        With class weights, each decision's loss is multiplied by the weight of its true class, and the
        sum is divided by the sum of those weights (PyTorch's weighted mean convention).
        """
        logits = outputs.reshape(-1, self.num_labels, 2)
        target = labels.reshape(-1, self.num_labels).long()
        if not self.class_weights:
            return functional.cross_entropy(logits.reshape(-1, 2), target.reshape(-1))

        if self.weights is None:
            raise ConfigError("class_weights is set but fit_class_weights() was not called with the train labels")
        weights = self.weights.to(logits.device)
        per_decision = functional.cross_entropy(logits.reshape(-1, 2), target.reshape(-1), reduction="none")
        decision_weights = weights[torch.arange(self.num_labels, device=logits.device)[None, :], target]
        decision_weights = decision_weights.reshape(-1)
        return (per_decision * decision_weights).sum() / decision_weights.sum().clamp_min(1e-12)

    def predictions(self, outputs: torch.Tensor) -> np.ndarray:
        """Return the predicted class of each label, ``(N, num_labels)`` int64 in {0, 1}."""
        logits = outputs.detach().reshape(-1, self.num_labels, 2)
        return logits.argmax(dim=-1).cpu().numpy().astype(np.int64)

    def metrics(self, predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        """Return accuracy and weighted F1 per label, then their means over labels.

        Names are ``acc_<label>``, ``f1_<label>``, ``acc_mean`` and ``f1_mean``. F1 is scikit-learn's
        ``f1_score(average="weighted")`` on that label's two classes; a class that is never predicted
        contributes an F1 of 0 (``zero_division=0``).
        """
        predicted = self._check_labels(np.asarray(predictions))
        truth = self._check_labels(np.asarray(labels))
        if predicted.shape != truth.shape:
            raise DataError(f"predictions {predicted.shape} and labels {truth.shape} differ in shape")

        results: dict[str, float] = {}
        for index, label in enumerate(self.label_names):
            results[f"acc_{label}"] = float(np.mean(predicted[:, index] == truth[:, index]))
            results[f"f1_{label}"] = float(
                f1_score(truth[:, index], predicted[:, index], average="weighted", labels=[0, 1], zero_division=0)
            )

        results["acc_mean"] = float(np.mean([results[f"acc_{label}"] for label in self.label_names]))
        results["f1_mean"] = float(np.mean([results[f"f1_{label}"] for label in self.label_names]))
        return results

    def _check_labels(self, labels: np.ndarray) -> np.ndarray:
        if labels.ndim == 3 and labels.shape[1:] == (self.num_labels, 2):
            labels = labels.argmax(axis=-1)
        if labels.ndim != 2 or labels.shape[1] != self.num_labels:
            raise DataError(f"expected labels of shape (N, {self.num_labels}), got {labels.shape}")
        if not np.isin(labels, (0, 1)).all():
            raise DataError(f"multilabel labels must be 0 or 1, got values {np.unique(labels).tolist()[:10]}")
        return labels.astype(np.int64)
