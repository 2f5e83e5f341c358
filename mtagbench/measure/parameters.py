"""Parameter counts with a per-module breakdown, computed by fvcore."""

from __future__ import annotations

from dataclasses import dataclass

from fvcore.nn import parameter_count
from torch import nn


@dataclass(frozen=True)
class ParameterCount:
    """Parameter counts of one model.

    Attributes:
        total: Number of scalar parameters, trainable or not; shared tensors count once.
        trainable: Number of scalar parameters with ``requires_grad``.
        by_module: Dotted module name to the parameters it owns, itself and all submodules, for every
            module down to ``max_depth`` levels (``""`` is the whole model).
    """

    total: int
    trainable: int
    by_module: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {"total": self.total, "trainable": self.trainable, "by_module": dict(self.by_module)}


def count_parameters(model: nn.Module, max_depth: int = 2) -> ParameterCount:
    """Count the parameters of ``model`` with ``fvcore.nn.parameter_count``.

    Args:
        model: Any ``nn.Module``.
        max_depth: Deepest module level kept in the breakdown; 1 keeps the top-level children only.

    Returns:
        A :class:`ParameterCount`. Buffers (running statistics, fixed position tables) are not
        parameters and are not counted.

    Example:
        >>> import torch
        >>> count_parameters(torch.nn.Linear(3, 2)).total
        8
    """
    counts = parameter_count(model)
    by_module = {
        name: int(count)
        for name, count in counts.items()
        if name == "" or name.count(".") < max_depth
    }

    seen: set[int] = set()
    trainable = 0
    for parameter in model.parameters():
        if id(parameter) in seen:
            continue
        seen.add(id(parameter))
        if parameter.requires_grad:
            trainable += parameter.numel()

    return ParameterCount(total=int(counts[""]), trainable=trainable, by_module=by_module)
