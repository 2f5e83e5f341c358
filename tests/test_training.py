import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from mtagbench.training import RunFolderError, TrainConfig, run_experiment
from mtagbench.training.run_folder import is_complete
from tests.tiny import make_dataset

CONFIG = TrainConfig(epochs=4, batch_size=8, lr=1e-2, device="cpu", seed=3)


def test_run_writes_config_history_results_weights(tmp_path):
    result = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    run_dir = tmp_path / "run"

    config = json.loads((run_dir / "config.json").read_text())
    assert config["architecture"] == "test-meanpool"
    assert config["options"] == {"hidden": 8, "dropout": 0.2}
    assert config["dataset"]["fingerprint"] == make_dataset().fingerprint()
    assert config["dataset"]["split_sizes"] == {"train": 48, "valid": 16, "test": 16}
    assert config["training"]["seed"] == 3
    assert "torch" in config["environment"]

    history = json.loads((run_dir / "history.json").read_text())
    assert [record["epoch"] for record in history] == [1, 2, 3, 4]
    assert all(record["epoch_seconds"] > 0 for record in history)

    results = json.loads((run_dir / "results.json").read_text())
    assert results["complete"] is True
    assert is_complete(run_dir)
    assert not (run_dir / "state").exists()
    assert np.isfinite(results["test"]["mae"])
    assert set(load_file(str(run_dir / "model.safetensors"))) == set(result.model.state_dict())


def test_selected_epoch_has_best_validation_mae(tmp_path):
    result = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    maes = [record["valid"]["mae"] for record in result.history]
    assert result.best_epoch == int(np.argmin(maes)) + 1
    assert result.valid["mae"] == min(maes)


def test_tested_weights_are_selected_weights(tmp_path):
    result = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    saved = load_file(str(tmp_path / "run" / "model.safetensors"))
    for name, tensor in result.model.state_dict().items():
        assert torch.equal(saved[name], tensor), name


def test_same_seed_repeats_bit_for_bit():
    first = run_experiment("test-meanpool", make_dataset(), CONFIG)
    second = run_experiment("test-meanpool", make_dataset(), CONFIG)
    assert [r["train_loss"] for r in first.history] == [r["train_loss"] for r in second.history]
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(second.model.state_dict()[name], tensor), name


def test_other_seed_differs():
    first = run_experiment("test-meanpool", make_dataset(), CONFIG)
    other = run_experiment("test-meanpool", make_dataset(), TrainConfig(**{**CONFIG.__dict__, "seed": 4}))
    assert first.history[0]["train_loss"] != other.history[0]["train_loss"]


def test_resume_matches_uninterrupted_run(tmp_path):
    straight = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "straight")

    partial = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "resumed", stop_after_epoch=2)
    assert len(partial.history) == 2
    assert not is_complete(tmp_path / "resumed")

    resumed = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "resumed", resume=True)
    assert [r["train_loss"] for r in resumed.history] == [r["train_loss"] for r in straight.history]
    assert resumed.test == straight.test
    for name, tensor in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], tensor), name


def test_unfinished_run_without_resume_rejected(tmp_path):
    run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run", stop_after_epoch=1)
    with pytest.raises(RunFolderError, match="--resume"):
        run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")


def test_different_config_in_folder_rejected(tmp_path):
    run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    with pytest.raises(RunFolderError, match="different configuration"):
        run_experiment("test-meanpool", make_dataset(), CONFIG, {"hidden": 4}, run_dir=tmp_path / "run")


def test_completed_run_skipped(tmp_path):
    first = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    again = run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    assert again.skipped
    assert again.test == first.test


def test_default_folder_groups_seeds(tmp_path):
    a = run_experiment("test-meanpool", make_dataset(), CONFIG, runs_root=tmp_path)
    b = run_experiment("test-meanpool", make_dataset(), TrainConfig(**{**CONFIG.__dict__, "seed": 5}), runs_root=tmp_path)
    assert a.run_dir.parent == b.run_dir.parent
    assert a.run_dir.name == "seed-3"
    assert b.run_dir.name == "seed-5"
    assert a.run_dir.parent.parent == tmp_path / "tiny" / "test-meanpool"


def test_constant_model_learns_median():
    dataset = make_dataset()
    # Validating on the training samples makes the selected constant the L1-optimal one there.
    dataset.splits["valid"] = dataset.splits["train"]
    config = TrainConfig(epochs=30, batch_size=48, lr=0.2, weight_decay=0.0, device="cpu")
    result = run_experiment("constant", dataset, config)
    median = np.median([s.label[0] for s in dataset.splits["train"]])
    assert result.model.bias.item() == pytest.approx(median, abs=0.1)


def test_changed_weights_rejected(tmp_path):
    from mtagbench.checkpoint import load_checkpoint
    from mtagbench.errors import CheckpointError

    run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    weights = tmp_path / "run" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF  # a byte of tensor data: the header stays valid
    weights.write_bytes(bytes(data))

    with pytest.raises(CheckpointError, match="SHA-256 recorded"):
        load_checkpoint(tmp_path / "run")


def test_run_files_readable_by_group(tmp_path):
    run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=tmp_path / "run")
    mode = (tmp_path / "run" / "results.json").stat().st_mode & 0o777
    assert mode & 0o044 == 0o044 or mode == 0o666 & ~_umask()


def test_out_pointing_at_file_rejected(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(RunFolderError, match="is a file"):
        run_experiment("test-meanpool", make_dataset(), CONFIG, run_dir=target)


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
