"""Shingle hashes → MinHash signatures, vectorized with numpy, seeded and deterministic.

The hash family works on 32-bit keys (the top half of a shingle hash): permutation ``j`` is
``h_j(x) = (a_j * x + b_j) mod 2**32`` with odd ``a_j`` and any ``b_j``, drawn from
``numpy.random.PCG64(seed)``. Each ``h_j`` is a bijection of the 32-bit keys, and the whole
family needs one 32-bit multiply and one add per key and permutation, which numpy runs with SIMD;
64-bit multiplies and ``mod (2**61 - 1)`` are several times slower. A signature is the minimum of
each ``h_j`` over a document's shingles, as ``uint32``; a document without shingles has all
values ``2**32 - 1``. The benchmarks measure the estimate against exact Jaccard.

The hashes are computed in cache-sized column blocks of a ``(num_perm, shingles)`` matrix and
reduced per document with ``numpy.minimum.reduceat``.
"""

from __future__ import annotations

import numpy as np

from .config import ConfigError

EMPTY_VALUE = np.uint32(0xFFFFFFFF)
_BLOCK_COLUMNS = 8192
_MASK32 = 0xFFFFFFFF


class MinHasher:
    """A seeded family of ``num_perm`` hash functions and the signatures it computes."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        if not isinstance(num_perm, int) or isinstance(num_perm, bool) or num_perm < 1:
            raise ConfigError(
                f"The 'num_perm' parameter of MinHasher must be a positive int. "
                f"Got {num_perm!r} instead."
            )
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
            raise ConfigError(
                f"The 'seed' parameter of MinHasher must be an int in [0, 2**32). "
                f"Got {seed!r} instead."
            )
        self.num_perm = num_perm
        self.seed = seed
        rng = np.random.Generator(np.random.PCG64(seed))
        self.a = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32) | np.uint32(1)
        self.b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32)

    def signatures(self, shingles: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """One signature per group ``shingles[bounds[i]:bounds[i + 1]]``.

        Returns a ``(groups, num_perm)`` ``uint32`` array. Groups must be contiguous and in order.
        """
        groups = len(bounds) - 1
        out = np.full((groups, self.num_perm), EMPTY_VALUE, dtype=np.uint32)
        nonempty = np.flatnonzero(np.diff(bounds) > 0)
        if len(nonempty) == 0:
            return out
        group_starts = bounds[nonempty]
        group_ends = bounds[nonempty + 1]
        keys = (shingles >> np.uint64(32)).astype(np.uint32)
        block = np.empty((self.num_perm, _BLOCK_COLUMNS), dtype=np.uint32)
        a = self.a[:, None]
        b = self.b[:, None]
        for lo in range(int(group_starts[0]), int(group_ends[-1]), _BLOCK_COLUMNS):
            hi = min(lo + _BLOCK_COLUMNS, int(group_ends[-1]))
            first = np.searchsorted(group_ends, lo, side="right")
            last = np.searchsorted(group_starts, hi, side="left")
            hashes = block[:, : hi - lo]
            np.multiply(a, keys[None, lo:hi], out=hashes)
            hashes += b
            segment_starts = np.maximum(group_starts[first:last], lo) - lo
            mins = np.minimum.reduceat(hashes, segment_starts, axis=1)
            rows = nonempty[first:last]
            out[rows] = np.minimum(out[rows], mins.T)
        return out

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        """The signature of one set of shingles."""
        return self.signatures(shingles, np.array([0, len(shingles)], dtype=np.int64))[0]

    def signature_reference(self, shingles: list[int]) -> list[int]:
        """Plain-Python definition of one signature, for differential and golden tests."""
        out = []
        for a, b in zip(self.a.tolist(), self.b.tolist(), strict=True):
            values = [(a * (x >> 32) + b) & _MASK32 for x in shingles]
            out.append(min(values) if values else int(EMPTY_VALUE))
        return out

    def to_lean_minhash(self, signature: np.ndarray):
        """Export one signature as a :class:`datasketch.LeanMinHash` with this family's seed.

        The result compares with other exports of this family (``jaccard``, ``MinHashLSH``),
        not with sketches that datasketch computed itself: the hash families differ. datasketch
        2.0 asks for the permutation scheme of stored values; ours are 32-bit values with the
        same empty value as its ``"affine32"`` scheme, so they are labelled that way.
        """
        import inspect

        from datasketch import LeanMinHash

        if "scheme" in inspect.signature(LeanMinHash.__init__).parameters:
            return LeanMinHash(
                seed=self.seed, hashvalues=signature.astype(np.uint32), scheme="affine32"
            )
        return LeanMinHash(seed=self.seed, hashvalues=signature.astype(np.uint64))


def estimated_jaccard(signatures: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Share of equal signature values for each pair ``(left[k], right[k])``."""
    out = np.empty(len(left), dtype=np.float64)
    step = max(1, (1 << 21) // max(1, signatures.shape[1]))
    for lo in range(0, len(left), step):
        hi = lo + step
        out[lo:hi] = (signatures[left[lo:hi]] == signatures[right[lo:hi]]).mean(axis=1)
    return out
