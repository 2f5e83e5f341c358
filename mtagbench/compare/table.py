"""The comparison as rows: one per model, in raw units (CSV, JSON) or display units (Markdown, terminal)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from mtagbench.compare.runner import Comparison, ModelComparison
from mtagbench.results import format as fmt

MIB = 1024 * 1024

# Efficiency columns: (column name in the CSV, header in Markdown and the terminal).
EFFICIENCY_COLUMNS = (
    ("parameters", "parameters"),
    ("parameters_percent_of_reference", "% of {reference}"),
    ("flops_forward_per_sample", "FLOPs/sample, forward"),
    ("flops_forward_backward_per_sample", "FLOPs/sample, fwd+bwd"),
    ("epoch_seconds_history_median", "s/epoch, runs (median)"),
    ("epoch_seconds_measured", "s/epoch, measured here"),
    ("inference_samples_per_second", "inference samples/s"),
    ("peak_memory_growth_mib", "peak memory growth (MiB)"),
    ("convergence_epoch_mean", "convergence epoch"),
)


def metric_columns(comparison: Comparison) -> list[str]:
    """Return the test metrics that any compared model reports, in display order."""
    names = [name for entry in comparison.models for name in entry.test]
    return fmt.order_metrics(list(dict.fromkeys(names)))


def reference_model(comparison: Comparison, reference: str | None) -> ModelComparison:
    """Return the model that ratios refer to: ``reference``, or the first model."""
    from mtagbench.errors import ConfigError

    if reference is None:
        return comparison.models[0]
    for entry in comparison.models:
        if entry.model == reference:
            return entry
    raise ConfigError(f"reference model {reference!r} is not compared; choose one of {', '.join(m.model for m in comparison.models)}")


def comparison_frame(comparison: Comparison, reference: str | None = None) -> pd.DataFrame:
    """Return one row per model with every figure in raw units (fractions, seconds, bytes, FLOPs).

    Columns: ``model``, ``config_hash``, ``seeds``, the efficiency columns of
    :data:`EFFICIENCY_COLUMNS`, ``convergence_epoch_std``, ``convergence_epochs``, then
    ``test_<metric>_mean`` and ``test_<metric>_std`` for each test metric, ``trained_now`` and
    ``history_hardware``.
    """
    base = reference_model(comparison, reference)
    rows = []
    for entry in comparison.models:
        measured = entry.measurements
        row: dict[str, Any] = {
            "model": entry.model,
            "config_hash": entry.config_hash,
            "seeds": " ".join(map(str, entry.seeds)),
            "parameters": measured.parameters,
            "parameters_percent_of_reference": 100.0 * measured.parameters / base.measurements.parameters
            if base.measurements.parameters
            else math.nan,
            "flops_forward_per_sample": _number(measured.flops_forward_per_sample),
            "flops_forward_backward_per_sample": _number(measured.flops_forward_backward_per_sample),
            "epoch_seconds_history_median": entry.history_epoch_seconds_median,
            "epoch_seconds_measured": _number(measured.epoch_seconds_estimate),
            "step_seconds_measured": _number(measured.step_seconds_median),
            "inference_samples_per_second": _number(measured.inference_samples_per_second),
            "peak_memory_growth_mib": measured.memory_growth_bytes / MIB,
            "peak_memory_mib": measured.peak_memory_bytes / MIB,
            "peak_memory_method": measured.peak_memory_method,
            "load_average": _number(measured.load_average),
            "convergence_epoch_mean": entry.convergence.mean,
            "convergence_epoch_std": _number(entry.convergence.std),
            "convergence_epochs": " ".join(map(str, entry.convergence_epochs)),
        }
        for name in metric_columns(comparison):
            summary = entry.test.get(name)
            row[f"test_{name}_mean"] = summary.mean if summary else math.nan
            row[f"test_{name}_std"] = _number(summary.std) if summary else math.nan
        row["trained_now"] = " ".join("yes" if value else "no" for value in entry.trained_now)
        row["history_hardware"] = "; ".join(sorted(set(entry.history_hardware)))
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the accuracy table: test mean ± std per metric, display units."""
    metrics = metric_columns(comparison)
    header = ["model", *(fmt.label(name) for name in metrics)]
    rows = []
    for entry in comparison.models:
        cells = [entry.model]
        for name in metrics:
            summary = entry.test.get(name)
            cells.append(fmt.format_summary(name, summary) if summary else "n/a")
        rows.append(cells)
    return header, rows


def efficiency_rows(comparison: Comparison, reference: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the efficiency table, display units."""
    base = reference_model(comparison, reference)
    frame = comparison_frame(comparison, reference)
    header = ["model", *(title.format(reference=base.model) for _, title in EFFICIENCY_COLUMNS)]
    rows = []
    for record, entry in zip(frame.to_dict("records"), comparison.models):
        rows.append([
            entry.model,
            f"{record['parameters']:,}",
            _fixed(record["parameters_percent_of_reference"], 1),
            format_count(record["flops_forward_per_sample"]),
            format_count(record["flops_forward_backward_per_sample"]),
            _fixed(record["epoch_seconds_history_median"], 2),
            _fixed(record["epoch_seconds_measured"], 2),
            _fixed(record["inference_samples_per_second"], 1),
            _fixed(record["peak_memory_growth_mib"], 1),
            f"{_fixed(record['convergence_epoch_mean'], 1)} ± {_fixed(record['convergence_epoch_std'], 1)}",
        ])
    return header, rows


def format_count(value: float | None) -> str:
    """Format a count with three significant digits and a k, M, G or T suffix."""
    if value is None or math.isnan(value):
        return "n/a"
    for suffix, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.3g} {suffix}"
    return f"{value:.3g}"


def _fixed(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)
