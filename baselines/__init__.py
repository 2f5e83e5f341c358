"""Baseline models for mtagbench, registered through the ``mtagbench.models`` entry point.

Importing this package registers ``ef-lstm``, ``lf-lstm`` and ``mult``.
"""

from mtagbench_baselines.ef_lstm import EFLSTM, EFLSTMOptions
from mtagbench_baselines.lf_lstm import LFLSTM, LFLSTMOptions
from mtagbench_baselines.mult import MulT, MulTOptions

__all__ = ["EFLSTM", "EFLSTMOptions", "LFLSTM", "LFLSTMOptions", "MulT", "MulTOptions"]
