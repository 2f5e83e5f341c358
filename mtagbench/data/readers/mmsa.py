"""MMSA pickles (``unaligned_50.pkl``) and the ``mosi-mmsa`` and ``mosei-mmsa`` datasets.

The file is a pickled ``{"train"|"valid"|"test": {key: array}}`` with, per split of ``N`` samples:

* ``text`` ``(N, L, 768)``: BERT features, one row per word piece including ``[CLS]`` and ``[SEP]``;
* ``text_bert`` ``(N, 3, L)``: token ids, attention mask and segment ids (optional);
* ``audio`` ``(N, La, Da)`` and ``vision`` ``(N, Lv, Dv)`` with ``audio_lengths`` and ``vision_lengths``
  ``(N,)``;
* ``regression_labels`` ``(N,)``, ``id`` ``(N,)`` strings like ``video$_$clip`` and ``raw_text``.

Padding is on the right. Some published files hold non-zero values past a sample's stated length, so
the rows kept come from the stored lengths, never from zero rows. The text length is the sum of the
``text_bert`` attention mask when ``text_bert`` is present, else the full padded length ``L``.

Each dataset reads one registered file name, ``unaligned_50.pkl``. MMSA's word-aligned variant
(``aligned_50.pkl``) has the same layout, so :func:`read_mmsa_pickle` reads it too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mtagbench.data.registry import register_dataset
from mtagbench.data.safe_pickle import load_pickle
from mtagbench.data.sample import SPLITS, MultimodalDataset, Sample
from mtagbench.errors import DataError

MMSA_FILE = "unaligned_50.pkl"
MODALITIES = ("text", "audio", "vision")
REQUIRED_KEYS = ("text", "audio", "vision", "audio_lengths", "vision_lengths", "regression_labels", "id")
MMSA_HOW_TO_GET = (
    "download the MMSA processed features (github.com/thuiar/MMSA, 'Datasets'); each dataset folder holds "
    "unaligned_50.pkl"
)


def read_mmsa_pickle(path: str | Path, name: str) -> MultimodalDataset:
    """Read an MMSA pickle into a regression dataset named ``name``.

    Raises:
        DataError: If the pickle cannot be read safely, a split or key is missing, the arrays of a split
            disagree on the number of samples, a length is out of range, or the labels are not ``(N,)``.
    """
    path = Path(path)
    content = load_pickle(path)
    if not isinstance(content, dict):
        raise DataError(f"{path}: expected a dict of splits in an MMSA pickle, got {type(content).__name__}")

    splits: dict[str, list[Sample]] = {}
    feature_sizes: dict[str, int] = {}
    for split in SPLITS:
        if split not in content or not isinstance(content[split], dict):
            raise DataError(f"{path}: split {split!r} is missing; an MMSA pickle has 'train', 'valid' and 'test'")
        arrays = content[split]
        missing = [key for key in REQUIRED_KEYS if key not in arrays]
        if missing:
            raise DataError(f"{path}: split {split!r} lacks the keys {missing}; found {sorted(arrays)}")

        samples, sizes = _read_split(path, split, arrays)
        for modality, size in sizes.items():
            if feature_sizes.setdefault(modality, size) != size:
                raise DataError(
                    f"{path}: {modality} features are {size}-d in split {split!r} but {feature_sizes[modality]}-d before"
                )
        splits[split] = samples

    return MultimodalDataset(
        name=name, task="regression", splits=splits, feature_sizes=feature_sizes, source=f"MMSA pickle {path}"
    )


def text_lengths(arrays: dict) -> np.ndarray:
    """Return each sample's text length: the ``text_bert`` mask sum, or the padded length without it."""
    text = np.asarray(arrays["text"])
    if "text_bert" not in arrays:
        return np.full(text.shape[0], text.shape[1], dtype=np.int64)
    text_bert = np.asarray(arrays["text_bert"])
    if text_bert.ndim != 3 or text_bert.shape[1] != 3:
        raise DataError(f"text_bert has shape {text_bert.shape}, expected (N, 3, L) of ids, mask and segment ids")
    return text_bert[:, 1, :].sum(axis=-1).astype(np.int64)


def _read_split(path: Path, split: str, arrays: dict) -> tuple[list[Sample], dict[str, int]]:
    features = {modality: np.asarray(arrays[modality]) for modality in MODALITIES}
    lengths = {
        "text": text_lengths(arrays),
        "audio": np.asarray(arrays["audio_lengths"]).astype(np.int64).reshape(-1),
        "vision": np.asarray(arrays["vision_lengths"]).astype(np.int64).reshape(-1),
    }
    labels = np.asarray(arrays["regression_labels"])
    ids = [_decode_id(value) for value in np.asarray(arrays["id"]).reshape(-1)]

    count = len(ids)
    where = f"{path} split {split!r}"
    if labels.shape != (count,):
        raise DataError(f"{where}: regression_labels have shape {labels.shape}, expected ({count},) for {count} ids")
    for modality in MODALITIES:
        array = features[modality]
        if array.ndim != 3 or array.shape[0] != count:
            raise DataError(f"{where}: {modality} has shape {array.shape}, expected ({count}, length, dim)")
        if lengths[modality].shape != (count,):
            raise DataError(f"{where}: {count} samples but {lengths[modality].shape[0]} {modality} lengths")
        bad = (lengths[modality] < 0) | (lengths[modality] > array.shape[1])
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"{where}: sample {ids[row]!r} has {modality} length {int(lengths[modality][row])}, outside 0..{array.shape[1]}"
            )

    samples = [
        Sample(
            id=ids[row],
            features={m: features[m][row, : lengths[m][row]].astype(np.float32) for m in MODALITIES},
            label=np.asarray([labels[row]], dtype=np.float32),
        )
        for row in range(count)
    ]
    return samples, {m: int(features[m].shape[2]) for m in MODALITIES}


def _decode_id(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@register_dataset(
    "mosi-mmsa",
    description="CMU-MOSI from MMSA's unaligned_50.pkl: BERT text 768-d, right-padded with stored lengths",
    task="regression",
    files=(MMSA_FILE,),
    folder="mosi-mmsa",
    how_to_get=MMSA_HOW_TO_GET,
)
def read_mosi_mmsa(directory: Path) -> MultimodalDataset:
    """Read ``unaligned_50.pkl`` of CMU-MOSI in the MMSA layout."""
    return read_mmsa_pickle(Path(directory) / MMSA_FILE, "mosi-mmsa")


@register_dataset(
    "mosei-mmsa",
    description="CMU-MOSEI from MMSA's unaligned_50.pkl: BERT text 768-d, right-padded with stored lengths",
    task="regression",
    files=(MMSA_FILE,),
    folder="mosei-mmsa",
    how_to_get=MMSA_HOW_TO_GET,
)
def read_mosei_mmsa(directory: Path) -> MultimodalDataset:
    """Read ``unaligned_50.pkl`` of CMU-MOSEI in the MMSA layout."""
    return read_mmsa_pickle(Path(directory) / MMSA_FILE, "mosei-mmsa")
