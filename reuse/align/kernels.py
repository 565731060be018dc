"""Compiled kernels of the batch aligner (:mod:`reuse.align.batch`), with numba (the ``fast``
extra): the hash join and its diagonal runs, the word counts per document and the boundary
extension, each a loop over the tokens of one pair (or document) at a time, where the numpy
code sorts rows and steps all pairs in lockstep. The results are the same, exactly: equal hashes
are found on the full 64 bits, and the extension does the reference's float arithmetic in the
reference's order.

This module imports numba: :mod:`reuse.align.batch` imports it only when aligning, and runs its
numpy code when numba is missing. ``cache=True`` keeps the machine code beside this module (or
in numba's cache directory when that is read-only), so only the first process compiles it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["common_affixes", "count_in_document", "extend", "join_runs"]

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the product's high bits


@njit(cache=True, nogil=True)
def _table_bits(entries: int) -> int:
    """Bits of a hash table index with room for ``entries`` keys at most half full."""
    bits = 4
    while (1 << bits) < 2 * entries:
        bits += 1
    return bits


@njit(cache=True, nogil=True)
def _slots(keys, first, n, bits, table_key, table_used, slot_of):
    """Put ``keys[first : first + n]`` into the open-addressing table (``table_used`` all False
    in its first ``1 << bits`` slots) and write each key's slot into ``slot_of[:n]``: equal keys
    get equal slots. Returns how many slots are in use."""
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    used = 0
    for t in range(n):
        key = keys[first + t]
        s = np.int64((key * _MULTIPLIER) >> shift)
        while table_used[s] and table_key[s] != key:
            s = (s + 1) & mask
        if not table_used[s]:
            table_used[s] = True
            table_key[s] = key
            used += 1
        slot_of[t] = s
    return used


@njit(cache=True, nogil=True)
def _find(keys, first, n, bits, table_key, table_used, slot_of):
    """The slot of each of ``keys[first : first + n]`` in the table, or -1 when absent."""
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    for t in range(n):
        key = keys[first + t]
        s = np.int64((key * _MULTIPLIER) >> shift)
        while table_used[s] and table_key[s] != key:
            s = (s + 1) & mask
        slot_of[t] = s if table_used[s] else -1


@njit(cache=True, nogil=True)
def join_runs(
    shingles: np.ndarray, a_first: np.ndarray, n_a: np.ndarray, b_first: np.ndarray,
    n_b: np.ndarray, max_occurrences: int, ngram: int,
) -> np.ndarray:
    """Maximal runs of shared shingles on one diagonal of every pair: ``(R, 5)`` rows ``pair,
    a0, a1, b0, b1`` (tokens), by pair, in no particular order within a pair.

    A seed ``(i, j)`` is a shingle at ``i`` on the a-side equal to the one at ``j`` on the
    b-side, a shingle occurring at most ``max_occurrences`` times on each side (or once on each);
    the a-side's shingles go into a hash table, and the b-side's are looked up in it. A run
    starts at a seed whose diagonal predecessor ``(i - 1, j - 1)`` is no seed, and goes on while
    the next one is."""
    n_pairs = len(a_first)
    longest_a = 1
    longest_b = 1
    for p in range(n_pairs):
        longest_a = max(longest_a, n_a[p])
        longest_b = max(longest_b, n_b[p])
    size = 1 << _table_bits(longest_a)
    table_key = np.empty(size, dtype=np.uint64)
    table_used = np.zeros(size, dtype=np.bool_)
    in_a = np.zeros(size, dtype=np.int64)
    in_b = np.zeros(size, dtype=np.int64)
    head = np.empty(size, dtype=np.int64)  # a slot's last a-position; next_a chains the others
    next_a = np.empty(longest_a, dtype=np.int64)
    slot_a = np.empty(longest_a, dtype=np.int64)
    slot_b = np.empty(longest_b, dtype=np.int64)
    out = np.empty((1024, 5), dtype=np.int64)
    found = 0
    for p in range(n_pairs):
        na, nb = n_a[p], n_b[p]
        if na == 0 or nb == 0:
            continue
        bits = _table_bits(na)
        _slots(shingles, a_first[p], na, bits, table_key, table_used, slot_a)
        for i in range(na):
            s = slot_a[i]
            next_a[i] = head[s] if in_a[s] else -1
            head[s] = i
            in_a[s] += 1
        _find(shingles, b_first[p], nb, bits, table_key, table_used, slot_b)
        for j in range(nb):
            if slot_b[j] >= 0:
                in_b[slot_b[j]] += 1
        for j in range(nb):
            s = slot_b[j]
            if s < 0 or not _seeding(in_a[s], in_b[s], max_occurrences):
                continue
            i = head[s]
            while i >= 0:
                if i == 0 or j == 0 or slot_a[i - 1] != slot_b[j - 1] or not _seeding(
                        in_a[slot_a[i - 1]], in_b[slot_a[i - 1]], max_occurrences):
                    length = 1
                    while (i + length < na and j + length < nb
                           and slot_a[i + length] == slot_b[j + length]
                           and _seeding(in_a[slot_a[i + length]], in_b[slot_a[i + length]],
                                        max_occurrences)):
                        length += 1
                    if found == len(out):
                        grown = np.empty((2 * len(out), 5), dtype=np.int64)
                        grown[:found] = out
                        out = grown
                    out[found, 0] = p
                    out[found, 1] = i
                    out[found, 2] = i + length - 1 + ngram
                    out[found, 3] = j
                    out[found, 4] = j + length - 1 + ngram
                    found += 1
                i = next_a[i]
        for i in range(na):
            s = slot_a[i]
            table_used[s] = False
            in_a[s] = 0
            in_b[s] = 0
    return out[:found].copy()


@njit(cache=True, nogil=True)
def _seeding(in_a: int, in_b: int, max_occurrences: int) -> bool:
    return (in_a == 1 and in_b == 1) or (
        in_a >= 1 and in_b >= 1 and in_a <= max_occurrences and in_b <= max_occurrences)


@njit(cache=True, nogil=True)
def count_in_document(
    hashes: np.ndarray, firsts: np.ndarray, counts: np.ndarray, occurrences: np.ndarray
) -> None:
    """Per token of the documents ``hashes[firsts[d]:][:counts[d]]``, how often it occurs in its
    document, written into ``occurrences`` at the token's index."""
    longest = 1
    for d in range(len(firsts)):
        longest = max(longest, counts[d])
    size = 1 << _table_bits(longest)
    table_key = np.empty(size, dtype=np.uint64)
    table_used = np.zeros(size, dtype=np.bool_)
    tally = np.zeros(size, dtype=np.int32)
    slot_of = np.empty(longest, dtype=np.int64)
    for d in range(len(firsts)):
        first, n = firsts[d], counts[d]
        if n == 0:
            continue
        _slots(hashes, first, n, _table_bits(n), table_key, table_used, slot_of)
        for t in range(n):
            tally[slot_of[t]] += 1
        for t in range(n):
            occurrences[first + t] = tally[slot_of[t]]
        for t in range(n):
            table_used[slot_of[t]] = False
            tally[slot_of[t]] = 0


@njit(cache=True, nogil=True)
def extend(
    hashes: np.ndarray, occurrences: np.ndarray, a_base: np.ndarray, a_len: np.ndarray,
    b_base: np.ndarray, b_len: np.ndarray, i: np.ndarray, j: np.ndarray, step: np.ndarray,
    drop: int, chance_bound: float, lookahead: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`reuse.align.batch.extend_steps` of every boundary from its start ``(i, j)`` (score
    and best 0): returns the new ``i`` and ``j``."""
    out_i = np.empty(len(i), dtype=np.int64)
    out_j = np.empty(len(i), dtype=np.int64)
    for k in range(len(i)):
        s = step[k]
        off = -1 if s < 0 else 0
        ab, al, bb, bl = a_base[k], a_len[k], b_base[k], b_len[k]
        ci, cj = i[k], j[k]
        score = 0
        best = 0
        best_i, best_j = ci, cj
        while best - score <= drop:
            if _match(hashes, ab, al, bb, bl, ci + off, cj + off):
                score += 2 if _chance(occurrences, ab, al, ci + off) < chance_bound else 1
                ci += s
                cj += s
                if score > best:
                    best, best_i, best_j = score, ci, cj
                continue
            moved = False
            for option in range(3):
                di = s if option < 2 else 0
                dj = 0 if option == 1 else s
                if _beyond_chance(hashes, occurrences, ab, al, bb, bl, off, s, ci + di, cj + dj,
                                  chance_bound, lookahead):
                    ci += di
                    cj += dj
                    moved = True
                    break
            if not moved:
                break
            score -= 1
        out_i[k] = best_i
        out_j[k] = best_j
    return out_i, out_j


@njit(cache=True, nogil=True)
def _match(hashes, ab, al, bb, bl, p, q):
    return 0 <= p < al and 0 <= q < bl and hashes[ab + p] == hashes[bb + q]


@njit(cache=True, nogil=True)
def _chance(occurrences, ab, al, p):
    if 0 <= p < al:
        return occurrences[ab + p] / al
    return 1.0


@njit(cache=True, nogil=True)
def _beyond_chance(hashes, occurrences, ab, al, bb, bl, off, s, ci, cj, chance_bound,
                   lookahead):
    """:func:`reuse.align.batch._matches_beyond_chance` at ``(ci, cj)``."""
    product = 1.0
    for t in range(lookahead):
        p, q = ci + t * s + off, cj + t * s + off
        if not _match(hashes, ab, al, bb, bl, p, q):
            return False
        product = product * _chance(occurrences, ab, al, p)
        if product < chance_bound:
            return True
    return False


@njit(cache=True, nogil=True)
def common_affixes(
    hashes: np.ndarray, a_lo: np.ndarray, a_hi: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`reuse.align.edits._common_affixes`: per box, the common prefix of its two sides'
    tokens, and the common suffix of what is left after it."""
    prefix = np.empty(len(a_lo), dtype=np.int64)
    suffix = np.empty(len(a_lo), dtype=np.int64)
    for k in range(len(a_lo)):
        shorter = min(a_hi[k] - a_lo[k], b_hi[k] - b_lo[k])
        t = 0
        while t < shorter and hashes[a_lo[k] + t] == hashes[b_lo[k] + t]:
            t += 1
        prefix[k] = t
        rest = shorter - t
        t = 0
        while t < rest and hashes[a_hi[k] - 1 - t] == hashes[b_hi[k] - 1 - t]:
            t += 1
        suffix[k] = t
    return prefix, suffix
