"""The edges of one MTAG layer as a table, and the selection of the strongest ones.

Every number here comes from the attention records that :class:`~mtagbench.models.mtag.MTAG` returns
with ``return_attention=True``: the edges that entered the layer, their attention weights and the
pruning decision after the layer. Nothing is recomputed from the model's parameters.

The weight of an edge is its attention averaged over heads, ``alpha_ij = (1 / H) sum_h alpha_[h],ij``,
the same score the pruning step ranks edges by.
"""

from __future__ import annotations

import pandas as pd
import torch

from mtagbench.graph.edge_types import TEMPORAL_TYPES
from mtagbench.models.mtag_attention import MTAGAttention, MTAGLayerAttention

EDGE_COLUMNS = (
    "source_node",
    "target_node",
    "source",
    "target",
    "tau",
    "source_step",
    "target_step",
    "edge_type",
    "weight",
    "kept",
)


def layer_record(attention: MTAGAttention, layer_index: int) -> MTAGLayerAttention:
    """Return the record of one layer; ``layer_index`` counts from 0 and may be negative.

    Raises:
        IndexError: If the model has no such layer; the message gives the valid range.
    """
    count = len(attention.layers)
    if not -count <= layer_index < count:
        raise IndexError(f"layer index {layer_index} is out of range for a model with {count} layers (0 to {count - 1})")
    return attention.layers[layer_index]


def head_averaged(alpha: torch.Tensor) -> torch.Tensor:
    """Return the attention weight of each edge averaged over heads, as float64 ``(E,)``."""
    alpha = alpha.detach().double()
    return alpha.mean(dim=-1) if alpha.dim() == 2 else alpha


def modality_lengths(attention: MTAGAttention) -> dict[str, int]:
    """Return the number of nodes of each modality in a single-sample attention record."""
    counts = torch.bincount(attention.node_modality, minlength=len(attention.modalities))
    return {modality: int(count) for modality, count in zip(attention.modalities, counts.tolist())}


def edge_frame(attention: MTAGAttention, layer_index: int) -> pd.DataFrame:
    """Return one row per edge that entered a layer, in the layer's edge order.

    Args:
        attention: Attention records of a single sample (see :meth:`MTAGAttention.sample`).
        layer_index: Layer to read, counting from 0; negative values count from the last layer.

    Returns:
        A DataFrame with the columns of :data:`EDGE_COLUMNS`. They are the node ids, modality names
        and steps of both endpoints, the temporal type ``tau`` (past, present or future), the full
        edge type id and the head-averaged ``weight``. ``kept`` is True when the edge survived the
        pruning after this layer.
    """
    record = layer_record(attention, layer_index)
    source_node, target_node = record.edge_index.cpu()
    node_modality = attention.node_modality.cpu()
    node_position = attention.node_position.cpu()
    edge_type = record.edge_type.cpu()
    names = attention.modalities

    return pd.DataFrame(
        {
            "source_node": source_node.numpy(),
            "target_node": target_node.numpy(),
            "source": [names[i] for i in node_modality[source_node].tolist()],
            "target": [names[i] for i in node_modality[target_node].tolist()],
            "tau": [TEMPORAL_TYPES[i] for i in (edge_type % 3).tolist()],
            "source_step": node_position[source_node].numpy(),
            "target_step": node_position[target_node].numpy(),
            "edge_type": edge_type.numpy(),
            "weight": head_averaged(record.alpha).cpu().numpy(),
            "kept": record.kept.cpu().numpy().astype(bool),
        },
        columns=list(EDGE_COLUMNS),
    )


def top_edges(edges: pd.DataFrame, k: int, include_self_loops: bool = False) -> pd.DataFrame:
    """Return the ``k`` edges of highest weight, strongest first.

    Ties keep the layer's edge order, as the pruning step breaks them.

    Args:
        edges: A table from :func:`edge_frame`.
        k: Number of edges to return; fewer come back when the layer has fewer.
        include_self_loops: Whether an edge from a node to itself may be selected.

    Raises:
        ValueError: If ``k`` is not positive.
    """
    if k < 1:
        raise ValueError(f"the number of edges to select must be at least 1, got {k}")
    if not include_self_loops:
        edges = edges[edges["source_node"] != edges["target_node"]]
    return edges.sort_values("weight", ascending=False, kind="stable").head(k)
