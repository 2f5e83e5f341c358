"""The pre-LayerNorm transformer encoder of MulT, usable for crossmodal and self-attention.

In a crossmodal transformer the target modality supplies the queries and a source modality the keys
and values. Without a source the same encoder is an ordinary self-attention transformer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def sinusoidal_positions(steps: int, dim: int, device: torch.device) -> torch.Tensor:
    """Return the sinusoidal embeddings ``(steps, dim)`` of positions ``1..steps``.

    The first half of the channels contains sines and the second half cosines, with frequencies
    ``10000 ** (-k / (dim // 2 - 1))``; an odd ``dim`` gets a final zero channel. This is the layout of
    the fairseq embedding that the published MulT code uses.
    """
    half = dim // 2
    scale = math.log(10000.0) / max(half - 1, 1)
    frequencies = torch.exp(torch.arange(half, device=device, dtype=torch.float32) * -scale)
    positions = torch.arange(1, steps + 1, device=device, dtype=torch.float32)[:, None] * frequencies[None, :]
    embedding = torch.cat([torch.sin(positions), torch.cos(positions)], dim=1)
    if dim % 2:
        embedding = F.pad(embedding, (0, 1))
    return embedding


class TransformerLayer(nn.Module):
    r"""One pre-LayerNorm transformer layer with optional crossmodal keys and values.

    .. math::
        z = x + \mathrm{Dropout}\big(\mathrm{MHA}(\mathrm{LN}_1(x), \mathrm{LN}_1(s), \mathrm{LN}_1(s))\big), \qquad
        y = z + \mathrm{Dropout}\big(W_2\, \mathrm{Dropout}(\mathrm{ReLU}(W_1 \mathrm{LN}_2(z)))\big)

    with :math:`s = x` for self-attention. As in the published code the same LayerNorm
    :math:`\mathrm{LN}_1` normalises the queries and the source.

    Args:
        embed_dim: Model width :math:`d`; the feed-forward width is :math:`4d`.
        num_heads: Attention heads; must divide ``embed_dim``.
        attn_dropout: Dropout on the attention weights.
        relu_dropout: Dropout after the feed-forward ReLU.
        res_dropout: Dropout on each sublayer's output before the residual sum.
    """

    def __init__(self, embed_dim: int, num_heads: int, attn_dropout: float, relu_dropout: float, res_dropout: float) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, dropout=attn_dropout, batch_first=True)
        self.attention_norm = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, 4 * embed_dim)
        self.fc2 = nn.Linear(4 * embed_dim, embed_dim)
        self.feedforward_norm = nn.LayerNorm(embed_dim)
        self.relu_dropout = relu_dropout
        self.res_dropout = res_dropout
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.attention._reset_parameters()
        for linear in (self.fc1, self.fc2):
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)
        self.attention_norm.reset_parameters()
        self.feedforward_norm.reset_parameters()

    def forward(
        self,
        x: torch.Tensor,
        source: torch.Tensor | None,
        attn_mask: torch.Tensor | None,
        no_keys: torch.Tensor | None,
    ) -> torch.Tensor:
        """Apply the layer.

        Args:
            x: Queries ``(B, T_q, d)``.
            source: Keys and values ``(B, T_k, d)``, or None for self-attention.
            attn_mask: Boolean ``(B * heads, T_q, T_k)``, True where attention is not allowed, or None.
            no_keys: Boolean ``(B, T_q)``, True for query steps with no key they may attend to (an empty
                source); their attention output is set to zero, so the residual passes the queries
                through. None when no step is in that case.
        """
        residual = x
        queries = self.attention_norm(x)
        keys = queries if source is None else self.attention_norm(source)
        attended, _ = self.attention(queries, keys, keys, attn_mask=attn_mask, need_weights=False)
        if no_keys is not None:
            attended = attended.masked_fill(no_keys[:, :, None], 0.0)
        x = residual + F.dropout(attended, p=self.res_dropout, training=self.training)

        residual = x
        hidden = F.relu(self.fc1(self.feedforward_norm(x)))
        hidden = F.dropout(hidden, p=self.relu_dropout, training=self.training)
        return residual + F.dropout(self.fc2(hidden), p=self.res_dropout, training=self.training)


class CrossmodalTransformer(nn.Module):
    r"""A stack of :class:`TransformerLayer` with MulT's input embedding and a final LayerNorm.

    Queries and source are scaled by :math:`\sqrt{d}`, sinusoidal positions are added to their
    non-padded steps, and embedding dropout is applied, before the layers.

    Args:
        embed_dim: Model width :math:`d`.
        num_heads: Attention heads.
        num_layers: Number of layers.
        attn_dropout: Dropout on the attention weights.
        relu_dropout: Dropout after the feed-forward ReLU.
        res_dropout: Dropout on each sublayer's output.
        embed_dropout: Dropout on the embedded queries and source.

    Shapes:
        - x ``(B, T_q, d)``, source ``(B, T_k, d)`` or None
        - output ``(B, T_q, d)``
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        num_layers: int,
        attn_dropout: float,
        relu_dropout: float,
        res_dropout: float,
        embed_dropout: float,
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.embed_dropout = embed_dropout
        self.layers = nn.ModuleList([
            TransformerLayer(embed_dim, num_heads, attn_dropout, relu_dropout, res_dropout) for _ in range(num_layers)
        ])
        self.norm = nn.LayerNorm(embed_dim)

    def embed(self, x: torch.Tensor, positioned: torch.Tensor) -> torch.Tensor:
        """Scale ``x`` by sqrt(d) and add positions on steps where ``positioned`` ``(B, T)`` is True."""
        positions = sinusoidal_positions(x.shape[1], self.embed_dim, x.device).to(x.dtype)
        x = math.sqrt(self.embed_dim) * x + positions[None] * positioned[:, :, None].to(x.dtype)
        return F.dropout(x, p=self.embed_dropout, training=self.training)

    def forward(
        self,
        x: torch.Tensor,
        x_positioned: torch.Tensor,
        source: torch.Tensor | None = None,
        source_positioned: torch.Tensor | None = None,
        allowed: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Encode ``x``, attending to ``source`` (crossmodal) or to itself.

        Args:
            x: Queries ``(B, T_q, d)``.
            x_positioned: Boolean ``(B, T_q)``, steps of ``x`` that receive a position embedding.
            source: Keys and values ``(B, T_k, d)``, or None for self-attention.
            source_positioned: Boolean ``(B, T_k)`` for ``source``.
            allowed: Boolean ``(B, T_q, T_k)``, True where query step i may attend key step j, or None
                to allow everything.
        """
        x = self.embed(x, x_positioned)
        if source is not None:
            source = self.embed(source, source_positioned)

        attn_mask, no_keys = None, None
        if allowed is not None:
            no_keys = ~allowed.any(dim=-1)
            if bool(no_keys.any()):
                allowed = allowed | no_keys[:, :, None]
            else:
                no_keys = None
            attn_mask = (~allowed).repeat_interleave(self.num_heads, dim=0)

        for layer in self.layers:
            x = layer(x, source, attn_mask, no_keys)
        return self.norm(x)
