"""``mtagbench run``, ``mtagbench models`` and ``mtagbench datasets``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mtagbench.cli.app import app
from mtagbench.cli.extra_options import split_options
from mtagbench.cli.list_options import SeedsCommand
from mtagbench.cli.tables import metrics_table
from mtagbench.data.locate import find_data_dir
from mtagbench.data.registry import DatasetSpec, get_dataset_spec, list_datasets, load_dataset
from mtagbench.errors import ConfigError, DataError
from mtagbench.options import describe_options, parse_option_args
from mtagbench.registry import get_model_spec, list_models
from mtagbench.training import TrainConfig, run_experiment

console = Console()

DEFAULT_DATASET = "synthetic-mosi"


class RichProgress:
    """Training progress as Rich bars: one over epochs, one over the batches of the current epoch."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.epochs_task = None
        self.batches_task = None

    def on_run_start(self, first_epoch: int, epochs: int, batches_per_epoch: int) -> None:
        self.epochs_task = self.progress.add_task("epochs", total=epochs, completed=first_epoch - 1)
        self.batches_task = self.progress.add_task(f"epoch {first_epoch}", total=batches_per_epoch)

    def on_batch_end(self, epoch: int, loss: float) -> None:
        self.progress.update(self.batches_task, advance=1, description=f"epoch {epoch} loss {loss:.4f}")

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        valid = record["valid"]
        summary = "  ".join(f"{key} {value:.4f}" for key, value in list(valid.items())[:3] if value is not None)
        self.progress.console.print(
            f"epoch {record['epoch']:>3}  train loss {record['train_loss']:.4f}  valid {summary}  "
            f"({record['epoch_seconds']:.1f} s)"
        )
        self.progress.update(self.epochs_task, advance=1)
        self.progress.reset(self.batches_task, description=f"epoch {record['epoch'] + 1}")


def apply_recommended(
    spec: DatasetSpec | None, model: str, epochs: int | None, model_options: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Fill the epochs and model options the user left out from the dataset's recommended setting."""
    recommended_epochs = spec.recommended_epochs() if spec is not None else None
    recommended_options = spec.recommended_model_options(model) if spec is not None else {}
    applied = {key: value for key, value in recommended_options.items() if key not in model_options}
    if epochs is None and recommended_epochs is not None:
        applied["epochs"] = recommended_epochs
    if applied:
        settings = " ".join(f"--{key.replace('_', '-')} {value}" for key, value in applied.items())
        console.print(f"using the recommended setting of dataset {spec.name!r}: {settings}")
    epochs = epochs if epochs is not None else (recommended_epochs or TrainConfig.epochs)
    return epochs, {**recommended_options, **model_options}


@app.command(cls=SeedsCommand, context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Registered model name; see `mtagbench models`."),
    dataset: str = typer.Option(DEFAULT_DATASET, help="Registered dataset name or a converted dataset folder."),
    data_dir: Optional[Path] = typer.Option(None, help="Folder holding the dataset's files."),
    modalities: Optional[str] = typer.Option(None, help="Comma-separated modalities to use, e.g. text,audio."),
    epochs: Optional[int] = typer.Option(
        None, help="Training epochs. Default: the dataset's recommended setting (35 for IEMOCAP), else 20."
    ),
    batch_size: int = typer.Option(32, help="Samples per training batch."),
    lr: float = typer.Option(1e-3, help="Initial AdamW learning rate."),
    weight_decay: float = typer.Option(1e-2, help="AdamW weight decay."),
    lr_patience: int = typer.Option(3, help="Epochs without validation improvement before halving the learning rate."),
    grad_clip: float = typer.Option(0.0, help="Gradient-norm clipping threshold; 0 disables it."),
    loss: str = typer.Option("l1", help="Regression loss: l1 or smooth_l1."),
    class_weights: bool = typer.Option(False, help="Multilabel tasks: weight classes by inverse train frequency."),
    seed: int = typer.Option(0, help="Seed for initialisation, shuffling and dropout."),
    seeds: Optional[List[int]] = typer.Option(
        None, help="Several seeds, e.g. --seeds 0 1 2 3 4: one run each, then mean and std; replaces --seed."
    ),
    device: str = typer.Option("auto", help="auto, cpu or cuda[:N]."),
    out: Optional[Path] = typer.Option(
        None, help="Run folder. Default: RUNS/<dataset>/<model>/<config hash>/seed-<seed>."
    ),
    runs: Path = typer.Option(Path("runs"), help="Root folder of the default run folders."),
    resume: bool = typer.Option(False, help="Continue an unfinished run from its last completed epoch."),
    overwrite: bool = typer.Option(False, help="Delete an existing run folder and start again."),
) -> None:
    """Train MODEL on a dataset, select the epoch on validation, and test it once.

    Model and reader options follow as --name value (see `mtagbench models MODEL`), for example
    `mtagbench run mtag --num-layers 4 --prune random`.
    """
    model_spec = get_model_spec(model)
    dataset_spec = get_dataset_spec(dataset) if not Path(dataset).is_dir() else None
    model_options, reader_options = (
        split_options(
            parse_option_args(ctx.args),
            model_spec,
            dataset_spec,
            command_options=[param.name for param in ctx.command.params],
        )
        if dataset_spec is not None
        else (parse_option_args(ctx.args), {})
    )
    epochs, model_options = apply_recommended(dataset_spec, model, epochs, model_options)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        lr_patience=lr_patience,
        grad_clip=grad_clip,
        loss=loss,
        class_weights=class_weights,
        seed=seed,
        device=device,
    )

    with console.status(f"reading dataset {dataset}"):
        data = load_dataset(dataset, data_dir, **reader_options)
        if modalities is not None:
            data = data.select_modalities([m.strip() for m in modalities.split(",") if m.strip()])
    sizes = ", ".join(f"{split} {len(samples)}" for split, samples in data.splits.items())
    console.print(f"dataset [bold]{data.name}[/]: {sizes}; modalities {dict(data.feature_sizes)}")

    if seeds:
        from mtagbench.cli.results import run_many_seeds

        if out is not None:
            raise ConfigError("--out names one run folder; with --seeds the runs go under --runs")
        run_many_seeds(model, data, config, seeds, model_options, runs, resume, overwrite, reader_options)
        return

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        result = run_experiment(
            model,
            data,
            config,
            model_options,
            out,
            runs_root=runs,
            resume=resume,
            overwrite=overwrite,
            reader_options=reader_options,
            callback=RichProgress(progress),
            command=["mtagbench", *sys.argv[1:]],
        )

    if result.skipped:
        console.print(f"{result.run_dir} already contains this completed run; showing its results (pass --overwrite to retrain)")
    console.print(
        metrics_table(
            f"{model} on {data.name}, seed {seed}: epoch {result.best_epoch} selected on validation "
            f"{result.selection_metric}",
            result.valid,
            result.test,
        )
    )
    console.print(f"{result.parameters:,} parameters; run folder: {result.run_dir}")


@app.command()
def models(name: Optional[str] = typer.Argument(None, help="Show the options of this model.")) -> None:
    """List the registered models, or the options of one model."""
    if name is not None:
        spec = get_model_spec(name)
        table = Table(title=f"{name}: {spec.description}")
        table.add_column("option", no_wrap=True)
        for column in ("type", "default", "meaning"):
            table.add_column(column)
        for row in describe_options(spec.options_class):
            table.add_row(*row)
        console.print(table)
        return

    table = Table(title="models (options: mtagbench models NAME)")
    table.add_column("name", no_wrap=True)
    table.add_column("tasks")
    table.add_column("modalities", justify="right")
    table.add_column("description")
    for model_name in list_models():
        spec = get_model_spec(model_name)
        if spec.max_modalities is None:
            count = f"{spec.min_modalities}+"
        else:
            count = f"{spec.min_modalities}-{spec.max_modalities}"
        description = spec.description
        if spec.needs_aligned:
            description += " (needs aligned input)"
        if not spec.source.startswith("mtagbench."):
            description += f" [from {spec.source}]"
        table.add_row(model_name, ", ".join(spec.tasks), count, description)
    console.print(table)


@app.command()
def datasets() -> None:
    """List the registered datasets and whether their files are found."""
    table = Table(title="datasets")
    table.add_column("name", no_wrap=True)
    for column in ("task", "files", "found", "description"):
        table.add_column(column)
    for spec in list_datasets():
        if spec.generated:
            found = "built in"
        else:
            try:
                found = str(find_data_dir(spec))
            except DataError:
                found = "no"
        table.add_row(spec.name, spec.task, ", ".join(spec.files) or "-", found, spec.description)
    console.print(table)
