"""Built-in models; importing this package registers them."""

from mtagbench.models import constant  # noqa: F401  (registers "constant")
from mtagbench.models import mtag  # noqa: F401  (registers "mtag")
from mtagbench.models.mtag import MTAG, MTAGOptions
from mtagbench.models.mtag_attention import MTAGAttention, MTAGLayerAttention

__all__ = ["MTAG", "MTAGAttention", "MTAGLayerAttention", "MTAGOptions"]
