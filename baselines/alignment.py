"""Alignment of a source modality onto a target modality's time axis, for early fusion.

Early fusion concatenates modalities step by step, so every modality must first have the target's
length. Two aligners are offered:

- :class:`CTCAligner`, the learned alignment of the MulT paper's CTC baselines: an LSTM reads the
  source and scores, at every source step, each of the first ``max_target_steps`` target positions.
  For each target step a softmax over the real source steps turns the scores into weights, and the
  aligned feature is the weighted mean of the source features.
- :func:`window_average_align`, fixed average pooling: target step ``t`` of a sample with real target
  length ``L_t`` and real source length ``L_s`` averages source steps
  ``floor(t * L_s / L_t)`` to ``ceil((t + 1) * L_s / L_t) - 1``.

Both return zeros at padded target steps and for samples whose source is empty.
"""

from __future__ import annotations

import torch
from torch import nn

from mtagbench.errors import DataError
from mtagbench_baselines.sequence import masked_softmax, run_packed_lstm


class CTCAligner(nn.Module):
    r"""Learned soft alignment of a source sequence to target positions.

    .. math::
        s_{j} = W\,\mathrm{LSTM}(x)_j + b \in \mathbb{R}^{P}, \qquad
        a_{tj} = \frac{\exp s_{jt}}{\sum_{j' < L_s} \exp s_{j't}}, \qquad
        \tilde{x}_t = \sum_{j < L_s} a_{tj}\, x_j

    for target steps :math:`t < L_t \le P`.

    The MulT paper's baselines train this module with a CTC loss between modalities. Continuous
    features give no target label sequence for that loss, so here the module is trained end to end
    through the task loss only.

    Args:
        source_size: Feature size of the source modality.
        hidden_size: Hidden units of the alignment LSTM.
        max_target_steps: :math:`P`, the most target steps the aligner can produce.

    Shapes:
        - source ``(B, T_s, D_s)``, source lengths ``(B,)``, target lengths ``(B,)``
        - output ``(B, T_t, D_s)`` for a requested padded target length ``T_t``
    """

    def __init__(self, source_size: int, hidden_size: int, max_target_steps: int) -> None:
        super().__init__()
        self.max_target_steps = max_target_steps
        self.lstm = nn.LSTM(source_size, hidden_size, batch_first=True)
        self.position_scores = nn.Linear(hidden_size, max_target_steps)

    def forward(
        self,
        source: torch.Tensor,
        source_lengths: torch.Tensor,
        target_lengths: torch.Tensor,
        target_steps: int,
    ) -> torch.Tensor:
        longest = int(target_lengths.max()) if target_lengths.numel() else 0
        if longest > self.max_target_steps:
            raise DataError(
                f"the target modality has {longest} steps but the CTC aligner predicts at most "
                f"{self.max_target_steps}; build the model with max_target_steps >= {longest} "
                f"(--max-target-steps {longest})"
            )

        hidden, _ = run_packed_lstm(self.lstm, source, source_lengths)
        scored_steps = min(target_steps, self.max_target_steps)
        scores = self.position_scores(hidden)[:, :, :scored_steps].transpose(1, 2)

        source_mask = _step_mask(source_lengths, source.shape[1], source.device)
        weights = masked_softmax(scores, source_mask[:, None, :], dim=-1)
        target_mask = _step_mask(target_lengths, scored_steps, source.device)
        weights = weights * target_mask[:, :, None].to(weights.dtype)
        aligned = torch.bmm(weights, source)

        # Steps past max_target_steps are padding of every sample (checked above), so they stay zero.
        return nn.functional.pad(aligned, (0, 0, 0, target_steps - scored_steps))


def window_average_align(
    source: torch.Tensor,
    source_lengths: torch.Tensor,
    target_lengths: torch.Tensor,
    target_steps: int,
) -> torch.Tensor:
    """Average the real source steps of each sample into its real number of target steps.

    Args:
        source: Right-padded source features ``(B, T_s, D)``.
        source_lengths: Real source lengths ``(B,)``.
        target_lengths: Real target lengths ``(B,)``.
        target_steps: Padded target length ``T_t`` of the output.

    Returns:
        ``(B, T_t, D)``; a padded target step, or any step of a sample with an empty source, is zero.
        With equal source and target lengths the output equals the source.
    """
    device = source.device
    source_lengths = source_lengths.to(device)[:, None, None]
    target_lengths = target_lengths.to(device)[:, None, None]
    t = torch.arange(target_steps, device=device)[None, :, None]
    j = torch.arange(source.shape[1], device=device)[None, None, :]

    safe_target = target_lengths.clamp(min=1)
    start = (t * source_lengths) // safe_target
    end = -((-(t + 1) * source_lengths) // safe_target)
    inside = (j >= start) & (j < end) & (t < target_lengths) & (j < source_lengths)

    weights = inside.to(source.dtype)
    weights = weights / weights.sum(dim=-1, keepdim=True).clamp(min=1.0)
    return torch.bmm(weights, source)


def _step_mask(lengths: torch.Tensor, steps: int, device: torch.device) -> torch.Tensor:
    return torch.arange(steps, device=device)[None, :] < lengths.to(device)[:, None]
