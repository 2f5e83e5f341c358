"""``mtagbench data inspect`` and ``mtagbench data convert``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mtagbench.cli.app import app
from mtagbench.data.inspect import GENERATED, InspectReport, file_info, inspect_file, summarize_dataset
from mtagbench.errors import MtagbenchError

data_app = typer.Typer(help="Inspect dataset files and convert datasets to the pickle-free format.", no_args_is_help=True)
app.add_typer(data_app, name="data")

EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}


@data_app.command("inspect", context_settings=EXTRA_ARGS)
def inspect_command(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A dataset file, a converted folder, or a registered dataset name."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Folder with the dataset's files (for a name)."),
) -> None:
    """Show format, splits, feature sizes, lengths, labels, NaN/inf counts and SHA-256 of each file.

    Reader options of a registered dataset follow as --name value.
    """
    console = Console()
    reports = _inspect_target(target, data_dir, ctx.args)
    for report in reports:
        _print_report(console, report)
    if any(report.rejected for report in reports):
        # The report is printed in full first; the exit code lets scripts tell a bad file from a good one.
        raise typer.Exit(code=2)


@data_app.command("convert", context_settings=EXTRA_ARGS)
def convert_command(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="A registered dataset name or a converted folder."),
    to: Path = typer.Option(..., "--to", help="Output folder; created when missing."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Folder with the dataset's files (for a name)."),
) -> None:
    """Write a dataset as .npy arrays and manifest.json, readable with no pickle.

    Reader options of the dataset follow as --name value. The output folder works as a dataset name in
    every command.
    """
    from mtagbench.data.converted import write_converted
    from mtagbench.data.registry import load_dataset

    dataset = load_dataset(source, data_dir, **_reader_options(source, ctx.args))
    manifest = write_converted(dataset, to)
    counts = ", ".join(f"{split} {len(samples)}" for split, samples in dataset.splits.items())
    Console().print(f"wrote {dataset.name} ({counts}) to {to}; fingerprint {dataset.fingerprint()[:12]}, manifest {manifest}")


def _reader_options(name: str, args: list[str]) -> dict:
    from mtagbench.data.converted import is_converted_dir
    from mtagbench.data.reader_options import parse_reader_options
    from mtagbench.data.registry import get_dataset_spec

    if is_converted_dir(name):
        return {}
    spec = get_dataset_spec(name)
    return parse_reader_options(spec.reader, args, name)


def _inspect_target(target: str, data_dir: Path | None, args: list[str]) -> list[InspectReport]:
    from mtagbench.data.locate import find_data_dir
    from mtagbench.data.registry import get_dataset_spec, load_dataset

    from mtagbench.data.converted import is_converted_dir
    from mtagbench.data.registry import list_datasets

    path = Path(target).expanduser()
    registered = {spec.name for spec in list_datasets()}
    if path.is_file() or is_converted_dir(path) or (path.exists() and target not in registered):
        return [inspect_file(path)]

    spec = get_dataset_spec(target)
    options = _reader_options(target, args)
    if spec.generated:
        return [summarize_dataset(load_dataset(target, **options), target=target, kind=GENERATED)]

    directory = find_data_dir(spec, data_dir)
    reports = []
    for name in spec.files:
        try:
            reports.append(inspect_file(directory / name))
        except MtagbenchError:
            reports.append(InspectReport(target=str(directory / name), format="(not inspected)", files=[file_info(directory / name)]))

    try:
        dataset = load_dataset(target, directory, **options)
    except MtagbenchError as error:
        failed = InspectReport(target=target, format=f"dataset {target!r}", rejected=True)
        failed.notes.append(f"The reader rejected the files: {error}")
        reports.append(failed)
    else:
        reports.append(summarize_dataset(dataset, target=target, kind=f"dataset {target!r}"))
    return reports


def _print_report(console: Console, report: InspectReport) -> None:
    console.rule(escape(f"{report.target}  [{report.format}]"))
    if report.splits:
        console.print("samples: " + ", ".join(f"{split} {count}" for split, count in report.splits.items()))

    if report.modalities:
        table = Table(title="modalities")
        for column in ("modality", "feature size", "min length", "mean length", "max length", "empty", "NaN/inf"):
            table.add_column(column, justify="left" if column == "modality" else "right")
        for name, stats in report.modalities.items():
            lengths = np.asarray(stats.lengths) if stats.lengths else np.zeros(1)
            table.add_row(
                name, str(stats.dim), str(int(lengths.min())), f"{lengths.mean():.1f}", str(int(lengths.max())),
                str(stats.empty), str(stats.nonfinite),
            )
        console.print(table)

    if report.labels:
        table = Table(title="labels")
        table.add_column("statistic")
        table.add_column("value", justify="right")
        for name, value in report.labels.items():
            table.add_row(name, _format_value(value))
        console.print(table)

    if report.files:
        table = Table(title="files")
        for column in ("file", "SHA-256", "known file"):
            table.add_column(column)
        for info in report.files:
            table.add_row(str(info.path), info.sha256, info.known or "-")
        console.print(table)
        for info in report.files:
            if info.known:
                console.print(f"known file: {info.known}", highlight=False, markup=False)

    for note in report.notes:
        console.print(note, highlight=False, markup=False)


def _format_value(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3f}"
