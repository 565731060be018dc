"""Token hashes → word n-gram (shingle) hashes. Shingle ``i`` covers tokens ``[i, i + ngram)``.

A batch's shingles are one compiled pass where the package was built with its C extensions
(:mod:`reuse.text.compiled_shingles`, from ``compiled_shingles.c``), else numpy passes; the
values are the same.
"""

from __future__ import annotations

import numpy as np

from ..common import compiled
from .tokenize import TokenBatch, TokenHashes, mix64

try:
    from . import compiled_shingles
except ImportError:  # built without a C compiler: the numpy code runs
    compiled_shingles = None  # type: ignore[assignment]

SHINGLE_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # shingle = ((h0 * M + h1) * M + h2) ... mod 2**64


def shingle(hashes: np.ndarray, ngram: int) -> np.ndarray:
    """Shingle hashes of one token sequence: ``len(hashes) - ngram + 1`` values (none if fewer)."""
    return mix64(shingle_unmixed(hashes, ngram))


def shingle_unmixed(hashes: np.ndarray, ngram: int) -> np.ndarray:
    """:func:`shingle` without its final mix64, a bijection: two shingles are equal here exactly
    when they are equal there. For callers that only compare shingles."""
    count = len(hashes) - ngram + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    acc = hashes[:count].copy()
    for k in range(1, ngram):
        acc *= SHINGLE_MULTIPLIER
        acc += hashes[k : k + count]
    return acc


def shingle_reference(hashes: list[int], ngram: int) -> list[int]:
    """Plain-Python definition of :func:`shingle`, for differential tests."""
    from .tokenize import mix64_int

    mask = (1 << 64) - 1
    out = []
    for i in range(len(hashes) - ngram + 1):
        acc = hashes[i]
        for k in range(1, ngram):
            acc = (acc * int(SHINGLE_MULTIPLIER) + hashes[i + k]) & mask
        out.append(mix64_int(acc))
    return out


def shingle_batch(tokens: TokenBatch | TokenHashes, ngram: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Shingles of every document of a batch, concatenated, and their per-document bounds.

    A document with fewer than ``ngram`` tokens has no shingles.
    """
    counts = np.maximum(tokens.counts() - ngram + 1, 0)
    bounds = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    if compiled_shingles is not None and compiled.ENABLED:
        shingles = np.empty(int(bounds[-1]), dtype=np.uint64)
        compiled_shingles.shingle_batch(
            np.ascontiguousarray(tokens.hashes, dtype=np.uint64),
            np.ascontiguousarray(tokens.bounds, dtype=np.int64), ngram,
            int(SHINGLE_MULTIPLIER), shingles, bounds)
        return shingles, bounds
    all_shingles = shingle(tokens.hashes, ngram)
    # Keep the shingles that start in a document and end in the same one: drop the starts
    # ngram - 1 or fewer tokens before each document boundary.
    keep = np.ones(len(all_shingles), dtype=bool)
    inner_bounds = tokens.bounds[1:-1]
    for back in range(1, ngram):
        starts = inner_bounds - back
        keep[starts[(starts >= 0) & (starts < len(keep))]] = False
    return all_shingles[keep], bounds
