"""Ragged ranges as flat numpy arrays: the one place that expands ``range(lo[k], hi[k])``."""

from __future__ import annotations

import numpy as np


def expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(row, index)`` for every index in ``range(lo[row], hi[row])`` of every row, in row
    order, without a Python loop (an empty or reversed range contributes nothing)."""
    lo = np.asarray(lo, dtype=np.int64)
    counts = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    row = np.repeat(np.arange(len(lo)), counts)
    starts = np.cumsum(counts) - counts
    return row, lo[row] + (np.arange(int(counts.sum()), dtype=np.int64) - starts[row])
