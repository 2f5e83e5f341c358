"""PNG drawings of the modal-temporal attention graph and of the per-pair attention matrices.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas, so nothing touches
pyplot's global state or needs a display. Figure sizes depend only on the number of modalities and
the dpi (see :func:`graph_figure_size` and :func:`heatmap_figure_size`). Figures are saved without
``bbox_inches="tight"``, so the pixel size is exactly size times dpi.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from mtagbench.explain.layout import TEXT_MODALITY, GraphLayout

DEFAULT_DPI = 100
GRAPH_WIDTH_INCHES = 12.0
ROW_HEIGHT_INCHES = 1.5
HEATMAP_CELL_INCHES = 3.4
MAX_WORD_TICKS = 60
MIN_LINE_WIDTH = 0.6
MAX_LINE_WIDTH = 4.0
MIN_OPACITY = 0.2


def graph_figure_size(num_modalities: int) -> tuple[float, float]:
    """Return the graph figure's ``(width, height)`` in inches."""
    return GRAPH_WIDTH_INCHES, 1.9 + ROW_HEIGHT_INCHES * num_modalities


def heatmap_figure_size(num_modalities: int) -> tuple[float, float]:
    """Return the heatmap figure's ``(width, height)`` in inches."""
    return HEATMAP_CELL_INCHES * num_modalities + 1.4, HEATMAP_CELL_INCHES * num_modalities + 0.8


def edge_style(weight: float, max_weight: float) -> tuple[float, float]:
    """Return ``(line width in points, opacity)`` of an edge, both growing linearly with its weight."""
    relative = weight / max_weight if max_weight > 0 else 0.0
    width = MIN_LINE_WIDTH + (MAX_LINE_WIDTH - MIN_LINE_WIDTH) * relative
    opacity = MIN_OPACITY + (1.0 - MIN_OPACITY) * relative
    return width, opacity


def plot_graph(
    layout: GraphLayout,
    edges: pd.DataFrame,
    path: str | Path,
    title: str = "",
    dpi: int = DEFAULT_DPI,
) -> Path:
    """Draw the selected edges of one layer over the nodes of one sample and save a PNG.

    Args:
        layout: Node placement from :func:`~mtagbench.explain.layout.graph_layout`.
        edges: Rows of :func:`~mtagbench.explain.edges.edge_frame` to draw, usually
            :func:`~mtagbench.explain.edges.top_edges`. Width and opacity grow with the weight,
            relative to the strongest drawn edge. The colour gives the ordered modality pair, and
            edges pruned after the layer are dashed.
        path: Output file.
        title: Figure title.
        dpi: Pixels per inch.

    Returns:
        ``path``.
    """
    figure = Figure(figsize=graph_figure_size(len(layout.rows)), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.09, 0.12, 0.71, 0.74))

    _draw_nodes(axes, layout)
    pairs_drawn = _draw_edges(axes, layout, edges)
    _style_graph_axes(axes, layout)

    handles = [
        Line2D([], [], color=layout.pair_colour(source, target), linewidth=2.5, label=f"{source} \u2192 {target}")
        for source, target in pairs_drawn
    ]
    if len(edges) and not edges["kept"].all():
        handles.append(Line2D([], [], color="black", linewidth=1.5, linestyle="--", label="pruned after layer"))
    if handles:
        figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.815, 0.86), title="source \u2192 target", fontsize=9, frameon=False)
    figure.suptitle(title, fontsize=11)

    figure.savefig(path, dpi=dpi)
    return Path(path)


def _draw_nodes(axes, layout: GraphLayout) -> None:
    for modality in layout.rows:
        length = layout.lengths[modality]
        y = -layout.row(modality)
        xs = [layout.x(modality, step) for step in range(length)]
        size = float(np.clip(900.0 / max(length, 1), 6.0, 40.0))
        axes.scatter(xs, [y] * length, s=size, color="#444444", zorder=3, linewidths=0)

        if modality == TEXT_MODALITY and layout.words is not None:
            fontsize = float(np.clip(260.0 / max(length, 1), 5.0, 9.0))
            for x, word in zip(xs, layout.words):
                axes.annotate(
                    word,
                    (x, y),
                    xytext=(0, 5),
                    textcoords="offset points",
                    rotation=60,
                    ha="left",
                    va="bottom",
                    fontsize=fontsize,
                    zorder=4,
                    bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.7},
                )


def _draw_edges(axes, layout: GraphLayout, edges: pd.DataFrame) -> list[tuple[str, str]]:
    """Draw edges weakest first, so strong ones lie on top; return the modality pairs drawn, in model order."""
    max_weight = float(edges["weight"].max()) if len(edges) else 0.0
    for _, edge in edges.sort_values("weight", kind="stable").iterrows():
        source, target = edge["source"], edge["target"]
        start = (layout.x(source, int(edge["source_step"])), -layout.row(source))
        end = (layout.x(target, int(edge["target_step"])), -layout.row(target))
        width, opacity = edge_style(float(edge["weight"]), max_weight)

        # Edges within a row are arcs, because a straight line would run through the nodes between.
        # With a negative radius, arcs to a later step bend above the row and arcs to an earlier step below.
        connection = "arc3,rad=-0.6" if source == target else "arc3,rad=0.0"
        axes.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=5 + 2 * width,
                connectionstyle=connection,
                color=layout.pair_colour(source, target),
                alpha=opacity,
                linewidth=width,
                linestyle="-" if edge["kept"] else "--",
                shrinkA=3,
                shrinkB=3,
                zorder=2,
            )
        )

    present = set(zip(edges["source"], edges["target"]))
    return [(s, t) for s in layout.modalities for t in layout.modalities if (s, t) in present]


def _style_graph_axes(axes, layout: GraphLayout) -> None:
    rows = len(layout.rows)
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-(rows - 1) - 0.45, 0.75)
    axes.set_yticks([-row for row in range(rows)])
    axes.set_yticklabels([f"{m} ({layout.lengths[m]})" for m in layout.rows])
    axes.set_xlabel("relative time within the utterance, (step + 0.5) / steps")
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", length=0)


def plot_heatmaps(
    matrices: Mapping[tuple[str, str], np.ndarray],
    modalities: tuple[str, ...],
    path: str | Path,
    words: tuple[str, ...] | list[str] | None = None,
    title: str = "",
    dpi: int = DEFAULT_DPI,
) -> Path:
    """Draw one attention matrix per ordered modality pair and save a PNG.

    Row ``r`` of the grid contains the pairs whose source is ``modalities[r]``, column ``c`` those whose
    target is ``modalities[c]``, so the matrices of ``a -> b`` and ``b -> a`` sit in mirrored cells.
    All cells share one colour scale from 0 to the largest weight; grey cells have no edge.

    Args:
        matrices: From :func:`~mtagbench.explain.heatmaps.pair_matrices`.
        modalities: Modality names in the model's order.
        path: Output file.
        words: Words of the text steps, used as tick labels when there are at most 60.
        title: Figure title.
        dpi: Pixels per inch.

    Returns:
        ``path``.
    """
    count = len(modalities)
    figure = Figure(figsize=heatmap_figure_size(count), dpi=dpi)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(count, count, left=0.08, right=0.88, bottom=0.07, top=0.9, wspace=0.45, hspace=0.5)

    finite = [m[np.isfinite(m)] for m in matrices.values() if np.isfinite(m).any()]
    vmax = max((float(values.max()) for values in finite), default=1.0)
    vmax = vmax if vmax > 0 else 1.0
    colour_map = colormaps["viridis"].with_extremes(bad="#dddddd")

    image = None
    for row, source in enumerate(modalities):
        for column, target in enumerate(modalities):
            axes = figure.add_subplot(grid[row, column])
            matrix = matrices[(source, target)]
            axes.set_title(f"{source} \u2192 {target}", fontsize=10)
            if matrix.size == 0:
                axes.text(0.5, 0.5, "no steps", ha="center", va="center", transform=axes.transAxes)
                axes.set_xticks([])
                axes.set_yticks([])
                continue
            image = axes.imshow(np.ma.masked_invalid(matrix), cmap=colour_map, vmin=0.0, vmax=vmax, aspect="auto", interpolation="nearest")
            axes.set_xlabel(f"{source} step (source)", fontsize=8)
            axes.set_ylabel(f"{target} step (target)", fontsize=8)
            _step_ticks(axes.xaxis, source, matrix.shape[1], words, rotation=90)
            _step_ticks(axes.yaxis, target, matrix.shape[0], words, rotation=0)

    if image is not None:
        colour_axes = figure.add_axes((0.91, 0.07, 0.018, 0.83))
        figure.colorbar(image, cax=colour_axes, label="head-averaged attention")
    figure.suptitle(title, fontsize=11)
    figure.savefig(path, dpi=dpi)
    return Path(path)


def _step_ticks(axis, modality: str, length: int, words, rotation: int) -> None:
    if modality == TEXT_MODALITY and words is not None and len(words) == length and length <= MAX_WORD_TICKS:
        fontsize = float(np.clip(180.0 / max(length, 1), 4.0, 7.0))
        axis.set_ticks(range(length))
        axis.set_ticklabels(list(words), fontsize=fontsize, rotation=rotation)
        return
    step = max(1, math.ceil(length / 8))
    axis.set_ticks(range(0, length, step))
    axis.set_tick_params(labelsize=7)
