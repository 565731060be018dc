"""The lexical aligner for many document pairs at once: a few numpy passes over concatenated arrays.

:func:`lexical_boxes` finds the same passages as the per-pair reference
(:func:`reuse.align.reference.lexical_boxes_reference`, which documents the method): shared word n-grams
by a hash join, diagonal runs, chaining, trimming, the length and density filters and the X-drop
boundary extension. Every step works on the arrays of all pairs together, keyed by pair, so the
Python cost per pair is a few microseconds however many pairs there are.

- **Hash join.** Each pair is one row: its a-side shingles, then its b-side shingles, each packed
  with its position in the row (which tells its side) into one sort key: the shingle hash's high
  bits, then the position. Keys are 32-bit while that leaves at least ``_SMALL_KEY_HASH_BITS``
  hash bits (rows of up to 4,096 shingles; 32-bit keys sort about twice as fast), else 64-bit.
  Rows are sorted one by one (many short sorts are faster than one long one), so equal shingles
  of a pair become neighbours. Dropping the low bits of a hash can make two different shingles
  look equal: a group of two is checked on the full hashes, and rows where a larger group mixes
  shingles are regrouped on the full hashes. How often each word occurs in its document (for
  the boundary extension) is found the same way. Both work on blocks of pairs (documents) of
  up to ``_BLOCK_ENTRIES`` entries, and the pipeline on groups of ``_JOIN_ENTRIES`` shingles:
  temporary arrays of a few MB are reused from one block to the next, while larger ones are
  fresh memory that the system maps page by page on every call (page faults cost more than
  the sorts here).
- **Runs.** One sort of the seeds on pair, diagonal and position, packed into an int64: a run
  breaks wherever the next key is not the next position on the same diagonal. Small sorts on
  several columns pack them into one int64 key
  (:func:`~reuse.common.sorting.sort_order`) instead of
  ``np.lexsort``, which sorts once per column.
- **Chaining** links each run to the next few in order of position (one vector pass per lag) and
  takes connected components (:func:`scipy.sparse.csgraph.connected_components`).
- **Trimming** drops runs at a passage's ends that are shorter than their gap to the rest. The
  rest of a passage seen from its first run is always the runs after it, so whether a run is
  dropped does not depend on the runs dropped before it: segmented suffix and prefix minima and
  maxima decide all of them at once.
- **Boundary extension** steps all boundaries in lockstep while many are still extending (a
  step costs about the same however few are left); the last few, or those still going after
  ``_LOCKSTEP_STEPS`` steps, go on one at a time.

Where the package's C extensions are built, :mod:`reuse.align.kernels` does the same a pair at a
time in compiled code instead: a hash table per pair for the join (on full hashes), its runs,
chaining, trimming and filters, the word counts and the boundary extension; the results are
the same, row for row (:mod:`reuse.align.compiled` switches them).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..common.sorting import bits_for, pack_columns, packed_key_type, sort_order
from ..text.shingle import shingle_unmixed
from ..text.tokenize import TokenBatch
from . import compiled

__all__ = ["lexical_boxes"]

CHAIN_LOOKBACK = 16  # runs of one band of diagonals, in order of a0 (reuse.align.reference uses it too)
_LOCKSTEP_STEPS = 64
_ONE_BY_ONE = 16  # boundaries still extending when the lockstep hands them to _extend_one
# Shingles of the pairs that go through the join, runs, chaining and trimming together (see
# lexical_boxes).
_JOIN_ENTRIES = 1 << 19
# Shingles of the pairs that the join sorts and compares at a time: its temporary arrays then stay
# in the processor's cache and are reused from one block to the next, instead of fresh memory
# that the system has to map page by page (which costs more than the sorting).
_BLOCK_ENTRIES = 1 << 17
# High bits of a shingle hash kept in the sort key; tests lower it to force look-alike keys.
_KEY_HASH_BITS = 64
# Least hash bits that a 32-bit sort key must keep; tests raise it to force 64-bit keys.
_SMALL_KEY_HASH_BITS = 20
_LITTLE_ENDIAN = sys.byteorder == "little"
_SPREAD = np.int64(1 << 32)  # larger than any token position, for segmented accumulations
# The boundary extension crosses an edit only when the tokens matching after it are unlikely to
# match by chance: the product of their shares of the document (the chance that words drawn at
# random are those words) below CHANCE_BOUND, within CROSSING_LOOKAHEAD tokens. A token whose
# share alone is below it also counts double in the score. (reuse.align.reference uses them too.)
CHANCE_BOUND = 0.005
CROSSING_LOOKAHEAD = 3


def _blocks(sizes: np.ndarray, entries: int) -> Iterator[tuple[int, int]]:
    """``(lo, hi)``: consecutive runs of the items of ``sizes`` whose sizes start within the
    same multiple of ``entries`` (a block holds about ``entries``, and an item larger than
    that is a block of its own)."""
    block = (np.cumsum(sizes) - sizes) // entries
    cuts = [*np.flatnonzero(np.r_[True, block[1:] != block[:-1]]).tolist(), len(sizes)]
    return itertools.pairwise(cuts)


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


def _key_layout(low_bits: int) -> tuple[type, int]:
    """The sort key type for values packed as a hash's high bits above ``low_bits`` other bits,
    and how many hash bits it holds: 32-bit keys (sorted about twice as fast) while they keep
    ``_SMALL_KEY_HASH_BITS`` hash bits, else 64-bit ones."""
    if 32 - low_bits >= _SMALL_KEY_HASH_BITS:
        return np.uint32, min(_KEY_HASH_BITS, 32 - low_bits)
    return np.uint64, min(_KEY_HASH_BITS, 64 - low_bits)


def _packed_rows(
    values: np.ndarray, firsts: np.ndarray, lengths: np.ndarray, rows_of: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows of ``values`` (``rows_of`` consecutive segments ``values[firsts[s]:][:lengths[s]]``
    form one row), each sorted on its own as keys: the value's high bits, then the entry's
    position in its row. Returns the sorted rows concatenated, where each row starts, and the
    number of position bits.

    Many short sorts are several times faster than one long sort with the row in the key.
    """
    segment_starts = _starts(lengths)
    row_lengths = lengths.reshape(-1, rows_of).sum(axis=1)
    row_starts = segment_starts[::rows_of]
    position_bits = bits_for(int(row_lengths.max()))
    dtype, hash_bits = _key_layout(position_bits)
    index = _concatenated_ranges(firsts, lengths)
    if dtype is np.uint32 and _LITTLE_ENDIAN and values.dtype == np.uint64 \
            and values.flags.c_contiguous:
        # The high half of each 64-bit value, read in place: one 32-bit gather.
        rows = values.view(np.uint32)[1::2][index]
        rows &= np.uint32((0xFFFFFFFF << (32 - hash_bits)) & 0xFFFFFFFF)
    else:
        rows = values[index]
        rows >>= np.uint64(64 - hash_bits)
        rows = rows.astype(dtype, copy=False)
        rows <<= dtype(position_bits)
    rows |= _offsets_within(row_lengths, dtype)
    for start, end in zip(row_starts.tolist(), (row_starts + row_lengths).tolist(), strict=True):
        rows[start:end].sort()
    return rows, row_starts, position_bits


def _concatenated_ranges(firsts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``range(firsts[s], firsts[s] + lengths[s])`` of every segment, concatenated (int64)."""
    index = np.arange(int(lengths.sum()), dtype=np.int64)
    index += np.repeat(firsts - _starts(lengths), lengths)
    return index


def _offsets_within(lengths: np.ndarray, dtype: type) -> np.ndarray:
    """``range(lengths[s])`` of every segment, concatenated, as unsigned ``dtype``."""
    offsets = np.arange(int(lengths.sum()), dtype=dtype)
    offsets -= np.repeat(_starts(lengths).astype(dtype), lengths)
    return offsets


def _join(
    shingles: np.ndarray,
    a_first: np.ndarray,
    n_a: np.ndarray,
    b_first: np.ndarray,
    n_b: np.ndarray,
    max_occurrences: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared shingles of every pair: seeds ``(pair, i, j)``.

    ``shingles`` are those of the whole token array (shingle ``t`` starts at token ``t``); the
    pair's a-side shingles are ``shingles[a_first : a_first + n_a]``.
    """
    sizes = n_a + n_b
    parts = []
    for lo, hi in _blocks(sizes, _BLOCK_ENTRIES):
        pair, i, j = _join_block(shingles, a_first[lo:hi], n_a[lo:hi], b_first[lo:hi],
                                 n_b[lo:hi], max_occurrences)
        pair += lo
        parts.append((pair, i, j))
    if len(parts) == 1:
        return parts[0]
    pair, i, j = (np.concatenate(x) for x in zip(*parts, strict=True))
    return pair, i, j


def _join_block(
    shingles: np.ndarray,
    a_first: np.ndarray,
    n_a: np.ndarray,
    b_first: np.ndarray,
    n_b: np.ndarray,
    max_occurrences: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_join` of one block of pairs."""
    empty = np.empty(0, dtype=np.int64)
    nothing = empty, empty, empty
    if not int((n_a + n_b).sum()):
        return nothing
    # A pair's row: its a-side shingles, then its b-side ones; an entry's position in the row
    # tells its side (a before b, so a group of equal keys lists its a-entries first).
    rows, row_starts, position_bits = _packed_rows(
        shingles, np.stack([a_first, b_first], axis=1).ravel(),
        np.stack([n_a, n_b], axis=1).ravel(), 2,
    )
    key = rows >> rows.dtype.type(position_bits)
    equal = key[1:] == key[:-1]  # equal[t]: entry t + 1 has the key of entry t
    del key
    breaks = row_starts[(row_starts > 0) & (row_starts < len(rows))]
    equal[breaks - 1] = False  # rows do not continue each other
    first_equal = np.flatnonzero(equal)
    if not len(first_equal):
        return nothing
    position_mask = rows.dtype.type((1 << position_bits) - 1)
    # Most shared shingles occur once on each side: a group of two, a-entry then b-entry.
    adjacent = first_equal[1:] == first_equal[:-1] + 1
    lone = np.ones(len(first_equal), dtype=bool)
    lone[1:] &= ~adjacent
    lone[:-1] &= ~adjacent
    at = first_equal[lone]
    pair = _row_of(at, row_starts)
    i = (rows[at] & position_mask).astype(np.int64)
    a_length = n_a[pair]
    j = (rows[at + 1] & position_mask).astype(np.int64) - a_length
    # Same side twice, or different shingles whose high bits look alike: no seed. (One
    # selection for both tests; 'clip' keeps the look-ups of the first kind in bounds.)
    seed = (i < a_length) & (j >= 0)
    seed &= (shingles.take(a_first[pair] + i, mode="clip")
             == shingles.take(b_first[pair] + j, mode="clip"))
    parts = [(pair[seed], i[seed], j[seed])]
    crowded = first_equal[~lone]
    if len(crowded):
        parts.append(_crowded_seeds(rows, row_starts, equal, crowded, position_mask, shingles,
                                    a_first, n_a, b_first, max_occurrences))
    pair, i, j = (np.concatenate(x) for x in zip(*parts, strict=True))
    return pair, i, j


def _row_of(at: np.ndarray, row_starts: np.ndarray) -> np.ndarray:
    """The row of each of the sorted entry indices ``at``."""
    per_row = np.diff(np.append(np.searchsorted(at, row_starts), len(at)))
    return np.repeat(np.arange(len(row_starts), dtype=np.int64), per_row)


def _crowded_seeds(
    rows: np.ndarray, row_starts: np.ndarray, equal: np.ndarray, first_equal: np.ndarray,
    position_mask: np.unsignedinteger, shingles: np.ndarray, a_first: np.ndarray,
    n_a: np.ndarray, b_first: np.ndarray, max_occurrences: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeds of the groups of three or more equal keys (``first_equal`` are their entries but
    the last): every a-entry with every b-entry of a shingle occurring on both sides at most
    ``max_occurrences`` times on each."""
    members = np.concatenate((first_equal, first_equal + 1))
    members.sort()
    members = members[np.r_[True, members[1:] != members[:-1]]]
    after_equal = equal[np.maximum(members - 1, 0)] & (members > 0)
    pair = _row_of(members, row_starts)
    in_row = (rows[members] & position_mask).astype(np.int64)
    side = in_row >= n_a[pair]
    position = in_row - np.where(side, n_a[pair], 0)
    full = shingles[np.where(side, b_first[pair], a_first[pair]) + position]
    look_alike = np.flatnonzero(after_equal[1:] & (full[1:] != full[:-1])) + 1
    if len(look_alike):
        # Different shingles with equal high bits: group the members of those rows on the full
        # hashes instead (a row's members are consecutive, in order of position in the row).
        redo = np.flatnonzero(np.isin(pair, pair[look_alike]))
        order = redo[np.lexsort((full[redo], pair[redo]))]
        side[redo], position[redo], full[redo] = side[order], position[order], full[order]
        after_equal[redo] = False
        again = (pair[redo[1:]] == pair[redo[:-1]]) & (full[redo[1:]] == full[redo[:-1]])
        after_equal[redo[1:]] = again

    group_start = np.flatnonzero(~after_equal)
    group_size = np.diff(np.append(group_start, len(members)))
    in_b = np.add.reduceat(side.astype(np.int64), group_start)
    in_a = group_size - in_b
    seeding = (in_a >= 1) & (in_b >= 1) & (in_a <= max_occurrences) & (in_b <= max_occurrences)
    first, in_a, in_b = group_start[seeding], in_a[seeding], in_b[seeding]
    count = in_a * in_b
    seed_group = _segment_ids(count)
    k = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(_starts(count), count)
    a_at = first[seed_group] + k // in_b[seed_group]
    b_at = first[seed_group] + in_a[seed_group] + k % in_b[seed_group]
    return pair[a_at], position[a_at], position[b_at]


def _runs(
    seeds: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_a: np.ndarray,
    n_b: np.ndarray,
    ngram: int,
) -> np.ndarray:
    """Maximal runs of seeds on one diagonal: ``(R, 5)`` rows ``pair, a0, a1, b0, b1`` (tokens),
    sorted by pair, diagonal and position.

    The seeds are sorted by pair, diagonal and position; a run breaks wherever the next seed
    is not the next position on the same diagonal."""
    pair, i, j = seeds
    if not len(pair):
        return np.empty((0, 5), dtype=np.int64)
    span = int(max(n_a.max(), n_b.max())) + 1
    diagonal = j - i + span
    widths = [bits_for(int(pair.max()) + 1), bits_for(2 * span), bits_for(span)]
    dtype = packed_key_type(widths)
    if dtype is not None:
        # One sort of the fields packed into one key (32-bit when they fit: sorted about twice
        # as fast). Position is the lowest field and never reaches its width's top value, so
        # the next seed of a run has the next key.
        key = pack_columns([pair, diagonal, i], widths, dtype)
        key.sort()
        breaks = np.flatnonzero(key[1:] != key[:-1] + key.dtype.type(1))
        starts, ends = key[np.r_[0, breaks + 1]], key[np.r_[breaks, len(key) - 1]]
        if dtype is not np.int64:
            starts, ends = starts.astype(np.int64), ends.astype(np.int64)
        run_pair, diagonal, start = _unpack(starts, widths)
        end = ends & ((1 << widths[-1]) - 1)
    else:
        order = np.lexsort((i, diagonal, pair))
        run_pair, diagonal, start = pair[order], diagonal[order], i[order]
        breaks = np.flatnonzero((run_pair[1:] != run_pair[:-1]) | (diagonal[1:] != diagonal[:-1])
                                | (start[1:] != start[:-1] + 1))
        end = start[np.r_[breaks, len(start) - 1]]
        first = np.r_[0, breaks + 1]
        run_pair, diagonal, start = run_pair[first], diagonal[first], start[first]
    diagonal -= span
    return np.stack([run_pair, start, end + ngram, start + diagonal, end + diagonal + ngram], axis=1)


def _unpack(key: np.ndarray, widths: list[int]) -> list[np.ndarray]:
    """The columns of :func:`~reuse.common.sorting.pack_columns`."""
    out = []
    shift = sum(widths)
    for width in widths:
        shift -= width
        out.append((key >> shift) & ((1 << width) - 1))
    return out


# ------------------------------------------------------------------------ chaining and trimming


def _chain(runs: np.ndarray, max_gap: int, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs sorted by pair, a0, b0, and a passage label per run (see the reference ``_chain``:
    each run looks back within two bands of diagonals)."""
    runs = runs[sort_order(runs[:, 0], runs[:, 1], runs[:, 3])]
    n = len(runs)
    band = (runs[:, 3] - runs[:, 1]) // (max_gap + tolerance + 1)
    band -= int(band.min(initial=0))
    copy_of = np.concatenate((np.arange(n), np.arange(n)))
    copy_band = np.concatenate((band, band + 1))
    order = sort_order(runs[copy_of, 0], copy_band, runs[copy_of, 1], runs[copy_of, 3])
    copy_of, copy_band = copy_of[order], copy_band[order]
    # Contiguous columns; pair and band in one key. A gap within [-tolerance, max_gap] is one
    # unsigned comparison of gap + tolerance.
    pair_band = runs[copy_of, 0] * (int(copy_band.max()) + 1) + copy_band
    a0, a1 = runs[copy_of, 1] + tolerance, runs[copy_of, 2]
    b0, b1 = runs[copy_of, 3] + tolerance, runs[copy_of, 4]
    widest = np.uint64(max_gap + tolerance)
    prev_parts, cur_parts = [], []
    for lag in range(1, min(CHAIN_LOOKBACK, 2 * n - 1) + 1):
        a_gap = (a0[lag:] - a1[:-lag]).view(np.uint64)
        b_gap = (b0[lag:] - b1[:-lag]).view(np.uint64)
        linked = np.flatnonzero(
            (pair_band[:-lag] == pair_band[lag:]) & (a_gap <= widest) & (b_gap <= widest)
        )
        prev_parts.append(copy_of[linked])
        cur_parts.append(copy_of[linked + lag])
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
    matched = np.bincount(labels, weights=runs[:, 2] - runs[:, 1])
    long_enough = matched[labels] >= min_length
    runs, labels = runs[long_enough], labels[long_enough]
    if not len(runs):
        return np.empty((0, 5), dtype=np.int64)
    order = sort_order(labels)  # runs stay in order of a0, b0 within a label
    runs, labels = runs[order], labels[order]
    group = np.cumsum(np.r_[True, labels[1:] != labels[:-1]]) - 1
    # The longest run of a group is never inside another's range, so no group empties.
    repeat = _inside_another(runs[:, 1], runs[:, 2], group) | _inside_another(
        runs[:, 3], runs[:, 4], group
    )
    runs, group = _trim_both_orders(runs[~repeat], group[~repeat])

    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    a0, a1, b0, b1 = runs[:, 1], runs[:, 2], runs[:, 3], runs[:, 4]
    box = np.stack([
        runs[starts, 0],
        np.minimum.reduceat(a0, starts), np.maximum.reduceat(a1, starts),
        np.minimum.reduceat(b0, starts), np.maximum.reduceat(b1, starts),
    ], axis=1)
    covered = np.minimum(_covered_per_group(a0, a1, group, starts), _covered_per_group(b0, b1, group, starts))
    shorter = np.minimum(box[:, 2] - box[:, 1], box[:, 4] - box[:, 3])
    keep = (covered >= min_length) & (covered >= min_density * shorter)
    return box[keep]


def _trim_in_a_order(runs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The reference ``_trim_in_a_order`` for every passage: ``runs`` are rows ``pair, a0, a1,
    b0, b1`` sorted by ``group`` (its label, non-decreasing), a0, b0; returns which stay."""
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
    front_kept = np.flatnonzero(index >= keep_from[group])

    # From the back, over the runs kept so far: run k goes while shorter than its gap to those
    # before it.
    runs, group = runs[front_kept], group[front_kept]
    a0, a1, b0, b1 = runs[:, 1], runs[:, 2], runs[:, 3], runs[:, 4]
    length = a1 - a0
    first = np.r_[True, group[1:] != group[:-1]]
    before_a1 = np.roll(_segmented_accumulate(a1, group, np.maximum), 1)
    before_b1 = np.roll(_segmented_accumulate(b1, group, np.maximum), 1)
    before_b0 = np.roll(_segmented_accumulate(b0, group, np.minimum), 1)
    gap = np.maximum(np.maximum(a0 - before_a1, b0 - before_b1), before_b0 - b1)
    stays = first | (length >= gap)
    index = np.arange(len(runs), dtype=np.int64)
    group_first = np.flatnonzero(first)
    keep_to = np.maximum.reduceat(np.where(stays, index, -1), group_first)
    kept = np.zeros(n, dtype=bool)
    kept[front_kept[index <= keep_to[group]]] = True
    return kept


def _trim_in_b_order(runs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """:func:`_trim_in_a_order` with the documents' roles swapped; same input order."""
    order = sort_order(group, runs[:, 3], runs[:, 1])
    kept = np.empty(len(runs), dtype=bool)
    kept[order] = _trim_in_a_order(runs[order][:, [0, 3, 4, 1, 2]], group[order])
    return kept


def _trim_both_orders(runs: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference ``_trim``: trim in a, then in b, in a, ... until a trim drops nothing;
    ``runs`` sorted by group, a0, b0 stay in that order."""
    kept = _trim_in_a_order(runs, group)
    runs, group = runs[kept], group[kept]
    trims = itertools.cycle((_trim_in_b_order, _trim_in_a_order))
    while not (kept := next(trims)(runs, group)).all():
        runs, group = runs[kept], group[kept]
    return runs, group


def _inside_another(lo: np.ndarray, hi: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Whether each range ``[lo, hi)`` lies inside a larger range of its group (``group``
    non-decreasing), or equals another one that is not of the group's longest: the
    reference's ``_drop_repeats`` for one document."""
    order = sort_order(group, lo, int(hi.max(initial=0)) - hi)
    lo, hi, group = lo[order], hi[order], group[order]
    new_group = np.r_[True, group[1:] != group[:-1]]
    new_block = new_group | np.r_[True, lo[1:] != lo[:-1]]
    block_first = np.flatnonzero(new_block)
    block = np.cumsum(new_block) - 1
    reach = _segmented_accumulate(hi, group, np.maximum)
    # Farthest end among the ranges that start before this one (same start: sorted by end,
    # longest first).
    before = np.where(new_group[block_first], np.iinfo(np.int64).min,
                      reach[np.maximum(block_first - 1, 0)])
    inside = (before[block] >= hi) | (hi[block_first][block] > hi)
    same = np.r_[False, ~new_block[1:] & (hi[1:] == hi[:-1])]
    twice = same | np.r_[same[1:], False]
    length = hi - lo
    group_first = np.flatnonzero(new_group)
    longest = np.maximum.reduceat(length, group_first)[np.cumsum(new_group) - 1]
    inside |= twice & (length < longest)
    out = np.empty(len(lo), dtype=bool)
    out[order] = inside
    return out


def _covered_per_group(lo: np.ndarray, hi: np.ndarray, group: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group, the number of positions in the union of its ``[lo, hi)`` ranges."""
    order = sort_order(group, lo)
    lo, hi, group = lo[order], hi[order], group[order]
    reach = _segmented_accumulate(hi, group, np.maximum)
    previous = np.roll(reach, 1)
    previous[np.r_[True, group[1:] != group[:-1]]] = np.iinfo(np.int64).min
    return np.add.reduceat(np.maximum(hi - np.maximum(lo, previous), 0), starts)


# --------------------------------------------------------------------------- boundary extension


def _count_in_document(tokens: TokenBatch, docs: np.ndarray) -> np.ndarray:
    """Per token of the batch, how often it occurs in its document; computed for the tokens of
    ``docs`` (distinct), 0 elsewhere."""
    counts = tokens.counts()[docs]
    firsts = tokens.bounds[docs]
    occurrences = np.zeros(len(tokens.hashes), dtype=np.int32)
    if (kernels := compiled.kernels()) is not None:
        kernels.count_in_document(tokens.hashes, firsts, counts, occurrences)
        return occurrences
    for lo, hi in _blocks(counts, _BLOCK_ENTRIES):
        _count_block(tokens.hashes, firsts[lo:hi], counts[lo:hi], occurrences)
    return occurrences


def _count_block(
    hashes: np.ndarray, firsts: np.ndarray, counts: np.ndarray, occurrences: np.ndarray
) -> None:
    """:func:`_count_in_document` of the documents whose tokens are ``hashes[firsts[d]:][:counts[d]]``,
    written into ``occurrences``."""
    if not int(counts.sum()):
        return
    # Each document's tokens sorted on their hash's high bits, then position.
    rows, row_starts, position_bits = _packed_rows(hashes, firsts, counts, 1)
    index = np.repeat(firsts, counts)
    index += (rows & rows.dtype.type((1 << position_bits) - 1)).astype(np.int64)
    full = hashes[index]
    new_row = np.zeros(len(rows), dtype=bool)
    new_row[row_starts] = True
    new_group = new_row.copy()
    new_group[1:] |= full[1:] != full[:-1]
    group_first = np.flatnonzero(new_group)
    sizes = np.diff(np.append(group_first, len(rows))).astype(np.int32)
    occurrences[index] = np.repeat(sizes, sizes)
    # Entries of one group are neighbours unless different tokens share the key's hash bits
    # and interleave: then the key groups are fewer than the full-hash groups.
    key = rows >> rows.dtype.type(position_bits)
    new_key = new_row
    new_key[1:] |= key[1:] != key[:-1]
    if int(np.count_nonzero(new_key)) != len(group_first):
        # Regroup the tokens of those documents on their full hashes (a row's entries are
        # consecutive).
        look_alike = np.flatnonzero(~new_key & new_group)
        bad = np.unique(np.searchsorted(row_starts, look_alike, "right") - 1)
        redo = _concatenated_ranges(row_starts[bad], counts[bad])
        row = np.repeat(bad, counts[bad])
        order = np.lexsort((full[redo], row))
        redo, row = redo[order], row[order]
        same = (row[1:] == row[:-1]) & (full[redo[1:]] == full[redo[:-1]])
        occurrences[index[redo]] = _group_sizes(same)


def _group_sizes(same_as_previous: np.ndarray) -> np.ndarray:
    """Size of each entry's group, for entries grouped into runs: ``same_as_previous[t]`` says
    whether entry ``t + 1`` is in the group of entry ``t``."""
    group = np.zeros(len(same_as_previous) + 1, dtype=np.int32)
    np.cumsum(~same_as_previous, out=group[1:])
    return np.bincount(group).astype(np.int32)[group]


def _extend_all(
    tokens: TokenBatch,
    a_base: np.ndarray,
    a_len: np.ndarray,
    b_base: np.ndarray,
    b_len: np.ndarray,
    occurrences: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    step: np.ndarray,
    drop: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The reference ``_extend`` for every boundary at once; returns the new ``i`` and ``j``.
    ``occurrences`` is how often each token occurs in its document.

    All boundaries step in lockstep while many are still extending; the last few (a step costs
    the same however few are left) go on one at a time in :func:`_extend_one`."""
    hashes = tokens.hashes
    if (kernels := compiled.kernels()) is not None:
        return kernels.extend(hashes, occurrences, a_base, a_len, b_base, b_len, i, j, step, drop,
                              CHANCE_BOUND, CROSSING_LOOKAHEAD)
    n = len(i)
    out_i, out_j = i.copy(), j.copy()
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

    def chance(k: np.ndarray, p: np.ndarray) -> np.ndarray:
        p = p + off[k]
        inside = (p >= 0) & (p < a_len[k])
        count = occurrences[a_base[k] + np.where(inside, p, 0)]
        return np.where(inside, count / a_len[k], 1.0)

    def beyond_chance(k: np.ndarray, p: np.ndarray, q: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The vector form of :func:`_matches_beyond_chance`."""
        unlikely = np.zeros(len(k), dtype=bool)
        matching = np.ones(len(k), dtype=bool)
        product = np.ones(len(k), dtype=np.float64)
        for t in range(CROSSING_LOOKAHEAD):
            matching &= match(k, p + t * s, q + t * s)
            product = product * chance(k, p + t * s)
            unlikely |= matching & (product < CHANCE_BOUND)
        return unlikely

    for _ in range(_LOCKSTEP_STEPS):
        k, ci, cj, score, best, best_i, best_j = state
        if len(k) <= _ONE_BY_ONE:
            break
        s = step[k]
        hit = match(k, ci, cj)
        gain = np.where(hit, 1 + (chance(k, ci) < CHANCE_BOUND), -1)
        opt1 = ~hit & beyond_chance(k, ci + s, cj + s, s)
        opt2 = ~(hit | opt1) & beyond_chance(k, ci + s, cj, s)
        opt3 = ~(hit | opt1 | opt2) & beyond_chance(k, ci, cj + s, s)
        # The first option that fits wins, in the reference's order.
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
    for k, *rest in zip(*(x.tolist() for x in state), strict=True):
        out_i[k], out_j[k] = _extend_one(
            hashes, occurrences, int(a_base[k]), int(a_len[k]), int(b_base[k]), int(b_len[k]),
            int(step[k]), drop, *rest,
        )
    return out_i, out_j


def _extend_one(
    hashes: np.ndarray, occurrences: np.ndarray, a_base: int, a_len: int, b_base: int, b_len: int,
    step: int, drop: int, i: int, j: int, score: int, best: int, best_i: int, best_j: int,
) -> tuple[int, int]:
    """One boundary's extension continued from the lockstep state ``i, j, score, best, best_i,
    best_j``: the loop of the reference ``_extend``, reading single tokens."""
    off = -1 if step < 0 else 0
    token, count = hashes.item, occurrences.item

    def match(p: int, q: int) -> bool:
        p, q = p + off, q + off
        return 0 <= p < a_len and 0 <= q < b_len and token(a_base + p) == token(b_base + q)

    def chance(p: int) -> float:
        return count(a_base + p + off) / a_len if 0 <= p + off < a_len else 1.0

    return extend_steps(match, chance, step, drop, i, j, score, best, best_i, best_j)


def _matches_beyond_chance(
    match: Callable[[int, int], bool], chance: Callable[[int], float], step: int, i: int, j: int
) -> bool:
    """Whether the tokens matching from ``(i, j)`` on are unlikely to match by chance: the
    product of their shares of the document falls below ``CHANCE_BOUND`` within
    ``CROSSING_LOOKAHEAD`` matching tokens."""
    product = 1.0
    for t in range(CROSSING_LOOKAHEAD):
        if not match(i + t * step, j + t * step):
            return False
        product = product * chance(i + t * step)
        if product < CHANCE_BOUND:
            return True
    return False


def extend_steps(
    match: Callable[[int, int], bool], chance: Callable[[int], float], step: int, drop: int,
    i: int, j: int, score: int, best: int, best_i: int, best_j: int,
) -> tuple[int, int]:
    """The X-drop extension loop (see :func:`reuse.align.reference._extend`) from the state ``i, j,
    score, best, best_i, best_j``: ``match(p, q)`` says whether the tokens at the boundary
    positions ``p, q`` match, and ``chance(p)`` is the share of its document that the token at
    ``p`` makes up (how likely a word at random is that token)."""
    while best - score <= drop:
        if match(i, j):
            score += 2 if chance(i) < CHANCE_BOUND else 1
            i, j = i + step, j + step
            if score > best:
                best, best_i, best_j = score, i, j
            continue
        for di, dj in ((step, step), (step, 0), (0, step)):
            if _matches_beyond_chance(match, chance, step, i + di, j + dj):
                i, j = i + di, j + dj
                break
        else:
            break
        score -= 1
    return best_i, best_j


# ----------------------------------------------------------------------------------- entry point


def _passages(
    tokens: TokenBatch, a_first: np.ndarray, n_a: np.ndarray, b_first: np.ndarray,
    n_b: np.ndarray, *, ngram: int, max_occurrences: int, max_gap: int, min_length: int,
    min_density: float,
) -> np.ndarray:
    """The passages of :func:`lexical_boxes` before boundary extension, by the numpy code:
    rows ``pair, a0, a1, b0, b1``, in groups of pairs."""
    # Shingles of the whole token array: shingle t starts at token t, and those that start
    # within ngram - 1 tokens of a document's end straddle two documents and are not used.
    shingles = shingle_unmixed(tokens.hashes, ngram)
    # The join copies each pair's shingles (a document in many pairs many times): pairs go
    # through it in groups of about _JOIN_ENTRIES shingles, to bound the memory. Groups of a few
    # MB of arrays also keep the memory that one group frees in use for the next (the system
    # keeps it mapped); larger ones get fresh memory mapped page by page on every call.
    sizes = n_a + n_b
    found = []
    for lo, hi in _blocks(sizes, _JOIN_ENTRIES):
        part = (shingles, a_first[lo:hi], n_a[lo:hi], b_first[lo:hi], n_b[lo:hi])
        runs = _runs(_join(*part, max_occurrences), part[2], part[4], ngram)
        if len(runs):
            runs[:, 0] += lo
            found.append(_trimmed_boxes(*_chain(runs, max_gap, ngram), min_length, min_density))
    return np.concatenate(found) if found else np.empty((0, 5), dtype=np.int64)


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
) -> np.ndarray:
    """Lexical passages of the document pairs ``(left[k], right[k])`` of ``tokens``.

    Returns ``(N, 5)`` rows ``pair, a0, a1, b0, b1`` of token ranges (half-open) after
    boundary extension, sorted by pair (boxes of one pair may still overlap: merging them is
    left to the caller).
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    empty = np.empty((0, 5), dtype=np.int64)
    if not len(left):
        return empty
    n_shingles = np.maximum(tokens.counts() - ngram + 1, 0)
    a_first, n_a = tokens.bounds[left], n_shingles[left]
    b_first, n_b = tokens.bounds[right], n_shingles[right]
    if (kernels := compiled.kernels()) is not None:
        # A pair at a time in compiled code: its shingles, the join, runs, chains and passages.
        runs = kernels.join_runs(tokens.hashes, a_first, n_a, b_first, n_b, max_occurrences, ngram)
        boxes = kernels.passages(runs, max_gap, ngram, min_length, min_density, CHAIN_LOOKBACK)
    else:
        boxes = _passages(tokens, a_first, n_a, b_first, n_b, ngram=ngram,
                          max_occurrences=max_occurrences, max_gap=max_gap,
                          min_length=min_length, min_density=min_density)
    if not len(boxes):
        return empty
    boxes = boxes[np.argsort(boxes[:, 0], kind="stable")]

    pair = boxes[:, 0]
    counts = tokens.counts()
    occurrences = _count_in_document(tokens, np.unique(left[pair]))
    per = np.repeat(np.arange(len(boxes)), 2)  # boundary 2r: start of box r, 2r + 1: its end
    a_base = tokens.bounds[left[pair]][per]
    b_base = tokens.bounds[right[pair]][per]
    step = np.tile(np.array([-1, 1], dtype=np.int64), len(boxes))
    i = np.where(step < 0, boxes[per, 1], boxes[per, 2])
    j = np.where(step < 0, boxes[per, 3], boxes[per, 4])
    new_i, new_j = _extend_all(
        tokens, a_base, counts[left[pair]][per], b_base, counts[right[pair]][per],
        occurrences, i, j, step, extend_drop,
    )
    return np.stack([pair, new_i[0::2], new_i[1::2], new_j[0::2], new_j[1::2]], axis=1)
