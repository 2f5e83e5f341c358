"""Side-by-side comparison of models on one dataset: accuracy, size, cost, speed and convergence.

:func:`compare_models` trains every model with the same data, splits, training settings and seeds
through :func:`mtagbench.training.run_experiment` (so finished runs are reused), measures each model
in the current process, and returns a :class:`Comparison`; :func:`write_comparison` writes it as
Markdown, CSV, JSON and a convergence plot.
"""

from mtagbench.compare.measurements import MeasureSettings, ModelMeasurements, measure_model
from mtagbench.compare.model_options import parse_model_options
from mtagbench.compare.report import write_comparison
from mtagbench.compare.runner import Comparison, ModelComparison, compare_models, default_out_dir

__all__ = [
    "Comparison",
    "MeasureSettings",
    "ModelComparison",
    "ModelMeasurements",
    "compare_models",
    "default_out_dir",
    "measure_model",
    "parse_model_options",
    "write_comparison",
]
