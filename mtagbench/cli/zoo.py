"""``mtagbench zoo list|pull|push`` and ``mtagbench evaluate``."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from mtagbench.cli.app import app
from mtagbench.errors import ConfigError

zoo_app = typer.Typer(
    name="zoo",
    help="Pretrained checkpoints on the Hugging Face Hub: list, pull (verified) and push.",
    no_args_is_help=True,
)
app.add_typer(zoo_app, name="zoo")

def _format_metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{name}={value:.4f}" for name, value in metrics.items()) or "-"


@zoo_app.command("list")
def list_command(
    pattern: str = typer.Argument("*", help="Shell-style pattern on entry names, for example 'mtag.*'."),
) -> None:
    """List the zoo entries and whether each is in the local Hugging Face cache."""
    from mtagbench.zoo import index_path, is_cached, load_index

    entries = load_index()
    table = Table(title=f"mtagbench zoo ({index_path()})")
    for column in ("Name", "Published", "Hub repository", "Revision", "Test metrics", "Cached"):
        table.add_column(column, overflow="fold")
    for name, entry in entries.items():
        if not fnmatch.fnmatch(name, pattern):
            continue
        table.add_row(
            name,
            "yes" if entry.published else "no",
            entry.repo_id,
            entry.revision[:12] if entry.revision else "-",
            _format_metrics(entry.metrics),
            "yes" if is_cached(entry) else "no",
        )
    Console().print(table)


@zoo_app.command("pull")
def pull_command(
    spec: str = typer.Argument(..., metavar="NAME|REPO_ID[@REV]", help="Zoo entry such as mtag.mosi, or ORG/NAME[@REVISION]."),
    print_path: bool = typer.Option(False, "--print-path", help="Print only the verified checkpoint folder."),
) -> None:
    """Download a checkpoint into the Hugging Face cache and verify every file's digest."""
    from mtagbench.zoo import get_entry, pull, unpublished_message

    if "/" not in spec and not get_entry(spec).published:
        # Plain output, so the recipe is not wrapped and can be copied as one line.
        typer.echo(f"error: {unpublished_message(get_entry(spec))}", err=True)
        raise typer.Exit(2)

    pulled = pull(spec)
    if print_path:
        typer.echo(str(pulled.folder))
        return

    table = Table(title=f"{pulled.repo_id}@{pulled.commit}")
    table.add_column("File")
    table.add_column("SHA-256 (verified)")
    for name, digest in pulled.sha256.items():
        table.add_row(name, digest)
    Console().print(table)
    typer.echo(f"Checkpoint folder: {pulled.folder}")


@zoo_app.command("push")
def push_command(
    run_dir: Path = typer.Argument(..., help="Finished run folder written by `mtagbench run`."),
    repo_id: str = typer.Option(..., "--repo-id", help="Target Hub model repository, ORG/NAME; created when missing."),
    private: bool = typer.Option(False, "--private", help="Create the repository as private."),
    revision: str = typer.Option("main", "--revision", help="Branch to commit to; created from main when missing."),
    license: str = typer.Option("mit", "--license", help="License identifier written into the model card."),
) -> None:
    """Upload a run's checkpoint, model card, results and history, and print the zoo index entry."""
    from mtagbench.zoo import push_run

    result = push_run(run_dir, repo_id, private=private, branch=revision, license=license)
    typer.echo(f"Committed to {result.repo_id}@{revision}: {result.commit}")
    typer.echo(f"Commit: {result.commit_url}")
    typer.echo('Add this entry under "entries" in zoo/index.json:')
    typer.echo(json.dumps({result.name: result.entry}, indent=2))


@app.command("evaluate", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def evaluate_command(
    ctx: typer.Context,
    dataset: str = typer.Option(..., "--dataset", help="Registered dataset name, for example mosi."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Checkpoint or run folder with config.json and model.safetensors."),
    pretrained: Optional[str] = typer.Option(None, "--pretrained", help="Zoo entry (mtag.mosi) or ORG/NAME[@REVISION] to pull and evaluate."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Folder with the dataset's files."),
    split: str = typer.Option("test", "--split", help="Split to evaluate: train, valid or test."),
    batch_size: int = typer.Option(64, "--batch-size", help="Samples per forward pass."),
    device: str = typer.Option("cpu", "--device", help="Torch device, for example cpu or cuda:0."),
) -> None:
    """Evaluate a checkpoint folder or a pretrained zoo checkpoint on a dataset split.

    Reader options of the dataset follow as --name value, for example --num-train 64.
    """
    from mtagbench.data.converted import is_converted_dir
    from mtagbench.data.reader_options import parse_reader_options
    from mtagbench.data.registry import get_dataset_spec
    from mtagbench.training.checkpoint_evaluation import evaluate_checkpoint

    if (checkpoint is None) == (pretrained is None):
        raise ConfigError("pass exactly one of --checkpoint DIR and --pretrained NAME")
    if pretrained is not None:
        from mtagbench.zoo import pull

        checkpoint = pull(pretrained).folder

    if is_converted_dir(dataset):
        if ctx.args:
            raise ConfigError(f"a converted dataset folder takes no reader options, got {' '.join(ctx.args)}")
        reader_options = {}
    else:
        reader_options = parse_reader_options(get_dataset_spec(dataset).reader, ctx.args, dataset)
    result = evaluate_checkpoint(
        checkpoint, dataset, data_dir, split=split, batch_size=batch_size, device=device, reader_options=reader_options
    )
    table = Table(title=f"{result.architecture} on {result.dataset} ({result.split}, {result.samples} samples)")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    for name, value in result.metrics.items():
        table.add_row(name, f"{value:.4f}")
    Console().print(table)
