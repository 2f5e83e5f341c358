"""Built-in dataset readers; importing this package registers them."""

from mtagbench.data.readers import csd, mmsa, synthetic_iemocap  # noqa: F401
