"""Peak memory of a piece of work, on CUDA or on the CPU.

On CUDA the figure is exact for tensors: ``torch.cuda.max_memory_allocated`` after resetting the
peak statistics. It leaves out the CUDA context, cuDNN workspaces allocated outside PyTorch's
caching allocator, and memory the allocator has reserved but not handed to a tensor.

On the CPU there is no tensor-level counter, so the figure is the growth of the process's peak
resident set size (RSS): the Linux ``VmHWM`` high-water mark of ``/proc/self/status``, reset before
the work by writing ``5`` to ``/proc/self/clear_refs``, minus the RSS before the work. Its limits:

- it counts every allocation of the process during the work, including other threads, the Python
  heap, lazily loaded libraries and allocator caches, so it is an upper bound on what the tensors
  needed;
- memory freed earlier but still held by the allocator is reused without raising RSS, so a second
  measurement in the same process can read lower than the first;
- it has page granularity (4 KiB).

Where the reset is not possible (not Linux, or ``clear_refs`` not writable) the fallback is
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which cannot be reset: it only grows when the work
exceeds every earlier peak of the process, so it is a lower bound, and 0 often means "no new peak".
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass(frozen=True)
class PeakMemory:
    """Peak memory of one measured call.

    Attributes:
        device: ``"cuda:N"`` or ``"cpu"``.
        peak_bytes: Highest memory in use during the call: allocated tensor bytes on CUDA, resident
            set size of the whole process on the CPU.
        growth_bytes: ``peak_bytes`` minus the memory in use just before the call.
        method: How the figure was obtained: ``"cuda.max_memory_allocated"``, ``"VmHWM"`` or
            ``"ru_maxrss"`` (see the module docstring for what each includes).
    """

    device: str
    peak_bytes: int
    growth_bytes: int
    method: str

    def as_dict(self) -> dict[str, object]:
        return {"device": self.device, "peak_bytes": self.peak_bytes, "growth_bytes": self.growth_bytes, "method": self.method}


def measure_peak_memory(work: Callable[[], Any], device: torch.device | str = "cpu") -> tuple[Any, PeakMemory]:
    """Run ``work()`` and measure the peak memory it used.

    Args:
        work: A callable with no arguments, for example one training step.
        device: Where the work runs; a CUDA device selects the CUDA allocator's statistics.

    Returns:
        ``(result of work(), PeakMemory)``.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return _measure_cuda(work, device)
    return _measure_cpu(work)


def _measure_cuda(work: Callable[[], Any], device: torch.device) -> tuple[Any, PeakMemory]:
    torch.cuda.synchronize(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    result = work()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device)
    index = device.index if device.index is not None else torch.cuda.current_device()
    return result, PeakMemory(f"cuda:{index}", peak, peak - before, "cuda.max_memory_allocated")


def _measure_cpu(work: Callable[[], Any]) -> tuple[Any, PeakMemory]:
    if _reset_high_water_mark():
        before = _status_bytes("VmRSS")
        result = work()
        peak = _status_bytes("VmHWM")
        return result, PeakMemory("cpu", peak, max(peak - before, 0), "VmHWM")

    before = _max_rss_bytes()
    result = work()
    peak = _max_rss_bytes()
    return result, PeakMemory("cpu", peak, peak - before, "ru_maxrss")


def _reset_high_water_mark() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return _STATUS.exists()


def _status_bytes(key: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(key + ":"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise RuntimeError(f"unexpected unit {unit!r} for {key} in {_STATUS}")
            return int(value) * 1024
    raise RuntimeError(f"{key} not found in {_STATUS}")


def _max_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
