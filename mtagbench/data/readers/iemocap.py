"""IEMOCAP's 4-emotion multilabel task, from MulT's processed pickles.

``iemocap_data_noalign.pkl`` (unaligned) and ``iemocap_data.pkl`` (word-aligned) share MulT's layout
(see :mod:`mtagbench.data.readers.mult_pickle`), with labels of shape ``(N, 4, 2)``: one one-hot
``(negative, positive)`` pair per emotion, in the order Neutral, Happy, Sad, Angry. Sequence lengths
and feature sizes are read from the arrays, since MulT does not document them reliably.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mtagbench.data.readers.mult_pickle import read_mult_pickle
from mtagbench.data.readers.reader_options import reject_options
from mtagbench.data.registry import register_dataset
from mtagbench.data.sample import MultimodalDataset
from mtagbench.errors import DataError

EMOTIONS = ("neutral", "happy", "sad", "angry")
"""Label order of MulT's IEMOCAP files."""

PAPER_SETTING = {"epochs": 35, "model_options": {"mtag": {"num_layers": 2, "num_heads": 8}}}
"""The MTAG paper's IEMOCAP setting (its Table 6): 2 MTAG layers, 8 heads, 35 epochs."""

IEMOCAP_HOW_TO_GET = (
    "MulT's processed IEMOCAP pickles are linked from the 'Datasets' section of the README of the MulT "
    "repository, https://github.com/yaohungt/Multimodal-Transformer. mtagbench does not download them: "
    "copy iemocap_data_noalign.pkl (unaligned) or iemocap_data.pkl (word-aligned) into the data folder."
)


def emotion_labels(labels: np.ndarray, where: str) -> np.ndarray:
    """Convert one-hot labels ``(N, 4, 2)`` to float32 ``(N, 4)`` of 0 (absent) or 1 (present).

    Raises:
        DataError: If the shape is not ``(N, 4, 2)`` or a pair is not one-hot.
    """
    if labels.ndim != 3 or labels.shape[1:] != (len(EMOTIONS), 2):
        raise DataError(
            f"{where}: labels have shape {tuple(labels.shape)}; expected (N, 4, 2), one one-hot pair per "
            f"emotion in the order {', '.join(EMOTIONS)}"
        )
    pair_sums = labels.sum(axis=-1)
    if not (np.isin(labels, (0, 1)).all() and (pair_sums == 1).all()):
        sample = int(np.argwhere(pair_sums != 1)[0][0]) if (pair_sums != 1).any() else 0
        raise DataError(f"{where}: sample {sample} has a label pair that is not one-hot: {labels[sample].tolist()}")
    return labels.argmax(axis=-1).astype(np.float32)


def _read(directory: Path, file_name: str, dataset_name: str, aligned: bool) -> MultimodalDataset:
    return read_mult_pickle(
        Path(directory) / file_name,
        dataset_name,
        task="multilabel",
        label_names=EMOTIONS,
        convert_labels=emotion_labels,
        aligned=aligned,
    )


@register_dataset(
    "iemocap",
    description="IEMOCAP 4 emotions, unaligned, from MulT's processed pickle (text 300, audio 74, vision 35)",
    task="multilabel",
    files=("iemocap_data_noalign.pkl",),
    folder="iemocap",
    how_to_get=IEMOCAP_HOW_TO_GET,
    recommended=PAPER_SETTING,
)
def read_iemocap(directory: Path | None, **options: Any) -> MultimodalDataset:
    """Read unaligned IEMOCAP from ``directory / "iemocap_data_noalign.pkl"``."""
    reject_options("iemocap", options)
    return _read(directory, "iemocap_data_noalign.pkl", "iemocap", aligned=False)


@register_dataset(
    "iemocap-aligned",
    description="IEMOCAP 4 emotions, word-aligned, from MulT's processed pickle",
    task="multilabel",
    files=("iemocap_data.pkl",),
    folder="iemocap",
    how_to_get=IEMOCAP_HOW_TO_GET,
    recommended=PAPER_SETTING,
)
def read_iemocap_aligned(directory: Path | None, **options: Any) -> MultimodalDataset:
    """Read word-aligned IEMOCAP from ``directory / "iemocap_data.pkl"``."""
    reject_options("iemocap-aligned", options)
    return _read(directory, "iemocap_data.pkl", "iemocap-aligned", aligned=True)
