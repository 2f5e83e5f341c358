import csv
import io
import json
import math
import shlex
import shutil

import pytest
from typer.testing import CliRunner

from mtagbench.cli import app
from mtagbench.errors import ConfigError
from mtagbench.results.aggregate import MetricSummary
from mtagbench.results.leaderboard import (
    REPORTED_FILE,
    MeasuredRow,
    build_leaderboard,
    rank_rows,
    read_reported,
    render_csv,
    render_markdown,
    selection_for,
    write_leaderboard,
)
from mtagbench.results.store import load_runs
from mtagbench.training import TrainConfig, run_experiment
from tests import tiny  # noqa: F401  (registers the test model and dataset)
from tests.tiny import make_dataset

REPORTED_HEADER = "benchmark,datasets,model,metric,value,source,note\n"


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for seed in (0, 1):
        config = TrainConfig(epochs=2, batch_size=16, device="cpu", seed=seed)
        run_experiment("test-meanpool", make_dataset(), config, runs_root=root)
    run_experiment("constant", make_dataset(), TrainConfig(epochs=1, device="cpu"), runs_root=root)
    return root


@pytest.fixture()
def reported_file(tmp_path):
    path = tmp_path / "reported.csv"
    path.write_text(
        REPORTED_HEADER
        + "tiny-bench,tiny other,PaperNet,mae,0.001,Someone et al. 2020 Table 1,\n"
        + "tiny-bench,tiny,PaperNet,acc2_unspecified,99.9,Someone et al. 2020 Table 1,\n"
        + "other-bench,other,Elsewhere,mae,0.5,Another 2021,\n"
    )
    return path


def sections(markdown):
    measured, _, reported = markdown.partition("## Reported in papers")
    return measured, reported


def test_leaderboard_files_byte_identical(runs_root, reported_file, tmp_path):
    first = write_leaderboard(runs_root, "tiny", tmp_path / "a", reported_file)
    second = write_leaderboard(runs_root, "tiny", tmp_path / "b", reported_file)
    again = write_leaderboard(runs_root, "tiny", tmp_path / "a", reported_file)
    for left, right, repeat in zip(first, second, again):
        assert left.read_bytes() == right.read_bytes()
        assert left.read_bytes() == repeat.read_bytes()
    assert [path.name for path in first] == ["tiny.md", "tiny.csv"]


def test_measured_rows_ranked_by_mae(runs_root):
    board = build_leaderboard(load_runs(runs_root), "tiny")
    means = [row.metrics["mae"].mean for row in board.measured]
    assert means == sorted(means)
    assert board.selection_metric == "mae"
    assert board.lower_is_better


def test_measured_row_aggregates_seeds(runs_root):
    frame = load_runs(runs_root)
    board = build_leaderboard(frame, "tiny")
    (row,) = [row for row in board.measured if row.model == "test-meanpool"]
    maes = list(frame[frame["model"] == "test-meanpool"].sort_values("seed")["test_mae"])
    assert row.seeds == (0, 1)
    assert row.metrics["mae"].mean == pytest.approx(sum(maes) / 2)
    assert row.metrics["mae"].std == pytest.approx(abs(maes[0] - maes[1]) / math.sqrt(2))
    assert row.parameters == int(frame["parameters"].iloc[-1])


def test_reported_row_never_ranked(runs_root, reported_file):
    reported = read_reported(reported_file, "tiny")
    board = build_leaderboard(load_runs(runs_root), "tiny", reported)
    assert all(row.model != "PaperNet" for row in board.measured)

    measured, reported_section = sections(render_markdown(board))
    assert "PaperNet" not in measured
    assert "PaperNet" in reported_section
    assert "| rank |" not in reported_section
    assert "Someone et al. 2020 Table 1" in reported_section

    records = list(csv.DictReader(io.StringIO(render_csv(board))))
    measured_ranks = [record["rank"] for record in records if record["kind"] == "measured"]
    (paper,) = [record for record in records if record["kind"] == "reported"]
    assert measured_ranks == ["1", "2"]
    assert paper["rank"] == ""
    assert paper["model"] == "PaperNet"
    assert paper["mae_mean"] == "0.001"
    assert records[-1]["kind"] == "reported"


def test_reported_filtered_by_dataset(reported_file):
    models = [row.model for row in read_reported(reported_file, "tiny")]
    assert models == ["PaperNet"]
    assert read_reported(reported_file, "absent") == []


def test_reported_file_of_repository():
    rows = {row.model: row for row in read_reported(REPORTED_FILE, "mosi-csd")}
    assert sorted(rows) == ["EF-LSTM (CTC)", "LF-LSTM", "MTAG", "MulT"]
    assert rows["MTAG"].values["mae"] == "0.866"
    assert rows["MTAG"].values["acc2_unspecified"] == "82.3"
    assert rows["MulT"].values["f1_unspecified"] == "81.0"
    assert "acc2_nonnegative" not in rows["MTAG"].values
    assert "acc2_nonzero" not in rows["MTAG"].values
    iemocap = {row.model: row for row in read_reported(REPORTED_FILE, "iemocap")}
    assert iemocap["MTAG"].values["f1_happy"] == "86.0"


def test_reported_file_missing_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("model,metric,value\nX,mae,1\n")
    with pytest.raises(ConfigError, match="lacks the columns"):
        read_reported(path, "tiny")


def test_markdown_names_both_conventions(runs_root):
    markdown = render_markdown(build_leaderboard(load_runs(runs_root), "tiny"))
    assert "Acc2 (neg/non-neg)" in markdown
    assert "Acc2 (neg/pos)" in markdown
    assert "F1 (neg/non-neg)" in markdown
    assert "F1 (neg/pos)" in markdown
    assert "- neg/non-neg: negative versus non-negative" in markdown
    assert "- neg/pos: negative versus positive" in markdown


def test_markdown_single_seed_std_na(runs_root):
    markdown = render_markdown(build_leaderboard(load_runs(runs_root), "tiny"))
    (line,) = [line for line in markdown.splitlines() if "| constant |" in line]
    assert "± n/a" in line


def test_command_reproduces_config_hash(runs_root, tmp_path):
    board = build_leaderboard(load_runs(runs_root), "tiny")
    (row,) = [row for row in board.measured if row.model == "test-meanpool"]
    tokens = shlex.split(row.command)
    assert tokens[:3] == ["mtagbench", "run", "test-meanpool"]
    assert tokens[tokens.index("--seeds") + 1 : tokens.index("--seeds") + 3] == ["0", "1"]

    result = CliRunner().invoke(app, [*tokens[1:], "--device", "cpu", "--runs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rerun = sorted(path.name for path in tmp_path.glob(f"tiny/test-meanpool/{row.config_hash}/seed-*"))
    assert rerun == ["seed-0", "seed-1"]


def test_duplicate_seed_rejected(runs_root, tmp_path):
    root = tmp_path / "runs"
    shutil.copytree(runs_root, root)
    (seed_dir,) = root.glob("tiny/constant/*/seed-0")
    shutil.copytree(seed_dir, root / "copied" / "seed-0")
    with pytest.raises(ConfigError, match="stored twice"):
        build_leaderboard(load_runs(root), "tiny")


def test_no_runs_for_dataset(runs_root):
    with pytest.raises(ConfigError, match="no complete runs"):
        build_leaderboard(load_runs(runs_root), "absent")


def summary_row(model, mean):
    return MeasuredRow(model, "hash", (0,), {"f1_mean": MetricSummary(mean, None, 1)}, None, 1.0, "cpu", "a", "{}", "")


def test_rank_rows_higher_better_nan_last():
    rows = [summary_row("a", 0.5), summary_row("b", math.nan), summary_row("c", 0.9), summary_row("d", 0.5)]
    ranked = [row.model for row in rank_rows(rows, "f1_mean", lower_is_better=False)]
    assert ranked == ["c", "a", "d", "b"]


def test_selection_per_task():
    assert selection_for("regression") == ("mae", True)
    assert selection_for("multilabel") == ("f1_mean", False)
    with pytest.raises(ConfigError):
        selection_for("ranking")


def test_leaderboard_command_writes_files(runs_root, reported_file, tmp_path):
    result = CliRunner().invoke(
        app, ["leaderboard", "--dataset", "tiny", "--runs", str(runs_root), "--out", str(tmp_path), "--reported", str(reported_file)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny.md").is_file()
    assert (tmp_path / "tiny.csv").is_file()
    assert "PaperNet" in (tmp_path / "tiny.md").read_text()


def write_multilabel_run(root, model, hidden, seed, f1_mean):
    config = {
        "architecture": model,
        "options": {"hidden": hidden},
        "task": "multilabel",
        "dataset": {"name": "tiny-emotions", "fingerprint": "f" * 64, "modalities": ["text", "audio"], "options": {}},
        "training": {**TrainConfig(seed=seed).__dict__},
        "environment": {"device_name": "Test GPU"},
        "command": ["mtagbench", "run", model],
    }
    run_dir = root / model / str(hidden) / f"seed-{seed}"
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(json.dumps(config))
    (run_dir / "history.json").write_text(json.dumps([{"epoch": 1, "epoch_seconds": 2.0}]))
    test = {"f1_mean": f1_mean, "acc_mean": 0.5, "f1_happy": f1_mean}
    results = {"complete": True, "best_epoch": 1, "valid": test, "test": test, "parameters": hidden}
    (run_dir / "results.json").write_text(json.dumps(results))


def test_multilabel_ranked_by_mean_f1(tmp_path):
    write_multilabel_run(tmp_path, "low", 4, 0, 0.40)
    write_multilabel_run(tmp_path, "high", 8, 0, 0.70)
    write_multilabel_run(tmp_path, "high", 8, 1, 0.80)
    board = build_leaderboard(load_runs(tmp_path), "tiny-emotions")
    assert board.selection_metric == "f1_mean"
    assert [row.model for row in board.measured] == ["high", "low"]
    assert board.measured[0].metrics["f1_mean"].mean == pytest.approx(0.75)

    markdown = render_markdown(board)
    assert "Ranked by test f1_mean (higher is better)" in markdown
    assert "| 1 | high |" in markdown
    assert "75.0 ± 7.1" in markdown
    assert "Test GPU" in markdown
