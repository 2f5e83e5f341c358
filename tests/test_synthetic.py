"""Tests for the ``synthetic-mosi`` generator."""

import numpy as np
import pytest

from mtagbench.data import load_dataset
from mtagbench.data.readers import synthetic
from mtagbench.data.readers.synthetic import generate_synthetic_layout, relative_time
from mtagbench.errors import ConfigError

SMALL = {"num_train": 40, "num_valid": 10, "num_test": 20}


@pytest.fixture(scope="module")
def default_dataset():
    return load_dataset("synthetic-mosi")


def test_default_sizes(default_dataset):
    counts = {split: len(samples) for split, samples in default_dataset.splits.items()}

    assert counts == {"train": 384, "valid": 96, "test": 192}
    assert default_dataset.feature_sizes == {"text": 300, "audio": 5, "vision": 20}
    assert default_dataset.aligned is False
    assert default_dataset.task == "regression"


def test_same_seed_identical():
    first = load_dataset("synthetic-mosi", data_seed=5, **SMALL)
    second = load_dataset("synthetic-mosi", data_seed=5, **SMALL)

    assert first.fingerprint() == second.fingerprint()


def test_different_seed_differs():
    first = load_dataset("synthetic-mosi", data_seed=5, **SMALL)
    second = load_dataset("synthetic-mosi", data_seed=6, **SMALL)

    assert first.fingerprint() != second.fingerprint()


def test_splits_independent_of_train_size():
    small = load_dataset("synthetic-mosi", data_seed=2, num_train=10, num_valid=10, num_test=20)
    large = load_dataset("synthetic-mosi", data_seed=2, num_train=30, num_valid=10, num_test=20)

    for split in ("valid", "test"):
        for a, b in zip(small.splits[split], large.splits[split], strict=True):
            assert a.id == b.id
            np.testing.assert_array_equal(a.features["vision"], b.features["vision"])
            np.testing.assert_array_equal(a.label, b.label)


def test_options_from_strings():
    dataset = load_dataset("synthetic-mosi", data_seed="3", num_train="4", num_valid="2", num_test="2")

    assert len(dataset.splits["train"]) == 4
    assert dataset.source == "synthetic-mosi generator, seed 3, 4/2/2 train/valid/test samples"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"data_seed": -1}, "data_seed must be at least 0"),
        ({"num_train": 0}, "num_train must be at least 1"),
        ({"num_test": "many"}, "num_test must be an integer"),
        ({"num_valid": 2.5}, "num_valid must be an integer"),
        ({"sead": 1}, "no option sead"),
    ],
)
def test_invalid_options(options, fragment):
    with pytest.raises(ConfigError) as error:
        load_dataset("synthetic-mosi", **options)

    assert fragment in str(error.value)


def test_lengths_in_ranges(default_dataset):
    for modality, (low, high) in synthetic.LENGTH_RANGES.items():
        lengths = np.array([s.length(modality) for s in default_dataset.splits["train"]])
        assert lengths.min() >= low
        assert lengths.max() <= high
        assert len(set(lengths.tolist())) > 5


def test_padding_round_trip():
    _, lengths = generate_synthetic_layout(seed=4, **SMALL)
    dataset = load_dataset("synthetic-mosi", data_seed=4, **SMALL)

    for split, samples in dataset.splits.items():
        for modality in ("text", "audio", "vision"):
            read = [s.length(modality) for s in samples]
            assert read == lengths[split][modality].tolist()


def test_silent_audio_frames_kept(default_dataset):
    silent_rows = [
        int((~sample.features["audio"].any(axis=1)).sum()) for sample in default_dataset.splits["train"]
    ]
    first_rows_silent = [not sample.features["audio"][0].any() for sample in default_dataset.splits["train"]]

    assert sum(silent_rows) > 0
    assert not any(first_rows_silent)


def test_labels_in_range(default_dataset):
    labels = np.array([float(s.label[0]) for s in default_dataset.splits["train"]])

    assert labels.min() >= -3.0
    assert labels.max() <= 3.0
    assert (labels > 0).mean() == pytest.approx(0.5, abs=0.1)


def test_relative_time():
    assert relative_time(0, 4) == pytest.approx(0.125)
    assert relative_time(3, 4) == pytest.approx(0.875)


def decode(sample):
    """Read the generator's latent variables back from a sample's features."""
    text = sample.features["text"]
    audio = sample.features["audio"]
    vision = sample.features["vision"]

    polarity = float(text[:, synthetic.POLARITY_FEATURE].mean())
    cue_time = float(relative_time(np.argmax(text[:, synthetic.CUE_FEATURE]), len(text)))
    response_time = float(relative_time(np.argmax(vision[:, synthetic.RESPONSE_FEATURE]), len(vision)))
    sign = 1.0 if abs(cue_time - response_time) <= synthetic.CO_OCCURRENCE_WINDOW else -1.0
    voiced = audio[audio.any(axis=1)]
    arousal = float(voiced[:, synthetic.AROUSAL_FEATURE].mean())
    return polarity, cue_time, sign, arousal


def decoded_split(dataset, split):
    latents = np.array([decode(sample) for sample in dataset.splits[split]])
    labels = np.array([float(sample.label[0]) for sample in dataset.splits[split]])
    return latents, labels


def binned_median_mae(train_keys, train_labels, test_keys, test_labels, bins):
    """MAE on test of the per-bin median of the train labels, binning each key column by quantiles."""

    def codes(keys, edges):
        return tuple(np.digitize(keys[:, column], edges[column]) for column in range(keys.shape[1]))

    quantiles = np.linspace(0, 1, bins + 1)[1:-1]
    edges = [np.quantile(train_keys[:, column], quantiles) for column in range(train_keys.shape[1])]
    train_codes = list(zip(*codes(train_keys, edges), strict=True))
    test_codes = list(zip(*codes(test_keys, edges), strict=True))
    fallback = float(np.median(train_labels))
    medians = {
        code: float(np.median([y for c, y in zip(train_codes, train_labels, strict=True) if c == code]))
        for code in set(train_codes)
    }
    predictions = np.array([medians.get(code, fallback) for code in test_codes])
    return float(np.abs(predictions - test_labels).mean())


def ridge_text_mae(dataset):
    """MAE on test of ridge regression on mean- and max-pooled text features."""

    def pooled(split):
        rows = [
            np.concatenate([s.features["text"].mean(0), s.features["text"].max(0), [1.0]])
            for s in dataset.splits[split]
        ]
        return np.array(rows, dtype=np.float64)

    train, test = pooled("train"), pooled("test")
    train_labels = np.array([float(s.label[0]) for s in dataset.splits["train"]])
    test_labels = np.array([float(s.label[0]) for s in dataset.splits["test"]])
    weights = np.linalg.solve(train.T @ train + np.eye(train.shape[1]), train.T @ train_labels)
    return float(np.abs(test @ weights - test_labels).mean())


def test_label_needs_all_modalities(default_dataset):
    train_latents, train_labels = decoded_split(default_dataset, "train")
    test_latents, test_labels = decoded_split(default_dataset, "test")

    polarity, sign, arousal = test_latents[:, 0], test_latents[:, 2], test_latents[:, 3]
    oracle = np.clip(polarity + synthetic.RESPONSE_GAIN * arousal * sign, -3, 3)
    oracle_mae = float(np.abs(oracle - test_labels).mean())

    text_only_maes = {
        "median": float(np.abs(np.median(train_labels) - test_labels).mean()),
        "polarity bins": binned_median_mae(
            train_latents[:, :1], train_labels, test_latents[:, :1], test_labels, 12
        ),
        "polarity and cue bins": binned_median_mae(
            train_latents[:, :2], train_labels, test_latents[:, :2], test_labels, 4
        ),
        "ridge on pooled text": ridge_text_mae(default_dataset),
    }
    best_text_only = min(text_only_maes.values())

    assert oracle_mae < 0.25
    assert best_text_only > 1.0, text_only_maes
    assert oracle_mae < best_text_only / 4, (oracle_mae, text_only_maes)
