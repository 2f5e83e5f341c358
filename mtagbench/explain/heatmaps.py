"""Attention matrices of one layer for each ordered modality pair (the asymmetry of Figure 5 in the
MTAG paper, Yang et al., NAACL 2021)."""

from __future__ import annotations

import numpy as np

from mtagbench.explain.edges import edge_frame, modality_lengths
from mtagbench.models.mtag_attention import MTAGAttention


def pair_matrices(attention: MTAGAttention, layer_index: int) -> dict[tuple[str, str], np.ndarray]:
    """Return head-averaged attention of one layer as a matrix per ordered modality pair.

    Args:
        attention: Attention records of a single sample.
        layer_index: Layer to read, counting from 0; negative values count from the last layer.

    Returns:
        ``(source, target)`` to a float64 array ``(target steps, source steps)``: entry ``[i, j]`` is
        the weight of the edge from step ``j`` of the source modality to step ``i`` of the target
        modality. Entries without an edge in this layer are NaN: within a modality only neighbours
        are linked by default, and later layers lack the edges pruned before them. Every ordered
        pair is present, also when a modality has no steps (a matrix with a zero-length side).
    """
    lengths = modality_lengths(attention)
    matrices = {
        (source, target): np.full((lengths[target], lengths[source]), np.nan)
        for source in attention.modalities
        for target in attention.modalities
    }

    edges = edge_frame(attention, layer_index)
    for (source, target), group in edges.groupby(["source", "target"], sort=False):
        matrix = matrices[(source, target)]
        matrix[group["target_step"].to_numpy(), group["source_step"].to_numpy()] = group["weight"].to_numpy()
    return matrices
