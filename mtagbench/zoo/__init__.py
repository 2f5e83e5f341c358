"""Model zoo: pretrained checkpoints on the Hugging Face Hub, listed in a pinned, hashed index.

Reading the index is cheap; the pull and push functions import ``huggingface_hub`` on first use,
so ``import mtagbench`` does not pay for it.

Example:
    >>> import mtagbench
    >>> mtagbench.list_pretrained("mtag.*")
    ['mtag.iemocap', 'mtag.mosi']
    >>> model = mtagbench.create_model("mtag", pretrained="mosi")  # doctest: +SKIP
"""

from importlib import import_module
from typing import Any

from mtagbench.zoo.index import ZooEntry, get_entry, index_path, list_pretrained, load_index

_LAZY = {
    "PulledCheckpoint": "mtagbench.zoo.download",
    "is_cached": "mtagbench.zoo.download",
    "load_pretrained": "mtagbench.zoo.download",
    "pull": "mtagbench.zoo.download",
    "unpublished_message": "mtagbench.zoo.download",
    "PushResult": "mtagbench.zoo.publish",
    "push_run": "mtagbench.zoo.publish",
}

__all__ = ["ZooEntry", "get_entry", "index_path", "list_pretrained", "load_index", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mtagbench.zoo' has no attribute {name!r}")
