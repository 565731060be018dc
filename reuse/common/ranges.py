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


def nearby_runs(starts: np.ndarray, ends: np.ndarray, gap: int, limit: int) -> np.ndarray:
    """Where the runs of byte ranges ``[starts[k], ends[k])`` (increasing) that one read each
    can cover begin: a run ends where the next range starts more than ``gap`` bytes after the
    last one ends, or in another ``limit``-byte block of the file, so that a run spans at most
    about ``limit`` bytes beyond its last range. The indices of the first range of each run,
    then ``len(starts)``."""
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if len(starts) == 0:
        return np.zeros(1, dtype=np.int64)
    breaks = np.flatnonzero((starts[1:] - ends[:-1] > gap)
                            | (starts[1:] // limit != starts[:-1] // limit)) + 1
    return np.concatenate(([0], breaks, [len(starts)])).astype(np.int64)
