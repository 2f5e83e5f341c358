r"""Temporal edge types from real time stamps, for unaligned sequences that carry them.

MTAG labels every edge :math:`j \to i` with a temporal type :math:`\tau_{ij}` in {past, present,
future}. Without time stamps the type comes from relative positions. When each node is an interval of
seconds (a word, an audio frame, a video frame), :func:`temporal_types_from_times` derives it from the
intervals themselves, so that a word and the frames spoken during it are "present" to each other.

The rule, for a source interval :math:`[s_0, s_1]` and a target interval :math:`[t_0, t_1]`:

* **present (1)** when the intervals share a stretch of positive length,
  :math:`\max(s_0, t_0) < \min(s_1, t_1)`; or when either interval has zero length and the two
  closed intervals meet, :math:`\max(s_0, t_0) \le \min(s_1, t_1)` (a point at a boundary or inside
  the other interval, or two equal points);
* otherwise **past (0)** when the source ends at or before the target starts, :math:`s_1 \le t_0`.
  Intervals that only touch, such as ``[0, 1]`` and ``[1, 2]``, are therefore past and future, not
  present;
* otherwise **future (2)**: the source starts at or after the target ends, :math:`s_0 \ge t_1`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from mtagbench.graph.build import MultimodalGraph
from mtagbench.graph.edge_types import encode_edge_type

PAST = 0
PRESENT = 1
FUTURE = 2


def temporal_types_from_times(
    source_times: torch.Tensor | np.ndarray, target_times: torch.Tensor | np.ndarray
) -> torch.Tensor:
    r"""Return the temporal type :math:`\tau` of every (source, target) pair of intervals.

    Args:
        source_times: ``(N_s, 2)`` start and end of each source node, in seconds.
        target_times: ``(N_t, 2)`` start and end of each target node, in seconds.

    Returns:
        Int64 tensor ``(N_s, N_t)``: 0 past (source before target), 1 present (overlapping), 2 future
        (source after target), by the rule in this module's docstring. It is on ``source_times``'s
        device when that is a tensor, else on the CPU.

    Raises:
        ValueError: If an input is not ``(N, 2)``, contains NaN or inf, or has an end before its start.
    """
    source = _as_intervals(source_times, "source_times")
    target = _as_intervals(target_times, "target_times").to(source.device)
    return interval_types(source[:, 0, None], source[:, 1, None], target[None, :, 0], target[None, :, 1])


def interval_types(
    source_start: torch.Tensor, source_end: torch.Tensor, target_start: torch.Tensor, target_end: torch.Tensor
) -> torch.Tensor:
    """Return the temporal type of source and target intervals given as broadcastable tensors, elementwise."""
    overlap_start = torch.maximum(source_start, target_start)
    overlap_end = torch.minimum(source_end, target_end)
    positive_overlap = overlap_start < overlap_end
    has_point = (source_start == source_end) | (target_start == target_end)
    point_meets = has_point & (overlap_start <= overlap_end)
    present = positive_overlap | point_meets
    past = ~present & (source_end <= target_start)

    types = torch.full(present.shape, FUTURE, dtype=torch.long, device=present.device)
    types[past] = PAST
    types[present] = PRESENT
    return types


def retype_by_time(graph: MultimodalGraph, node_times: torch.Tensor) -> MultimodalGraph:
    """Return ``graph`` with the temporal type of every cross-modal edge taken from real time stamps.

    Edges within one modality keep the type from step order, which time stamps of one modality share.

    Args:
        graph: A graph from :func:`mtagbench.graph.build.build_graph`.
        node_times: float ``(N, 2)``, start and end seconds of every node.
    """
    source, target = graph.edge_index
    num_modalities = len(graph.modalities)
    source_modality = graph.node_modality[source]
    target_modality = graph.node_modality[target]

    tau = interval_types(node_times[source, 0], node_times[source, 1], node_times[target, 0], node_times[target, 1])
    same_modality = source_modality == target_modality
    tau = torch.where(same_modality, graph.edge_type % 3, tau)
    edge_type = encode_edge_type(source_modality, target_modality, tau, num_modalities)
    return dataclasses.replace(graph, edge_type=edge_type)


def _as_intervals(times: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    tensor = torch.as_tensor(times, dtype=torch.float64) if not isinstance(times, torch.Tensor) else times.double()
    if tensor.ndim != 2 or tensor.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2) of start and end seconds, got {tuple(tensor.shape)}")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or inf; drop padded steps before computing temporal types")
    if (tensor[:, 1] < tensor[:, 0]).any():
        row = int(torch.nonzero(tensor[:, 1] < tensor[:, 0])[0])
        raise ValueError(f"{name} row {row} ends before it starts: {tensor[row].tolist()}")
    return tensor
