"""Building blocks shared by the baselines: packed LSTMs, masked pooling and the prediction head.

Every helper takes right-padded tensors with their real lengths, as :func:`mtagbench.data.sample.collate`
produces them, and never lets a padded step change a real output. A sample whose modality is empty
(length 0) gets a zero vector wherever a summary of that modality is requested.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def run_packed_lstm(
    lstm: nn.LSTM, features: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a ``batch_first`` LSTM over the real steps of each sample only.

    Empty samples are run for one step over their zero padding, because ``pack_padded_sequence``
    rejects length 0, and then their outputs and final state are set to zero.

    Args:
        lstm: An ``nn.LSTM`` built with ``batch_first=True``.
        features: Right-padded inputs ``(B, T, D)``.
        lengths: Real lengths ``(B,)``; 0 marks an empty sample.

    Returns:
        ``(outputs, final)``: outputs ``(B, T, H * directions)`` with zeros on padded steps, and the
        top layer's state at each sample's last real step ``(B, H * directions)`` (for a bidirectional
        LSTM the backward direction's state at the first step, concatenated).
    """
    lengths = lengths.to(device="cpu", dtype=torch.long)
    empty = lengths == 0
    packed = pack_padded_sequence(features, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
    packed_outputs, (hidden, _) = lstm(packed)
    outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=features.shape[1])

    directions = 2 if lstm.bidirectional else 1
    final = torch.cat([hidden[-directions + d] for d in range(directions)], dim=-1)

    if bool(empty.any()):
        keep = (~empty).to(device=features.device, dtype=features.dtype)
        final = final * keep[:, None]
        outputs = outputs * keep[:, None, None]
    return outputs, final


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Softmax of ``scores`` over ``dim`` restricted to positions where ``mask`` is True.

    A slice whose positions are all masked gets all-zero weights instead of NaN.

    Args:
        scores: Unnormalised scores.
        mask: Boolean tensor broadcastable to ``scores``; True keeps a position.
        dim: Dimension to normalise over.
    """
    mask = mask.expand_as(scores)
    filled = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    weights = torch.softmax(filled, dim=dim) * mask.to(scores.dtype)
    return weights


def gather_last_step(sequence: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Return ``sequence[b, lengths[b] - 1]`` for each sample, or zeros where ``lengths[b] == 0``.

    Args:
        sequence: ``(B, T, D)``.
        lengths: ``(B,)`` real lengths.
    """
    lengths = lengths.to(sequence.device)
    index = (lengths - 1).clamp(min=0)
    last = sequence[torch.arange(sequence.shape[0], device=sequence.device), index]
    return last * (lengths > 0).to(sequence.dtype)[:, None]


class PredictionHead(nn.Module):
    """Two-layer perceptron from a fused representation to the model outputs.

    ``Linear(in, hidden) -> ReLU -> Dropout -> Linear(hidden, out)``.

    Args:
        in_features: Size of the fused representation.
        hidden_size: Width of the hidden layer.
        out_features: Number of model outputs.
        dropout: Dropout probability after the hidden activation.
    """

    def __init__(self, in_features: int, hidden_size: int, out_features: int, dropout: float) -> None:
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.dropout(torch.relu(self.hidden(x))))
