"""Tests for the ``mosi-misa`` reader."""

import json
import pickle

import numpy as np
import pytest

from mtagbench.data import load_dataset
from mtagbench.data.readers.misa import SPLIT_VIDEOS, read_misa_pickle, video_id
from mtagbench.errors import ConfigError, DataError

VOCAB = {"<unk>": 0, "<pad>": 1, "good": 2, "movie": 3, "bad": 4, "plot": 5}
SMALL_SPLITS = {"train": ("vidA", "vidB"), "valid": ("vidC",), "test": ("vidD",)}


def make_record(words, segment_id, label=1.0, seed=0, vocab=VOCAB):
    rng = np.random.default_rng(seed)
    word_ids = np.array([vocab.get(word, 0) for word in words], dtype=np.int64)
    visual = rng.normal(size=(len(words), 3)).astype(np.float32)
    acoustic = rng.normal(size=(len(words), 2)).astype(np.float32)
    return (word_ids, visual, acoustic, list(words)), np.array([[label]], dtype=np.float32), segment_id


def make_records():
    return [
        make_record(["good", "movie"], "vidA[0]", 2.0, seed=1),
        make_record(["bad", "plot", "movie"], "vidA[1]", -1.5, seed=2),
        make_record(["good"], "vidB[0]", 0.5, seed=3),
        make_record(["unseenword", "movie"], "vidC[0]", 0.0, seed=4),
        make_record(["bad"], "vidD[3]", -3.0, seed=5),
    ]


def write_files(folder, records=None, table=None, vocab=None):
    folder.mkdir(parents=True, exist_ok=True)
    if table is None:
        table = np.arange(6 * 4, dtype=np.float32).reshape(6, 4)
    (folder / "dev.pkl").write_bytes(pickle.dumps(make_records() if records is None else records))
    np.save(folder / "glove_embeddings.npy", table)
    (folder / "vocab.json").write_text(json.dumps(VOCAB if vocab is None else vocab))
    return folder


def read_small(folder):
    return read_misa_pickle(folder, split_videos=SMALL_SPLITS)


def test_video_id():
    assert video_id("WKA5OygbEKI[12]") == "WKA5OygbEKI"
    assert video_id("_dI--eQ6qVU[0]") == "_dI--eQ6qVU"


def test_small_splits(tmp_path):
    dataset = read_small(write_files(tmp_path))

    assert [s.id for s in dataset.splits["train"]] == ["vidA[0]", "vidA[1]", "vidB[0]"]
    assert [s.id for s in dataset.splits["valid"]] == ["vidC[0]"]
    assert [s.id for s in dataset.splits["test"]] == ["vidD[3]"]


def test_small_features(tmp_path):
    dataset = read_small(write_files(tmp_path))

    sample = dataset.splits["train"][1]
    table = np.arange(24, dtype=np.float32).reshape(6, 4)
    np.testing.assert_array_equal(sample.features["text"], table[[4, 5, 3]])
    assert sample.features["audio"].shape == (3, 2)
    assert sample.features["vision"].shape == (3, 3)
    assert sample.words == ["bad", "plot", "movie"]
    assert sample.label.tolist() == [-1.5]
    assert sample.timestamps is None
    assert dataset.feature_sizes == {"text": 4, "audio": 2, "vision": 3}
    assert dataset.aligned is True


def test_unknown_word_uses_unk_row(tmp_path):
    dataset = read_small(write_files(tmp_path))

    sample = dataset.splits["valid"][0]
    assert sample.words == ["unseenword", "movie"]
    np.testing.assert_array_equal(sample.features["text"][0], np.arange(4, dtype=np.float32))


def test_word_id_out_of_range(tmp_path):
    records = make_records()
    (word_ids, visual, acoustic, words), label, segment_id = records[2]
    records[2] = (np.array([6], dtype=np.int64), visual, acoustic, words), label, segment_id
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    message = str(error.value)
    assert str(folder / "dev.pkl") in message
    assert "sample 2 (vidB[0])" in message
    assert "word id 6" in message


def test_visual_wrong_shape(tmp_path):
    records = make_records()
    (word_ids, visual, acoustic, words), label, segment_id = records[1]
    records[1] = (word_ids, visual[:, 0], acoustic, words), label, segment_id
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    message = str(error.value)
    assert "sample 1 (vidA[1])" in message
    assert "visual (vision)" in message
    assert "(3,)" in message


def test_acoustic_steps_mismatch(tmp_path):
    records = make_records()
    (word_ids, visual, acoustic, words), label, segment_id = records[0]
    records[0] = (word_ids, visual, acoustic[:1], words), label, segment_id
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert "acoustic (audio) has 1 steps but there are 2 word ids" in str(error.value)


def test_feature_size_changes(tmp_path):
    records = make_records()
    (word_ids, visual, acoustic, words), label, segment_id = records[3]
    records[3] = (word_ids, np.zeros((2, 5), dtype=np.float32), acoustic, words), label, segment_id
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert "sample 3" in str(error.value)
    assert "has 5 features, earlier samples have 3" in str(error.value)


def test_nan_in_visual(tmp_path):
    records = make_records()
    records[1][0][1][2, 0] = np.nan
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    message = str(error.value)
    assert str(folder / "dev.pkl") in message
    assert "sample 1 (vidA[1])" in message
    assert "vision" in message
    assert "step 2" in message


def test_label_wrong_shape(tmp_path):
    records = make_records()
    features, label, segment_id = records[4]
    records[4] = features, np.zeros((1, 2), dtype=np.float32), segment_id
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert "sample 4" in str(error.value)
    assert "label" in str(error.value)


def test_record_wrong_structure(tmp_path):
    records = make_records()
    records[0] = ("only", "two")
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert "sample 0" in str(error.value)
    assert "segment_id" in str(error.value)


def test_vocab_mismatch(tmp_path):
    vocab = dict(VOCAB, good=4, bad=2)
    folder = write_files(tmp_path, vocab=vocab)

    with pytest.raises(DataError) as error:
        read_small(folder)

    message = str(error.value)
    assert "4 of 9 words" in message
    assert "'good' has id 2 but vocab.json gives 4" in message


def test_vocab_id_outside_table(tmp_path):
    folder = write_files(tmp_path, vocab=dict(VOCAB, extra=6))

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert str(folder / "vocab.json") in str(error.value)
    assert "'extra'" in str(error.value)


def test_table_not_numeric(tmp_path):
    folder = write_files(tmp_path)
    np.save(folder / "glove_embeddings.npy", np.array(["a", "b"], dtype=object), allow_pickle=True)

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert str(folder / "glove_embeddings.npy") in str(error.value)


def test_unknown_video(tmp_path):
    records = make_records() + [make_record(["good"], "vidZ[0]", seed=9)]
    folder = write_files(tmp_path, records=records)

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert "['vidZ']" in str(error.value)


def test_empty_pickle(tmp_path):
    folder = write_files(tmp_path, records=[])

    with pytest.raises(DataError) as error:
        read_small(folder)

    assert "empty" in str(error.value)


def test_split_videos_overlap(tmp_path):
    folder = write_files(tmp_path)

    with pytest.raises(ConfigError) as error:
        read_misa_pickle(folder, split_videos={"train": ("vidA",), "valid": ("vidA",), "test": ()})

    assert "'vidA'" in str(error.value)


def test_missing_files_message(tmp_path):
    (tmp_path / "dev.pkl").write_bytes(b"")

    with pytest.raises(DataError) as error:
        load_dataset("mosi-misa", data_dir=tmp_path)

    message = str(error.value)
    assert "missing glove_embeddings.npy, vocab.json" in message
    assert "declare-lab/MISA" in message


def test_split_lists_disjoint():
    videos = [video for split in SPLIT_VIDEOS.values() for video in split]

    assert len(videos) == 10
    assert len(set(videos)) == 10
    assert [len(SPLIT_VIDEOS[split]) for split in ("train", "valid", "test")] == [6, 2, 2]


@pytest.fixture(scope="module")
def real_dataset(real_data_dir):
    return load_dataset("mosi-misa", data_dir=real_data_dir / "mosi-misa-dev")


def test_real_sample_counts(real_dataset):
    counts = {split: len(samples) for split, samples in real_dataset.splits.items()}

    assert counts == {"train": 139, "valid": 43, "test": 47}
    assert sum(counts.values()) == 229


def test_real_feature_sizes(real_dataset):
    assert real_dataset.feature_sizes == {"text": 300, "audio": 74, "vision": 47}
    assert real_dataset.aligned is True


def test_real_split_by_video(real_dataset):
    videos = {
        split: {video_id(sample.id) for sample in samples} for split, samples in real_dataset.splits.items()
    }

    for split, expected in SPLIT_VIDEOS.items():
        assert videos[split] == set(expected)
    assert not videos["train"] & videos["valid"]
    assert not videos["train"] & videos["test"]
    assert not videos["valid"] & videos["test"]


def test_real_first_sample(real_dataset):
    sample = real_dataset.splits["test"][0]

    assert sample.id == "WKA5OygbEKI[0]"
    assert len(sample.words) == 18
    assert sample.words[:4] == ["uh", "i", "really", "enjoyed"]
    assert sample.label.tolist() == pytest.approx([1.8])
    assert sample.length("text") == 18
    assert sample.length("audio") == 18
    assert sample.length("vision") == 18


def test_real_text_matches_vocab(real_data_dir, real_dataset):
    folder = real_data_dir / "mosi-misa-dev"
    table = np.load(folder / "glove_embeddings.npy")
    vocab = json.loads((folder / "vocab.json").read_text())

    for sample in real_dataset.splits["valid"]:
        rows = [vocab[word] for word in sample.words]
        np.testing.assert_array_equal(sample.features["text"], table[rows])


def test_real_label_stats(real_dataset):
    labels = {
        split: np.array([float(sample.label[0]) for sample in samples])
        for split, samples in real_dataset.splits.items()
    }

    assert (labels["train"] < 0).sum() == 54
    assert (labels["valid"] < 0).sum() == 18
    assert (labels["test"] < 0).sum() == 20
    assert labels["train"].mean() == pytest.approx(0.299, abs=1e-3)
    assert labels["valid"].mean() == pytest.approx(0.414, abs=1e-3)
    assert labels["test"].mean() == pytest.approx(0.246, abs=1e-3)
