"""Neural network layers of mtagbench."""

from mtagbench.nn.dense_mtag_conv import DenseMTAGConv
from mtagbench.nn.mtag_conv import MTAGConv
from mtagbench.nn.pruning import PRUNE_MODES, prune_dense_edges, prune_edges

__all__ = ["PRUNE_MODES", "DenseMTAGConv", "MTAGConv", "prune_dense_edges", "prune_edges"]
