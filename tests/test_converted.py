"""Converted format: round trip of every value, fingerprint check and malformed folders."""

import json

import numpy as np
import pytest

from mtagbench.data.converted import read_converted, write_converted
from mtagbench.data.readers.synthetic_iemocap import read_synthetic_iemocap
from mtagbench.data.registry import load_dataset
from mtagbench.data.sample import MultimodalDataset, Sample
from mtagbench.errors import ConfigError, DataError


def word_dataset():
    """A regression dataset with words, time stamps and one empty text modality."""
    def sample(index, words):
        text = np.full((len(words), 2), index, dtype=np.float32)
        audio = np.arange(6, dtype=np.float32).reshape(3, 2) + index
        return Sample(
            id=f"v[{index}]",
            features={"text": text, "audio": audio},
            label=np.array([index - 1.5], dtype=np.float32),
            timestamps={"text": np.arange(len(words) * 2, dtype=np.float64).reshape(-1, 2), "audio": np.zeros((3, 2))},
            words=list(words),
        )

    splits = {"train": [sample(0, ["a", "b"]), sample(1, [])], "valid": [sample(2, ["c"])], "test": [sample(3, ["d", "e", "f"])]}
    return MultimodalDataset(name="tiny", task="regression", splits=splits, feature_sizes={"text": 2, "audio": 2}, source="test")


@pytest.fixture
def converted(tmp_path):
    write_converted(word_dataset(), tmp_path / "tiny")
    return tmp_path / "tiny"


def test_round_trip_values(converted):
    original, restored = word_dataset(), read_converted(converted)
    for split in ("train", "valid", "test"):
        for before, after in zip(original.splits[split], restored.splits[split], strict=True):
            assert after.id == before.id
            assert after.words == before.words
            np.testing.assert_array_equal(after.label, before.label)
            for modality in ("text", "audio"):
                np.testing.assert_array_equal(after.features[modality], before.features[modality])
                np.testing.assert_array_equal(after.timestamps[modality], before.timestamps[modality])


def test_round_trip_empty_modality(converted):
    empty = read_converted(converted).splits["train"][1]
    assert empty.features["text"].shape == (0, 2)
    assert empty.words == []


def test_round_trip_metadata(converted):
    restored = read_converted(converted)
    assert restored.name == "tiny"
    assert restored.task == "regression"
    assert restored.feature_sizes == {"text": 2, "audio": 2}
    assert restored.fingerprint() == word_dataset().fingerprint()


def test_manifest_contents(converted):
    manifest = json.loads((converted / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["splits"]["train"]["ids"] == ["v[0]", "v[1]"]
    assert manifest["splits"]["valid"]["words"] == [["c"]]
    assert manifest["splits"]["test"]["timestamps"] == ["text", "audio"]
    assert manifest["fingerprint"] == word_dataset().fingerprint()


def test_arrays_without_pickle(converted):
    offsets = np.load(converted / "train" / "text.offsets.npy", allow_pickle=False)
    rows = np.load(converted / "train" / "text.npy", allow_pickle=False)
    assert offsets.tolist() == [0, 2, 2]
    assert rows.shape == (2, 2)


def test_multilabel_round_trip(tmp_path):
    dataset = read_synthetic_iemocap(data_seed=5, num_train=6, num_valid=2, num_test=2)
    write_converted(dataset, tmp_path / "iemocap")
    restored = read_converted(tmp_path / "iemocap")
    assert restored.task == "multilabel"
    assert restored.label_names == ("neutral", "happy", "sad", "angry")
    assert restored.fingerprint() == dataset.fingerprint()


def test_load_dataset_from_folder(converted):
    dataset = load_dataset(str(converted))
    assert len(dataset.splits["test"]) == 1


def test_load_dataset_folder_rejects_options(converted):
    with pytest.raises(ConfigError, match="takes no reader options"):
        load_dataset(str(converted), seed=1)


def test_tampered_array(converted):
    path = converted / "valid" / "audio.npy"
    rows = np.load(path)
    rows[0, 0] += 1
    np.save(path, rows)
    with pytest.raises(DataError, match="do not match the manifest fingerprint"):
        read_converted(converted)


def test_truncated_array(converted):
    path = converted / "train" / "audio.npy"
    path.write_bytes(path.read_bytes()[:90])
    with pytest.raises(DataError, match="audio.npy: cannot read the array"):
        read_converted(converted)


def test_missing_array(converted):
    (converted / "test" / "labels.npy").unlink()
    with pytest.raises(DataError, match="labels.npy: missing from the converted folder"):
        read_converted(converted)


def test_bad_offsets(converted):
    np.save(converted / "train" / "text.offsets.npy", np.array([0, 3, 2]))
    with pytest.raises(DataError, match="offsets must rise from 0"):
        read_converted(converted)


def test_object_array_rejected(converted):
    np.save(converted / "train" / "labels.npy", np.array([object(), object()], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="labels.npy: cannot read the array"):
        read_converted(converted)


def test_other_version(converted):
    manifest = json.loads((converted / "manifest.json").read_text())
    manifest["format_version"] = 99
    (converted / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="version 99 is not supported"):
        read_converted(converted)
