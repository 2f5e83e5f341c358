"""CMU-MultimodalSDK computational sequences (``.csd``, HDF5) and the ``mosi-csd`` dataset.

A ``.csd`` file contains one root group, whose name differs between files, with
``<root>/data/<video>/features`` ``(rows, dim)`` and ``<root>/data/<video>/intervals`` ``(rows, 2)``
start and end seconds, plus a ``<root>/metadata`` group of strings. A labels sequence has one row per
opinion segment; every other sequence is cut into those segments by keeping, per segment, the rows whose
interval lies inside the segment's interval. A row may therefore belong to two segments that overlap.

Word sequences store one byte string per row. Silence markers (``sp``) are dropped and every other word
becomes a vector of an embedding table; words missing from the table's vocabulary map to the ``<unk>``
vector and are counted.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from mtagbench.data.registry import register_dataset
from mtagbench.data.sample import SPLITS, MultimodalDataset, Sample
from mtagbench.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

SILENCE_TOKEN = "sp"
UNKNOWN_TOKEN = "<unk>"
EMBEDDINGS_FILE = "glove_embeddings.npy"
VOCAB_FILE = "vocab.json"

MOSI_LABELS_FILE = "CMU_MOSI_Opinion_Labels.csd"
MOSI_WORDS_FILE = "CMU_MOSI_ModifiedTimestampedWords.csd"
FOLDS_FILE = "standard_folds.json"

# Segment intervals in the CMU-MOSI labels file are float32, whose spacing near 1000 s is about 6e-5 s,
# while word intervals are float64. A word that starts exactly at a segment boundary can then appear to
# start a few microseconds early, so containment is tested with this slack (far below any word's length).
DEFAULT_TOLERANCE_SECONDS = 1e-3


@dataclass(frozen=True)
class ComputationalSequence:
    """The contents of one ``.csd`` file.

    Attributes:
        path: The file read.
        root: Name of the file's root group.
        features: Video id to its ``(rows, dim)`` feature array (bytes for word sequences).
        intervals: Video id to its float64 ``(rows, 2)`` start and end seconds.
        metadata: Metadata entry name to its decoded text.
    """

    path: Path
    root: str
    features: dict[str, np.ndarray]
    intervals: dict[str, np.ndarray]
    metadata: dict[str, str]

    @property
    def is_words(self) -> bool:
        return any(array.dtype.kind in "SUO" for array in self.features.values())


@dataclass
class WordStats:
    """Counts from turning words into embedding vectors.

    Attributes:
        words: Words kept (``sp`` dropped) over all segments.
        unknown: Words that were not in the vocabulary and became ``<unk>``.
        unknown_types: Unknown word to its number of occurrences.
        silences: Dropped ``sp`` rows.
        empty_segments: Segment ids with no word left.
    """

    words: int = 0
    unknown: int = 0
    unknown_types: Counter = field(default_factory=Counter)
    silences: int = 0
    empty_segments: list[str] = field(default_factory=list)


def read_csd(path: str | Path) -> ComputationalSequence:
    """Read a ``.csd`` file whose root group may have any name.

    Raises:
        DataError: If the file is not HDF5 (or is truncated), has no single root group, or a video lacks
            ``features`` or ``intervals`` or has a different number of rows in each.
    """
    path = Path(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise DataError(f"{path}: cannot be read as HDF5 ({error}); the file is truncated or not a .csd file") from error

    with handle:
        groups = [name for name in handle if isinstance(handle[name], h5py.Group)]
        if len(groups) != 1:
            raise DataError(f"{path}: expected one root group in a .csd file, found {groups}")
        root = groups[0]
        if "data" not in handle[root]:
            raise DataError(f"{path}: root group {root!r} has no 'data' group")

        features, intervals = {}, {}
        for video, group in handle[root]["data"].items():
            for key in ("features", "intervals"):
                if key not in group:
                    raise DataError(f"{path}: video {video!r} has no {key!r} dataset")
            features[video] = group["features"][()]
            intervals[video] = np.asarray(group["intervals"][()], dtype=np.float64)
            _check_rows(path, video, features[video], intervals[video])

        metadata = {}
        if "metadata" in handle[root]:
            for name, item in handle[root]["metadata"].items():
                if isinstance(item, h5py.Dataset):
                    metadata[name] = _decode_metadata(item[()])

    return ComputationalSequence(path=path, root=root, features=features, intervals=intervals, metadata=metadata)


def _check_rows(path: Path, video: str, features: np.ndarray, intervals: np.ndarray) -> None:
    if intervals.ndim != 2 or intervals.shape[1] != 2:
        raise DataError(f"{path}: video {video!r} intervals have shape {intervals.shape}, expected (rows, 2)")
    if features.ndim != 2 or features.shape[0] != intervals.shape[0]:
        raise DataError(
            f"{path}: video {video!r} has features of shape {features.shape} but {intervals.shape[0]} intervals; "
            "each feature row needs one interval"
        )


def _decode_metadata(value: object) -> str:
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0] if value.size else b""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class EmbeddingTable:
    """Word vectors: ``vectors[vocab[word]]``.

    Attributes:
        vectors: float32 ``(vocabulary size, dim)``.
        vocab: Word to row index; contains ``<unk>``.
        source: The two files read.
    """

    vectors: np.ndarray
    vocab: dict[str, int]
    source: str

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def read_embedding_table(embeddings: str | Path, vocab: str | Path) -> EmbeddingTable:
    """Read a ``.npy`` matrix of word vectors and its ``{word: row}`` JSON vocabulary.

    Raises:
        DataError: If a file is missing or unreadable, the matrix is not 2-D float, an index is out of
            range, or ``<unk>`` is not in the vocabulary.
    """
    embeddings, vocab = Path(embeddings), Path(vocab)
    try:
        vectors = np.load(embeddings, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataError(f"{embeddings}: cannot read the embedding matrix ({error})") from error
    if vectors.ndim != 2 or vectors.dtype.kind != "f":
        raise DataError(f"{embeddings}: expected a 2-D float matrix of word vectors, got {vectors.dtype} {vectors.shape}")

    try:
        mapping = json.loads(vocab.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{vocab}: cannot read the vocabulary JSON ({error})") from error
    if not isinstance(mapping, dict) or not all(isinstance(i, int) for i in mapping.values()):
        raise DataError(f"{vocab}: expected a JSON object mapping each word to an integer row index")
    if UNKNOWN_TOKEN not in mapping:
        raise DataError(f"{vocab}: the vocabulary has no {UNKNOWN_TOKEN!r} entry for out-of-vocabulary words")
    bad = [word for word, index in mapping.items() if not 0 <= index < vectors.shape[0]]
    if bad:
        raise DataError(f"{vocab}: {len(bad)} indices are outside the {vectors.shape[0]} rows of {embeddings}, e.g. {bad[0]!r}")

    return EmbeddingTable(vectors=vectors.astype(np.float32), vocab=mapping, source=f"{embeddings} + {vocab}")


def find_embedding_table(directory: Path, embeddings: str = "", vocab: str = "") -> EmbeddingTable:
    """Locate and read the embedding table.

    Search order when ``embeddings`` and ``vocab`` are empty: ``glove_embeddings.npy`` and ``vocab.json``
    in ``directory``, then in each sibling folder of ``directory`` in name order.

    Raises:
        ConfigError: If only one of ``embeddings`` and ``vocab`` is given.
        DataError: If no folder contains both files.
    """
    if bool(embeddings) != bool(vocab):
        raise ConfigError("pass both --embeddings PATH and --vocab PATH, or neither")
    if embeddings:
        return read_embedding_table(embeddings, vocab)

    candidates = [directory]
    if directory.parent.is_dir():
        candidates += sorted(p for p in directory.parent.iterdir() if p.is_dir() and p != directory)
    for folder in candidates:
        if (folder / EMBEDDINGS_FILE).is_file() and (folder / VOCAB_FILE).is_file():
            return read_embedding_table(folder / EMBEDDINGS_FILE, folder / VOCAB_FILE)

    raise DataError(
        f"no word embedding table found: looked for {EMBEDDINGS_FILE} and {VOCAB_FILE} in {directory} and its "
        f"sibling folders. Pass --embeddings PATH --vocab PATH"
    )


def read_folds(path: Path) -> dict[str, list[str]]:
    """Read ``{"train": [...], "valid": [...], "test": [...]}`` video lists.

    Raises:
        DataError: If the file is not such an object or a video is in two folds.
    """
    try:
        folds = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read the folds JSON ({error})") from error
    if not isinstance(folds, dict) or any(not isinstance(folds.get(split), list) for split in SPLITS):
        raise DataError(f"{path}: expected a JSON object with lists 'train', 'valid' and 'test' of video ids")

    seen: dict[str, str] = {}
    for split in SPLITS:
        for video in folds[split]:
            if video in seen:
                raise DataError(f"{path}: video {video!r} is in both the {seen[video]!r} and {split!r} folds")
            seen[video] = split
    return {split: [str(video) for video in folds[split]] for split in SPLITS}


def parse_csd_options(csd: Sequence[str]) -> dict[str, Path]:
    """Turn ``("audio=PATH", "vision=PATH")`` into ``{"audio": Path, "vision": Path}``.

    Raises:
        ConfigError: If an entry is not ``NAME=PATH`` or names ``text`` or a modality twice.
    """
    parsed: dict[str, Path] = {}
    for entry in csd:
        name, separator, path = entry.partition("=")
        if not separator or not name or not path:
            raise ConfigError(f"invalid --csd value {entry!r}: expected MODALITY=PATH, for example audio=covarep.csd")
        if name == "text" or name in parsed:
            raise ConfigError(f"invalid --csd value {entry!r}: modality {name!r} is already defined")
        parsed[name] = Path(path).expanduser()
    return parsed


def build_csd_dataset(
    name: str,
    labels: ComputationalSequence,
    words: ComputationalSequence | None,
    table: EmbeddingTable | None,
    extra: Mapping[str, ComputationalSequence],
    folds: Mapping[str, Sequence[str]],
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> tuple[MultimodalDataset, WordStats]:
    """Cut every sequence into the labelled segments and return the dataset and its word counts.

    A segment's id is ``<video>[<row>]``, the row of the segment in the labels file. A segment with no
    rows in a modality is kept with a ``(0, dim)`` array.

    Raises:
        DataError: If a label row is not a single number, or a fold names a video missing from a file.
    """
    stats = WordStats()
    sequences: dict[str, ComputationalSequence] = {}
    feature_sizes: dict[str, int] = {}
    if words is not None:
        sequences["text"] = words
        feature_sizes["text"] = table.dim
    for modality, sequence in extra.items():
        sequences[modality] = sequence
        feature_sizes[modality] = _feature_dim(sequence)
    if not sequences:
        raise DataError(f"{name}: no modality to read; give a words sequence or --csd MODALITY=PATH")

    splits: dict[str, list[Sample]] = {}
    for split in SPLITS:
        samples = []
        for video in folds[split]:
            _require_video(labels, video, split)
            for sequence in sequences.values():
                _require_video(sequence, video, split)
            samples += _video_samples(video, labels, sequences, table, feature_sizes, stats, tolerance)
        splits[split] = samples

    dataset = MultimodalDataset(
        name=name,
        task="regression",
        splits=splits,
        feature_sizes=feature_sizes,
        source=_describe_source(labels, sequences, table, stats),
        aligned=False,
    )
    return dataset, stats


def _feature_dim(sequence: ComputationalSequence) -> int:
    dims = {array.shape[1] for array in sequence.features.values()}
    if len(dims) != 1 or sequence.is_words:
        raise DataError(f"{sequence.path}: expected numeric features of one dimension, got dimensions {sorted(dims)}")
    return dims.pop()


def _require_video(sequence: ComputationalSequence, video: str, split: str) -> None:
    if video not in sequence.features:
        raise DataError(f"{sequence.path}: video {video!r} of the {split!r} fold is missing from this file")


def _video_samples(
    video: str,
    labels: ComputationalSequence,
    sequences: Mapping[str, ComputationalSequence],
    table: EmbeddingTable | None,
    feature_sizes: Mapping[str, int],
    stats: WordStats,
    tolerance: float,
) -> list[Sample]:
    label_rows = labels.features[video]
    if label_rows.ndim != 2 or label_rows.shape[1] != 1 or label_rows.dtype.kind not in "fiu":
        raise DataError(
            f"{labels.path}: video {video!r} labels have shape {label_rows.shape} and dtype {label_rows.dtype}, "
            "expected one number per segment (rows, 1)"
        )

    samples = []
    for row, (start, end) in enumerate(labels.intervals[video]):
        segment_id = f"{video}[{row}]"
        features, timestamps, segment_words = {}, {}, None
        for modality, sequence in sequences.items():
            times = sequence.intervals[video]
            inside = (times[:, 0] >= start - tolerance) & (times[:, 1] <= end + tolerance)
            if modality == "text":
                features[modality], timestamps[modality], segment_words = _embed_words(
                    sequence.features[video][inside], times[inside], table, stats
                )
                if not segment_words:
                    stats.empty_segments.append(segment_id)
            else:
                features[modality] = np.asarray(sequence.features[video][inside], dtype=np.float32)
                timestamps[modality] = times[inside]

        samples.append(
            Sample(
                id=segment_id,
                features=features,
                label=np.asarray(label_rows[row], dtype=np.float32).reshape(1),
                timestamps=timestamps,
                words=segment_words,
            )
        )
    return samples


def _embed_words(
    rows: np.ndarray, times: np.ndarray, table: EmbeddingTable, stats: WordStats
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    tokens = [_decode_word(value) for value in rows[:, 0]]
    keep = np.array([token != SILENCE_TOKEN for token in tokens], dtype=bool)
    stats.silences += int((~keep).sum())
    kept = [token for token, k in zip(tokens, keep) if k]

    indices = np.empty(len(kept), dtype=np.int64)
    unknown_index = table.vocab[UNKNOWN_TOKEN]
    for position, token in enumerate(kept):
        index = table.vocab.get(token)
        if index is None:
            stats.unknown += 1
            stats.unknown_types[token] += 1
            index = unknown_index
        indices[position] = index
    stats.words += len(kept)

    vectors = table.vectors[indices].reshape(len(kept), table.dim)
    return vectors, times[keep].reshape(-1, 2), kept


def _decode_word(value: object) -> str:
    return value.decode("utf-8", "replace").strip() if isinstance(value, bytes) else str(value).strip()


def _describe_source(
    labels: ComputationalSequence,
    sequences: Mapping[str, ComputationalSequence],
    table: EmbeddingTable | None,
    stats: WordStats,
) -> str:
    parts = [f"labels {labels.path}"] + [f"{modality} {sequence.path}" for modality, sequence in sequences.items()]
    if table is not None:
        parts.append(f"embeddings {table.source}")
        parts.append(
            f"{stats.words} words, {stats.unknown} out of vocabulary ({len(stats.unknown_types)} types) mapped to {UNKNOWN_TOKEN}"
        )
    return "; ".join(parts)


def load_mosi_csd(
    directory: Path,
    *,
    embeddings: str = "",
    vocab: str = "",
    csd: tuple[str, ...] = (),
    folds: str = "",
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> tuple[MultimodalDataset, WordStats]:
    """Read ``mosi-csd`` and return the dataset with its word counts; see :func:`read_mosi_csd`."""
    directory = Path(directory)
    table = find_embedding_table(directory, embeddings, vocab)
    labels = read_csd(directory / MOSI_LABELS_FILE)
    words = read_csd(directory / MOSI_WORDS_FILE)
    extra = {modality: read_csd(path) for modality, path in parse_csd_options(csd).items()}
    fold_lists = read_folds(Path(folds).expanduser() if folds else directory / FOLDS_FILE)

    dataset, stats = build_csd_dataset("mosi-csd", labels, words, table, extra, fold_lists, tolerance)
    logger.info(
        "mosi-csd: %d words, %d out of vocabulary (%d types) mapped to %s; %d segments without words",
        stats.words, stats.unknown, len(stats.unknown_types), UNKNOWN_TOKEN, len(stats.empty_segments),
    )
    return dataset, stats


@register_dataset(
    "mosi-csd",
    description="CMU-MOSI from CMU-MultimodalSDK .csd files: GloVe words (+ --csd audio=/vision= files), 2199 segments",
    task="regression",
    files=(MOSI_LABELS_FILE, MOSI_WORDS_FILE, FOLDS_FILE),
    folder="mosi-csd",
    how_to_get=(
        "the CMU-MultimodalSDK (github.com/CMU-MultiComp-Lab/CMU-MultimodalSDK) downloads CMU_MOSI_Opinion_Labels.csd "
        "and CMU_MOSI_ModifiedTimestampedWords.csd; standard_folds.json holds its standard CMU-MOSI folds as "
        '{"train": [...], "valid": [...], "test": [...]} video ids'
    ),
)
def read_mosi_csd(
    directory: Path,
    *,
    embeddings: str = "",
    vocab: str = "",
    csd: tuple[str, ...] = (),
    folds: str = "",
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> MultimodalDataset:
    """Read CMU-MOSI segments, their words as embedding vectors, and any extra ``.csd`` modalities.

    Args:
        directory: Folder with the labels and words ``.csd`` files and ``standard_folds.json``.
        embeddings: ``.npy`` word-vector matrix; empty to search ``glove_embeddings.npy`` in ``directory``
            and then in its sibling folders.
        vocab: ``{word: row}`` JSON of that matrix; given together with ``embeddings``.
        csd: Extra modalities as ``MODALITY=PATH``, for example ``audio=CMU_MOSI_COVAREP.csd``.
        folds: Folds JSON to use in place of ``standard_folds.json``.
        tolerance: Slack in seconds when testing that a row's interval lies inside a segment.

    Returns:
        A regression dataset with modality ``text`` (embedding size) and the ``csd`` modalities, time
        stamps for every step, and the kept words of every segment.
    """
    dataset, _ = load_mosi_csd(directory, embeddings=embeddings, vocab=vocab, csd=csd, folds=folds, tolerance=tolerance)
    return dataset
