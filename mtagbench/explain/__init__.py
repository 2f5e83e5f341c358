"""Explanations of MTAG predictions from the attention weights and pruning decisions the model returns.

- :mod:`~mtagbench.explain.edges`: the edges of one layer as a table, and the top-K selection.
- :mod:`~mtagbench.explain.edge_table`: attention mass per layer and edge type, before and after
  pruning, for one sample or summed over a split.
- :mod:`~mtagbench.explain.heatmaps`: per ordered modality pair attention matrices.
- :mod:`~mtagbench.explain.plots` and :mod:`~mtagbench.explain.html`: PNG and interactive HTML views.
- :mod:`~mtagbench.explain.report`: all files of one sample in one call.
"""

from mtagbench.explain.edge_table import (
    EdgeTypeTotals,
    edge_type_table,
    edge_type_totals,
    modality_pair_table,
    totals_frame,
)
from mtagbench.explain.edges import edge_frame, head_averaged, top_edges
from mtagbench.explain.heatmaps import pair_matrices
from mtagbench.explain.html import graph_html, write_graph_html
from mtagbench.explain.inference import explain_sample, find_sample, require_mtag, summarize_split
from mtagbench.explain.layout import GraphLayout, graph_layout
from mtagbench.explain.plots import plot_graph, plot_heatmaps
from mtagbench.explain.report import SampleExplanation, explain_to_folder, resolve_layer

__all__ = [
    "EdgeTypeTotals",
    "GraphLayout",
    "SampleExplanation",
    "edge_frame",
    "edge_type_table",
    "edge_type_totals",
    "explain_sample",
    "explain_to_folder",
    "find_sample",
    "graph_html",
    "graph_layout",
    "head_averaged",
    "modality_pair_table",
    "pair_matrices",
    "plot_graph",
    "plot_heatmaps",
    "require_mtag",
    "resolve_layer",
    "summarize_split",
    "top_edges",
    "totals_frame",
    "write_graph_html",
]
