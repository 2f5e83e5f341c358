"""Built-in dataset readers; importing this package registers them."""

from mtagbench.data.readers import (  # noqa: F401
    csd,
    iemocap,
    misa,
    mmsa,
    mult_pickle,
    synthetic,
    synthetic_iemocap,
)
