"""End-to-end runs of the command line on real CMU-MOSI files and on the built-in dataset."""

import json
import math

from typer.testing import CliRunner

from mtagbench.cli import app
from mtagbench.metrics import REGRESSION_METRICS

runner = CliRunner()


def check_run_folder(run_dir, epochs):
    config = json.loads((run_dir / "config.json").read_text())
    history = json.loads((run_dir / "history.json").read_text())
    results = json.loads((run_dir / "results.json").read_text())

    assert (run_dir / "model.safetensors").stat().st_size > 0
    assert len(history) == epochs
    assert results["complete"] is True
    assert 1 <= results["best_epoch"] <= epochs
    assert results["selection_metric"] == "mae"
    for name in ("mae", "acc7", "acc5", "acc2_nonnegative", "f1_nonnegative", "acc2_nonzero", "f1_nonzero"):
        assert math.isfinite(results["test"][name]), name
    assert set(results["test"]) == set(REGRESSION_METRICS)
    return config, results


def test_mtag_on_real_mosi_misa(real_data_dir, tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "run", "mtag", "--dataset", "mosi-misa", "--data-dir", str(real_data_dir / "mosi-misa-dev"),
            "--epochs", "2", "--device", "cpu", "--out", str(out), "--num-layers", "2",
        ],
    )
    assert result.exit_code == 0, result.output

    config, results = check_run_folder(out, epochs=2)
    assert config["dataset"]["name"] == "mosi-misa"
    assert config["dataset"]["feature_sizes"] == {"text": 300, "audio": 74, "vision": 47}
    assert sum(config["dataset"]["split_sizes"].values()) == 229
    assert config["options"]["num_layers"] == 2
    assert 0 < results["test"]["mae"] < 3


def test_mtag_on_default_dataset(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        ["run", "mtag", "--epochs", "1", "--device", "cpu", "--out", str(out), "--num-layers", "1"],
    )
    assert result.exit_code == 0, result.output
    config, _ = check_run_folder(out, epochs=1)
    assert config["dataset"]["name"] == "synthetic-mosi"
