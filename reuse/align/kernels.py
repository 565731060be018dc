"""Compiled kernels of the batch aligner (:mod:`reuse.align.batch`, :mod:`reuse.align.edits`,
:mod:`reuse.align.bands`): the shingles, hash join and diagonal runs (:func:`join_runs`),
chaining, trimming and the passage filters (:func:`passages`), the word counts per document,
the boundary extension, the common affixes of the edit scripts and the seed bands' components,
each a loop over one pair (or document, boundary, box) at a time, where the numpy code sorts
rows and steps all pairs in lockstep. The results are the same, row for row: equal shingles
are found on their full 64 bits, passages come in the numpy code's order, and the extension
does the reference's float arithmetic in the reference's order.

The loops are C (``compiled_kernels.c``), built with the package like its other compiled
passes; this module gives them their numpy face. Importing it raises ImportError where the
package was built without a C compiler: :func:`reuse.align.compiled.kernels` then returns None
and the numpy code runs.
"""

from __future__ import annotations

import numpy as np

from ..text.shingle import SHINGLE_MULTIPLIER
from . import compiled_kernels

__all__ = ["common_affixes", "count_in_document", "extend", "join_runs", "passages",
           "seed_components"]


def _int64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64)


def _rows(data: bytearray) -> np.ndarray:
    return np.frombuffer(data, dtype=np.int64).reshape(-1, 5)


def join_runs(
    hashes: np.ndarray, a_first: np.ndarray, n_a: np.ndarray, b_first: np.ndarray,
    n_b: np.ndarray, max_occurrences: int, ngram: int,
) -> np.ndarray:
    """Maximal runs of shared shingles on one diagonal of every pair: ``(R, 5)`` rows ``pair,
    a0, a1, b0, b1`` (tokens), by pair, in no particular order within a pair. A pair's a-side
    shingles start at the tokens ``hashes[a_first : a_first + n_a]`` (the shingles of
    :func:`reuse.text.shingle.shingle_unmixed`, equal exactly when those are).

    A seed ``(i, j)`` is a shingle at ``i`` on the a-side equal to the one at ``j`` on the
    b-side, a shingle occurring at most ``max_occurrences`` times on each side (or once on each);
    the a-side's shingles go into a hash table, and the b-side's are looked up in it. A run
    starts at a seed whose diagonal predecessor ``(i - 1, j - 1)`` is no seed, and goes on while
    the next one is."""
    return _rows(compiled_kernels.join_runs(
        np.ascontiguousarray(hashes, dtype=np.uint64), _int64(a_first), _int64(n_a),
        _int64(b_first), _int64(n_b), int(max_occurrences), int(ngram), int(SHINGLE_MULTIPLIER)))


def count_in_document(
    hashes: np.ndarray, firsts: np.ndarray, counts: np.ndarray, occurrences: np.ndarray
) -> None:
    """Per token of the documents ``hashes[firsts[d]:][:counts[d]]``, how often it occurs in its
    document, written into ``occurrences`` (int32) at the token's index."""
    compiled_kernels.count_in_document(np.ascontiguousarray(hashes, dtype=np.uint64),
                                       _int64(firsts), _int64(counts), occurrences)


def extend(
    hashes: np.ndarray, occurrences: np.ndarray, a_base: np.ndarray, a_len: np.ndarray,
    b_base: np.ndarray, b_len: np.ndarray, i: np.ndarray, j: np.ndarray, step: np.ndarray,
    drop: int, chance_bound: float, lookahead: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`reuse.align.batch.extend_steps` of every boundary from its start ``(i, j)`` (score
    and best 0): returns the new ``i`` and ``j``."""
    out_i = np.empty(len(i), dtype=np.int64)
    out_j = np.empty(len(i), dtype=np.int64)
    compiled_kernels.extend(
        np.ascontiguousarray(hashes, dtype=np.uint64),
        np.ascontiguousarray(occurrences, dtype=np.int32), _int64(a_base), _int64(a_len),
        _int64(b_base), _int64(b_len), _int64(i), _int64(j), _int64(step), int(drop),
        float(chance_bound), int(lookahead), out_i, out_j)
    return out_i, out_j


def common_affixes(
    hashes: np.ndarray, a_lo: np.ndarray, a_hi: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`reuse.align.edits._common_affixes`: per box, the common prefix of its two sides'
    tokens, and the common suffix of what is left after it."""
    prefix = np.empty(len(a_lo), dtype=np.int64)
    suffix = np.empty(len(a_lo), dtype=np.int64)
    compiled_kernels.common_affixes(np.ascontiguousarray(hashes, dtype=np.uint64), _int64(a_lo),
                                    _int64(a_hi), _int64(b_lo), _int64(b_hi), prefix, suffix)
    return prefix, suffix


def passages(
    runs: np.ndarray, max_gap: int, tolerance: int, min_length: int, min_density: float,
    lookback: int,
) -> np.ndarray:
    """The passages of the runs ``pair, a0, a1, b0, b1`` (rows of a pair together, pairs in
    order), as :func:`reuse.align.batch._trimmed_boxes` of :func:`reuse.align.batch._chain`
    finds them, in the same order: chaining, the length filter, dropping repeats, trimming,
    boxing and the covered-length filters, one pair at a time. Returns ``(N, 5)`` rows."""
    return _rows(compiled_kernels.passages(_int64(runs), int(max_gap), int(tolerance),
                                           int(min_length), float(min_density), int(lookback)))


def seed_components(pair: np.ndarray, a_pos: np.ndarray, b_pos: np.ndarray, lookahead: int,
                    max_gap: int, slack: int, drift: float) -> np.ndarray:
    """The component labels of :func:`reuse.align.bands._seed_components` (seeds sorted by
    pair and position, each linked to the next ``lookahead`` seeds of its pair that step
    forward in both documents within the band's limits), by union-find in one pass instead of
    a sparse graph: a component's root is its first seed, and components are numbered in the
    order of their first seeds, as scipy's ``connected_components`` numbers them."""
    label = np.empty(len(pair), dtype=np.int64)
    compiled_kernels.seed_components(_int64(pair), _int64(a_pos), _int64(b_pos), int(lookahead),
                                     int(max_gap), int(slack), float(drift), label)
    return label
