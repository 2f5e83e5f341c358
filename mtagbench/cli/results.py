"""``mtagbench results``, ``mtagbench leaderboard`` and ``mtagbench ablate``, and ``run --seeds``."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, List, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mtagbench.cli.app import app
from mtagbench.cli.extra_options import split_options
from mtagbench.cli.tables import format_metric, metrics_table
from mtagbench.options import parse_option_args
from mtagbench.cli.list_options import SeedsCommand
from mtagbench.cli.run import RichProgress
from mtagbench.data.registry import get_dataset_spec, load_dataset
from mtagbench.data.sample import MultimodalDataset
from mtagbench.errors import ConfigError
from mtagbench.registry import get_model_spec
from mtagbench.results.ablation import ablation_grid, run_ablation, write_ablation_report
from mtagbench.results.aggregate import MetricSummary
from mtagbench.results.leaderboard import REPORTED_FILE, write_leaderboard
from mtagbench.results.seeds import check_seeds, run_seeds, summarize_results
from mtagbench.results.store import BASE_COLUMNS, load_runs, metric_names
from mtagbench.training import RunResult, TrainConfig

console = Console()

# Store columns shown by `mtagbench results` before the metrics.
SHOWN_COLUMNS = ("dataset", "model", "config_hash", "seed", "complete", "best_epoch", "parameters", "epoch_seconds_median", "hardware")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


class RunsProgress:
    """A Rich bar over runs, with the epoch and batch bars of the run in progress below it."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.runs_task = progress.add_task("runs", total=total)
        self.current: RichProgress | None = None

    def start(self, description: str) -> RichProgress:
        self.progress.update(self.runs_task, description=description)
        self.current = RichProgress(self.progress)
        return self.current

    def end(self, description: str, result: RunResult) -> None:
        for task in (self.current.epochs_task, self.current.batches_task) if self.current else ():
            if task is not None:
                self.progress.remove_task(task)
        state = "already complete, skipped" if result.skipped else f"epoch {result.best_epoch} selected"
        self.progress.console.print(f"{description}: {state}; run folder {result.run_dir}")
        self.progress.advance(self.runs_task)


def format_mean_std(summary: MetricSummary | None) -> str:
    if summary is None:
        return "n/a"
    return f"{format_metric(summary.mean)} ± {format_metric(summary.std)}"


def seeds_table(title: str, valid: Mapping[str, MetricSummary], test: Mapping[str, MetricSummary]) -> Table:
    return metrics_table(title, valid, test, format_mean_std, column_suffix=", mean ± std")


def run_many_seeds(
    model: str,
    data: MultimodalDataset,
    config: TrainConfig,
    seeds: Sequence[int],
    model_options: Mapping[str, Any],
    runs: Path,
    resume: bool,
    overwrite: bool,
    reader_options: Mapping[str, Any],
) -> list[RunResult]:
    """Run ``mtagbench run --seeds``: one run per seed under a progress bar, then mean and std."""
    seeds = check_seeds(seeds)
    with progress_bar() as progress:
        bar = RunsProgress(progress, len(seeds))
        results = run_seeds(
            model,
            data,
            config,
            seeds,
            model_options,
            runs_root=runs,
            resume=resume,
            overwrite=overwrite,
            reader_options=reader_options,
            command=["mtagbench", *sys.argv[1:]],
            callback_factory=lambda seed: bar.start(f"seed {seed}"),
            on_run_end=lambda seed, result: bar.end(f"seed {seed}", result),
        )

    skipped = sum(result.skipped for result in results)
    if skipped:
        console.print(f"{skipped} of {len(results)} runs were already complete and were not retrained")
    std_note = "sample std over seeds" if len(seeds) > 1 else "one seed, so std is n/a"
    console.print(
        seeds_table(
            f"{model} on {data.name}, seeds {' '.join(map(str, seeds))} ({std_note})",
            summarize_results(results, "valid"),
            summarize_results(results, "test"),
        )
    )
    console.print(f"{results[0].parameters:,} parameters; run folders under {Path(results[0].run_dir).parent}")
    return results


@app.command()
def results(
    runs: Path = typer.Option(Path("runs"), help="Root folder searched recursively for run folders."),
    model: Optional[str] = typer.Option(None, help="Show only this model."),
    dataset: Optional[str] = typer.Option(None, help="Show only this dataset."),
    metric: Optional[List[str]] = typer.Option(
        None, help="Metric to show; repeat or comma-separate for several (default: every metric)."
    ),
    split: str = typer.Option("test", help="Which split's metrics to show: test, valid or both."),
    complete_only: bool = typer.Option(False, "--complete-only", help="Hide unfinished runs."),
    csv: Optional[Path] = typer.Option(None, help="Also write the filtered runs, every column, to this CSV file."),
) -> None:
    """List the stored runs with their metrics, one row per run folder."""
    if split not in ("test", "valid", "both"):
        raise ConfigError(f"invalid --split {split!r}: choose test, valid or both")
    frame = load_runs(runs, model=model, dataset=dataset, complete_only=complete_only)
    splits = ("valid", "test") if split == "both" else (split,)
    names = select_metrics(frame, metric)
    metric_columns = [f"{part}_{name}" for name in names for part in splits if f"{part}_{name}" in frame.columns]

    if csv is not None:
        columns = [*BASE_COLUMNS, *(f"{part}_{name}" for name in names for part in ("valid", "test") if f"{part}_{name}" in frame.columns)]
        csv.parent.mkdir(parents=True, exist_ok=True)
        frame[columns].to_csv(csv, index=False, float_format="%.6f")
        console.print(f"wrote {len(frame)} runs to {csv}")

    if frame.empty:
        console.print(f"no runs under {runs} match the filters")
        return
    table = Table(title=f"{len(frame)} runs under {runs}")
    for column in [*SHOWN_COLUMNS, *metric_columns]:
        table.add_column(column, justify="right" if column not in ("dataset", "model", "config_hash", "hardware") else "left")
    for record in frame.to_dict("records"):
        table.add_row(*(format_cell(record[column]) for column in [*SHOWN_COLUMNS, *metric_columns]))
    console.print(table)


def select_metrics(frame: pd.DataFrame, requested: Optional[Sequence[str]]) -> list[str]:
    """Return the metric names to show: ``requested`` (split on commas) or every metric in ``frame``.

    Raises:
        ConfigError: For a requested metric that no stored run has.
    """
    available = list(dict.fromkeys(metric_names(frame, "valid") + metric_names(frame, "test")))
    if not requested:
        return available
    names = [name.strip() for value in requested for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ConfigError(f"unknown metric {unknown[0]!r}; the stored runs have {', '.join(available) or 'no metrics'}")
    return names


def format_cell(value: Any) -> str:
    if value is None or value is pd.NA:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.4f}"
    return str(value)


@app.command()
def leaderboard(
    dataset: str = typer.Option(..., help="Dataset name as stored in the runs."),
    runs: Path = typer.Option(Path("runs"), help="Root folder searched recursively for run folders."),
    out: Path = typer.Option(Path("leaderboards"), help="Folder for NAME.md and NAME.csv."),
    reported: Optional[Path] = typer.Option(
        None, help="CSV of numbers copied from papers (default: leaderboards/reported.csv of this source tree)."
    ),
    no_reported: bool = typer.Option(False, "--no-reported", help="Leave the reported numbers out."),
) -> None:
    """Write the leaderboard of DATASET: measured rows ranked, paper numbers in a separate table."""
    if no_reported:
        reported_path = None
    elif reported is not None:
        reported_path = reported
    elif REPORTED_FILE.is_file():
        reported_path = REPORTED_FILE
    else:
        console.print(f"{REPORTED_FILE} not found (not a source checkout); writing measured rows only")
        reported_path = None

    markdown, table = write_leaderboard(runs, dataset, out, reported_path)
    console.print(f"wrote {markdown} and {table}")


@app.command(cls=SeedsCommand, context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ablate(
    ctx: typer.Context,
    dataset: str = typer.Option(..., help="Registered dataset name."),
    data_dir: Optional[Path] = typer.Option(None, help="Folder holding the dataset's files."),
    model: str = typer.Option("mtag", help="Model to ablate; it needs the options edge_types, prune and keep_ratio."),
    seeds: List[int] = typer.Option([0, 1, 2], help="Seeds per grid cell, e.g. --seeds 0 1 2 3 4."),
    epochs: int = typer.Option(20, help="Training epochs per run."),
    batch_size: int = typer.Option(32, help="Samples per training batch."),
    lr: float = typer.Option(1e-3, help="Initial AdamW learning rate."),
    weight_decay: float = typer.Option(1e-2, help="AdamW weight decay."),
    device: str = typer.Option("auto", help="auto, cpu or cuda[:N]."),
    runs: Path = typer.Option(Path("runs"), help="Root folder of the run folders."),
    out: Path = typer.Option(Path("leaderboards"), help="Folder for ablations-NAME.md and ablations-NAME.csv."),
) -> None:
    """Run the MTAG ablation grid (edge types, pruning, modalities) and write its report.

    Further model and reader options follow as --name value and apply to every cell, for example
    `mtagbench ablate --dataset mosi-csd --num-layers 4`.
    """
    model_spec = get_model_spec(model)
    dataset_spec = get_dataset_spec(dataset)
    model_options, reader_options = split_options(parse_option_args(ctx.args), model_spec, dataset_spec)
    check_ablation_model(model, model_spec.options_class, model_options)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, device=device)
    seeds = check_seeds(seeds)

    with console.status(f"reading dataset {dataset}"):
        data = load_dataset(dataset, data_dir, **reader_options)
    cells = ablation_grid(data.modalities)
    cells = [dataclasses.replace(cell, model_options={**model_options, **cell.model_options}) for cell in cells]
    console.print(f"{len(cells)} grid cells x {len(seeds)} seeds = {len(cells) * len(seeds)} runs of {model} on {data.name}")

    with progress_bar() as progress:
        bar = RunsProgress(progress, len(cells) * len(seeds))
        outcomes = run_ablation(
            model,
            data,
            cells,
            config,
            seeds,
            runs_root=runs,
            reader_options=reader_options,
            command=["mtagbench", *sys.argv[1:]],
            callback_factory=lambda cell, seed: bar.start(f"{cell.group}: {cell.label}, seed {seed}"),
            on_run_end=lambda cell, seed, result: bar.end(f"{cell.group}: {cell.label}, seed {seed}", result),
        )

    markdown, table = write_ablation_report(runs, data.name, model, data.task, outcomes, out)
    console.print(f"wrote {markdown} and {table}")


def check_ablation_model(model: str, options_class: type, extra: Mapping[str, Any]) -> None:
    """Reject a model without the options the grid varies, or extra options that the grid sets itself.

    Raises:
        ConfigError: In either case.
    """
    fields = {field.name for field in dataclasses.fields(options_class)}
    varied = ("edge_types", "prune", "keep_ratio")
    missing = [name for name in varied if name not in fields]
    if missing:
        raise ConfigError(
            f"model {model!r} has no option {', '.join(missing)}; the ablation grid varies edge_types, prune "
            "and keep_ratio, which MTAG has (pass --model mtag)"
        )
    fixed = [name for name in varied if name in extra]
    if fixed:
        raise ConfigError(f"--{fixed[0].replace('_', '-')} is set by the ablation grid; leave it out")
