"""Measurements behind ``mtagbench compare``: parameters, FLOPs, time, memory and convergence."""

from mtagbench.measure.convergence import ConvergencePoint, best_epoch
from mtagbench.measure.flops import FlopCount, count_flops, measure_flops
from mtagbench.measure.memory import PeakMemory, measure_peak_memory
from mtagbench.measure.parameters import ParameterCount, count_parameters
from mtagbench.measure.timing import (
    EpochTiming,
    InferenceThroughput,
    environment_info,
    measure_epoch_seconds,
    measure_inference_throughput,
)

__all__ = [
    "ConvergencePoint",
    "EpochTiming",
    "FlopCount",
    "InferenceThroughput",
    "ParameterCount",
    "PeakMemory",
    "best_epoch",
    "count_flops",
    "count_parameters",
    "environment_info",
    "measure_epoch_seconds",
    "measure_flops",
    "measure_inference_throughput",
    "measure_peak_memory",
]
