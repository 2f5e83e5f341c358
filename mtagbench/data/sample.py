"""The in-memory representation every reader produces and every model consumes.

A :class:`Sample` stores one float32 array ``(length, dim)`` per named modality, with no padding, so
lengths differ across modalities and samples. :func:`collate` pads a list of samples on the right
into a :class:`Batch` with per-modality lengths and masks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from mtagbench.errors import DataError

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Sample:
    """One utterance.

    Attributes:
        id: Identifier unique within the dataset, for example ``"WKA5OygbEKI[0]"``.
        features: Modality name to float32 array of shape ``(length, dim)``; ``length`` may be 0.
        label: float32 array; shape ``(1,)`` for regression, ``(num_labels,)`` for multilabel tasks.
        timestamps: Optional modality name to float64 array ``(length, 2)`` of start and end seconds.
        words: Optional words of the text modality, one per text step, for display.
    """

    id: str
    features: Mapping[str, np.ndarray]
    label: np.ndarray
    timestamps: Mapping[str, np.ndarray] | None = None
    words: Sequence[str] | None = None

    def length(self, modality: str) -> int:
        return int(self.features[modality].shape[0])


@dataclass
class MultimodalDataset:
    """A dataset split into ``train``, ``valid`` and ``test`` lists of samples.

    Attributes:
        name: Registered dataset name, for example ``"mosi"``.
        task: ``"regression"`` or ``"multilabel"``.
        splits: Split name to its samples.
        feature_sizes: Modality name to feature dimension, in the order models see the modalities.
        label_names: Names of the labels of a multilabel task, in output order.
        source: Human-readable description of where the data came from (files, generator, seed).
        aligned: True when all modalities of a sample share one time axis (word-aligned data).
    """

    name: str
    task: str
    splits: dict[str, list[Sample]]
    feature_sizes: dict[str, int]
    label_names: tuple[str, ...] = ()
    source: str = ""
    aligned: bool = False
    _fingerprint: str | None = field(default=None, repr=False)

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(self.feature_sizes)

    def fingerprint(self) -> str:
        """Return a SHA-256 over every split's ids, features and labels, as a hex string."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for split in sorted(self.splits):
                digest.update(split.encode())
                for sample in self.splits[split]:
                    digest.update(sample.id.encode())
                    for modality in self.modalities:
                        array = np.ascontiguousarray(sample.features[modality], dtype=np.float32)
                        digest.update(str(array.shape).encode())
                        digest.update(array.tobytes())
                    digest.update(np.ascontiguousarray(sample.label, dtype=np.float32).tobytes())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def select_modalities(self, modalities: Sequence[str]) -> MultimodalDataset:
        """Return a view of this dataset restricted to ``modalities``, in the order given."""
        unknown = [m for m in modalities if m not in self.feature_sizes]
        repeated = sorted({m for m in modalities if list(modalities).count(m) > 1})
        if repeated:
            raise DataError(f"modalities {list(modalities)} name {repeated} more than once; name each modality once")
        if unknown or not modalities:
            raise DataError(
                f"invalid modalities {list(modalities)} for dataset {self.name!r}: "
                f"choose from {list(self.modalities)}"
            )
        splits = {
            split: [
                Sample(
                    id=s.id,
                    features={m: s.features[m] for m in modalities},
                    label=s.label,
                    timestamps=None if s.timestamps is None else {
                        m: s.timestamps[m] for m in modalities if m in s.timestamps
                    },
                    words=s.words if "text" in modalities else None,
                )
                for s in samples
            ]
            for split, samples in self.splits.items()
        }
        return MultimodalDataset(
            name=self.name,
            task=self.task,
            splits=splits,
            feature_sizes={m: self.feature_sizes[m] for m in modalities},
            label_names=self.label_names,
            source=self.source,
            aligned=self.aligned,
        )

    def validate(self) -> None:
        """Raise :class:`DataError` on a wrong shape, a wrong dtype, NaN or inf, or an empty split."""
        for split in SPLITS:
            if not self.splits.get(split):
                raise DataError(f"dataset {self.name!r} has no samples in the {split!r} split")
        for split, samples in self.splits.items():
            for sample in samples:
                validate_sample(sample, self.feature_sizes, where=f"{self.name} {split} sample {sample.id!r}")


def validate_sample(sample: Sample, feature_sizes: Mapping[str, int], where: str) -> None:
    """Raise :class:`DataError` unless ``sample`` has finite float32 features of the declared sizes."""
    for modality, dim in feature_sizes.items():
        if modality not in sample.features:
            raise DataError(f"{where}: modality {modality!r} is missing")
        array = sample.features[modality]
        if array.ndim != 2 or array.shape[1] != dim:
            raise DataError(
                f"{where}: {modality} features have shape {tuple(array.shape)}, expected (length, {dim})"
            )
        if not np.isfinite(array).all():
            bad = int((~np.isfinite(array)).sum())
            raise DataError(f"{where}: {modality} features contain {bad} NaN or inf values")
    if not np.isfinite(sample.label).all():
        raise DataError(f"{where}: label {sample.label.tolist()} is not finite")


@dataclass
class Batch:
    """Samples padded on the right to a common length per modality.

    Attributes:
        features: Modality name to float tensor ``(B, T_m, D_m)``; padded steps are zero.
        lengths: Modality name to int64 tensor ``(B,)`` of real lengths (0 for an empty modality).
        masks: Modality name to bool tensor ``(B, T_m)``, True on real steps.
        labels: float tensor ``(B, *label_shape)``.
        ids: Sample ids, in batch order.
        timestamps: Optional modality name to float64 tensor ``(B, T_m, 2)``, padded with NaN.
    """

    features: dict[str, torch.Tensor]
    lengths: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]
    labels: torch.Tensor
    ids: list[str]
    timestamps: dict[str, torch.Tensor] | None = None

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(self.features)

    @property
    def size(self) -> int:
        return len(self.ids)

    def to(self, device: torch.device | str) -> Batch:
        move = {k: v.to(device) for k, v in self.features.items()}
        return Batch(
            features=move,
            lengths={k: v.to(device) for k, v in self.lengths.items()},
            masks={k: v.to(device) for k, v in self.masks.items()},
            labels=self.labels.to(device),
            ids=self.ids,
            timestamps=None if self.timestamps is None else {
                k: v.to(device) for k, v in self.timestamps.items()
            },
        )


def collate(samples: Sequence[Sample], modalities: Sequence[str] | None = None) -> Batch:
    """Pad ``samples`` on the right into a :class:`Batch`.

    Each modality is padded to at least one step, so that a batch whose samples all have an empty
    modality still has a well-formed ``(B, 1, D)`` tensor, with an all-False mask.
    """
    if not samples:
        raise ValueError("cannot collate an empty list of samples")
    modalities = tuple(modalities or samples[0].features)
    batch_size = len(samples)

    features, lengths, masks = {}, {}, {}
    timestamps: dict[str, torch.Tensor] = {}
    for modality in modalities:
        arrays = [s.features[modality] for s in samples]
        length = torch.tensor([a.shape[0] for a in arrays], dtype=torch.long)
        max_length = max(1, int(length.max()))
        padded = np.zeros((batch_size, max_length, arrays[0].shape[1]), dtype=np.float32)
        for row, array in enumerate(arrays):
            padded[row, : array.shape[0]] = array
        features[modality] = torch.from_numpy(padded)
        lengths[modality] = length
        masks[modality] = torch.arange(max_length)[None, :] < length[:, None]

        if all(s.timestamps is not None and modality in s.timestamps for s in samples):
            stamps = np.full((batch_size, max_length, 2), np.nan, dtype=np.float64)
            for row, sample in enumerate(samples):
                times = np.asarray(sample.timestamps[modality], dtype=np.float64).reshape(-1, 2)
                stamps[row, : times.shape[0]] = times
            timestamps[modality] = torch.from_numpy(stamps)

    labels = torch.from_numpy(np.stack([np.asarray(s.label, dtype=np.float32) for s in samples]))
    return Batch(
        features=features,
        lengths=lengths,
        masks=masks,
        labels=labels,
        ids=[s.id for s in samples],
        timestamps=timestamps or None,
    )
