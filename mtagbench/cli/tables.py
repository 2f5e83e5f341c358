"""Rich tables of metrics shared by the commands that train or evaluate."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from rich.table import Table

Cell = TypeVar("Cell")


def format_metric(value: Any) -> str:
    """Format a metric with 4 decimals; None and NaN (an undefined metric) become ``n/a``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.4f}"


def metrics_table(
    title: str,
    valid: Mapping[str, Cell],
    test: Mapping[str, Cell],
    format_cell: Callable[[Cell | None], str] = format_metric,
    column_suffix: str = "",
) -> Table:
    """Return a table with one row per test metric and columns for validation and test values."""
    table = Table(title=title)
    table.add_column("metric")
    table.add_column(f"valid (selected epoch){column_suffix}", justify="right")
    table.add_column(f"test{column_suffix}", justify="right")
    for name in test:
        table.add_row(name, format_cell(valid.get(name)), format_cell(test[name]))
    return table
