"""Reader for ``mosi-misa``: the CMU-MOSI validation split in the pickle layout of MISA-style code.

Files, all in one folder:

* ``dev.pkl``: a list of tuples ``((word_ids, visual, acoustic, words), label, segment_id)``, one per
  segment. ``word_ids`` is int ``(L,)``, ``visual`` float ``(L, 47)`` Facet features, ``acoustic``
  float ``(L, 74)`` COVAREP features, ``words`` a list of ``L`` strings, ``label`` a ``(1, 1)``
  sentiment score and ``segment_id`` a string such as ``"WKA5OygbEKI[0]"`` (video id, then segment
  index).
* ``glove_embeddings.npy``: float ``(V, 300)``; row ``i`` is the GloVe vector of word id ``i``.
* ``vocab.json``: ``{word: id}`` for the rows of the table.

The visual and acoustic features are averaged over each word's time span, so the three modalities
share one time axis of ``L`` steps (``aligned=True``). The file contains no timestamps. The text modality
is the GloVe row of each word id; the words are kept on each sample for display.

The reader checks that every word id is a row of the table and that ``vocab.json`` maps each word back
to its id (or, for a word missing from the vocabulary, to the id of ``<unk>``), so a table from another
vocabulary is rejected instead of silently giving wrong vectors.

``dev.pkl`` is a single split of 10 videos. Segments of one video share a speaker and are strongly
correlated, so the reader splits by video, with the fixed lists in :data:`SPLIT_VIDEOS`: 6 train
videos (139 segments), 2 valid (43) and 2 test (47). The lists were chosen among all 6/2/2 assignments
of the 10 videos for segment counts near 60/20/20 and similar label means and shares of negative labels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mtagbench.data.readers.reader_options import reject_options
from mtagbench.data.registry import register_dataset
from mtagbench.data.safe_pickle import load_pickle
from mtagbench.data.sample import SPLITS, MultimodalDataset, Sample
from mtagbench.errors import ConfigError, DataError

SPLIT_VIDEOS: dict[str, tuple[str, ...]] = {
    "train": ("X3j2zQgwYgE", "ZAIRrfG22O0", "ZUXBRvtny7o", "aiEXnCPZubE", "atnd_PF-Lbs", "bOL9jKpeJRs"),
    "valid": ("_dI--eQ6qVU", "c5xsKMxpXnc"),
    "test": ("WKA5OygbEKI", "bvLlb-M3UXU"),
}
"""Video ids of each split; together they are the 10 videos of the CMU-MOSI validation split."""

UNKNOWN_WORD = "<unk>"

MISA_HOW_TO_GET = (
    "dev.pkl is the CMU-MOSI validation split in the pickle layout of MISA's preprocessing "
    "(https://github.com/declare-lab/MISA); a copy is in the repository "
    "Gautam-Gandhi/Multimodal-Sentiment-Analysis, folder phase1/data/MOSI. glove_embeddings.npy and "
    "vocab.json are the GloVe table and word-to-id map of that vocabulary, saved as a float32 (V, 300) "
    ".npy array and a JSON object {word: id}. mtagbench does not download them."
)


def video_id(segment_id: str) -> str:
    """Return the video part of a segment id: ``"WKA5OygbEKI[3]"`` gives ``"WKA5OygbEKI"``."""
    return segment_id.split("[", 1)[0]


def read_misa_pickle(
    directory: str | Path,
    dataset_name: str = "mosi-misa",
    split_videos: Mapping[str, Sequence[str]] = SPLIT_VIDEOS,
) -> MultimodalDataset:
    """Read ``dev.pkl``, ``glove_embeddings.npy`` and ``vocab.json`` from ``directory``.

    Args:
        directory: Folder that contains the three files.
        dataset_name: Name given to the dataset.
        split_videos: Split name to the video ids of that split; every video in ``dev.pkl`` must be listed.

    Returns:
        A word-aligned dataset with modalities ``text`` (300), ``audio`` (74) and ``vision`` (47).

    Raises:
        ConfigError: If ``split_videos`` names a split other than train, valid and test, or lists a
            video twice.
        DataError: If a file is missing, unsafe or corrupt, an array has the wrong shape or non-finite
            values, a word id is outside the table, the vocabulary does not match the word ids, or a
            video is not in ``split_videos``.
    """
    directory = Path(directory)
    pickle_path = directory / "dev.pkl"
    table = _read_embedding_table(directory / "glove_embeddings.npy")
    vocab = _read_vocab(directory / "vocab.json", num_rows=table.shape[0])
    records = load_pickle(pickle_path)
    if not isinstance(records, list):
        raise DataError(f"{pickle_path}: expected a list of segments, found {type(records).__name__}")
    if not records:
        raise DataError(f"{pickle_path}: the list of segments is empty")

    split_of_video = _split_of_video(split_videos)
    splits: dict[str, list[Sample]] = {split: [] for split in SPLITS}
    sizes: dict[str, int] = {}
    vocab_check = _VocabCheck(vocab, pickle_path)
    unknown_videos: set[str] = set()
    seen_ids: set[str] = set()

    for index, record in enumerate(records):
        sample, word_ids = _read_record(record, index, pickle_path, table, sizes)
        vocab_check.add(sample.words, word_ids, f"sample {index} ({sample.id})")
        if sample.id in seen_ids:
            raise DataError(f"{pickle_path}, sample {index}: segment id {sample.id!r} appears twice")
        seen_ids.add(sample.id)

        split = split_of_video.get(video_id(sample.id))
        if split is None:
            unknown_videos.add(video_id(sample.id))
            continue
        splits[split].append(sample)

    vocab_check.raise_on_mismatch()
    if unknown_videos:
        raise DataError(
            f"{pickle_path}: videos {sorted(unknown_videos)} are not in the fixed split assignment "
            f"{dict(split_videos)}; this reader expects the CMU-MOSI validation split"
        )

    return MultimodalDataset(
        name=dataset_name,
        task="regression",
        splits=splits,
        feature_sizes={"text": int(table.shape[1]), "audio": sizes["audio"], "vision": sizes["vision"]},
        source=str(pickle_path),
        aligned=True,
    )


def _split_of_video(split_videos: Mapping[str, Sequence[str]]) -> dict[str, str]:
    unknown = sorted(set(split_videos) - set(SPLITS))
    if unknown:
        raise ConfigError(f"split_videos has unknown splits {unknown}; use {list(SPLITS)}")

    split_of_video: dict[str, str] = {}
    for split, videos in split_videos.items():
        for video in videos:
            if video in split_of_video:
                raise ConfigError(
                    f"split_videos lists video {video!r} in both {split_of_video[video]!r} and {split!r}"
                )
            split_of_video[video] = split
    return split_of_video


def _read_embedding_table(path: Path) -> np.ndarray:
    try:
        table = np.load(path, allow_pickle=False)
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error})") from error
    except ValueError as error:
        raise DataError(f"{path}: not a valid .npy array of numbers ({error})") from error
    if not isinstance(table, np.ndarray) or table.ndim != 2 or table.dtype.kind not in "fiu":
        raise DataError(
            f"{path}: expected a 2-D float array (vocabulary size, embedding size), found "
            f"{getattr(table, 'dtype', type(table).__name__)} {getattr(table, 'shape', '')}"
        )
    table = table.astype(np.float32)
    bad_rows = np.flatnonzero(~np.isfinite(table).all(axis=1))
    if bad_rows.size:
        raise DataError(f"{path}: rows {bad_rows[:5].tolist()} contain NaN or inf ({bad_rows.size} rows)")
    return table


def _read_vocab(path: Path, num_rows: int) -> dict[str, int]:
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error})") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(vocab, dict):
        raise DataError(f"{path}: expected a JSON object {{word: id}}, found {type(vocab).__name__}")

    for word, word_id in vocab.items():
        if isinstance(word_id, bool) or not isinstance(word_id, int) or not 0 <= word_id < num_rows:
            raise DataError(
                f"{path}: word {word!r} has id {word_id!r}, which is not a row of the embedding table "
                f"(0 to {num_rows - 1}); the vocabulary and glove_embeddings.npy do not belong together"
            )
    return vocab


def _read_record(
    record: Any, index: int, path: Path, table: np.ndarray, sizes: dict[str, int]
) -> tuple[Sample, np.ndarray]:
    where = f"{path}, sample {index}"
    try:
        (word_ids, visual, acoustic, words), label, segment_id = record
    except (TypeError, ValueError) as error:
        raise DataError(
            f"{where}: expected ((word_ids, visual, acoustic, words), label, segment_id), found "
            f"{type(record).__name__}"
        ) from error
    if not isinstance(segment_id, str):
        raise DataError(f"{where}: segment id must be a string, found {type(segment_id).__name__}")
    where = f"{path}, sample {index} ({segment_id})"

    word_ids = _word_ids(word_ids, table.shape[0], where)
    length = word_ids.shape[0]
    audio = _step_features(acoustic, "audio", length, where, sizes)
    vision = _step_features(visual, "vision", length, where, sizes)
    words = _words(words, length, where)
    label = _label(label, where)

    sample = Sample(
        id=segment_id,
        features={"text": table[word_ids], "audio": audio, "vision": vision},
        label=label,
        words=words,
    )
    return sample, word_ids


def _word_ids(value: Any, num_rows: int, where: str) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind not in "iu":
        shape = getattr(value, "shape", type(value).__name__)
        raise DataError(f"{where}: word_ids must be a 1-D integer array, found {shape}")
    outside = np.flatnonzero((value < 0) | (value >= num_rows))
    if outside.size:
        position = int(outside[0])
        raise DataError(
            f"{where}: word id {int(value[position])} at position {position} is outside the embedding "
            f"table (0 to {num_rows - 1}); the table does not belong to this dev.pkl"
        )
    return value.astype(np.int64)


def _step_features(value: Any, modality: str, length: int, where: str, sizes: dict[str, int]) -> np.ndarray:
    name = "acoustic" if modality == "audio" else "visual"
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.dtype.kind not in "fiu":
        shape = getattr(value, "shape", type(value).__name__)
        raise DataError(
            f"{where}: {name} ({modality}) must be a 2-D float array (steps, features), found {shape}"
        )
    if value.shape[0] != length:
        raise DataError(
            f"{where}: {name} ({modality}) has {value.shape[0]} steps but there are {length} word ids; "
            f"word-aligned features need one row per word"
        )
    expected = sizes.setdefault(modality, int(value.shape[1]))
    if value.shape[1] != expected:
        raise DataError(
            f"{where}: {name} ({modality}) has {value.shape[1]} features, earlier samples have {expected}"
        )

    array = value.astype(np.float32)
    bad = ~np.isfinite(array)
    if bad.any():
        step = int(np.flatnonzero(bad.any(axis=1))[0])
        raise DataError(
            f"{where}: {name} ({modality}) has {int(bad.sum())} NaN or inf values, the first at step {step}"
        )
    return array


def _words(value: Any, length: int, where: str) -> list[str]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not all(isinstance(word, str) for word in value):
        raise DataError(f"{where}: words must be a list of strings, found {type(value).__name__}")
    if len(value) != length:
        raise DataError(f"{where}: {len(value)} words but {length} word ids")
    return list(value)


def _label(value: Any, where: str) -> np.ndarray:
    label = np.asarray(value)
    if label.dtype.kind not in "fiu" or label.size != 1:
        raise DataError(
            f"{where}: label must be one number (shape (1, 1)), found {label.dtype} {tuple(label.shape)}"
        )
    label = label.reshape(1).astype(np.float32)
    if not np.isfinite(label).all():
        raise DataError(f"{where}: label {float(label[0])} is not finite")
    return label


class _VocabCheck:
    """Counts words whose id in ``dev.pkl`` differs from the id ``vocab.json`` gives them."""

    def __init__(self, vocab: Mapping[str, int], path: Path) -> None:
        self.vocab = vocab
        self.unknown_id = vocab.get(UNKNOWN_WORD)
        self.path = path
        self.num_words = 0
        self.num_mismatches = 0
        self.first_mismatch = ""

    def add(self, words: Sequence[str], word_ids: np.ndarray, where: str) -> None:
        for position, (word, word_id) in enumerate(zip(words, word_ids.tolist())):
            expected = self.vocab.get(word, self.unknown_id)
            self.num_words += 1
            if expected != word_id:
                self.num_mismatches += 1
                if not self.first_mismatch:
                    self.first_mismatch = (
                        f"{where}, word {position} {word!r} has id {word_id} but vocab.json gives {expected}"
                    )

    def raise_on_mismatch(self) -> None:
        if self.num_mismatches:
            raise DataError(
                f"{self.path}: {self.num_mismatches} of {self.num_words} words do not map to their word id "
                f"through vocab.json (first: {self.first_mismatch}); glove_embeddings.npy and vocab.json "
                f"do not belong to this dev.pkl"
            )


@register_dataset(
    "mosi-misa",
    description="CMU-MOSI validation split (229 segments), word-aligned, MISA pickle layout, split by video",
    task="regression",
    files=("dev.pkl", "glove_embeddings.npy", "vocab.json"),
    folder="mosi-misa",
    how_to_get=MISA_HOW_TO_GET,
)
def read_mosi_misa(directory: Path | None, **options: Any) -> MultimodalDataset:
    """Read ``mosi-misa`` from ``directory``; see :func:`read_misa_pickle`."""
    reject_options("mosi-misa", options)
    return read_misa_pickle(Path(directory))
