"""Pseudo-alignment windows and the temporal edge types they define."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mtagbench.graph.pseudo_align import FUTURE, PAST, PRESENT, pseudo_align, pseudo_align_counts, temporal_types


def test_windows_three_into_ten():
    # floor(10 / 2) = 5, S = ceil((1 + 5) / 2) = 3 (within the cap floor(10 / 3) = 3), W = 10 - 2 * 3 = 4.
    assert pseudo_align(3, 10).tolist() == [[0, 4], [3, 7], [6, 10]]


def test_windows_single_short_node():
    assert pseudo_align(1, 7).tolist() == [[0, 7]]
    assert pseudo_align(1, 1).tolist() == [[0, 1]]


def test_windows_equal_lengths_identity():
    assert pseudo_align(4, 4).tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]


def test_windows_seven_into_ten():
    # 2 N > M: M - N = 3 windows of 2, then 2 N - M = 4 windows of 1.
    assert pseudo_align(7, 10).tolist() == [[0, 2], [2, 4], [4, 6], [6, 7], [7, 8], [8, 9], [9, 10]]


def test_windows_stride_cap():
    # Eq. 9 alone gives S = 6, W = 4 and leaves steps 4 and 5 uncovered; the cap floor(10 / 2) = 5 applies.
    assert pseudo_align(2, 10).tolist() == [[0, 5], [5, 10]]
    assert pseudo_align(3, 8).tolist() == [[0, 4], [2, 6], [4, 8]]


def test_windows_half_length():
    assert pseudo_align(5, 10).tolist() == [[0, 2], [2, 4], [4, 6], [6, 8], [8, 10]]


def test_windows_empty_sequences():
    assert pseudo_align(0, 5).shape == (0, 2)
    assert pseudo_align(0, 0).shape == (0, 2)


def test_windows_reject_bad_lengths():
    with pytest.raises(ValueError, match="shorter length first"):
        pseudo_align(4, 3)
    with pytest.raises(ValueError, match="non-negative"):
        pseudo_align(-1, 3)


def test_types_short_to_long():
    # Windows of 2 short nodes in 4 long nodes: [0, 2) and [2, 4).
    assert temporal_types(2, 4).tolist() == [[PRESENT, PRESENT, PAST, PAST], [FUTURE, FUTURE, PRESENT, PRESENT]]


def test_types_long_to_short():
    assert temporal_types(4, 2).tolist() == [[PRESENT, PAST], [PRESENT, PAST], [FUTURE, PRESENT], [FUTURE, PRESENT]]


def test_types_same_length_compares_steps():
    assert temporal_types(3, 3).tolist() == [[PRESENT, PAST, PAST], [FUTURE, PRESENT, PAST], [FUTURE, FUTURE, PRESENT]]


def test_types_empty_modality():
    assert temporal_types(0, 4).shape == (0, 4)
    assert temporal_types(3, 0).shape == (3, 0)


def check_windows(n: int, m: int) -> None:
    windows = pseudo_align(n, m)
    starts, ends = windows[:, 0], windows[:, 1]
    assert bool((starts[1:] >= starts[:-1]).all()), (n, m)
    assert bool((ends[1:] >= ends[:-1]).all()), (n, m)
    assert bool((ends > starts).all()), (n, m)
    assert int(starts[0]) == 0, (n, m)
    assert int(ends[-1]) == m, (n, m)

    covered = torch.zeros(m, dtype=torch.bool)
    for start, end in windows.tolist():
        covered[start:end] = True
    assert bool(covered.all()), (n, m)


def check_types(source_length: int, target_length: int) -> None:
    types = temporal_types(source_length, target_length)
    reverse = temporal_types(target_length, source_length)
    assert torch.equal(types, 2 - reverse.t()), (source_length, target_length)

    # For every target, sources in step order run past, then present (at least one), then future.
    for column in types.t():
        assert bool((column[1:] >= column[:-1]).all()), (source_length, target_length)
        assert bool((column == PRESENT).any()), (source_length, target_length)
    for row in types:
        assert bool((row == PRESENT).any()), (source_length, target_length)


def test_windows_invariants_grid():
    for m in range(1, 41):
        for n in range(1, m + 1):
            check_windows(n, m)


def test_types_invariants_grid():
    for source_length in range(1, 16):
        for target_length in range(1, 16):
            check_types(source_length, target_length)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 600), st.data())
def test_windows_invariants_random(m, data):
    n = data.draw(st.integers(1, m))
    check_windows(n, m)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 80), st.integers(1, 80))
def test_types_invariants_random(source_length, target_length):
    check_types(source_length, target_length)


def test_counts_match_windows():
    for m in range(1, 30):
        for n in range(1, m + 1):
            windows = pseudo_align(n, m)
            position = torch.arange(m)
            ended, started = pseudo_align_counts(position, torch.full_like(position, n), torch.full_like(position, m))
            expected_ended = (windows[None, :, 1] <= position[:, None]).sum(1)
            expected_started = (windows[None, :, 0] <= position[:, None]).sum(1)
            assert torch.equal(ended, expected_ended), (n, m)
            assert torch.equal(started, expected_started), (n, m)
