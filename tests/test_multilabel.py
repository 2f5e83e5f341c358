"""MultilabelTask: loss, class weights, predictions and per-emotion metrics on hand-worked values."""

import math

import numpy as np
import pytest
import torch

from mtagbench.errors import ConfigError, DataError
from mtagbench.multilabel import MultilabelTask
from mtagbench.tasks import create_task

# Four samples; one column per emotion (neutral, happy, sad, angry).
LABELS = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 1, 1]])
PREDICTIONS = np.array([[0, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 0], [0, 1, 1, 0]])


def test_metrics_hand_worked():
    results = MultilabelTask().metrics(PREDICTIONS, LABELS)

    # Neutral: truth 1,0,0,0, predicted all 0 (class 1 never predicted).
    # Class 0 F1 = 2 * (3/4 * 1) / (3/4 + 1) = 6/7 with support 3; class 1 F1 = 0 with support 1.
    assert results["acc_neutral"] == pytest.approx(0.75)
    assert results["f1_neutral"] == pytest.approx(0.75 * 6 / 7)
    # Happy: truth 1,1,0,0, predicted 1,0,0,1: each class has precision 1/2 and recall 1/2.
    assert results["acc_happy"] == pytest.approx(0.5)
    assert results["f1_happy"] == pytest.approx(0.5)
    # Sad: every prediction right.
    assert results["acc_sad"] == pytest.approx(1.0)
    assert results["f1_sad"] == pytest.approx(1.0)
    # Angry: every prediction wrong.
    assert results["acc_angry"] == pytest.approx(0.0)
    assert results["f1_angry"] == pytest.approx(0.0)


def test_metrics_means():
    results = MultilabelTask().metrics(PREDICTIONS, LABELS)

    assert results["acc_mean"] == pytest.approx((0.75 + 0.5 + 1.0 + 0.0) / 4)
    assert results["f1_mean"] == pytest.approx((0.75 * 6 / 7 + 0.5 + 1.0 + 0.0) / 4)


def test_metrics_always_no_model():
    truth = np.zeros((10, 4), dtype=int)
    truth[:3, 1] = 1
    results = MultilabelTask().metrics(np.zeros((10, 4), dtype=int), truth)

    # 70% accuracy on Happy for a model that always predicts absent; weighted F1 = 0.7 * F1(class 0) = 0.7 * 14/17.
    assert results["acc_happy"] == pytest.approx(0.7)
    assert results["f1_happy"] == pytest.approx(0.7 * (2 * 0.7 / 1.7))


def test_metrics_accept_one_hot_labels():
    one_hot = np.eye(2, dtype=int)[LABELS]
    assert MultilabelTask().metrics(PREDICTIONS, one_hot) == MultilabelTask().metrics(PREDICTIONS, LABELS)


def test_metrics_reject_non_binary():
    with pytest.raises(DataError, match="0 or 1"):
        MultilabelTask().metrics(PREDICTIONS, LABELS * 2)


def test_selection_metric():
    task = create_task("multilabel")
    assert isinstance(task, MultilabelTask)
    assert task.selection_metric == "f1_mean"
    assert task.lower_is_better is False


def test_output_dim():
    task = MultilabelTask()
    assert task.output_dim((4,)) == 8
    with pytest.raises(DataError, match=r"expects labels of shape \(4,\)"):
        task.output_dim((4, 2))


def test_loss_uniform_logits():
    loss = MultilabelTask().loss(torch.zeros(3, 8), torch.zeros(3, 4))
    assert loss.item() == pytest.approx(math.log(2))


def test_loss_matches_pairs():
    outputs = torch.tensor([[2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    labels = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
    # Neutral pair (2, 0), true class 0: -log softmax = log(1 + e^-2).
    # Happy pair (0, 1), true class 1: log(1 + e^-1). Sad and angry (0, 0): log 2 each.
    expected = (math.log1p(math.exp(-2)) + math.log1p(math.exp(-1)) + 2 * math.log(2)) / 4
    assert MultilabelTask().loss(outputs, labels).item() == pytest.approx(expected)


def test_class_weights_fit():
    train = np.array([[1, 0, 0, 1], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, 1]])
    weights = MultilabelTask(class_weights=True).fit_class_weights(train)

    assert weights.shape == (4, 2)
    assert weights[0].tolist() == pytest.approx([4 / 6, 4 / 2])  # neutral: 3 negatives, 1 positive
    assert weights[1].tolist() == pytest.approx([0.5, 0.0])  # happy: no positive, weight 0
    assert weights[2].tolist() == pytest.approx([1.0, 1.0])  # sad: balanced
    assert weights[3].tolist() == pytest.approx([4 / 2, 4 / 6])  # angry: 1 negative, 3 positives


def test_weighted_loss():
    task = MultilabelTask(class_weights=True)
    task.fit_class_weights(np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
    outputs = torch.tensor([[0.0, 3.0] + [0.0] * 6, [0.0] * 8])
    labels = torch.tensor([[1.0, 0, 0, 0], [0.0, 0, 0, 0]])

    # Neutral weights: class 0 -> 4/6, class 1 -> 2. Other labels: class 0 -> 0.5.
    neutral_pos = math.log1p(math.exp(-3))
    terms = [(2.0, neutral_pos), (0.5, math.log(2)), (0.5, math.log(2)), (0.5, math.log(2)),
             (4 / 6, math.log(2)), (0.5, math.log(2)), (0.5, math.log(2)), (0.5, math.log(2))]
    expected = sum(w * v for w, v in terms) / sum(w for w, _ in terms)
    assert task.loss(outputs, labels).item() == pytest.approx(expected, rel=1e-5)


def test_weighted_loss_needs_fit():
    with pytest.raises(ConfigError, match="fit_class_weights"):
        MultilabelTask(class_weights=True).loss(torch.zeros(1, 8), torch.zeros(1, 4))


def test_predictions_argmax():
    outputs = torch.tensor([[0.0, 1.0, 2.0, 1.0, -1.0, 0.0, 5.0, 6.0]])
    predictions = MultilabelTask().predictions(outputs)
    assert predictions.shape == (1, 4)
    assert predictions.tolist() == [[1, 0, 1, 1]]
