"""Train and test each compared model with the same data, splits, settings and seeds, then measure it."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtagbench.compare.measurements import MeasureSettings, ModelMeasurements, measure_model
from mtagbench.data.sample import MultimodalDataset
from mtagbench.environment import resolve_device
from mtagbench.errors import ConfigError
from mtagbench.measure import best_epoch, environment_info
from mtagbench.results.aggregate import MetricSummary, aggregate_metrics, summarize
from mtagbench.results.leaderboard import selection_for
from mtagbench.results.seeds import check_seeds, run_seeds
from mtagbench.training import RunResult, TrainConfig
from mtagbench.training.run_folder import config_hash
from mtagbench.training.train import build_task


@dataclass(frozen=True)
class ModelComparison:
    """One compared model: its runs over the seeds, their summaries and its measurements.

    Attributes:
        model: Registered model name.
        options: Model options given for the comparison (defaults left out).
        config_hash: Hash of the run configuration; the run folders are ``RUNS/<dataset>/<model>/<hash>``.
        seeds: The seeds, in run order.
        run_dirs: One run folder per seed.
        trained_now: Per seed, False when the run folder already held the completed run.
        parameters: Trainable parameters as stored by the trainer.
        best_epochs: Per seed, the epoch whose weights were tested.
        test: Mean and sample standard deviation over seeds of each test metric.
        valid_curves: Per seed, the validation selection metric of every epoch.
        convergence_epochs: Per seed, the epoch at which the validation curve stops improving.
        convergence: Mean and standard deviation of ``convergence_epochs``.
        history_epoch_seconds: Per seed, the training seconds of every epoch from the run history.
        history_epoch_seconds_median: Median over all those epochs.
        history_hardware: Device names recorded in the runs' configs.
        measurements: Measurements of the first seed's tested model in this process.
    """

    model: str
    options: dict[str, Any]
    config_hash: str
    seeds: tuple[int, ...]
    run_dirs: tuple[str, ...]
    trained_now: tuple[bool, ...]
    parameters: int
    best_epochs: tuple[int, ...]
    test: dict[str, MetricSummary]
    valid_curves: tuple[tuple[float, ...], ...]
    convergence_epochs: tuple[int, ...]
    convergence: MetricSummary
    history_epoch_seconds: tuple[tuple[float, ...], ...]
    history_epoch_seconds_median: float
    history_hardware: tuple[str, ...]
    measurements: ModelMeasurements


@dataclass(frozen=True)
class Comparison:
    """Everything a comparison found, ready to be written by :func:`mtagbench.compare.write_comparison`.

    Attributes:
        dataset: Dataset name.
        dataset_fingerprint: The dataset's content fingerprint; every run used exactly this data.
        split_sizes: Samples per split.
        task: The dataset's task.
        selection_metric: The validation metric that selects the tested epoch and defines convergence.
        lower_is_better: Direction of ``selection_metric``.
        seeds: Seeds of every model.
        training: Training settings shared by every model (the seed varies).
        reader_options: The dataset reader's options.
        settings: The measurement settings.
        environment: Where the measurements ran: device, threads, CPU, library versions.
        models: One entry per compared model, in the given order.
    """

    dataset: str
    dataset_fingerprint: str
    split_sizes: dict[str, int]
    task: str
    selection_metric: str
    lower_is_better: bool
    seeds: tuple[int, ...]
    training: dict[str, Any]
    reader_options: dict[str, Any]
    settings: MeasureSettings
    environment: dict[str, Any]
    models: tuple[ModelComparison, ...]


def default_out_dir(dataset: str, models: Sequence[str], root: str | Path = "comparisons") -> Path:
    """Return ``comparisons/<dataset>-<model1>-<model2>...``, with path separators replaced."""
    name = "-".join([dataset, *models]).replace("/", "_").replace("\\", "_")
    return Path(root) / name


def check_models(models: Sequence[str]) -> list[str]:
    """Reject an empty list or a repeated model.

    Raises:
        ConfigError: In either case.
    """
    models = list(models)
    if not models:
        raise ConfigError("no models given; name at least one, for example `mtagbench compare mtag mult`")
    repeated = sorted({name for name in models if models.count(name) > 1})
    if repeated:
        raise ConfigError(f"model {repeated[0]!r} is named twice; to compare two settings of one model, run two comparisons")
    return models


def compare_models(
    models: Sequence[str],
    dataset: MultimodalDataset,
    config: TrainConfig,
    seeds: Sequence[int],
    model_options: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    runs_root: str | Path,
    resume: bool = False,
    overwrite: bool = False,
    reader_options: Mapping[str, Any] | None = None,
    settings: MeasureSettings = MeasureSettings(),
    command: list[str] | None = None,
    callback_factory: Callable[[str, int], Any] | None = None,
    on_run_end: Callable[[str, int, RunResult], None] | None = None,
    on_measure: Callable[[str], None] | None = None,
) -> Comparison:
    """Train, test and measure every model on ``dataset`` with the same settings and seeds.

    Each (model, seed) is an ordinary run under ``runs_root``; a run folder that already contains the
    completed run is read instead of trained again.

    Args:
        models: Registered model names, in report order.
        dataset: The dataset; every model sees the same splits.
        config: Training settings; its ``seed`` is replaced by each of ``seeds``.
        seeds: Seeds, the same for every model.
        model_options: Model name to its options; missing models use their defaults.
        runs_root: Root of the run folders.
        resume: Continue unfinished runs from their last completed epoch.
        overwrite: Delete the runs' folders and train again, completed runs included.
        reader_options: The dataset reader's options, recorded in each run.
        settings: Measurement settings.
        command: The command line recorded in each run.
        callback_factory: ``(model, seed) -> TrainingCallback`` for progress display.
        on_run_end: Called with the model, the seed and its result after each run.
        on_measure: Called with the model name before it is measured.

    Returns:
        A :class:`Comparison`.

    Raises:
        ConfigError: For no models, a repeated model or seed, or a task without a selection metric.
        RunFolderError: When a run folder contains an unfinished run and neither ``resume`` nor
            ``overwrite`` is set.
    """
    models = check_models(models)
    seeds = check_seeds(seeds)
    model_options = model_options or {}
    selection_metric, lower_is_better = selection_for(dataset.task)
    device = resolve_device(config.device)
    task = build_task(dataset, config)

    compared = []
    for model in models:
        options = dict(model_options.get(model, {}))
        results = run_seeds(
            model,
            dataset,
            config,
            seeds,
            options,
            runs_root=runs_root,
            resume=resume,
            overwrite=overwrite,
            reader_options=reader_options,
            command=command,
            callback_factory=None if callback_factory is None else (lambda seed, model=model: callback_factory(model, seed)),
            on_run_end=None if on_run_end is None else (lambda seed, result, model=model: on_run_end(model, seed, result)),
        )
        if on_measure is not None:
            on_measure(model)
        measurements = measure_model(results[0].model.to(device), dataset, task, config, device, settings)
        compared.append(summarize_model(model, options, seeds, results, selection_metric, lower_is_better, settings, measurements))

    training = dataclasses.asdict(config)
    training.pop("seed")
    return Comparison(
        dataset=dataset.name,
        dataset_fingerprint=dataset.fingerprint(),
        split_sizes={split: len(samples) for split, samples in dataset.splits.items()},
        task=dataset.task,
        selection_metric=selection_metric,
        lower_is_better=lower_is_better,
        seeds=tuple(seeds),
        training=training,
        reader_options=dict(reader_options or {}),
        settings=settings,
        environment=environment_info(device),
        models=tuple(compared),
    )


def summarize_model(
    model: str,
    options: Mapping[str, Any],
    seeds: Sequence[int],
    results: Sequence[RunResult],
    selection_metric: str,
    lower_is_better: bool,
    settings: MeasureSettings,
    measurements: ModelMeasurements,
) -> ModelComparison:
    """Collect the per-seed results of one model into a :class:`ModelComparison`."""
    curves = tuple(validation_curve(result.history, selection_metric) for result in results)
    mode = "min" if lower_is_better else "max"
    convergence = tuple(convergence_epoch(curve, settings.convergence_tolerance, mode) for curve in curves)
    seconds = tuple(tuple(float(record["epoch_seconds"]) for record in result.history) for result in results)
    all_seconds = [value for run in seconds for value in run]
    hardware = tuple(str(result.config.get("environment", {}).get("device_name", "unknown")) for result in results)
    return ModelComparison(
        model=model,
        options=dict(options),
        config_hash=config_hash(results[0].config),
        seeds=tuple(seeds),
        run_dirs=tuple(str(result.run_dir) for result in results),
        trained_now=tuple(not result.skipped for result in results),
        parameters=int(results[0].parameters),
        best_epochs=tuple(int(result.best_epoch) for result in results),
        test=aggregate_metrics([result.test for result in results]),
        valid_curves=curves,
        convergence_epochs=convergence,
        convergence=summarize([float(epoch) for epoch in convergence]),
        history_epoch_seconds=seconds,
        history_epoch_seconds_median=statistics.median(all_seconds) if all_seconds else math.nan,
        history_hardware=hardware,
        measurements=measurements,
    )


def validation_curve(history: Sequence[Mapping[str, Any]], metric: str) -> tuple[float, ...]:
    """Return the validation ``metric`` of every epoch; a missing or null value becomes NaN."""
    values = []
    for record in history:
        value = record.get("valid", {}).get(metric)
        values.append(math.nan if value is None else float(value))
    return tuple(values)


def convergence_epoch(curve: Sequence[float], tolerance: float, mode: str) -> int:
    """Return the 1-based epoch at which ``curve`` stops improving.

    A non-finite value (a diverged epoch) counts as the worst finite value of the curve, so it never
    becomes the best; a curve without any finite value converges at epoch 1.
    """
    finite = [value for value in curve if math.isfinite(value)]
    if not finite:
        return 1
    worst = max(finite) if mode == "min" else min(finite)
    cleaned = [value if math.isfinite(value) else worst for value in curve]
    return best_epoch(cleaned, tolerance=tolerance, mode=mode).epoch
