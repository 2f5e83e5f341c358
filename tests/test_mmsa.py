"""MMSA pickle reader: values, lengths and masks, and the errors for malformed files."""

import pickle

import numpy as np
import pytest

from mtagbench.data.checksums import describe_known_file
from mtagbench.data.readers.mmsa import read_mmsa_pickle
from mtagbench.data.registry import load_dataset
from mtagbench.data.sample import collate
from mtagbench.errors import DataError

SIZES = {"train": 3, "valid": 2, "test": 2}
TEXT_LEN, AUDIO_LEN, VISION_LEN = 6, 5, 4


def make_split(count, seed, text_bert=True):
    rng = np.random.default_rng(seed)
    audio_lengths = rng.integers(0, AUDIO_LEN + 1, size=count)
    audio_lengths[0] = AUDIO_LEN
    split = {
        "raw_text": np.array([f"sentence {i}" for i in range(count)]),
        # Values everywhere, including past each length, as in real MMSA files.
        "text": rng.standard_normal((count, TEXT_LEN, 768)).astype(np.float32),
        "audio": rng.standard_normal((count, AUDIO_LEN, 5)).astype(np.float32),
        "vision": rng.standard_normal((count, VISION_LEN, 20)).astype(np.float32),
        "audio_lengths": audio_lengths,
        "vision_lengths": rng.integers(1, VISION_LEN + 1, size=count),
        "regression_labels": rng.uniform(-3, 3, size=count).astype(np.float32),
        "id": np.array([f"video{seed}$_${i}" for i in range(count)]),
    }
    if text_bert:
        mask = np.zeros((count, TEXT_LEN), dtype=np.int64)
        for row in range(count):
            mask[row, : 2 + row] = 1
        split["text_bert"] = np.stack([rng.integers(100, 200, (count, TEXT_LEN)), mask, np.zeros_like(mask)], axis=1)
    return split


def write(path, content):
    with open(path, "wb") as handle:
        pickle.dump(content, handle)
    return path


@pytest.fixture
def content():
    return {split: make_split(count, seed) for seed, (split, count) in enumerate(SIZES.items())}


@pytest.fixture
def mmsa_file(tmp_path, content):
    return write(tmp_path / "unaligned_50.pkl", content)


def test_split_sizes(mmsa_file):
    dataset = read_mmsa_pickle(mmsa_file, "mosi-mmsa")
    assert {s: len(v) for s, v in dataset.splits.items()} == SIZES
    assert dataset.feature_sizes == {"text": 768, "audio": 5, "vision": 20}


def test_values_cut_at_lengths(mmsa_file, content):
    dataset = read_mmsa_pickle(mmsa_file, "mosi-mmsa")
    for split, samples in dataset.splits.items():
        raw = content[split]
        for row, sample in enumerate(samples):
            text_length = int(raw["text_bert"][row, 1].sum())
            assert sample.id == raw["id"][row]
            assert sample.length("text") == text_length == 2 + row
            np.testing.assert_array_equal(sample.features["text"], raw["text"][row, :text_length])
            np.testing.assert_array_equal(sample.features["audio"], raw["audio"][row, : raw["audio_lengths"][row]])
            np.testing.assert_array_equal(sample.features["vision"], raw["vision"][row, : raw["vision_lengths"][row]])
            assert sample.label.tolist() == [pytest.approx(float(raw["regression_labels"][row]))]


def test_masks_from_lengths(mmsa_file, content):
    batch = collate(read_mmsa_pickle(mmsa_file, "mosi-mmsa").splits["train"])
    expected = np.arange(AUDIO_LEN)[None, :] < content["train"]["audio_lengths"][:, None]
    np.testing.assert_array_equal(batch.masks["audio"].numpy(), expected)
    assert batch.masks["text"].sum(dim=1).tolist() == [2, 3, 4]


def test_text_full_length_without_text_bert(tmp_path, content):
    for split in content.values():
        del split["text_bert"]
    dataset = read_mmsa_pickle(write(tmp_path / "u.pkl", content), "mosi-mmsa")
    assert {s.length("text") for s in dataset.splits["train"]} == {TEXT_LEN}


def test_load_dataset_by_name(mmsa_file):
    dataset = load_dataset("mosi-mmsa", mmsa_file.parent)
    assert dataset.name == "mosi-mmsa"
    assert len(dataset.splits["test"]) == 2


def test_known_checksum():
    sha = "78e0f8b5ef8ff71558e7307848fc1fa929ecb078203f565ab22b9daab2e02524"
    assert "MMSA" in describe_known_file(sha)
    assert describe_known_file("0" * 64) is None


def test_truncated_file(tmp_path, mmsa_file):
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(mmsa_file.read_bytes()[:500])
    with pytest.raises(DataError, match="truncated.pkl"):
        read_mmsa_pickle(truncated, "mosi-mmsa")


def test_missing_key(tmp_path, content):
    del content["valid"]["audio_lengths"]
    with pytest.raises(DataError, match=r"split 'valid' lacks the keys \['audio_lengths'\]"):
        read_mmsa_pickle(write(tmp_path / "u.pkl", content), "mosi-mmsa")


def test_missing_split(tmp_path, content):
    del content["test"]
    with pytest.raises(DataError, match="split 'test' is missing"):
        read_mmsa_pickle(write(tmp_path / "u.pkl", content), "mosi-mmsa")


def test_mismatched_lengths(tmp_path, content):
    content["train"]["vision_lengths"] = content["train"]["vision_lengths"][:2]
    with pytest.raises(DataError, match="3 samples but 2 vision lengths"):
        read_mmsa_pickle(write(tmp_path / "u.pkl", content), "mosi-mmsa")


def test_length_out_of_range(tmp_path, content):
    content["train"]["audio_lengths"][1] = AUDIO_LEN + 1
    with pytest.raises(DataError, match=r"audio length 6, outside 0..5"):
        read_mmsa_pickle(write(tmp_path / "u.pkl", content), "mosi-mmsa")


def test_label_wrong_shape(tmp_path, content):
    content["train"]["regression_labels"] = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(DataError, match=r"regression_labels have shape \(3, 2\), expected \(3,\)"):
        read_mmsa_pickle(write(tmp_path / "u.pkl", content), "mosi-mmsa")


def test_nan_rejected_by_validation(tmp_path, content):
    content["test"]["audio"][0, 0, 0] = np.nan
    write(tmp_path / "unaligned_50.pkl", content)
    with pytest.raises(DataError, match="NaN or inf"):
        load_dataset("mosi-mmsa", tmp_path)
