import pytest
from typer.testing import CliRunner

from mtagbench.cli import app
from mtagbench.errors import ConfigError
from mtagbench.results.ablation import (
    MTAG_FULL_OPTIONS,
    ablation_grid,
    run_ablation,
    write_ablation_report,
)
from mtagbench.training import TrainConfig
from tests import tiny  # noqa: F401  (registers the test model and dataset)
from tests.tiny import make_dataset

MODALITIES = ("text", "audio", "vision")


def test_grid_size_three_modalities():
    cells = ablation_grid(MODALITIES)
    assert len(cells) == 12
    groups = [cell.group for cell in cells]
    assert groups.count("full model") == 1
    assert groups.count("edge types") == 3
    assert groups.count("pruning") == 2
    assert groups.count("modalities") == 6


def test_grid_full_model_first_and_unique():
    cells = ablation_grid(MODALITIES)
    full = cells[0]
    assert full.group == "full model"
    assert full.model_options == {"edge_types": "full", "prune": "topk", "keep_ratio": 0.8}
    assert full.modalities == MODALITIES
    keys = [(tuple(sorted(cell.model_options.items())), cell.modalities) for cell in cells]
    assert len(set(keys)) == len(keys)


def test_grid_edge_type_cells():
    cells = [cell for cell in ablation_grid(MODALITIES) if cell.group == "edge types"]
    assert [cell.model_options["edge_types"] for cell in cells] == ["none", "modality", "temporal"]
    assert all(cell.model_options["prune"] == "topk" for cell in cells)
    assert all(cell.model_options["keep_ratio"] == 0.8 for cell in cells)
    assert all(cell.modalities == MODALITIES for cell in cells)


def test_grid_pruning_cells():
    cells = [cell for cell in ablation_grid(MODALITIES) if cell.group == "pruning"]
    assert [cell.model_options["prune"] for cell in cells] == ["random", "none"]
    assert cells[0].model_options["keep_ratio"] == 0.8
    assert all(cell.model_options["edge_types"] == "full" for cell in cells)


def test_grid_modality_subsets():
    cells = [cell for cell in ablation_grid(MODALITIES) if cell.group == "modalities"]
    assert [cell.modalities for cell in cells] == [
        ("text",),
        ("audio",),
        ("vision",),
        ("text", "audio"),
        ("text", "vision"),
        ("audio", "vision"),
    ]
    assert [cell.label for cell in cells][:4] == ["text only", "audio only", "vision only", "text, audio"]
    assert all(cell.model_options == MTAG_FULL_OPTIONS for cell in cells)


def test_grid_other_modality_counts():
    assert len(ablation_grid(("text", "audio"))) == 1 + 3 + 2 + 2
    assert len(ablation_grid(("text",))) == 1 + 3 + 2
    assert len(ablation_grid(("a", "b", "c", "d"))) == 1 + 3 + 2 + 14


def test_grid_rejects_bad_modalities():
    with pytest.raises(ConfigError):
        ablation_grid(())
    with pytest.raises(ConfigError):
        ablation_grid(("text", "text"))


def meanpool_grid():
    return ablation_grid(
        MODALITIES,
        full_options={"hidden": 8},
        edge_type_variants=(("hidden 4", {"hidden": 4}),),
        pruning_variants=(("no dropout", {"dropout": 0.0}),),
    )


def test_ablation_end_to_end(tmp_path):
    cells = meanpool_grid()
    config = TrainConfig(epochs=1, batch_size=16, device="cpu")
    finished = []
    runs = run_ablation(
        "test-meanpool", make_dataset(), cells, config, [0, 1], runs_root=tmp_path / "runs",
        on_run_end=lambda cell, seed, result: finished.append((cell.label, seed, result.skipped)),
    )
    assert len(runs) == 9
    assert len(finished) == 18
    assert not any(skipped for _, _, skipped in finished)
    assert len({run.config_hash for run in runs}) == 9

    markdown_path, csv_path = write_ablation_report(tmp_path / "runs", "tiny", "test-meanpool", "regression", runs, tmp_path / "out")
    markdown = markdown_path.read_text()
    assert markdown_path.name == "ablations-tiny.md"
    for heading in ("## Full model", "## Edge types", "## Pruning", "## Modalities"):
        assert heading in markdown
    for cell in cells:
        assert f"| {cell.label} |" in markdown
    assert "Acc2 (neg/non-neg)" in markdown
    assert "Acc2 (neg/pos)" in markdown
    assert "| MAE |" in markdown
    assert "Acc7" not in markdown
    (text_only,) = [line for line in markdown.splitlines() if line.startswith("| text only |")]
    assert "| text | 2 |" in text_only

    csv_lines = csv_path.read_text().splitlines()
    assert len(csv_lines) == 1 + 9
    assert csv_lines[1].startswith("full model,")

    again = []
    rerun = run_ablation(
        "test-meanpool", make_dataset(), cells, config, [0, 1], runs_root=tmp_path / "runs",
        on_run_end=lambda cell, seed, result: again.append(result.skipped),
    )
    assert again == [True] * 18
    second = write_ablation_report(tmp_path / "runs", "tiny", "test-meanpool", "regression", rerun, tmp_path / "out2")
    assert second[0].read_bytes() == markdown_path.read_bytes()
    assert second[1].read_bytes() == csv_path.read_bytes()


def test_ablate_command_rejects_model_without_edge_options(tmp_path):
    result = CliRunner().invoke(
        app, ["ablate", "--dataset", "tiny", "--model", "test-meanpool", "--epochs", "1", "--runs", str(tmp_path)]
    )
    assert isinstance(result.exception, ConfigError)
    assert "edge_types" in str(result.exception)
