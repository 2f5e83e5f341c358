"""Pseudo-alignment of two unaligned sequences and the temporal edge types it defines.

MTAG aligns two modalities of different lengths coarsely, by analogy with a 1D convolution that
reads the longer sequence (length M) and writes the shorter one (length N). Each node ``i`` of the
shorter sequence gets a window ``[start_i, end_i)`` of "present" nodes in the longer one. With
stride S and kernel (window) size W and no padding, ``(M - W) / S + 1 = N``, so ``W = M - (N - 1) S``.

Rule, for ``1 <= N <= M``:

- ``N == 1``: one window ``[0, M)`` covers the whole longer sequence.
- ``2 <= N`` and ``2 N <= M``: ``S = ceil((1 + floor(M / (N - 1))) / 2)``, the mean of the smallest
  and the largest stride, rounded up (Eq. 9 of the MTAG paper, Yang et al., NAACL 2021), then capped
  at ``floor(M / N)``; ``W = M - (N - 1) S`` and window ``i`` is ``[i S, i S + W)``.
  The cap is a departure from Eq. 9: without it some cases leave nodes of the longer sequence that
  are present to no node (N = 2, M = 10 gives S = 6, W = 4 and windows [0, 4) and [6, 10), so nodes
  4 and 5 are in no window). ``floor(M / N)`` is the largest stride for which consecutive windows
  still touch (``W >= S``). Where Eq. 9's stride is within the cap, the windows are exactly Eq. 9's.
- ``2 N > M``: windows of size 2 with stride 2 for as many nodes as possible, then windows of size
  1. Exactly ``M - N`` nodes get a window of 2 (the first ones), the remaining ``2 N - M`` a window
  of 1, so the windows tile the longer sequence without overlap. ``N == M`` gives the identity.

Windows are in order: starts and ends are non-decreasing in ``i``, every window is non-empty and
every node of the longer sequence lies in at least one window.

Temporal type of an edge from a source node to a target node (``tau`` in the paper): ``past`` (0)
when the source occurs before the target, ``present`` (1) when they are aligned, ``future`` (2) when
the source occurs after the target. For two nodes of the same modality this compares step indices.
Across modalities, take the window ``[start, end)`` of the node of the shorter modality in the
longer one (the modality with fewer steps is the shorter one; for equal lengths the windows are
the identity, so either choice gives the same answer). Let ``p`` be the step of the other node:

- ``start <= p < end``: present;
- the longer-modality node is at ``p < start``: it is before the shorter-modality node;
- the longer-modality node is at ``p >= end``: it is after.

Hence the type of ``a -> b`` is the type of ``b -> a`` with past and future swapped, and for any
target the sources of another modality, in step order, are a run of past nodes, then a non-empty run
of present nodes, then a run of future nodes.
"""

from __future__ import annotations

import torch

PAST, PRESENT, FUTURE = 0, 1, 2


def pseudo_align(n_short: int, m_long: int) -> torch.Tensor:
    """Align each node of a sequence of ``n_short`` steps to a window of a sequence of ``m_long`` steps.

    Args:
        n_short: Length N of the shorter sequence (the Conv1D output).
        m_long: Length M of the longer sequence (the Conv1D input), at least ``n_short``.

    Returns:
        int64 tensor ``(N, 2)``: row ``i`` is ``[start, end)`` of node ``i``'s "present" window in the
        longer sequence. When ``m_long`` is 0 every window is ``[0, 0)``.

    Raises:
        ValueError: If a length is negative or ``n_short > m_long``.

    Example:
        >>> pseudo_align(3, 10).tolist()
        [[0, 4], [3, 7], [6, 10]]
    """
    if n_short < 0 or m_long < 0:
        raise ValueError(f"sequence lengths must be non-negative, got n_short={n_short}, m_long={m_long}")
    if n_short > m_long:
        raise ValueError(f"n_short={n_short} is longer than m_long={m_long}; pass the shorter length first")

    index = torch.arange(n_short)
    start, end = pseudo_align_windows(
        index, torch.full_like(index, n_short), torch.full_like(index, m_long)
    )
    return torch.stack([start, end], dim=1)


def pseudo_align_windows(
    index: torch.Tensor, n_short: torch.Tensor, m_long: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compute the pseudo-alignment window of many nodes at once, elementwise.

    Args:
        index: int64 tensor of node indices in the shorter sequence, ``0 <= index < n_short``.
        n_short: int64 tensor, same shape, length N of that node's shorter sequence.
        m_long: int64 tensor, same shape, length M of the longer sequence, ``M >= N``.

    Returns:
        ``(start, end)``, int64 tensors of the same shape: the window ``[start, end)`` in the longer
        sequence, following the rule in this module's docstring.
    """
    n = n_short
    m = m_long

    # Branch N <= M / 2 (N >= 2): Eq. 9 stride, capped so that consecutive windows touch.
    safe_n_minus_1 = (n - 1).clamp(min=1)
    safe_n = n.clamp(min=1)
    stride_eq9 = (m // safe_n_minus_1 + 2) // 2
    stride = torch.minimum(stride_eq9, m // safe_n)
    window = m - (n - 1) * stride
    spread_start = index * stride
    spread_end = spread_start + window

    # Branch N > M / 2: the first M - N nodes get windows of 2, the rest windows of 1.
    doubled = m - n
    dense_start = torch.where(index < doubled, 2 * index, doubled + index)
    dense_end = torch.where(index < doubled, dense_start + 2, dense_start + 1)

    start = torch.where(2 * n <= m, spread_start, dense_start)
    end = torch.where(2 * n <= m, spread_end, dense_end)

    single = n == 1
    start = torch.where(single, torch.zeros_like(start), start)
    end = torch.where(single, m, end)

    empty = m == 0
    start = torch.where(empty, torch.zeros_like(start), start)
    end = torch.where(empty, torch.zeros_like(end), end)
    return start, end


def pseudo_align_counts(
    position: torch.Tensor, n_short: torch.Tensor, m_long: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Count, for a node of the longer sequence, the windows that end and start at or before it.

    Args:
        position: int64 tensor of steps ``p`` in the longer sequence, ``0 <= p < m_long``.
        n_short: int64 tensor, same shape, length N of the shorter sequence, ``1 <= N <= M``.
        m_long: int64 tensor, same shape, length M of the longer sequence.

    Returns:
        ``(ended, started)``: the number of short nodes whose window ends at or before ``p``
        (``end <= p``) and whose window starts at or before ``p`` (``start <= p``). Short nodes
        ``0 .. ended - 1`` lie before ``p``, ``ended .. started - 1`` are aligned with it and the rest
        lie after it, because starts and ends are non-decreasing.
    """
    n = n_short.clamp(min=1)
    m = m_long
    p = position

    # Branch N <= M / 2, windows [i S, i S + W).
    stride = torch.minimum((m // (n - 1).clamp(min=1) + 2) // 2, m // n).clamp(min=1)
    window = m - (n - 1) * stride
    spread_started = torch.minimum(p // stride + 1, n)
    spread_ended = ((p - window) // stride + 1).clamp(min=0).minimum(n)

    # Branch N > M / 2: k = M - N windows [2i, 2i + 2), then windows [k + i, k + i + 1).
    doubled = m - n
    dense_started = torch.where(p < 2 * doubled, p // 2 + 1, p - doubled + 1).minimum(n)
    dense_ended = torch.minimum(doubled, p // 2) + (p - 2 * doubled).clamp(min=0)

    spread = 2 * n <= m
    started = torch.where(spread, spread_started, dense_started)
    ended = torch.where(spread, spread_ended, dense_ended)

    single = n == 1
    started = torch.where(single, torch.ones_like(started), started)
    ended = torch.where(single, torch.zeros_like(ended), ended)
    return ended, started


def temporal_type_of_pairs(
    source_index: torch.Tensor,
    target_index: torch.Tensor,
    source_length: torch.Tensor,
    target_length: torch.Tensor,
) -> torch.Tensor:
    """Compute the temporal type of many (source node, target node) pairs at once, elementwise.

    Both nodes belong to one sample; their modalities have ``source_length`` and ``target_length``
    steps. Pass equal lengths and the step indices for two nodes of the same modality.

    Args:
        source_index: int64 tensor, step of the source node within its modality.
        target_index: int64 tensor, same shape, step of the target node within its modality.
        source_length: int64 tensor, same shape, length of the source node's modality.
        target_length: int64 tensor, same shape, length of the target node's modality.

    Returns:
        int64 tensor of the same shape with 0 (past), 1 (present) or 2 (future): where the source
        lies in time relative to the target.
    """
    source_is_short = source_length <= target_length

    short_index = torch.where(source_is_short, source_index, target_index)
    long_index = torch.where(source_is_short, target_index, source_index)
    short_length = torch.where(source_is_short, source_length, target_length)
    long_length = torch.where(source_is_short, target_length, source_length)
    start, end = pseudo_align_windows(short_index, short_length, long_length)

    # Order of the short node relative to the long node: -1 before, 0 aligned, +1 after.
    short_before = long_index >= end
    short_after = long_index < start
    order = short_after.long() - short_before.long()
    source_order = torch.where(source_is_short, order, -order)
    return source_order + 1


def temporal_types(source_length: int, target_length: int) -> torch.Tensor:
    """Return the temporal type of every pair of nodes across two modalities of one sample.

    Args:
        source_length: Number of steps of the source modality.
        target_length: Number of steps of the target modality. Either may be the longer one.

    Returns:
        int64 tensor ``(source_length, target_length)``; entry ``[i, j]`` is the type of the edge from
        source step ``i`` to target step ``j``: 0 past, 1 present, 2 future.

    Example:
        >>> temporal_types(2, 4).tolist()
        [[1, 1, 0, 0], [2, 2, 1, 1]]
    """
    if source_length < 0 or target_length < 0:
        raise ValueError(f"lengths must be non-negative, got {source_length} and {target_length}")

    source_index = torch.arange(source_length).repeat_interleave(target_length)
    target_index = torch.arange(target_length).repeat(source_length)
    types = temporal_type_of_pairs(
        source_index,
        target_index,
        torch.full_like(source_index, source_length),
        torch.full_like(source_index, target_length),
    )
    return types.view(source_length, target_length)
