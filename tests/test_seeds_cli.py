import json
import statistics

import pytest
from typer.testing import CliRunner

from mtagbench.cli import app
from mtagbench.cli.list_options import expand_list_option
from mtagbench.errors import ConfigError
from mtagbench.results.aggregate import aggregate_metrics, summarize
from tests import tiny  # noqa: F401  (registers the test model and dataset)

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def invoke(*args):
    return runner.invoke(app, list(args), env=WIDE)


def test_expand_seeds_space_separated():
    args = ["test-meanpool", "--seeds", "0", "1", "2", "--epochs", "2"]
    expanded = expand_list_option(args, "--seeds")
    assert expanded == ["test-meanpool", "--seeds", "0", "--seeds", "1", "--seeds", "2", "--epochs", "2"]


def test_expand_seeds_keeps_repeated_form():
    args = ["--seeds", "3", "--hidden", "4", "--seeds", "5"]
    assert expand_list_option(args, "--seeds") == args


def test_expand_seeds_negative_and_double_dash():
    assert expand_list_option(["--seeds", "-1", "2"], "--seeds") == ["--seeds", "-1", "--seeds", "2"]
    assert expand_list_option(["--", "--seeds", "1", "2"], "--seeds") == ["--", "--seeds", "1", "2"]


def test_summarize_sample_std():
    summary = summarize([1.0, 2.0, 3.0, 4.0])
    assert summary.mean == 2.5
    assert summary.std == pytest.approx((5 / 3) ** 0.5)
    assert summary.count == 4


def test_summarize_one_seed_has_no_std():
    summary = summarize([0.7])
    assert summary.mean == 0.7
    assert summary.std is None


def test_summarize_nan_propagates():
    summary = summarize([1.0, float("nan")])
    assert summary.mean != summary.mean
    assert summary.std != summary.std


def test_aggregate_missing_metric_is_nan():
    summaries = aggregate_metrics([{"mae": 1.0, "corr": 0.5}, {"mae": 3.0}])
    assert list(summaries) == ["mae", "corr"]
    assert summaries["mae"].mean == 2.0
    assert summaries["corr"].mean != summaries["corr"].mean


def test_run_seeds_trains_each_and_aggregates(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny", "--epochs", "2", "--batch-size", "16",
        "--device", "cpu", "--runs", str(tmp_path), "--seeds", "0", "1", "2", "--hidden", "4",
    )
    assert result.exit_code == 0, result.output

    seed_dirs = sorted(tmp_path.glob("tiny/test-meanpool/*/seed-*"))
    assert [path.name for path in seed_dirs] == ["seed-0", "seed-1", "seed-2"]
    configs = [json.loads((path / "config.json").read_text()) for path in seed_dirs]
    assert [config["training"]["seed"] for config in configs] == [0, 1, 2]
    assert all(config["options"]["hidden"] == 4 for config in configs)

    maes = [json.loads((path / "results.json").read_text())["test"]["mae"] for path in seed_dirs]
    expected = f"{statistics.fmean(maes):.4f} ± {statistics.stdev(maes):.4f}"
    assert expected in result.output
    assert "sample std over seeds" in result.output


def test_run_seeds_skips_finished_runs(tmp_path):
    args = ["run", "test-meanpool", "--dataset", "tiny", "--epochs", "1", "--device", "cpu", "--runs", str(tmp_path)]
    first = invoke(*args, "--seeds", "0", "1")
    assert first.exit_code == 0, first.output
    weights = sorted(tmp_path.glob("tiny/test-meanpool/*/seed-0/model.safetensors"))[0]
    written = weights.stat().st_mtime_ns

    second = invoke(*args, "--seeds", "0", "1", "2")
    assert second.exit_code == 0, second.output
    assert "2 of 3 runs were already complete" in second.output
    assert weights.stat().st_mtime_ns == written
    assert len(list(tmp_path.glob("tiny/test-meanpool/*/seed-*"))) == 3


def test_run_one_seed_std_not_available(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny", "--epochs", "1", "--device", "cpu",
        "--runs", str(tmp_path), "--seeds", "4",
    )
    assert result.exit_code == 0, result.output
    assert "± n/a" in result.output
    assert "one seed, so std is n/a" in result.output
    assert list(tmp_path.glob("tiny/test-meanpool/*/seed-4"))


def test_seeds_override_seed(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny", "--epochs", "1", "--device", "cpu",
        "--runs", str(tmp_path), "--seed", "9", "--seeds", "5",
    )
    assert result.exit_code == 0, result.output
    assert list(tmp_path.glob("tiny/test-meanpool/*/seed-5"))
    assert not list(tmp_path.glob("tiny/test-meanpool/*/seed-9"))


def test_seeds_with_out_rejected(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny", "--epochs", "1", "--device", "cpu",
        "--out", str(tmp_path / "one"), "--seeds", "0", "1",
    )
    assert isinstance(result.exception, ConfigError)
    assert "--out" in str(result.exception)


def test_repeated_seed_rejected(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny", "--epochs", "1", "--device", "cpu",
        "--runs", str(tmp_path), "--seeds", "1", "1",
    )
    assert isinstance(result.exception, ConfigError)
    assert "[1]" in str(result.exception)
