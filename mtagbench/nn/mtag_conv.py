"""The MTAG fusion operator, a heterogeneous graph attention layer with typed edges."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import softmax

from mtagbench.nn.attention_aggregate import attention_aggregate
from mtagbench.nn.edge_attention import edge_attention


class MTAGConv(MessagePassing):
    r"""The modal-temporal attention operator of MTAG (Yang et al., NAACL 2021).

    Each node :math:`i` has a node type :math:`\pi_i` (its modality) and each edge :math:`e_{ji}`
    from :math:`j` to :math:`i` an edge type :math:`(\phi_{ji}, \tau_{ji})` (modality pair and
    temporal relation). With :math:`H` heads of :math:`C` channels:

    .. math::
        \mathbf{x}'_i = \mathbf{M}_{\pi_i} \mathbf{x}_i

        \beta_{[h],i,j} = \mathrm{LeakyReLU}\left(\mathbf{a}_{\phi_{ji},\tau_{ji}}[h]^{\top}
        \left[\mathbf{x}'_{i}[h] \,\Vert\, \mathbf{x}'_{j}[h]\right]\right)

        \alpha_{[h],i,j} = \frac{\exp(\beta_{[h],i,j})}{\sum_{k \in \mathcal{N}(i)} \exp(\beta_{[h],i,k})}

        \mathbf{z}_i = \mathop{\Vert}_{h=1}^{H} \sum_{j \in \mathcal{N}(i)} \alpha_{[h],i,j}\,
        \mathbf{x}'_{j}[h] + \mathbf{b}

    where :math:`\mathbf{x}'_i[h]` is the :math:`h`-th block of :math:`C` channels and
    :math:`\mathcal{N}(i)` the sources of the edges into :math:`i` (include self-loops in
    ``edge_index`` to let a node attend to itself). Attention dropout is applied to
    :math:`\alpha` during training.

    An edge's score uses only the attention vector of its own type. Because
    :math:`\mathbf{a}^{\top}[\mathbf{x}'_i \Vert \mathbf{x}'_j]` splits into a target half and a source
    half, the layer computes the dot products of every node with every type's halves once per node
    (:math:`N \times T \times H` numbers, independent of the number of edges), then each edge
    gathers the two numbers of its own type. Per-edge memory is then :math:`O(H)` for the scores.

    Args:
        in_channels: Size of each input node feature.
        out_channels: Channels :math:`C` per head; the output has :math:`H C` channels.
        num_node_types: Number of node types (modalities); one :math:`\mathbf{M}_\pi` each.
        num_edge_types: Number of edge types :math:`T`; one attention vector per type and head.
        heads: Number of heads :math:`H`. (default: ``4``)
        negative_slope: Slope of the LeakyReLU. (default: ``0.2``)
        dropout: Dropout probability on the attention weights. (default: ``0.0``)
        bias: Add a learnable bias :math:`\mathbf{b}` of size :math:`H C`. (default: ``True``)
        fused: Compute the attention with :func:`mtagbench.nn.edge_attention.edge_attention` and
            aggregate with sparse matrix products
            (:func:`mtagbench.nn.attention_aggregate.attention_aggregate`) instead of PyG's
            ``softmax`` and one message per edge in :meth:`message`. Same result, several times
            faster and smaller on dense graphs. Needs unique edges. (default: ``True``)
        **kwargs: Passed to :class:`torch_geometric.nn.conv.MessagePassing`.

    Shapes:
        - **input:** node features :math:`(N, F_{in})`, edge indices :math:`(2, E)` (row 0 the
          source :math:`j`, row 1 the target :math:`i`), node types :math:`(N,)`, edge types
          :math:`(E,)`
        - **output:** node features :math:`(N, H C)`; with ``return_attention_weights=True``
          also ``(edge_index, alpha)`` with :math:`\alpha` of shape :math:`(E, H)`, before dropout

    Example:
        >>> conv = MTAGConv(8, 4, num_node_types=2, num_edge_types=12, heads=2)
        >>> x = torch.randn(3, 8)
        >>> edge_index = torch.tensor([[0, 1, 2], [1, 2, 0]])
        >>> conv(x, edge_index, torch.tensor([0, 0, 1]), torch.tensor([1, 4, 7])).shape
        torch.Size([3, 8])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_node_types: int,
        num_edge_types: int,
        heads: int = 4,
        negative_slope: float = 0.2,
        dropout: float = 0.0,
        bias: bool = True,
        fused: bool = True,
        **kwargs,
    ) -> None:
        kwargs.setdefault("aggr", "add")
        kwargs.setdefault("node_dim", 0)
        super().__init__(**kwargs)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_node_types = num_node_types
        self.num_edge_types = num_edge_types
        self.heads = heads
        self.negative_slope = negative_slope
        self.dropout = dropout
        self.fused = fused

        self.weight = nn.Parameter(torch.empty(num_node_types, in_channels, heads * out_channels))
        self.att = nn.Parameter(torch.empty(num_edge_types, heads, 2 * out_channels))
        self.bias = nn.Parameter(torch.empty(heads * out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        # Glorot uniform, per node type and per attention vector, as in PyG's GATConv.
        bound = math.sqrt(6.0 / (self.in_channels + self.heads * self.out_channels))
        nn.init.uniform_(self.weight, -bound, bound)
        att_bound = math.sqrt(6.0 / (self.heads + 2 * self.out_channels))
        nn.init.uniform_(self.att, -att_bound, att_bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor,
        node_type: Tensor,
        edge_type: Tensor,
        return_attention_weights: bool = False,
    ) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        heads, channels = self.heads, self.out_channels
        x_proj = self.project(x, node_type).view(-1, heads, channels)

        alpha = self.attention(x_proj, edge_index, edge_type)
        if self.fused:
            out = attention_aggregate(alpha, x_proj, edge_index, x.size(0), self.dropout, self.training)
        else:
            weights = F.dropout(alpha, p=self.dropout, training=self.training)
            out = self.propagate(edge_index, x=x_proj, alpha=weights, size=(x.size(0), x.size(0)))
        out = out.reshape(-1, heads * channels)
        if self.bias is not None:
            out = out + self.bias

        if return_attention_weights:
            return out, (edge_index, alpha)
        return out

    def project(self, x: Tensor, node_type: Tensor) -> Tensor:
        """Apply the node-type-specific transformation :math:`\\mathbf{M}_{\\pi_i}` to each node."""
        out = x.new_zeros(x.size(0), self.weight.size(-1))
        for pi in range(self.num_node_types):
            index = (node_type == pi).nonzero().view(-1)
            if index.numel():
                out = out.index_copy(0, index, x.index_select(0, index) @ self.weight[pi])
        return out

    def attention(self, x_proj: Tensor, edge_index: Tensor, edge_type: Tensor) -> Tensor:
        """Return :math:`\\alpha` of shape ``(E, H)``, softmax-normalised over each target's edges."""
        num_nodes = x_proj.size(0)
        source, target = edge_index[0], edge_index[1]
        channels = self.out_channels

        # Per node and type: <x'_n[h], a_t[h, :C]> (target half) and <x'_n[h], a_t[h, C:]> (source half).
        score_target = torch.einsum("nhc,thc->nth", x_proj, self.att[..., :channels])
        score_source = torch.einsum("nhc,thc->nth", x_proj, self.att[..., channels:])

        if self.fused:
            return edge_attention(score_target, score_source, edge_index, edge_type, self.negative_slope)

        score_target = score_target.reshape(-1, self.heads)
        score_source = score_source.reshape(-1, self.heads)
        beta = score_target.index_select(0, target * self.num_edge_types + edge_type)
        beta = beta + score_source.index_select(0, source * self.num_edge_types + edge_type)
        beta = F.leaky_relu(beta, self.negative_slope)
        return softmax(beta, target, num_nodes=num_nodes)

    def message(self, x_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha.unsqueeze(-1) * x_j

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads}, "
            f"num_node_types={self.num_node_types}, num_edge_types={self.num_edge_types})"
        )
