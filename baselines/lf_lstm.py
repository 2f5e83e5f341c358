"""Late-fusion LSTM (LF-LSTM): one LSTM per modality, final states concatenated, MLP head."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from mtagbench.data.sample import Batch
from mtagbench.registry import register_model
from mtagbench_baselines.sequence import PredictionHead, run_packed_lstm


@dataclass(frozen=True)
class LFLSTMOptions:
    """Options of the late-fusion LSTM."""

    hidden_size: int = field(default=64, metadata={"help": "hidden units of each modality's LSTM"})
    num_layers: int = field(default=1, metadata={"help": "stacked layers of each modality's LSTM"})
    bidirectional: bool = field(default=False, metadata={"help": "run each LSTM in both directions"})
    lstm_dropout: float = field(default=0.0, metadata={"help": "dropout between stacked LSTM layers (needs num-layers > 1)"})
    head_hidden_size: int = field(default=64, metadata={"help": "hidden units of the prediction MLP"})
    dropout: float = field(default=0.1, metadata={"help": "dropout on the fused states and inside the prediction MLP"})

    def __post_init__(self) -> None:
        for name in ("hidden_size", "num_layers", "head_hidden_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("lstm_dropout", "dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


@register_model(
    "lf-lstm",
    options=LFLSTMOptions,
    description="Late-fusion LSTM: one LSTM per modality, final states concatenated, MLP head",
    tasks=("regression", "multilabel"),
    min_modalities=1,
    max_modalities=None,
    needs_aligned=False,
)
class LFLSTM(nn.Module):
    r"""Late-fusion LSTM baseline.

    .. math::
        h_m = \mathrm{LSTM}_m(x_m)_{[L_m]}, \qquad
        \hat{y} = \mathrm{MLP}\big([h_1 \,\|\, \dots \,\|\, h_M]\big)

    where :math:`L_m` is the sample's real length of modality :math:`m`. Each LSTM runs on packed
    sequences, so padding never enters it. An empty modality contributes a zero state.

    Args:
        feature_sizes: Modality name to input feature size.
        output_dim: Number of outputs.
        options: :class:`LFLSTMOptions`.

    Shapes:
        - input: a :class:`~mtagbench.data.sample.Batch` with ``features[m]`` of shape ``(B, T_m, D_m)``
        - output: ``(B, output_dim)``
    """

    def __init__(self, feature_sizes: Mapping[str, int], output_dim: int, options: LFLSTMOptions) -> None:
        super().__init__()
        self.feature_sizes = dict(feature_sizes)
        self.output_dim = output_dim
        self.options = options

        directions = 2 if options.bidirectional else 1
        self.lstms = nn.ModuleDict({
            modality: nn.LSTM(
                size,
                options.hidden_size,
                num_layers=options.num_layers,
                batch_first=True,
                bidirectional=options.bidirectional,
                dropout=options.lstm_dropout if options.num_layers > 1 else 0.0,
            )
            for modality, size in self.feature_sizes.items()
        })
        fused_size = options.hidden_size * directions * len(self.feature_sizes)
        self.dropout = nn.Dropout(options.dropout)
        self.head = PredictionHead(fused_size, options.head_hidden_size, output_dim, options.dropout)

    def forward(self, batch: Batch) -> torch.Tensor:
        finals = []
        for modality, lstm in self.lstms.items():
            _, final = run_packed_lstm(lstm, batch.features[modality], batch.lengths[modality])
            finals.append(final)

        fused = self.dropout(torch.cat(finals, dim=-1))
        return self.head(fused)
