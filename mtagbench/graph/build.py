"""Batched construction of MTAG graphs from per-modality sequence lengths.

Each sample becomes one graph whose nodes are the real steps of each modality, in the order sample
by sample, then modality by modality, then step by step. Edges:

- within a modality, ``intra_edges="adjacent"`` links each node to itself and its immediate
  neighbours (``3 L - 2`` edges for ``L >= 1`` steps), as the published MOSI run does;
  ``intra_edges="all"`` links every ordered pair including self-loops (``L^2`` edges), as the
  MTAG paper's text describes. The temporal type compares step indices, so a self-loop is present.
- across modalities, every ordered pair of nodes (``L_s L_t`` edges from modality ``s`` to ``t``),
  with the temporal type given by pseudo-alignment (:mod:`mtagbench.graph.pseudo_align`).

Edges are sorted by target node, then source modality, then source step. Everything is computed
with tensor operations over the whole batch; no Python loop runs over samples, nodes or modality
pairs. Within one sample the relative order of edges does not depend on the other samples of the batch, so ties broken by edge order break the same way for a
sample alone and inside a batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import torch

from mtagbench.graph.edge_types import encode_edge_type
from mtagbench.graph.pseudo_align import pseudo_align_counts, pseudo_align_windows

IntraEdges = Literal["adjacent", "all"]
INTRA_EDGE_CHOICES = ("adjacent", "all")


@dataclass
class MultimodalGraph:
    """A batch of MTAG graphs, one per sample, as flat node and edge tensors.

    Attributes:
        modalities: Modality names; node modality ids index this tuple.
        num_graphs: Number of samples B.
        node_modality: int64 ``(N,)``, modality id of each node.
        node_position: int64 ``(N,)``, step index of each node within its own modality.
        node_graph: int64 ``(N,)``, sample index of each node.
        node_index: One int64 tensor per modality, the node ids of that modality's real steps in
            row-major ``(sample, step)`` order, which is the order of ``features[mask]`` for a padded
            ``(B, T, D)`` feature tensor and its ``(B, T)`` mask.
        edge_index: int64 ``(2, E)``, row 0 the source node, row 1 the target node.
        edge_type: int64 ``(E,)``, full edge type ``(source * M + target) * 3 + tau``.
    """

    modalities: tuple[str, ...]
    num_graphs: int
    node_modality: torch.Tensor
    node_position: torch.Tensor
    node_graph: torch.Tensor
    node_index: tuple[torch.Tensor, ...]
    edge_index: torch.Tensor
    edge_type: torch.Tensor

    @property
    def num_nodes(self) -> int:
        return int(self.node_modality.numel())

    @property
    def num_edges(self) -> int:
        return int(self.edge_type.numel())


def build_graph(lengths: Mapping[str, torch.Tensor], intra_edges: IntraEdges = "adjacent") -> MultimodalGraph:
    """Build the MTAG graphs of a batch from its per-modality lengths.

    Args:
        lengths: Modality name to int64 tensor ``(B,)`` of real lengths, in the model's modality order
            (``Batch.lengths``). Lengths may be 0.
        intra_edges: ``"adjacent"`` or ``"all"`` (see the module docstring).

    Returns:
        The :class:`MultimodalGraph` of the batch.

    Raises:
        ValueError: For an unknown ``intra_edges``, no modalities, or lengths of different batch sizes.

    Example:
        >>> graph = build_graph({"text": torch.tensor([2]), "audio": torch.tensor([3])})
        >>> graph.num_nodes, graph.num_edges
        (5, 23)
    """
    if intra_edges not in INTRA_EDGE_CHOICES:
        raise ValueError(f"invalid intra_edges {intra_edges!r}; choose one of {', '.join(INTRA_EDGE_CHOICES)}")
    if not lengths:
        raise ValueError("build_graph needs at least one modality")
    modalities = tuple(lengths)
    table = torch.stack([torch.as_tensor(lengths[m]).long() for m in modalities], dim=1)
    num_graphs, num_modalities = table.shape

    # Node ids: sample-major, then modality, then step.
    per_sample = table.sum(dim=1)
    sample_offset = torch.cumsum(per_sample, 0) - per_sample
    modality_offset = sample_offset[:, None] + torch.cumsum(table, 1) - table

    node_modality, node_position, node_graph, node_index = _nodes(table, modality_offset)

    edge_index, edge_type = _edges(table, modality_offset, node_modality, node_position, node_graph, intra_edges)
    return MultimodalGraph(
        modalities=modalities,
        num_graphs=num_graphs,
        node_modality=node_modality,
        node_position=node_position,
        node_graph=node_graph,
        node_index=node_index,
        edge_index=edge_index,
        edge_type=edge_type,
    )


def _ranges(counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return, for ``counts = [c_0, c_1, ...]``, the owner and the local index of ``sum(counts)`` items."""
    owner = torch.repeat_interleave(torch.arange(counts.numel(), device=counts.device), counts)
    starts = torch.cumsum(counts, 0) - counts
    local = torch.arange(owner.numel(), device=counts.device) - starts[owner]
    return owner, local


def _nodes(
    table: torch.Tensor, modality_offset: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...]]:
    num_graphs, num_modalities = table.shape
    total = int(table.sum())
    node_modality = torch.empty(total, dtype=torch.long, device=table.device)
    node_position = torch.empty_like(node_modality)
    node_graph = torch.empty_like(node_modality)

    node_index = []
    for modality in range(num_modalities):
        sample, step = _ranges(table[:, modality])
        ids = modality_offset[sample, modality] + step
        node_modality[ids] = modality
        node_position[ids] = step
        node_graph[ids] = sample
        node_index.append(ids)
    return node_modality, node_position, node_graph, tuple(node_index)


def _temporal_thresholds(
    source_lengths: torch.Tensor, target_length: torch.Tensor, target_position: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return, per (target node, source modality), the source steps where past and present end.

    Source steps below the first threshold are past, those below the second present, the rest
    future (see :mod:`mtagbench.graph.pseudo_align`). A source modality at least as long as the
    target's holds the target's window ``[start, end)``. A shorter one holds the counts of its windows
    that end and start at or before the target's step.
    """
    position = target_position[:, None].expand_as(source_lengths)
    own = target_length[:, None].expand_as(source_lengths)
    source_is_long = source_lengths >= own

    start, end = pseudo_align_windows(position, own, source_lengths)
    ended, started = pseudo_align_counts(position, source_lengths, own)
    return torch.where(source_is_long, start, ended), torch.where(source_is_long, end, started)


def _edges(
    table: torch.Tensor,
    modality_offset: torch.Tensor,
    node_modality: torch.Tensor,
    node_position: torch.Tensor,
    node_graph: torch.Tensor,
    intra_edges: IntraEdges,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the edges sorted by target node, then source modality, then source step.

    Each target node gets one run of source steps per source modality: the whole modality, except
    within its own modality under ``"adjacent"``, where the run is its previous, own and next step.
    """
    num_modalities = table.shape[1]

    # Segment (target node, source modality): how many source steps, starting where.
    source_lengths = table[node_graph]
    own_length = source_lengths.gather(1, node_modality[:, None]).squeeze(1)
    run_length = source_lengths
    run_start = torch.zeros_like(run_length)
    if intra_edges == "adjacent":
        first = (node_position - 1).clamp(min=0)
        last = torch.minimum(node_position + 1, own_length - 1)
        run_length = run_length.scatter(1, node_modality[:, None], (last - first + 1)[:, None])
        run_start = run_start.scatter(1, node_modality[:, None], first[:, None])
    past_end, present_end = _temporal_thresholds(source_lengths, own_length, node_position)

    segment, local = _ranges(run_length.reshape(-1))
    target = segment // num_modalities
    source_modality = segment % num_modalities
    source_step = run_start.reshape(-1)[segment] + local

    # Along a run, sources before past_end are past, then present up to present_end, then future.
    tau = (source_step >= past_end.reshape(-1)[segment]).long()
    tau += (source_step >= present_end.reshape(-1)[segment]).long()
    del segment, local

    graph = node_graph[target]
    target_modality = node_modality[target]
    edge_type = encode_edge_type(source_modality, target_modality, tau, num_modalities)
    source = modality_offset[graph, source_modality] + source_step
    return torch.stack([source, target]), edge_type
