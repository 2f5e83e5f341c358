"""Built-in dataset readers; importing this package registers them."""

from mtagbench.data.readers import synthetic  # noqa: F401
