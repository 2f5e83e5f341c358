"""The MTAG fusion operator on dense, padded per-graph tensors."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


# Score of a non-edge: exp(NO_EDGE - row maximum) is exactly 0 in float32 for any row with an edge.
NO_EDGE = -1.0e30


def _type_index(edge_type: Tensor, edge_mask: Tensor, num_types: int) -> Tensor:
    """Return the gather index ``(B, 1, N, N)``: the edge type, or ``num_types`` at a non-edge."""
    return torch.where(edge_mask, edge_type, num_types).unsqueeze(1)


def _scores(score_target: Tensor, score_source: Tensor, type_index: Tensor, slope: float) -> Tensor:
    """Return ``LeakyReLU(beta)`` ``(B, H, N, N)``; type index ``T`` marks a non-edge.

    ``score_target`` ``(B, H, N, T + 1)`` and ``score_source`` ``(B, H, T + 1, N)`` carry a last
    type whose target half is ``NO_EDGE`` and whose source half is 0.
    """
    shape = (score_target.size(0), score_target.size(1), type_index.size(-2), type_index.size(-1))
    index = type_index.expand(shape)
    beta = score_target.gather(3, index)
    beta.add_(score_source.gather(2, index))
    return torch.nn.functional.leaky_relu_(beta, slope)


class _DenseAttention(torch.autograd.Function):
    """Typed attention, masked softmax, attention dropout and aggregation in one step.

    The forward pass keeps only the per-node scores, the projected features, the edge types and
    the dropout mask (one byte per entry, only in training). The backward pass recomputes
    ``alpha`` from the per-node scores, so no float ``(B, H, N, N)`` tensor stays alive between
    the forward and the backward pass.
    """

    @staticmethod
    def forward(ctx, score_target, score_source, x_proj, edge_type, edge_mask, slope, p):
        type_index = _type_index(edge_type, edge_mask, score_source.size(2) - 1)
        beta = _scores(score_target, score_source, type_index, slope)
        alpha = torch.softmax(beta, dim=-1)
        del beta

        drop = None
        if p > 0.0:
            drop = torch.rand(alpha.shape, device=alpha.device) < p
            out = alpha.masked_fill(drop, 0.0) @ (x_proj / (1.0 - p))
        else:
            out = alpha @ x_proj

        del type_index
        ctx.save_for_backward(score_target, score_source, x_proj, edge_type, edge_mask, drop)
        ctx.slope, ctx.p = slope, p
        ctx.mark_non_differentiable(alpha)
        return out, alpha

    @staticmethod
    def backward(ctx, grad_out, _grad_alpha):
        score_target, score_source, x_proj, edge_type, edge_mask, drop = ctx.saved_tensors
        type_index = _type_index(edge_type, edge_mask, score_source.size(2) - 1)
        p = ctx.p
        scale = 1.0 / (1.0 - p)

        beta = _scores(score_target, score_source, type_index, ctx.slope)
        alpha = torch.softmax(beta, dim=-1)

        weights = alpha if drop is None else alpha.masked_fill(drop, 0.0)
        grad_x = weights.transpose(-1, -2) @ (grad_out * scale)
        del weights

        grad_alpha = grad_out @ (x_proj * scale).transpose(-1, -2)
        if drop is not None:
            grad_alpha.masked_fill_(drop, 0.0)
        grad_beta = torch._softmax_backward_data(grad_alpha, alpha, -1, alpha.dtype)
        del grad_alpha, alpha
        grad_beta = torch.ops.aten.leaky_relu_backward(grad_beta, beta, ctx.slope, True)
        del beta

        index = type_index.expand(grad_beta.shape)
        grad_target = torch.zeros_like(score_target).scatter_add_(3, index, grad_beta)
        grad_source = torch.zeros_like(score_source).scatter_add_(2, index, grad_beta)
        return grad_target, grad_source, grad_x, None, None, None, None


class DenseMTAGConv(nn.Module):
    r"""The MTAG operator of :class:`~mtagbench.nn.MTAGConv` on dense, padded per-graph tensors.

    It computes the same function as :class:`~mtagbench.nn.MTAGConv`, with the same parameters
    (``weight``, ``att``, ``bias``), so one state dict serves both. A batch of graphs comes as
    node features ``(B, N, F_in)`` padded to ``N`` nodes per graph, a node type per node and an
    edge-type matrix ``(B, N, N)``. Entry ``[b, i, j]`` of the matrix is the type of the edge from
    source ``j`` to target ``i``. The score of every (target, source) pair of a graph comes from two
    gathers of the per-node, per-type halves of the attention vectors; the softmax runs over each
    row with the non-edges masked out, and the aggregation is one batched matrix product per head.
    A target with no incoming edge gets a zero aggregate (its output is the bias). Work and memory
    grow with ``B N^2``, so this layer wins over the sparse one when the graphs are nearly
    complete, as MTAG's graphs are.

    Attention dropout draws its mask from torch's global generator, but not the mask that
    :class:`~mtagbench.nn.MTAGConv` would draw for the same seed.

    Args:
        in_channels: Size of each input node feature.
        out_channels: Channels :math:`C` per head; the output has :math:`H C` channels.
        num_node_types: Number of node types (modalities).
        num_edge_types: Number of edge types :math:`T`.
        heads: Number of heads :math:`H`. (default: ``4``)
        negative_slope: Slope of the LeakyReLU. (default: ``0.2``)
        dropout: Dropout probability on the attention weights. (default: ``0.0``)
        bias: Add a learnable bias of size :math:`H C`. (default: ``True``)

    Shapes:
        - **input:** node features :math:`(B, N, F_{in})`, node types :math:`(B, N)`, edge types
          :math:`(B, N, N)` (target, source), optional edge mask :math:`(B, N, N)` bool, optional
          node mask :math:`(B, N)` bool
        - **output:** node features :math:`(B, N, H C)`, zero at masked nodes; with
          ``return_attention_weights=True`` also :math:`\alpha` of shape :math:`(B, N, N, H)`
          (target, source, head), before dropout, detached; zero at non-edges of a target with at least one incoming edge,
          and meaningless in the row of a target with none

    Example:
        >>> conv = DenseMTAGConv(8, 4, num_node_types=2, num_edge_types=12, heads=2)
        >>> edge_type = torch.tensor([[[-1, -1, 7], [1, -1, -1], [-1, 4, -1]]])
        >>> conv(torch.randn(1, 3, 8), torch.tensor([[0, 0, 1]]), edge_type).shape
        torch.Size([1, 3, 8])
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
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_node_types = num_node_types
        self.num_edge_types = num_edge_types
        self.heads = heads
        self.negative_slope = negative_slope
        self.dropout = dropout

        self.weight = nn.Parameter(torch.empty(num_node_types, in_channels, heads * out_channels))
        self.att = nn.Parameter(torch.empty(num_edge_types, heads, 2 * out_channels))
        self.bias = nn.Parameter(torch.empty(heads * out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = math.sqrt(6.0 / (self.in_channels + self.heads * self.out_channels))
        nn.init.uniform_(self.weight, -bound, bound)
        att_bound = math.sqrt(6.0 / (self.heads + 2 * self.out_channels))
        nn.init.uniform_(self.att, -att_bound, att_bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(
        self,
        x: Tensor,
        node_type: Tensor,
        edge_type: Tensor,
        edge_mask: Tensor | None = None,
        node_mask: Tensor | None = None,
        return_attention_weights: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Run the layer.

        Args:
            x: Node features ``(B, N, F_in)``.
            node_type: int64 ``(B, N)``, node type of each node (any valid type at padding nodes).
            edge_type: int64 ``(B, N, N)``; ``[b, i, j]`` is the type of the edge ``j -> i``. Without
                ``edge_mask``, a negative entry means no edge. With ``edge_mask``, every entry must
                be a valid type and ``edge_mask`` alone marks which edges exist.
            edge_mask: Optional bool ``(B, N, N)``, True where the edge ``j -> i`` exists.
            node_mask: Optional bool ``(B, N)``, False at padding nodes, whose output is set to zero.
            return_attention_weights: Also return alpha ``(B, N, N, H)``.

        Returns:
            Node features ``(B, N, H C)``, and alpha when asked for.
        """
        batch, num_nodes, _ = x.shape
        heads, channels = self.heads, self.out_channels
        if edge_mask is None:
            edge_mask = edge_type >= 0
            edge_type = edge_type.clamp(min=0)

        x_proj = self.project(x, node_type).view(batch, num_nodes, heads, channels).transpose(1, 2)
        score_target = torch.einsum("bhnc,thc->bhnt", x_proj, self.att[..., :channels])
        score_source = torch.einsum("bhnc,thc->bhtn", x_proj, self.att[..., channels:])
        score_target = torch.nn.functional.pad(score_target, (0, 1), value=NO_EDGE)
        score_source = torch.nn.functional.pad(score_source, (0, 0, 0, 1), value=0.0)

        p = self.dropout if self.training else 0.0
        out, alpha = _DenseAttention.apply(
            score_target, score_source, x_proj.contiguous(), edge_type, edge_mask, self.negative_slope, p
        )

        # A target without incoming edges has a uniform softmax row over non-edges, so zero its aggregate.
        out = out * edge_mask.any(dim=-1).unsqueeze(1).unsqueeze(-1).to(out.dtype)
        out = out.transpose(1, 2).reshape(batch, num_nodes, heads * channels)
        if self.bias is not None:
            out = out + self.bias
        if node_mask is not None:
            out = out * node_mask.unsqueeze(-1).to(out.dtype)

        if return_attention_weights:
            return out, alpha.permute(0, 2, 3, 1)
        return out

    def project(self, x: Tensor, node_type: Tensor) -> Tensor:
        """Apply the node-type-specific transformation :math:`\\mathbf{M}_{\\pi_i}` to each node."""
        out = x.new_zeros(*x.shape[:-1], self.weight.size(-1))
        for pi in range(self.num_node_types):
            out = torch.where((node_type == pi).unsqueeze(-1), x @ self.weight[pi], out)
        return out

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads}, "
            f"num_node_types={self.num_node_types}, num_edge_types={self.num_edge_types})"
        )
