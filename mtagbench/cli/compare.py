"""``mtagbench compare``: train, test and measure several models side by side on one dataset."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from mtagbench.cli.app import app
from mtagbench.cli.list_options import SeedsCommand
from mtagbench.cli.results import RunsProgress, progress_bar
from mtagbench.compare import MeasureSettings, compare_models, default_out_dir, parse_model_options, write_comparison
from mtagbench.compare.runner import check_models
from mtagbench.compare.report import binary_legend
from mtagbench.compare.table import accuracy_rows, efficiency_rows, metric_columns
from mtagbench.data.reader_options import convert_reader_options
from mtagbench.data.registry import get_dataset_spec, load_dataset
from mtagbench.errors import ConfigError
from mtagbench.results.seeds import check_seeds
from mtagbench.training import TrainConfig

console = Console()


def reader_options_from_pairs(dataset: str, specs: List[str]) -> dict:
    """Convert ``NAME=VALUE`` strings to the dataset reader's typed options.

    Raises:
        ConfigError: For a malformed string or an option the reader does not have.
    """
    raw: dict[str, list[str]] = {}
    for spec in specs:
        name, equals, value = spec.partition("=")
        if not equals or not name.strip():
            raise ConfigError(f"invalid reader option {spec!r}: write NAME=VALUE, for example num_train=128")
        raw.setdefault(name.strip().replace("-", "_"), []).append(value.strip())
    return convert_reader_options(get_dataset_spec(dataset).reader, raw, dataset)


def rich_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for index, name in enumerate(header):
        table.add_column(name, justify="left" if index == 0 else "right")
    for cells in rows:
        table.add_row(*cells)
    return table


@app.command(cls=SeedsCommand)
def compare(
    models: List[str] = typer.Argument(..., help="Registered model names, e.g. mtag mult lf-lstm ef-lstm."),
    dataset: str = typer.Option(..., help="Registered dataset name."),
    data_dir: Optional[Path] = typer.Option(None, help="Folder holding the dataset's files."),
    seeds: List[int] = typer.Option([0, 1, 2], help="Seeds, the same for every model, e.g. --seeds 0 1 2."),
    epochs: int = typer.Option(20, help="Training epochs per run (the trainer's default)."),
    batch_size: int = typer.Option(32, help="Samples per training batch."),
    lr: float = typer.Option(1e-3, help="Initial AdamW learning rate."),
    weight_decay: float = typer.Option(1e-2, help="AdamW weight decay."),
    device: str = typer.Option("auto", help="auto, cpu or cuda[:N]; training and measurements run there."),
    runs: Path = typer.Option(Path("runs"), help="Root folder of the run folders; completed runs are reused."),
    out: Optional[Path] = typer.Option(None, help="Comparison folder. Default: comparisons/<dataset>-<model1>-<model2>..."),
    model_option: List[str] = typer.Option(
        [], "--model-option", help="MODEL:NAME=VALUE, an option of one model, e.g. mtag:num_layers=4; repeatable."
    ),
    reader_option: List[str] = typer.Option(
        [], "--reader-option", help="NAME=VALUE, an option of the dataset reader, e.g. num_train=128; repeatable."
    ),
    resume: bool = typer.Option(False, help="Continue unfinished runs (of an interrupted comparison) from their last epoch."),
    overwrite: bool = typer.Option(False, help="Delete the compared runs' folders and train them again."),
    reference: Optional[str] = typer.Option(None, help="Model that percentage columns refer to (default: the first)."),
    timing_steps: int = typer.Option(5, help="Timed training steps per model; 0 skips the step timing."),
    convergence_tolerance: float = typer.Option(
        0.0, help="Smallest validation change that counts as an improvement for the convergence epoch."
    ),
) -> None:
    """Train, test and measure MODELS with the same data, splits, settings and seeds.

    Writes comparison.md, comparison.csv, comparison.json and convergence.png to --out. Runs land in
    the normal run folders under --runs, so a repeated comparison reuses completed runs.
    """
    models = check_models(models)
    seeds = check_seeds(seeds)
    options = parse_model_options(model_option, models)
    reader_options = reader_options_from_pairs(dataset, reader_option)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, device=device)
    settings = MeasureSettings(timing_steps=timing_steps, convergence_tolerance=convergence_tolerance)
    if reference is not None and reference not in models:
        raise ConfigError(f"--reference {reference!r} is not one of the compared models {', '.join(models)}")
    out_dir = out if out is not None else default_out_dir(dataset, models)
    command = ["mtagbench", *sys.argv[1:]]

    with console.status(f"reading dataset {dataset}"):
        data = load_dataset(dataset, data_dir, **reader_options)
    sizes = ", ".join(f"{split} {len(samples)}" for split, samples in data.splits.items())
    console.print(f"{len(models)} models x {len(seeds)} seeds on [bold]{data.name}[/] ({sizes})")

    with progress_bar() as progress:
        bar = RunsProgress(progress, len(models) * len(seeds))
        comparison = compare_models(
            models,
            data,
            config,
            seeds,
            options,
            runs_root=runs,
            resume=resume,
            overwrite=overwrite,
            reader_options=reader_options,
            settings=settings,
            command=command,
            callback_factory=lambda model, seed: bar.start(f"{model}, seed {seed}"),
            on_run_end=lambda model, seed, result: bar.end(f"{model}, seed {seed}", result),
            on_measure=lambda model: progress.update(bar.runs_task, description=f"measuring {model}"),
        )

    paths = write_comparison(comparison, out_dir, reference, command)
    header, rows = accuracy_rows(comparison)
    console.print(rich_table(f"test metrics on {data.name}, mean ± std over seeds {' '.join(map(str, seeds))}", header, rows))
    for line in binary_legend(metric_columns(comparison)):
        console.print(f"  {line}", highlight=False)
    header, rows = efficiency_rows(comparison, reference)
    console.print(rich_table("size, cost, speed and convergence", header, rows))
    console.print(f"wrote {paths['markdown']}, {paths['csv'].name}, {paths['json'].name} and {paths['plot'].name}")
