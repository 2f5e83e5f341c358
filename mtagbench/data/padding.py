"""Recovering real sequence lengths from left-padded fixed-length arrays.

The MulT pickles store every sequence zero-padded at the front to a fixed length and store no lengths.
The only padding that can be distinguished from data is therefore the run of all-zero rows before the
first row with a non-zero value. Zero rows after that row are data (for example silent audio frames)
and are kept; masking every all-zero row, as the published MTAG code does, drops them.
"""

from __future__ import annotations

import numpy as np


def leading_zero_rows(array: np.ndarray) -> np.ndarray:
    """Count the all-zero rows at the front of each sequence.

    Args:
        array: ``(N, T, D)`` array of ``N`` left-padded sequences.

    Returns:
        int64 array ``(N,)``; entry ``i`` is the index of the first row of ``array[i]`` with a
        non-zero value, or ``T`` when every row is zero.
    """
    nonzero_rows = np.any(array != 0, axis=2)
    first_nonzero = np.argmax(nonzero_rows, axis=1)
    has_data = nonzero_rows.any(axis=1)
    return np.where(has_data, first_nonzero, array.shape[1]).astype(np.int64)
