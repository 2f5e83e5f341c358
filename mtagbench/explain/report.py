"""Write every explanation file of one sample: graph.png, heatmaps.png, edge_types.csv, graph.html."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from mtagbench.data.sample import Sample
from mtagbench.explain.edge_table import edge_type_table
from mtagbench.explain.edges import edge_frame, top_edges
from mtagbench.explain.heatmaps import pair_matrices
from mtagbench.explain.html import write_graph_html
from mtagbench.explain.inference import explain_sample
from mtagbench.explain.layout import TEXT_MODALITY, graph_layout
from mtagbench.explain.plots import DEFAULT_DPI, plot_graph, plot_heatmaps
from mtagbench.models.mtag import MTAG
from mtagbench.models.mtag_attention import MTAGAttention

GRAPH_PNG = "graph.png"
HEATMAPS_PNG = "heatmaps.png"
EDGE_TYPES_CSV = "edge_types.csv"
GRAPH_HTML = "graph.html"
DEFAULT_TOP_K = 60


@dataclass
class SampleExplanation:
    """Results and output files of :func:`explain_to_folder`.

    Attributes:
        sample_id: Id of the explained sample.
        layer: Layer drawn, numbered from 1.
        num_layers: Layers of the model.
        output: The model's output for the sample, ``(output_dim,)``.
        attention: The sample's attention records.
        table: Edge type table of every layer (see :mod:`mtagbench.explain.edge_table`).
        edges: The edges drawn, strongest first.
        num_layer_edges: Edges that entered the drawn layer.
        files: Output name (``graph.png`` ...) to path.
    """

    sample_id: str
    layer: int
    num_layers: int
    output: torch.Tensor
    attention: MTAGAttention
    table: pd.DataFrame
    edges: pd.DataFrame
    num_layer_edges: int
    files: dict[str, Path] = field(default_factory=dict)


def resolve_layer(layer: int | None, num_layers: int) -> int:
    """Return the 0-based index of a layer numbered from 1 (None for the last layer).

    Raises:
        ValueError: If the number is outside 1 to ``num_layers``.
    """
    if layer is None:
        return num_layers - 1
    if not 1 <= layer <= num_layers:
        raise ValueError(f"layer {layer} does not exist: the model has {num_layers} layers, numbered 1 to {num_layers}")
    return layer - 1


def explain_to_folder(
    model: MTAG,
    sample: Sample,
    out_dir: str | Path,
    layer: int | None = None,
    top_k: int = DEFAULT_TOP_K,
    html: bool = False,
    dpi: int = DEFAULT_DPI,
    device: torch.device | str = "cpu",
) -> SampleExplanation:
    """Run ``model`` on ``sample`` and write its explanation files into ``out_dir``.

    Args:
        model: An MTAG model.
        sample: The sample to explain; its words, if any, label the text nodes.
        out_dir: Output folder, created if missing; existing files of the same names are replaced.
        layer: Layer to draw, numbered from 1; None draws the last layer.
        top_k: Number of edges drawn, strongest first; self-loops are not drawn.
        html: Also write the interactive ``graph.html``.
        dpi: Pixels per inch of the PNG files.
        device: Where the model runs.

    Raises:
        ValueError: For a layer outside the model or a ``top_k`` below 1.
    """
    num_layers = len(model.layers)
    layer_index = resolve_layer(layer, num_layers)
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")

    output, attention = explain_sample(model, sample, device)
    words = sample.words if TEXT_MODALITY in attention.modalities else None
    layout = graph_layout(attention, words)
    all_edges = edge_frame(attention, layer_index)
    drawn = top_edges(all_edges, top_k)
    table = edge_type_table(attention)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    number = layer_index + 1
    title = f"{sample.id}: layer {number} of {num_layers}, top {len(drawn)} of {len(all_edges)} edges"
    files = {
        GRAPH_PNG: plot_graph(layout, drawn, out_dir / GRAPH_PNG, title=title + " (self-loops not drawn)", dpi=dpi),
        HEATMAPS_PNG: plot_heatmaps(
            pair_matrices(attention, layer_index),
            attention.modalities,
            out_dir / HEATMAPS_PNG,
            words=layout.words,
            title=f"{sample.id}: head-averaged attention of layer {number} of {num_layers}, source \u2192 target",
            dpi=dpi,
        ),
    }
    table.to_csv(out_dir / EDGE_TYPES_CSV, index=False)
    files[EDGE_TYPES_CSV] = out_dir / EDGE_TYPES_CSV
    if html:
        note = (
            "Hover an edge for its weight (attention averaged over heads), type and endpoints. "
            "Width and opacity grow with the weight; dashed edges were pruned after this layer; self-loops are not drawn."
        )
        files[GRAPH_HTML] = write_graph_html(layout, drawn, out_dir / GRAPH_HTML, title=title, note=note)

    return SampleExplanation(
        sample_id=sample.id,
        layer=number,
        num_layers=num_layers,
        output=output[0],
        attention=attention,
        table=table,
        edges=drawn,
        num_layer_edges=len(all_edges),
        files=files,
    )
