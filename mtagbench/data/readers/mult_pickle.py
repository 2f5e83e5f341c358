"""Reader for the processed pickles published with MulT (Tsai et al., ACL 2019).

Layout of ``mosi_data_noalign.pkl`` (unaligned) and ``mosi_data.pkl`` (word-aligned)::

    {"train" | "valid" | "test": {
        "text":   float (N, T_text, 300)   GloVe vectors
        "audio":  float (N, T_audio, 5)    COVAREP features, with -inf values
        "vision": float (N, T_vision, 20)  Facet features
        "labels": float (N, 1, 1)          sentiment score in [-3, 3]
        "id":     bytes (N, 3)             video id, segment start, segment end (optional)
    }}

Unaligned MOSI has ``T`` = 50 / 375 / 500 and the aligned file 50 for every modality, but the reader
takes every size from the arrays. Each sequence is zero-padded at the front. The reader:

1. casts every modality to float32 and, in the audio only, replaces -inf by 0, as MulT's own loader
   does;
2. rejects any remaining NaN or inf (including +inf, and -inf in text or vision) with a
   :class:`DataError` that names the split, the sample and the modality;
3. strips the leading all-zero rows of each sample and modality (see :mod:`mtagbench.data.padding`).

Step 1 runs before step 3 on purpose: an audio frame whose every value is -inf at the front of a
sequence becomes a zero row and is stripped as padding, because no stored length distinguishes it
from padding and every published loader reads that frame as zeros too. Inside a sequence such a
frame is a zero row and is kept.

In aligned files all modalities share one time axis, so one padding length is stripped from all of
them: the smallest leading-zero count over the modalities. A real first word whose vision features are
all zero then keeps its vision row.

:func:`read_mult_pickle` is shared by every dataset in this layout; a dataset with other labels (IEMOCAP
stores ``(N, 4, 2)`` one-hot pairs) passes its own label converter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mtagbench.data.padding import leading_zero_rows
from mtagbench.data.readers.reader_options import reject_options
from mtagbench.data.registry import register_dataset
from mtagbench.data.safe_pickle import load_pickle
from mtagbench.data.sample import SPLITS, MultimodalDataset, Sample
from mtagbench.errors import DataError

logger = logging.getLogger(__name__)

MODALITIES = ("text", "audio", "vision")
"""Modality keys of the MulT layout, in the order models see them."""

NEG_INF_AS_ZERO = frozenset({"audio"})
"""Modalities whose -inf values are read as 0; the audio of MulT's CMU-MOSI files contains -inf."""

LabelConverter = Callable[[np.ndarray, str], np.ndarray]
"""``convert(labels, where) -> float32 (N, num_labels)``; ``where`` names the file and split for errors."""

MULT_HOW_TO_GET = (
    "MulT's processed CMU-MOSI pickles are linked from the 'Datasets' section of the README of the MulT "
    "repository, https://github.com/yaohungt/Multimodal-Transformer (a Dropbox folder that also contains "
    "MOSEI and IEMOCAP). mtagbench does not download them: copy mosi_data_noalign.pkl (unaligned) or "
    "mosi_data.pkl (word-aligned) into the data folder yourself."
)


def mosi_labels(labels: np.ndarray, where: str) -> np.ndarray:
    """Convert MOSI sentiment labels ``(N, 1, 1)`` (or ``(N, 1)``, ``(N,)``) to float32 ``(N, 1)``.

    Raises:
        DataError: If a sample has more than one label value.
    """
    if labels.ndim not in (1, 2, 3) or int(np.prod(labels.shape[1:])) != 1:
        raise DataError(
            f"{where}: labels have shape {tuple(labels.shape)}; expected one sentiment score per sample, "
            f"shape (N, 1, 1)"
        )
    scores = labels.reshape(-1, 1).astype(np.float32)
    outside = int((np.abs(scores) > 3).sum())
    if outside:
        logger.warning(
            "%s: %d sentiment labels lie outside [-3, 3] (range %.3g to %.3g); CMU-MOSI and CMU-MOSEI "
            "scores lie in [-3, 3], so check that the labels were not scaled",
            where, outside, float(scores.min()), float(scores.max()),
        )
    return scores


def read_mult_pickle(
    path: str | Path,
    dataset_name: str,
    *,
    task: str = "regression",
    label_names: Sequence[str] = (),
    convert_labels: LabelConverter = mosi_labels,
    aligned: bool = False,
) -> MultimodalDataset:
    """Read a pickle in MulT's layout into a :class:`MultimodalDataset`.

    Args:
        path: The pickle file; it is read with the restricted unpickler.
        dataset_name: Name given to the dataset, for example ``"mosi"``.
        task: ``"regression"`` or ``"multilabel"``.
        label_names: Label names of a multilabel task, in output order.
        convert_labels: Converts one split's raw ``labels`` array to float32 ``(N, num_labels)``.
        aligned: True for word-aligned files: one padding length is stripped from all modalities.

    Returns:
        The dataset with modalities ``text``, ``audio`` and ``vision``, without padding.

    Raises:
        DataError: If the file is missing, unsafe, truncated, or its contents do not match the layout.
    """
    path = Path(path)
    layout = load_pickle(path)
    return dataset_from_mult_layout(
        layout,
        dataset_name,
        source=str(path),
        task=task,
        label_names=label_names,
        convert_labels=convert_labels,
        aligned=aligned,
    )


def dataset_from_mult_layout(
    layout: Any,
    dataset_name: str,
    *,
    source: str,
    task: str = "regression",
    label_names: Sequence[str] = (),
    convert_labels: LabelConverter = mosi_labels,
    aligned: bool = False,
) -> MultimodalDataset:
    """Build a dataset from an in-memory object in MulT's layout; see :func:`read_mult_pickle`.

    Args:
        layout: ``{split: {"text", "audio", "vision", "labels", "id"?}}`` of NumPy arrays.
        source: Where ``layout`` came from (a file name or a generator description), for messages.

    Raises:
        DataError: If ``layout`` does not match the layout.
    """
    if not isinstance(layout, Mapping):
        raise DataError(
            f"{source}: expected a dict with keys {list(SPLITS)}, found {type(layout).__name__}"
        )
    missing = [split for split in SPLITS if split not in layout]
    if missing:
        raise DataError(
            f"{source}: split {missing[0]!r} is missing; found keys {sorted(map(str, layout))}, "
            f"expected {list(SPLITS)}"
        )

    splits: dict[str, list[Sample]] = {}
    feature_sizes: dict[str, int] | None = None
    for split in SPLITS:
        samples, sizes = _read_split(layout[split], split, source, convert_labels, aligned)
        if feature_sizes is not None and sizes != feature_sizes:
            raise DataError(
                f"{source}: split {split!r} has feature sizes {sizes}, but the train split has "
                f"{feature_sizes}; all splits must have the same feature sizes"
            )
        feature_sizes = sizes
        splits[split] = samples

    _make_ids_unique(splits, source)
    return MultimodalDataset(
        name=dataset_name,
        task=task,
        splits=splits,
        feature_sizes=feature_sizes,
        label_names=tuple(label_names),
        source=source,
        aligned=aligned,
    )


def _read_split(
    split_data: Any,
    split: str,
    source: str,
    convert_labels: LabelConverter,
    aligned: bool,
) -> tuple[list[Sample], dict[str, int]]:
    where = f"{source}, split {split!r}"
    if not isinstance(split_data, Mapping):
        raise DataError(f"{where}: expected a dict of arrays, found {type(split_data).__name__}")
    missing = [key for key in (*MODALITIES, "labels") if key not in split_data]
    if missing:
        raise DataError(
            f"{where}: key {missing[0]!r} is missing; found keys {sorted(map(str, split_data))}"
        )

    arrays = {modality: _modality_array(split_data[modality], modality, where) for modality in MODALITIES}
    num_samples = arrays["text"].shape[0]
    for modality, array in arrays.items():
        if array.shape[0] != num_samples:
            raise DataError(
                f"{where}: {modality} has {array.shape[0]} samples but text has {num_samples}"
            )

    if aligned and len({array.shape[1] for array in arrays.values()}) > 1:
        steps = {modality: array.shape[1] for modality, array in arrays.items()}
        raise DataError(
            f"{where}: word-aligned data needs the same number of time steps in every modality, found {steps}"
        )

    labels = _labels_array(split_data["labels"], num_samples, where, convert_labels)
    ids = _sample_ids(split_data.get("id"), num_samples, split, where)
    for modality, array in arrays.items():
        _check_finite(array, modality, ids, where)
    _check_finite_labels(labels, ids, where)

    starts = {modality: leading_zero_rows(array) for modality, array in arrays.items()}
    if aligned:
        common = np.min(np.stack(list(starts.values())), axis=0)
        starts = {modality: common for modality in MODALITIES}

    samples = [
        Sample(
            id=ids[index],
            features={modality: arrays[modality][index, starts[modality][index]:] for modality in MODALITIES},
            label=labels[index],
        )
        for index in range(num_samples)
    ]
    feature_sizes = {modality: int(arrays[modality].shape[2]) for modality in MODALITIES}
    return samples, feature_sizes


def _modality_array(value: Any, modality: str, where: str) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
        kind = f"array of dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
        raise DataError(f"{where}: {modality} must be a numeric NumPy array, found {kind}")
    if value.ndim != 3:
        raise DataError(
            f"{where}: {modality} array has shape {tuple(value.shape)}; expected 3 dimensions "
            f"(samples, time steps, features)"
        )
    if value.shape[1] == 0 or value.shape[2] == 0:
        raise DataError(
            f"{where}: {modality} array has shape {tuple(value.shape)}, with no time steps or no features; "
            f"remove the modality from the file or use --modalities to train without it"
        )

    with np.errstate(over="ignore"):
        array = value.astype(np.float32)
    if modality in NEG_INF_AS_ZERO:
        array[array == -np.inf] = 0.0
    return array


def _labels_array(value: Any, num_samples: int, where: str, convert_labels: LabelConverter) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
        raise DataError(f"{where}: labels must be a numeric NumPy array, found {type(value).__name__}")
    if value.ndim == 0 or value.shape[0] != num_samples:
        raise DataError(
            f"{where}: labels have shape {tuple(value.shape)}, expected {num_samples} samples first"
        )

    labels = np.asarray(convert_labels(value, where), dtype=np.float32)
    if labels.ndim != 2 or labels.shape[0] != num_samples:
        raise DataError(
            f"{where}: converted labels have shape {tuple(labels.shape)}, "
            f"expected ({num_samples}, num_labels)"
        )
    return labels


def _sample_ids(value: Any, num_samples: int, split: str, where: str) -> list[str]:
    if value is None:
        return [f"{split}[{index}]" for index in range(num_samples)]

    ids = np.asarray(value)
    if ids.ndim == 0 or ids.shape[0] != num_samples:
        raise DataError(f"{where}: id has shape {tuple(ids.shape)}, expected {num_samples} rows")
    if ids.ndim == 2 and ids.shape[1] == 3:
        return [f"{_as_text(video)}[{_as_text(start)}:{_as_text(end)}]" for video, start, end in ids]
    if ids.ndim == 1 or (ids.ndim == 2 and ids.shape[1] == 1):
        return [_as_text(row) for row in ids.reshape(num_samples)]
    raise DataError(
        f"{where}: id has shape {tuple(ids.shape)}; expected (N, 3) rows of video, start, end, or (N,)"
    )


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip()
    return str(value).strip()


def _check_finite(array: np.ndarray, modality: str, ids: Sequence[str], where: str) -> None:
    bad = ~np.isfinite(array)
    bad_samples = np.flatnonzero(bad.any(axis=(1, 2)))
    if bad_samples.size == 0:
        return

    index = int(bad_samples[0])
    step = int(np.flatnonzero(bad[index].any(axis=1))[0])
    note = " (audio -inf is read as 0, NaN and +inf are not)" if modality in NEG_INF_AS_ZERO else ""
    raise DataError(
        f"{where}, sample {index} ({ids[index]}): {modality} has {int(bad[index].sum())} NaN or inf "
        f"values, the first at time step {step}{note}; {bad_samples.size} samples of this split are "
        f"affected. Repair or re-create the file"
    )


def _check_finite_labels(labels: np.ndarray, ids: Sequence[str], where: str) -> None:
    bad_samples = np.flatnonzero(~np.isfinite(labels).all(axis=1))
    if bad_samples.size:
        index = int(bad_samples[0])
        raise DataError(
            f"{where}, sample {index} ({ids[index]}): label {labels[index].tolist()} is not finite"
        )


def _make_ids_unique(splits: dict[str, list[Sample]], source: str) -> None:
    """Append ``#2``, ``#3``, ... to repeated ids, because batches and predictions are keyed by id."""
    seen: dict[str, int] = {}
    repeated = 0
    for split in SPLITS:
        samples = splits[split]
        for position, sample in enumerate(samples):
            count = seen.get(sample.id, 0) + 1
            seen[sample.id] = count
            if count > 1:
                repeated += 1
                samples[position] = Sample(
                    id=f"{sample.id}#{count}", features=sample.features, label=sample.label
                )
    if repeated:
        logger.warning(
            "%s: %d sample ids repeat an earlier id; a #N suffix was added to them", source, repeated
        )


@register_dataset(
    "mosi",
    description="CMU-MOSI, unaligned, from MulT's processed pickle (text 300, audio 5, vision 20)",
    task="regression",
    files=("mosi_data_noalign.pkl",),
    folder="mosi",
    how_to_get=MULT_HOW_TO_GET,
)
def read_mosi(directory: Path | None, **options: Any) -> MultimodalDataset:
    """Read unaligned CMU-MOSI from ``directory / "mosi_data_noalign.pkl"``."""
    reject_options("mosi", options)
    return read_mult_pickle(Path(directory) / "mosi_data_noalign.pkl", "mosi")


@register_dataset(
    "mosi-aligned",
    description="CMU-MOSI, word-aligned, from MulT's processed pickle (text 300, audio 5, vision 20)",
    task="regression",
    files=("mosi_data.pkl",),
    folder="mosi",
    how_to_get=MULT_HOW_TO_GET,
)
def read_mosi_aligned(directory: Path | None, **options: Any) -> MultimodalDataset:
    """Read word-aligned CMU-MOSI from ``directory / "mosi_data.pkl"``."""
    reject_options("mosi-aligned", options)
    return read_mult_pickle(Path(directory) / "mosi_data.pkl", "mosi-aligned", aligned=True)
