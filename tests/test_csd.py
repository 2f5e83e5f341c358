"""CMU-MultimodalSDK .csd reader and the mosi-csd dataset on small files written with h5py."""

import json

import h5py
import numpy as np
import pytest

from mtagbench.data.readers.csd import load_mosi_csd, read_csd
from mtagbench.data.registry import load_dataset
from mtagbench.errors import ConfigError, DataError

VOCAB = {"<unk>": 0, "<pad>": 1, "good": 2, "movie": 3, "bad": 4}
EMBEDDINGS = np.arange(5 * 3, dtype=np.float32).reshape(5, 3)

# Three videos: segment intervals with their labels, and word rows (sp marks silence).
LABELS = {
    "vidA": ([[0.0, 2.0], [2.0, 4.0], [4.0, 5.0]], [[1.5], [-2.0], [0.0]]),
    "vidB": ([[10.0, 12.0]], [[3.0]]),
    "vidC": ([[0.0, 1.0]], [[-1.0]]),
}
WORDS = {
    # In vidA, segment 0 has 'good', 'sp' and the unknown 'zzz', segment 1 has 'bad', and segment 2 only 'sp'.
    "vidA": ([[0.0, 0.5], [0.5, 1.0], [1.0, 1.9], [2.0, 3.0], [4.2, 4.8]], [b"good", b"sp", b"zzz", b"bad", b"sp"]),
    "vidB": ([[10.1, 10.5], [10.5, 11.0], [11.5, 12.5]], [b"movie", b"good", b"bad"]),
    "vidC": ([[0.2, 0.4]], [b"movie"]),
}
FOLDS = {"train": ["vidA"], "valid": ["vidB"], "test": ["vidC"]}


def write_csd(path, root, data, dtype=None):
    with h5py.File(path, "w") as handle:
        group = handle.create_group(root)
        for video, (intervals, features) in data.items():
            video_group = group.create_group("data").create_group(video) if "data" not in group else group["data"].create_group(video)
            video_group["intervals"] = np.asarray(intervals, dtype=np.float64)
            video_group["features"] = np.asarray(features, dtype=dtype) if dtype else np.asarray(features).reshape(len(features), -1)
        group.create_group("metadata")["root name"] = np.array([root.encode()])
    return path


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "mosi-csd"
    folder.mkdir()
    write_csd(folder / "CMU_MOSI_Opinion_Labels.csd", "Opinion Segment Labels", {
        video: (intervals, np.asarray(labels, dtype=np.float32)) for video, (intervals, labels) in LABELS.items()
    })
    write_csd(folder / "CMU_MOSI_ModifiedTimestampedWords.csd", "Some Other Root", {
        video: (intervals, np.asarray(words, dtype="S12").reshape(-1, 1)) for video, (intervals, words) in WORDS.items()
    })
    (folder / "standard_folds.json").write_text(json.dumps(FOLDS))
    embedding_dir = tmp_path / "glove"
    embedding_dir.mkdir()
    np.save(embedding_dir / "glove_embeddings.npy", EMBEDDINGS)
    (embedding_dir / "vocab.json").write_text(json.dumps(VOCAB))
    return folder


def test_root_name_read_from_file(data_dir):
    assert read_csd(data_dir / "CMU_MOSI_ModifiedTimestampedWords.csd").root == "Some Other Root"
    assert read_csd(data_dir / "CMU_MOSI_Opinion_Labels.csd").root == "Opinion Segment Labels"


def test_segments_and_folds(data_dir):
    dataset, _ = load_mosi_csd(data_dir)
    assert [s.id for s in dataset.splits["train"]] == ["vidA[0]", "vidA[1]", "vidA[2]"]
    assert [s.id for s in dataset.splits["valid"]] == ["vidB[0]"]
    assert [s.id for s in dataset.splits["test"]] == ["vidC[0]"]
    assert [float(s.label[0]) for s in dataset.splits["train"]] == [1.5, -2.0, 0.0]


def test_words_and_vectors(data_dir):
    dataset, _ = load_mosi_csd(data_dir)
    first = dataset.splits["train"][0]
    assert first.words == ["good", "zzz"]
    np.testing.assert_array_equal(first.features["text"], EMBEDDINGS[[2, 0]])
    np.testing.assert_array_equal(first.timestamps["text"], [[0.0, 0.5], [1.0, 1.9]])


def test_row_outside_segment_dropped(data_dir):
    dataset, _ = load_mosi_csd(data_dir)
    # vidB's 'bad' ends at 12.5, after the segment's end at 12.0.
    assert dataset.splits["valid"][0].words == ["movie", "good"]


def test_empty_modality_kept(data_dir):
    dataset, stats = load_mosi_csd(data_dir)
    empty = dataset.splits["train"][2]
    assert empty.features["text"].shape == (0, 3)
    assert empty.timestamps["text"].shape == (0, 2)
    assert empty.words == []
    assert stats.empty_segments == ["vidA[2]"]


def test_word_counts(data_dir):
    _, stats = load_mosi_csd(data_dir)
    assert stats.words == 6
    assert stats.silences == 2
    assert stats.unknown == 1
    assert dict(stats.unknown_types) == {"zzz": 1}


def test_extra_modality(data_dir, tmp_path):
    audio = {
        "vidA": ([[0.0, 1.0], [1.0, 2.5], [2.5, 3.0], [4.0, 5.0]], np.arange(8, dtype=np.float32).reshape(4, 2)),
        "vidB": ([[10.0, 11.0]], np.array([[9.0, 9.5]], dtype=np.float32)),
        "vidC": ([[5.0, 6.0]], np.array([[1.0, 1.0]], dtype=np.float32)),
    }
    path = write_csd(tmp_path / "covarep.csd", "COVAREP", audio)
    dataset, _ = load_mosi_csd(data_dir, csd=(f"audio={path}",))
    train = dataset.splits["train"]

    assert dataset.feature_sizes == {"text": 3, "audio": 2}
    np.testing.assert_array_equal(train[0].features["audio"], [[0.0, 1.0]])
    np.testing.assert_array_equal(train[1].features["audio"], [[4.0, 5.0]])
    np.testing.assert_array_equal(train[1].timestamps["audio"], [[2.5, 3.0]])
    np.testing.assert_array_equal(train[2].features["audio"], [[6.0, 7.0]])
    assert dataset.splits["test"][0].features["audio"].shape == (0, 2)


def test_load_dataset_options(data_dir):
    embeddings = data_dir.parent / "glove" / "glove_embeddings.npy"
    vocab = data_dir.parent / "glove" / "vocab.json"
    dataset = load_dataset("mosi-csd", data_dir, embeddings=str(embeddings), vocab=str(vocab))
    assert len(dataset.splits["train"]) == 3


def test_embedding_table_missing(data_dir):
    for file in (data_dir.parent / "glove").iterdir():
        file.unlink()
    with pytest.raises(DataError, match="Pass --embeddings PATH --vocab PATH"):
        load_mosi_csd(data_dir)


def test_embedding_options_together(data_dir):
    with pytest.raises(ConfigError, match="both --embeddings PATH and --vocab PATH"):
        load_mosi_csd(data_dir, embeddings="x.npy")


def test_invalid_csd_option(data_dir):
    with pytest.raises(ConfigError, match="expected MODALITY=PATH"):
        load_mosi_csd(data_dir, csd=("covarep.csd",))


def test_truncated_file(data_dir):
    path = data_dir / "CMU_MOSI_Opinion_Labels.csd"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match="cannot be read as HDF5"):
        load_mosi_csd(data_dir)


def test_missing_intervals(tmp_path):
    path = tmp_path / "broken.csd"
    with h5py.File(path, "w") as handle:
        handle.create_group("root/data/vidA")["features"] = np.zeros((2, 1))
    with pytest.raises(DataError, match="video 'vidA' has no 'intervals' dataset"):
        read_csd(path)


def test_mismatched_rows(tmp_path):
    path = write_csd(tmp_path / "bad.csd", "root", {"vidA": ([[0.0, 1.0], [1.0, 2.0]], np.zeros((3, 1)))})
    with pytest.raises(DataError, match=r"features of shape \(3, 1\) but 2 intervals"):
        read_csd(path)


def test_label_wrong_shape(data_dir):
    write_csd(data_dir / "CMU_MOSI_Opinion_Labels.csd", "labels", {
        video: (intervals, np.zeros((len(intervals), 2), dtype=np.float32)) for video, (intervals, _) in LABELS.items()
    })
    with pytest.raises(DataError, match=r"labels have shape \(3, 2\)"):
        load_mosi_csd(data_dir)


def test_fold_video_missing(data_dir):
    (data_dir / "standard_folds.json").write_text(json.dumps({**FOLDS, "test": ["vidZ"]}))
    with pytest.raises(DataError, match="video 'vidZ' of the 'test' fold is missing"):
        load_mosi_csd(data_dir)


def test_video_in_two_folds(data_dir):
    (data_dir / "standard_folds.json").write_text(json.dumps({**FOLDS, "test": ["vidA"]}))
    with pytest.raises(DataError, match="in both the 'train' and 'test' folds"):
        load_mosi_csd(data_dir)


def test_real_mosi_csd(real_data_dir):
    dataset, stats = load_mosi_csd(real_data_dir / "mosi-csd")
    counts = {split: len(samples) for split, samples in dataset.splits.items()}
    videos = {split: len({s.id.rsplit("[", 1)[0] for s in samples}) for split, samples in dataset.splits.items()}

    assert counts == {"train": 1284, "valid": 229, "test": 686}
    assert videos == {"train": 52, "valid": 10, "test": 31}
    assert stats.words == 27461
    assert len(stats.empty_segments) == 2
    assert stats.unknown_types["wasnt"] > 0
    assert len(stats.unknown_types) == 429
    assert "429 types" in dataset.source
    assert dataset.feature_sizes == {"text": 300}


def test_real_valid_matches_misa_pickle(real_data_dir):
    from mtagbench.data.safe_pickle import load_pickle

    dataset, _ = load_mosi_csd(real_data_dir / "mosi-csd")
    ours = {sample.id: float(sample.label[0]) for sample in dataset.splits["valid"]}
    theirs = {segment_id: float(label.reshape(-1)[0]) for _, label, segment_id in load_pickle(real_data_dir / "mosi-misa-dev" / "dev.pkl")}

    assert set(ours) == set(theirs)
    assert max(abs(ours[key] - theirs[key]) for key in ours) < 1e-5
