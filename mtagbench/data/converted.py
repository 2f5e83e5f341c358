"""The converted format: a dataset as plain ``.npy`` arrays and a JSON manifest, with no pickle.

Layout of a converted folder::

    manifest.json
    <split>/<modality>.npy             float32 (total rows, dim): every sample's rows, concatenated
    <split>/<modality>.offsets.npy     int64 (N + 1,): sample i is rows offsets[i]:offsets[i + 1]
    <split>/<modality>.timestamps.npy  float64 (total rows, 2), only when every sample has time stamps
    <split>/labels.npy                 float32 (N, *label shape)

``manifest.json`` stores the format version, the dataset name, task, feature sizes in model order,
label names, whether the data is aligned, the source, each split's sample ids, words (or null) and the
modalities with time stamps, and the dataset fingerprint. Arrays are written and read with
``allow_pickle=False``, and :func:`read_converted` recomputes the fingerprint and rejects a mismatch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mtagbench.data.sample import MultimodalDataset, Sample
from mtagbench.errors import DataError
from mtagbench.io import atomic_write, atomic_write_json

MANIFEST = "manifest.json"
FORMAT = "mtagbench-converted"
FORMAT_VERSION = 1


def is_converted_dir(path: str | Path) -> bool:
    """Return True when ``path`` is a folder holding a ``manifest.json``."""
    path = Path(path)
    return path.is_dir() and (path / MANIFEST).is_file()


def write_converted(dataset: MultimodalDataset, directory: str | Path) -> Path:
    """Write ``dataset`` to ``directory`` in the converted format and return the manifest path.

    The manifest is written last, so a folder whose conversion was interrupted has no manifest and is
    not mistaken for a converted dataset.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    splits_manifest: dict[str, Any] = {}
    for split, samples in dataset.splits.items():
        split_dir = directory / split
        split_dir.mkdir(exist_ok=True)
        stamped = []
        for modality, dim in dataset.feature_sizes.items():
            arrays = [np.asarray(s.features[modality], dtype=np.float32).reshape(-1, dim) for s in samples]
            offsets = np.zeros(len(samples) + 1, dtype=np.int64)
            offsets[1:] = np.cumsum([len(a) for a in arrays])
            _save(split_dir / f"{modality}.npy", _concatenate(arrays, (0, dim), np.float32))
            _save(split_dir / f"{modality}.offsets.npy", offsets)

            if samples and all(s.timestamps is not None and modality in s.timestamps for s in samples):
                times = [np.asarray(s.timestamps[modality], dtype=np.float64).reshape(-1, 2) for s in samples]
                _save(split_dir / f"{modality}.timestamps.npy", _concatenate(times, (0, 2), np.float64))
                stamped.append(modality)

        labels = np.stack([np.asarray(s.label, dtype=np.float32) for s in samples]) if samples else np.zeros((0, 1), np.float32)
        _save(split_dir / "labels.npy", labels)
        has_words = bool(samples) and all(s.words is not None for s in samples)
        splits_manifest[split] = {
            "ids": [s.id for s in samples],
            "words": [list(s.words) for s in samples] if has_words else None,
            "timestamps": stamped,
        }

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": dataset.name,
        "task": dataset.task,
        "feature_sizes": dict(dataset.feature_sizes),
        "label_names": list(dataset.label_names),
        "aligned": dataset.aligned,
        "source": dataset.source,
        "fingerprint": dataset.fingerprint(),
        "splits": splits_manifest,
    }
    return atomic_write_json(directory / MANIFEST, manifest)


def read_converted(directory: str | Path) -> MultimodalDataset:
    """Read a converted folder back into a :class:`MultimodalDataset`.

    Raises:
        DataError: If the manifest is missing or of another format or version, an array is missing,
            unreadable or of the wrong shape, or the recomputed fingerprint differs from the manifest's.
    """
    directory = Path(directory)
    manifest = _read_manifest(directory)
    feature_sizes = {str(m): int(d) for m, d in manifest["feature_sizes"].items()}

    splits: dict[str, list[Sample]] = {}
    for split, entry in manifest["splits"].items():
        splits[split] = _read_split(directory / split, entry, feature_sizes)

    dataset = MultimodalDataset(
        name=str(manifest["name"]),
        task=str(manifest["task"]),
        splits=splits,
        feature_sizes=feature_sizes,
        label_names=tuple(manifest.get("label_names", ())),
        source=f"converted folder {directory} (from {manifest.get('source', '')})",
        aligned=bool(manifest.get("aligned", False)),
    )
    if dataset.fingerprint() != manifest["fingerprint"]:
        raise DataError(
            f"{directory}: the arrays do not match the manifest fingerprint {manifest['fingerprint'][:12]}… "
            f"(computed {dataset.fingerprint()[:12]}…); a file was changed or is corrupt. Convert the dataset again"
        )
    return dataset


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Return the parsed and checked ``manifest.json`` of a converted folder."""
    return _read_manifest(Path(directory))


def _read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DataError(f"{directory}: no {MANIFEST}; this is not a converted dataset folder") from error
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read the manifest ({error})") from error

    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{path}: not an mtagbench converted manifest (expected \"format\": {FORMAT!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DataError(
            f"{path}: converted format version {manifest.get('format_version')!r} is not supported; "
            f"this mtagbench reads version {FORMAT_VERSION}. Convert the source data again"
        )
    missing = [key for key in ("name", "task", "feature_sizes", "fingerprint", "splits") if key not in manifest]
    if missing:
        raise DataError(f"{path}: the manifest lacks {missing}")
    return manifest


def _read_split(split_dir: Path, entry: dict[str, Any], feature_sizes: dict[str, int]) -> list[Sample]:
    ids = [str(i) for i in entry["ids"]]
    count = len(ids)
    labels = _load(split_dir / "labels.npy")
    if labels.shape[0] != count:
        raise DataError(f"{split_dir / 'labels.npy'}: {labels.shape[0]} labels for {count} ids in the manifest")

    features: dict[str, list[np.ndarray]] = {}
    timestamps: dict[str, list[np.ndarray]] = {}
    for modality, dim in feature_sizes.items():
        rows = _load(split_dir / f"{modality}.npy")
        offsets = _load(split_dir / f"{modality}.offsets.npy")
        if rows.ndim != 2 or rows.shape[1] != dim:
            raise DataError(f"{split_dir / f'{modality}.npy'}: shape {rows.shape}, expected (rows, {dim})")
        _check_offsets(split_dir / f"{modality}.offsets.npy", offsets, count, rows.shape[0])
        features[modality] = [rows[offsets[i] : offsets[i + 1]] for i in range(count)]

        if modality in entry.get("timestamps", []):
            times = _load(split_dir / f"{modality}.timestamps.npy")
            if times.shape != (rows.shape[0], 2):
                raise DataError(f"{split_dir / f'{modality}.timestamps.npy'}: shape {times.shape}, expected ({rows.shape[0]}, 2)")
            timestamps[modality] = [times[offsets[i] : offsets[i + 1]] for i in range(count)]

    words = entry.get("words")
    if words is not None and len(words) != count:
        raise DataError(f"{split_dir}: the manifest has {len(words)} word lists for {count} ids")

    return [
        Sample(
            id=ids[i],
            features={m: features[m][i] for m in feature_sizes},
            label=labels[i],
            timestamps={m: timestamps[m][i] for m in timestamps} or None,
            words=None if words is None else list(words[i]),
        )
        for i in range(count)
    ]


def _check_offsets(path: Path, offsets: np.ndarray, count: int, total_rows: int) -> None:
    if offsets.shape != (count + 1,) or offsets.dtype.kind not in "iu":
        raise DataError(f"{path}: expected {count + 1} integer offsets, got {offsets.dtype} {offsets.shape}")
    if offsets[0] != 0 or offsets[-1] != total_rows or (np.diff(offsets) < 0).any():
        raise DataError(f"{path}: offsets must rise from 0 to the {total_rows} rows of the feature array")


def _concatenate(arrays: list[np.ndarray], empty_shape: tuple[int, int], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(empty_shape, dtype=dtype)


def _save(path: Path, array: np.ndarray) -> None:
    def write(temporary: Path) -> None:
        with open(temporary, "wb") as stream:
            np.save(stream, np.ascontiguousarray(array), allow_pickle=False)

    atomic_write(path, write)


def _load(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError as error:
        raise DataError(f"{path}: missing from the converted folder; convert the dataset again") from error
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read the array ({error}); the file is truncated or not a .npy array") from error
