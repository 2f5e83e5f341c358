"""``mtagbench data inspect`` and ``data convert`` through Typer's CliRunner."""

import pickle

import numpy as np
import pytest
from typer.testing import CliRunner

from mtagbench.cli import app
from mtagbench.data.converted import read_converted
from mtagbench.data.reader_options import parse_reader_options
from mtagbench.data.readers.csd import read_mosi_csd
from mtagbench.data.readers.synthetic_iemocap import read_synthetic_iemocap
from mtagbench.errors import ConfigError, DataError

runner = CliRunner()
SMALL = ["--num-train", "6", "--num-valid", "2", "--num-test", "2"]


def invoke(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def mmsa_content(nan_count=0):
    split = {
        "text": np.ones((2, 3, 768), dtype=np.float32),
        "audio": np.ones((2, 4, 5), dtype=np.float32),
        "vision": np.ones((2, 2, 20), dtype=np.float32),
        "audio_lengths": np.array([4, 1]),
        "vision_lengths": np.array([0, 2]),
        "regression_labels": np.array([1.0, -1.0], dtype=np.float32),
        "id": np.array(["a$_$0", "a$_$1"]),
    }
    content = {name: {k: v.copy() for k, v in split.items()} for name in ("train", "valid", "test")}
    content["train"]["audio"].reshape(-1)[:nan_count] = np.nan
    return content


def test_inspect_generated():
    result = invoke("data", "inspect", "synthetic-iemocap", *SMALL)
    assert result.exit_code == 0, result.output
    assert "[generated]" in result.output
    assert "train 6, valid 2, test 2" in result.output
    assert "happy positive:negative" in result.output


def test_inspect_mmsa_counts_nan(tmp_path):
    path = tmp_path / "unaligned_50.pkl"
    path.write_bytes(pickle.dumps(mmsa_content(nan_count=3)))
    result = invoke("data", "inspect", str(path))

    assert result.exit_code == 0, result.output
    assert "[MMSA pickle]" in result.output
    audio_row = next(line for line in result.output.splitlines() if line.startswith("│ audio"))
    assert audio_row.split("│")[1:-1][-1].strip() == "3"
    vision_row = next(line for line in result.output.splitlines() if line.startswith("│ vision"))
    assert vision_row.split("│")[1:-1][-2].strip() == "3"  # one empty vision sample per split


def test_inspect_mult_pickle(tmp_path):
    split = {
        "text": np.zeros((2, 4, 300), dtype=np.float32),
        "audio": np.zeros((2, 5, 74), dtype=np.float32),
        "vision": np.zeros((2, 3, 35), dtype=np.float32),
        "labels": np.eye(2)[np.array([[[1, 0, 0, 0]], [[0, 1, 0, 0]]]).reshape(2, 4)],
    }
    split["text"][:, 2:] = 1.0
    split["audio"][0, 1:] = -np.inf
    path = tmp_path / "iemocap_data_noalign.pkl"
    path.write_bytes(pickle.dumps({"train": split, "valid": split, "test": split}))
    result = invoke("data", "inspect", str(path))

    assert result.exit_code == 0, result.output
    assert "[MulT pickle]" in result.output
    neutral_row = next(line for line in result.output.splitlines() if "neutral positive:negative" in line)
    assert neutral_row.split("│")[2].strip() == "3:3"
    text_row = next(line for line in result.output.splitlines() if line.startswith("│ text"))
    assert [cell.strip() for cell in text_row.split("│")[2:5]] == ["300", "2", "2.0"]
    audio_row = next(line for line in result.output.splitlines() if line.startswith("│ audio"))
    assert audio_row.split("│")[-2].strip() == str(3 * 4 * 74)


def test_inspect_unknown_pickle(tmp_path):
    path = tmp_path / "other.pkl"
    path.write_bytes(pickle.dumps({"train": {"x": np.zeros(2)}, "valid": {}, "test": {}}))
    result = invoke("data", "inspect", str(path))
    assert isinstance(result.exception, DataError)
    assert "unknown pickle layout" in str(result.exception)


def test_inspect_unknown_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    result = invoke("data", "inspect", str(path))
    assert isinstance(result.exception, DataError)
    assert "unknown file format" in str(result.exception)


def test_convert_then_inspect(tmp_path):
    target = tmp_path / "converted"
    result = invoke("data", "convert", "synthetic-iemocap", "--to", str(target), "--data-seed", "4", *SMALL)
    assert result.exit_code == 0, result.output
    expected = read_synthetic_iemocap(data_seed=4, num_train=6, num_valid=2, num_test=2).fingerprint()
    assert read_converted(target).fingerprint() == expected

    inspected = invoke("data", "inspect", str(target))
    assert inspected.exit_code == 0, inspected.output
    assert "[converted]" in inspected.output
    assert "manifest.json" in inspected.output


def test_convert_unknown_option(tmp_path):
    result = invoke("data", "convert", "synthetic-iemocap", "--to", str(tmp_path / "x"), "--data-sed", "1")
    assert isinstance(result.exception, ConfigError)
    assert "did you mean --data-seed?" in str(result.exception)


def test_reader_options_repeatable():
    options = parse_reader_options(read_mosi_csd, ["--csd", "audio=a.csd", "--csd=vision=v.csd", "--tolerance", "0.5"], "mosi-csd")
    assert options == {"csd": ("audio=a.csd", "vision=v.csd"), "tolerance": 0.5}


def test_reader_options_once():
    with pytest.raises(ConfigError, match="given 2 times"):
        parse_reader_options(read_mosi_csd, ["--vocab", "a", "--vocab", "b"], "mosi-csd")


def test_inspect_real_csd(real_data_dir):
    result = invoke("data", "inspect", "mosi-csd", "--data-dir", str(real_data_dir / "mosi-csd"))
    assert result.exit_code == 0, result.output
    assert "train 1284, valid 229, test 686" in result.output
    assert "810 out of vocabulary (429 types)" in result.output
    assert "known file: CMU_MOSI_Opinion_Labels.csd" in result.output
