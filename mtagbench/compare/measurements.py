"""Measurements of one trained model: parameters, FLOPs, step time, inference speed and peak memory.

Every measurement runs in the calling process on fixed inputs taken from the dataset, so all models
of a comparison see the same samples:

- the *measurement batch* is the first ``batch_samples`` samples of the train split in stored order
  (the trainer's batch size by default), collated as in training; FLOPs and peak memory use it;
- step timing cycles over the first ``timing_steps`` training batches in stored order;
- inference throughput runs over the first ``throughput_batches`` batches of the test split at the
  evaluation batch size.

The model is copied before anything changes its weights, so the trained model is left as it was.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from mtagbench.data.sample import Batch, MultimodalDataset, collate
from mtagbench.measure import (
    count_flops,
    count_parameters,
    environment_info,
    measure_epoch_seconds,
    measure_inference_throughput,
    measure_peak_memory,
)
from mtagbench.tasks import Task
from mtagbench.training import TrainConfig, iterate_batches

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeasureSettings:
    """How much work each measurement does.

    Attributes:
        batch_samples: Samples in the measurement batch for FLOPs and peak memory; 0 means the
            training batch size. Capped at the size of the train split.
        timing_warmup_steps: Training steps run before step timing starts.
        timing_steps: Timed training steps; the median is reported. 0 skips step timing.
        throughput_batches: Test batches per inference pass; 0 skips the throughput measurement.
        throughput_warmup_steps: Inference batches run before timing.
        throughput_repeats: Timed inference passes; the median is reported.
        convergence_tolerance: Smallest validation change that counts as an improvement when
            finding the convergence epoch (see :func:`mtagbench.measure.best_epoch`).
    """

    batch_samples: int = 0
    timing_warmup_steps: int = 2
    timing_steps: int = 5
    throughput_batches: int = 2
    throughput_warmup_steps: int = 1
    throughput_repeats: int = 3
    convergence_tolerance: float = 0.0

    def __post_init__(self) -> None:
        from mtagbench.errors import ConfigError

        for name, value in asdict(self).items():
            if value < 0:
                raise ConfigError(f"measurement setting {name} must be at least 0, got {value}")
        if self.throughput_batches and self.throughput_repeats < 1:
            raise ConfigError("throughput_repeats must be at least 1 when throughput is measured")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelMeasurements:
    """What :func:`measure_model` found for one model.

    Attributes:
        parameters: Scalar parameters counted by fvcore (shared tensors once).
        trainable_parameters: Those with ``requires_grad``.
        parameters_by_module: fvcore's breakdown, two module levels deep.
        flops_batch_size: Samples in the measurement batch.
        flops_forward_per_sample: Forward FLOPs per sample, model in eval mode (inference).
        flops_forward_backward_per_sample: Forward and backward FLOPs per sample, model in train mode
            (the backward starts from a gradient of ones on the outputs; no loss, no optimiser).
        step_seconds_median: Median seconds of one training step (forward, loss, backward, AdamW
            step); None when step timing is off.
        step_seconds: The timed steps' seconds, in order.
        batches_per_epoch: Training batches in one epoch of the train split.
        epoch_seconds_estimate: ``step_seconds_median * batches_per_epoch``; None without timing.
        inference_samples_per_second: Median over repeats; None when throughput is off.
        inference_samples: Samples per inference pass.
        peak_memory_bytes: Peak memory of one training step on the measurement batch, as read by
            ``peak_memory_method``.
        memory_growth_bytes: Peak minus the usage just before that step.
        peak_memory_method: ``cuda.max_memory_allocated``, ``VmHWM`` or ``ru_maxrss``.
        environment: :func:`mtagbench.measure.environment_info` of the process.
        load_average: The system's 1-minute load average before the step timing (``os.getloadavg``;
            None where unavailable); a value above the CPU count means other processes competed for it.
        cpu_count: Logical CPUs of the machine (``os.cpu_count``).
    """

    parameters: int
    trainable_parameters: int
    parameters_by_module: dict[str, int]
    flops_batch_size: int
    flops_forward_per_sample: float | None
    flops_forward_backward_per_sample: float | None
    step_seconds_median: float | None
    step_seconds: list[float]
    batches_per_epoch: int
    epoch_seconds_estimate: float | None
    inference_samples_per_second: float | None
    inference_samples: int
    peak_memory_bytes: int
    memory_growth_bytes: int
    peak_memory_method: str
    environment: dict[str, Any] = field(default_factory=dict)
    load_average: float | None = None
    cpu_count: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measurement_batch(dataset: MultimodalDataset, samples: int) -> Batch:
    """Collate the first ``samples`` training samples (stored order) into one batch."""
    train = dataset.splits["train"]
    return collate(train[: max(1, min(samples, len(train)))], dataset.modalities)


def measure_model(
    model: nn.Module,
    dataset: MultimodalDataset,
    task: Task,
    config: TrainConfig,
    device: torch.device,
    settings: MeasureSettings = MeasureSettings(),
) -> ModelMeasurements:
    """Measure ``model`` (trained or not) on fixed inputs from ``dataset``.

    Args:
        model: The model, on ``device``; it is not modified.
        dataset: The compared dataset.
        task: The training task, whose loss the timed training steps use.
        config: The training settings (batch sizes, learning rate, weight decay).
        device: Where the model runs.
        settings: How much work each measurement does.

    Returns:
        A :class:`ModelMeasurements`.
    """
    parameters = count_parameters(model)
    batch = measurement_batch(dataset, settings.batch_samples or config.batch_size).to(device)
    forward, forward_backward = _flops(model, batch)

    work = copy.deepcopy(model).to(device)
    optimizer = torch.optim.AdamW(work.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    def step(step_batch: Batch = batch) -> None:
        work.train()
        optimizer.zero_grad(set_to_none=True)
        loss = task.loss(work(step_batch), step_batch.labels)
        loss.backward()
        optimizer.step()

    _, memory = measure_peak_memory(step, device)

    load_average = _load_average()
    train = dataset.splits["train"]
    batches_per_epoch = -(-len(train) // config.batch_size)
    step_seconds: list[float] = []
    step_median = None
    if settings.timing_steps:
        count = min(settings.timing_steps, batches_per_epoch)
        batches = [b.to(device) for b in itertools.islice(iterate_batches(train, config.batch_size, dataset.modalities), count)]
        cycle = itertools.cycle(batches)
        timing = measure_epoch_seconds(
            lambda: step(next(cycle)),
            epochs=settings.timing_steps,
            warmup_epochs=settings.timing_warmup_steps,
            device=device,
        )
        step_seconds, step_median = list(timing.seconds), timing.median_seconds

    throughput, inference_samples = None, 0
    if settings.throughput_batches:
        test_batches = list(
            itertools.islice(
                iterate_batches(dataset.splits["test"], config.eval_batch_size, dataset.modalities),
                settings.throughput_batches,
            )
        )
        measured = measure_inference_throughput(
            model,
            test_batches,
            warmup_steps=settings.throughput_warmup_steps,
            repeats=settings.throughput_repeats,
            device=device,
        )
        throughput, inference_samples = measured.samples_per_second, measured.samples

    return ModelMeasurements(
        parameters=parameters.total,
        trainable_parameters=parameters.trainable,
        parameters_by_module=parameters.by_module,
        flops_batch_size=batch.size,
        flops_forward_per_sample=None if forward is None else forward / batch.size,
        flops_forward_backward_per_sample=None if forward_backward is None else forward_backward / batch.size,
        step_seconds_median=step_median,
        step_seconds=step_seconds,
        batches_per_epoch=batches_per_epoch,
        epoch_seconds_estimate=None if step_median is None else step_median * batches_per_epoch,
        inference_samples_per_second=throughput,
        inference_samples=inference_samples,
        peak_memory_bytes=memory.peak_bytes,
        memory_growth_bytes=memory.growth_bytes,
        peak_memory_method=memory.method,
        environment=environment_info(device),
        load_average=load_average,
        cpu_count=os.cpu_count(),
    )


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _flops(model: nn.Module, batch: Batch) -> tuple[int | None, int | None]:
    """Forward FLOPs in eval mode and forward + backward FLOPs in train mode; restores the mode."""
    was_training = model.training
    try:
        forward = count_flops(model.eval(), batch)
        try:
            forward_backward = count_flops(model.train(), batch, backward=True)
        except ValueError as error:
            # An output that does not depend on any parameter has no backward pass to count.
            logger.warning("no backward FLOPs for %s: %s", type(model).__name__, error)
            forward_backward = None
    finally:
        model.train(was_training)
        model.zero_grad(set_to_none=True)
    return forward, forward_backward
