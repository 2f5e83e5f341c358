"""Wall-clock measurements: training seconds per epoch and inference samples per second.

Both helpers discard warm-up runs (first-call costs: lazy initialisation, allocator growth, kernel
selection) and report the median of the measured runs, which is robust to an occasional slow run
caused by other processes. On CUDA they synchronise the device before reading the clock. Each result
carries :func:`environment_info`, because a time means nothing without the hardware, the thread
count and the library versions behind it.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch
from torch import nn


def environment_info(device: torch.device | str = "cpu") -> dict[str, Any]:
    """Describe where a measurement ran.

    Returns:
        ``device``, ``device_name`` (the GPU name on CUDA, the CPU model otherwise), ``torch_threads``
        (``torch.get_num_threads()``), ``cpu_model`` (``model name`` of ``/proc/cpuinfo``, or
        ``platform.processor()`` elsewhere), ``python``, ``platform`` and the versions of ``torch``,
        ``torch_geometric`` and ``numpy`` (``"not installed"`` when missing).
    """
    device = torch.device(device)
    cpu_model = _cpu_model()
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model
    return {
        "device": str(device),
        "device_name": device_name,
        "torch_threads": torch.get_num_threads(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torch_geometric": _package_version("torch_geometric"),
        "numpy": _package_version("numpy"),
    }


@dataclass(frozen=True)
class EpochTiming:
    """Training time per epoch.

    Attributes:
        median_seconds: Median wall-clock seconds of the measured epochs.
        seconds: Seconds of each measured epoch, in order (warm-up epochs excluded).
        warmup_epochs: Epochs run before measuring.
        environment: :func:`environment_info` of the run.
    """

    median_seconds: float
    seconds: list[float]
    warmup_epochs: int
    environment: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "median_seconds": self.median_seconds,
            "seconds": list(self.seconds),
            "warmup_epochs": self.warmup_epochs,
            "environment": dict(self.environment),
        }


@dataclass(frozen=True)
class InferenceThroughput:
    """Inference speed.

    Attributes:
        samples_per_second: Median over repeats of (samples in all batches) / (seconds for all batches).
        per_repeat: Samples per second of each repeat.
        samples: Samples processed per repeat.
        warmup_steps: Batches run before measuring.
        environment: :func:`environment_info` of the run.
    """

    samples_per_second: float
    per_repeat: list[float]
    samples: int
    warmup_steps: int
    environment: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "samples_per_second": self.samples_per_second,
            "per_repeat": list(self.per_repeat),
            "samples": self.samples,
            "warmup_steps": self.warmup_steps,
            "environment": dict(self.environment),
        }


def measure_epoch_seconds(
    run_epoch: Callable[[], Any],
    epochs: int = 3,
    warmup_epochs: int = 1,
    device: torch.device | str = "cpu",
) -> EpochTiming:
    """Time ``run_epoch()`` and return the median seconds per epoch.

    Args:
        run_epoch: Runs one full training epoch (forward, backward and optimiser step on every batch).
        epochs: Measured epochs; at least 1.
        warmup_epochs: Epochs run first and discarded; at least 0.
        device: Device the epoch runs on; CUDA is synchronised around each epoch.

    Raises:
        ValueError: If ``epochs < 1`` or ``warmup_epochs < 0``.
    """
    if epochs < 1 or warmup_epochs < 0:
        raise ValueError(f"need epochs >= 1 and warmup_epochs >= 0, got {epochs} and {warmup_epochs}")
    device = torch.device(device)

    for _ in range(warmup_epochs):
        run_epoch()

    seconds = []
    for _ in range(epochs):
        _synchronize(device)
        start = time.perf_counter()
        run_epoch()
        _synchronize(device)
        seconds.append(time.perf_counter() - start)

    return EpochTiming(statistics.median(seconds), seconds, warmup_epochs, environment_info(device))


def measure_inference_throughput(
    model: nn.Module,
    batches: Sequence[Any],
    warmup_steps: int = 3,
    repeats: int = 5,
    device: torch.device | str = "cpu",
) -> InferenceThroughput:
    """Measure inference samples per second of ``model`` over ``batches``.

    The model is put in eval mode and run under ``torch.inference_mode``. Batches are moved to
    ``device`` before timing, so the figure excludes host-to-device copies and data loading.

    Args:
        model: The model, already on ``device``; called as ``model(batch)``.
        batches: Batches with a ``size`` attribute (a :class:`~mtagbench.data.sample.Batch`) or tensors
            whose first dimension is the batch.
        warmup_steps: Batches run first (cycling through ``batches``) and discarded.
        repeats: Timed passes over all batches; at least 1.
        device: Where the model runs.

    Raises:
        ValueError: If ``batches`` is empty or ``repeats < 1``.
    """
    if not batches:
        raise ValueError("cannot measure throughput without batches")
    if repeats < 1 or warmup_steps < 0:
        raise ValueError(f"need repeats >= 1 and warmup_steps >= 0, got {repeats} and {warmup_steps}")
    device = torch.device(device)
    moved = [batch.to(device) for batch in batches]
    samples = sum(_size(batch) for batch in moved)

    was_training = model.training
    model.eval()
    per_repeat = []
    try:
        with torch.inference_mode():
            for step in range(warmup_steps):
                model(moved[step % len(moved)])
            for _ in range(repeats):
                _synchronize(device)
                start = time.perf_counter()
                for batch in moved:
                    model(batch)
                _synchronize(device)
                per_repeat.append(samples / (time.perf_counter() - start))
    finally:
        model.train(was_training)

    return InferenceThroughput(statistics.median(per_repeat), per_repeat, samples, warmup_steps, environment_info(device))


def _size(batch: Any) -> int:
    size = getattr(batch, "size", None)
    if isinstance(size, int):
        return size
    return int(batch.shape[0])


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"
