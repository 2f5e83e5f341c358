import sys

import pandas as pd
import pytest
from PIL import Image

from mtagbench.cli import main
from mtagbench.data.registry import load_dataset
from mtagbench.explain.plots import graph_figure_size, heatmap_figure_size
from mtagbench.training import TrainConfig, run_experiment
from tests import tiny

READER_OPTIONS = {"num_train": 16, "num_valid": 6, "num_test": 6}
MTAG_OPTIONS = {"num_layers": 2, "hidden_dim": 8, "num_heads": 2, "readout_hidden": 4}
SAMPLE_ID = "synthetic-valid-0002"


def flat(text: str) -> str:
    """Undo Rich's line wrapping: join the words of ``text`` with single spaces."""
    return " ".join(text.split())


def run_cli(*args: str) -> int:
    """Run the command line through ``main``, so that user errors exit with code 2."""
    old_argv = sys.argv
    sys.argv = ["mtagbench", *args]
    try:
        main()
    except SystemExit as exit_:
        return exit_.code
    finally:
        sys.argv = old_argv
    return 0


@pytest.fixture(scope="module")
def synthetic():
    return load_dataset("synthetic-mosi", None, **READER_OPTIONS)


@pytest.fixture(scope="module")
def mtag_run(tmp_path_factory, synthetic):
    run_dir = tmp_path_factory.mktemp("mtag") / "run"
    config = TrainConfig(epochs=1, batch_size=8, device="cpu")
    run_experiment("mtag", synthetic, config, MTAG_OPTIONS, run_dir, reader_options=READER_OPTIONS, command=["test"])
    return run_dir


def sample_length(dataset, split: str, sample_id: str) -> int:
    sample = next(s for s in dataset.splits[split] if s.id == sample_id)
    return sum(sample.length(m) for m in dataset.modalities)


def test_explain_run_writes_files(tmp_path, mtag_run, synthetic, capsys):
    out = tmp_path / "out"
    code = run_cli("explain", "--run", str(mtag_run), "--sample", SAMPLE_ID, "--out", str(out), "--top", "12", "--html", "--dpi", "40")
    printed = capsys.readouterr().out
    assert code == 0, printed

    for name in ("graph.png", "heatmaps.png", "edge_types.csv", "graph.html"):
        assert (out / name).is_file(), name
        # Rich may break a long path anywhere, so newlines are removed, not turned into spaces.
        assert str(out / name) in printed.replace("\n", "")
    assert "drew the 12 strongest" in flat(printed)

    with Image.open(out / "graph.png") as image:
        assert image.size == tuple(round(side * 40) for side in graph_figure_size(3))
    with Image.open(out / "heatmaps.png") as image:
        assert image.size == tuple(round(side * 40) for side in heatmap_figure_size(3))
    assert (out / "graph.html").read_text(encoding="utf-8").count('<g class="edge"') == 12


def test_explain_run_table_sums(tmp_path, mtag_run, synthetic):
    out = tmp_path / "out"
    assert run_cli("explain", "--run", str(mtag_run), "--sample", SAMPLE_ID, "--out", str(out), "--layer", "1", "--dpi", "30") == 0

    table = pd.read_csv(out / "edge_types.csv")
    first = table[table["layer"] == 1]
    second = table[table["layer"] == 2]
    assert len(table) == 2 * 27
    # Every node has a self-loop, so every node is a target in layer 1 and the mass is the node count.
    assert first["mass_before"].sum() == pytest.approx(sample_length(synthetic, "valid", SAMPLE_ID))
    assert first["edges_after"].tolist() == second["edges_before"].tolist()
    assert first["edges_after"].sum() == pytest.approx(0.8 * first["edges_before"].sum(), abs=1)


def test_explain_checkpoint_with_reader_options(tmp_path, mtag_run):
    out = tmp_path / "out"
    code = run_cli(
        "explain", "--checkpoint", str(mtag_run), "--dataset", "synthetic-mosi", "--num-train", "16",
        "--num-valid", "6", "--num-test", "6", "--split", "test", "--sample", "synthetic-test-0001",
        "--out", str(out), "--dpi", "30",
    )
    assert code == 0
    assert (out / "graph.png").is_file()


def test_explain_summary_averages_split(tmp_path, mtag_run, synthetic, capsys):
    out = tmp_path / "summary"
    code = run_cli("explain", "--run", str(mtag_run), "--summary", "--out", str(out), "--batch-size", "4")
    printed = capsys.readouterr().out
    assert code == 0, printed

    table = pd.read_csv(out / "edge_types.csv")
    lengths = [sample_length(synthetic, "valid", s.id) for s in synthetic.splits["valid"]]
    assert table[table["layer"] == 1]["mass_before"].sum() == pytest.approx(sum(lengths) / len(lengths))
    assert "6 samples" in flat(printed)


def test_explain_missing_sample_lists_ids(tmp_path, mtag_run, capsys):
    code = run_cli("explain", "--run", str(mtag_run), "--sample", "synthetic-valid-002", "--out", str(tmp_path / "o"))
    error = flat(capsys.readouterr().err)
    assert code == 2
    assert "no sample 'synthetic-valid-002' in the 'valid' split" in error
    assert "did you mean 'synthetic-valid-0002'" in error
    assert "'synthetic-valid-0000'" in error
    assert "Traceback" not in error


def test_explain_layer_out_of_range(tmp_path, mtag_run, capsys):
    code = run_cli("explain", "--run", str(mtag_run), "--sample", SAMPLE_ID, "--layer", "3", "--out", str(tmp_path / "o"))
    assert code == 2
    assert "numbered 1 to 2" in flat(capsys.readouterr().err)


def test_explain_needs_one_model_source(tmp_path, mtag_run, capsys):
    code = run_cli("explain", "--run", str(mtag_run), "--checkpoint", str(mtag_run), "--sample", SAMPLE_ID)
    assert code == 2
    assert "exactly one of --checkpoint DIR, --run DIR and --pretrained NAME" in flat(capsys.readouterr().err)


def test_explain_needs_sample_or_summary(mtag_run, capsys):
    assert run_cli("explain", "--run", str(mtag_run)) == 2
    assert "--sample ID" in flat(capsys.readouterr().err)


def test_explain_rejects_model_option(mtag_run, capsys):
    code = run_cli("explain", "--run", str(mtag_run), "--sample", SAMPLE_ID, "--num-layers", "3")
    assert code == 2
    assert "--num-layers: model options come from the trained model" in flat(capsys.readouterr().err)


def test_explain_rejects_wrong_dataset(mtag_run, capsys):
    assert run_cli("explain", "--checkpoint", str(mtag_run), "--dataset", "tiny", "--sample", "valid0") == 2
    error = flat(capsys.readouterr().err)
    assert "columns but the checkpoint expects" in error


def test_explain_rejects_other_models(tmp_path, capsys):
    run_dir = tmp_path / "meanpool"
    config = TrainConfig(epochs=1, batch_size=8, device="cpu")
    run_experiment("test-meanpool", tiny.make_dataset(), config, {"hidden": 4}, run_dir, command=["test"])

    code = run_cli("explain", "--run", str(run_dir), "--sample", "valid0")
    error = flat(capsys.readouterr().err)
    assert code == 2
    assert "'test-meanpool' model; only MTAG models can be explained" in error


def test_explain_checkpoint_folder_is_not_run(tmp_path, mtag_run, capsys):
    from mtagbench.checkpoint import load_checkpoint, save_checkpoint

    model, _ = load_checkpoint(mtag_run)
    save_checkpoint(tmp_path / "ckpt", model, "mtag", "regression")
    assert run_cli("explain", "--run", str(tmp_path / "ckpt"), "--sample", SAMPLE_ID) == 2
    assert "pass it with --checkpoint" in flat(capsys.readouterr().err)



def test_explain_summary_rejects_html(mtag_run, capsys):
    assert run_cli("explain", "--run", str(mtag_run), "--summary", "--html") == 2
    assert "--html draws one sample's graph" in flat(capsys.readouterr().err)


def test_explain_warns_on_other_data(tmp_path, mtag_run, capsys):
    code = run_cli("explain", "--run", str(mtag_run), "--data-seed", "1", "--sample", SAMPLE_ID, "--out", str(tmp_path / "o"), "--dpi", "30")
    printed = flat(capsys.readouterr().out)
    assert code == 0
    assert "dataset fingerprints differ" in printed
