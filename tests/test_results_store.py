import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from mtagbench.cli import app
from mtagbench.errors import ConfigError
from mtagbench.results.store import BASE_COLUMNS, index_runs, load_runs
from mtagbench.training import TrainConfig, run_experiment
from mtagbench.training.run_folder import config_hash
from tests.tiny import make_dataset

COMMAND = ["mtagbench", "run", "test-meanpool", "--seeds", "0", "1"]


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for seed in (0, 1):
        config = TrainConfig(epochs=2, batch_size=16, device="cpu", seed=seed)
        run_experiment("test-meanpool", make_dataset(), config, runs_root=root, command=COMMAND)
    run_experiment("constant", make_dataset(), TrainConfig(epochs=1, device="cpu"), runs_root=root)
    unfinished = TrainConfig(epochs=3, batch_size=16, device="cpu", seed=7)
    run_experiment("test-meanpool", make_dataset(), unfinished, runs_root=root, stop_after_epoch=1)
    (root / "notes").mkdir()
    (root / "notes" / "config.json").write_text('{"comment": "not a run"}')
    return root


def test_index_one_row_per_run(runs_root):
    rows = index_runs(runs_root)
    keys = [(row["model"], row["seed"], row["complete"]) for row in rows]
    assert sorted(keys) == [("constant", 0, True), ("test-meanpool", 0, True), ("test-meanpool", 1, True), ("test-meanpool", 7, False)]


def test_store_row_matches_run_files(runs_root):
    frame = load_runs(runs_root, model="test-meanpool", complete_only=True)
    record = frame[frame["seed"] == 1].iloc[0]
    run_dir = runs_root / "tiny" / "test-meanpool" / record["config_hash"] / "seed-1"
    config = json.loads((run_dir / "config.json").read_text())
    results = json.loads((run_dir / "results.json").read_text())

    assert record["run_dir"] == str(run_dir)
    assert record["config_hash"] == config_hash(config)
    assert record["dataset"] == "tiny"
    assert record["best_epoch"] == results["best_epoch"]
    assert record["parameters"] == results["parameters"]
    assert record["test_mae"] == results["test"]["mae"]
    assert record["valid_acc2_nonzero"] == results["valid"]["acc2_nonzero"]
    assert record["epoch_seconds_median"] == pytest.approx(results["epoch_seconds_median"])
    assert record["hardware"] == config["environment"]["device_name"]
    assert record["mtagbench_version"] == config["mtagbench_version"]
    assert record["git_commit"] == config["git_commit"]
    assert record["command"] == "mtagbench run test-meanpool --seeds 0 1"
    assert record["modalities"] == "text,audio,vision"
    assert json.loads(record["options"]) == {"dropout": 0.2, "hidden": 8}


def test_store_columns_in_order(runs_root):
    frame = load_runs(runs_root)
    assert list(frame.columns[: len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    metrics = list(frame.columns[len(BASE_COLUMNS) :])
    assert metrics[0] == "valid_mae"
    assert "test_f1_nonnegative" in metrics
    assert all(name.startswith(("valid_", "test_")) for name in metrics)


def test_store_unfinished_run_has_no_metrics(runs_root):
    frame = load_runs(runs_root)
    record = frame[frame["seed"] == 7].iloc[0]
    assert not record["complete"]
    assert record["epochs_done"] == 1
    assert record["epochs"] == 3
    assert pd.isna(record["test_mae"])
    assert pd.isna(record["best_epoch"])


def test_store_filters(runs_root):
    assert len(load_runs(runs_root, model="constant")) == 1
    assert len(load_runs(runs_root, dataset="other")) == 0
    assert len(load_runs(runs_root, complete_only=True)) == 3


def test_store_empty_root_has_columns(tmp_path):
    frame = load_runs(tmp_path)
    assert frame.empty
    assert list(frame.columns) == list(BASE_COLUMNS)


def test_store_missing_root_rejected(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_runs(tmp_path / "absent")


def test_results_command_filters_and_writes_csv(runs_root, tmp_path):
    out = tmp_path / "runs.csv"
    result = CliRunner().invoke(
        app,
        ["results", "--runs", str(runs_root), "--model", "test-meanpool", "--metric", "mae,corr", "--csv", str(out)],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    assert "test_mae" in result.output
    assert "test_acc7" not in result.output

    table = pd.read_csv(out)
    assert sorted(table["seed"]) == [0, 1, 7]
    assert {"valid_mae", "test_mae", "valid_corr", "test_corr"} <= set(table.columns)
    assert "test_acc7" not in table.columns


def test_results_command_unknown_metric(runs_root):
    result = CliRunner().invoke(app, ["results", "--runs", str(runs_root), "--metric", "accuracy"])
    assert isinstance(result.exception, ConfigError)
    assert "accuracy" in str(result.exception)
