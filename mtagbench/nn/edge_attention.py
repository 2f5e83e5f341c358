"""Fused typed edge attention: gather per-type scores, LeakyReLU and softmax over incoming edges.

Autograd through the separate steps keeps several ``(E, H)`` intermediates and two ``(E,)`` gather
indices per layer. This function keeps only the output ``alpha``, a boolean sign mask and the edge
indices it was given, and recomputes the gather indices in the backward pass.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _segment_softmax_(beta: Tensor, target: Tensor, num_nodes: int) -> Tensor:
    """Softmax of ``beta`` (E, H) over the edges of each target, in place."""
    heads = beta.size(1)
    peak = beta.new_full((num_nodes, heads), float("-inf"))
    peak.scatter_reduce_(0, target[:, None].expand_as(beta), beta, reduce="amax", include_self=True)
    beta.sub_(peak.index_select(0, target)).exp_()
    total = beta.new_zeros(num_nodes, heads).index_add_(0, target, beta)
    return beta.div_(total.index_select(0, target))


class _EdgeAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, score_target, score_source, edge_index, edge_type, num_types, negative_slope):
        source, target = edge_index[0], edge_index[1]
        num_nodes = score_target.size(0) // num_types

        beta = score_target.index_select(0, target * num_types + edge_type)
        beta.add_(score_source.index_select(0, source * num_types + edge_type))
        positive = beta > 0
        beta = torch.where(positive, beta, beta * negative_slope)
        alpha = _segment_softmax_(beta, target, num_nodes)

        ctx.save_for_backward(alpha, positive, edge_index, edge_type)
        ctx.num_types = num_types
        ctx.num_nodes = num_nodes
        ctx.negative_slope = negative_slope
        return alpha

    @staticmethod
    def backward(ctx, grad_alpha):
        alpha, positive, edge_index, edge_type = ctx.saved_tensors
        source, target = edge_index[0], edge_index[1]
        num_types, num_nodes = ctx.num_types, ctx.num_nodes

        # Softmax: d beta = alpha * (g - sum over the target's edges of alpha * g).
        weighted = grad_alpha * alpha
        total = weighted.new_zeros(num_nodes, alpha.size(1)).index_add_(0, target, weighted)
        grad_beta = weighted.sub_(alpha * total.index_select(0, target))
        grad_beta = torch.where(positive, grad_beta, grad_beta * ctx.negative_slope)

        shape = (num_nodes * num_types, alpha.size(1))
        grad_target = grad_beta.new_zeros(shape).index_add_(0, target * num_types + edge_type, grad_beta)
        grad_source = grad_beta.new_zeros(shape).index_add_(0, source * num_types + edge_type, grad_beta)
        return grad_target, grad_source, None, None, None, None


def edge_attention(
    score_target: Tensor, score_source: Tensor, edge_index: Tensor, edge_type: Tensor, negative_slope: float = 0.2
) -> Tensor:
    """Return ``alpha = softmax_i(LeakyReLU(score_target[i, t] + score_source[j, t]))`` for each edge ``j -> i``.

    Args:
        score_target: ``(N, T, H)``, the target half of each type's attention vector dotted with each node.
        score_source: ``(N, T, H)``, the source half, likewise.
        edge_index: int64 ``(2, E)``, row 0 source ``j``, row 1 target ``i``.
        edge_type: int64 ``(E,)``, type ``t`` of each edge.
        negative_slope: LeakyReLU slope.

    Returns:
        ``(E, H)``, normalised over the incoming edges of each target node.
    """
    num_nodes, num_types, heads = score_target.shape
    return _EdgeAttention.apply(
        score_target.reshape(num_nodes * num_types, heads),
        score_source.reshape(num_nodes * num_types, heads),
        edge_index,
        edge_type,
        num_types,
        negative_slope,
    )
