"""Fused attention-weighted aggregation, :math:`z_i[h] = \\sum_j \\alpha_{[h],i,j} x_j[h]`, as sparse products.

The message-passing form gathers one ``(E, H, C)`` message tensor and keeps it for the backward
pass, which dominates time and memory on MTAG's dense multimodal graphs (hundreds of thousands of
edges per sample). Here each head is a sparse CSR matrix of attention weights multiplied by the
dense node features. The backward pass uses a sampled dense-dense product for the gradient of the
weights and the transposed sparse matrix for the gradient of the features. Only ``alpha``, ``x``
and the edge indices are saved.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor


def _csr(row_pointer: Tensor, column: Tensor, values: Tensor, num_nodes: int) -> Tensor:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        warnings.filterwarnings("ignore", message="Sparse invariant checks")
        return torch.sparse_csr_tensor(row_pointer, column, values, (num_nodes, num_nodes))


def _row_pointer(row: Tensor, num_nodes: int) -> Tensor:
    counts = torch.bincount(row, minlength=num_nodes)
    pointer = torch.zeros(num_nodes + 1, dtype=torch.long, device=row.device)
    pointer[1:] = torch.cumsum(counts, 0)
    return pointer


class _AttentionAggregate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, alpha, x, source, target, num_nodes, keep_mask, scale):
        pointer = _row_pointer(target, num_nodes)
        heads = alpha.size(1)
        out = torch.stack(
            [
                _csr(pointer, source, _head_weights(alpha, keep_mask, scale, h), num_nodes) @ x[:, h]
                for h in range(heads)
            ],
            dim=1,
        )
        ctx.save_for_backward(alpha, x, source, target, pointer, keep_mask)
        ctx.num_nodes = num_nodes
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        alpha, x, source, target, pointer, keep_mask = ctx.saved_tensors
        num_nodes, scale = ctx.num_nodes, ctx.scale
        heads = alpha.size(1)
        grad_out = grad_out.contiguous()
        grad_alpha = grad_x = None

        if ctx.needs_input_grad[0]:
            pattern = _csr(pointer, source, torch.zeros_like(alpha[:, 0]), num_nodes)
            grad_alpha = torch.stack(
                [
                    torch.sparse.sampled_addmm(pattern, grad_out[:, h], x[:, h].t(), beta=0.0).values()
                    for h in range(heads)
                ],
                dim=1,
            )
            if keep_mask.numel():
                grad_alpha = grad_alpha * keep_mask * scale

        if ctx.needs_input_grad[1]:
            # Transpose: rows become sources. Sorting the unique keys (source, edge position) gives
            # the CSR order with each row's targets ascending.
            position = torch.arange(source.numel(), device=source.device)
            order = torch.sort(source * source.numel() + position).indices
            pointer_t = _row_pointer(source, num_nodes)
            column_t = target[order]
            alpha_t = alpha[order]
            mask_t = keep_mask[order] if keep_mask.numel() else keep_mask
            grad_x = torch.stack(
                [
                    _csr(pointer_t, column_t, _head_weights(alpha_t, mask_t, scale, h), num_nodes) @ grad_out[:, h]
                    for h in range(heads)
                ],
                dim=1,
            )
        return grad_alpha, grad_x, None, None, None, None, None


def _head_weights(alpha: Tensor, keep_mask: Tensor, scale: float, head: int) -> Tensor:
    """Return head ``head``'s edge weights, with dropout applied when ``keep_mask`` is not empty."""
    weights = alpha[:, head].contiguous()
    if keep_mask.numel():
        weights = weights * keep_mask[:, head] * scale
    return weights


def attention_aggregate(
    alpha: Tensor,
    x: Tensor,
    edge_index: Tensor,
    num_nodes: int,
    dropout: float = 0.0,
    training: bool = False,
) -> Tensor:
    """Return :math:`z_i[h] = \\sum_{(j, i) \\in E} \\alpha_{e,h}\\, x_j[h]` for every node and head.

    Args:
        alpha: Edge weights ``(E, H)``.
        x: Node features ``(N, H, C)``.
        edge_index: int64 ``(2, E)``, row 0 source, row 1 target. Edges need not be sorted, but
            must be unique (a repeated edge would be summed by the sparse format).
        num_nodes: N.
        dropout: Probability of zeroing each weight in training; kept weights are scaled by
            ``1 / (1 - dropout)``, as ``torch.nn.functional.dropout`` does. Only a boolean mask is
            kept for the backward pass, not the dropped-out weights.
        training: Apply ``dropout`` only when True.

    Returns:
        ``(N, H, C)``; a node without incoming edges gets zeros.
    """
    source, target = edge_index[0], edge_index[1]
    if target.numel() > 1 and bool((target[1:] < target[:-1]).any()):
        order = torch.sort(target, stable=True).indices
        source, target, alpha = source[order], target[order], alpha[order]

    if training and dropout > 0.0:
        keep_mask = torch.rand_like(alpha) >= dropout
        scale = 1.0 / (1.0 - dropout)
    else:
        keep_mask = torch.zeros(0, dtype=torch.bool, device=alpha.device)
        scale = 1.0
    return _AttentionAggregate.apply(alpha.contiguous(), x.contiguous(), source, target, num_nodes, keep_mask, scale)
