"""Model zoo: pretrained checkpoints on the Hugging Face Hub, listed in a pinned, hashed index.

Example:
    >>> import mtagbench
    >>> mtagbench.list_pretrained("mtag.*")
    ['mtag.iemocap', 'mtag.mosi']
    >>> model = mtagbench.create_model("mtag", pretrained="mosi")  # doctest: +SKIP
"""

from mtagbench.zoo.index import ZooEntry, get_entry, index_path, list_pretrained, load_index
from mtagbench.zoo.pull import PulledCheckpoint, is_cached, load_pretrained, pull, unpublished_message
from mtagbench.zoo.push import PushResult, push_run

__all__ = [
    "PulledCheckpoint",
    "PushResult",
    "ZooEntry",
    "get_entry",
    "index_path",
    "is_cached",
    "list_pretrained",
    "load_index",
    "load_pretrained",
    "pull",
    "push_run",
    "unpublished_message",
]
