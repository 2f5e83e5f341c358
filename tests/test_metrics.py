import math

import numpy as np
import pytest

from mtagbench.metrics import REGRESSION_METRICS, regression_metrics

PREDICTIONS = np.array([0.5, -0.5, 2.5, -2.6, 0.0, 1.49])
LABELS = np.array([0.4, 0.0, 3.0, -3.0, -0.2, 1.5])


def test_mae_hand_computed():
    assert regression_metrics(PREDICTIONS, LABELS)["mae"] == pytest.approx(1.71 / 6)


def test_acc7_rounds_half_to_even():
    # round(0.5) = 0, round(2.5) = 2, round(1.5) = 2: rows 2 and 5 disagree.
    assert regression_metrics(PREDICTIONS, LABELS)["acc7"] == pytest.approx(4 / 6)


def test_acc5_clips_at_two():
    # After clipping to [-2, 2], only row 5 (1 versus 2) disagrees.
    assert regression_metrics(PREDICTIONS, LABELS)["acc5"] == pytest.approx(5 / 6)


def test_acc2_nonnegative_counts_zero_as_positive():
    metrics = regression_metrics(PREDICTIONS, LABELS)
    # predicted >= 0: T F T F T T; labels >= 0: T T T F F T.
    assert metrics["acc2_nonnegative"] == pytest.approx(4 / 6)
    # Positive class: precision 3/4, recall 3/4; negative class: 1/2, 1/2; supports 4 and 2.
    assert metrics["f1_nonnegative"] == pytest.approx((4 * 0.75 + 2 * 0.5) / 6)


def test_acc2_nonzero_drops_zero_labels():
    metrics = regression_metrics(PREDICTIONS, LABELS)
    # Row 1 (label 0) is dropped; a prediction of exactly 0 counts as negative here.
    assert metrics["acc2_nonzero"] == pytest.approx(1.0)
    assert metrics["f1_nonzero"] == pytest.approx(1.0)


def test_corr_matches_definition():
    p, y = PREDICTIONS, LABELS
    expected = np.sum((p - p.mean()) * (y - y.mean())) / math.sqrt(
        np.sum((p - p.mean()) ** 2) * np.sum((y - y.mean()) ** 2)
    )
    assert regression_metrics(p, y)["corr"] == pytest.approx(expected)


def test_corr_of_constant_prediction_is_nan():
    metrics = regression_metrics(np.full(4, 0.3), np.array([1.0, -1.0, 2.0, 0.0]))
    assert math.isnan(metrics["corr"])
    assert metrics["mae"] == pytest.approx((0.7 + 1.3 + 1.7 + 0.3) / 4)


def test_nonzero_metrics_nan_when_all_labels_zero():
    metrics = regression_metrics(np.array([0.1, -0.1]), np.zeros(2))
    assert math.isnan(metrics["acc2_nonzero"])
    assert metrics["acc2_nonnegative"] == pytest.approx(0.5)


def test_metric_names_complete():
    assert tuple(regression_metrics(PREDICTIONS, LABELS)) == REGRESSION_METRICS


@pytest.mark.parametrize(
    "predictions, labels",
    [(np.array([1.0, np.nan]), np.zeros(2)), (np.zeros(3), np.zeros(2)), (np.zeros(0), np.zeros(0))],
)
def test_invalid_inputs_raise(predictions, labels):
    with pytest.raises(ValueError):
        regression_metrics(predictions, labels)
