"""Graph construction for MTAG: pseudo-alignment, edge types and batched graphs."""

from mtagbench.graph.build import MultimodalGraph, build_graph
from mtagbench.graph.edge_types import (
    EDGE_TYPE_MODES,
    TEMPORAL_TYPES,
    EdgeTypeName,
    collapse_edge_types,
    decode_edge_type,
    encode_edge_type,
    num_edge_types,
)
from mtagbench.graph.pseudo_align import pseudo_align, temporal_types

__all__ = [
    "EDGE_TYPE_MODES",
    "TEMPORAL_TYPES",
    "EdgeTypeName",
    "MultimodalGraph",
    "build_graph",
    "collapse_edge_types",
    "decode_edge_type",
    "encode_edge_type",
    "num_edge_types",
    "pseudo_align",
    "temporal_types",
]
