"""Built-in models; importing this package registers them."""

from mtagbench.models import constant  # noqa: F401
