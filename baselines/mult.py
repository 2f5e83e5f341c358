"""Multimodal Transformer (MulT; Tsai et al., ACL 2019) for any number of modalities >= 2."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from mtagbench.data.sample import Batch
from mtagbench.registry import register_model
from mtagbench_baselines.sequence import gather_last_step
from mtagbench_baselines.transformer import CrossmodalTransformer


@dataclass(frozen=True)
class MulTOptions:
    """Options of MulT; the defaults are those of the published code's ``main.py``."""

    embed_dim: int = field(default=30, metadata={"help": "model width d of every crossmodal transformer (the paper uses 40)"})
    num_layers: int = field(default=5, metadata={"help": "layers of each crossmodal transformer; the self-attention transformers get max(num-layers, 3)"})
    num_heads: int = field(default=5, metadata={"help": "attention heads; must divide embed-dim"})
    attn_dropout: float = field(default=0.1, metadata={"help": "attention dropout in the self-attention transformers and in crossmodal transformers whose source is the first modality"})
    attn_dropout_other: float = field(default=0.0, metadata={"help": "attention dropout in crossmodal transformers whose source is any other modality"})
    relu_dropout: float = field(default=0.1, metadata={"help": "dropout after the feed-forward ReLU"})
    res_dropout: float = field(default=0.1, metadata={"help": "dropout on each sublayer output before the residual sum"})
    embed_dropout: float = field(default=0.25, metadata={"help": "dropout on the first modality's input features and on every transformer's embedded input"})
    out_dropout: float = field(default=0.0, metadata={"help": "dropout inside the residual output MLP"})
    padding_mask: bool = field(default=True, metadata={"help": "mask padded steps and read each sample's last real step; false reproduces the published code, which attends over padding"})
    future_mask: bool = field(default=True, metadata={"help": "the published code's default attention mask: query step i attends key steps j <= i + |T_k - T_q|"})

    def __post_init__(self) -> None:
        for name in ("embed_dim", "num_layers", "num_heads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"num_heads={self.num_heads} does not divide embed_dim={self.embed_dim}; "
                f"choose heads that divide the width (for 4 heads use embed_dim 40)"
            )
        for name in ("attn_dropout", "attn_dropout_other", "relu_dropout", "res_dropout", "embed_dropout", "out_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


@register_model(
    "mult",
    options=MulTOptions,
    description="Multimodal Transformer: crossmodal attention between every ordered pair of modalities",
    tasks=("regression", "multilabel"),
    min_modalities=2,
    max_modalities=None,
    needs_aligned=False,
)
class MulT(nn.Module):
    r"""Multimodal Transformer.

    Each modality :math:`m` is projected to width :math:`d` by a kernel-1 ``Conv1d`` without bias
    (skipped when its feature size already is :math:`d`, as in the published code). For every ordered
    pair (target :math:`m`, source :math:`n \ne m`) a crossmodal transformer :math:`\mathrm{CM}_{n \to m}`
    lets the target's steps attend to the source. Per target

    .. math::
        Z_m = \mathrm{SA}_m\big([\mathrm{CM}_{n_1 \to m}(X_m, X_{n_1}) \,\|\, \dots]\big), \qquad
        h = [Z_{1,[L_1]} \,\|\, \dots \,\|\, Z_{M,[L_M]}], \qquad
        \hat{y} = W_o\big(h + W_2\,\mathrm{Dropout}(\mathrm{ReLU}(W_1 h))\big)

    where :math:`\mathrm{SA}_m` is a self-attention transformer of width :math:`(M-1)d` and
    :math:`Z_{m,[L_m]}` the output at the last step. With ``M`` modalities there are ``M (M - 1)``
    crossmodal and ``M`` self-attention transformers.

    Padding: with ``padding_mask=True`` keys on padded steps are masked and the last real step is
    read. With ``padding_mask=False`` every sample is first moved to left padding, as in the published
    data, no key is masked and the final padded index is read, which reproduces the published
    computation on a batch padded to its longest sample. An empty source leaves its crossmodal
    attention output at zero; an empty target contributes a zero vector with ``padding_mask=True``.

    Args:
        feature_sizes: Modality name to input feature size; the first modality gets input dropout.
        output_dim: Number of outputs.
        options: :class:`MulTOptions`.

    Shapes:
        - input: a :class:`~mtagbench.data.sample.Batch`
        - output: ``(B, output_dim)``
    """

    def __init__(self, feature_sizes: Mapping[str, int], output_dim: int, options: MulTOptions) -> None:
        super().__init__()
        self.feature_sizes = dict(feature_sizes)
        self.output_dim = output_dim
        self.options = options
        if len(self.feature_sizes) < 2:
            raise ValueError(f"MulT needs at least two modalities, got {list(self.feature_sizes)}")

        modalities = list(self.feature_sizes)
        d = options.embed_dim
        self.projections = nn.ModuleDict({
            m: nn.Identity() if size == d else nn.Conv1d(size, d, kernel_size=1, bias=False)
            for m, size in self.feature_sizes.items()
        })

        self.crossmodal = nn.ModuleDict()
        for target in modalities:
            for source in modalities:
                if source == target:
                    continue
                source_is_first = source == modalities[0]
                self.crossmodal[f"{source}_to_{target}"] = CrossmodalTransformer(
                    d,
                    options.num_heads,
                    options.num_layers,
                    attn_dropout=options.attn_dropout if source_is_first else options.attn_dropout_other,
                    relu_dropout=options.relu_dropout,
                    res_dropout=options.res_dropout,
                    embed_dropout=options.embed_dropout,
                )

        memory_dim = (len(modalities) - 1) * d
        self.self_attention = nn.ModuleDict({
            m: CrossmodalTransformer(
                memory_dim,
                options.num_heads,
                max(options.num_layers, 3),
                attn_dropout=options.attn_dropout,
                relu_dropout=options.relu_dropout,
                res_dropout=options.res_dropout,
                embed_dropout=options.embed_dropout,
            )
            for m in modalities
        })

        combined_dim = len(modalities) * memory_dim
        self.proj1 = nn.Linear(combined_dim, combined_dim)
        self.proj2 = nn.Linear(combined_dim, combined_dim)
        self.out_layer = nn.Linear(combined_dim, output_dim)

    def forward(self, batch: Batch) -> torch.Tensor:
        modalities = list(self.feature_sizes)
        projected, steps_mask, lengths = {}, {}, {}
        for index, m in enumerate(modalities):
            x = batch.features[m]
            length = batch.lengths[m].to(x.device)
            mask = batch.masks[m].to(x.device)
            if not self.options.padding_mask:
                x, mask = _to_left_padding(x, length)
            if index == 0:
                x = F.dropout(x, p=self.options.embed_dropout, training=self.training)
            projected[m] = self.projections[m](x.transpose(1, 2)).transpose(1, 2)
            steps_mask[m] = mask
            lengths[m] = length

        summaries = []
        for target in modalities:
            fused = []
            for source in modalities:
                if source == target:
                    continue
                allowed = self._allowed(steps_mask[target], lengths[target], steps_mask[source], lengths[source])
                fused.append(self.crossmodal[f"{source}_to_{target}"](
                    projected[target], steps_mask[target], projected[source], steps_mask[source], allowed
                ))
            sequence = torch.cat(fused, dim=-1)
            everywhere = torch.ones_like(steps_mask[target])
            allowed = self._allowed(steps_mask[target], lengths[target], steps_mask[target], lengths[target])
            sequence = self.self_attention[target](sequence, everywhere, allowed=allowed)
            if self.options.padding_mask:
                summaries.append(gather_last_step(sequence, lengths[target]))
            else:
                summaries.append(sequence[:, -1])

        h = torch.cat(summaries, dim=-1)
        hidden = F.dropout(F.relu(self.proj1(h)), p=self.options.out_dropout, training=self.training)
        return self.out_layer(self.proj2(hidden) + h)

    def _allowed(
        self,
        query_mask: torch.Tensor,
        query_lengths: torch.Tensor,
        key_mask: torch.Tensor,
        key_lengths: torch.Tensor,
    ) -> torch.Tensor | None:
        """Return the boolean ``(B, T_q, T_k)`` attention pattern, or None when nothing is masked.

        With padding masks the future mask is measured on each sample's real lengths, so that
        extra padding changes nothing; without them it uses the padded lengths, as published.
        """
        batch_size, query_steps = query_mask.shape
        key_steps = key_mask.shape[1]
        if not self.options.padding_mask and not self.options.future_mask:
            return None

        allowed = torch.ones(batch_size, query_steps, key_steps, dtype=torch.bool, device=query_mask.device)
        if self.options.padding_mask:
            allowed = allowed & key_mask[:, None, :]
        if self.options.future_mask:
            i = torch.arange(query_steps, device=query_mask.device)[None, :, None]
            j = torch.arange(key_steps, device=query_mask.device)[None, None, :]
            if self.options.padding_mask:
                offset = (key_lengths - query_lengths).abs()[:, None, None]
            else:
                offset = abs(key_steps - query_steps)
            allowed = allowed & (j <= i + offset)
        return allowed


def _to_left_padding(x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each sample's real steps to the end of the padded axis; return features and new mask."""
    steps = x.shape[1]
    shift = (steps - lengths)[:, None]
    t = torch.arange(steps, device=x.device)[None, :]
    index = (t - shift) % steps
    shifted = torch.gather(x, 1, index[:, :, None].expand(-1, -1, x.shape[2]))
    return shifted, t >= shift
