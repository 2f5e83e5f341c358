"""A hand-built MTAG attention record with known weights, for the explanation tests.

Two modalities: text with 2 steps (nodes 0 and 1) and audio with 1 step (node 2), 2 heads. With
``M = 2`` the full edge type is ``(source * 2 + target) * 3 + tau`` (tau: past 0, present 1,
future 2). All weights are multiples of 1/16, so sums are exact in floating point.

Layer 1 edges (source -> target, type, head weights, head average, kept):

====  ========  ====  ==============  =======  =====
edge  nodes     type  heads           average  kept
====  ========  ====  ==============  =======  =====
e0    0 -> 0    1     0.5, 0.25       0.375    yes
e1    1 -> 0    2     0.25, 0.25      0.25     yes
e2    2 -> 0    7     0.25, 0.5       0.375    yes
e3    1 -> 1    1     0.5, 0.5        0.5      yes
e4    0 -> 1    0     0.125, 0.125    0.125    no
e5    2 -> 1    7     0.375, 0.375    0.375    yes
e6    2 -> 2    10    0.5, 0.75       0.625    yes
e7    0 -> 2    4     0.25, 0.125     0.1875   yes
e8    1 -> 2    4     0.25, 0.125     0.1875   no
====  ========  ====  ==============  =======  =====

Layer 2 has the 7 surviving edges; all are kept except e7.
"""

from __future__ import annotations

import torch

from mtagbench.models.mtag_attention import MTAGAttention, MTAGLayerAttention

MODALITIES = ("text", "audio")
WORDS = ("really", "enjoyed")

LAYER1_EDGES = [[0, 1, 2, 1, 0, 2, 2, 0, 1], [0, 0, 0, 1, 1, 1, 2, 2, 2]]
LAYER1_TYPES = [1, 2, 7, 1, 0, 7, 10, 4, 4]
LAYER1_ALPHA = [
    [0.5, 0.25], [0.25, 0.25], [0.25, 0.5],
    [0.5, 0.5], [0.125, 0.125], [0.375, 0.375],
    [0.5, 0.75], [0.25, 0.125], [0.25, 0.125],
]
LAYER1_KEPT = [True, True, True, True, False, True, True, True, False]

LAYER2_EDGES = [[0, 1, 2, 1, 2, 2, 0], [0, 0, 0, 1, 1, 2, 2]]
LAYER2_TYPES = [1, 2, 7, 1, 7, 10, 4]
LAYER2_ALPHA = [[0.5, 0.5], [0.25, 0.25], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.875, 0.875], [0.125, 0.125]]
LAYER2_KEPT = [True, True, True, True, True, True, False]


def _layer(edges, types, alpha, kept, offset: int = 0) -> MTAGLayerAttention:
    return MTAGLayerAttention(
        edge_index=torch.tensor(edges) + offset,
        edge_type=torch.tensor(types),
        alpha=torch.tensor(alpha, dtype=torch.float32),
        kept=torch.tensor(kept),
    )


def hand_built_attention() -> MTAGAttention:
    """Return the single-sample record of the module docstring."""
    return MTAGAttention(
        modalities=MODALITIES,
        node_modality=torch.tensor([0, 0, 1]),
        node_position=torch.tensor([0, 1, 0]),
        node_graph=torch.tensor([0, 0, 0]),
        layers=[
            _layer(LAYER1_EDGES, LAYER1_TYPES, LAYER1_ALPHA, LAYER1_KEPT),
            _layer(LAYER2_EDGES, LAYER2_TYPES, LAYER2_ALPHA, LAYER2_KEPT),
        ],
    )


def two_sample_attention() -> MTAGAttention:
    """Return a batch of two copies of the record, the second with node ids 3 to 5."""
    layers = []
    for edges, types, alpha, kept in (
        (LAYER1_EDGES, LAYER1_TYPES, LAYER1_ALPHA, LAYER1_KEPT),
        (LAYER2_EDGES, LAYER2_TYPES, LAYER2_ALPHA, LAYER2_KEPT),
    ):
        first = _layer(edges, types, alpha, kept)
        second = _layer(edges, types, alpha, kept, offset=3)
        layers.append(
            MTAGLayerAttention(
                edge_index=torch.cat([first.edge_index, second.edge_index], dim=1),
                edge_type=torch.cat([first.edge_type, second.edge_type]),
                alpha=torch.cat([first.alpha, second.alpha]),
                kept=torch.cat([first.kept, second.kept]),
            )
        )
    return MTAGAttention(
        modalities=MODALITIES,
        node_modality=torch.tensor([0, 0, 1, 0, 0, 1]),
        node_position=torch.tensor([0, 1, 0, 0, 1, 0]),
        node_graph=torch.tensor([0, 0, 0, 1, 1, 1]),
        layers=layers,
    )
