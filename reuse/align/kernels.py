"""Compiled kernels of the batch aligner (:mod:`reuse.align.batch`, :mod:`reuse.align.edits`),
with numba (the ``fast`` extra): the shingles, hash join and diagonal runs
(:func:`join_runs`), chaining, trimming and the passage filters (:func:`passages`), the word
counts per document, the boundary extension and the common affixes of the edit scripts, each a
loop over one pair (or document, or boundary) at a time, where the numpy code sorts rows and
steps all pairs in lockstep. The results are the same, row for row: equal shingles are found on
their full 64 bits, passages come in the numpy code's order, and the extension does the
reference's float arithmetic in the reference's order.

This module imports numba: :mod:`reuse.align.batch` imports it only when aligning, and runs its
numpy code when numba is missing. ``cache=True`` keeps the machine code beside this module (or
in numba's cache directory when that is read-only), so only the first process compiles it
(about 20 s of CPU time on the 2-core machine of the benchmarks; loading it takes a few tenths
of a second after numba's own import, and numba adds about 140 MB to the resident memory).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..text.shingle import SHINGLE_MULTIPLIER

__all__ = ["common_affixes", "count_in_document", "extend", "join_runs", "passages",
           "seed_components"]

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the product's high bits
_SHINGLE_MULTIPLIER = np.uint64(SHINGLE_MULTIPLIER)
_LEAST = np.int64(np.iinfo(np.int64).min)
_MOST = np.int64(np.iinfo(np.int64).max)


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
    a_shingles = np.empty(longest_a, dtype=np.uint64)
    b_shingles = np.empty(longest_b, dtype=np.uint64)
    out = np.empty((1024, 5), dtype=np.int64)
    found = 0
    for p in range(n_pairs):
        na, nb = n_a[p], n_b[p]
        if na == 0 or nb == 0:
            continue
        bits = _table_bits(na)
        _shingles(hashes, a_first[p], na, ngram, a_shingles)
        _shingles(hashes, b_first[p], nb, ngram, b_shingles)
        _slots(a_shingles, 0, na, bits, table_key, table_used, slot_a)
        for i in range(na):
            s = slot_a[i]
            next_a[i] = head[s] if in_a[s] else -1
            head[s] = i
            in_a[s] += 1
        # The b-side shingles looked up; along a diagonal of equal shingles (a copied passage)
        # the next a-side shingle is compared first, which spares most look-ups.
        mask = (1 << bits) - 1
        shift = np.uint64(64 - bits)
        along = -1  # an a-position whose shingle equals the last b-side shingle
        for j in range(nb):
            key = b_shingles[j]
            if 0 <= along < na - 1 and a_shingles[along + 1] == key:
                along += 1
                s = slot_a[along]
            else:
                s = np.int64((key * _MULTIPLIER) >> shift)
                while table_used[s] and table_key[s] != key:
                    s = (s + 1) & mask
                if table_used[s]:
                    along = head[s]
                else:
                    s = -1
                    along = -1
            slot_b[j] = s
            if s >= 0:
                in_b[s] += 1
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
                        out = _grown(out)
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
def _shingles(hashes, first, n, ngram, out):
    """The ``n`` shingles starting at ``hashes[first:]`` into ``out``, as
    :func:`reuse.text.shingle.shingle_unmixed` makes them."""
    for t in range(n):
        acc = hashes[first + t]
        for k in range(1, ngram):
            acc = acc * _SHINGLE_MULTIPLIER + hashes[first + t + k]
        out[t] = acc


@njit(cache=True, nogil=True)
def _grown(out):
    """``out`` in an array of twice its rows (element by element: numba takes seconds to
    compile a slice assignment of a 2-D array)."""
    grown = np.empty((2 * len(out), out.shape[1]), dtype=out.dtype)
    for r in range(len(out)):
        for c in range(out.shape[1]):
            grown[r, c] = out[r, c]
    return grown


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


@njit(cache=True, nogil=True)
def passages(
    runs: np.ndarray, max_gap: int, tolerance: int, min_length: int, min_density: float,
    lookback: int,
) -> np.ndarray:
    """The passages of the runs ``pair, a0, a1, b0, b1`` (rows of a pair together, pairs in
    order), as :func:`reuse.align.batch._trimmed_boxes` of :func:`reuse.align.batch._chain`
    finds them, in the same order: chaining, the length filter, dropping repeats, trimming,
    boxing and the covered-length filters, one pair at a time. Returns ``(N, 5)`` rows."""
    n = len(runs)
    out = np.empty((max(n, 1), 5), dtype=np.int64)  # at most a passage per run
    found = 0
    start = 0
    while start < n:
        end = start + 1
        while end < n and runs[end, 0] == runs[start, 0]:
            end += 1
        found = _pair_passages(runs[start:end], max_gap, tolerance, min_length, min_density,
                               lookback, out, found)
        start = end
    return out[:found].copy()


@njit(cache=True, nogil=True)
def _pair_passages(runs, max_gap, tolerance, min_length, min_density, lookback, out, found):
    m = len(runs)
    # The runs in order of a0, b0 (no two runs share both).
    widest_b = 0
    for k in range(m):
        widest_b = max(widest_b, runs[k, 3])
    key = np.empty(m, dtype=np.int64)
    for k in range(m):
        key[k] = runs[k, 1] * (widest_b + 1) + runs[k, 3]
    order = _stable_order(key)
    a0 = np.empty(m, dtype=np.int64)
    a1 = np.empty(m, dtype=np.int64)
    b0 = np.empty(m, dtype=np.int64)
    b1 = np.empty(m, dtype=np.int64)
    for k in range(m):
        r = order[k]
        a0[k], a1[k], b0[k], b1[k] = runs[r, 1], runs[r, 2], runs[r, 3], runs[r, 4]

    # Chaining: each run in its band of diagonals and the next one up, in order of band, a0,
    # b0; a run links to the last few of its band that it continues.
    width = max_gap + tolerance + 1
    copy_band = np.empty(2 * m, dtype=np.int64)
    for k in range(m):
        band = (b0[k] - a0[k]) // width
        copy_band[2 * k] = band
        copy_band[2 * k + 1] = band + 1
    copies = _stable_order(copy_band)  # a0, b0 order within a band
    parent = np.arange(m)
    for x in range(2 * m):
        cur = copies[x] // 2
        for lag in range(1, lookback + 1):
            if x - lag < 0 or copy_band[copies[x - lag]] != copy_band[copies[x]]:
                break
            prev = copies[x - lag] // 2
            a_gap = a0[cur] - a1[prev]
            b_gap = b0[cur] - b1[prev]
            if -tolerance <= a_gap <= max_gap and -tolerance <= b_gap <= max_gap:
                rx, ry = _root(parent, prev), _root(parent, cur)
                if rx != ry:
                    parent[max(rx, ry)] = min(rx, ry)
    # Passages in order of their first run; the members of each in order of a0, b0.
    size = np.zeros(m + 1, dtype=np.int64)
    for k in range(m):
        parent[k] = _root(parent, k)
        size[parent[k] + 1] += 1
    for k in range(m):
        size[k + 1] += size[k]
    members = np.empty(m, dtype=np.int64)
    filled = size[:m].copy()
    for k in range(m):
        members[filled[parent[k]]] = k
        filled[parent[k]] += 1
    for g in range(m):
        lo, hi = size[g], size[g + 1]
        if hi == lo:
            continue
        group = members[lo:hi]
        matched = 0
        for k in group:
            matched += a1[k] - a0[k]
        if matched < min_length:
            continue
        found = _passage(group, a0, a1, b0, b1, runs[0, 0], min_length, min_density, out, found)
    return found


@njit(cache=True, nogil=True)
def _root(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def seed_components(pair, a_pos, b_pos, lookahead, max_gap, slack, drift):
    """The component labels of :func:`reuse.align.bands._seed_components` (seeds sorted by
    pair and position, each linked to the next ``lookahead`` seeds of its pair that step
    forward in both documents within the band's limits), by union-find in one pass instead of
    a sparse graph: a component's root is its first seed, and components are numbered in the
    order of their first seeds, as scipy's ``connected_components`` numbers them."""
    n = len(pair)
    parent = np.arange(n)
    for i in range(n):
        for j in range(i + 1, min(i + lookahead, n - 1) + 1):
            if pair[j] != pair[i]:
                break  # sorted by pair: the seeds after j are of other pairs too
            step_a = a_pos[j] - a_pos[i]
            step_b = b_pos[j] - b_pos[i]
            if (step_a > 0 and step_b > 0 and step_a <= max_gap and step_b <= max_gap
                    and abs(step_a - step_b) <= slack + drift * max(step_a, step_b)):
                ri, rj = _root(parent, i), _root(parent, j)
                if ri < rj:
                    parent[rj] = ri
                elif rj < ri:
                    parent[ri] = rj
    label = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        root = _root(parent, i)
        if root == i:
            label[i] = count
            count += 1
        else:
            label[i] = label[root]
    return label


@njit(cache=True, nogil=True)
def _passage(group, a0, a1, b0, b1, pair, min_length, min_density, out, found):
    """One chained group of runs (indices in order of a0, b0): drop repeats, trim, box and
    filter; appends the box to ``out``."""
    in_a = _inside_another(group, a0, a1)
    in_b = _inside_another(group, b0, b1)
    count = 0
    for x in range(len(group)):
        if not (in_a[x] or in_b[x]):
            group[count] = group[x]
            count += 1
    kept = group[:count]
    kept = _trim_both_orders(kept, a0, a1, b0, b1)
    box_a0, box_a1 = a0[kept[0]], a1[kept[0]]
    box_b0, box_b1 = b0[kept[0]], b1[kept[0]]
    for k in kept:
        box_a0, box_a1 = min(box_a0, a0[k]), max(box_a1, a1[k])
        box_b0, box_b1 = min(box_b0, b0[k]), max(box_b1, b1[k])
    covered = min(_covered(kept, a0, a1), _covered(kept, b0, b1))
    shorter = min(box_a1 - box_a0, box_b1 - box_b0)
    if covered >= min_length and covered >= min_density * shorter:
        out[found, 0] = pair
        out[found, 1] = box_a0
        out[found, 2] = box_a1
        out[found, 3] = box_b0
        out[found, 4] = box_b1
        found += 1
    return found


@njit(cache=True, nogil=True)
def _inside_another(group, lo_of, hi_of):
    """:func:`reuse.align.batch._inside_another` of one group (indices into ``lo_of``,
    ``hi_of``): whether each range lies inside a larger one of the group, or equals another
    and is not of the group's longest."""
    g = len(group)
    lo = np.empty(g, dtype=np.int64)
    hi = np.empty(g, dtype=np.int64)
    highest = 0
    longest = 0
    for x in range(g):
        lo[x], hi[x] = lo_of[group[x]], hi_of[group[x]]
        highest = max(highest, hi[x])
        longest = max(longest, hi[x] - lo[x])
    key = np.empty(g, dtype=np.int64)
    for x in range(g):
        key[x] = lo[x] * (highest + 1) + (highest - hi[x])  # by start, then longest first
    order = _stable_order(key)
    inside = np.zeros(g, dtype=np.bool_)
    reach = _LEAST  # farthest end of the ranges of the earlier starts
    block_reach = reach
    block_hi = 0
    for y in range(g):
        x = order[y]
        new_block = y == 0 or lo[x] != lo[order[y - 1]]
        if new_block:
            reach = block_reach
            block_hi = hi[x]
        inside[x] = reach >= hi[x] or block_hi > hi[x]
        block_reach = max(block_reach, hi[x])
        same_as_previous = not new_block and hi[x] == hi[order[y - 1]]
        if same_as_previous and hi[x] - lo[x] < longest:
            inside[x] = True
            inside[order[y - 1]] = True
    return inside


@njit(cache=True, nogil=True)
def _trim_both_orders(kept, a0, a1, b0, b1):
    """The reference ``_trim``: trim in a, then in b, in a, ... until a trim drops nothing;
    ``kept`` (indices in order of a0, b0) stays in that order."""
    kept = _trim_in_order(kept, a0, a1, b0, b1)
    in_b = True
    while True:
        if in_b:
            key = np.empty(len(kept), dtype=np.int64)
            widest = 0
            for k in kept:
                widest = max(widest, a0[k])
            for x in range(len(kept)):
                key[x] = b0[kept[x]] * (widest + 1) + a0[kept[x]]
            by_b = kept[_stable_order(key)]
            trimmed = _trim_in_order(by_b, b0, b1, a0, a1)
            if len(trimmed) == len(kept):
                return kept
            stays = np.zeros(len(a0), dtype=np.bool_)
            for k in trimmed:
                stays[k] = True
            count = 0
            for x in range(len(kept)):
                if stays[kept[x]]:
                    kept[count] = kept[x]
                    count += 1
            kept = kept[:count]
        else:
            trimmed = _trim_in_order(kept, a0, a1, b0, b1)
            if len(trimmed) == len(kept):
                return kept
            kept = trimmed
        in_b = not in_b


@njit(cache=True, nogil=True)
def _trim_in_order(runs, x0, x1, y0, y1):
    """The reference ``_trim_in_a_order`` of ``runs`` (indices, in order of x0, y0): drop runs
    at either end, in this order, shorter than their gap to the rest."""
    n = len(runs)
    # From the front: the rest after run s is runs s + 1 .. n - 1.
    after_y0 = np.empty(n + 1, dtype=np.int64)
    after_y1 = np.empty(n + 1, dtype=np.int64)
    after_y0[n] = _MOST
    after_y1[n] = _LEAST
    for s in range(n - 1, -1, -1):
        after_y0[s] = min(after_y0[s + 1], y0[runs[s]])
        after_y1[s] = max(after_y1[s + 1], y1[runs[s]])
    first = 0
    while n - first > 1:
        r = runs[first]
        gap = max(x0[runs[first + 1]] - x1[r], after_y0[first + 1] - y1[r],
                  y0[r] - after_y1[first + 1])
        if x1[r] - x0[r] >= gap:
            break
        first += 1
    # From the back, over runs first .. last: the rest before run e is runs first .. e - 1.
    last = n - 1
    if last > first:
        before_x1 = np.empty(n, dtype=np.int64)
        before_y1 = np.empty(n, dtype=np.int64)
        before_y0 = np.empty(n, dtype=np.int64)
        r = runs[first]
        before_x1[first], before_y1[first], before_y0[first] = x1[r], y1[r], y0[r]
        for s in range(first + 1, n):
            r = runs[s]
            before_x1[s] = max(before_x1[s - 1], x1[r])
            before_y1[s] = max(before_y1[s - 1], y1[r])
            before_y0[s] = min(before_y0[s - 1], y0[r])
        while last > first:
            r = runs[last]
            gap = max(x0[r] - before_x1[last - 1], y0[r] - before_y1[last - 1],
                      before_y0[last - 1] - y1[r])
            if x1[r] - x0[r] >= gap:
                break
            last -= 1
    return runs[first:last + 1]


@njit(cache=True, nogil=True)
def _covered(kept, lo_of, hi_of):
    """Positions in the union of the ranges ``[lo_of[k], hi_of[k])`` of ``kept``."""
    lo = np.empty(len(kept), dtype=np.int64)
    for x in range(len(kept)):
        lo[x] = lo_of[kept[x]]
    order = _stable_order(lo)
    total = 0
    reach = _LEAST
    for x in order:
        k = kept[x]
        total += max(hi_of[k] - max(lo_of[k], reach), 0)
        reach = max(reach, hi_of[k])
    return total


@njit(cache=True, nogil=True)
def _stable_order(key):
    """The permutation that sorts the int64 ``key``, equal keys in their order: a merge sort
    (numba's own sorts take many seconds to compile)."""
    n = len(key)
    order = np.arange(n)
    run = 16
    for lo in range(0, n, run):  # insertion sort of short runs
        for x in range(lo + 1, min(lo + run, n)):
            v = order[x]
            y = x
            while y > lo and key[order[y - 1]] > key[v]:
                order[y] = order[y - 1]
                y -= 1
            order[y] = v
    spare = np.empty(n, dtype=np.int64)
    width = run
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            x, y, k = lo, mid, lo
            while x < mid and y < hi:
                if key[order[y]] < key[order[x]]:
                    spare[k] = order[y]
                    y += 1
                else:
                    spare[k] = order[x]
                    x += 1
                k += 1
            for z in range(x, mid):
                spare[k] = order[z]
                k += 1
            for z in range(y, hi):
                spare[k] = order[z]
                k += 1
        order, spare = spare, order
        width *= 2
    return order
