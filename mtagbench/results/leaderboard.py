"""Leaderboards: measured runs ranked per dataset, with paper numbers kept in a separate table.

A leaderboard for dataset ``NAME`` has one measured row per model and configuration (config hash).
A row shows the mean ± sample standard deviation over seeds of every test metric, the seeds, the
parameters, the median epoch seconds, the hardware and the ``mtagbench run`` command that reproduces
it. Measured rows are ranked by the task's selection metric. Numbers copied from papers (``leaderboards/reported.csv``)
appear in their own table and never receive a rank.

The output depends only on the stored runs and the reported file: no rendering time, sorted rows
and fixed float formats, so regenerating from the same runs gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mtagbench.errors import ConfigError
from mtagbench.io import atomic_write_text
from mtagbench.results import format as fmt
from mtagbench.results.aggregate import MetricSummary, aggregate_metrics
from mtagbench.results.command import run_command
from mtagbench.results.store import load_runs, metric_names
from mtagbench.training import run_folder

# Selection metric of each task and whether lower is better.
SELECTION = {"regression": ("mae", True), "multilabel": ("f1_mean", False)}

REPORTED_FILE = Path(__file__).resolve().parents[2] / "leaderboards" / "reported.csv"
REPORTED_COLUMNS = ("benchmark", "datasets", "model", "metric", "value", "source", "note")


@dataclass(frozen=True)
class MeasuredRow:
    """One model and configuration, aggregated over its seeds."""

    model: str
    config_hash: str
    seeds: tuple[int, ...]
    metrics: dict[str, MetricSummary]
    parameters: int | None
    epoch_seconds_median: float
    hardware: str
    modalities: str
    options: str
    command: str


@dataclass(frozen=True)
class ReportedRow:
    """Numbers for one model copied from a publication; values are kept as printed there."""

    benchmark: str
    model: str
    source: str
    values: dict[str, str]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Leaderboard:
    dataset: str
    task: str
    selection_metric: str
    lower_is_better: bool
    metrics: list[str]
    measured: list[MeasuredRow]
    reported: list[ReportedRow]


def selection_for(task: str) -> tuple[str, bool]:
    """Return ``(metric, lower_is_better)`` used to select checkpoints and rank rows for ``task``."""
    if task not in SELECTION:
        raise ConfigError(f"no selection metric for task {task!r}; known tasks: {', '.join(SELECTION)}")
    return SELECTION[task]


def measured_rows(frame: pd.DataFrame) -> list[MeasuredRow]:
    """Aggregate complete runs into one row per (model, config hash), over their seeds.

    Args:
        frame: Rows of :func:`mtagbench.results.store.load_runs`, all of one dataset.

    Raises:
        ConfigError: If two run folders hold the same configuration and seed, which would count that
            seed twice.
    """
    frame = frame[frame["complete"]]
    metrics = metric_names(frame, "test")
    rows = []
    for (model, config_hash), group in frame.groupby(["model", "config_hash"], sort=True):
        group = group.sort_values(["seed", "run_dir"])
        duplicated = group[group["seed"].duplicated(keep=False)]
        if not duplicated.empty:
            raise ConfigError(
                f"seed {int(duplicated['seed'].iloc[0])} of {model} ({config_hash}) is stored twice: "
                f"{', '.join(duplicated['run_dir'])}; delete one of the folders"
            )

        per_seed = [{name: record[f"test_{name}"] for name in metrics} for record in group.to_dict("records")]
        first = group.iloc[0]
        parameters = group["parameters"].dropna()
        config = run_folder.read_json(Path(first["run_dir"]) / run_folder.CONFIG_FILE)
        seeds = tuple(int(seed) for seed in group["seed"])
        rows.append(
            MeasuredRow(
                model=str(model),
                config_hash=str(config_hash),
                seeds=seeds,
                metrics=aggregate_metrics(per_seed),
                parameters=int(parameters.iloc[0]) if not parameters.empty else None,
                epoch_seconds_median=_median(group["epoch_seconds_median"]),
                hardware="; ".join(sorted({str(value) for value in group["hardware"].dropna()})) or "unknown",
                modalities=str(first["modalities"]),
                options=str(first["options"]),
                command=run_command(config, seeds=seeds),
            )
        )
    return rows


def rank_rows(rows: Sequence[MeasuredRow], metric: str, lower_is_better: bool) -> list[MeasuredRow]:
    """Sort rows best first by the mean of ``metric``; NaN last, ties by model and config hash."""

    def key(row: MeasuredRow) -> tuple[bool, float, str, str]:
        summary = row.metrics.get(metric)
        mean = math.nan if summary is None else summary.mean
        missing = math.isnan(mean)
        if missing:
            value = 0.0
        elif lower_is_better:
            value = mean
        else:
            value = -mean
        return missing, value, row.model, row.config_hash

    return sorted(rows, key=key)


def read_reported(path: str | Path, dataset: str) -> list[ReportedRow]:
    """Read the reported rows whose ``datasets`` column lists ``dataset``.

    The file is long-format CSV with the columns of :data:`REPORTED_COLUMNS`; ``datasets`` contains the
    space-separated names of the registered datasets whose leaderboard shows the row.

    Raises:
        ConfigError: If the file is missing or lacks a column.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"reported results file {path} not found; pass --reported with its path")
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        missing = [column for column in REPORTED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ConfigError(f"{path} lacks the columns {missing}; expected {', '.join(REPORTED_COLUMNS)}")
        records = [record for record in reader if dataset in record["datasets"].split()]

    grouped: dict[tuple[str, str], dict[str, str]] = {}
    sources: dict[tuple[str, str], dict[str, None]] = {}
    notes: dict[tuple[str, str], dict[str, None]] = {}
    for record in records:
        key = (record["benchmark"], record["model"])
        grouped.setdefault(key, {})[record["metric"]] = record["value"]
        sources.setdefault(key, {})[record["source"]] = None
        if record["note"]:
            notes.setdefault(key, {})[record["note"]] = None
    return [
        ReportedRow(benchmark, model, "; ".join(sources[(benchmark, model)]), values, tuple(notes.get((benchmark, model), {})))
        for (benchmark, model), values in grouped.items()
    ]


def build_leaderboard(frame: pd.DataFrame, dataset: str, reported: Sequence[ReportedRow] = ()) -> Leaderboard:
    """Aggregate and rank the complete runs of ``dataset`` in ``frame``.

    Raises:
        ConfigError: If ``frame`` has no complete run of ``dataset``, or mixes tasks.
    """
    frame = frame[(frame["dataset"] == dataset) & frame["complete"]]
    if frame.empty:
        raise ConfigError(f"no complete runs of dataset {dataset!r}; train some with `mtagbench run MODEL --dataset {dataset}`")
    tasks = sorted(set(frame["task"]))
    if len(tasks) != 1:
        raise ConfigError(f"runs of dataset {dataset!r} have several tasks {tasks}; they cannot share a leaderboard")

    metric, lower_is_better = selection_for(tasks[0])
    metrics = fmt.order_metrics([name for name in metric_names(frame, "test") if frame[f"test_{name}"].notna().any()])
    if metric not in metrics:
        raise ConfigError(f"runs of dataset {dataset!r} have no test {metric!r}, the {tasks[0]} selection metric")
    rows = rank_rows(measured_rows(frame), metric, lower_is_better)
    return Leaderboard(dataset, tasks[0], metric, lower_is_better, metrics, rows, list(reported))


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Return the lines of a Markdown table; ``|`` inside a cell is escaped."""
    def cells(values: Sequence[str]) -> str:
        return "| " + " | ".join(value.replace("|", "\\|") for value in values) + " |"

    rule = "|" + "|".join("---:" if flag else "---" for flag in right) + "|"
    return [cells(headers), rule, *(cells(row) for row in rows)]


def measured_table(
    rows: Sequence[MeasuredRow], metrics: Sequence[str], first: Sequence[tuple[str, list[str], bool]]
) -> list[str]:
    """Return the Markdown lines of measured rows, led by ``(header, values, right-aligned)`` columns."""
    headers = [header for header, _, _ in first] + ["model", "config", "modalities", "seeds"]
    headers += [fmt.label(name) for name in metrics] + ["parameters", "epoch s (median)", "hardware"]
    right = [flag for _, _, flag in first] + [False, False, False, True] + [True] * len(metrics) + [True, True, False]
    body = []
    for index, row in enumerate(rows):
        body.append(
            [values[index] for _, values, _ in first]
            + [row.model, f"`{row.config_hash}`", row.modalities, str(len(row.seeds))]
            + [fmt.format_summary(name, row.metrics[name]) if name in row.metrics else "n/a" for name in metrics]
            + [_format_parameters(row.parameters), fmt.format_seconds(row.epoch_seconds_median), row.hardware]
        )
    return markdown_table(headers, body, right)


def render_markdown(board: Leaderboard) -> str:
    """Render the leaderboard page: the ranked measured table, its commands, then reported numbers."""
    direction = "lower is better" if board.lower_is_better else "higher is better"
    lines = [
        f"# Leaderboard: {board.dataset}",
        "",
        f"Measured with mtagbench on `{board.dataset}` ({board.task}). Each row is one model and configuration: "
        "mean ± sample standard deviation over seeds of the test metrics of the epoch selected on validation "
        "(the test split is evaluated once per run). Accuracies and F1 scores are in percent. "
        f"Ranked by test {fmt.label(board.selection_metric)} ({direction}).",
        "",
        "## Measured",
        "",
    ]
    ranks = [str(index + 1) for index in range(len(board.measured))]
    lines += measured_table(board.measured, board.metrics, [("rank", ranks, True)])
    lines += [""] + [f"- {text}" for text in fmt.legend_lines(board.metrics)]
    lines += ["", "Commands that reproduce each row:", ""]
    for rank, row in zip(ranks, board.measured):
        lines.append(f"{rank}. `{row.command}`")

    if board.reported:
        lines += ["", *render_reported(board.reported)]
    return "\n".join(lines) + "\n"


def render_reported(rows: Sequence[ReportedRow]) -> list[str]:
    """Return the Markdown lines of the reported (not ranked) section, one table per benchmark."""
    lines = [
        "## Reported in papers (not measured, not ranked)",
        "",
        "Copied from publications as printed there. Their data processing, checkpoint selection and "
        "metric conventions may differ from the measured runs above, so they are context, not competitors.",
    ]
    for benchmark in sorted({row.benchmark for row in rows}):
        group = [row for row in rows if row.benchmark == benchmark]
        metrics = fmt.order_metrics(list(dict.fromkeys(name for row in group for name in row.values if name != "parameters")))
        has_parameters = any("parameters" in row.values for row in group)
        headers = ["model", *(fmt.label(name) for name in metrics)] + (["parameters"] if has_parameters else []) + ["source"]
        right = [False] + [True] * len(metrics) + ([True] if has_parameters else []) + [False]
        body = [
            [row.model, *(row.values.get(name, "") for name in metrics)]
            + ([row.values.get("parameters", "")] if has_parameters else [])
            + [row.source]
            for row in group
        ]
        notes = sorted({note for row in group for note in row.notes})
        lines += ["", f"### {benchmark}", "", *markdown_table(headers, body, right), ""]
        lines += [f"- {text}" for text in fmt.legend_lines(metrics) if text.startswith("unspecified")]
        lines += [f"- Note: {note}." for note in notes]
    return lines


def render_csv(board: Leaderboard) -> str:
    """Render measured rows (ranked) and reported rows (``rank`` empty) as CSV, in display units."""
    reported_metrics = fmt.order_metrics(
        list(dict.fromkeys(name for row in board.reported for name in row.values if name != "parameters"))
    )
    metrics = board.metrics + [name for name in reported_metrics if name not in board.metrics]
    header = ["kind", "rank", "model", "config_hash", "modalities", "seeds", "n_seeds"]
    header += [f"{name}_{part}" for name in metrics for part in ("mean", "std")]
    header += ["parameters", "epoch_seconds_median", "hardware", "options", "source", "command"]

    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for rank, row in enumerate(board.measured, start=1):
        values = []
        for name in metrics:
            summary = row.metrics.get(name)
            values += [
                fmt.format_number(name, summary.mean if summary else None, fmt.CSV_DIGITS),
                fmt.format_number(name, summary.std if summary else None, fmt.CSV_DIGITS),
            ]
        writer.writerow(
            ["measured", rank, row.model, row.config_hash, row.modalities, " ".join(map(str, row.seeds)), len(row.seeds)]
            + values
            + [row.parameters if row.parameters is not None else "", f"{row.epoch_seconds_median:.4f}", row.hardware]
            + [row.options, "", row.command]
        )
    for row in board.reported:
        values = [item for name in metrics for item in (row.values.get(name, ""), "")]
        writer.writerow(
            ["reported", "", row.model, "", "", "", ""]
            + values
            + [row.values.get("parameters", ""), "", "", "", row.source, ""]
        )
    return stream.getvalue()


def write_leaderboard(
    runs_root: str | Path,
    dataset: str,
    out_dir: str | Path,
    reported_path: str | Path | None = REPORTED_FILE,
) -> tuple[Path, Path]:
    """Build the leaderboard of ``dataset`` from the runs under ``runs_root`` and write ``NAME.md`` and ``NAME.csv``.

    Args:
        runs_root: Root folder of the run folders.
        dataset: Dataset name as stored in the runs.
        out_dir: Folder for the two files.
        reported_path: CSV of numbers copied from papers; None leaves the reported section out.

    Returns:
        The paths of the Markdown and CSV files.
    """
    frame = load_runs(runs_root, dataset=dataset, complete_only=True)
    reported = read_reported(reported_path, dataset) if reported_path is not None else []
    board = build_leaderboard(frame, dataset, reported)

    out_dir = Path(out_dir)
    markdown = atomic_write_text(out_dir / f"{dataset}.md", render_markdown(board))
    table = atomic_write_text(out_dir / f"{dataset}.csv", render_csv(board))
    return markdown, table


def _median(values: pd.Series) -> float:
    numbers = [float(value) for value in values.dropna()]
    return statistics.median(numbers) if numbers else math.nan


def _format_parameters(parameters: int | None) -> str:
    return "n/a" if parameters is None else f"{parameters:,}"
