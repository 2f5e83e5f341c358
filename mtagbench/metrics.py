"""Sentiment-regression metrics for CMU-MOSI and CMU-MOSEI, as the field computes them.

Scores lie in [-3, 3]; ``predictions`` and ``labels`` are 1-D arrays of the same length.

Names:
    ``mae``, ``corr``: mean absolute error and Pearson correlation, on unclipped values.
    ``acc7``, ``acc5``: accuracy after clipping to [-3, 3] (or [-2, 2]) and rounding half to even.
    ``acc2_nonnegative``, ``f1_nonnegative``: negative versus non-negative; ``y >= 0`` is positive and
        every sample counts (MMSA's ``Has0_acc_2``, the published MTAG code's ``acc``).
    ``acc2_nonzero``, ``f1_nonzero``: negative versus positive; samples labelled exactly 0 are
        dropped and ``p > 0`` is compared with ``y > 0`` (MulT's ``exclude_zero=True``, MMSA's
        ``Non0_acc_2``).
    F1 is scikit-learn's weighted F1 on the same binary labels.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import f1_score

REGRESSION_METRICS = (
    "mae",
    "corr",
    "acc7",
    "acc5",
    "acc2_nonnegative",
    "f1_nonnegative",
    "acc2_nonzero",
    "f1_nonzero",
)
LOWER_IS_BETTER = {"mae"}


def mae(predictions: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.abs(predictions - labels)))


def pearson_corr(predictions: np.ndarray, labels: np.ndarray) -> float:
    """Return Pearson's r, or NaN when either side is constant (r is undefined there)."""
    if np.std(predictions) == 0 or np.std(labels) == 0:
        return math.nan
    return float(np.corrcoef(predictions, labels)[0, 1])


def multiclass_accuracy(predictions: np.ndarray, labels: np.ndarray, bound: float) -> float:
    """Return the accuracy of ``round(clip(p, -bound, bound))``, rounding half to even (NumPy's rule)."""
    predicted = np.round(np.clip(predictions, -bound, bound))
    truth = np.round(np.clip(labels, -bound, bound))
    return float(np.mean(predicted == truth))


def binary_nonnegative(predictions: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Return accuracy and weighted F1 of negative versus non-negative, over all samples."""
    predicted = predictions >= 0
    truth = labels >= 0
    return float(np.mean(predicted == truth)), float(f1_score(truth, predicted, average="weighted"))


def binary_nonzero(predictions: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Return accuracy and weighted F1 of negative versus positive, without samples labelled 0.

    Both are NaN when every label is 0.
    """
    keep = labels != 0
    if not keep.any():
        return math.nan, math.nan
    predicted = predictions[keep] > 0
    truth = labels[keep] > 0
    return float(np.mean(predicted == truth)), float(f1_score(truth, predicted, average="weighted"))


def regression_metrics(predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Return every metric in :data:`REGRESSION_METRICS`.

    Raises:
        ValueError: If the arrays differ in length, are empty, or hold NaN or inf.
    """
    predictions = np.asarray(predictions, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if predictions.shape != labels.shape:
        raise ValueError(f"{predictions.size} predictions but {labels.size} labels")
    if predictions.size == 0:
        raise ValueError("cannot compute metrics on zero samples")
    if not (np.isfinite(predictions).all() and np.isfinite(labels).all()):
        raise ValueError("predictions or labels contain NaN or inf")

    acc2_nonnegative, f1_nonnegative = binary_nonnegative(predictions, labels)
    acc2_nonzero, f1_nonzero = binary_nonzero(predictions, labels)
    return {
        "mae": mae(predictions, labels),
        "corr": pearson_corr(predictions, labels),
        "acc7": multiclass_accuracy(predictions, labels, 3.0),
        "acc5": multiclass_accuracy(predictions, labels, 2.0),
        "acc2_nonnegative": acc2_nonnegative,
        "f1_nonnegative": f1_nonnegative,
        "acc2_nonzero": acc2_nonzero,
        "f1_nonzero": f1_nonzero,
    }
