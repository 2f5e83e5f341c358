"""Early-fusion LSTM (EF-LSTM): align, concatenate per step, one LSTM, MLP head."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from mtagbench.data.sample import Batch
from mtagbench.errors import DataError
from mtagbench.registry import register_model
from mtagbench_baselines.alignment import CTCAligner, window_average_align
from mtagbench_baselines.sequence import PredictionHead, run_packed_lstm


@dataclass(frozen=True)
class EFLSTMOptions:
    """Options of the early-fusion LSTM."""

    align: Literal["ctc", "pool", "none"] = field(
        default="ctc",
        metadata={"help": "how other modalities reach the reference length: ctc (learned soft alignment), "
                          "pool (average of source windows) or none (lengths must already be equal)"},
    )
    hidden_size: int = field(default=64, metadata={"help": "hidden units of the fusion LSTM"})
    num_layers: int = field(default=1, metadata={"help": "stacked layers of the fusion LSTM"})
    bidirectional: bool = field(default=False, metadata={"help": "run the fusion LSTM in both directions"})
    lstm_dropout: float = field(default=0.0, metadata={"help": "dropout between stacked LSTM layers (needs num-layers > 1)"})
    align_hidden_size: int = field(default=32, metadata={"help": "hidden units of each CTC alignment LSTM"})
    max_target_steps: int = field(
        default=50, metadata={"help": "most reference steps the CTC aligner can produce (MOSI text has 50)"}
    )
    head_hidden_size: int = field(default=64, metadata={"help": "hidden units of the prediction MLP"})
    dropout: float = field(default=0.1, metadata={"help": "dropout on the final state and inside the prediction MLP"})

    def __post_init__(self) -> None:
        for name in ("hidden_size", "num_layers", "align_hidden_size", "max_target_steps", "head_hidden_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("lstm_dropout", "dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


@register_model(
    "ef-lstm",
    options=EFLSTMOptions,
    description="Early-fusion LSTM with learned (CTC-style) or pooled alignment to the text length",
    tasks=("regression", "multilabel"),
    min_modalities=1,
    max_modalities=None,
    needs_aligned=False,
)
class EFLSTM(nn.Module):
    r"""Early-fusion LSTM baseline.

    The reference modality is ``text`` when present, otherwise the first modality. Every other
    modality :math:`m` is aligned to the reference's real length :math:`L_r`
    (:class:`~mtagbench_baselines.alignment.CTCAligner` or
    :func:`~mtagbench_baselines.alignment.window_average_align`), then

    .. math::
        z_t = [x_{r,t} \,\|\, \tilde{x}_{1,t} \,\|\, \dots], \qquad
        \hat{y} = \mathrm{MLP}\big(\mathrm{LSTM}(z)_{[L_r]}\big).

    The LSTM runs on packed sequences of length :math:`L_r`. A sample whose reference modality is
    empty has no time axis to fuse on, so its fused state is zero and its output is the head's
    response to a zero vector.

    Args:
        feature_sizes: Modality name to input feature size.
        output_dim: Number of outputs.
        options: :class:`EFLSTMOptions`.

    Shapes:
        - input: a :class:`~mtagbench.data.sample.Batch`
        - output: ``(B, output_dim)``
    """

    def __init__(self, feature_sizes: Mapping[str, int], output_dim: int, options: EFLSTMOptions) -> None:
        super().__init__()
        self.feature_sizes = dict(feature_sizes)
        self.output_dim = output_dim
        self.options = options

        modalities = list(self.feature_sizes)
        self.reference = "text" if "text" in self.feature_sizes else modalities[0]
        self.sources = [m for m in modalities if m != self.reference]

        if options.align == "ctc":
            self.aligners = nn.ModuleDict({
                m: CTCAligner(self.feature_sizes[m], options.align_hidden_size, options.max_target_steps)
                for m in self.sources
            })
        else:
            self.aligners = nn.ModuleDict()

        fused_input = sum(self.feature_sizes.values())
        directions = 2 if options.bidirectional else 1
        self.lstm = nn.LSTM(
            fused_input,
            options.hidden_size,
            num_layers=options.num_layers,
            batch_first=True,
            bidirectional=options.bidirectional,
            dropout=options.lstm_dropout if options.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(options.dropout)
        self.head = PredictionHead(options.hidden_size * directions, options.head_hidden_size, output_dim, options.dropout)

    def align(self, batch: Batch) -> torch.Tensor:
        """Return the per-step concatenation ``(B, T_r, sum D_m)`` on the reference time axis."""
        reference = batch.features[self.reference]
        target_lengths = batch.lengths[self.reference]
        target_steps = reference.shape[1]

        parts = [reference]
        for modality in self.sources:
            source = batch.features[modality]
            source_lengths = batch.lengths[modality]
            if self.options.align == "ctc":
                aligned = self.aligners[modality](source, source_lengths, target_lengths, target_steps)
            elif self.options.align == "pool":
                aligned = window_average_align(source, source_lengths, target_lengths, target_steps)
            else:
                aligned = self._check_aligned(modality, source, source_lengths, target_lengths, target_steps)
            parts.append(aligned)
        return torch.cat(parts, dim=-1)

    def forward(self, batch: Batch) -> torch.Tensor:
        fused = self.align(batch)
        _, final = run_packed_lstm(self.lstm, fused, batch.lengths[self.reference])
        return self.head(self.dropout(final))

    def _check_aligned(
        self,
        modality: str,
        source: torch.Tensor,
        source_lengths: torch.Tensor,
        target_lengths: torch.Tensor,
        target_steps: int,
    ) -> torch.Tensor:
        if not torch.equal(source_lengths.cpu(), target_lengths.cpu()):
            raise DataError(
                f"ef-lstm with align='none' needs {modality} to have as many steps as {self.reference} in every "
                f"sample, got lengths {source_lengths.tolist()} and {target_lengths.tolist()}; "
                f"use align='ctc' or align='pool' for unaligned data"
            )
        return source[:, :target_steps]
