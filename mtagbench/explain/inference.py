"""Run an MTAG model in evaluation mode and collect its attention records."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import torch
from torch import nn

from mtagbench.data.sample import Sample, collate
from mtagbench.errors import ConfigError, DataError
from mtagbench.explain.edge_table import EdgeTypeTotals, edge_type_totals
from mtagbench.models.mtag import MTAG
from mtagbench.models.mtag_attention import MTAGAttention
from mtagbench.training.evaluate import iterate_batches

MAX_LISTED_IDS = 5


def require_mtag(model: nn.Module, where: str) -> MTAG:
    """Return ``model`` if it is an MTAG model.

    Raises:
        ConfigError: For any other architecture, since only MTAG returns attention records.
    """
    if not isinstance(model, MTAG):
        raise ConfigError(
            f"{where} contains a {type(model).__name__} model; only MTAG models can be explained, because "
            "the explanation reads the attention weights and pruning decisions that MTAG returns"
        )
    return model


def find_sample(samples: Sequence[Sample], sample_id: str, split: str) -> Sample:
    """Return the sample of a split with id ``sample_id``.

    Raises:
        DataError: If the split has no such sample; the message lists a few valid ids and the ids
            closest to the one given.
    """
    for sample in samples:
        if sample.id == sample_id:
            return sample

    ids = [sample.id for sample in samples]
    close = difflib.get_close_matches(sample_id, ids, n=3, cutoff=0.5)
    message = f"no sample {sample_id!r} in the {split!r} split ({len(ids)} samples)"
    if close:
        message += f"; did you mean {', '.join(repr(i) for i in close)}?"
    listed = ", ".join(repr(i) for i in ids[:MAX_LISTED_IDS])
    more = f" and {len(ids) - MAX_LISTED_IDS} more" if len(ids) > MAX_LISTED_IDS else ""
    message += f" Valid ids include {listed}{more}." if ids else " The split is empty."
    raise DataError(message)


@torch.no_grad()
def explain_sample(model: MTAG, sample: Sample, device: torch.device | str = "cpu") -> tuple[torch.Tensor, MTAGAttention]:
    """Run ``model`` on one sample in evaluation mode.

    Returns:
        ``(output, attention)``: the model's output ``(1, output_dim)`` and the sample's attention
        records on the CPU, node ids numbered from 0.
    """
    was_training = model.training
    model.eval()
    try:
        batch = collate([sample], tuple(model.feature_sizes)).to(device)
        output, attention = model(batch, return_attention=True)
    finally:
        model.train(was_training)
    return output.cpu(), _to_cpu(attention.sample(0))


@torch.no_grad()
def summarize_split(
    model: MTAG,
    samples: Sequence[Sample],
    batch_size: int = 32,
    device: torch.device | str = "cpu",
) -> EdgeTypeTotals:
    """Sum edge counts and attention mass per layer and edge type over ``samples``.

    The model runs in evaluation mode, ``batch_size`` samples at a time. Attention is normalised over
    each target node's incoming edges and pruning ranks edges within each sample, so the totals do
    not depend on the batch size (up to floating-point rounding).

    Raises:
        DataError: If ``samples`` is empty.
    """
    if not samples:
        raise DataError("cannot summarise attention over an empty split")

    was_training = model.training
    model.eval()
    totals = None
    try:
        for batch in iterate_batches(samples, batch_size, tuple(model.feature_sizes)):
            _, attention = model(batch.to(device), return_attention=True)
            batch_totals = edge_type_totals(attention, num_samples=batch.size)
            totals = batch_totals if totals is None else totals + batch_totals
    finally:
        model.train(was_training)
    return totals


def _to_cpu(attention: MTAGAttention) -> MTAGAttention:
    attention.node_modality = attention.node_modality.cpu()
    attention.node_position = attention.node_position.cpu()
    attention.node_graph = attention.node_graph.cpu()
    for record in attention.layers:
        record.edge_index = record.edge_index.cpu()
        record.edge_type = record.edge_type.cpu()
        record.alpha = record.alpha.cpu()
        record.kept = record.kept.cpu()
    return attention
