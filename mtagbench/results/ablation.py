"""The ablation grid of MTAG's Table 5 (edge types, edge pruning, modalities) and its report.

Yang et al. (NAACL 2021, Table 5) compare the full MTAG model (modal-temporal edge types, top-k edge
pruning keeping 80% of edges, all three modalities) with variants that change one axis each:

- edge types: none, modality edge types only, temporal edge types only;
- pruning: random pruning keeping 80%, no pruning;
- modalities: every non-empty proper subset of the modalities.

The full model is the reference row of every axis, so the grid holds it once, in its own group,
and its runs are shared instead of repeated per axis: with three modalities the grid has
1 + 3 + 2 + 6 = 12 cells (Table 5's 4 + 3 + 7 = 14 rows minus the two repeats of the full model).

Each cell is an ordinary run through :func:`mtagbench.training.run_experiment`, so it lands in the
results store and a finished cell is skipped on the next call.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mtagbench.data.sample import MultimodalDataset
from mtagbench.errors import ConfigError
from mtagbench.io import atomic_write_text
from mtagbench.results import format as fmt
from mtagbench.results.leaderboard import MeasuredRow, measured_rows, measured_table, selection_for
from mtagbench.results.seeds import run_seeds
from mtagbench.results.store import load_runs
from mtagbench.training import RunResult, TrainConfig
from mtagbench.training.run_folder import config_hash

FULL_MODEL_GROUP = "full model"

# Options of the full MTAG model, and the variants of each axis that replace some of them.
MTAG_FULL_OPTIONS: dict[str, Any] = {"edge_types": "full", "prune": "topk", "keep_ratio": 0.8}
MTAG_EDGE_TYPE_VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("no edge types", {"edge_types": "none"}),
    ("modality edge types only", {"edge_types": "modality"}),
    ("temporal edge types only", {"edge_types": "temporal"}),
)
MTAG_PRUNING_VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("random pruning, keep 80%", {"prune": "random", "keep_ratio": 0.8}),
    ("no pruning", {"prune": "none"}),
)

# Regression columns of Table 5 (Acc2, F1, MAE) with both binary conventions; other tasks show all metrics.
ABLATION_METRICS = {
    "regression": ("acc2_nonnegative", "f1_nonnegative", "acc2_nonzero", "f1_nonzero", "mae"),
}


@dataclass(frozen=True)
class AblationCell:
    """One row of the ablation grid.

    Attributes:
        group: The ablation axis: ``"full model"``, ``"edge types"``, ``"pruning"`` or ``"modalities"``.
        label: What this row changes, for the report.
        model_options: Every model option this cell sets.
        modalities: The input modalities, in dataset order.
    """

    group: str
    label: str
    model_options: dict[str, Any] = field(hash=False)
    modalities: tuple[str, ...]


def ablation_grid(
    modalities: Sequence[str],
    full_options: Mapping[str, Any] = MTAG_FULL_OPTIONS,
    edge_type_variants: Sequence[tuple[str, Mapping[str, Any]]] = MTAG_EDGE_TYPE_VARIANTS,
    pruning_variants: Sequence[tuple[str, Mapping[str, Any]]] = MTAG_PRUNING_VARIANTS,
) -> list[AblationCell]:
    """Return the grid: the full model, then the edge-type, pruning and modality variants.

    Args:
        modalities: The dataset's modalities, in dataset order.
        full_options: Model options of the full model; every variant starts from them.
        edge_type_variants: ``(label, options)`` replacing the full model's edge types.
        pruning_variants: ``(label, options)`` replacing the full model's pruning.

    Raises:
        ConfigError: If ``modalities`` is empty or repeats a name.
    """
    modalities = tuple(modalities)
    if not modalities or len(set(modalities)) != len(modalities):
        raise ConfigError(f"invalid modalities {list(modalities)} for an ablation: give distinct names")

    full = dict(full_options)
    cells = [AblationCell(FULL_MODEL_GROUP, "full model, all modalities", full, modalities)]
    for group, variants in (("edge types", edge_type_variants), ("pruning", pruning_variants)):
        for label, options in variants:
            cells.append(AblationCell(group, label, {**full, **options}, modalities))
    for size in range(1, len(modalities)):
        for subset in itertools.combinations(modalities, size):
            label = f"{subset[0]} only" if size == 1 else ", ".join(subset)
            cells.append(AblationCell("modalities", label, full, subset))
    return cells


@dataclass(frozen=True)
class AblationRun:
    """A grid cell and the config hash its runs are stored under."""

    cell: AblationCell
    config_hash: str
    results: tuple[RunResult, ...]


def run_ablation(
    model_name: str,
    dataset: MultimodalDataset,
    cells: Sequence[AblationCell],
    config: TrainConfig,
    seeds: Sequence[int],
    *,
    runs_root: str | Path,
    reader_options: Mapping[str, Any] | None = None,
    command: list[str] | None = None,
    callback_factory: Callable[[AblationCell, int], Any] | None = None,
    on_run_end: Callable[[AblationCell, int, RunResult], None] | None = None,
) -> list[AblationRun]:
    """Train every cell with every seed under ``runs_root``; finished runs are skipped.

    Args:
        model_name: Registered model name.
        dataset: The full dataset; each cell selects its modalities from it.
        cells: The grid, usually from :func:`ablation_grid`.
        config: Training settings; its ``seed`` is replaced by each of ``seeds``.
        seeds: Seeds per cell.
        runs_root: Root of the run folders.
        reader_options: The dataset reader's options, recorded in each run.
        command: The command line recorded in each run.
        callback_factory: ``(cell, seed) -> TrainingCallback`` for progress display.
        on_run_end: Called after each run with the cell, the seed and the result.

    Returns:
        One :class:`AblationRun` per cell, in grid order.
    """
    outcomes = []
    for cell in cells:
        data = dataset if cell.modalities == tuple(dataset.modalities) else dataset.select_modalities(cell.modalities)
        results = run_seeds(
            model_name,
            data,
            config,
            seeds,
            cell.model_options,
            runs_root=runs_root,
            reader_options=reader_options,
            command=command,
            callback_factory=None if callback_factory is None else (lambda seed, cell=cell: callback_factory(cell, seed)),
            on_run_end=None if on_run_end is None else (lambda seed, result, cell=cell: on_run_end(cell, seed, result)),
        )
        outcomes.append(AblationRun(cell, config_hash(results[0].config), tuple(results)))
    return outcomes


def ablation_rows(frame: pd.DataFrame, runs: Sequence[AblationRun]) -> list[tuple[AblationCell, MeasuredRow]]:
    """Aggregate the stored runs of each cell over the seeds that were run for it."""
    rows = []
    for run in runs:
        seeds = {int(result.config["training"]["seed"]) for result in run.results}
        cell_frame = frame[(frame["config_hash"] == run.config_hash) & frame["seed"].isin(seeds) & frame["complete"]]
        if cell_frame.empty:
            raise ConfigError(f"no complete stored runs for ablation cell {run.cell.label!r} ({run.config_hash})")
        (row,) = measured_rows(cell_frame)
        rows.append((run.cell, row))
    return rows


def render_ablation_markdown(dataset: str, model: str, task: str, rows: Sequence[tuple[AblationCell, MeasuredRow]]) -> str:
    """Render the ablation page: one table per axis, in grid order, without ranks."""
    metrics = _report_metrics(task, rows)
    lines = [
        f"# Ablations: {model} on {dataset}",
        "",
        "Each row changes one axis of the full model: mean ± sample standard deviation over seeds of the "
        "test metrics of the epoch selected on validation. Accuracies and F1 scores are in percent. "
        "The full model is trained once and is the reference for every axis. The MTAG paper's Table 5 "
        "reports validation-set numbers, so its values are not directly comparable with these test numbers.",
    ]
    groups = list(dict.fromkeys(cell.group for cell, _ in rows))
    for group in groups:
        members = [(cell, row) for cell, row in rows if cell.group == group]
        labels = [cell.label for cell, _ in members]
        lines += ["", f"## {group.capitalize()}", ""]
        lines += measured_table([row for _, row in members], metrics, [("variant", labels, False)])
    lines += [""] + [f"- {text}" for text in fmt.legend_lines(metrics)]
    lines += ["", "Commands that reproduce each row:", ""]
    for cell, row in rows:
        lines.append(f"- {cell.label}: `{row.command}`")
    return "\n".join(lines) + "\n"


def render_ablation_csv(task: str, rows: Sequence[tuple[AblationCell, MeasuredRow]]) -> str:
    """Render the ablation rows as CSV in display units, in grid order."""
    import csv
    import io

    metrics = _report_metrics(task, rows)
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(
        ["group", "variant", "model", "config_hash", "modalities", "seeds", "n_seeds"]
        + [f"{name}_{part}" for name in metrics for part in ("mean", "std")]
        + ["parameters", "epoch_seconds_median", "hardware", "options", "command"]
    )
    for cell, row in rows:
        values = []
        for name in metrics:
            summary = row.metrics.get(name)
            values += [
                fmt.format_number(name, summary.mean if summary else None, fmt.CSV_DIGITS),
                fmt.format_number(name, summary.std if summary else None, fmt.CSV_DIGITS),
            ]
        writer.writerow(
            [cell.group, cell.label, row.model, row.config_hash, row.modalities, " ".join(map(str, row.seeds)), len(row.seeds)]
            + values
            + [row.parameters if row.parameters is not None else "", f"{row.epoch_seconds_median:.4f}", row.hardware]
            + [row.options, row.command]
        )
    return stream.getvalue()


def write_ablation_report(
    runs_root: str | Path, dataset: str, model: str, task: str, runs: Sequence[AblationRun], out_dir: str | Path
) -> tuple[Path, Path]:
    """Write ``ablations-NAME.md`` and ``ablations-NAME.csv`` from the stored runs of ``runs``.

    Returns:
        The paths of the Markdown and CSV files.
    """
    selection_for(task)
    frame = load_runs(runs_root, dataset=dataset, model=model, complete_only=True)
    rows = ablation_rows(frame, runs)

    out_dir = Path(out_dir)
    markdown = atomic_write_text(out_dir / f"ablations-{dataset}.md", render_ablation_markdown(dataset, model, task, rows))
    table = atomic_write_text(out_dir / f"ablations-{dataset}.csv", render_ablation_csv(task, rows))
    return markdown, table


def _report_metrics(task: str, rows: Sequence[tuple[AblationCell, MeasuredRow]]) -> list[str]:
    available = list(dict.fromkeys(name for _, row in rows for name in row.metrics))
    wanted = ABLATION_METRICS.get(task)
    if wanted is None:
        return fmt.order_metrics(available)
    return [name for name in wanted if name in available]
