"""Edge types of the MTAG graph: modality type phi and temporal type tau.

An edge from a node of modality ``s`` to a node of modality ``t`` has modality type
``phi = (s -> t)`` and temporal type ``tau`` in {past, present, future} (see
:mod:`mtagbench.graph.pseudo_align`). With ``M`` modalities, numbered in the model's order, the full
edge type id is ``(s * M + t) * 3 + tau``: ``3 M^2`` types, 27 for three modalities.

Ablations collapse part of the type (the ``edge_types`` option of the model):

- ``"full"``: ``(s * M + t) * 3 + tau``, ``3 M^2`` types;
- ``"modality"``: ``s * M + t``, ``M^2`` types (tau ignored);
- ``"temporal"``: ``tau``, 3 types (phi ignored);
- ``"none"``: 0, a single type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import torch

TEMPORAL_TYPES = ("past", "present", "future")
EDGE_TYPE_MODES = ("full", "modality", "temporal", "none")
EdgeTypeMode = Literal["full", "modality", "temporal", "none"]


class EdgeTypeName(NamedTuple):
    """Readable form of an edge type; a field is None where the mode collapses it."""

    source: str | None
    target: str | None
    tau: str | None


def num_edge_types(num_modalities: int, mode: EdgeTypeMode = "full") -> int:
    """Return the number of edge types for ``num_modalities`` modalities under ``mode``."""
    counts = {
        "full": 3 * num_modalities**2,
        "modality": num_modalities**2,
        "temporal": 3,
        "none": 1,
    }
    if mode not in counts:
        raise ValueError(f"invalid edge type mode {mode!r}; choose one of {', '.join(EDGE_TYPE_MODES)}")
    return counts[mode]


def encode_edge_type(
    source_modality: torch.Tensor, target_modality: torch.Tensor, tau: torch.Tensor, num_modalities: int
) -> torch.Tensor:
    """Return the full edge type id ``(source * M + target) * 3 + tau``, elementwise."""
    return (source_modality * num_modalities + target_modality) * 3 + tau


def collapse_edge_types(full_type: torch.Tensor, num_modalities: int, mode: EdgeTypeMode) -> torch.Tensor:
    """Map full edge type ids to the ids of ``mode`` (see the module docstring)."""
    if mode == "full":
        return full_type
    if mode == "modality":
        return full_type // 3
    if mode == "temporal":
        return full_type % 3
    if mode == "none":
        return torch.zeros_like(full_type)
    raise ValueError(f"invalid edge type mode {mode!r}; choose one of {', '.join(EDGE_TYPE_MODES)}")


def decode_edge_type(edge_type: int, modalities: Sequence[str], mode: EdgeTypeMode = "full") -> EdgeTypeName:
    """Return the source modality, target modality and temporal type of an edge type id.

    Args:
        edge_type: An id produced by :func:`encode_edge_type` (``mode="full"``) or by
            :func:`collapse_edge_types` with ``mode``.
        modalities: Modality names in the model's order.
        mode: How the id was collapsed; collapsed fields come back as None.

    Raises:
        ValueError: If the id is out of range for ``mode`` and the number of modalities.

    Example:
        >>> decode_edge_type(8, ("text", "audio", "vision"))
        EdgeTypeName(source='text', target='vision', tau='future')
    """
    count = len(modalities)
    total = num_edge_types(count, mode)
    if not 0 <= edge_type < total:
        raise ValueError(f"edge type {edge_type} is out of range for {count} modalities in mode {mode!r} (0 to {total - 1})")

    if mode == "none":
        return EdgeTypeName(None, None, None)
    if mode == "temporal":
        return EdgeTypeName(None, None, TEMPORAL_TYPES[edge_type])
    pair = edge_type if mode == "modality" else edge_type // 3
    tau = None if mode == "modality" else TEMPORAL_TYPES[edge_type % 3]
    return EdgeTypeName(modalities[pair // count], modalities[pair % count], tau)
