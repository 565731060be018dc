"""The lexical aligner for many document pairs at once: a few numpy passes over concatenated arrays.

:func:`lexical_boxes` finds the same passages as the per-pair reference
(:func:`reuse.align.lexical_boxes_reference`, which documents the method): shared word n-grams
by a hash join, diagonal runs, chaining, trimming, the length and density filters and the X-drop
boundary extension. Every step works on the arrays of all pairs together, keyed by pair, so the
Python cost per pair is a few microseconds however many pairs there are.

- **Hash join.** Each pair is one row: its a-side shingles, then its b-side shingles, each packed
  with its side and position into one 64-bit value (the shingle hash's high bits, then side, then
  position). Rows are sorted independently (a padded 2-D ``np.sort(axis=1)``; rows of similar
  length are sorted together), so equal shingles of a pair become neighbours. Dropping the low
  bits of a hash can make two different shingles look equal; rows where that happened (about one
  in a million) are sorted again on the full hashes.
- **Runs.** A seed ``(i, j)`` starts a run unless seed ``(i - 1, j - 1)`` exists, which is a
  comparison of two shingle hashes, not a search; starts and ends are then paired on their
  diagonal by one small sort.
- **Chaining** links each run to the next few in order of position (one vector pass per lag) and
  takes connected components (:func:`scipy.sparse.csgraph.connected_components`).
- **Trimming** drops runs at a passage's ends that are shorter than their gap to the rest. The
  rest of a passage seen from its first run is always the runs after it, so whether a run is
  dropped does not depend on the runs dropped before it: segmented suffix and prefix minima and
  maxima decide all of them at once.
- **Boundary extension** steps all boundaries in lockstep; the few still extending after
  ``_LOCKSTEP_STEPS`` steps finish in the per-boundary reference code.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .shingle import _SHINGLE_MULTIPLIER
from .tokenize import TokenBatch

__all__ = ["lexical_boxes"]

_CHAIN_LOOKBACK = 16  # runs, in order of position in a (the reference uses the same)
_LOCKSTEP_STEPS = 64
_JOIN_ENTRIES = 4_000_000
_ROW_WIDTH_STEP = 64  # rows are padded to a multiple of this many entries
# High bits of a shingle hash kept in the sort key; tests lower it to force look-alike keys.
_KEY_HASH_BITS = 64
_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
_SPREAD = np.int64(1 << 32)  # larger than any token position, for segmented accumulations


def _bits(n: int) -> int:
    """Bits for positions ``0 .. n - 1`` that leave the all-ones value unused."""
    return max(int(n).bit_length(), 1)


def _segment_ids(lengths: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def _starts(lengths: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts


def _segmented_accumulate(
    values: np.ndarray, segments: np.ndarray, ufunc: np.ufunc, reverse: bool = False
) -> np.ndarray:
    """Running ``np.maximum``/``np.minimum`` of int64 ``values`` restarted at every segment
    (``segments`` non-decreasing); ``reverse`` runs it from the end of each segment."""
    if not len(values):
        return values.copy()
    rank = segments - segments[0] if not reverse else segments[-1] - segments
    # Shift each segment far beyond the earlier ones so that no running value crosses over.
    sign = 1 if ufunc is np.maximum else -1
    shifted = values + sign * rank * _SPREAD
    if reverse:
        return (ufunc.accumulate(shifted[::-1])[::-1]) - sign * rank * _SPREAD
    return ufunc.accumulate(shifted) - sign * rank * _SPREAD


# ----------------------------------------------------------------------------------- the join


def _raw_shingles(hashes: np.ndarray, ngram: int) -> np.ndarray:
    """:func:`reuse.shingle.shingle` without its final mixing step: that step is a bijection of
    64-bit values, so two shingles are equal here exactly when they are equal there, and the
    token hashes it combines are well mixed already."""
    count = len(hashes) - ngram + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    acc = hashes[:count].copy()
    for k in range(1, ngram):
        acc *= _SHINGLE_MULTIPLIER
        acc += hashes[k : k + count]
    return acc


def _sorted_rows(
    packed_a: np.ndarray, a_first: np.ndarray, n_a: np.ndarray,
    packed_b: np.ndarray, b_first: np.ndarray, n_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's row, ``packed_a[a_first:a_first + n_a]`` then ``packed_b[...]``, sorted on its
    own (many short sorts are several times faster than one long sort with the pair in the key);
    returns the rows concatenated and where each starts."""
    lengths = n_a + n_b
    starts = _starts(lengths)
    rows = np.empty(int(lengths.sum()), dtype=np.uint64)
    for start, a0, na, b0, nb in zip(starts.tolist(), a_first.tolist(), n_a.tolist(),
                                     b_first.tolist(), n_b.tolist(), strict=True):
        row = rows[start : start + na + nb]
        row[:na] = packed_a[a0 : a0 + na]
        row[na:] = packed_b[b0 : b0 + nb]
        row.sort()
    return rows, starts


def _join(
    shingles: np.ndarray,
    a_first: np.ndarray,
    n_a: np.ndarray,
    b_first: np.ndarray,
    n_b: np.ndarray,
    max_occurrences: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shared shingles of every pair: seeds ``(pair, i, j)`` and, per a-side shingle position
    (pairs concatenated), whether its shingle seeds.

    ``shingles`` are those of the whole token array (shingle ``t`` starts at token ``t``); the
    pair's a-side shingles are ``shingles[a_first : a_first + n_a]``.
    """
    empty = np.empty(0, dtype=np.int64)
    nothing = empty, empty, empty, np.zeros(int(n_a.sum()), dtype=bool)
    index_bits = _bits(len(shingles))
    side_bit = np.uint64(1 << index_bits)
    index_mask = np.uint64((1 << index_bits) - 1)
    key_mask = _ALL_ONES ^ np.uint64((1 << max(index_bits + 1, 64 - _KEY_HASH_BITS)) - 1)
    # A packed value: the shingle's high bits, the side (b = 1), the shingle's index.
    packed_a = (shingles & key_mask) | np.arange(len(shingles), dtype=np.uint64)
    packed_b = packed_a | side_bit
    rows, row_starts = _sorted_rows(packed_a, a_first, n_a, packed_b, b_first, n_b)
    key = rows >> np.uint64(index_bits + 1)
    equal = key[1:] == key[:-1]  # equal[t]: entry t + 1 has the key of entry t
    breaks = row_starts[(row_starts > 0) & (row_starts < len(rows))]
    equal[breaks - 1] = False  # rows do not continue each other
    first_equal = np.flatnonzero(equal)
    if not len(first_equal):
        return nothing
    # Most shared shingles occur once on each side: a group of two, a-entry then b-entry.
    adjacent = first_equal[1:] == first_equal[:-1] + 1
    lone = np.ones(len(first_equal), dtype=bool)
    lone[1:] &= ~adjacent
    lone[:-1] &= ~adjacent
    at = first_equal[lone]
    a_value, b_value = rows[at], rows[at + 1]
    i_index = (a_value & index_mask).astype(np.int64)
    j_index = (b_value & index_mask).astype(np.int64)
    # Same side twice, or different shingles whose high bits look alike: no seed.
    seed = ((a_value & side_bit) == 0) & ((b_value & side_bit) != 0) & (
        shingles[i_index] == shingles[j_index]
    )
    at, i_index, j_index = at[seed], i_index[seed], j_index[seed]
    pair = _row_of(at, row_starts)
    parts = [(pair, i_index - a_first[pair], j_index - b_first[pair])]
    crowded = first_equal[~lone]
    if len(crowded):
        parts.append(_crowded_seeds(rows, row_starts, equal, crowded, shingles, index_mask,
                                    side_bit, a_first, b_first, max_occurrences))
    pair, i, j = (np.concatenate(x) for x in zip(*parts, strict=True))
    a_seeds = np.zeros(int(n_a.sum()), dtype=bool)
    a_seeds[_starts(n_a)[pair] + i] = True
    return pair, i, j, a_seeds


def _row_of(at: np.ndarray, row_starts: np.ndarray) -> np.ndarray:
    """The row of each of the sorted entry indices ``at``."""
    per_row = np.diff(np.append(np.searchsorted(at, row_starts), len(at)))
    return np.repeat(np.arange(len(row_starts), dtype=np.int64), per_row)


def _crowded_seeds(
    rows: np.ndarray, row_starts: np.ndarray, equal: np.ndarray, first_equal: np.ndarray,
    shingles: np.ndarray, index_mask: np.uint64, side_bit: np.uint64, a_first: np.ndarray,
    b_first: np.ndarray, max_occurrences: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeds of the groups of three or more equal keys (``first_equal`` are their entries but
    the last): every a-entry with every b-entry of a shingle occurring on both sides at most
    ``max_occurrences`` times on each."""
    members = np.concatenate((first_equal, first_equal + 1))
    members.sort()
    members = members[np.r_[True, members[1:] != members[:-1]]]
    after_equal = equal[np.maximum(members - 1, 0)] & (members > 0)
    values = rows[members]
    pair = _row_of(members, row_starts)
    index = (values & index_mask).astype(np.int64)
    side = (values & side_bit).astype(bool)
    full = shingles[index]
    look_alike = np.flatnonzero(after_equal[1:] & (full[1:] != full[:-1])) + 1
    if len(look_alike):
        # Different shingles with equal high bits: group those rows on the full hashes instead.
        for k in np.unique(pair[look_alike]).tolist():
            lo, hi = np.searchsorted(pair, [k, k + 1])
            order = np.lexsort((index[lo:hi], side[lo:hi], full[lo:hi]))
            index[lo:hi], side[lo:hi], full[lo:hi] = index[lo:hi][order], side[lo:hi][
                order], full[lo:hi][order]
            after_equal[lo] = False
            after_equal[lo + 1 : hi] = full[lo + 1 : hi] == full[lo : hi - 1]

    group_start = np.flatnonzero(~after_equal)
    group_size = np.diff(np.append(group_start, len(values)))
    in_b = np.add.reduceat(side.astype(np.int64), group_start)
    in_a = group_size - in_b
    seeding = (in_a >= 1) & (in_b >= 1) & (in_a <= max_occurrences) & (in_b <= max_occurrences)
    first, in_a, in_b = group_start[seeding], in_a[seeding], in_b[seeding]
    position = index - np.where(side, b_first[pair], a_first[pair])
    count = in_a * in_b
    seed_group = _segment_ids(count)
    k = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(_starts(count), count)
    a_at = first[seed_group] + k // in_b[seed_group]
    b_at = first[seed_group] + in_a[seed_group] + k % in_b[seed_group]
    return pair[a_at], position[a_at], position[b_at]


def _runs(
    shingles: np.ndarray,
    a_first: np.ndarray,
    n_a: np.ndarray,
    b_first: np.ndarray,
    n_b: np.ndarray,
    seeds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ngram: int,
) -> np.ndarray:
    """Maximal runs of seeds on one diagonal: ``(R, 5)`` rows ``pair, a0, a1, b0, b1`` (tokens)."""
    pair, i, j, a_seeds = seeds
    if not len(pair):
        return np.empty((0, 5), dtype=np.int64)
    a_at = a_first[pair] + i  # the seed's shingles in the whole shingle array
    b_at = b_first[pair] + j
    seed_at = _starts(n_a)[pair] + i  # and in ``a_seeds``

    def seeds_at(di: int) -> np.ndarray:
        """Whether seed ``(i + di, j + di)`` exists (shingles equal, and seeding)."""
        before = di < 0
        inside = (i > 0) & (j > 0) if before else (i + 1 < n_a[pair]) & (j + 1 < n_b[pair])
        # Out-of-document neighbours are masked by ``inside``; "clip" keeps them in bounds.
        return (
            inside
            & (shingles.take(a_at + di, mode="clip") == shingles.take(b_at + di, mode="clip"))
            & a_seeds.take(seed_at + di, mode="clip")
        )

    run_start = np.flatnonzero(~seeds_at(-1))
    run_end = np.flatnonzero(~seeds_at(+1))
    # Pair each start with the first end at or after it on its diagonal.
    diagonal = j - i
    span = int(max(n_a.max(), n_b.max())) + 1
    ids = np.concatenate((run_start, run_end))
    is_end = np.concatenate((np.zeros(len(run_start), bool), np.ones(len(run_end), bool)))
    order = np.lexsort((is_end, i[ids], diagonal[ids] + span, pair[ids]))
    ids = ids[order].reshape(-1, 2)
    s, e = ids[:, 0], ids[:, 1]
    return np.stack([pair[s], i[s], i[e] + ngram, j[s], j[e] + ngram], axis=1)


# ------------------------------------------------------------------------ chaining and trimming


def _chain(runs: np.ndarray, max_gap: int, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs sorted by pair, a0, b0, and a passage label per run (see the reference ``_chain``)."""
    runs = runs[np.lexsort((runs[:, 3], runs[:, 1], runs[:, 0]))]
    n = len(runs)
    prev_parts, cur_parts = [], []
    for lag in range(1, min(_CHAIN_LOOKBACK, n - 1) + 1):
        prev, cur = runs[:-lag], runs[lag:]
        a_gap = cur[:, 1] - prev[:, 2]
        b_gap = cur[:, 3] - prev[:, 4]
        linked = np.flatnonzero(
            (prev[:, 0] == cur[:, 0]) & (a_gap <= max_gap) & (b_gap <= max_gap)
            & (a_gap >= -tolerance) & (b_gap >= -tolerance)
        )
        prev_parts.append(linked)
        cur_parts.append(linked + lag)
    if prev_parts:
        prev_ids, cur_ids = np.concatenate(prev_parts), np.concatenate(cur_parts)
    else:
        prev_ids = cur_ids = np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(prev_ids), dtype=np.int8), (prev_ids, cur_ids)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return runs, labels.astype(np.int64)


def _trimmed_boxes(runs: np.ndarray, labels: np.ndarray, min_length: int, min_density: float
                   ) -> np.ndarray:
    """Passages of chained runs: trim, box, and the length and density filters.

    Returns ``(N, 5)`` rows ``pair, a0, a1, b0, b1``.
    """
    length = runs[:, 2] - runs[:, 1]
    matched = np.bincount(labels, weights=length)
    runs, labels = runs[matched[labels] >= min_length], labels[matched[labels] >= min_length]
    if not len(runs):
        return np.empty((0, 5), dtype=np.int64)
    order = np.argsort(labels, kind="stable")  # runs stay in order of a0, b0 within a label
    runs, labels = runs[order], labels[order]
    group = np.cumsum(np.r_[True, labels[1:] != labels[:-1]]) - 1
    # The longest run of a group is never inside another's range, so no group empties.
    repeat = _inside_another(runs[:, 1], runs[:, 2], group) | _inside_another(
        runs[:, 3], runs[:, 4], group
    )
    runs, group = runs[~repeat], group[~repeat]
    a0, a1, b0, b1 = runs[:, 1], runs[:, 2], runs[:, 3], runs[:, 4]
    length = a1 - a0
    n = len(runs)
    last = np.r_[group[1:] != group[:-1], True]
    first = np.r_[True, group[1:] != group[:-1]]

    # From the front: run k goes while it is shorter than its gap to the runs after it.
    after_b0 = np.roll(_segmented_accumulate(b0, group, np.minimum, reverse=True), -1)
    after_b1 = np.roll(_segmented_accumulate(b1, group, np.maximum, reverse=True), -1)
    next_a0 = np.roll(a0, -1)
    gap = np.maximum(np.maximum(next_a0 - a1, after_b0 - b1), b0 - after_b1)
    stays = last | (length >= gap)
    index = np.arange(n, dtype=np.int64)
    group_first = np.flatnonzero(first)
    keep_from = np.minimum.reduceat(np.where(stays, index, n), group_first)
    kept = index >= keep_from[group]

    # From the back, over the runs kept so far: run k goes while shorter than its gap to those
    # before it.
    runs, group = runs[kept], group[kept]
    a0, a1, b0, b1 = runs[:, 1], runs[:, 2], runs[:, 3], runs[:, 4]
    length = a1 - a0
    n = len(runs)
    first = np.r_[True, group[1:] != group[:-1]]
    before_a1 = np.roll(_segmented_accumulate(a1, group, np.maximum), 1)
    before_b1 = np.roll(_segmented_accumulate(b1, group, np.maximum), 1)
    before_b0 = np.roll(_segmented_accumulate(b0, group, np.minimum), 1)
    gap = np.maximum(np.maximum(a0 - before_a1, b0 - before_b1), before_b0 - b1)
    stays = first | (length >= gap)
    index = np.arange(n, dtype=np.int64)
    group_first = np.flatnonzero(first)
    keep_to = np.maximum.reduceat(np.where(stays, index, -1), group_first)
    kept = index <= keep_to[group]
    runs, group = runs[kept], group[kept]

    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    a0, a1, b0, b1 = runs[:, 1], runs[:, 2], runs[:, 3], runs[:, 4]
    box = np.stack([
        runs[starts, 0],
        np.minimum.reduceat(a0, starts), np.maximum.reduceat(a1, starts),
        np.minimum.reduceat(b0, starts), np.maximum.reduceat(b1, starts),
    ], axis=1)
    covered = np.minimum(_covered(a0, a1, group, starts), _covered(b0, b1, group, starts))
    shorter = np.minimum(box[:, 2] - box[:, 1], box[:, 4] - box[:, 3])
    keep = (covered >= min_length) & (covered >= min_density * shorter)
    return box[keep]


def _inside_another(lo: np.ndarray, hi: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Whether each range ``[lo, hi)`` lies inside a larger range of its group (``group``
    non-decreasing): the reference's ``_drop_repeats`` for one document."""
    order = np.lexsort((-hi, lo, group))
    lo, hi, group = lo[order], hi[order], group[order]
    new_group = np.r_[True, group[1:] != group[:-1]]
    block_first = np.flatnonzero(new_group | np.r_[True, lo[1:] != lo[:-1]])
    block = np.cumsum(np.isin(np.arange(len(lo)), block_first)) - 1
    reach = _segmented_accumulate(hi, group, np.maximum)
    # Farthest end among the ranges that start before this one (same start: sorted by end,
    # longest first).
    before = np.where(new_group[block_first], np.iinfo(np.int64).min,
                      reach[np.maximum(block_first - 1, 0)])
    inside = (before[block] >= hi) | (hi[block_first][block] > hi)
    out = np.empty(len(lo), dtype=bool)
    out[order] = inside
    return out


def _covered(lo: np.ndarray, hi: np.ndarray, group: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group, the number of positions in the union of its ``[lo, hi)`` ranges."""
    order = np.lexsort((lo, group))
    lo, hi, group = lo[order], hi[order], group[order]
    reach = _segmented_accumulate(hi, group, np.maximum)
    previous = np.roll(reach, 1)
    previous[np.r_[True, group[1:] != group[:-1]]] = np.iinfo(np.int64).min
    return np.add.reduceat(np.maximum(hi - np.maximum(lo, previous), 0), starts)


# --------------------------------------------------------------------------- boundary extension


def _once_in_document(tokens: TokenBatch, docs: np.ndarray) -> np.ndarray:
    """Per token of the batch, whether it occurs once in its document; computed for the tokens
    of ``docs`` (distinct), False elsewhere."""
    counts = tokens.counts()[docs]
    firsts = tokens.bounds[docs]
    index_bits = _bits(len(tokens.hashes))
    key_mask = _ALL_ONES ^ np.uint64((1 << max(index_bits, 64 - _KEY_HASH_BITS)) - 1)
    # A document's tokens packed with their index, each document sorted on its own.
    rows = np.empty(int(counts.sum()), dtype=np.uint64)
    row_starts = _starts(counts)
    for start, first, count in zip(row_starts.tolist(), firsts.tolist(), counts.tolist(),
                                   strict=True):
        row = rows[start : start + count]
        np.bitwise_and(tokens.hashes[first : first + count], key_mask, out=row)
        row |= np.arange(first, first + count, dtype=np.uint64)
        row.sort()
    index = (rows & np.uint64((1 << index_bits) - 1)).astype(np.int64)
    full = tokens.hashes[index]
    key = rows >> np.uint64(index_bits)
    same_key = key[1:] == key[:-1]
    breaks = row_starts[(row_starts > 0) & (row_starts < len(rows))]
    same_key[breaks - 1] = False
    same = same_key & (full[1:] == full[:-1])
    repeated = np.zeros(len(rows), dtype=bool)
    repeated[1:] = same
    repeated[:-1] |= same
    once = np.zeros(len(tokens.hashes), dtype=bool)
    once[index] = ~repeated
    look_alike = np.flatnonzero(same_key & ~same)
    if len(look_alike):
        # Different tokens with equal high bits may interleave: count those documents exactly.
        for d in np.unique(np.searchsorted(row_starts, look_alike, "right") - 1).tolist():
            lo, hi = int(firsts[d]), int(firsts[d] + counts[d])
            _, inverse, count = np.unique(tokens.hashes[lo:hi], return_inverse=True,
                                          return_counts=True)
            once[lo:hi] = count[inverse] == 1
    return once


def _extend_all(
    tokens: TokenBatch,
    a_base: np.ndarray,
    a_len: np.ndarray,
    b_base: np.ndarray,
    b_len: np.ndarray,
    once: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    step: np.ndarray,
    drop: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference ``_extend`` for every boundary at once. Returns the new ``i``, ``j`` and
    which boundaries did not finish within ``_LOCKSTEP_STEPS`` steps (their result is unset)."""
    hashes = tokens.hashes
    n = len(i)
    out_i, out_j = i.copy(), j.copy()
    unfinished = np.zeros(n, dtype=bool)
    alive = np.arange(n, dtype=np.int64)
    off = np.where(step < 0, -1, 0)
    score = np.zeros(n, dtype=np.int64)
    best = np.zeros(n, dtype=np.int64)
    best_i, best_j = i.copy(), j.copy()
    state = [alive, i.copy(), j.copy(), score, best, best_i, best_j]

    def match(k: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        p, q = p + off[k], q + off[k]
        inside = (p >= 0) & (q >= 0) & (p < a_len[k]) & (q < b_len[k])
        return inside & (
            hashes[a_base[k] + np.where(inside, p, 0)] == hashes[b_base[k] + np.where(inside, q, 0)]
        )

    def rare(k: np.ndarray, p: np.ndarray) -> np.ndarray:
        p = p + off[k]
        inside = (p >= 0) & (p < a_len[k])
        return inside & once[a_base[k] + np.where(inside, p, 0)]

    for _ in range(_LOCKSTEP_STEPS):
        k, ci, cj, score, best, best_i, best_j = state
        if not len(k):
            break
        s = step[k]
        hit = match(k, ci, cj)
        gain = np.where(hit, 1 + rare(k, ci), -1)
        opt1 = match(k, ci + s, cj + s) & (rare(k, ci + s) | match(k, ci + 2 * s, cj + 2 * s))
        opt2 = match(k, ci + s, cj) & (rare(k, ci + s) | match(k, ci + 2 * s, cj + s))
        opt3 = match(k, ci, cj + s) & (rare(k, ci) | match(k, ci + s, cj + 2 * s))
        # The first option that fits wins, in the reference's order.
        opt1 &= ~hit
        opt2 &= ~(hit | opt1)
        opt3 &= ~(hit | opt1 | opt2)
        di = np.where(hit | opt1 | opt2, s, 0)
        dj = np.where(hit | opt1 | opt3, s, 0)
        moved = hit | opt1 | opt2 | opt3
        ci, cj = ci + di, cj + dj
        score = score + np.where(moved, gain, 0)
        better = hit & (score > best)
        best = np.where(better, score, best)
        best_i = np.where(better, ci, best_i)
        best_j = np.where(better, cj, best_j)
        going = moved & (best - score <= drop)
        done = ~going
        out_i[k[done]], out_j[k[done]] = best_i[done], best_j[done]
        state = [x[going] for x in (k, ci, cj, score, best, best_i, best_j)]
    unfinished[state[0]] = True
    return out_i, out_j, unfinished


# ----------------------------------------------------------------------------------- entry point


def lexical_boxes(
    tokens: TokenBatch,
    left: np.ndarray,
    right: np.ndarray,
    *,
    ngram: int,
    max_occurrences: int,
    max_gap: int,
    min_length: int,
    min_density: float,
    extend_drop: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Lexical passages of the document pairs ``(left[k], right[k])`` of ``tokens``.

    Returns ``(boxes, unfinished)``: ``boxes`` is ``(N, 5)`` rows ``pair, a0, a1, b0, b1`` of
    token ranges (half-open) after boundary extension, sorted by pair (boxes of one pair may
    still overlap: merging them is left to the caller); ``unfinished`` marks the boundaries
    (``2 * row`` for the start, ``2 * row + 1`` for the end) whose extension was cut short after
    ``_LOCKSTEP_STEPS`` steps and must be finished by the caller.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    empty = np.empty((0, 5), dtype=np.int64), np.zeros(0, dtype=bool)
    if not len(left):
        return empty
    # Shingles of the whole token array: shingle t starts at token t, and those that start
    # within ngram - 1 tokens of a document's end straddle two documents and are not used.
    shingles = _raw_shingles(tokens.hashes, ngram)
    n_shingles = np.maximum(tokens.counts() - ngram + 1, 0)
    a_first, n_a = tokens.bounds[left], n_shingles[left]
    b_first, n_b = tokens.bounds[right], n_shingles[right]
    # The join copies each pair's shingles (a document in many pairs many times): pairs go
    # through it in groups of about _JOIN_ENTRIES shingles, to bound the memory.
    sizes = n_a + n_b
    group = (np.cumsum(sizes) - sizes) // _JOIN_ENTRIES
    cuts = [*np.flatnonzero(np.r_[True, group[1:] != group[:-1]]).tolist(), len(left)]
    found = []
    for lo, hi in itertools.pairwise(cuts):
        part = (shingles, a_first[lo:hi], n_a[lo:hi], b_first[lo:hi], n_b[lo:hi])
        runs = _runs(*part, _join(*part, max_occurrences), ngram)
        if len(runs):
            runs[:, 0] += lo
            found.append(_trimmed_boxes(*_chain(runs, max_gap, ngram), min_length, min_density))
    boxes = np.concatenate(found) if found else np.empty((0, 5), dtype=np.int64)
    if not len(boxes):
        return empty
    boxes = boxes[np.argsort(boxes[:, 0], kind="stable")]

    pair = boxes[:, 0]
    once = _once_in_document(tokens, np.unique(left[pair]))
    counts = tokens.counts()
    per = np.repeat(np.arange(len(boxes)), 2)  # boundary 2r: start of box r, 2r + 1: its end
    a_base = tokens.bounds[left[pair]][per]
    b_base = tokens.bounds[right[pair]][per]
    step = np.tile(np.array([-1, 1], dtype=np.int64), len(boxes))
    i = np.where(step < 0, boxes[per, 1], boxes[per, 2])
    j = np.where(step < 0, boxes[per, 3], boxes[per, 4])
    new_i, new_j, unfinished = _extend_all(
        tokens, a_base, counts[left[pair]][per], b_base, counts[right[pair]][per],
        once, i, j, step, extend_drop,
    )
    extended = np.stack(
        [pair, new_i[0::2], new_i[1::2], new_j[0::2], new_j[1::2]], axis=1
    )
    return extended, unfinished
