"""Summaries of dataset files and datasets for ``mtagbench data inspect``.

Raw files are summarised without the readers' validation, so a file with NaN or inf values, which the
readers reject, is still described, with those values counted. The file format is detected from the
content (HDF5 signature, pickle opcodes and the pickle's keys), not from the file name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mtagbench.data.checksums import describe_known_file, sha256_file
from mtagbench.data.sample import MultimodalDataset
from mtagbench.errors import DataError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
PICKLE_PROTOCOL_OPCODE = 0x80

MULT_PICKLE = "MulT pickle"
MMSA_PICKLE = "MMSA pickle"
MISA_PICKLE = "MISA pickle"
CSD = ".csd (HDF5 computational sequence)"
CONVERTED = "converted"
GENERATED = "generated"


@dataclass
class ModalityStats:
    """Lengths and value counts of one modality over all samples.

    Attributes:
        dim: Feature size (1 for word sequences).
        lengths: Steps per sample (per video for a ``.csd`` file).
        nonfinite: NaN and inf values in the stored arrays, padding included.
        empty: Samples with no step.
    """

    dim: int
    lengths: list[int] = field(default_factory=list)
    nonfinite: int = 0

    @property
    def empty(self) -> int:
        return sum(1 for length in self.lengths if length == 0)


@dataclass
class FileInfo:
    path: Path
    sha256: str
    known: str | None


@dataclass
class InspectReport:
    """Summary printed by ``mtagbench data inspect``.

    Attributes:
        target: The path or dataset name inspected.
        format: Detected format, one of the module's format names.
        splits: Split name to number of samples (videos for a ``.csd`` file).
        modalities: Modality name to its statistics.
        labels: Label statistic name to value.
        files: Every file read, with its SHA-256 and what it is when known.
        notes: Further facts, one sentence each.
        rejected: True when the dataset's reader rejected the files, so that training would fail.
    """

    target: str
    format: str
    splits: dict[str, int] = field(default_factory=dict)
    modalities: dict[str, ModalityStats] = field(default_factory=dict)
    labels: dict[str, float | str] = field(default_factory=dict)
    files: list[FileInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected: bool = False


def file_info(path: Path) -> FileInfo:
    digest = sha256_file(path)
    return FileInfo(path=path, sha256=digest, known=describe_known_file(digest))


def detect_format(path: str | Path) -> str:
    """Return the format of the file or folder at ``path``.

    Raises:
        DataError: If the content matches no supported layout; the message lists the layouts.
    """
    from mtagbench.data.converted import is_converted_dir

    path = Path(path)
    if is_converted_dir(path):
        return CONVERTED
    if path.is_dir():
        raise DataError(f"{path}: folder without manifest.json; pass a dataset file, a converted folder or a dataset name with --data-dir")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == HDF5_SIGNATURE:
        return CSD
    if head[:1] and head[0] == PICKLE_PROTOCOL_OPCODE:
        return _pickle_layout(path, _load_pickle(path))
    raise DataError(
        f"{path}: unknown file format; supported are MulT, MMSA and MISA pickles, CMU-MultimodalSDK .csd (HDF5) "
        "files and converted folders"
    )


def _load_pickle(path: Path) -> object:
    from mtagbench.data.safe_pickle import load_pickle

    return load_pickle(path)


def _pickle_layout(path: Path, content: object) -> str:
    if isinstance(content, dict) and all(isinstance(content.get(s), dict) for s in ("train", "valid", "test")):
        keys = set(content["train"])
        if {"regression_labels", "audio_lengths", "vision_lengths"} <= keys:
            return MMSA_PICKLE
        if {"text", "audio", "vision", "labels"} <= keys:
            return MULT_PICKLE
        raise DataError(
            f"{path}: unknown pickle layout: the train split has keys {sorted(keys)}; expected MulT keys "
            "(text, audio, vision, labels) or MMSA keys (regression_labels, audio_lengths, vision_lengths, ...)"
        )
    if isinstance(content, list) and content and _is_misa_entry(content[0]):
        return MISA_PICKLE
    raise DataError(
        f"{path}: unknown pickle layout ({type(content).__name__}); expected a dict of train/valid/test splits "
        "(MulT, MMSA) or a list of ((word_ids, visual, acoustic, words), label, segment_id) tuples (MISA)"
    )


def _is_misa_entry(entry: object) -> bool:
    return isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[0], tuple) and len(entry[0]) == 4


def inspect_file(path: str | Path) -> InspectReport:
    """Detect the format of ``path`` and summarise its raw contents.

    Raises:
        DataError: If the file cannot be read or its layout is unknown.
    """
    from mtagbench.data.converted import read_converted

    path = Path(path)
    kind = detect_format(path)
    if kind == CONVERTED:
        report = summarize_dataset(read_converted(path), target=str(path), kind=CONVERTED)
        report.files = [file_info(p) for p in sorted(path.rglob("*")) if p.is_file()]
        return report
    if kind == CSD:
        report = _inspect_csd(path)
    else:
        content = _load_pickle(path)
        report = {MMSA_PICKLE: _inspect_mmsa, MULT_PICKLE: _inspect_mult, MISA_PICKLE: _inspect_misa}[kind](content)
        report.format = kind
    report.target = str(path)
    report.files = [file_info(path)]
    return report


def summarize_dataset(dataset: MultimodalDataset, target: str, kind: str) -> InspectReport:
    """Summarise a loaded dataset: sample counts, lengths, NaN/inf and labels."""
    report = InspectReport(target=target, format=kind, notes=[dataset.source] if dataset.source else [])
    report.splits = {split: len(samples) for split, samples in dataset.splits.items()}
    for modality, dim in dataset.feature_sizes.items():
        stats = ModalityStats(dim=dim)
        for samples in dataset.splits.values():
            for sample in samples:
                array = sample.features[modality]
                stats.lengths.append(int(array.shape[0]))
                stats.nonfinite += int((~np.isfinite(array)).sum())
        report.modalities[modality] = stats

    labels = np.stack([np.asarray(s.label) for samples in dataset.splits.values() for s in samples])
    if dataset.task == "multilabel":
        report.labels = _multilabel_stats(labels, dataset.label_names)
    else:
        report.labels = _regression_stats(labels.reshape(-1))
    return report


def _regression_stats(labels: np.ndarray) -> dict[str, float | str]:
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    finite = labels[np.isfinite(labels)]
    stats: dict[str, float | str] = {"count": float(labels.size), "non-finite": float(labels.size - finite.size)}
    if finite.size:
        stats.update(
            min=float(finite.min()), mean=float(finite.mean()), max=float(finite.max()), std=float(finite.std()),
            negative=float((finite < 0).sum()), zero=float((finite == 0).sum()), positive=float((finite > 0).sum()),
        )
    return stats


def _multilabel_stats(labels: np.ndarray, names: tuple[str, ...]) -> dict[str, float | str]:
    if labels.ndim == 3:
        labels = labels.argmax(axis=-1)
    names = names or tuple(f"label {i}" for i in range(labels.shape[1]))
    stats: dict[str, float | str] = {"count": float(labels.shape[0])}
    for index, name in enumerate(names):
        positives = int((labels[:, index] == 1).sum())
        stats[f"{name} positive:negative"] = f"{positives}:{labels.shape[0] - positives}"
    return stats


def _count_nonfinite(array: np.ndarray) -> int:
    array = np.asarray(array)
    return int((~np.isfinite(array)).sum()) if array.dtype.kind == "f" else 0


def _inspect_mmsa(content: dict) -> InspectReport:
    from mtagbench.data.readers.mmsa import text_lengths

    report = InspectReport(target="", format=MMSA_PICKLE)
    labels = []
    for split in ("train", "valid", "test"):
        arrays = content[split]
        report.splits[split] = int(np.asarray(arrays["regression_labels"]).reshape(-1).shape[0])
        lengths = {
            "text": text_lengths(arrays),
            "audio": np.asarray(arrays["audio_lengths"]).reshape(-1),
            "vision": np.asarray(arrays["vision_lengths"]).reshape(-1),
        }
        for modality in ("text", "audio", "vision"):
            array = np.asarray(arrays[modality])
            stats = report.modalities.setdefault(modality, ModalityStats(dim=int(array.shape[-1])))
            stats.lengths += [int(v) for v in lengths[modality]]
            stats.nonfinite += _count_nonfinite(array)
        labels.append(np.asarray(arrays["regression_labels"]).reshape(-1))
    report.labels = _regression_stats(np.concatenate(labels))
    report.notes.append("Lengths come from audio_lengths, vision_lengths and the text_bert mask (right padding).")
    return report


def _inspect_mult(content: dict) -> InspectReport:
    report = InspectReport(target="", format=MULT_PICKLE)
    labels = []
    for split in ("train", "valid", "test"):
        arrays = content[split]
        report.splits[split] = int(np.asarray(arrays["labels"]).shape[0])
        for modality in ("text", "audio", "vision"):
            array = np.asarray(arrays[modality])
            stats = report.modalities.setdefault(modality, ModalityStats(dim=int(array.shape[-1])))
            stats.lengths += _left_padded_lengths(array)
            stats.nonfinite += _count_nonfinite(array)
        labels.append(np.asarray(arrays["labels"]))
    label_array = np.concatenate(labels)
    if label_array.ndim == 3 and label_array.shape[1:] == (4, 2):
        report.labels = _multilabel_stats(label_array, ("neutral", "happy", "sad", "angry"))
    else:
        report.labels = _regression_stats(label_array)
    report.notes.append(
        "MulT pickles store no lengths: lengths here are the padded length minus leading all-zero rows "
        "(left padding), so a sequence that starts with real silent frames looks shorter."
    )
    return report


def _left_padded_lengths(array: np.ndarray) -> list[int]:
    nonzero_rows = np.any(np.nan_to_num(array, nan=1.0) != 0, axis=-1)
    first_real = np.where(nonzero_rows.any(axis=1), nonzero_rows.argmax(axis=1), array.shape[1])
    return [int(v) for v in array.shape[1] - first_real]


def _inspect_misa(content: list) -> InspectReport:
    report = InspectReport(target="", format=MISA_PICKLE)
    report.splits["all (one split per file)"] = len(content)
    names = (("text", 0), ("vision", 1), ("audio", 2))
    labels = []
    for (word_ids, visual, acoustic, _words), label, _segment in content:
        arrays = {"text": np.asarray(word_ids).reshape(-1, 1), "vision": np.asarray(visual), "audio": np.asarray(acoustic)}
        for modality, _ in names:
            array = arrays[modality]
            dim = 1 if modality == "text" else int(array.shape[-1])
            stats = report.modalities.setdefault(modality, ModalityStats(dim=dim))
            stats.lengths.append(int(array.shape[0]))
            stats.nonfinite += _count_nonfinite(array)
        labels.append(np.asarray(label, dtype=np.float64).reshape(-1))
    report.labels = _regression_stats(np.concatenate(labels))
    report.notes.append("A MISA pickle contains one split. Its text is word ids, so its feature size is shown as 1.")
    return report


def _inspect_csd(path: Path) -> InspectReport:
    from mtagbench.data.readers.csd import SILENCE_TOKEN, read_csd

    sequence = read_csd(path)
    report = InspectReport(target="", format=CSD)
    report.splits["videos"] = len(sequence.features)
    dims = {array.shape[1] for array in sequence.features.values()}
    stats = ModalityStats(dim=dims.pop() if len(dims) == 1 else -1)
    silences = 0
    for video, array in sequence.features.items():
        stats.lengths.append(int(array.shape[0]))
        stats.nonfinite += _count_nonfinite(array)
        if array.dtype.kind == "S":
            silences += int((array == SILENCE_TOKEN.encode()).sum())
    report.modalities[sequence.root] = stats
    report.notes.append(f"Root group {sequence.root!r}; lengths are rows per video.")
    if sequence.is_words:
        report.notes.append(f"Word sequence: {sum(stats.lengths)} rows, {silences} of them {SILENCE_TOKEN!r} (silence).")
    elif all(a.shape[1] == 1 for a in sequence.features.values()):
        report.labels = _regression_stats(np.concatenate([a.reshape(-1) for a in sequence.features.values()]))
    description = sequence.metadata.get("computational sequence description")
    if description:
        report.notes.append(f"Description in metadata: {description}")
    return report
