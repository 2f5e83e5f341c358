"""The epoch at which a validation curve stops improving."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ConvergencePoint:
    """Point at which a validation series stopped improving.

    Attributes:
        epoch: 1-based epoch of the last improvement (the best epoch under the tolerance rule).
        value: Validation value at that epoch.
        epochs: Length of the series.
    """

    epoch: int
    value: float
    epochs: int


def best_epoch(
    values: Sequence[float],
    tolerance: float = 0.0,
    mode: Literal["min", "max"] = "min",
) -> ConvergencePoint:
    """Return the epoch after which the validation metric no longer improves.

    Epoch 1 is the first best. A later epoch becomes the new best only when it beats the current best
    by more than ``tolerance`` (below ``best - tolerance`` for ``mode="min"``, above
    ``best + tolerance`` for ``"max"``). With ``tolerance=0`` the result is the first epoch of the
    minimum (or maximum). A positive tolerance ignores late improvements too small to matter, so the
    returned epoch is the one at which the curve has effectively flattened. For validation MAE use the
    default ``mode="min"``.

    Args:
        values: One validation value per epoch, in order.
        tolerance: Smallest change, in the metric's units, that counts as an improvement; at least 0.
        mode: ``"min"`` when lower is better, ``"max"`` when higher is better.

    Raises:
        ValueError: For an empty series, a NaN or infinite value, a negative tolerance or an unknown mode.

    Example:
        >>> best_epoch([1.2, 1.0, 0.95, 0.949, 0.96], tolerance=0.01).epoch
        3
    """
    if mode not in ("min", "max"):
        raise ValueError(f"invalid mode {mode!r}: choose 'min' or 'max'")
    if tolerance < 0:
        raise ValueError(f"tolerance must be at least 0, got {tolerance}")
    if len(values) == 0:
        raise ValueError("cannot find the best epoch of an empty validation series")
    for epoch, value in enumerate(values, start=1):
        if not math.isfinite(value):
            raise ValueError(f"validation value {value} at epoch {epoch} is not finite")

    sign = 1.0 if mode == "min" else -1.0
    best_index = 0
    for index in range(1, len(values)):
        if sign * values[index] < sign * values[best_index] - tolerance:
            best_index = index
    return ConvergencePoint(epoch=best_index + 1, value=float(values[best_index]), epochs=len(values))
