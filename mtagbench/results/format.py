"""Fixed formatting of metric values for tables, so regenerated files are byte-identical.

Accuracies and F1 scores (metric names starting with ``acc`` or ``f1``) are shown in percent, as
papers print them; other metrics keep their own scale.
"""

from __future__ import annotations

import math

from mtagbench.results.aggregate import MetricSummary

# Preferred column order; metrics not listed follow in the order the runs list them.
DISPLAY_ORDER = (
    "acc7",
    "acc5",
    "acc2_nonnegative",
    "f1_nonnegative",
    "acc2_nonzero",
    "f1_nonzero",
    "acc2_unspecified",
    "f1_unspecified",
    "mae",
    "corr",
)

LABELS = {
    "acc7": "Acc7",
    "acc5": "Acc5",
    "acc2_nonnegative": "Acc2 (neg/non-neg)",
    "f1_nonnegative": "F1 (neg/non-neg)",
    "acc2_nonzero": "Acc2 (neg/pos)",
    "f1_nonzero": "F1 (neg/pos)",
    "acc2_unspecified": "Acc2 (unspecified)",
    "f1_unspecified": "F1 (unspecified)",
    "mae": "MAE",
    "corr": "Corr",
}

# One line per binary convention, printed under any table that has its columns.
LEGEND = {
    "nonnegative": "neg/non-neg: negative versus non-negative; a label >= 0 counts as positive and every test "
    "sample is kept (MMSA's Has0_acc_2, the published MTAG code's acc).",
    "nonzero": "neg/pos: negative versus positive; test samples labelled exactly 0 are dropped "
    "(MulT's exclude_zero=True, MMSA's Non0_acc_2).",
    "unspecified": "unspecified: the source does not say which of the two conventions it used, so these "
    "numbers match neither column exactly.",
}

PERCENT_DIGITS = 1
PLAIN_DIGITS = 3
CSV_DIGITS = 4


def is_percent(metric: str) -> bool:
    return metric.startswith(("acc", "f1"))


def scale(metric: str, value: float) -> float:
    """Return ``value`` in display units: percent for accuracies and F1 scores."""
    return value * 100 if is_percent(metric) else value


def order_metrics(names: list[str]) -> list[str]:
    """Sort metric names by :data:`DISPLAY_ORDER`, keeping the given order for the others."""
    known = [name for name in DISPLAY_ORDER if name in names]
    return known + [name for name in names if name not in DISPLAY_ORDER]


def label(metric: str) -> str:
    return LABELS.get(metric, metric)


def legend_lines(metrics: list[str]) -> list[str]:
    """Return the legend lines for the binary conventions that appear in ``metrics``."""
    return [text for suffix, text in LEGEND.items() if any(name.endswith(f"_{suffix}") for name in metrics)]


def format_number(metric: str, value: float | None, digits: int | None = None) -> str:
    """Format one value in display units; None and NaN become ``n/a``."""
    if value is None or math.isnan(value):
        return "n/a"
    if digits is None:
        digits = PERCENT_DIGITS if is_percent(metric) else PLAIN_DIGITS
    return f"{scale(metric, value):.{digits}f}"


def format_summary(metric: str, summary: MetricSummary) -> str:
    """Format ``mean ± std`` in display units; a single seed's standard deviation is ``n/a``."""
    return f"{format_number(metric, summary.mean)} ± {format_number(metric, summary.std)}"


def format_seconds(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.2f}"
