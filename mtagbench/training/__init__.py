"""Training, evaluation and run folders."""

from mtagbench.training.evaluate import evaluate, iterate_batches, predict

__all__ = ["evaluate", "iterate_batches", "predict"]
