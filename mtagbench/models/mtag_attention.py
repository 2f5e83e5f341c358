"""Attention weights and pruning decisions of one MTAG forward pass, for explanation and plots."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from mtagbench.graph.edge_types import EdgeTypeName, decode_edge_type


@dataclass
class MTAGLayerAttention:
    """Record of one MTAG layer: its input edges, their attention and which edges it kept.

    Attributes:
        edge_index: int64 ``(2, E_l)``, the edges that entered the layer (row 0 source, row 1 target),
            as global node ids of the batch.
        edge_type: int64 ``(E_l,)``, full edge type ``(source * M + target) * 3 + tau`` of each edge,
            whatever edge type mode the model uses.
        alpha: float ``(E_l, H)``, attention weight of each edge and head, before attention dropout.
        kept: bool ``(E_l,)``, True for the edges that survived the pruning after this layer.
    """

    edge_index: torch.Tensor
    edge_type: torch.Tensor
    alpha: torch.Tensor
    kept: torch.Tensor


@dataclass
class MTAGAttention:
    """Graph and per-layer attention of a batch, returned by ``MTAG.forward(..., return_attention=True)``.

    Attributes:
        modalities: Modality names; ``node_modality`` and edge types index this tuple.
        node_modality: int64 ``(N,)``, modality id of each node.
        node_position: int64 ``(N,)``, step index of each node within its modality.
        node_graph: int64 ``(N,)``, sample index of each node in the batch.
        layers: One record per MTAG layer, first layer first.
    """

    modalities: tuple[str, ...]
    node_modality: torch.Tensor
    node_position: torch.Tensor
    node_graph: torch.Tensor
    layers: list[MTAGLayerAttention] = field(default_factory=list)

    def decode(self, edge_type: int) -> EdgeTypeName:
        """Return ``(source modality, target modality, tau)`` of a full edge type id."""
        return decode_edge_type(int(edge_type), self.modalities)

    def sample(self, index: int) -> MTAGAttention:
        """Return the records of one sample of the batch, with node ids renumbered from 0."""
        nodes = (self.node_graph == index).nonzero().view(-1)
        renumber = torch.full_like(self.node_graph, -1)
        renumber[nodes] = torch.arange(nodes.numel(), device=nodes.device)

        layers = []
        for layer in self.layers:
            mine = self.node_graph[layer.edge_index[1]] == index
            layers.append(
                MTAGLayerAttention(
                    edge_index=renumber[layer.edge_index[:, mine]],
                    edge_type=layer.edge_type[mine],
                    alpha=layer.alpha[mine],
                    kept=layer.kept[mine],
                )
            )
        return MTAGAttention(
            modalities=self.modalities,
            node_modality=self.node_modality[nodes],
            node_position=self.node_position[nodes],
            node_graph=torch.zeros_like(nodes),
            layers=layers,
        )
