"""Neural network layers of mtagbench."""

from mtagbench.nn.mtag_conv import MTAGConv
from mtagbench.nn.pruning import PRUNE_MODES, prune_edges

__all__ = ["PRUNE_MODES", "MTAGConv", "prune_edges"]
