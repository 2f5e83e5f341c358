"""Tests of ``mtagbench compare``: the comparison library, its output folder and the command."""

from __future__ import annotations

import csv
import json
import math
import statistics
from pathlib import Path

import matplotlib.image
import pytest
import torch
from typer.testing import CliRunner

from mtagbench.cli import app
from mtagbench.compare import MeasureSettings, compare_models, default_out_dir, parse_model_options, write_comparison
from mtagbench.compare.runner import convergence_epoch
from mtagbench.errors import ConfigError
from mtagbench.measure import best_epoch, count_parameters, measure_flops
from mtagbench.nn.mtag_conv import MTAGConv
from mtagbench.registry import create_model
from mtagbench.training import TrainConfig
from tests import tiny

MODELS = ("test-meanpool", "constant")
SEEDS = (0, 1)
CONFIG = TrainConfig(epochs=3, batch_size=16, device="cpu")
SETTINGS = MeasureSettings(timing_warmup_steps=1, timing_steps=2, throughput_batches=1, throughput_repeats=2)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    dataset = tiny.make_dataset()
    comparison = compare_models(
        MODELS,
        dataset,
        CONFIG,
        SEEDS,
        {"test-meanpool": {"hidden": 6}},
        runs_root=root / "runs",
        settings=SETTINGS,
    )
    paths = write_comparison(comparison, root / "out", command=["mtagbench", "compare", *MODELS])
    return comparison, paths, root


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return {row["model"]: row for row in csv.DictReader(stream)}


def stored_results(run_dirs) -> list[dict]:
    return [json.loads((Path(run_dir) / "results.json").read_text()) for run_dir in run_dirs]


def test_model_options_grouped():
    options = parse_model_options(["test-meanpool:hidden=16", "test-meanpool:dropout=0.5"], MODELS)

    assert options == {"test-meanpool": {"hidden": 16, "dropout": 0.5}, "constant": {}}


def test_model_options_later_value_wins():
    options = parse_model_options(["test-meanpool:hidden=16", "test-meanpool:hidden=4"], MODELS)

    assert options["test-meanpool"] == {"hidden": 4}


@pytest.mark.parametrize(("spec", "message"), [
    ("hidden=16", "MODEL:NAME=VALUE"),
    ("test-meanpool:hidden", "MODEL:NAME=VALUE"),
    ("mult:num_layers=2", "not compared"),
    ("test-meanpool:width=3", "unknown option"),
    ("test-meanpool:hidden=wide", "expected int"),
])
def test_model_options_invalid(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_model_options([spec], MODELS)


def test_default_out_dir():
    assert default_out_dir("mosi-misa", ["mtag", "mult"]) == Path("comparisons/mosi-misa-mtag-mult")


def test_compare_rejects_repeated_model(tmp_path):
    with pytest.raises(ConfigError, match="named twice"):
        compare_models(["constant", "constant"], tiny.make_dataset(), CONFIG, [0], runs_root=tmp_path)


def test_convergence_epoch_tolerance():
    assert convergence_epoch([1.2, 1.0, 0.95, 0.949, 0.96], 0.01, "min") == 3


def test_convergence_epoch_nan_is_worst():
    assert convergence_epoch([math.nan, 1.0, 0.9, math.nan], 0.0, "min") == 3


def test_convergence_epoch_max_mode():
    assert convergence_epoch([0.1, 0.5, 0.4], 0.0, "max") == 2


def test_files_written(compared):
    _, paths, _ = compared

    assert set(paths) == {"markdown", "csv", "json", "plot"}
    for path in paths.values():
        assert path.is_file()
        assert path.stat().st_size > 0


def test_png_is_image(compared):
    _, paths, _ = compared

    assert paths["plot"].read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(paths["plot"])
    assert image.ndim == 3
    assert image.shape[0] > 100
    assert image.shape[1] > 100


def test_csv_columns(compared):
    _, paths, _ = compared

    with paths["csv"].open(encoding="utf-8") as stream:
        header = next(csv.reader(stream))

    for column in (
        "model",
        "parameters",
        "flops_forward_per_sample",
        "flops_forward_backward_per_sample",
        "epoch_seconds_history_median",
        "epoch_seconds_measured",
        "inference_samples_per_second",
        "peak_memory_growth_mib",
        "convergence_epoch_mean",
        "convergence_epoch_std",
        "test_mae_mean",
        "test_mae_std",
        "test_acc2_nonnegative_mean",
        "test_acc2_nonzero_mean",
    ):
        assert column in header
    assert list(read_csv(paths["csv"])) == list(MODELS)


def test_parameters_match_fvcore(compared):
    _, paths, _ = compared
    rows = read_csv(paths["csv"])
    meanpool = create_model("test-meanpool", feature_sizes=tiny.FEATURE_SIZES, output_dim=1, hidden=6)
    constant = create_model("constant", feature_sizes=tiny.FEATURE_SIZES, output_dim=1)

    assert int(rows["test-meanpool"]["parameters"]) == count_parameters(meanpool).total == 9 * 6 + 6 + 6 + 1
    assert int(rows["constant"]["parameters"]) == count_parameters(constant).total == 1


def test_test_means_match_run_folders(compared):
    comparison, paths, _ = compared
    rows = read_csv(paths["csv"])

    for entry in comparison.models:
        stored = stored_results(entry.run_dirs)
        for metric in ("mae", "acc2_nonnegative", "acc2_nonzero"):
            values = [result["test"][metric] for result in stored]
            assert float(rows[entry.model][f"test_{metric}_mean"]) == pytest.approx(statistics.fmean(values), rel=1e-5)
            assert float(rows[entry.model][f"test_{metric}_std"]) == pytest.approx(statistics.stdev(values), rel=1e-5, abs=1e-9)


def test_convergence_matches_history(compared):
    comparison, _, _ = compared

    for entry in comparison.models:
        for run_dir, epoch in zip(entry.run_dirs, entry.convergence_epochs):
            history = json.loads((Path(run_dir) / "history.json").read_text())
            assert epoch == best_epoch([record["valid"]["mae"] for record in history]).epoch
        assert entry.convergence.mean == statistics.fmean(entry.convergence_epochs)


def test_history_seconds_median(compared):
    comparison, _, _ = compared
    entry = comparison.models[0]

    seconds = []
    for run_dir in entry.run_dirs:
        seconds += [record["epoch_seconds"] for record in json.loads((Path(run_dir) / "history.json").read_text())]

    assert len(seconds) == len(SEEDS) * CONFIG.epochs
    assert entry.history_epoch_seconds_median == statistics.median(seconds)


def test_measurements_recorded(compared):
    comparison, paths, _ = compared
    document = json.loads(paths["json"].read_text())
    meanpool = document["models"][0]["measurements"]

    assert document["seeds"] == list(SEEDS)
    assert document["environment"]["torch"] == torch.__version__
    assert document["environment"]["torch_threads"] == torch.get_num_threads()
    assert meanpool["flops_batch_size"] == CONFIG.batch_size
    assert len(meanpool["step_seconds"]) == SETTINGS.timing_steps
    assert meanpool["batches_per_epoch"] == 3
    assert meanpool["epoch_seconds_estimate"] == pytest.approx(meanpool["step_seconds_median"] * 3)
    assert meanpool["inference_samples"] == 16
    assert meanpool["inference_samples_per_second"] > 0
    assert document["models"][1]["measurements"]["flops_forward_per_sample"] == 0


def test_flops_match_measure(compared):
    comparison, _, _ = compared
    dataset = tiny.make_dataset()
    model = create_model("test-meanpool", feature_sizes=tiny.FEATURE_SIZES, output_dim=1, hidden=6).eval()
    from mtagbench.data.sample import collate

    batch = collate(dataset.splits["train"][: CONFIG.batch_size], dataset.modalities)
    expected = measure_flops(model, batch)

    assert comparison.models[0].measurements.flops_forward_per_sample == expected.forward_per_sample


def test_markdown_tables_and_legend(compared):
    _, paths, _ = compared
    text = paths["markdown"].read_text()

    assert "| model | Acc7 |" in text
    assert "| test-meanpool |" in text
    assert "`acc2_nonnegative`" in text
    assert "`acc2_nonzero`" in text
    assert "labelled exactly 0 are dropped" in text
    assert "![validation MAE per epoch](convergence.png)" in text


def test_rerun_reuses_runs(compared):
    comparison, _, root = compared

    again = compare_models(
        MODELS,
        tiny.make_dataset(),
        CONFIG,
        SEEDS,
        {"test-meanpool": {"hidden": 6}},
        runs_root=root / "runs",
        settings=SETTINGS,
    )

    for before, after in zip(comparison.models, again.models):
        assert after.trained_now == (False, False)
        assert after.run_dirs == before.run_dirs
        assert after.test["mae"] == before.test["mae"]


def test_mtag_conv_flops_hand_count():
    # 3 nodes with 2 input channels, node types [0, 0, 1]; 4 edges of 2 edge types; 1 head of 2 channels.
    nodes, edges, in_channels, channels, heads, edge_types = 3, 4, 2, 2, 1, 2
    # The unfused path runs the message passing step by step, through PyG's softmax and message().
    conv = MTAGConv(
        in_channels, channels, num_node_types=2, num_edge_types=edge_types, heads=heads, fused=False
    ).eval()
    x = torch.randn(nodes, in_channels)
    edge_index = torch.tensor([[0, 1, 2, 0], [1, 2, 0, 2]])
    node_type = torch.tensor([0, 0, 1])
    edge_type = torch.tensor([0, 1, 1, 0])

    result = measure_flops(conv, (x, edge_index, node_type, edge_type))

    # Node-type projection M_pi x_i: one mm per node type, 2 * rows * in * out over all rows.
    projection = 2 * nodes * in_channels * heads * channels  # 24
    # Target and source halves of every type's attention vector: two einsums run as bmm.
    attention_halves = 2 * (2 * heads * nodes * channels * edge_types)  # 48
    # Index arithmetic node * T + type for targets and sources: one mul and one add per edge each.
    # The rules count add and mul whatever the dtype, so these int64 operations count too.
    index_arithmetic = 2 * (edges + edges)  # 16
    beta = edges * heads  # target half + source half: 4
    leaky_relu = edges * heads  # 4
    # PyG's softmax: scatter max, subtract, exp, scatter sum, + 1e-16 per node, divide.
    edge_softmax = 4 + 4 + 4 + 4 + nodes * heads + 4  # 23
    messages = edges * heads * channels  # alpha * x'_j: 8
    aggregation = edges * heads * channels  # scatter_add_: 8
    bias = nodes * heads * channels  # 6
    assert result.by_operator["aten.mm"] == 2 * projection
    assert result.forward == (
        projection + attention_halves + index_arithmetic + beta + leaky_relu + edge_softmax + messages + aggregation + bias
    )
    assert result.forward == 141


runner = CliRunner()


def test_cli_writes_folder(tmp_path):
    out = tmp_path / "out"

    result = runner.invoke(
        app,
        [
            "compare", "test-meanpool", "constant", "--dataset", "tiny", "--seeds", "0", "1", "--epochs", "2",
            "--device", "cpu", "--runs", str(tmp_path / "runs"), "--out", str(out),
            "--model-option", "test-meanpool:hidden=4", "--timing-steps", "1", "--reference", "constant", "--reader-option", "seed=1",
        ],
        env={"COLUMNS": "250"},
    )

    assert result.exit_code == 0, result.output
    assert "size, cost, speed and convergence" in result.output
    document = json.loads((out / "comparison.json").read_text())
    assert document["models"][0]["options"] == {"hidden": 4}
    assert document["seeds"] == [0, 1]
    assert document["reference_model"] == "constant"
    assert document["training"]["epochs"] == 2
    assert document["reader_options"] == {"seed": 1}
    assert (out / "convergence.png").read_bytes()[:8] == PNG_SIGNATURE


def test_cli_bad_reader_option(tmp_path):
    result = runner.invoke(app, ["compare", "constant", "--dataset", "tiny", "--runs", str(tmp_path), "--reader-option", "size"])

    assert isinstance(result.exception, ConfigError)
    assert "NAME=VALUE" in str(result.exception)


def test_cli_bad_model_option(tmp_path):
    result = runner.invoke(
        app,
        ["compare", "test-meanpool", "--dataset", "tiny", "--runs", str(tmp_path), "--model-option", "mtag:num_layers=2"],
    )

    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "not compared" in str(result.exception)


def test_compare_resumes_unfinished_run(tmp_path):
    from mtagbench.training import RunFolderError, run_experiment

    dataset = tiny.make_dataset()
    run_experiment("constant", dataset, CONFIG, runs_root=tmp_path, stop_after_epoch=1)

    with pytest.raises(RunFolderError, match="--resume"):
        compare_models(["constant"], dataset, CONFIG, [0], runs_root=tmp_path, settings=SETTINGS)
    resumed = compare_models(["constant"], dataset, CONFIG, [0], runs_root=tmp_path, resume=True, settings=SETTINGS)

    assert resumed.models[0].trained_now == (True,)
    assert len(resumed.models[0].valid_curves[0]) == CONFIG.epochs
