"""Tests for the MulT pickle reader (``mosi`` and ``mosi-aligned``)."""

import os
import pickle

import numpy as np
import pytest

from mtagbench.data import load_dataset
from mtagbench.data.padding import leading_zero_rows
from mtagbench.data.readers.mult_pickle import read_mult_pickle
from mtagbench.errors import ConfigError, DataError, UnsafePickleError

# Deliberately not MOSI's sizes, so a reader that hard-codes 50/375/500 or 300/5/20 fails.
STEPS = {"text": 6, "audio": 9, "vision": 7}
DIMS = {"text": 4, "audio": 3, "vision": 2}


def make_split(lengths, seed=0, steps=STEPS, with_id=True, prefix="vid"):
    """Build one split in MulT's layout from per-sample lengths ``{modality: [length, ...]}``."""
    rng = np.random.default_rng(seed)
    num_samples = len(lengths["text"])
    split = {}
    for modality in ("text", "audio", "vision"):
        array = np.zeros((num_samples, steps[modality], DIMS[modality]), dtype=np.float32)
        for index, length in enumerate(lengths[modality]):
            if length:
                array[index, steps[modality] - length:] = rng.uniform(0.5, 1.5, size=(length, DIMS[modality]))
        split[modality] = array
    split["labels"] = np.linspace(-3, 3, num_samples, dtype=np.float32).reshape(num_samples, 1, 1)
    if with_id:
        split["id"] = np.array(
            [[f"{prefix}{index}".encode(), b"0.5", f"{index + 2}.25".encode()]
             for index in range(num_samples)]
        )
    return split


def make_layout(**kwargs):
    return {
        "train": make_split(
            {"text": [6, 3, 1], "audio": [9, 4, 2], "vision": [7, 5, 0]}, seed=1, prefix="tr", **kwargs
        ),
        "valid": make_split(
            {"text": [2, 5], "audio": [3, 9], "vision": [1, 7]}, seed=2, prefix="va", **kwargs
        ),
        "test": make_split({"text": [4], "audio": [8], "vision": [6]}, seed=3, prefix="te", **kwargs),
    }


def write(path, layout):
    path.write_bytes(pickle.dumps(layout, protocol=4))
    return path


def test_leading_zero_rows():
    array = np.zeros((3, 4, 2), dtype=np.float32)
    array[0, 1:] = 1.0
    array[1, 2, 0] = -2.0
    array[0, 2] = 0.0  # a zero row after the first data row is not padding

    counts = leading_zero_rows(array)

    assert counts.tolist() == [1, 2, 4]


def test_lengths_recovered(tmp_path):
    path = write(tmp_path / "mosi_data_noalign.pkl", make_layout())

    dataset = read_mult_pickle(path, "mosi")

    train = dataset.splits["train"]
    assert [s.length("text") for s in train] == [6, 3, 1]
    assert [s.length("audio") for s in train] == [9, 4, 2]
    assert [s.length("vision") for s in train] == [7, 5, 0]
    assert [s.length("audio") for s in dataset.splits["valid"]] == [3, 9]
    assert dataset.splits["train"][2].features["vision"].shape == (0, 2)


def test_feature_sizes_from_arrays(tmp_path):
    path = write(tmp_path / "mosi_data_noalign.pkl", make_layout())

    dataset = read_mult_pickle(path, "mosi")

    assert dataset.feature_sizes == {"text": 4, "audio": 3, "vision": 2}
    assert dataset.modalities == ("text", "audio", "vision")
    assert dataset.aligned is False
    assert dataset.name == "mosi"


def test_values_kept(tmp_path):
    layout = make_layout()
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    dataset = read_mult_pickle(path, "mosi")

    sample = dataset.splits["train"][1]
    np.testing.assert_array_equal(sample.features["text"], layout["train"]["text"][1, 3:])
    assert sample.features["text"].dtype == np.float32
    np.testing.assert_array_equal(sample.label, np.array([0.0], dtype=np.float32))


def test_inner_zero_row_kept(tmp_path):
    layout = make_layout()
    layout["train"]["vision"][0, 3] = 0.0
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    dataset = read_mult_pickle(path, "mosi")

    vision = dataset.splits["train"][0].features["vision"]
    assert vision.shape == (7, 2)
    assert not vision[3].any()


def test_audio_neg_inf_inside_becomes_zero_row(tmp_path):
    layout = make_layout()
    layout["train"]["audio"][1, 6] = -np.inf  # sample 1 has 4 audio frames: rows 5 to 8
    layout["train"]["audio"][1, 7, 0] = -np.inf
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    dataset = read_mult_pickle(path, "mosi")

    audio = dataset.splits["train"][1].features["audio"]
    assert audio.shape == (4, 3)
    assert not audio[1].any()
    assert audio[2, 0] == 0.0
    assert audio[2, 1] != 0.0
    assert np.isfinite(audio).all()


def test_audio_neg_inf_at_front_is_padding(tmp_path):
    layout = make_layout()
    layout["train"]["audio"][1, 5] = -np.inf  # the first of sample 1's 4 audio frames
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    dataset = read_mult_pickle(path, "mosi")

    assert dataset.splits["train"][1].length("audio") == 3


def test_ids_from_video_start_end(tmp_path):
    path = write(tmp_path / "mosi_data_noalign.pkl", make_layout())

    dataset = read_mult_pickle(path, "mosi")

    assert [s.id for s in dataset.splits["train"]] == ["tr0[0.5:2.25]", "tr1[0.5:3.25]", "tr2[0.5:4.25]"]


def test_ids_from_index_when_missing(tmp_path):
    path = write(tmp_path / "mosi_data_noalign.pkl", make_layout(with_id=False))

    dataset = read_mult_pickle(path, "mosi")

    assert [s.id for s in dataset.splits["valid"]] == ["valid[0]", "valid[1]"]
    assert [s.id for s in dataset.splits["test"]] == ["test[0]"]


def test_repeated_ids_made_unique(tmp_path):
    layout = make_layout()
    layout["valid"]["id"] = layout["train"]["id"][:2].copy()
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    dataset = read_mult_pickle(path, "mosi")

    assert [s.id for s in dataset.splits["valid"]] == ["tr0[0.5:2.25]#2", "tr1[0.5:3.25]#2"]


def test_aligned_strips_common_padding(tmp_path):
    steps = {"text": 5, "audio": 5, "vision": 5}
    lengths = {"text": [4, 2], "audio": [4, 2], "vision": [3, 2]}
    layout = {split: make_split(lengths, steps=steps) for split in ("train", "valid", "test")}
    path = write(tmp_path / "mosi_data.pkl", layout)

    dataset = read_mult_pickle(path, "mosi-aligned", aligned=True)

    first = dataset.splits["train"][0]
    assert dataset.aligned is True
    assert first.length("vision") == 4
    assert not first.features["vision"][0].any()
    assert first.length("text") == 4


def test_aligned_different_steps(tmp_path):
    path = write(tmp_path / "mosi_data.pkl", make_layout())

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi-aligned", aligned=True)

    assert "same number of time steps" in str(error.value)
    assert str(path) in str(error.value)


def test_multilabel_converter(tmp_path):
    layout = make_layout()
    for split in layout.values():
        num_samples = split["text"].shape[0]
        one_hot = np.zeros((num_samples, 4, 2), dtype=np.float32)
        one_hot[:, :, 0] = 1.0
        one_hot[:, 1] = [0.0, 1.0]  # every sample is positive for the second emotion
        split["labels"] = one_hot
    path = write(tmp_path / "iemocap_data_noalign.pkl", layout)

    dataset = read_mult_pickle(
        path,
        "iemocap-like",
        task="multilabel",
        label_names=("neutral", "happy", "sad", "angry"),
        convert_labels=lambda labels, where: labels.argmax(-1).astype(np.float32),
    )

    assert dataset.task == "multilabel"
    assert dataset.label_names == ("neutral", "happy", "sad", "angry")
    assert dataset.splits["train"][0].label.tolist() == [0.0, 1.0, 0.0, 0.0]


def test_load_dataset_mosi(tmp_path):
    write(tmp_path / "mosi_data_noalign.pkl", make_layout())

    dataset = load_dataset("mosi", data_dir=tmp_path)

    counts = {split: len(samples) for split, samples in dataset.splits.items()}
    assert counts == {"train": 3, "valid": 2, "test": 1}
    assert dataset.source == str(tmp_path / "mosi_data_noalign.pkl")


def test_load_dataset_from_env_folder(tmp_path, monkeypatch):
    (tmp_path / "mosi").mkdir()
    steps = {"text": 3, "audio": 3, "vision": 3}
    lengths = {"text": [2], "audio": [2], "vision": [2]}
    write(
        tmp_path / "mosi" / "mosi_data.pkl",
        {split: make_split(lengths, steps=steps) for split in ("train", "valid", "test")},
    )
    monkeypatch.setenv("MTAGBENCH_DATA", str(tmp_path))

    dataset = load_dataset("mosi-aligned")

    assert dataset.aligned is True
    assert dataset.splits["test"][0].length("text") == 2


def test_missing_dataset_message(tmp_path):
    with pytest.raises(DataError) as error:
        load_dataset("mosi", data_dir=tmp_path)

    message = str(error.value)
    assert "mosi_data_noalign.pkl" in message
    assert str(tmp_path) in message
    assert "--data-dir" in message
    assert "github.com/yaohungt/Multimodal-Transformer" in message
    assert "does not download" in message


def test_unknown_option(tmp_path):
    write(tmp_path / "mosi_data_noalign.pkl", make_layout())

    with pytest.raises(ConfigError) as error:
        load_dataset("mosi", data_dir=tmp_path, seed=3)

    assert "seed" in str(error.value)


def test_text_two_dimensional(tmp_path):
    layout = make_layout()
    layout["valid"]["text"] = layout["valid"]["text"][:, :, 0]
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    message = str(error.value)
    assert str(path) in message
    assert "'valid'" in message
    assert "text" in message
    assert "(2, 6)" in message


def test_nan_in_vision(tmp_path):
    layout = make_layout()
    layout["train"]["vision"][1, 4, 1] = np.nan
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    message = str(error.value)
    assert str(path) in message
    assert "'train'" in message
    assert "sample 1 (tr1[0.5:3.25])" in message
    assert "vision" in message
    assert "time step 4" in message


def test_positive_inf_in_audio(tmp_path):
    layout = make_layout()
    layout["test"]["audio"][0, 3, 0] = np.inf
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    message = str(error.value)
    assert "'test'" in message
    assert "sample 0" in message
    assert "audio" in message


def test_neg_inf_in_text(tmp_path):
    layout = make_layout()
    layout["train"]["text"][0, 2, 0] = -np.inf
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert "text" in str(error.value)


def test_labels_wrong_shape(tmp_path):
    layout = make_layout()
    layout["train"]["labels"] = np.zeros((3, 2), dtype=np.float32)
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    message = str(error.value)
    assert str(path) in message
    assert "'train'" in message
    assert "labels" in message
    assert "(3, 2)" in message


def test_labels_wrong_count(tmp_path):
    layout = make_layout()
    layout["valid"]["labels"] = np.zeros((5, 1, 1), dtype=np.float32)
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert "labels" in str(error.value)
    assert "'valid'" in str(error.value)


def test_nan_label(tmp_path):
    layout = make_layout()
    layout["train"]["labels"][2, 0, 0] = np.nan
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert "sample 2" in str(error.value)
    assert "label" in str(error.value)


def test_missing_split(tmp_path):
    layout = make_layout()
    del layout["test"]
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert str(path) in str(error.value)
    assert "'test'" in str(error.value)


def test_missing_modality_key(tmp_path):
    layout = make_layout()
    del layout["valid"]["audio"]
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert "'valid'" in str(error.value)
    assert "'audio'" in str(error.value)


def test_sample_count_mismatch(tmp_path):
    layout = make_layout()
    layout["train"]["vision"] = layout["train"]["vision"][:2]
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert "vision has 2 samples but text has 3" in str(error.value)


def test_feature_sizes_differ_across_splits(tmp_path):
    layout = make_layout()
    layout["test"]["vision"] = np.ones((1, 7, 5), dtype=np.float32)
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert "'test'" in str(error.value)


def test_not_a_dict(tmp_path):
    path = write(tmp_path / "mosi_data_noalign.pkl", [np.zeros(3)])

    with pytest.raises(DataError) as error:
        read_mult_pickle(path, "mosi")

    assert "list" in str(error.value)


def test_truncated_pickle(tmp_path):
    path = tmp_path / "mosi_data_noalign.pkl"
    data = pickle.dumps(make_layout(), protocol=4)
    path.write_bytes(data[: len(data) - 40])

    with pytest.raises(DataError) as error:
        load_dataset("mosi", data_dir=tmp_path)

    assert str(path) in str(error.value)


class _RunsCommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_unsafe_pickle(tmp_path):
    marker = tmp_path / "command-ran"
    layout = make_layout()
    layout["train"]["id"] = _RunsCommand(f"touch {marker}")
    path = write(tmp_path / "mosi_data_noalign.pkl", layout)

    with pytest.raises(UnsafePickleError):
        load_dataset("mosi", data_dir=tmp_path)

    assert not marker.exists()


def test_modality_without_time_steps_rejected(tmp_path):
    layout = make_layout()
    for split in layout.values():
        split["vision"] = np.zeros((split["vision"].shape[0], 0, 20), dtype=np.float32)
    write(tmp_path / "mosi_data_noalign.pkl", layout)
    with pytest.raises(DataError, match="vision array has shape .* no time steps"):
        load_dataset("mosi", data_dir=tmp_path)


def test_labels_outside_range_warned(tmp_path, caplog):
    layout = make_layout()
    layout["train"]["labels"] = layout["train"]["labels"] * 100
    write(tmp_path / "mosi_data_noalign.pkl", layout)
    with caplog.at_level("WARNING"):
        load_dataset("mosi", data_dir=tmp_path)
    assert "outside [-3, 3]" in caplog.text


def test_inspect_exits_2_when_reader_rejects(tmp_path):
    from typer.testing import CliRunner

    from mtagbench.cli import app

    (tmp_path / "mosi_data_noalign.pkl").write_bytes(b"not a pickle")
    result = CliRunner().invoke(app, ["data", "inspect", "mosi", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "rejected" in result.output
