"""Batched construction of MTAG graphs as dense, padded per-graph tensors.

The dense form of :func:`mtagbench.graph.build.build_graph`: the same nodes and edges, laid out for
:class:`mtagbench.nn.DenseMTAGConv`. Graph ``b`` has its nodes at positions ``0 .. n_b - 1``, modality
by modality and step by step (the order of ``build_graph``'s node ids within the sample), padded to
the batch's largest ``n_b``. The edge from source ``j`` to target ``i`` is entry ``[b, i, j]`` of an
edge-type matrix, -1 where there is no edge. Row-major ``(i, j)`` order is ``build_graph``'s edge
order within the sample, so ties broken by edge order break the same way in both forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from mtagbench.graph.build import INTRA_EDGE_CHOICES, IntraEdges, _temporal_thresholds
from mtagbench.graph.edge_types import encode_edge_type


@dataclass
class DenseMultimodalGraph:
    """A batch of MTAG graphs as padded per-graph tensors.

    Attributes:
        modalities: Modality names; node modality ids index this tuple.
        node_mask: bool ``(B, N)``, True at real nodes.
        node_modality: int64 ``(B, N)``, modality id of each node (0 at padding).
        node_position: int64 ``(B, N)``, step of each node within its modality (0 at padding).
        modality_offset: int64 ``(B, M)``, position of each modality's first node in its graph.
        edge_type: int64 ``(B, N, N)``, full edge type ``(source * M + target) * 3 + tau`` of the
            edge from source ``j`` to target ``i`` at ``[b, i, j]``, -1 where there is no edge.
    """

    modalities: tuple[str, ...]
    node_mask: torch.Tensor
    node_modality: torch.Tensor
    node_position: torch.Tensor
    modality_offset: torch.Tensor
    edge_type: torch.Tensor

    @property
    def num_graphs(self) -> int:
        return int(self.node_mask.size(0))

    @property
    def edge_mask(self) -> torch.Tensor:
        """bool ``(B, N, N)``, True where an edge exists."""
        return self.edge_type >= 0

    def node_offset(self) -> torch.Tensor:
        """int64 ``(B,)``, the id of each graph's first node in ``build_graph``'s flat numbering."""
        counts = self.node_mask.sum(dim=1)
        return torch.cumsum(counts, 0) - counts


def build_dense_graph(lengths: Mapping[str, torch.Tensor], intra_edges: IntraEdges = "adjacent") -> DenseMultimodalGraph:
    """Build the MTAG graphs of a batch, in dense form, from its per-modality lengths.

    Args:
        lengths: Modality name to int64 tensor ``(B,)`` of real lengths, in the model's modality order.
        intra_edges: ``"adjacent"`` or ``"all"``, as for :func:`mtagbench.graph.build.build_graph`.

    Returns:
        The :class:`DenseMultimodalGraph` of the batch.

    Raises:
        ValueError: For an unknown ``intra_edges`` or no modalities.

    Example:
        >>> graph = build_dense_graph({"text": torch.tensor([2]), "audio": torch.tensor([3])})
        >>> int(graph.edge_mask.sum())
        23
    """
    if intra_edges not in INTRA_EDGE_CHOICES:
        raise ValueError(f"invalid intra_edges {intra_edges!r}; choose one of {', '.join(INTRA_EDGE_CHOICES)}")
    if not lengths:
        raise ValueError("build_dense_graph needs at least one modality")
    modalities = tuple(lengths)
    table = torch.stack([torch.as_tensor(lengths[m]).long() for m in modalities], dim=1)
    num_graphs, num_modalities = table.shape
    device = table.device

    # Nodes: modality m of graph b occupies positions [offset, offset + length).
    per_graph = table.sum(dim=1)
    width = max(int(per_graph.max()) if num_graphs else 0, 1)
    offset = torch.cumsum(table, 1) - table
    slot = torch.arange(width, device=device)
    node_mask = slot[None, :] < per_graph[:, None]
    node_modality = (slot[None, :, None] >= (offset + table)[:, None, :]).sum(dim=2).clamp(max=num_modalities - 1)
    node_modality = torch.where(node_mask, node_modality, 0)
    node_position = torch.where(node_mask, slot[None, :] - offset.gather(1, node_modality), 0)

    # Per target node and source modality, the source steps where past and present end.
    own_length = table.gather(1, node_modality)
    past_end, present_end = _temporal_thresholds(
        table[:, None, :].expand(num_graphs, width, num_modalities).reshape(-1, num_modalities),
        own_length.reshape(-1),
        node_position.reshape(-1),
    )
    past_end = past_end.view(num_graphs, width, num_modalities)
    present_end = present_end.view(num_graphs, width, num_modalities)

    # Entry [b, i, j]: target i, source j.
    source_modality = node_modality[:, None, :].expand(num_graphs, width, width)
    source_step = node_position[:, None, :]
    tau = (source_step >= past_end.gather(2, source_modality)).long()
    tau += source_step >= present_end.gather(2, source_modality)
    target_modality = node_modality[:, :, None]
    edge_type = encode_edge_type(source_modality, target_modality, tau, num_modalities)

    exists = node_mask[:, :, None] & node_mask[:, None, :]
    if intra_edges == "adjacent":
        same = source_modality == target_modality
        near = (source_step - node_position[:, :, None]).abs() <= 1
        exists &= ~same | near
    edge_type = edge_type.masked_fill_(~exists, -1)
    return DenseMultimodalGraph(
        modalities=modalities,
        node_mask=node_mask,
        node_modality=node_modality,
        node_position=node_position,
        modality_offset=offset,
        edge_type=edge_type,
    )
