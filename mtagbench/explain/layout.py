"""Node placement and edge colours of the modal-temporal graph drawing, shared by the PNG and HTML views.

Each modality gets one row. Along a row, step ``k`` of a modality with ``L`` steps sits at the
relative time ``(k + 0.5) / L``, the pseudo-alignment MTAG uses, so modalities of different lengths
span the same width. The modality named ``text`` is moved to the middle row when there are three or
more, because most strong edges involve it and lines to it then cross no other row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mtagbench.explain.edges import modality_lengths
from mtagbench.models.mtag_attention import MTAGAttention

TEXT_MODALITY = "text"

# Paul Tol's colour-blind-safe "muted" palette (9 colours), then his "bright" one: the ordered pair
# ``(source, target)`` takes entry ``source * M + target`` modulo the length, so three modalities get
# nine distinct colours.
PAIR_COLOURS = (
    "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499",
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377",
)


@dataclass(frozen=True)
class GraphLayout:
    """Node coordinates in unit space: x in [0, 1] (relative time), y = row number from the top.

    Attributes:
        modalities: Modality names in the model's order.
        rows: Modality names from the top row down.
        lengths: Steps of each modality.
        words: Words of the text steps, or None.
    """

    modalities: tuple[str, ...]
    rows: tuple[str, ...]
    lengths: dict[str, int]
    words: tuple[str, ...] | None

    def x(self, modality: str, step: int) -> float:
        """Return the relative time ``(step + 0.5) / length`` of a step."""
        return (step + 0.5) / self.lengths[modality]

    def row(self, modality: str) -> int:
        """Return the row of a modality, 0 at the top."""
        return self.rows.index(modality)

    def pair_colour(self, source: str, target: str) -> str:
        """Return the colour of edges from ``source`` to ``target``."""
        count = len(self.modalities)
        index = self.modalities.index(source) * count + self.modalities.index(target)
        return PAIR_COLOURS[index % len(PAIR_COLOURS)]

    def node_label(self, modality: str, step: int) -> str:
        """Return a readable name of a node: its word for text steps with words, else modality[step]."""
        if modality == TEXT_MODALITY and self.words is not None and step < len(self.words):
            return f"{modality}[{step}] {self.words[step]!r}"
        return f"{modality}[{step}]"


def row_order(modalities: Sequence[str]) -> tuple[str, ...]:
    """Return the modalities from the top row down, with ``text`` in the middle when present."""
    rows = [m for m in modalities if m != TEXT_MODALITY]
    if TEXT_MODALITY in modalities:
        rows.insert(len(rows) // 2 if len(modalities) >= 3 else 0, TEXT_MODALITY)
    return tuple(rows)


def graph_layout(attention: MTAGAttention, words: Sequence[str] | None = None) -> GraphLayout:
    """Return the layout of a single-sample attention record.

    Args:
        attention: Attention records of one sample.
        words: Words of the text modality, one per step, or None.
    """
    lengths = modality_lengths(attention)
    if words is not None and TEXT_MODALITY in lengths and len(words) != lengths[TEXT_MODALITY]:
        raise ValueError(f"{len(words)} words for {lengths[TEXT_MODALITY]} text steps; pass one word per text step")
    return GraphLayout(
        modalities=tuple(attention.modalities),
        rows=row_order(attention.modalities),
        lengths=lengths,
        words=None if words is None else tuple(str(word) for word in words),
    )


def describe_edge(layout: GraphLayout, edge: pd.Series) -> str:
    """Return a one-line description of an edge row of :func:`~mtagbench.explain.edges.edge_frame`."""
    source = layout.node_label(edge["source"], int(edge["source_step"]))
    target = layout.node_label(edge["target"], int(edge["target_step"]))
    status = "kept" if edge["kept"] else "pruned after this layer"
    return (
        f"weight {edge['weight']:.4f}; type {edge['source']} -> {edge['target']}, tau {edge['tau']}; "
        f"{source} -> {target}; {status}"
    )
