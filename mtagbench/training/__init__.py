"""Training, evaluation and run folders."""

from mtagbench.training.config import TrainConfig
from mtagbench.training.evaluate import evaluate, iterate_batches, predict
from mtagbench.training.train import RunFolderError, RunResult, TrainingError, run_experiment

__all__ = [
    "RunFolderError",
    "RunResult",
    "TrainConfig",
    "TrainingError",
    "evaluate",
    "iterate_batches",
    "predict",
    "run_experiment",
]
