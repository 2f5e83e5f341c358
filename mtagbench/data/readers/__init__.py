"""Built-in dataset readers; importing this package registers them."""

from mtagbench.data.readers import iemocap, misa, mult_pickle, synthetic  # noqa: F401
