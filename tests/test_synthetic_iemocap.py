"""synthetic-iemocap: determinism, sizes, label balance and the cross-modal rule behind the labels."""

import numpy as np
import pytest

from mtagbench.data.readers.synthetic_iemocap import EMOTIONS, _emotion_cues, read_synthetic_iemocap
from mtagbench.data.registry import load_dataset
from mtagbench.errors import ConfigError

SMALL = {"num_train": 40, "num_valid": 10, "num_test": 10}

# Fingerprint of the default dataset (seed 0, 512 / 128 / 128); it changes only if the generator changes.
DEFAULT_FINGERPRINT = "20f4984e3d54a0bc67612e57b7ebbde646fd5f35bda7e527034f9f251b09e354"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset("synthetic-iemocap", data_seed=3, num_train=400, num_valid=10, num_test=10)


def test_default_fingerprint():
    assert load_dataset("synthetic-iemocap").fingerprint() == DEFAULT_FINGERPRINT


def test_same_seed_same_data():
    assert read_synthetic_iemocap(data_seed=1, **SMALL).fingerprint() == read_synthetic_iemocap(data_seed=1, **SMALL).fingerprint()


def test_other_seed_other_data():
    assert read_synthetic_iemocap(data_seed=1, **SMALL).fingerprint() != read_synthetic_iemocap(data_seed=2, **SMALL).fingerprint()


def test_split_sizes():
    dataset = read_synthetic_iemocap(num_train=7, num_valid=5, num_test=3)
    assert [len(dataset.splits[s]) for s in ("train", "valid", "test")] == [7, 5, 3]


def test_feature_sizes(dataset):
    assert dataset.feature_sizes == {"text": 300, "audio": 74, "vision": 35}
    assert dataset.task == "multilabel"
    assert dataset.label_names == ("neutral", "happy", "sad", "angry")


def test_lengths_unaligned(dataset):
    samples = dataset.splits["train"]
    text = np.array([s.length("text") for s in samples])
    audio = np.array([s.length("audio") for s in samples])
    vision = np.array([s.length("vision") for s in samples])

    assert text.min() >= 4
    assert text.max() <= 12
    assert audio.max() <= 80
    assert (audio != text).mean() > 0.9
    assert (vision != audio).mean() > 0.9
    assert len(set(text.tolist())) > 3


def test_timestamps_match_lengths(dataset):
    sample = dataset.splits["train"][0]
    for modality in dataset.modalities:
        assert sample.timestamps[modality].shape == (sample.length(modality), 2)


def test_labels_one_hot(dataset):
    labels = np.stack([s.label for s in dataset.splits["train"]])
    assert labels.shape == (400, 4)
    assert set(np.unique(labels).tolist()) == {0.0, 1.0}
    assert (labels.sum(axis=1) == 1).all()


def test_label_balance_like_iemocap():
    dataset = read_synthetic_iemocap(data_seed=0, num_train=2717, num_valid=1, num_test=1)
    positives = np.stack([s.label for s in dataset.splits["train"]]).sum(axis=0)
    real = np.array([735, 954, 338, 690])  # neutral, happy, sad, angry in the real training split
    assert np.abs(positives - real).max() < 60


def _scores(sample, cues, modalities):
    """Per emotion, the strongest cue over text words that co-occurs in the given frame modalities."""
    text = sample.features["text"] @ cues["text"].T
    scores = np.full(len(EMOTIONS), -np.inf)
    for word, (start, end) in enumerate(sample.timestamps["text"]):
        word_score = text[word].copy()
        for modality in modalities:
            stamps = sample.timestamps[modality]
            overlap = (stamps[:, 0] <= end) & (stamps[:, 1] >= start)
            frame = (sample.features[modality][overlap] @ cues[modality].T).max(axis=0)
            word_score = np.minimum(word_score, frame)
        scores = np.maximum(scores, word_score)
    return scores


def test_cross_modal_rule_recovers_labels(dataset):
    cues = _emotion_cues(np.random.default_rng([3, 0]))
    samples = dataset.splits["train"]
    truth = np.array([int(s.label.argmax()) for s in samples])
    cross_modal = np.array([int(_scores(s, cues, ("audio", "vision")).argmax()) for s in samples])
    text_only = np.array([int(_scores(s, cues, ()).argmax()) for s in samples])

    assert (cross_modal == truth).mean() > 0.95
    assert (text_only == truth).mean() < 0.75


def test_rejects_empty_split():
    with pytest.raises(ConfigError, match="num_valid must be at least 1"):
        read_synthetic_iemocap(num_valid=0)
