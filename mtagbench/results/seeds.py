"""Train one configuration with several seeds, skipping seeds whose run folder is already complete."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mtagbench.data.sample import MultimodalDataset
from mtagbench.errors import ConfigError
from mtagbench.results.aggregate import MetricSummary, aggregate_metrics
from mtagbench.training import RunResult, TrainConfig, run_experiment


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """Return ``seeds`` as a list, rejecting an empty list and repeats.

    Raises:
        ConfigError: If no seed is given or a seed repeats.
    """
    seeds = [int(seed) for seed in seeds]
    if not seeds:
        raise ConfigError("no seeds given; pass --seeds with at least one integer, for example --seeds 0 1 2")
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ConfigError(f"seeds {repeated} are given more than once; each seed is one run")
    return seeds


def run_seeds(
    model_name: str,
    dataset: MultimodalDataset,
    config: TrainConfig,
    seeds: Sequence[int],
    model_options: Mapping[str, Any] | None = None,
    *,
    runs_root: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    reader_options: Mapping[str, Any] | None = None,
    command: list[str] | None = None,
    callback_factory: Callable[[int], Any] | None = None,
    on_run_end: Callable[[int, RunResult], None] | None = None,
) -> list[RunResult]:
    """Call :func:`~mtagbench.training.run_experiment` once per seed, in the given order.

    Each seed's run goes to its default folder under ``runs_root``; a folder that already contains
    the completed run returns its stored results with ``skipped=True`` instead of training again.

    Args:
        callback_factory: ``seed -> TrainingCallback`` for progress display.
        on_run_end: Called with the seed and its result after each run.

    Returns:
        One result per seed.
    """
    results = []
    for seed in check_seeds(seeds):
        seed_config = dataclasses.replace(config, seed=seed)
        result = run_experiment(
            model_name,
            dataset,
            seed_config,
            model_options,
            runs_root=runs_root,
            resume=resume,
            overwrite=overwrite,
            reader_options=reader_options,
            callback=None if callback_factory is None else callback_factory(seed),
            command=command,
        )
        if on_run_end is not None:
            on_run_end(seed, result)
        results.append(result)
    return results


def summarize_results(results: Sequence[RunResult], split: str = "test") -> dict[str, MetricSummary]:
    """Return mean and sample standard deviation over ``results`` of each metric of ``split``."""
    if split not in ("valid", "test"):
        raise ValueError(f"split must be 'valid' or 'test', got {split!r}")
    return aggregate_metrics([getattr(result, split) for result in results])
