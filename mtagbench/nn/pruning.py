"""Dynamic edge pruning between MTAG layers, done per graph.

After a layer, each edge gets one score: its attention weight averaged over heads,
:math:`\\alpha_{ij} = \\frac{1}{H} \\sum_h \\alpha_{[h],i,j}`. ``E_g`` counts the edges whose target
node belongs to graph ``g``. Each graph keeps its ``ceil(keep_ratio * E_g)`` best-scoring edges, with
the product taken in float64 less 1e-9, and a graph with at least one edge keeps at least one.
Ranking never crosses graphs, so a sample's kept edges do not depend on the other samples of its
batch.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

PruneMode = Literal["topk", "random", "none"]
PRUNE_MODES = ("topk", "random", "none")


def edges_to_keep_per_graph(edge_graph: Tensor, num_graphs: int, keep_ratio: float) -> Tensor:
    """Return how many edges each graph keeps: ``ceil(keep_ratio * E_g)``, at least 1 when ``E_g > 0``."""
    counts = torch.bincount(edge_graph, minlength=num_graphs)
    # The tolerance stops a product such as 0.7 * 10 = 7.000000000000001 from rounding up to 8.
    keep = torch.ceil(counts.double() * keep_ratio - 1e-9).long()
    return torch.where(counts > 0, keep.clamp(min=1), keep).clamp(max=counts)


def rank_within_graph(score: Tensor, edge_graph: Tensor, num_graphs: int) -> Tensor:
    """Return each edge's rank among its graph's edges, 0 for the highest score.

    Scores must be non-negative, as attention weights and uniform random numbers are; a negative
    score ranks as 0. Ties keep edge order: of two equal scores in one graph, the earlier edge ranks
    higher.
    """
    num_edges = score.numel()
    if num_edges == 0:
        return torch.zeros(0, dtype=torch.long, device=score.device)

    # Lay the scores out as a (graphs, max edges per graph) matrix padded with -1, then sort each
    # row once. Edges are usually grouped by graph already (sorted by target node).
    grouped = bool((edge_graph[1:] >= edge_graph[:-1]).all())
    order = torch.arange(num_edges, device=score.device) if grouped else torch.sort(edge_graph, stable=True).indices
    graph_sorted = edge_graph[order]
    counts = torch.bincount(edge_graph, minlength=num_graphs)
    graph_start = torch.cumsum(counts, 0) - counts
    column = torch.arange(num_edges, device=score.device) - graph_start[graph_sorted]

    # Scores are non-negative, so their float32 bit patterns order like the values. Appending the
    # reversed column makes every key unique, so an unstable sort breaks ties by edge order.
    # Adding 0.0 turns -0.0, whose sign bit would sort it below every positive score, into 0.0.
    bits = (score.float().clamp(min=0.0) + 0.0).view(torch.int32).long()
    width = int(counts.max())
    key = bits[order] * (1 << 32) + (width - 1 - column)
    padded = torch.full((num_graphs, width), -1, dtype=torch.long, device=score.device)
    padded[graph_sorted, column] = key
    by_score = torch.sort(padded, dim=1, descending=True).indices

    rank_padded = torch.empty_like(by_score)
    rank_padded.scatter_(1, by_score, torch.arange(by_score.size(1), device=score.device).expand_as(by_score))
    rank = torch.empty_like(column)
    rank[order] = rank_padded[graph_sorted, column]
    return rank


def prune_edges(
    alpha: Tensor,
    edge_graph: Tensor,
    num_graphs: int,
    mode: PruneMode = "topk",
    keep_ratio: float = 0.8,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Choose the edges that survive pruning, graph by graph.

    Args:
        alpha: Attention weights ``(E, H)`` (or ``(E,)``) of the layer just run.
        edge_graph: int64 ``(E,)``, graph of each edge, which is the graph of its target node.
        num_graphs: Number of graphs in the batch.
        mode: ``"topk"`` keeps the edges of highest head-averaged attention; ``"random"`` keeps a
            uniformly random subset of the same size; ``"none"`` keeps every edge.
        keep_ratio: Fraction of each graph's edges to keep, in ``(0, 1]``.
        generator: Random generator for ``"random"``; the global generator when None.

    Returns:
        bool ``(E,)``, True for each kept edge.

    Raises:
        ValueError: For an unknown mode or a ``keep_ratio`` outside ``(0, 1]``.
    """
    if mode not in PRUNE_MODES:
        raise ValueError(f"invalid prune mode {mode!r}; choose one of {', '.join(PRUNE_MODES)}")
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be in (0, 1], got {keep_ratio}")
    num_edges = edge_graph.numel()
    if mode == "none" or keep_ratio == 1.0:
        return torch.ones(num_edges, dtype=torch.bool, device=edge_graph.device)

    if mode == "topk":
        score = alpha.detach().float()
        score = score.mean(dim=-1) if score.dim() == 2 else score
    else:
        score = torch.rand(num_edges, generator=generator, device=edge_graph.device)

    rank = rank_within_graph(score, edge_graph, num_graphs)
    keep = edges_to_keep_per_graph(edge_graph, num_graphs, keep_ratio)
    return rank < keep[edge_graph]


def prune_dense_edges(
    alpha: Tensor,
    edge_mask: Tensor,
    mode: PruneMode = "topk",
    keep_ratio: float = 0.8,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Choose the edges that survive pruning in dense per-graph form, as :func:`prune_edges` does.

    Edge ``[b, i, j]`` (source ``j``, target ``i``) is ranked within graph ``b``. For ``"topk"`` the
    ranking is the same as :func:`prune_edges` on the same edges listed in row-major ``(i, j)``
    order, which is the order :func:`mtagbench.graph.build.build_graph` emits: the highest
    head-averaged alpha first, and of two equal scores the edge earlier in that order. For
    ``"random"`` each graph keeps a uniformly random subset of the same size; the subset is not the
    one :func:`prune_edges` draws for the same generator state.

    Args:
        alpha: Attention weights ``(B, N, N, H)`` (or ``(B, N, N)``), target then source.
        edge_mask: bool ``(B, N, N)``, the edges that entered the layer.
        mode: ``"topk"``, ``"random"`` or ``"none"``.
        keep_ratio: Fraction of each graph's edges to keep, in ``(0, 1]``.
        generator: Random generator for ``"random"``; the global generator when None.

    Returns:
        bool ``(B, N, N)``, True for each kept edge (a subset of ``edge_mask``).

    Raises:
        ValueError: For an unknown mode or a ``keep_ratio`` outside ``(0, 1]``.
    """
    if mode not in PRUNE_MODES:
        raise ValueError(f"invalid prune mode {mode!r}; choose one of {', '.join(PRUNE_MODES)}")
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be in (0, 1], got {keep_ratio}")
    if mode == "none" or keep_ratio == 1.0:
        return edge_mask

    num_graphs = edge_mask.size(0)
    flat_mask = edge_mask.reshape(num_graphs, -1)
    width = flat_mask.size(1)
    if mode == "topk":
        score = alpha.detach().float()
        if score.dim() == 4:
            # Sum the heads one after another, as the mean over the last axis of an (E, H) tensor does.
            total = score[..., 0]
            for head in range(1, score.size(-1)):
                total = total + score[..., head]
            score = total / score.size(-1)
        score = score.reshape(num_graphs, -1)
    else:
        score = torch.rand(num_graphs, width, generator=generator, device=edge_mask.device)

    counts = flat_mask.sum(dim=1)
    keep = torch.ceil(counts.double() * keep_ratio - 1e-9).long()
    keep = torch.where(counts > 0, keep.clamp(min=1), keep).clamp(max=counts)
    max_keep = int(keep.max()) if num_graphs else 0
    if max_keep == 0:
        return edge_mask

    # Unique keys as in rank_within_graph: score bits, then the reversed position for the tie-break.
    bits = (score.clamp(min=0.0) + 0.0).view(torch.int32).long()
    column = torch.arange(width, device=edge_mask.device)
    key = torch.where(flat_mask, bits * (1 << 32) + (width - 1 - column), -1)

    # Pad every graph to the same number of kept edges with keys above every real one. The
    # max_keep-th largest key of a padded row is then the keep_g-th largest real key of graph g.
    pad_column = torch.arange(max_keep, device=edge_mask.device)
    padding = torch.where(pad_column[None, :] < (max_keep - keep)[:, None], torch.iinfo(torch.int64).max, -1)
    padded = torch.cat([key, padding], dim=1)
    threshold = padded.kthvalue(padded.size(1) - max_keep + 1, dim=1, keepdim=True).values
    kept = flat_mask & (key >= threshold)
    return kept.view_as(edge_mask)
