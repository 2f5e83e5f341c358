"""``synthetic-mosi``: a seeded generator of unaligned, MOSI-shaped data whose label needs all modalities.

The generator writes MulT's pickle layout in memory (sequences zero-padded at the front to 20 / 60 / 50
steps, audio silence stored as -inf) and reads it back with
:func:`~mtagbench.data.readers.mult_pickle.dataset_from_mult_layout`, so it runs the same padding
stripping and checks as the ``mosi`` reader.

Generative rule, per sample (all draws independent unless stated):

* Lengths: text ``L_t`` uniform in 6..20, audio ``L_a`` in 20..60, vision ``L_v`` in 15..50.
* Background: every feature is Gaussian noise with standard deviation 0.3; text has 300 features,
  audio 5 and vision 20, as in MulT's CMU-MOSI files.
* Polarity ``p`` uniform in [-1.5, 1.5], added to text feature 0 of every word.
* Cue: a text step ``k_t`` drawn uniformly from ``0..L_t-1`` gets +3 on text feature 1.
* Response: vision feature 0 of one step ``k_v`` gets +3. Steps sit at relative time
  ``(k + 0.5) / L`` of their sequence (pseudo-alignment). With probability 1/2 the response co-occurs
  with the cue: ``k_v`` is the vision step whose relative time is nearest the cue's (at most
  ``0.5 / L_v`` away). Otherwise ``k_v`` is drawn uniformly from the vision steps at least 0.3 away.
  ``g`` is +1 when the relative times differ by at most 0.1 (:data:`CO_OCCURRENCE_WINDOW`), else -1.
* Arousal ``a`` uniform in [0.5, 1.5], added to audio feature 0 of every frame.
* Silence: each audio frame after the first is, with probability 0.05, set to -inf in all features.
  The reader turns it into a zero row inside the sequence and keeps it.
* Label: ``y = clip(p + 1.5 * a * g + e, -3, 3)`` with ``e`` Gaussian, standard deviation 0.1.

Text alone shows ``p`` and the cue but not ``g`` or ``a``. Those are independent of the text, and
``1.5 * a * g`` is symmetric with magnitude at least 0.75, so no text-only predictor has a mean
absolute error much below ``E[1.5 * a] = 1.5`` (clipping lowers it a little). A predictor that reads
``p`` from text, the two event times from text and vision, and ``a`` from audio is left with the label
noise and the estimation noise.

Each split draws from its own stream, ``numpy.random.default_rng([seed, split_index])``, so changing
``num_train`` leaves the valid and test samples unchanged. The same seed gives byte-identical data
with a given NumPy version; NumPy does not promise identical random streams across its feature
releases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mtagbench.data.readers.mult_pickle import dataset_from_mult_layout
from mtagbench.data.readers.reader_options import int_option, reject_options
from mtagbench.data.registry import register_dataset
from mtagbench.data.sample import SPLITS, MultimodalDataset

FEATURE_SIZES = {"text": 300, "audio": 5, "vision": 20}
LENGTH_RANGES = {"text": (6, 20), "audio": (20, 60), "vision": (15, 50)}
"""Inclusive range of sequence lengths per modality; the upper bound is also the padded length."""

NOISE_STD = 0.3
POLARITY_RANGE = (-1.5, 1.5)
AROUSAL_RANGE = (0.5, 1.5)
EVENT_AMPLITUDE = 3.0
RESPONSE_GAIN = 1.5
CO_OCCURRENCE_WINDOW = 0.1
"""Largest relative-time distance between cue and response that counts as co-occurring."""
NON_CO_OCCURRENCE_DISTANCE = 0.3
SILENCE_PROBABILITY = 0.05
LABEL_NOISE_STD = 0.1

POLARITY_FEATURE = 0
"""Text feature that carries the polarity ``p``."""
CUE_FEATURE = 1
"""Text feature that carries the cue event."""
RESPONSE_FEATURE = 0
"""Vision feature that carries the response event."""
AROUSAL_FEATURE = 0
"""Audio feature that carries the arousal ``a``."""

DEFAULT_SIZES = {"train": 384, "valid": 96, "test": 192}


def relative_time(step: np.ndarray | int, length: np.ndarray | int) -> np.ndarray:
    """Return the pseudo-aligned time ``(step + 0.5) / length`` of a step, in [0, 1]."""
    return (np.asarray(step, dtype=np.float64) + 0.5) / np.asarray(length, dtype=np.float64)


def generate_synthetic_layout(
    seed: int = 0,
    num_train: int = DEFAULT_SIZES["train"],
    num_valid: int = DEFAULT_SIZES["valid"],
    num_test: int = DEFAULT_SIZES["test"],
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """Generate the three splits in MulT's left-padded layout.

    Args:
        seed: Non-negative seed; see the module docstring for the streams it starts.
        num_train: Number of training samples.
        num_valid: Number of validation samples.
        num_test: Number of test samples.

    Returns:
        ``(layout, lengths)``: ``layout[split]`` contains ``text``, ``audio``, ``vision``, ``labels`` and
        ``id`` arrays as in a MulT pickle; ``lengths[split][modality]`` is the int64 ``(N,)`` array of
        generated sequence lengths.
    """
    sizes = {"train": num_train, "valid": num_valid, "test": num_test}
    layout: dict[str, dict[str, np.ndarray]] = {}
    lengths: dict[str, dict[str, np.ndarray]] = {}
    for split_index, split in enumerate(SPLITS):
        rng = np.random.default_rng([seed, split_index])
        layout[split], lengths[split] = _generate_split(rng, split, sizes[split])
    return layout, lengths


def _generate_split(
    rng: np.random.Generator, split: str, num_samples: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    padded = {
        modality: np.zeros((num_samples, LENGTH_RANGES[modality][1], dim), dtype=np.float32)
        for modality, dim in FEATURE_SIZES.items()
    }
    lengths = {modality: np.zeros(num_samples, dtype=np.int64) for modality in FEATURE_SIZES}
    labels = np.zeros((num_samples, 1, 1), dtype=np.float32)

    for index in range(num_samples):
        features, label = _generate_sample(rng)
        labels[index, 0, 0] = label
        for modality, array in features.items():
            length = array.shape[0]
            lengths[modality][index] = length
            padded[modality][index, padded[modality].shape[1] - length:] = array

    ids = np.array([f"synthetic-{split}-{index:04d}".encode() for index in range(num_samples)])
    return {**padded, "labels": labels, "id": ids}, lengths


def _generate_sample(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], float]:
    length = {
        modality: int(rng.integers(low, high, endpoint=True))
        for modality, (low, high) in LENGTH_RANGES.items()
    }
    features = {
        modality: rng.normal(0.0, NOISE_STD, size=(length[modality], dim)).astype(np.float32)
        for modality, dim in FEATURE_SIZES.items()
    }

    polarity = rng.uniform(*POLARITY_RANGE)
    features["text"][:, POLARITY_FEATURE] += polarity

    cue_step = int(rng.integers(length["text"]))
    features["text"][cue_step, CUE_FEATURE] += EVENT_AMPLITUDE
    cue_time = relative_time(cue_step, length["text"])

    co_occurs = rng.random() < 0.5
    vision_times = relative_time(np.arange(length["vision"]), length["vision"])
    distances = np.abs(vision_times - cue_time)
    if co_occurs:
        response_step = int(np.argmin(distances))
    else:
        response_step = int(rng.choice(np.flatnonzero(distances >= NON_CO_OCCURRENCE_DISTANCE)))
    features["vision"][response_step, RESPONSE_FEATURE] += EVENT_AMPLITUDE
    sign = 1.0 if distances[response_step] <= CO_OCCURRENCE_WINDOW else -1.0

    arousal = rng.uniform(*AROUSAL_RANGE)
    features["audio"][:, AROUSAL_FEATURE] += arousal
    silent = rng.random(length["audio"]) < SILENCE_PROBABILITY
    silent[0] = False  # a silent first frame would read back as left padding
    features["audio"][silent] = -np.inf

    noise = rng.normal(0.0, LABEL_NOISE_STD)
    label = float(np.clip(polarity + RESPONSE_GAIN * arousal * sign + noise, -3.0, 3.0))
    return features, label


@register_dataset(
    "synthetic-mosi",
    description="Seeded synthetic unaligned data shaped like CMU-MOSI; the label needs all three modalities",
    task="regression",
    files=(),
    folder="synthetic-mosi",
    how_to_get="generated in memory; no files are needed",
)
def read_synthetic_mosi(
    directory: Path | None = None,
    data_seed: Any = 0,
    num_train: Any = DEFAULT_SIZES["train"],
    num_valid: Any = DEFAULT_SIZES["valid"],
    num_test: Any = DEFAULT_SIZES["test"],
    **options: Any,
) -> MultimodalDataset:
    """Generate ``synthetic-mosi``.

    Args:
        directory: Ignored; the dataset needs no files.
        data_seed: Non-negative seed of the generator (default 0); ``--seed`` of ``mtagbench run``
            seeds training, not the data.
        num_train: Number of training samples (default 384).
        num_valid: Number of validation samples (default 96).
        num_test: Number of test samples (default 192).

    Raises:
        ConfigError: If an option is unknown, is not an integer or is out of range.
    """
    reject_options("synthetic-mosi", options, allowed=("data_seed", "num_train", "num_valid", "num_test"))
    seed = int_option("synthetic-mosi", "data_seed", data_seed, minimum=0)
    sizes = {
        split: int_option("synthetic-mosi", f"num_{split}", value)
        for split, value in (("train", num_train), ("valid", num_valid), ("test", num_test))
    }

    layout, _ = generate_synthetic_layout(seed, sizes["train"], sizes["valid"], sizes["test"])
    source = (
        f"synthetic-mosi generator, seed {seed}, {sizes['train']}/{sizes['valid']}/{sizes['test']} "
        f"train/valid/test samples"
    )
    return dataset_from_mult_layout(layout, "synthetic-mosi", source=source)
