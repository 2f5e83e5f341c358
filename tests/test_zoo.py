"""Model zoo: push a run folder to a local Hub server, pull it back verified, and load it."""

from __future__ import annotations

import importlib
import json
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard
from torch import nn
from typer.testing import CliRunner

import mtagbench
import mtagbench.metrics
from mtagbench.checkpoint import save_checkpoint
from mtagbench.data import registry as data_registry
from mtagbench.data.registry import register_dataset
from mtagbench.data.sample import Batch, MultimodalDataset, Sample, collate
from mtagbench.errors import CheckpointError, ConfigError, HubError
from mtagbench.hub import client
from mtagbench.hub.hashing import git_blob_sha1, sha256_file
from mtagbench.registry import register_model
from mtagbench.zoo import load_index, load_pretrained, pull, push_run
from hub_server import LocalHub

MODEL_NAME = "zoo-test-mean"
DATASET_NAME = "zoo-test-data"
FEATURE_SIZES = {"text": 3, "audio": 2}
REPO_ID = "test-org/zoo-test-mean"


@dataclass(frozen=True)
class MeanPoolOptions:
    hidden: int = field(default=4, metadata={"help": "Hidden units."})


@register_model(MODEL_NAME, options=MeanPoolOptions, description="Test model: masked mean per modality, then an MLP.")
class MeanPoolModel(nn.Module):
    def __init__(self, feature_sizes: dict[str, int], output_dim: int, options: MeanPoolOptions) -> None:
        super().__init__()
        self.feature_sizes = dict(feature_sizes)
        self.output_dim = output_dim
        self.options = options
        self.hidden = nn.Linear(sum(feature_sizes.values()), options.hidden)
        self.output = nn.Linear(options.hidden, output_dim)

    def forward(self, batch: Batch) -> torch.Tensor:
        pooled = []
        for modality in self.feature_sizes:
            mask = batch.masks[modality].unsqueeze(-1).float()
            pooled.append((batch.features[modality] * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        return self.output(torch.tanh(self.hidden(torch.cat(pooled, dim=-1))))


def make_samples(count: int, seed: int, sizes: dict[str, int] = FEATURE_SIZES) -> list[Sample]:
    generator = np.random.default_rng(seed)
    samples = []
    for index in range(count):
        lengths = {"text": 2 + index % 3, "audio": 1 + index % 4}
        samples.append(
            Sample(
                id=f"s{seed}-{index}",
                features={m: generator.normal(size=(lengths[m], size)).astype(np.float32) for m, size in sizes.items()},
                label=np.array([generator.uniform(-3, 3)], dtype=np.float32),
            )
        )
    return samples


@register_dataset(DATASET_NAME, description="Test dataset for the zoo tests.", task="regression")
def read_test_dataset(directory: Path | None, **options: object) -> MultimodalDataset:
    return MultimodalDataset(
        name=DATASET_NAME,
        task="regression",
        splits={"train": make_samples(4, 1), "valid": make_samples(4, 2), "test": make_samples(6, 3)},
        feature_sizes=dict(FEATURE_SIZES),
    )


@register_dataset("zoo-test-wide", description="Test dataset whose text features are too wide.", task="regression")
def read_wide_dataset(directory: Path | None, **options: object) -> MultimodalDataset:
    sizes = {"text": 5, "audio": 2}
    return MultimodalDataset(
        name="zoo-test-wide",
        task="regression",
        splits={"train": make_samples(2, 5, sizes), "valid": make_samples(2, 6, sizes), "test": make_samples(3, 4, sizes)},
        feature_sizes=sizes,
    )


def simple_regression_metrics(predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    return {"mae": float(np.mean(np.abs(predictions - labels)))}


@pytest.fixture(autouse=True)
def isolated_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the tests independent of built-in readers and metrics that may not be importable here."""
    try:
        importlib.import_module("mtagbench.data.readers")
    except ImportError:
        monkeypatch.setattr(data_registry, "_load_builtin_readers", lambda: None)
    if not hasattr(mtagbench.metrics, "regression_metrics"):
        monkeypatch.setattr(mtagbench.metrics, "regression_metrics", simple_regression_metrics, raising=False)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A local Hub server, with HF_ENDPOINT, a token and a private Hugging Face cache pointing at it."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    monkeypatch.setenv("HF_TOKEN", "test-token")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN_PATH", raising=False)
    with LocalHub() as local_hub:
        monkeypatch.setenv("HF_ENDPOINT", local_hub.url)
        yield local_hub


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A finished run folder in the layout the trainer writes."""
    torch.manual_seed(0)
    model = mtagbench.create_model(MODEL_NAME, feature_sizes=FEATURE_SIZES, output_dim=1, hidden=4)
    folder = tmp_path / "run"
    save_checkpoint(
        folder,
        model,
        MODEL_NAME,
        "regression",
        dataset={"name": DATASET_NAME, "fingerprint": "ab" * 32, "source": "generated", "modalities": ["text", "audio"],
                 "feature_sizes": FEATURE_SIZES, "split_sizes": {"train": 4, "valid": 4, "test": 6}, "options": {}},
        training={"epochs": 2, "batch_size": 4, "lr": 1e-3, "weight_decay": 0.0, "seed": 0, "device": "cpu", "loss": "l1"},
        environment={"python": "3.11.9", "torch": "2.13.0", "torch_geometric": "2.8.1", "numpy": "2.1",
                     "platform": "Linux-x86_64", "device_name": "test CPU", "threads": 2},
        git_commit="0123456789abcdef0123456789abcdef01234567",
        command=["mtagbench", "run", MODEL_NAME, "--dataset", DATASET_NAME, "--epochs", "2", "--out", "runs/a b"],
    )
    history = [{"epoch": e, "train_loss": 1.0 / e, "valid": {"mae": 1.0 / e}, "lr": 1e-3, "epoch_seconds": 0.5} for e in (1, 2)]
    (folder / "history.json").write_text(json.dumps(history))
    results = {"best_epoch": 2, "selection_metric": "mae", "valid": {"mae": 0.5}, "test": {"mae": 0.8125, "corr": 0.25},
               "parameters": 33, "epoch_seconds_median": 0.5, "train_seconds": 1.25, "complete": True}
    (folder / "results.json").write_text(json.dumps(results))
    return folder


def outputs_of(model: nn.Module, samples: list[Sample]) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(collate(samples, list(FEATURE_SIZES)))


def write_index(path: Path, entries: dict) -> Path:
    path.write_text(json.dumps({"format_version": 1, "entries": entries}))
    return path


@pytest.fixture
def published(hub: LocalHub, run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Push the run folder and install a zoo index that lists the pushed checkpoint."""
    result = push_run(run_dir, REPO_ID)
    monkeypatch.setenv("MTAGBENCH_ZOO_INDEX", str(write_index(tmp_path / "index.json", {result.name: result.entry})))
    return result


def forbid_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("checkpoint loading must not unpickle")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)


def test_push_result_pins_commit(published, run_dir: Path, hub: LocalHub) -> None:
    assert re.fullmatch(r"[0-9a-f]{40}", published.commit)
    assert hub.state.repositories[REPO_ID].branches["main"] == published.commit
    assert published.name == f"{MODEL_NAME}.{DATASET_NAME}"
    assert published.entry["files"]["model.safetensors"] == sha256_file(run_dir / "model.safetensors")
    assert published.entry["files"]["config.json"] == sha256_file(run_dir / "config.json")
    assert set(published.entry["files"]) == {"model.safetensors", "config.json", "README.md", "results.json", "history.json"}
    assert published.entry["metrics"] == {"mae": 0.8125, "corr": 0.25}
    assert published.entry["recipe"] == f"mtagbench run {MODEL_NAME} --dataset {DATASET_NAME} --epochs 2 --out 'runs/a b'"


def test_pushed_entry_passes_index_check(published, tmp_path: Path) -> None:
    entries = load_index(tmp_path / "index.json")
    assert entries[published.name].revision == published.commit
    assert entries[published.name].published


def test_pull_entry_same_predictions(published, run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original, _ = mtagbench.checkpoint.load_checkpoint(run_dir)
    forbid_pickle(monkeypatch)
    pulled_model = load_pretrained(MODEL_NAME, DATASET_NAME)
    samples = make_samples(5, 9)
    assert torch.equal(outputs_of(pulled_model, samples), outputs_of(original, samples))


def test_create_model_pretrained(published, run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original, _ = mtagbench.checkpoint.load_checkpoint(run_dir)
    forbid_pickle(monkeypatch)
    model = mtagbench.create_model(MODEL_NAME, pretrained=DATASET_NAME)
    assert not model.training
    assert torch.equal(outputs_of(model, make_samples(3, 7)), outputs_of(original, make_samples(3, 7)))


def test_pull_lands_in_hf_cache(published, tmp_path: Path) -> None:
    pulled = pull(published.name)
    cache = tmp_path / "hf-home" / "hub" / "models--test-org--zoo-test-mean" / "snapshots" / published.commit
    assert pulled.folder == cache
    assert (cache / "model.safetensors").is_file()
    assert mtagbench.zoo.is_cached(mtagbench.zoo.get_entry(published.name))


def test_pull_repo_id_branch(published, run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_pickle(monkeypatch)
    pulled = pull(REPO_ID)
    assert pulled.commit == published.commit
    assert pulled.sha256["model.safetensors"] == sha256_file(run_dir / "model.safetensors")
    model = load_pretrained(MODEL_NAME, REPO_ID)
    original, _ = mtagbench.checkpoint.load_checkpoint(run_dir)
    assert torch.equal(outputs_of(model, make_samples(4, 5)), outputs_of(original, make_samples(4, 5)))


def test_pull_repo_id_at_commit(published) -> None:
    pulled = pull(f"{REPO_ID}@{published.commit}")
    assert pulled.commit == published.commit
    assert pulled.folder.name == published.commit


def test_pull_rejects_tampered_lfs_file(published, hub: LocalHub) -> None:
    hub.state.tamper(REPO_ID, "model.safetensors")
    with pytest.raises(CheckpointError, match="model.safetensors of .* failed verification: its SHA-256 is"):
        pull(published.name)
    settings = client.current_settings()
    assert client.cached_file(settings, REPO_ID, "model.safetensors", published.commit) is None
    blobs = settings.cache_dir / "models--test-org--zoo-test-mean" / "blobs"
    assert published.entry["files"]["model.safetensors"] not in [p.name for p in blobs.iterdir()]


def test_pull_repo_rejects_tampered_git_file(published, hub: LocalHub) -> None:
    hub.state.tamper(REPO_ID, "config.json")
    with pytest.raises(CheckpointError, match="config.json of .* failed verification: its git blob SHA-1 is"):
        pull(REPO_ID)
    assert client.cached_file(client.current_settings(), REPO_ID, "config.json", published.commit) is None


def test_tampered_file_refetched_after_fix(published, hub: LocalHub, run_dir: Path) -> None:
    hub.state.tamper(REPO_ID, "model.safetensors")
    with pytest.raises(CheckpointError):
        pull(published.name)
    hub.state.tampered.clear()
    pulled = pull(published.name)
    assert sha256_file(pulled.folder / "model.safetensors") == sha256_file(run_dir / "model.safetensors")


def test_pull_rejects_file_altered_in_cache(published) -> None:
    pulled = pull(published.name)
    blob = (pulled.folder / "config.json").resolve()
    blob.write_bytes(blob.read_bytes() + b" ")
    with pytest.raises(CheckpointError, match="config.json of .* failed verification"):
        pull(published.name)
    assert not (pulled.folder / "config.json").exists()


def test_pull_wrong_revision(published) -> None:
    with pytest.raises(HubError, match=r"revision '0{40}' not found in repository 'test-org/zoo-test-mean'"):
        pull(f"{REPO_ID}@{'0' * 40}")
    with pytest.raises(HubError, match="revision 'no-such-branch' not found"):
        pull(f"{REPO_ID}@no-such-branch")


def test_pull_index_revision_missing_on_hub(published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = dict(published.entry, revision="f" * 40)
    monkeypatch.setenv("MTAGBENCH_ZOO_INDEX", str(write_index(tmp_path / "bad.json", {published.name: entry})))
    with pytest.raises(HubError, match=r"revision 'f{40}' not found"):
        pull(published.name)


def test_pull_missing_repo(hub: LocalHub) -> None:
    with pytest.raises(HubError, match="repository 'test-org/missing' not found on http://127.0.0.1"):
        pull("test-org/missing")


def test_push_without_token(hub: LocalHub, run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubError, match="no Hugging Face token found.*Set HF_TOKEN"):
        push_run(run_dir, REPO_ID)
    assert hub.state.requests == []


def test_token_file_used(hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    (tmp_path / "hf-home").mkdir(exist_ok=True)
    (tmp_path / "hf-home" / "token").write_text("stored-token\n")
    assert client.current_settings().token == "stored-token"


def test_push_incomplete_run(hub: LocalHub, run_dir: Path) -> None:
    results = json.loads((run_dir / "results.json").read_text())
    (run_dir / "results.json").write_text(json.dumps(dict(results, complete=False)))
    with pytest.raises(CheckpointError, match="complete: true"):
        push_run(run_dir, REPO_ID)
    assert hub.state.repositories == {}


def test_push_to_branch(hub: LocalHub, run_dir: Path) -> None:
    result = push_run(run_dir, REPO_ID, branch="experiments")
    repository = hub.state.repositories[REPO_ID]
    assert repository.branches["experiments"] == result.commit
    assert "model.safetensors" not in repository.commits[repository.branches["main"]]
    assert pull(f"{REPO_ID}@experiments").commit == result.commit


def test_offline_without_cache(published, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubError, match="not in the Hugging Face cache at .* HF_HUB_OFFLINE is set"):
        pull(published.name)
    with pytest.raises(HubError, match="not in the Hugging Face cache at .* HF_HUB_OFFLINE is set"):
        pull(REPO_ID)


def test_offline_with_cache(published, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    online = pull(published.name)
    pull(REPO_ID)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.state.requests.clear()
    assert pull(published.name).folder == online.folder
    assert pull(REPO_ID).commit == published.commit
    assert hub.state.requests == []


def test_endpoint_read_at_call_time(published, monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalHub() as other:
        monkeypatch.setenv("HF_ENDPOINT", other.url)
        with pytest.raises(HubError, match=f"repository '{REPO_ID}' not found on {other.url}"):
            pull(REPO_ID)
        assert ("GET", f"/api/models/{REPO_ID}/revision/main") in other.state.requests


def test_unpublished_entry_prints_recipe() -> None:
    with pytest.raises(HubError, match="(?s)mtag.mosi is not published.*mtagbench run mtag --dataset mosi"):
        pull("mtag.mosi")


def test_shipped_index_entries() -> None:
    entries = load_index()
    assert set(entries) >= {"mtag.mosi", "mult.mosi", "mtag.iemocap", "mult.iemocap"}
    for entry in entries.values():
        assert entry.recipe.startswith(f"mtagbench run {entry.architecture} --dataset {entry.dataset}")


def test_index_rejects_branch_revision(published, tmp_path: Path) -> None:
    entry = dict(published.entry, revision="main")
    with pytest.raises(ConfigError, match="not a 40-character commit hash"):
        load_index(write_index(tmp_path / "branch.json", {published.name: entry}))


def test_index_rejects_bad_sha256(published, tmp_path: Path) -> None:
    entry = dict(published.entry, files={**published.entry["files"], "config.json": "abc"})
    with pytest.raises(ConfigError, match="config.json has an invalid SHA-256"):
        load_index(write_index(tmp_path / "sha.json", {published.name: entry}))


def test_list_pretrained_pattern() -> None:
    assert mtagbench.list_pretrained("mult.*") == ["mult.iemocap", "mult.mosi"]


def test_pretrained_tag_unknown() -> None:
    with pytest.raises(ConfigError, match="no pretrained 'mtag' checkpoint tagged 'nope'"):
        mtagbench.create_model("mtag", pretrained="nope")


def test_git_blob_sha1_known(tmp_path: Path) -> None:
    path = tmp_path / "hello"
    path.write_bytes(b"hello\n")
    assert git_blob_sha1(path) == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"


def test_card_front_matter(published, hub: LocalHub) -> None:
    repository = hub.state.repositories[REPO_ID]
    card = ModelCard(repository.commits[published.commit]["README.md"].decode())
    data = card.data.to_dict()
    assert data["library_name"] == "mtagbench"
    assert data["license"] == "mit"
    assert data["datasets"] == [DATASET_NAME]
    assert MODEL_NAME in data["tags"]
    values = {m["type"]: m["value"] for m in data["model-index"][0]["results"][0]["metrics"]}
    assert values == {"mae": 0.8125, "corr": 0.25}


def test_card_body(published, hub: LocalHub) -> None:
    text = hub.state.repositories[REPO_ID].commits[published.commit]["README.md"].decode()
    assert "| mae | 0.8125 |" in text
    assert f"mtagbench run {MODEL_NAME} --dataset {DATASET_NAME} --epochs 2 --out 'runs/a b'" in text
    assert "Device: cpu (test CPU)" in text
    assert "Training time: 1.2 s" in text


runner = CliRunner()


def cli(*args: str):
    from mtagbench.cli import app

    return runner.invoke(app, list(args))


def test_cli_list_shows_cached(published, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    before = cli("zoo", "list")
    assert before.exit_code == 0
    assert re.search(rf"{re.escape(published.name)}.*yes.*no", before.output)
    pull(published.name)
    after = cli("zoo", "list")
    assert re.search(rf"{re.escape(published.name)}.*yes.*yes", after.output)


def test_cli_pull_prints_path(published) -> None:
    result = cli("zoo", "pull", published.name, "--print-path")
    assert result.exit_code == 0
    assert result.output.strip().endswith(published.commit)


def test_cli_pull_unpublished() -> None:
    result = cli("zoo", "pull", "mult.iemocap")
    assert result.exit_code == 2
    assert "mtagbench run mult --dataset iemocap --epochs 40" in result.output


def test_cli_push_prints_entry(hub: LocalHub, run_dir: Path) -> None:
    result = cli("zoo", "push", str(run_dir), "--repo-id", REPO_ID)
    assert result.exit_code == 0, result.output
    commit = hub.state.repositories[REPO_ID].branches["main"]
    assert f"Committed to {REPO_ID}@main: {commit}" in result.output
    entry = json.loads(result.output[result.output.index("{") :])
    assert entry[f"{MODEL_NAME}.{DATASET_NAME}"]["revision"] == commit


def test_cli_evaluate_checkpoint(run_dir: Path) -> None:
    model, config = mtagbench.checkpoint.load_checkpoint(run_dir)
    test = read_test_dataset(None).splits["test"]
    labels = np.array([s.label[0] for s in test])
    predictions = outputs_of(model, test).reshape(-1).double().numpy()
    result = cli("evaluate", "--checkpoint", str(run_dir), "--dataset", DATASET_NAME)
    assert result.exit_code == 0, result.output
    assert f"{np.mean(np.abs(predictions - labels)):.4f}" in result.output
    assert "6 samples" in " ".join(result.output.split())


def test_cli_evaluate_pretrained(published) -> None:
    result = cli("evaluate", "--pretrained", published.name, "--dataset", DATASET_NAME, "--split", "valid")
    assert result.exit_code == 0, result.output
    assert "valid, 4 samples" in " ".join(result.output.split())


def test_evaluate_checks_sizes_first(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mtagbench.training.checkpoint_evaluation import evaluate_checkpoint

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("no batch may run before the feature sizes are checked")

    monkeypatch.setattr(MeanPoolModel, "forward", refuse)
    with pytest.raises(CheckpointError, match="text features in dataset 'zoo-test-wide' have 5 columns but the checkpoint expects 3"):
        evaluate_checkpoint(run_dir, "zoo-test-wide")


def test_cli_evaluate_needs_one_source(run_dir: Path) -> None:
    neither = cli("evaluate", "--dataset", DATASET_NAME)
    assert isinstance(neither.exception, ConfigError)
    assert "pass exactly one of --checkpoint DIR and --pretrained NAME" in str(neither.exception)
    both = cli("evaluate", "--dataset", DATASET_NAME, "--checkpoint", str(run_dir), "--pretrained", "mtag.mosi")
    assert isinstance(both.exception, ConfigError)


def test_private_repo_needs_token(hub: LocalHub, run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = push_run(run_dir, REPO_ID, private=True)
    assert hub.state.repositories[REPO_ID].private
    monkeypatch.setenv("MTAGBENCH_ZOO_INDEX", str(write_index(tmp_path / "index.json", {result.name: result.entry})))
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubError, match="repository 'test-org/zoo-test-mean' not found.*set HF_TOKEN"):
        pull(REPO_ID)
    with pytest.raises(HubError, match="repository 'test-org/zoo-test-mean' not found.*set HF_TOKEN"):
        pull(result.name)


def test_pull_unreachable_endpoint(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port}")
    with pytest.raises(HubError, match=f"cannot reach the Hub at http://127.0.0.1:{closed_port}"):
        pull(REPO_ID)


def test_library_offline_since_import(published, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubError, match="huggingface_hub is in offline mode"):
        pull(REPO_ID)


def test_card_usage_section(published, hub: LocalHub) -> None:
    text = hub.state.repositories[REPO_ID].commits[published.commit]["README.md"].decode()
    assert f"mtagbench evaluate --pretrained {REPO_ID} --dataset {DATASET_NAME}" in text
    assert f'create_model("{MODEL_NAME}", pretrained="{REPO_ID}")' in text


def test_evaluate_takes_reader_options(tmp_path):
    from mtagbench.training import TrainConfig, run_experiment
    from mtagbench.data import load_dataset
    from mtagbench.cli import app as cli_app

    dataset = load_dataset("synthetic-mosi", num_train=16, num_valid=8, num_test=8)
    run_dir = tmp_path / "run"
    run_experiment("constant", dataset, TrainConfig(epochs=1, device="cpu"), run_dir=run_dir)

    result = CliRunner().invoke(
        cli_app,
        ["evaluate", "--checkpoint", str(run_dir), "--dataset", "synthetic-mosi", "--num-test", "8", "--num-train", "16"],
    )
    assert result.exit_code == 0, result.output
    assert "test, 8 samples" in " ".join(result.output.split())
