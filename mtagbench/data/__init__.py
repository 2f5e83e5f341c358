"""Datasets: the sample representation, batching, readers and the dataset registry."""

from mtagbench.data.registry import DatasetSpec, get_dataset_spec, list_datasets, load_dataset, register_dataset
from mtagbench.data.sample import SPLITS, Batch, MultimodalDataset, Sample, collate

__all__ = [
    "SPLITS",
    "Batch",
    "DatasetSpec",
    "MultimodalDataset",
    "Sample",
    "collate",
    "get_dataset_spec",
    "list_datasets",
    "load_dataset",
    "register_dataset",
]
