"""Floating-point operations (FLOPs) of a forward pass, or of a forward and backward pass.

Counting runs the model once under ``torch.utils.flop_counter.FlopCounterMode``. That counter covers
only matrix products, convolutions and attention kernels, which leaves out the gather, scatter and
elementwise work that dominates graph message passing and LSTM cells. :data:`EXTRA_FLOP_FORMULAS`
adds formulas for those operators. The rules, one FLOP each being one scalar floating-point
operation:

- Matrix products (``mm``, ``addmm``, ``bmm``, ``baddbmm``, convolutions): PyTorch's own rule,
  ``2 * m * n * k``; a bias added inside ``addmm`` is not counted.
- Attention kernels that PyTorch does not cover (the CPU flash kernel of
  ``scaled_dot_product_attention`` and its backward, ``_native_multi_head_attention``): the same
  matrix-product rule applied to their projections and score and value products.
- Fused LSTM kernels (``mkldnn_rnn_layer`` on CPU, ``_cudnn_rnn`` on CUDA): ``2 * rows * (4H * I +
  4H * H)`` for the gate matrix products, where ``rows`` is the number of (step, sample) pairs; the
  backward counts twice that. A packed CPU LSTM is not fused: it runs as ``addmm``, ``add`` and ``mul``
  and is counted op by op, so it counts its cell arithmetic too.
- Elementwise arithmetic (``add``, ``sub``, ``mul``, ``div``, in place or not, tensor or scalar
  operand): one FLOP per output element. ``exp`` and ``leaky_relu`` (and ``leaky_relu_backward``):
  one per output element.
- Reductions: ``sum`` one add per input element; ``mean`` one add per input element plus one
  division per output element.
- ``softmax`` and ``log_softmax``: five per element (max, subtract, exp, sum, divide or log);
  their backward: four per element.
- Scatter with a reduction (``scatter_add``, ``scatter_reduce`` with sum, prod, amax or amin,
  ``index_add``, ``index_reduce``): one FLOP per scattered source element (an add, multiply or
  comparison into the output); the ``mean`` reduction adds one division per output element.
- Pure data movement (``gather``, ``index_select``, ``index``, ``scatter`` without reduction, views,
  copies): zero.

Not counted: activations other than those above (``relu``, ``sigmoid``, ``tanh``), normalisation
layers, dropout and random number generation, and comparisons outside scatter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

aten = torch.ops.aten


def _numel(shape: Any) -> int:
    return math.prod(shape) if shape is not None else 0


def _elementwise(*args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _numel(out_shape)


def _sum(input_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _numel(input_shape)


def _mean(input_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _numel(input_shape) + _numel(out_shape)


def _softmax(*args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return 5 * _numel(out_shape)


def _softmax_backward(*args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return 4 * _numel(out_shape)


def _scatter_add(self_shape: Any, dim: int, index_shape: Any, src_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _numel(src_shape)


def _scatter_reduce(
    self_shape: Any,
    dim: int,
    index_shape: Any,
    src_shape: Any,
    reduce: str,
    *args: Any,
    out_shape: Any = None,
    **kwargs: Any,
) -> int:
    flops = _numel(src_shape)
    if reduce == "mean":
        flops += _numel(out_shape)
    return flops


def _index_add(self_shape: Any, dim: int, index_shape: Any, source_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _numel(source_shape)


def _data_movement(*args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return 0


def _gate_products(rows: int, weight_shapes: Any) -> int:
    return 2 * rows * sum(_numel(shape) for shape in weight_shapes if shape is not None and len(shape) == 2)


def _mkldnn_rnn_layer(input_shape: Any, weight0: Any, weight1: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _gate_products(_numel(input_shape[:-1]), [weight0, weight1])


def _mkldnn_rnn_layer_backward(input_shape: Any, weight1: Any, weight2: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return 2 * _gate_products(_numel(input_shape[:-1]), [weight1, weight2])


# NOTE: the cuDNN formulas follow the aten::_cudnn_rnn schemas of PyTorch 2.13 but have not been run on
# a GPU by the tests; the CPU formulas (mkldnn) are checked in tests/test_measure.py.
def _cudnn_rnn(input_shape: Any, weights: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _gate_products(_numel(input_shape[:-1]), weights)


def _cudnn_rnn_backward(input_shape: Any, weights: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return 2 * _gate_products(_numel(input_shape[:-1]), weights)


def _sdpa_cpu(query_shape: Any, key_shape: Any, value_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _sdpa_cpu_backward(
    grad_out_shape: Any, query_shape: Any, key_shape: Any, value_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any
) -> int:
    return sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)


def _native_multi_head_attention(
    query_shape: Any, key_shape: Any, value_shape: Any, embed_dim: int, num_heads: int, *args: Any, out_shape: Any = None, **kwargs: Any
) -> int:
    batch, query_steps = query_shape[0], query_shape[1]
    key_steps = key_shape[1]
    projections = 2 * batch * embed_dim * embed_dim * (2 * query_steps + 2 * key_steps)
    scores_and_values = 2 * 2 * batch * query_steps * key_steps * embed_dim
    return projections + scores_and_values


def _scatter(self_shape: Any, dim: int, index_shape: Any, src: Any, *args: Any, reduce: str | None = None, out_shape: Any = None, **kwargs: Any) -> int:
    """``scatter`` copies, except its deprecated ``reduce="add"|"multiply"`` form, which does arithmetic."""
    if reduce is None and args and isinstance(args[0], str):
        reduce = args[0]
    if reduce is None:
        return 0
    return _numel(src) if isinstance(src, (tuple, torch.Size)) else _numel(index_shape)


def _formulas() -> dict[Any, Callable[..., int]]:
    """Map operator packets (all overloads of an operator) to formulas, as ``FlopCounterMode`` expects."""
    formulas: dict[Any, Callable[..., int]] = {}
    for op in (aten.add, aten.add_, aten.sub, aten.sub_, aten.mul, aten.mul_, aten.div, aten.div_,
               aten.exp, aten.exp_, aten.leaky_relu, aten.leaky_relu_, aten.leaky_relu_backward):
        formulas[op] = _elementwise
    formulas.update({
        aten.sum: _sum,
        aten.mean: _mean,
        aten._softmax: _softmax,
        aten._log_softmax: _softmax,
        aten._softmax_backward_data: _softmax_backward,
        aten._log_softmax_backward_data: _softmax_backward,
        aten.scatter_add: _scatter_add,
        aten.scatter_add_: _scatter_add,
        aten.scatter_reduce: _scatter_reduce,
        aten.scatter_reduce_: _scatter_reduce,
        aten.index_add: _index_add,
        aten.index_add_: _index_add,
        aten.index_reduce: _scatter_reduce,
        aten.index_reduce_: _scatter_reduce,
        aten.scatter: _scatter,
        aten.scatter_: _scatter,
        aten.gather: _data_movement,
        aten.index_select: _data_movement,
        aten.index: _data_movement,
        aten.mkldnn_rnn_layer: _mkldnn_rnn_layer,
        aten.mkldnn_rnn_layer_backward: _mkldnn_rnn_layer_backward,
        aten._cudnn_rnn: _cudnn_rnn,
        aten._cudnn_rnn_backward: _cudnn_rnn_backward,
        aten._scaled_dot_product_flash_attention_for_cpu: _sdpa_cpu,
        aten._scaled_dot_product_flash_attention_for_cpu_backward: _sdpa_cpu_backward,
        aten._native_multi_head_attention: _native_multi_head_attention,
    })
    return formulas


EXTRA_FLOP_FORMULAS: dict[Any, Callable[..., int]] = _formulas()
"""Operator (all overloads) to FLOP formula, added to PyTorch's own table; see the module docstring."""


@dataclass(frozen=True)
class FlopCount:
    """FLOPs of one model on one batch.

    Attributes:
        batch_size: Samples in the measured batch.
        forward: FLOPs of the forward pass over the whole batch.
        forward_backward: FLOPs of the forward and backward pass over the whole batch (the backward
            starts from a gradient of ones on the outputs, so no loss function is counted).
        by_operator: Operator name to its FLOPs in the forward and backward pass.
    """

    batch_size: int
    forward: int
    forward_backward: int
    by_operator: dict[str, int]

    @property
    def forward_per_sample(self) -> float:
        return self.forward / self.batch_size

    @property
    def forward_backward_per_sample(self) -> float:
        return self.forward_backward / self.batch_size

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_size": self.batch_size,
            "forward": self.forward,
            "forward_backward": self.forward_backward,
            "forward_per_sample": self.forward_per_sample,
            "forward_backward_per_sample": self.forward_backward_per_sample,
            "by_operator": dict(self.by_operator),
        }


def count_flops(model: nn.Module | Callable[..., torch.Tensor], batch: Any, backward: bool = False) -> int:
    """Count the FLOPs of running ``model`` on ``batch``.

    The model runs in whatever mode (``train`` or ``eval``) it is in, with autograd enabled, so that
    the forward pass executes the same kernels as in training. Parameter gradients are cleared
    afterwards.

    Args:
        model: The model, or any function of tensors; called as ``model(*batch)`` when ``batch`` is a
            tuple or list, otherwise as ``model(batch)``.
        batch: The input, for example a :class:`~mtagbench.data.sample.Batch`.
        backward: Also count the backward pass from a gradient of ones on every output tensor that
            requires gradients (outputs may be a tensor or a tuple, list or dict of tensors).

    Returns:
        FLOPs over the whole batch; divide by the batch size for a per-sample figure.

    Example:
        >>> count_flops(torch.nn.Linear(3, 2, bias=False), torch.ones(4, 3))
        48
    """
    total, _ = _run_counted(model, batch, backward)
    return total


def measure_flops(model: nn.Module | Callable[..., torch.Tensor], batch: Any) -> FlopCount:
    """Count forward and forward-plus-backward FLOPs of ``model`` on ``batch``.

    Args:
        model: The model (see :func:`count_flops`).
        batch: The input; its batch size comes from ``batch.size``, or the first dimension of the
            first tensor.

    Returns:
        A :class:`FlopCount`.
    """
    forward, _ = _run_counted(model, batch, backward=False)
    forward_backward, by_operator = _run_counted(model, batch, backward=True)
    return FlopCount(
        batch_size=_batch_size(batch),
        forward=forward,
        forward_backward=forward_backward,
        by_operator=by_operator,
    )


def _run_counted(model: nn.Module | Callable[..., torch.Tensor], batch: Any, backward: bool) -> tuple[int, dict[str, int]]:
    counter = FlopCounterMode(display=False, custom_mapping=EXTRA_FLOP_FORMULAS)
    with torch.enable_grad(), counter:
        outputs = model(*batch) if isinstance(batch, (tuple, list)) else model(batch)
        if backward:
            leaves = [t for t in tree_leaves(outputs) if isinstance(t, torch.Tensor) and t.requires_grad]
            if not leaves:
                raise ValueError("cannot count backward FLOPs: the model outputs do not require gradients")
            torch.autograd.backward(leaves, [torch.ones_like(t) for t in leaves])
    if isinstance(model, nn.Module):
        model.zero_grad(set_to_none=True)

    by_operator = {str(op): int(flops) for op, flops in counter.get_flop_counts().get("Global", {}).items()}
    return int(counter.get_total_flops()), by_operator


def _batch_size(batch: Any) -> int:
    if hasattr(batch, "size") and isinstance(batch.size, int):
        return batch.size
    first = batch[0] if isinstance(batch, (tuple, list)) else batch
    if isinstance(first, torch.Tensor):
        return int(first.shape[0])
    raise ValueError(f"cannot tell the batch size of a {type(batch).__name__}; pass a Batch or a tensor")
