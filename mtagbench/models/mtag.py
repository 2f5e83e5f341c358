"""MTAG: Modal-Temporal Attention Graph (Yang et al., NAACL 2021).

A sample becomes a graph whose nodes are the steps of every modality. Node construction projects
each modality to ``hidden_dim`` and adds a sinusoidal positional encoding of the step index within
that modality. ``num_layers`` :class:`~mtagbench.nn.MTAGConv` layers follow, each followed by
per-graph edge pruning. The readout averages the nodes that still have an incoming edge and feeds
the mean to a 3-layer MLP.

As in the published MOSI configuration, the layers are stacked with no residual connection and no
activation between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

from mtagbench.data.sample import Batch
from mtagbench.errors import DataError
from mtagbench.graph.build import MultimodalGraph, build_graph
from mtagbench.graph.dense_build import DenseMultimodalGraph, build_dense_graph
from mtagbench.graph.time_align import retype_by_time
from mtagbench.graph.edge_types import collapse_edge_types, num_edge_types
from mtagbench.models.mtag_attention import MTAGAttention, MTAGLayerAttention
from mtagbench.nn.dense_mtag_conv import DenseMTAGConv
from mtagbench.nn.mtag_conv import MTAGConv
from mtagbench.nn.pruning import prune_dense_edges, prune_edges
from mtagbench.registry import register_model


@dataclass(frozen=True)
class MTAGOptions:
    """Options of :class:`MTAG`; the defaults are the published CMU-MOSI configuration."""

    num_layers: int = field(default=6, metadata={"help": "number of MTAG fusion layers"})
    hidden_dim: int = field(default=64, metadata={"help": "node embedding size d; a multiple of num_heads"})
    num_heads: int = field(default=4, metadata={"help": "attention heads H; each has hidden_dim / H channels"})
    dropout: float = field(default=0.1, metadata={"help": "dropout probability on node features after node construction"})
    attention_dropout: float = field(default=0.1, metadata={"help": "dropout probability on attention weights"})
    node_encoder: Literal["linear", "ffn"] = field(
        default="linear",
        metadata={"help": "per-modality node construction: one Linear, or Linear-ReLU-Linear"},
    )
    intra_edges: Literal["adjacent", "all"] = field(
        default="adjacent",
        metadata={"help": "edges within a modality: self and immediate neighbours, or all pairs"},
    )
    edge_types: Literal["full", "modality", "temporal", "none"] = field(
        default="full",
        metadata={"help": "edge typing: modality pair and tau (3M^2 types), pair only, tau only, or one type"},
    )
    align: Literal["pseudo", "time"] = field(
        default="pseudo",
        metadata={
            "help": "temporal edge types across modalities: pseudo-alignment of step positions, or the "
            "data's per-step time stamps (past, overlapping, future)"
        },
    )
    prune: Literal["topk", "random", "none"] = field(
        default="topk",
        metadata={"help": "edge pruning after each layer: lowest attention, random, or none"},
    )
    keep_ratio: float = field(default=0.8, metadata={"help": "fraction of each graph's edges kept after each layer, in (0, 1]"})
    readout_hidden: int = field(default=16, metadata={"help": "width of the two hidden layers of the readout MLP"})
    implementation: Literal["auto", "sparse", "dense"] = field(
        default="auto",
        metadata={
            "help": "fusion layers on edge lists (sparse), on padded per-graph matrices (dense), or auto "
            "(dense, but sparse with align=time)"
        },
    )

    def __post_init__(self) -> None:
        if self.num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {self.num_layers}")
        if self.num_heads < 1 or self.hidden_dim % self.num_heads:
            raise ValueError(f"hidden_dim {self.hidden_dim} must be a positive multiple of num_heads {self.num_heads}")
        if not 0.0 < self.keep_ratio <= 1.0:
            raise ValueError(f"keep_ratio must be in (0, 1], got {self.keep_ratio}")
        for name in ("dropout", "attention_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")
        if self.readout_hidden < 1:
            raise ValueError(f"readout_hidden must be at least 1, got {self.readout_hidden}")
        if self.implementation not in ("auto", "sparse", "dense"):
            raise ValueError(f"implementation must be auto, sparse or dense, got {self.implementation!r}")
        if self.implementation == "dense" and self.align == "time":
            raise ValueError("align='time' runs on the sparse implementation; use implementation='auto' or 'sparse'")

    @property
    def dense(self) -> bool:
        """Whether the model runs the dense layers; ``"auto"`` chooses them unless ``align="time"``.

        MTAG's graphs are complete between modalities, so at CMU-MOSI's lengths the edge list
        contains about half of all node pairs. The dense layers compute the same result on padded
        matrices, with fewer passes over memory per score (see ``docs/mtag.md``).
        """
        if self.implementation == "auto":
            return self.align != "time"
        return self.implementation == "dense"


def sinusoidal_encoding(position: Tensor, dim: int) -> Tensor:
    """Return the sinusoidal positional encoding ``(N, dim)`` of integer positions ``(N,)``.

    ``PE(pos, 2i) = sin(pos / 10000^(2i / dim))`` and ``PE(pos, 2i + 1) = cos(pos / 10000^(2i / dim))``.
    """
    even = torch.arange(0, dim, 2, device=position.device, dtype=torch.float32)
    frequency = torch.exp(even * (-math.log(10000.0) / dim))
    angle = position.float()[:, None] * frequency[None, :]

    encoding = torch.zeros(position.numel(), dim, device=position.device)
    encoding[:, 0::2] = torch.sin(angle)
    encoding[:, 1::2] = torch.cos(angle[:, : dim // 2])
    return encoding


def _node_encoder(kind: str, in_dim: int, out_dim: int) -> nn.Module:
    if kind == "linear":
        return nn.Linear(in_dim, out_dim)
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim))


@register_model(
    "mtag",
    options=MTAGOptions,
    description="Modal-Temporal Attention Graph: typed graph attention over all steps of all modalities",
    tasks=("regression", "multilabel"),
    min_modalities=1,
)
class MTAG(nn.Module):
    """The MTAG model for any number of named modalities.

    Args:
        feature_sizes: Modality name to input feature size, in the order that numbers node types.
        output_dim: Number of outputs.
        options: :class:`MTAGOptions`.

    A modality may be empty (length 0) in a sample. A sample whose modalities are all empty has no
    nodes; its readout vector is zero, so its prediction is the MLP's output for a zero vector.
    """

    def __init__(self, feature_sizes: dict[str, int], output_dim: int, options: MTAGOptions | None = None) -> None:
        super().__init__()
        options = options or MTAGOptions()
        self.feature_sizes = dict(feature_sizes)
        self.output_dim = output_dim
        self.options = options
        self.modalities = tuple(feature_sizes)

        hidden = options.hidden_dim
        self.encoders = nn.ModuleDict(
            {m: _node_encoder(options.node_encoder, size, hidden) for m, size in feature_sizes.items()}
        )
        self.feature_dropout = nn.Dropout(options.dropout)

        types = num_edge_types(len(self.modalities), options.edge_types)
        conv = DenseMTAGConv if options.dense else MTAGConv
        self.layers = nn.ModuleList(
            conv(
                hidden,
                hidden // options.num_heads,
                num_node_types=len(self.modalities),
                num_edge_types=types,
                heads=options.num_heads,
                dropout=options.attention_dropout,
            )
            for _ in range(options.num_layers)
        )

        width = options.readout_hidden
        self.readout = nn.Sequential(
            nn.Linear(hidden, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, output_dim)
        )

    def forward(self, batch: Batch, return_attention: bool = False) -> Tensor | tuple[Tensor, MTAGAttention]:
        """Predict ``(B, output_dim)`` for a batch; with ``return_attention`` also the attention records."""
        if self.options.dense:
            return self._forward_dense(batch, return_attention)
        lengths = self._lengths(batch)
        graph = build_graph(lengths, intra_edges=self.options.intra_edges)
        if self.options.align == "time":
            graph = retype_by_time(graph, self._node_times(batch, graph))
        x = self._nodes(batch, graph, lengths)

        edge_index = graph.edge_index
        full_type = graph.edge_type
        conv_type = collapse_edge_types(full_type, len(self.modalities), self.options.edge_types)

        records = []
        for layer in self.layers:
            x, (_, alpha) = layer(x, edge_index, graph.node_modality, conv_type, return_attention_weights=True)
            kept = prune_edges(
                alpha,
                graph.node_graph[edge_index[1]],
                graph.num_graphs,
                mode=self.options.prune,
                keep_ratio=self.options.keep_ratio,
            )
            if return_attention:
                records.append(MTAGLayerAttention(edge_index, full_type, alpha.detach(), kept))
                full_type = full_type[kept]
            edge_index = edge_index[:, kept]
            conv_type = conv_type[kept]

        output = self.readout(self._graph_readout(x, edge_index, graph))
        if not return_attention:
            return output
        attention = MTAGAttention(
            modalities=self.modalities,
            node_modality=graph.node_modality,
            node_position=graph.node_position,
            node_graph=graph.node_graph,
            layers=records,
        )
        return output, attention

    def _lengths(self, batch: Batch) -> dict[str, Tensor]:
        lengths = {}
        for modality, size in self.feature_sizes.items():
            if modality not in batch.features:
                raise DataError(
                    f"the batch has no {modality!r} features; the model was built for modalities "
                    f"{list(self.modalities)}, the batch has {list(batch.features)}"
                )
            features = batch.features[modality]
            if features.dim() != 3 or features.size(-1) != size:
                raise DataError(
                    f"{modality} features have shape {tuple(features.shape)}, but the model expects "
                    f"(batch, steps, {size}); pass the dataset the model was built for or rebuild it"
                )
            lengths[modality] = batch.lengths[modality].to(features.device).long()
        return lengths

    def _nodes(self, batch: Batch, graph: MultimodalGraph, lengths: dict[str, Tensor]) -> Tensor:
        """Construct node features: per-modality projection, positional encoding, dropout."""
        device = batch.features[self.modalities[0]].device
        x = torch.zeros(graph.num_nodes, self.options.hidden_dim, device=device)
        for modality, node_index in zip(self.modalities, graph.node_index):
            features = batch.features[modality]
            steps = torch.arange(features.size(1), device=device)
            real = steps[None, :] < lengths[modality][:, None]
            x = x.index_copy(0, node_index, self.encoders[modality](features[real]))

        x = x + sinusoidal_encoding(graph.node_position, self.options.hidden_dim)
        return self.feature_dropout(x)

    def _node_times(self, batch: Batch, graph: MultimodalGraph) -> Tensor:
        """Gather the ``(N, 2)`` start and end seconds of every node from ``batch.timestamps``.

        Raises:
            DataError: If a modality has no time stamps or a real step's time stamp is NaN.
        """
        stamps = batch.timestamps or {}
        node_times = torch.zeros(graph.num_nodes, 2, dtype=torch.float64, device=graph.node_modality.device)
        for modality, node_ids in zip(self.modalities, graph.node_index):
            if modality not in stamps:
                raise DataError(
                    f"align='time' needs per-step time stamps, but the {modality} modality of this batch has "
                    f"none; use a dataset that stores them (mosi-csd) or align='pseudo'"
                )
            times = stamps[modality][batch.masks[modality]]
            if not torch.isfinite(times).all():
                raise DataError(f"align='time': the {modality} time stamps of a real step are NaN or inf")
            node_times[node_ids] = times.to(node_times)
        return node_times

    def _graph_readout(self, x: Tensor, edge_index: Tensor, graph: MultimodalGraph) -> Tensor:
        """Average, per graph, the nodes that still have an incoming edge (all nodes if none has)."""
        has_incoming = torch.zeros(graph.num_nodes, dtype=torch.bool, device=x.device)
        has_incoming[edge_index[1]] = True

        surviving = torch.zeros(graph.num_graphs, device=x.device).index_add(0, graph.node_graph, has_incoming.float())
        fallback = (surviving == 0)[graph.node_graph]
        weight = (has_incoming | fallback).float()

        total = torch.zeros(graph.num_graphs, x.size(1), device=x.device).index_add(0, graph.node_graph, x * weight[:, None])
        count = torch.zeros(graph.num_graphs, device=x.device).index_add(0, graph.node_graph, weight)
        return total / count.clamp(min=1.0)[:, None]

    # Dense implementation: the same computation on padded per-graph tensors.

    def _forward_dense(self, batch: Batch, return_attention: bool) -> Tensor | tuple[Tensor, MTAGAttention]:
        lengths = self._lengths(batch)
        graph = build_dense_graph(lengths, intra_edges=self.options.intra_edges)
        x = self._dense_nodes(batch, graph, lengths)

        full_type = graph.edge_type
        edge_mask = full_type >= 0
        conv_type = collapse_edge_types(full_type.clamp(min=0), len(self.modalities), self.options.edge_types)

        records = []
        for layer in self.layers:
            x, alpha = layer(
                x, graph.node_modality, conv_type, edge_mask=edge_mask, node_mask=graph.node_mask, return_attention_weights=True
            )
            kept = prune_dense_edges(alpha, edge_mask, mode=self.options.prune, keep_ratio=self.options.keep_ratio)
            if return_attention:
                records.append(_edge_list_record(graph, edge_mask, alpha, kept))
            edge_mask = kept
            del alpha

        output = self.readout(self._dense_readout(x, edge_mask, graph.node_mask))
        if not return_attention:
            return output
        node_graph = torch.arange(graph.num_graphs, device=x.device)[:, None].expand_as(graph.node_mask)
        attention = MTAGAttention(
            modalities=self.modalities,
            node_modality=graph.node_modality[graph.node_mask],
            node_position=graph.node_position[graph.node_mask],
            node_graph=node_graph[graph.node_mask],
            layers=records,
        )
        return output, attention

    def _dense_nodes(self, batch: Batch, graph: DenseMultimodalGraph, lengths: dict[str, Tensor]) -> Tensor:
        """Construct node features ``(B, N, hidden_dim)`` as :meth:`_nodes` does, zero at padding."""
        num_graphs, width = graph.node_mask.shape
        device = graph.node_mask.device
        x = torch.zeros(num_graphs * width, self.options.hidden_dim, device=device)
        for index, modality in enumerate(self.modalities):
            features = batch.features[modality]
            steps = torch.arange(features.size(1), device=device)
            real = steps[None, :] < lengths[modality][:, None]
            slot = torch.arange(num_graphs, device=device)[:, None] * width + graph.modality_offset[:, index, None] + steps
            x = x.index_copy(0, slot[real], self.encoders[modality](features[real]))

        position = graph.node_position.reshape(-1)
        mask = graph.node_mask.reshape(-1, 1).float()
        x = x + sinusoidal_encoding(position, self.options.hidden_dim) * mask
        return self.feature_dropout(x).view(num_graphs, width, -1)

    @staticmethod
    def _dense_readout(x: Tensor, edge_mask: Tensor, node_mask: Tensor) -> Tensor:
        """Average, per graph, the nodes that still have an incoming edge (all nodes if none has)."""
        has_incoming = edge_mask.any(dim=2)
        fallback = ~has_incoming.any(dim=1, keepdim=True)
        weight = ((has_incoming | fallback) & node_mask).float()
        total = (x * weight.unsqueeze(-1)).sum(dim=1)
        return total / weight.sum(dim=1).clamp(min=1.0)[:, None]


def _edge_list_record(graph: DenseMultimodalGraph, edge_mask: Tensor, alpha: Tensor, kept: Tensor) -> MTAGLayerAttention:
    """Convert one dense layer's edges, alpha and pruning decisions to the edge-list record."""
    sample, target, source = edge_mask.nonzero(as_tuple=True)
    offset = graph.node_offset()[sample]
    edge_index = torch.stack([offset + source, offset + target])
    return MTAGLayerAttention(
        edge_index, graph.edge_type[sample, target, source], alpha[sample, target, source].detach(), kept[sample, target, source]
    )
