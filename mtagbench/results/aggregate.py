"""Mean and sample standard deviation of metrics over the seeds of one configuration."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSummary:
    """One metric over several seeds.

    Attributes:
        mean: Arithmetic mean; NaN when any seed's value is NaN or missing.
        std: Sample standard deviation (``ddof=1``); None for a single seed, where it is undefined.
        count: Number of seeds.
    """

    mean: float
    std: float | None
    count: int


def summarize(values: Sequence[float | None]) -> MetricSummary:
    """Return the mean and sample standard deviation of ``values``.

    A missing (None) or NaN value makes the mean and standard deviation NaN instead of being dropped,
    so a summary never silently averages fewer seeds than it reports.

    Raises:
        ValueError: If ``values`` is empty.
    """
    if len(values) == 0:
        raise ValueError("cannot summarize zero values")

    numbers = [math.nan if value is None else float(value) for value in values]
    if any(math.isnan(value) for value in numbers):
        return MetricSummary(math.nan, math.nan if len(numbers) > 1 else None, len(numbers))

    mean = statistics.fmean(numbers)
    std = statistics.stdev(numbers) if len(numbers) > 1 else None
    return MetricSummary(mean, std, len(numbers))


def aggregate_metrics(runs: Sequence[Mapping[str, float | None]]) -> dict[str, MetricSummary]:
    """Summarize each metric over ``runs`` (one metrics mapping per seed).

    Metrics keep the order in which they first appear; a metric missing from some runs counts as NaN
    there.

    Raises:
        ValueError: If ``runs`` is empty.
    """
    if len(runs) == 0:
        raise ValueError("cannot aggregate zero runs")

    names: dict[str, None] = {}
    for metrics in runs:
        names.update(dict.fromkeys(metrics))
    return {name: summarize([metrics.get(name) for metrics in runs]) for name in names}
