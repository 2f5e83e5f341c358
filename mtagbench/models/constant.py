"""A model that ignores its input and learns one output vector: the floor every model must beat.

Trained with the L1 loss it converges to the median training label; trained with cross-entropy
it learns the class frequencies. Its Pearson correlation is undefined (reported as NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mtagbench.data.sample import Batch
from mtagbench.registry import register_model


@dataclass(frozen=True)
class ConstantOptions:
    """The constant model has no options."""


@register_model(
    "constant",
    options=ConstantOptions,
    description="Constant prediction learned from the training labels (a floor, not a model)",
)
class ConstantModel(nn.Module):
    def __init__(self, feature_sizes: dict[str, int], output_dim: int, options: ConstantOptions) -> None:
        super().__init__()
        self.feature_sizes = dict(feature_sizes)
        self.output_dim = output_dim
        self.options = options
        self.bias = nn.Parameter(torch.zeros(output_dim))

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.bias.expand(batch.size, self.output_dim)
