"""Token boxes → alignments: raw-text spans and the edit script inside each passage (Indel opcodes on
token ids; piecewise between anchors for very long passages).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import Editops, Indel

from ..text.shingle import shingle
from ..text.tokenize import TokenBatch, Tokens
from . import compiled
from .alignment import Alignment, alignments_from_columns


def _raw_span(tokens: Tokens, lo: int, hi: int, base: int) -> tuple[int, int]:
    """Raw offsets of tokens ``[base + lo, base + hi)``; an empty range sits right after the
    token before it (or at the passage start)."""
    if hi > lo:
        return int(tokens.starts[base + lo]), int(tokens.ends[base + hi - 1])
    position = int(tokens.ends[base + lo - 1]) if lo > 0 else int(tokens.starts[base])
    return position, position


def _edit_script(
    a: list[int], b: list[int], a_tokens: Tokens, b_tokens: Tokens, a0: int, b0: int
) -> tuple[int, list[tuple[str, int, int, int, int]]]:
    """Matched token count and raw-text edits between ``a`` and ``b`` (token hash lists of a
    passage starting at token ``a0`` and ``b0``). Adjacent deletions and insertions, which is
    all that Indel produces, are reported as one replacement."""
    matched = 0
    edits: list[tuple[str, int, int, int, int]] = []
    pending: list[int] | None = None  # [a_lo, a_hi, b_lo, b_hi] of adjacent inserts/deletes

    def flush(span: list[int]) -> None:
        i1, i2, j1, j2 = span
        op = "replace" if i2 > i1 and j2 > j1 else ("delete" if i2 > i1 else "insert")
        edits.append((op, *_raw_span(a_tokens, i1, i2, a0), *_raw_span(b_tokens, j1, j2, b0)))

    if len(a) * len(b) <= _WHOLE_BOX_CELLS:
        opcodes = Indel.opcodes(a, b).as_list()
    else:
        opcodes = Editops(_editops(a, b), len(a), len(b)).as_opcodes().as_list()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            matched += i2 - i1
            if pending is not None:
                flush(pending)
                pending = None
        elif pending is None:
            pending = [i1, i2, j1, j2]
        else:
            pending = [min(pending[0], i1), max(pending[1], i2),
                       min(pending[2], j1), max(pending[3], j2)]
    if pending is not None:
        flush(pending)
    return matched, edits


def make_alignment(
    box: tuple[int, int, int, int], a_tokens: Tokens, b_tokens: Tokens, method: str,
    a_list: list[int], b_list: list[int],
) -> Alignment:
    a0, a1, b0, b1 = box
    matched, edits = _edit_script(a_list[a0:a1], b_list[b0:b1], a_tokens, b_tokens, a0, b0)
    n_a, n_b = a1 - a0, b1 - b0
    return Alignment(
        a_start=int(a_tokens.starts[a0]),
        a_end=int(a_tokens.ends[a1 - 1]),
        b_start=int(b_tokens.starts[b0]),
        b_end=int(b_tokens.ends[b1 - 1]),
        a_tokens=n_a,
        b_tokens=n_b,
        matched_tokens=matched,
        similarity=2 * matched / (n_a + n_b),
        method=method,
        edits=edits,
    )


def lexical_alignments(
    tokens: TokenBatch, left: np.ndarray, right: np.ndarray, boxes: np.ndarray
) -> tuple[np.ndarray, list[Alignment]]:
    """An :class:`Alignment` per box row ``pair, a0, a1, b0, b1`` (rows sorted by pair).

    Returns the rows and their alignments, each pair's in the order of :func:`position_of`. The
    edit scripts come from Indel one box at a time; everything else is gathered for all boxes
    at once.
    """
    if not len(boxes):
        return boxes, []
    pair = boxes[:, 0]
    a_base, b_base = tokens.bounds[left[pair]], tokens.bounds[right[pair]]
    a_lo, a_hi = a_base + boxes[:, 1], a_base + boxes[:, 2]
    b_lo, b_hi = b_base + boxes[:, 3], b_base + boxes[:, 4]
    starts, ends = tokens.starts, tokens.ends
    a_start, a_end, b_start, b_end = starts[a_lo], ends[a_hi - 1], starts[b_lo], ends[b_hi - 1]
    order = np.lexsort((b_end, a_end, b_start, a_start, pair))
    boxes, a_lo, a_hi, b_lo, b_hi, a_start, a_end, b_start, b_end = (
        x[order] for x in (boxes, a_lo, a_hi, b_lo, b_hi, a_start, a_end, b_start, b_end)
    )
    n_a, n_b = a_hi - a_lo, b_hi - b_lo
    # Indel drops the common prefix and suffix itself; dropping them here first spares turning
    # most of each box into a string (the edits of a passage are usually a few tokens).
    prefix, suffix = _common_affixes(tokens.hashes, a_lo, a_hi, b_lo, b_hi)
    blocks = list(map(_matching_blocks, *_token_sequences(
        tokens.hashes, a_lo + prefix, a_hi - suffix, b_lo + prefix, b_hi - suffix),
        (n_a * n_b).tolist()))
    per_box = np.fromiter(map(len, blocks), dtype=np.int64, count=len(blocks))
    # Indel's matching blocks ``(i, j, size)`` of each box, its last one ``(len(a), len(b), 0)``:
    # an edit is what lies between two blocks (or before the first), matched on neither side.
    # They are read as plain ints: per-token edit operations, flattened through object arrays,
    # took about twice as long.
    flat = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(blocks)),
                       dtype=np.int64, count=3 * int(per_box.sum())).reshape(-1, 3)
    box = np.repeat(np.arange(len(boxes)), per_box)
    i, j, size = flat[:, 0] + prefix[box], flat[:, 1] + prefix[box], flat[:, 2]
    matched = prefix + suffix + np.bincount(box, weights=size, minlength=len(boxes)).astype(
        np.int64)
    follows = np.zeros(len(box), dtype=bool)  # the block follows another of its box
    follows[1:] = box[1:] == box[:-1]
    previous_end_i = np.where(follows, np.roll(i + size, 1), prefix[box])
    previous_end_j = np.where(follows, np.roll(j + size, 1), prefix[box])
    gap = (i > previous_end_i) | (j > previous_end_j)
    edit_box = box[gap]
    a0, a1, b0, b1 = previous_end_i[gap], i[gap], previous_end_j[gap], j[gap]
    kind = (a1 > a0).astype(np.int64) + 2 * (b1 > b0)
    edits = list(zip(_EDIT_NAMES[kind].tolist(), *_raw_spans(starts, ends, a_lo[edit_box], a0, a1),
                     *_raw_spans(starts, ends, b_lo[edit_box], b0, b1), strict=True))
    cuts = np.searchsorted(edit_box, np.arange(len(boxes) + 1)).tolist()
    alignments = alignments_from_columns(
        a_start.tolist(), a_end.tolist(), b_start.tolist(), b_end.tolist(), n_a.tolist(),
        n_b.tolist(), matched.tolist(), (2 * matched / (n_a + n_b)).tolist(),
        ["lexical"] * len(boxes), [edits[x:y] for x, y in itertools.pairwise(cuts)],
    )
    return boxes, alignments


_EDIT_NAMES = np.array([None, "delete", "insert", "replace"], dtype=object)  # by (has_a, has_b)


_MAX_CODE = 0x110000 - 0x800  # code points usable as token ids, surrogates skipped
_FIRST_TABLE_SIZE = 1 << 12


def _token_sequences(
    hashes: np.ndarray, a_lo: np.ndarray, a_hi: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray
) -> tuple[list[str], list[str]] | tuple[list[list[int]], list[list[int]]]:
    """The token hashes of each box's two sides, for :meth:`Indel.editops`: as strings with one
    character per distinct token (Indel compares only for equality, and reads a string several
    times faster than a list of Python ints), or as lists of ints when the boxes hold too many
    distinct tokens for code points. Returns the a-sides and the b-sides."""
    lengths = np.stack([a_hi - a_lo, b_hi - b_lo], axis=1).ravel()
    firsts = np.stack([a_lo, b_lo], axis=1).ravel()
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    index = np.arange(offsets[-1], dtype=np.int64) + np.repeat(firsts - offsets[:-1], lengths)
    gathered = hashes[index]
    # A small first hash table (it grows as needed): one sized for every token would be fresh
    # memory, mapped page by page, for a few thousand distinct words.
    ids, distinct = pd.factorize(gathered, size_hint=_FIRST_TABLE_SIZE)
    cuts = offsets.tolist()
    if len(distinct) > _MAX_CODE:
        sequence: str | list[int] = gathered.view(np.int64).tolist()
    else:
        if len(distinct) > 0xD800:
            ids += (ids >= 0xD800) * 0x800
        sequence = ids.astype(np.uint32).tobytes().decode("utf-32-le")
    return ([sequence[x:y] for x, y in zip(cuts[0:-1:2], cuts[1::2], strict=True)],
            [sequence[x:y] for x, y in zip(cuts[1:-1:2], cuts[2::2], strict=True)])


def _common_affixes(
    hashes: np.ndarray, a_lo: np.ndarray, a_hi: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per box, the length of the common prefix of its two sides' tokens, and of the common
    suffix of what is left after the prefix (as Indel strips them)."""
    if (kernels := compiled.kernels()) is not None:
        return kernels.common_affixes(hashes, a_lo, a_hi, b_lo, b_hi)
    shorter = np.minimum(a_hi - a_lo, b_hi - b_lo)
    prefix = _first_difference(hashes, a_lo, b_lo, shorter, 1)
    suffix = _first_difference(hashes, a_hi - 1, b_hi - 1, shorter - prefix, -1)
    return prefix, suffix


def _first_difference(
    hashes: np.ndarray, a_at: np.ndarray, b_at: np.ndarray, most: np.ndarray, step: int
) -> np.ndarray:
    """Per range, how many tokens ``hashes[a_at + step * t] == hashes[b_at + step * t]`` hold
    for ``t = 0, 1, ...`` before the first that differs, up to ``most``."""
    out = most.copy()
    # Look at a block of the next tokens of every range still agreeing, doubling the block
    # each time: the cost follows the common part, however long the ranges.
    look = np.flatnonzero(most > 0)
    start, width = 0, 16
    while len(look):
        t = np.arange(start, start + width, dtype=np.int64)
        inside = t < most[look, None]
        offset = step * t
        differ = (hashes[np.where(inside, a_at[look, None] + offset, 0)]
                  != hashes[np.where(inside, b_at[look, None] + offset, 0)]) | ~inside
        first = differ.argmax(axis=1)
        found = differ[np.arange(len(look)), first]
        out[look[found]] = np.minimum(start + first[found], most[look[found]])
        look = look[~found]
        start += width
        width *= 2
    return out


def _raw_spans(
    starts: np.ndarray, ends: np.ndarray, base: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[list[int], list[int]]:
    """:func:`_raw_span` for many ranges at once."""
    first = base + lo
    filled = hi > lo
    empty_at = np.where(lo > 0, ends[np.maximum(first - 1, 0)], starts[base])
    span_start = np.where(filled, starts[np.minimum(first, len(starts) - 1)], empty_at)
    span_end = np.where(filled, ends[np.maximum(base + hi - 1, 0)], empty_at)
    return span_start.tolist(), span_end.tolist()


# Indel's edit operations backtrack through a bit matrix with one bit per token pair (after the
# common prefix and suffix): len(a) * len(b) / 8 bytes. Up to this many pairs (about 125 MB and
# half a second, as reuse.report.highlight.DIFF_MAX_CELLS) a passage goes to Indel whole; a
# longer one is aligned piecewise between anchors (_piecewise_editops), so that two 10 MB
# near-duplicates do not ask for hundreds of GB.
_WHOLE_BOX_CELLS = 1_000_000_000


# Shingle sizes tried for anchors, longest first: a long shingle that occurs as often on each
# side is seldom a coincidence; shorter ones reach into stretches too edited for long ones.
_ANCHOR_NGRAMS = (8, 3, 1)


# Most occurrences of an anchor shingle on each side (see _anchor_runs).
_ANCHOR_OCCURRENCES = 20


def _editops(
    a: str | list[int], b: str | list[int], cells: int | None = None
) -> list[tuple[str, int, int]]:
    """Indel's edit operations ``(tag, i, j)`` from ``a`` to ``b``, one token each (a 'delete'
    drops ``a[i]``, an 'insert' adds ``b[j]``): from Indel on the whole box up to
    ``_WHOLE_BOX_CELLS`` token pairs, else piecewise (:func:`_piecewise_editops`). ``cells``:
    the token pairs of the box when ``a`` and ``b`` are what is left of it without its common
    prefix and suffix (the piecewise path drops them first too, so the script is the same)."""
    if (len(a) * len(b) if cells is None else cells) <= _WHOLE_BOX_CELLS:
        return Indel.editops(a, b).as_list()
    return _piecewise_editops(a, b)


def _matching_blocks(a: str | list[int], b: str | list[int], cells: int | None = None
                     ) -> list[Any]:
    """Indel's matching blocks from ``a`` to ``b`` (``(i, j, size)``, the last one
    ``(len(a), len(b), 0)``), from the edit operations of :func:`_editops`."""
    if (len(a) * len(b) if cells is None else cells) <= _WHOLE_BOX_CELLS:
        return Indel.editops(a, b).as_matching_blocks()
    return Editops(_piecewise_editops(a, b), len(a), len(b)).as_matching_blocks()


def _piecewise_editops(a: str | list[int], b: str | list[int]) -> list[tuple[str, int, int]]:
    """:func:`_editops` of a box too large for Indel at once, with memory and time bounded by
    the stretches between exact matches rather than by the box.

    A stretch (at first the box) loses its common prefix and suffix; if it still has more than
    ``_WHOLE_BOX_CELLS`` token pairs, its anchors are found (:func:`_between_anchors`: the
    heaviest chain of exact matches of shingles that occur as often on each side), held fixed, and
    the stretches between them are aligned the same way in turn; the others go to Indel. A
    stretch whose anchors do not at least halve its token pairs (none, or too few: they rarely
    help later either) is one replacement, all of its tokens unmatched.

    The script is valid (it turns ``a`` into ``b``) and optimal among the scripts that keep
    every anchor matched, which may match fewer tokens than the best script (an exact match of
    a rare shingle need not lie on a longest common subsequence), never more.
    """
    a_ids, b_ids = _as_ids(a), _as_ids(b)
    ops: list[tuple[str, int, int]] = []
    todo = [(0, len(a), 0, len(b))]
    while todo:
        a0, a1, b0, b1 = todo.pop()
        cells = (a1 - a0) * (b1 - b0)
        if cells > _WHOLE_BOX_CELLS:  # (Indel drops the common prefix and suffix itself)
            same = _common_prefix(a_ids[a0:a1], b_ids[b0:b1])
            a0, b0 = a0 + same, b0 + same
            same = _common_prefix(a_ids[a0:a1][::-1], b_ids[b0:b1][::-1])
            a1, b1 = a1 - same, b1 - same
            cells = (a1 - a0) * (b1 - b0)
        if cells <= _WHOLE_BOX_CELLS:
            ops.extend((tag, i + a0, j + b0)
                       for tag, i, j in Indel.editops(a[a0:a1], b[b0:b1]).as_list())
            continue
        pieces = _between_anchors(a_ids[a0:a1], b_ids[b0:b1], cells // 2)
        if pieces is None:
            ops.extend(("delete", i, b0) for i in range(a0, a1))
            ops.extend(("insert", a1, j) for j in range(b0, b1))
            continue
        todo.extend((a0 + p0, a0 + p1, b0 + q0, b0 + q1) for p0, p1, q0, q1 in reversed(pieces))
    return ops


def _as_ids(sequence: str | list[int]) -> np.ndarray:
    """A token sequence of :func:`_token_sequences` (or a list of token hashes) as uint64 ids,
    equal exactly where the tokens are."""
    if isinstance(sequence, str):
        return np.frombuffer(sequence.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    try:
        return np.array(sequence, dtype=np.int64).view(np.uint64)
    except OverflowError:  # hashes as unsigned Python ints
        return np.array(sequence, dtype=np.uint64)


def _common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


def _between_anchors(
    a: np.ndarray, b: np.ndarray, most_cells: int
) -> list[tuple[int, int, int, int]] | None:
    """The stretches ``(a0, a1, b0, b1)`` between the anchors of ``a`` and ``b``, in order, when
    none has more than ``most_cells`` token pairs; else None.

    Anchors are exact matches of shingles that occur as often in ``a`` as in ``b`` (runs of
    them, :func:`_anchor_runs`), the heaviest chain that goes forward in both
    (:func:`_anchor_chain`), for the first shingle size of ``_ANCHOR_NGRAMS`` whose anchors cut
    the stretch small enough."""
    for ngram in _ANCHOR_NGRAMS:
        runs = _anchor_runs(a, b, ngram)
        if not len(runs):
            continue
        anchors = _anchor_chain(runs)
        # Shingle hashes can collide: an anchor must be an exact match.
        length = anchors[:, 1] - anchors[:, 0]
        within = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
        differ = a[np.repeat(anchors[:, 0], length) + within] != b[
            np.repeat(anchors[:, 2], length) + within]
        exact = np.bincount(np.repeat(np.arange(len(anchors)), length), weights=differ,
                            minlength=len(anchors)) == 0
        pieces = []
        a_at = b_at = 0
        for a0, a1, b0, b1 in [*anchors[exact].tolist(), [len(a), len(a), len(b), len(b)]]:
            if a0 > a_at or b0 > b_at:
                pieces.append((a_at, a0, b_at, b0))
            a_at, b_at = a1, b1
        if max(((a1 - a0) * (b1 - b0) for a0, a1, b0, b1 in pieces), default=0) <= most_cells:
            return pieces
    return None


def _anchor_runs(a: np.ndarray, b: np.ndarray, ngram: int) -> np.ndarray:
    """Runs ``(a0, a1, b0, b1)`` of anchor shingles, in order of ``a0``: a shingle that occurs
    as often in ``a`` as in ``b``, at most ``_ANCHOR_OCCURRENCES`` times, its k-th occurrence
    in ``a`` matched with its k-th in ``b`` (a text repeated inside both documents, such as a
    chapter given twice, still anchors). Consecutive matches on one diagonal form a run, as in
    :func:`_seed_runs`.

    Found by one sort of both sides' shingles together, with a shingle's high hash bits above
    its position as keys (a plain sort, several times faster than an argsort); shingles that
    share those bits but not the whole hash are told apart afterwards, or make an uneven group
    and anchor nothing."""
    a_sh, b_sh = shingle(a, ngram), shingle(b, ngram)
    both = np.concatenate((a_sh, b_sh))
    none = np.empty((0, 4), dtype=np.int64)
    if not len(a_sh) or not len(b_sh):
        return none
    position_bits = np.uint64(max((len(both) - 1).bit_length(), 1))
    key = both >> position_bits << position_bits
    key |= np.arange(len(both), dtype=np.uint64)
    key.sort()
    position = (key & ((np.uint64(1) << position_bits) - np.uint64(1))).astype(np.int64)
    key >>= position_bits
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    size = np.diff(np.r_[first, len(key)])
    in_a = np.add.reduceat((position < len(a_sh)).astype(np.int64), first)
    half = size // 2
    even = (size == 2 * in_a) & (in_a <= _ANCHOR_OCCURRENCES)
    # A group's a-side entries come first (smaller positions): the k-th pairs with the k-th
    # b-side entry, half the group further on.
    group = np.repeat(np.arange(len(first)), size)
    rank = np.arange(len(key)) - first[group]
    take = np.flatnonzero(even[group] & (rank < half[group]))
    i, j = position[take], position[take + half[group[take]]]
    keep = both[i] == both[j]
    partner = np.full(len(a_sh), -1, dtype=np.int64)
    partner[i[keep]] = j[keep] - len(a_sh)
    i = np.flatnonzero(partner >= 0)
    if not len(i):
        return none
    diagonal = partner[i] - i
    starts_run = np.ones(len(i), dtype=bool)
    starts_run[1:] = (diagonal[1:] != diagonal[:-1]) | (i[1:] != i[:-1] + 1)
    run_first = np.flatnonzero(starts_run)
    run_last = np.append(run_first[1:], len(i)) - 1
    a0, a1, d = i[run_first], i[run_last] + ngram, diagonal[run_first]
    return np.stack([a0, a1, a0 + d, a1 + d], axis=1)


def _anchor_chain(runs: np.ndarray) -> np.ndarray:
    """The chain of runs ``(a0, a1, b0, b1)`` with the most tokens in which each run starts at
    or after the end of the one before, in both documents (rows in order).

    A heaviest increasing subsequence: runs in order of ``a0``, each one's best chain ends with
    the best of the runs that end before it in both documents, found in a Fenwick tree of
    prefix maxima over the b ends of the runs that end before it in a."""
    runs = runs[np.argsort(runs[:, 0], kind="stable")]
    a0, a1 = runs[:, 0].tolist(), runs[:, 1].tolist()
    weight = (runs[:, 1] - runs[:, 0]).tolist()
    n = len(runs)
    by_end = np.argsort(runs[:, 1], kind="stable").tolist()
    b_ends = np.unique(runs[:, 3])
    slot = (np.searchsorted(b_ends, runs[:, 3]) + 1).tolist()  # Fenwick slots count from 1
    before = np.searchsorted(b_ends, runs[:, 2], "right").tolist()  # b ends <= b0
    size = len(b_ends)
    tree_best, tree_run = [0] * (size + 1), [-1] * (size + 1)
    best, back = [0] * n, [-1] * n
    added = 0
    for r in range(n):
        while added < n and a1[by_end[added]] <= a0[r]:
            p = by_end[added]
            added += 1
            x, w = slot[p], best[p]
            while x <= size:
                if w > tree_best[x]:
                    tree_best[x], tree_run[x] = w, p
                x += x & -x
        x, w, p = before[r], 0, -1
        while x > 0:
            if tree_best[x] > w:
                w, p = tree_best[x], tree_run[x]
            x -= x & -x
        best[r], back[r] = w + weight[r], p
    r = max(range(n), key=best.__getitem__)
    chain = []
    while r >= 0:
        chain.append(r)
        r = back[r]
    return runs[chain[::-1]]
