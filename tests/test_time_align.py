"""temporal_types_from_times: the past / present / future rule on hand-worked intervals."""

import numpy as np
import pytest
import torch

from mtagbench.graph.time_align import FUTURE, PAST, PRESENT, temporal_types_from_times


def tau(source, target):
    return int(temporal_types_from_times(np.array([source], float), np.array([target], float))[0, 0])


def test_overlap_present():
    assert tau([0, 2], [1, 3]) == PRESENT


def test_containment_present():
    assert tau([0, 10], [3, 4]) == PRESENT
    assert tau([3, 4], [0, 10]) == PRESENT


def test_disjoint_past_future():
    assert tau([0, 1], [2, 3]) == PAST
    assert tau([2, 3], [0, 1]) == FUTURE


def test_touching_not_present():
    assert tau([0, 1], [1, 2]) == PAST
    assert tau([1, 2], [0, 1]) == FUTURE


def test_point_inside_present():
    assert tau([1, 1], [0, 2]) == PRESENT
    assert tau([0, 2], [1, 1]) == PRESENT


def test_point_at_boundary_present():
    assert tau([2, 2], [0, 2]) == PRESENT
    assert tau([0, 0], [0, 2]) == PRESENT


def test_point_outside():
    assert tau([3, 3], [0, 2]) == FUTURE
    assert tau([-1, -1], [0, 2]) == PAST


def test_two_points():
    assert tau([1, 1], [1, 1]) == PRESENT
    assert tau([1, 1], [2, 2]) == PAST
    assert tau([2, 2], [1, 1]) == FUTURE


def test_matrix_shape_and_values():
    source = torch.tensor([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    target = torch.tensor([[0.5, 1.5], [2.5, 2.5]])
    types = temporal_types_from_times(source, target)

    assert types.dtype == torch.long
    assert types.shape == (3, 2)
    assert types.tolist() == [[PRESENT, PAST], [PRESENT, PAST], [FUTURE, PRESENT]]


def test_swap_mirrors_types():
    rng = np.random.default_rng(0)
    starts = rng.integers(0, 6, size=(40, 1))
    intervals = np.concatenate([starts, starts + rng.integers(0, 3, size=(40, 1))], axis=1).astype(float)
    forward = temporal_types_from_times(intervals[:20], intervals[20:])
    backward = temporal_types_from_times(intervals[20:], intervals[:20])
    assert torch.equal(forward, 2 - backward.T)


def test_empty_inputs():
    types = temporal_types_from_times(np.zeros((0, 2)), np.array([[0.0, 1.0]]))
    assert types.shape == (0, 1)


def test_rejects_reversed_interval():
    with pytest.raises(ValueError, match="row 1 ends before it starts"):
        temporal_types_from_times(np.array([[0.0, 1.0], [3.0, 2.0]]), np.array([[0.0, 1.0]]))


def test_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        temporal_types_from_times(np.array([[np.nan, 1.0]]), np.array([[0.0, 1.0]]))


def test_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        temporal_types_from_times(np.zeros((3, 3)), np.zeros((1, 2)))
