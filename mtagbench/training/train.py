"""The training loop: train, select the checkpoint on validation, test once.

:func:`run_experiment` trains one model on one dataset with one seed. After every epoch it writes
the history and a resume state atomically, so an interrupted run continues from its last completed
epoch with ``resume=True`` and repeats bit for bit on the CPU.
"""

from __future__ import annotations

import copy
import logging
import random
import shutil
import statistics
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from mtagbench.checkpoint import WEIGHTS_NAME, load_weights, model_config, save_weights
from mtagbench.data.sample import MultimodalDataset
from mtagbench.environment import describe_hardware, git_commit, package_versions, resolve_device
from mtagbench.errors import ConfigError, MtagbenchError
from mtagbench.io import atomic_write, atomic_write_json, sha256_file
from mtagbench.registry import create_model, get_model_spec
from mtagbench.tasks import Task, create_task
from mtagbench.training import run_folder
from mtagbench.training.config import TrainConfig
from mtagbench.training.evaluate import evaluate, iterate_batches, labels_of

logger = logging.getLogger(__name__)


class TrainingError(MtagbenchError):
    """Training cannot go on, for example because the loss became NaN."""


class RunFolderError(MtagbenchError):
    """A run folder exists and contains a different or unfinished run."""


class TrainingCallback(Protocol):
    """Hooks a caller (the command line's progress bar) can pass to :func:`run_experiment`."""

    def on_run_start(self, first_epoch: int, epochs: int, batches_per_epoch: int) -> None: ...

    def on_batch_end(self, epoch: int, loss: float) -> None: ...

    def on_epoch_end(self, record: dict[str, Any]) -> None: ...


@dataclass
class RunResult:
    """Result of :func:`run_experiment`.

    Attributes:
        model: The model with the weights selected on validation, in evaluation mode.
        config: The resolved run config, as written to ``config.json``.
        history: One record per epoch.
        best_epoch: The epoch (from 1) whose weights were tested.
        valid: Validation metrics of that epoch.
        test: Test metrics of those weights, computed once.
        parameters: Number of trainable parameters.
        run_dir: The run folder, or None for a run kept in memory.
        skipped: True when the run folder already held a completed run and nothing was trained.
        selection_metric: The validation metric that selected ``best_epoch``.
        epoch_seconds: Training seconds of each epoch.
    """

    model: nn.Module
    config: dict[str, Any]
    history: list[dict[str, Any]]
    best_epoch: int
    valid: dict[str, float]
    test: dict[str, float]
    parameters: int
    run_dir: Path | None = None
    skipped: bool = False
    selection_metric: str = ""
    epoch_seconds: list[float] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_task(dataset: MultimodalDataset, config: TrainConfig) -> Task:
    if dataset.task == "regression":
        return create_task("regression", loss_name=config.loss)
    task = create_task(dataset.task, class_weights=config.class_weights)
    if hasattr(task, "fit"):
        task.fit(labels_of(dataset.splits["train"]))
    return task


def build_model(model_name: str, dataset: MultimodalDataset, task: Task, options: Mapping[str, Any]) -> nn.Module:
    """Create ``model_name`` for ``dataset``, checking that the model supports its task and alignment."""
    spec = get_model_spec(model_name)
    if dataset.task not in spec.tasks:
        raise ConfigError(
            f"model {model_name!r} supports the tasks {list(spec.tasks)}, but dataset {dataset.name!r} "
            f"is a {dataset.task} task"
        )
    if spec.needs_aligned and not dataset.aligned:
        raise ConfigError(f"model {model_name!r} needs aligned input, but dataset {dataset.name!r} is unaligned")
    label_shape = tuple(np.asarray(dataset.splits["train"][0].label).shape)
    return create_model(
        model_name,
        feature_sizes=dataset.feature_sizes,
        output_dim=task.output_dim(label_shape),
        **options,
    )


def describe_dataset(dataset: MultimodalDataset, reader_options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "fingerprint": dataset.fingerprint(),
        "source": dataset.source,
        "task": dataset.task,
        "modalities": list(dataset.modalities),
        "feature_sizes": dict(dataset.feature_sizes),
        "label_names": list(dataset.label_names),
        "split_sizes": {split: len(samples) for split, samples in dataset.splits.items()},
        "aligned": dataset.aligned,
        "options": dict(reader_options),
    }


def build_run_config(
    model: nn.Module,
    model_name: str,
    dataset: MultimodalDataset,
    config: TrainConfig,
    device: torch.device,
    reader_options: Mapping[str, Any],
    command: list[str] | None,
) -> dict[str, Any]:
    return model_config(
        model,
        model_name,
        dataset.task,
        dataset=describe_dataset(dataset, reader_options),
        training=asdict(config),
        environment={**package_versions(), **describe_hardware(device)},
        git_commit=git_commit(),
        command=list(command) if command is not None else list(sys.argv),
    )


def _selection_improved(value: float, best: float | None, lower_is_better: bool) -> bool:
    if not np.isfinite(value):
        return False
    if best is None:
        return True
    return value < best if lower_is_better else value > best


class _RunStore:
    """Reads and writes one run folder; a no-op store keeps everything in memory."""

    def __init__(self, run_dir: Path | None) -> None:
        self.run_dir = run_dir
        self._best_state: dict[str, torch.Tensor] | None = None

    def save_best(self, model: nn.Module) -> None:
        if self.run_dir is None:
            self._best_state = copy.deepcopy(model.state_dict())
        else:
            save_weights(self.run_dir / WEIGHTS_NAME, model)

    def load_best(self, model: nn.Module) -> None:
        if self.run_dir is None:
            if self._best_state is not None:
                model.load_state_dict(self._best_state)
        elif (self.run_dir / WEIGHTS_NAME).is_file():
            load_weights(self.run_dir / WEIGHTS_NAME, model)

    def write_json(self, name: str, value: Any) -> None:
        if self.run_dir is not None:
            atomic_write_json(self.run_dir / name, value)

    def save_state(self, state: dict[str, Any]) -> None:
        if self.run_dir is not None:
            atomic_write(self.run_dir / run_folder.STATE_FILE, lambda path: torch.save(state, path))

    def load_state(self) -> dict[str, Any] | None:
        if self.run_dir is None:
            return None
        path = self.run_dir / run_folder.STATE_FILE
        if not path.is_file():
            return None
        try:
            # Our own file, but still never unpickle arbitrary objects from disk.
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 (torch raises many types for a damaged file)
            raise RunFolderError(
                f"cannot read the resume state {path} ({error}); pass --overwrite to start the run again"
            ) from None

    def finish(self) -> None:
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir / "state", ignore_errors=True)


def prepare_run_dir(run_dir: Path, config: dict[str, Any], resume: bool, overwrite: bool) -> str:
    """Check an existing run folder; return ``"new"``, ``"resume"`` or ``"complete"``.

    Raises:
        RunFolderError: If the folder contains a different experiment, or an unfinished one and
            neither ``resume`` nor ``overwrite`` is set.
    """
    config_path = run_dir / run_folder.CONFIG_FILE
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"the run folder {run_dir} is a file, not a folder; choose another --out")
    if overwrite and run_dir.exists():
        shutil.rmtree(run_dir)
    if not config_path.is_file():
        return "new"

    existing = run_folder.read_json(config_path)
    if run_folder.identity(existing) != run_folder.identity(config) or (
        existing["training"]["seed"] != config["training"]["seed"]
    ):
        raise RunFolderError(
            f"{run_dir} contains a run with a different configuration; choose another --out folder "
            "or pass --overwrite to replace it"
        )
    if run_folder.is_complete(run_dir):
        return "complete"
    if (run_dir / run_folder.STATE_FILE).is_file() and resume:
        return "resume"
    if resume:
        return "new"
    history = run_dir / run_folder.HISTORY_FILE
    done = len(run_folder.read_json(history)) if history.is_file() else 0
    raise RunFolderError(
        f"{run_dir} contains an unfinished run ({done} completed epochs); pass --resume to continue it "
        "or --overwrite to start again"
    )


def run_experiment(
    model_name: str,
    dataset: MultimodalDataset,
    config: TrainConfig = TrainConfig(),
    model_options: Mapping[str, Any] | None = None,
    run_dir: str | Path | None = None,
    *,
    runs_root: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    reader_options: Mapping[str, Any] | None = None,
    callback: TrainingCallback | None = None,
    command: list[str] | None = None,
    stop_after_epoch: int | None = None,
) -> RunResult:
    """Train ``model_name`` on ``dataset``, select the best validation epoch, and test it once.

    Args:
        model_name: Registered model name.
        dataset: A validated dataset with train, valid and test splits.
        config: Optimisation settings.
        model_options: The model's options (see ``mtagbench models NAME``).
        run_dir: Folder for the run's files. When None, ``runs_root`` names the root of the default
            folder ``<runs_root>/<dataset>/<model>/<config hash>/seed-<seed>``; when both are None,
            everything stays in memory.
        runs_root: See ``run_dir``.
        resume: Continue an unfinished run in ``run_dir`` from its last completed epoch.
        overwrite: Delete whatever ``run_dir`` contains and start again.
        reader_options: The dataset reader's options, recorded in the config.
        callback: Progress hooks.
        command: The command line to record; defaults to ``sys.argv``.
        stop_after_epoch: Stop (without testing) after this epoch, as an interruption would.

    Returns:
        A :class:`RunResult`; ``skipped`` is True when ``run_dir`` already held this completed run.

    Raises:
        ConfigError: For an unknown model, option, or a task the model does not support.
        RunFolderError: When ``run_dir`` contains another or an unfinished run (see ``resume``).
        TrainingError: When the training loss becomes NaN or inf.
    """
    device = resolve_device(config.device)
    seed_everything(config.seed)
    task = build_task(dataset, config)
    model = build_model(model_name, dataset, task, model_options or {}).to(device)
    run_config = build_run_config(model, model_name, dataset, config, device, reader_options or {}, command)

    if run_dir is None and runs_root is not None:
        run_dir = run_folder.default_run_dir(runs_root, run_config)
    run_dir = Path(run_dir) if run_dir is not None else None
    status = "new" if run_dir is None else prepare_run_dir(run_dir, run_config, resume, overwrite)
    store = _RunStore(run_dir)
    if status == "complete":
        return _load_completed(run_dir, model, run_config)
    store.write_json(run_folder.CONFIG_FILE, run_config)

    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="min" if task.lower_is_better else "max",
        factor=config.lr_factor,
        patience=config.lr_patience,
    )

    history: list[dict[str, Any]] = []
    best_value: float | None = None
    best_epoch = 0
    first_epoch = 1
    if status == "resume":
        state = store.load_state()
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        _set_rng_state(state["rng"])
        history = run_folder.read_json(run_dir / run_folder.HISTORY_FILE)[: state["epoch"]]
        best_value, best_epoch = state["best_value"], state["best_epoch"]
        first_epoch = state["epoch"] + 1
        logger.info("resuming %s from epoch %d", run_dir, first_epoch)

    train_samples = dataset.splits["train"]
    valid_samples = dataset.splits["valid"]
    modalities = dataset.modalities
    batches_per_epoch = -(-len(train_samples) // config.batch_size)
    if callback is not None:
        callback.on_run_start(first_epoch, config.epochs, batches_per_epoch)

    for epoch in range(first_epoch, config.epochs + 1):
        started = time.perf_counter()
        train_loss = _train_epoch(model, task, train_samples, modalities, optimizer, config, epoch, device, callback)
        epoch_seconds = time.perf_counter() - started

        valid_metrics = evaluate(model, valid_samples, task, config.eval_batch_size, device)
        value = valid_metrics[task.selection_metric]
        if _selection_improved(value, best_value, task.lower_is_better):
            best_value, best_epoch = value, epoch
            store.save_best(model)
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step(value if np.isfinite(value) else float("inf"))

        record = {
            "epoch": epoch,
            "train_loss": train_loss,
            "valid": valid_metrics,
            "lr": lr,
            "epoch_seconds": epoch_seconds,
            "valid_seconds": time.perf_counter() - started - epoch_seconds,
        }
        history.append(record)
        store.write_json(run_folder.HISTORY_FILE, history)
        store.save_state(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": _get_rng_state(),
                "best_value": best_value,
                "best_epoch": best_epoch,
            }
        )
        if callback is not None:
            callback.on_epoch_end(record)
        if stop_after_epoch is not None and epoch >= stop_after_epoch and epoch < config.epochs:
            return RunResult(model, run_config, history, best_epoch, {}, {}, count_parameters(model), run_dir)

    if best_epoch == 0:
        raise TrainingError(
            f"no epoch produced a finite validation {task.selection_metric}; check the data or lower --lr"
        )
    store.load_best(model)
    test_metrics = evaluate(model, dataset.splits["test"], task, config.eval_batch_size, device)
    epoch_seconds = [record["epoch_seconds"] for record in history]
    results = {
        "complete": True,
        "best_epoch": best_epoch,
        "selection_metric": task.selection_metric,
        "valid": history[best_epoch - 1]["valid"],
        "test": test_metrics,
        "parameters": count_parameters(model),
        "epoch_seconds_median": statistics.median(epoch_seconds),
        "train_seconds": sum(epoch_seconds),
    }
    if run_dir is not None:
        results["weights_sha256"] = sha256_file(run_dir / WEIGHTS_NAME)
    store.write_json(run_folder.RESULTS_FILE, results)
    store.finish()
    model.eval()
    return RunResult(
        model,
        run_config,
        history,
        best_epoch,
        results["valid"],
        test_metrics,
        results["parameters"],
        run_dir,
        selection_metric=task.selection_metric,
        epoch_seconds=epoch_seconds,
    )


def _train_epoch(
    model: nn.Module,
    task: Task,
    samples: list,
    modalities: tuple[str, ...],
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    epoch: int,
    device: torch.device,
    callback: TrainingCallback | None,
) -> float:
    model.train()
    # The order depends on (seed, epoch) alone, so a resumed run shuffles as an uninterrupted one.
    generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
    order = torch.randperm(len(samples), generator=generator).tolist()

    total, count = 0.0, 0
    for batch in iterate_batches(samples, config.batch_size, modalities, order):
        batch = batch.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = task.loss(model(batch), batch.labels)
        if not torch.isfinite(loss):
            raise TrainingError(
                f"the training loss became {loss.item()} at epoch {epoch}; lower --lr or check the data for "
                "extreme values"
            )
        loss.backward()
        if config.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()

        total += loss.item() * batch.size
        count += batch.size
        if callback is not None:
            callback.on_batch_end(epoch, loss.item())
    return total / count


def _get_rng_state() -> dict[str, Any]:
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "python": [python_state[0], list(python_state[1]), python_state[2]],
        "numpy": [numpy_state[0], torch.from_numpy(numpy_state[1].astype(np.int64)), *numpy_state[2:]],
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))


def _load_completed(run_dir: Path, model: nn.Module, run_config: dict[str, Any]) -> RunResult:
    load_weights(run_dir / WEIGHTS_NAME, model)
    model.eval()
    results = run_folder.read_json(run_dir / run_folder.RESULTS_FILE)
    history = run_folder.read_json(run_dir / run_folder.HISTORY_FILE)
    return RunResult(
        model,
        run_folder.read_json(run_dir / run_folder.CONFIG_FILE),
        history,
        results["best_epoch"],
        results["valid"],
        results["test"],
        results["parameters"],
        run_dir,
        skipped=True,
        selection_metric=results["selection_metric"],
        epoch_seconds=[record["epoch_seconds"] for record in history],
    )
