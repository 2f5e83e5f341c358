"""A tiny registered model and dataset for tests of the training loop and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from mtagbench.data.sample import Batch, MultimodalDataset, Sample
from mtagbench.data.registry import register_dataset
from mtagbench.registry import register_model

FEATURE_SIZES = {"text": 4, "audio": 3, "vision": 2}


@dataclass(frozen=True)
class MeanPoolOptions:
    hidden: int = field(default=8, metadata={"help": "hidden units"})
    dropout: float = field(default=0.2, metadata={"help": "dropout probability"})


@register_model("test-meanpool", options=MeanPoolOptions, description="Masked mean pooling and an MLP (tests only)")
class MeanPool(nn.Module):
    def __init__(self, feature_sizes: dict[str, int], output_dim: int, options: MeanPoolOptions) -> None:
        super().__init__()
        self.feature_sizes = dict(feature_sizes)
        self.output_dim = output_dim
        self.options = options
        self.head = nn.Sequential(
            nn.Linear(sum(feature_sizes.values()), options.hidden),
            nn.ReLU(),
            nn.Dropout(options.dropout),
            nn.Linear(options.hidden, output_dim),
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        pooled = []
        for modality in self.feature_sizes:
            mask = batch.masks[modality].unsqueeze(-1).float()
            total = (batch.features[modality] * mask).sum(1)
            pooled.append(total / mask.sum(1).clamp(min=1))
        return self.head(torch.cat(pooled, dim=-1))


def make_samples(count: int, seed: int, prefix: str) -> list[Sample]:
    rng = np.random.default_rng(seed)
    samples = []
    for index in range(count):
        features = {
            modality: rng.normal(size=(int(rng.integers(1, 6)), dim)).astype(np.float32)
            for modality, dim in FEATURE_SIZES.items()
        }
        score = float(np.clip(features["text"][:, 0].mean() * 2 + features["audio"][:, 1].mean(), -3, 3))
        samples.append(Sample(id=f"{prefix}{index}", features=features, label=np.array([score], np.float32)))
    return samples


def make_dataset(seed: int = 0) -> MultimodalDataset:
    return MultimodalDataset(
        name="tiny",
        task="regression",
        splits={
            "train": make_samples(48, seed, "train"),
            "valid": make_samples(16, seed + 1, "valid"),
            "test": make_samples(16, seed + 2, "test"),
        },
        feature_sizes=dict(FEATURE_SIZES),
        source="generated in tests",
    )


@register_dataset("tiny", description="Tiny generated regression dataset (tests only)")
def read_tiny(directory: None, *, seed: int = 0) -> MultimodalDataset:
    return make_dataset(seed)


@register_dataset(
    "tiny-recommended",
    description="Tiny dataset with a recommended setting (tests only)",
    recommended={"epochs": 2, "model_options": {"test-meanpool": {"hidden": 5}}},
)
def read_tiny_recommended(directory: None) -> MultimodalDataset:
    return make_dataset(0)
