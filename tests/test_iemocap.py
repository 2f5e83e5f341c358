import pickle

import numpy as np
import pytest

from mtagbench.data import load_dataset
from mtagbench.errors import DataError


def write_iemocap(path, labels):
    rng = np.random.default_rng(0)
    split = {
        "text": np.concatenate([np.zeros((2, 3, 300)), rng.normal(size=(2, 5, 300))], axis=1).astype(np.float32),
        "audio": rng.normal(size=(2, 10, 74)).astype(np.float32),
        "vision": rng.normal(size=(2, 7, 35)).astype(np.float32),
        "labels": labels,
    }
    path.write_bytes(pickle.dumps({"train": split, "valid": split, "test": split}))


def one_hot(present):
    labels = np.zeros((len(present), 4, 2), dtype=np.float32)
    for row, flags in enumerate(present):
        for emotion, flag in enumerate(flags):
            labels[row, emotion, flag] = 1
    return labels


def test_iemocap_labels_and_sizes(tmp_path):
    write_iemocap(tmp_path / "iemocap_data_noalign.pkl", one_hot([(0, 1, 0, 0), (1, 0, 0, 1)]))
    dataset = load_dataset("iemocap", tmp_path)

    assert dataset.task == "multilabel"
    assert dataset.label_names == ("neutral", "happy", "sad", "angry")
    assert dataset.feature_sizes == {"text": 300, "audio": 74, "vision": 35}
    first, second = dataset.splits["train"]
    assert first.label.tolist() == [0, 1, 0, 0]
    assert second.label.tolist() == [1, 0, 0, 1]
    assert first.length("text") == 5
    assert first.length("audio") == 10


def test_iemocap_wrong_label_shape(tmp_path):
    write_iemocap(tmp_path / "iemocap_data_noalign.pkl", np.zeros((2, 1, 1), dtype=np.float32))
    with pytest.raises(DataError, match=r"expected \(N, 4, 2\)"):
        load_dataset("iemocap", tmp_path)


def test_iemocap_pair_not_one_hot(tmp_path):
    labels = one_hot([(0, 1, 0, 0), (1, 0, 0, 1)])
    labels[1, 2] = [1, 1]
    write_iemocap(tmp_path / "iemocap_data_noalign.pkl", labels)
    with pytest.raises(DataError, match="not one-hot"):
        load_dataset("iemocap", tmp_path)


def test_iemocap_missing_file_lists_name(tmp_path):
    with pytest.raises(DataError, match="iemocap_data_noalign.pkl"):
        load_dataset("iemocap", tmp_path)
