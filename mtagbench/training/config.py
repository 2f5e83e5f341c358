"""Training settings shared by every model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; the defaults are the published MTAG configuration for CMU-MOSI."""

    epochs: int = field(default=20, metadata={"help": "number of training epochs"})
    batch_size: int = field(default=32, metadata={"help": "samples per batch"})
    lr: float = field(default=1e-3, metadata={"help": "initial AdamW learning rate"})
    weight_decay: float = field(default=1e-2, metadata={"help": "AdamW weight decay"})
    lr_patience: int = field(
        default=3, metadata={"help": "epochs without validation improvement before the learning rate is halved"}
    )
    lr_factor: float = field(default=0.5, metadata={"help": "learning-rate multiplier on a validation plateau"})
    grad_clip: float = field(default=0.0, metadata={"help": "gradient-norm clipping threshold; 0 disables it"})
    loss: Literal["l1", "smooth_l1"] = field(default="l1", metadata={"help": "regression loss"})
    class_weights: bool = field(
        default=False, metadata={"help": "multilabel tasks: weight classes by inverse train frequency"}
    )
    seed: int = field(default=0, metadata={"help": "seed for initialisation, shuffling and dropout"})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda[:N]"})
    eval_batch_size: int = field(default=64, metadata={"help": "samples per batch when evaluating"})

    def __post_init__(self) -> None:
        from mtagbench.errors import ConfigError

        checks = [
            (self.epochs >= 1, f"epochs must be at least 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch size must be at least 1, got {self.batch_size}"),
            (self.eval_batch_size >= 1, f"evaluation batch size must be at least 1, got {self.eval_batch_size}"),
            (self.lr > 0, f"learning rate must be positive, got {self.lr}"),
            (self.weight_decay >= 0, f"weight decay must be non-negative, got {self.weight_decay}"),
            (0 < self.lr_factor < 1, f"learning-rate factor must lie in (0, 1), got {self.lr_factor}"),
            (self.lr_patience >= 0, f"learning-rate patience must be non-negative, got {self.lr_patience}"),
            (self.grad_clip >= 0, f"gradient clipping must be non-negative, got {self.grad_clip}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
