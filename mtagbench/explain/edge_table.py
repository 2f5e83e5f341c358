"""Attention mass per layer and edge type, before and after pruning.

Definitions, per MTAG layer and per full edge type (source modality, target modality, tau; ``3 M^2``
types, 27 for three modalities):

- ``edges_before``: edges of that type that entered the layer.
- ``edges_after``: those of them that survived the pruning after the layer.
- ``mass_before``: the sum, over those edges, of the head-averaged attention weight
  ``alpha_ij = (1 / H) sum_h alpha_[h],ij``. Each head's weights over a target node's incoming edges
  sum to 1 (a softmax), so their head average does too, and a layer's total mass equals the number of
  target nodes with at least one incoming edge. The mass of a type is therefore "how many target
  nodes' worth of attention" flows along edges of that type.
- ``mass_share``: ``mass_before`` divided by the layer's total mass.
- ``mass_kept``: the part of ``mass_before`` carried by the surviving edges.
- ``edge_keep_rate`` and ``mass_keep_rate``: ``edges_after / edges_before`` and
  ``mass_kept / mass_before`` (NaN for a type with no edges).
- ``mean_weight``: ``mass_before / edges_before``, the average weight of one edge of that type.
  Cross-modal types have far more edges than within-modality ones, so their mass is spread thinly.

Pruning keeps the best-scoring edges of each graph (sample), not of each target node or each type, so
a type whose edges carry little attention can lose most of its edges while another keeps all of them.

Over several samples, :class:`EdgeTypeTotals` adds the counts and masses. The table of a split reports
them per sample (totals divided by the number of samples) and computes shares and rates from the
totals, so a long utterance weighs more than a short one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from mtagbench.explain.edges import head_averaged
from mtagbench.graph.edge_types import decode_edge_type, num_edge_types
from mtagbench.models.mtag_attention import MTAGAttention

TABLE_COLUMNS = (
    "layer",
    "edge_type",
    "source",
    "target",
    "tau",
    "edges_before",
    "edges_after",
    "edge_keep_rate",
    "mass_before",
    "mass_share",
    "mass_kept",
    "mass_keep_rate",
    "mean_weight",
)


@dataclass
class EdgeTypeTotals:
    """Edge counts and attention mass per layer and full edge type, summed over samples.

    Attributes:
        modalities: Modality names in the model's order; they define the edge type ids.
        edges_before: float64 ``(num_layers, num_types)``, edges that entered each layer.
        edges_after: float64 ``(num_layers, num_types)``, edges that survived its pruning.
        mass_before: float64 ``(num_layers, num_types)``, summed head-averaged attention.
        mass_kept: float64 ``(num_layers, num_types)``, the part of it on surviving edges.
        num_samples: Number of samples summed.
    """

    modalities: tuple[str, ...]
    edges_before: np.ndarray
    edges_after: np.ndarray
    mass_before: np.ndarray
    mass_kept: np.ndarray
    num_samples: int

    def __add__(self, other: EdgeTypeTotals) -> EdgeTypeTotals:
        if self.modalities != other.modalities or self.edges_before.shape != other.edges_before.shape:
            raise ValueError(
                f"cannot add edge type totals of modalities {list(self.modalities)} and "
                f"{self.edges_before.shape[0]} layers to totals of {list(other.modalities)} and "
                f"{other.edges_before.shape[0]} layers"
            )
        return EdgeTypeTotals(
            modalities=self.modalities,
            edges_before=self.edges_before + other.edges_before,
            edges_after=self.edges_after + other.edges_after,
            mass_before=self.mass_before + other.mass_before,
            mass_kept=self.mass_kept + other.mass_kept,
            num_samples=self.num_samples + other.num_samples,
        )


def count_samples(attention: MTAGAttention) -> int:
    """Return the number of samples of an attention record: the highest node graph index plus 1."""
    if attention.node_graph.numel() == 0:
        return 0
    return int(attention.node_graph.max()) + 1


def edge_type_totals(attention: MTAGAttention, num_samples: int | None = None) -> EdgeTypeTotals:
    """Sum edge counts and head-averaged attention per layer and edge type.

    Args:
        attention: Records of a batch or of one sample.
        num_samples: Samples the records cover; by default counted from ``attention.node_graph``,
            which misses trailing samples without nodes, so pass the batch size when it is known.
    """
    num_types = num_edge_types(len(attention.modalities))
    shape = (len(attention.layers), num_types)
    totals = {name: np.zeros(shape) for name in ("edges_before", "edges_after", "mass_before", "mass_kept")}

    for index, record in enumerate(attention.layers):
        edge_type = record.edge_type.cpu()
        weight = head_averaged(record.alpha).cpu()
        kept = record.kept.cpu()

        totals["edges_before"][index] = torch.bincount(edge_type, minlength=num_types).numpy()
        totals["edges_after"][index] = torch.bincount(edge_type[kept], minlength=num_types).numpy()
        totals["mass_before"][index] = torch.bincount(edge_type, weights=weight, minlength=num_types).numpy()
        totals["mass_kept"][index] = torch.bincount(edge_type[kept], weights=weight[kept], minlength=num_types).numpy()

    return EdgeTypeTotals(
        modalities=tuple(attention.modalities),
        num_samples=count_samples(attention) if num_samples is None else num_samples,
        **totals,
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def totals_frame(totals: EdgeTypeTotals, per_sample: bool = False) -> pd.DataFrame:
    """Return the edge type table of :data:`TABLE_COLUMNS`, one row per layer and edge type.

    Args:
        totals: Summed counts and masses.
        per_sample: Divide counts and masses by ``totals.num_samples``; shares and rates are ratios
            of totals either way.

    Returns:
        A DataFrame ordered by layer (numbered from 1) and edge type id.
    """
    num_layers, num_types = totals.edges_before.shape
    names = [decode_edge_type(edge_type, totals.modalities) for edge_type in range(num_types)]
    scale = 1.0 / totals.num_samples if per_sample and totals.num_samples > 0 else 1.0

    layer_mass = totals.mass_before.sum(axis=1, keepdims=True)
    columns = {
        "layer": np.repeat(np.arange(1, num_layers + 1), num_types),
        "edge_type": np.tile(np.arange(num_types), num_layers),
        "source": [name.source for name in names] * num_layers,
        "target": [name.target for name in names] * num_layers,
        "tau": [name.tau for name in names] * num_layers,
        "edges_before": (totals.edges_before * scale).ravel(),
        "edges_after": (totals.edges_after * scale).ravel(),
        "edge_keep_rate": _ratio(totals.edges_after, totals.edges_before).ravel(),
        "mass_before": (totals.mass_before * scale).ravel(),
        "mass_share": _ratio(totals.mass_before, np.broadcast_to(layer_mass, totals.mass_before.shape)).ravel(),
        "mass_kept": (totals.mass_kept * scale).ravel(),
        "mass_keep_rate": _ratio(totals.mass_kept, totals.mass_before).ravel(),
        "mean_weight": _ratio(totals.mass_before, totals.edges_before).ravel(),
    }
    frame = pd.DataFrame(columns, columns=list(TABLE_COLUMNS))
    if not per_sample:
        frame["edges_before"] = frame["edges_before"].astype(np.int64)
        frame["edges_after"] = frame["edges_after"].astype(np.int64)
    frame.attrs["num_samples"] = totals.num_samples
    frame.attrs["per_sample"] = per_sample
    return frame


def edge_type_table(attention: MTAGAttention) -> pd.DataFrame:
    """Return the edge type table of one attention record (usually one sample), as sums.

    See the module docstring for the definition of each column.
    """
    return totals_frame(edge_type_totals(attention), per_sample=False)


def modality_pair_table(table: pd.DataFrame) -> pd.DataFrame:
    """Collapse an edge type table over ``tau``: one row per layer and ordered modality pair.

    Counts and masses are summed; shares and rates are recomputed from the sums.
    """
    summed = table.groupby(["layer", "source", "target"], sort=False, as_index=False)[
        ["edges_before", "edges_after", "mass_before", "mass_kept"]
    ].sum()
    layer_mass = summed.groupby("layer")["mass_before"].transform("sum")
    summed["edge_keep_rate"] = _ratio(summed["edges_after"].to_numpy(float), summed["edges_before"].to_numpy(float))
    summed["mass_share"] = _ratio(summed["mass_before"].to_numpy(), layer_mass.to_numpy())
    summed["mass_keep_rate"] = _ratio(summed["mass_kept"].to_numpy(), summed["mass_before"].to_numpy())
    summed["mean_weight"] = _ratio(summed["mass_before"].to_numpy(), summed["edges_before"].to_numpy(float))
    summed.attrs.update(table.attrs)
    return summed
