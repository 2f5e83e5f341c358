"""``mtagbench explain``: draw the modal-temporal attention graph of one sample, or summarise a split."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from mtagbench.checkpoint import check_feature_sizes
from mtagbench.cli.app import app
from mtagbench.cli.extra_options import split_options
from mtagbench.options import parse_option_args
from mtagbench.data.registry import get_dataset_spec, load_dataset
from mtagbench.data.sample import SPLITS, MultimodalDataset
from mtagbench.environment import resolve_device
from mtagbench.errors import ConfigError
from mtagbench.explain.edge_table import modality_pair_table, totals_frame
from mtagbench.explain.inference import find_sample, summarize_split
from mtagbench.explain.loading import MTAG_ARCHITECTURE, LoadedModel, load_from_checkpoint, load_from_run, load_from_zoo
from mtagbench.explain.report import DEFAULT_TOP_K, EDGE_TYPES_CSV, explain_to_folder, resolve_layer
from mtagbench.registry import get_model_spec

console = Console()

SUMMARY_FOLDER = "summary"


def load_model(checkpoint: Path | None, run_dir: Path | None, pretrained: str | None) -> LoadedModel:
    """Load the model named by exactly one of ``--checkpoint``, ``--run`` and ``--pretrained``."""
    given = [name for name, value in (("--checkpoint", checkpoint), ("--run", run_dir), ("--pretrained", pretrained)) if value]
    if len(given) != 1:
        found = f"got {' and '.join(given)}" if given else "got none"
        raise ConfigError(f"pass exactly one of --checkpoint DIR, --run DIR and --pretrained NAME ({found})")
    if checkpoint is not None:
        return load_from_checkpoint(checkpoint)
    if run_dir is not None:
        return load_from_run(run_dir)
    return load_from_zoo(pretrained)


def load_data(
    loaded: LoadedModel, dataset: str | None, data_dir: Path | None, modalities: str | None, extra_args: list[str]
) -> MultimodalDataset:
    """Read the dataset to explain on, defaulting to the run's dataset, and check it fits the model."""
    recorded = loaded.dataset
    name = dataset or recorded.get("name")
    if name is None:
        raise ConfigError(f"name the dataset with --dataset; {loaded.source} does not record one")

    reader_options: dict[str, Any] = dict(recorded.get("options", {})) if name == recorded.get("name") else {}
    extra = parse_option_args(extra_args)
    if extra:
        model_options, given = split_options(extra, get_model_spec(MTAG_ARCHITECTURE), get_dataset_spec(name))
        if model_options:
            names = ", ".join("--" + key.replace("_", "-") for key in model_options)
            raise ConfigError(f"{names}: model options come from the trained model and cannot be changed when explaining it")
        reader_options.update(given)

    with console.status(f"reading dataset {name}"):
        data = load_dataset(name, data_dir, **reader_options)

    chosen = [m.strip() for m in modalities.split(",") if m.strip()] if modalities else recorded.get("modalities")
    if chosen and list(chosen) != list(data.modalities):
        data = data.select_modalities(list(chosen))
    check_feature_sizes(loaded.config, data.feature_sizes, f"dataset {data.name!r}")

    fingerprint = recorded.get("fingerprint")
    if fingerprint and name == recorded.get("name") and data.fingerprint() != fingerprint:
        console.print(
            f"[yellow]warning:[/] the {name} data read now differ from the data {loaded.source} was trained on "
            "(dataset fingerprints differ); check --data-dir and the reader options"
        )
    return data


def _number(value: float, digits: int = 3) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:.{digits}f}"


def _count(value: float) -> str:
    return f"{value:.1f}" if value != int(value) else f"{int(value)}"


def _percent(value: float) -> str:
    if pd.isna(value):
        return "-"
    return f"{100 * value:.1f}%"


def edge_type_rich_table(table: pd.DataFrame, layer: int, title: str) -> Table:
    """Return the rows of one layer of an edge type table as a Rich table."""
    rich_table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column, justify in (
        ("source\n\u2192 target", "left"),
        ("tau", "left"),
        ("edges\nbefore", "right"),
        ("edges\nafter", "right"),
        ("mass\nbefore", "right"),
        ("mass\nshare", "right"),
        ("mass\nkept", "right"),
        ("kept /\nbefore", "right"),
        ("mean\nweight", "right"),
    ):
        rich_table.add_column(column, justify=justify, no_wrap=True)

    for _, row in table[table["layer"] == layer].iterrows():
        rich_table.add_row(
            f"{row['source']}\u2192{row['target']}",
            row.get("tau") or "all",
            _count(row["edges_before"]),
            _count(row["edges_after"]),
            _number(row["mass_before"]),
            _percent(row["mass_share"]),
            _number(row["mass_kept"]),
            _percent(row["mass_keep_rate"]),
            _number(row["mean_weight"], 4),
        )
    return rich_table


def default_out(sample_id: str | None, split: str) -> Path:
    """Return ``explain/<sample id>`` (unsafe characters replaced) or ``explain/summary-<split>``."""
    if sample_id is None:
        return Path("explain") / f"{SUMMARY_FOLDER}-{split}"
    return Path("explain") / re.sub(r"[^A-Za-z0-9._-]+", "_", sample_id)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def explain(
    ctx: typer.Context,
    checkpoint: Optional[Path] = typer.Option(None, help="Checkpoint folder (config.json and model.safetensors) of an MTAG model."),
    run_dir: Optional[Path] = typer.Option(None, "--run", help="Run folder of `mtagbench run mtag`; its dataset is the default."),
    pretrained: Optional[str] = typer.Option(None, help="Zoo model name, for example mtag.mosi (needs mtagbench.zoo)."),
    dataset: Optional[str] = typer.Option(None, help="Registered dataset name; default: the run's dataset."),
    data_dir: Optional[Path] = typer.Option(None, help="Folder holding the dataset's files."),
    modalities: Optional[str] = typer.Option(None, help="Comma-separated modalities the model was trained on; default: the run's."),
    sample: Optional[str] = typer.Option(None, help="Id of the sample to explain, for example '_dI--eQ6qVU[3]'."),
    split: str = typer.Option("valid", help="Split that contains the sample, or the split to summarise: train, valid or test."),
    layer: Optional[int] = typer.Option(None, min=1, help="MTAG layer to draw, numbered from 1; default: the last."),
    top: int = typer.Option(DEFAULT_TOP_K, min=1, help="Number of edges drawn, strongest first (self-loops are not drawn)."),
    out: Optional[Path] = typer.Option(None, help="Output folder; default: explain/<sample id> or explain/summary-<split>."),
    html: bool = typer.Option(False, help="Also write graph.html, an interactive page with inline SVG and JavaScript."),
    summary: bool = typer.Option(False, help="Average the edge type table over the whole split instead of drawing one sample."),
    batch_size: int = typer.Option(32, min=1, help="Samples per forward pass with --summary."),
    dpi: int = typer.Option(100, min=20, help="Pixels per inch of the PNG files."),
    device: str = typer.Option("auto", help="auto, cpu or cuda[:N]."),
) -> None:
    """Explain an MTAG model through its attention weights and pruned edges.

    With --sample, writes graph.png (the strongest edges of one layer over the nodes of each
    modality), heatmaps.png (attention per ordered modality pair), edge_types.csv (attention mass
    per layer and edge type, before and after pruning) and, with --html, graph.html. With --summary,
    writes edge_types.csv averaged over the split. Reader options follow as --name value.
    """
    if split not in SPLITS:
        raise ConfigError(f"invalid split {split!r}; choose one of {', '.join(SPLITS)}")
    if summary == (sample is not None):
        raise ConfigError("pass either --sample ID to explain one sample or --summary to summarise a split, not both or neither")
    if summary and html:
        raise ConfigError("--html draws one sample's graph; pass --sample ID instead of --summary to write graph.html")

    loaded = load_model(checkpoint, run_dir, pretrained)
    model = loaded.model
    num_layers = len(model.layers)
    try:
        layer_index = resolve_layer(layer, num_layers)
    except ValueError as error:
        raise ConfigError(f"--layer: {error}") from None

    data = load_data(loaded, dataset, data_dir, modalities, ctx.args)
    samples = data.splits[split]
    target = resolve_device(device)
    model.to(target)
    out_dir = out or default_out(sample, split)

    if summary:
        _summarise(model, samples, data.name, split, layer_index + 1, batch_size, target, out_dir)
        return

    chosen = find_sample(samples, sample, split)
    with console.status(f"explaining {chosen.id}"):
        result = explain_to_folder(model, chosen, out_dir, layer=layer_index + 1, top_k=top, html=html, dpi=dpi, device=target)

    prediction = ", ".join(f"{value:.3f}" for value in result.output.tolist())
    label = ", ".join(f"{value:.3f}" for value in chosen.label.tolist())
    console.print(f"{chosen.id} ({data.name} {split}): prediction {prediction}, label {label}")
    console.print(
        edge_type_rich_table(
            result.table,
            result.layer,
            f"layer {result.layer} of {num_layers}: attention mass per edge type (all layers in {EDGE_TYPES_CSV})",
        )
    )
    console.print(f"drew the {len(result.edges)} strongest of {result.num_layer_edges} edges of layer {result.layer}")
    for path in result.files.values():
        console.print(f"wrote {path}")


def _summarise(model, samples, dataset_name: str, split: str, layer: int, batch_size: int, device, out_dir: Path) -> None:
    with console.status(f"running the model on {len(samples)} {split} samples"):
        totals = summarize_split(model, samples, batch_size=batch_size, device=device)
    table = totals_frame(totals, per_sample=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / EDGE_TYPES_CSV
    table.to_csv(path, index=False)

    console.print(
        edge_type_rich_table(
            table, layer, f"{dataset_name} {split}, {totals.num_samples} samples: layer {layer}, mean per sample"
        )
    )
    console.print(
        edge_type_rich_table(
            modality_pair_table(table), layer, f"layer {layer} by modality pair, mean per sample (tau summed)"
        )
    )
    console.print(f"wrote {path}")
