"""Lexical passages of one pair step by step, the reference that :mod:`reuse.align.batch` computes for
many pairs at once: seed runs, chained, trimmed and extended across small edits.
"""

from __future__ import annotations

import numpy as np

from ..text.shingle import shingle
from ..text.tokenize import Tokens
from .batch import CHAIN_LOOKBACK, extend_steps
from .config import AlignConfig


def _seed_runs(
    a_hashes: np.ndarray, b_hashes: np.ndarray, ngram: int, max_occurrences: int
) -> np.ndarray:
    """Runs of consecutive shared shingles on one diagonal: an ``(R, 4)`` array of token ranges
    ``a0, a1, b0, b1`` (half-open), each an exact match of ``a1 - a0`` tokens."""
    none = np.empty((0, 4), dtype=np.int64)
    a_sh = shingle(a_hashes, ngram)
    b_sh = shingle(b_hashes, ngram)
    if not len(a_sh) or not len(b_sh):
        return none
    b_order = np.argsort(b_sh, kind="stable")
    b_sorted = b_sh[b_order]
    lo = np.searchsorted(b_sorted, a_sh, "left")
    shared = np.flatnonzero(b_sorted[np.minimum(lo, len(b_sorted) - 1)] == a_sh)
    if not len(shared):
        return none
    a_values, lo = a_sh[shared], lo[shared]
    in_b = np.searchsorted(b_sorted, a_values, "right") - lo
    # Shingles frequent in either document (formulaic phrases) would multiply seeds
    # quadratically and seed nothing reusable.
    a_sorted = np.sort(a_values)
    in_a = np.searchsorted(a_sorted, a_values, "right") - np.searchsorted(a_sorted, a_values)
    keep = (in_b <= max_occurrences) & (in_a <= max_occurrences)
    shared, lo, in_b = shared[keep], lo[keep], in_b[keep]
    if not len(shared):
        return none
    if in_b.max() == 1 and in_a.max() == 1:
        # Every shared shingle occurs once on each side (the usual case): seeds come in order
        # of a with one seed per position, so runs are consecutive already.
        i, j = shared, b_order[lo]
        diagonal = j - i
    else:
        total = int(in_b.sum())
        first = np.zeros(len(shared), dtype=np.int64)
        np.cumsum(in_b[:-1], out=first[1:])
        within = np.arange(total, dtype=np.int64) - np.repeat(first, in_b)
        i = np.repeat(shared, in_b)
        j = b_order[np.repeat(lo, in_b) + within]
        diagonal = j - i
        order = np.lexsort((i, diagonal))
        i, diagonal = i[order], diagonal[order]
    starts_run = np.ones(len(i), dtype=bool)
    starts_run[1:] = (diagonal[1:] != diagonal[:-1]) | (i[1:] != i[:-1] + 1)
    run_first = np.flatnonzero(starts_run)
    run_last = np.append(run_first[1:], len(i)) - 1
    a0 = i[run_first]
    a1 = i[run_last] + ngram
    d = diagonal[run_first]
    return np.stack([a0, a1, a0 + d, a1 + d], axis=1)


def _chain(runs: np.ndarray, max_gap: int, tolerance: int) -> np.ndarray:
    """Group runs ``(a0, a1, b0, b1)`` into passages; returns a group label per run.

    A run continues an earlier one when it starts at most ``max_gap`` tokens after that one
    ends, in both documents. It may overlap it by up to ``tolerance`` tokens (an edit inside a
    repeated word) but not start well inside it: that is a phrase repeated elsewhere. Local
    continuation, not mere proximity, keeps a phrase that also occurs elsewhere in a passage
    from pulling its surroundings in.

    Runs that continue each other lie on nearby diagonals (``b0 - a0`` differs by at most
    ``max_gap + tolerance``), so runs are sorted into bands of diagonals of that width, each run
    into its own band and the next one up, and a run looks back over the last few runs of the
    same band in order of ``a0``. Common phrases match on every diagonal: in long documents a
    look-back over all runs would see only those.
    """
    n = len(runs)
    width = max_gap + tolerance + 1
    band = (runs[:, 2] - runs[:, 0]) // width
    copy_of = np.concatenate((np.arange(n), np.arange(n)))
    copy_band = np.concatenate((band, band + 1))
    order = np.lexsort((runs[copy_of, 2], runs[copy_of, 0], copy_band))
    copy_of, copy_band = copy_of[order], copy_band[order]
    r = runs[copy_of]
    m = len(copy_of)
    lags = np.arange(1, min(CHAIN_LOOKBACK, m - 1) + 1)
    prev = np.repeat(np.arange(m), len(lags))
    cur = prev + np.tile(lags, m)
    inside = cur < m
    prev, cur = prev[inside], cur[inside]
    a_gap = r[cur, 0] - r[prev, 1]
    b_gap = r[cur, 2] - r[prev, 3]
    linked = (copy_band[cur] == copy_band[prev]) & (a_gap <= max_gap) & (b_gap <= max_gap) & (
        a_gap >= -tolerance) & (b_gap >= -tolerance)
    prev, cur = copy_of[prev], copy_of[cur]
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(prev[linked].tolist(), cur[linked].tolist(), strict=True):
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return np.array([root(x) for x in range(n)], dtype=np.int64)


def _drop_repeats(group: np.ndarray) -> np.ndarray:
    """Drop runs whose tokens in a (or in b) lie inside the larger range of another run of the
    passage: the same words aligned a second time, to a repeat of them in the other document.
    One stretch of text is reused once within a passage, so such a run adds no reused text;
    kept, it would stretch the passage's box in the other document past its end. Runs that
    align the same range twice go too (both: nothing tells which is right), unless they are the
    passage's longest."""
    length = group[:, 1] - group[:, 0]
    short = length < length.max()
    others = ~np.eye(len(group), dtype=bool)

    def inside(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        within = (lo[None, :] <= lo[:, None]) & (hi[:, None] <= hi[None, :]) & others
        same = (lo[None, :] == lo[:, None]) & (hi[None, :] == hi[:, None])
        return (within & ~(same & ~short[:, None])).any(axis=1)

    return group[~(inside(group[:, 0], group[:, 1]) | inside(group[:, 2], group[:, 3]))]


def _trim_in_a_order(group: np.ndarray) -> np.ndarray:
    """Drop runs at either end of a passage, in order of their place in a, that are shorter
    than the gap separating them from the rest: a common phrase just outside a passage."""
    group = group[np.lexsort((group[:, 2], group[:, 0]))]
    while len(group) > 1:
        first, rest = group[0], group[1:]
        gap = max(int(rest[:, 0].min()) - int(first[1]),
                  int(rest[:, 2].min()) - int(first[3]),
                  int(first[2]) - int(rest[:, 3].max()))
        if first[1] - first[0] >= gap:
            break
        group = rest
    while len(group) > 1:
        last, rest = group[-1], group[:-1]
        gap = max(int(last[0]) - int(rest[:, 1].max()),
                  int(last[2]) - int(rest[:, 3].max()),
                  int(rest[:, 2].min()) - int(last[3]))
        if last[1] - last[0] >= gap:
            break
        group = rest
    return group


def _trim(group: np.ndarray) -> np.ndarray:
    """Trim a passage's runs at its ends in a, then in b, in a again, ... until a trim drops
    none.

    The ends in b matter too: a chance match of common words just past the passage in b can
    sit between the passage's runs in a (common words match on many diagonals), where the trim
    in a never sees it."""
    swap = [2, 3, 0, 1]
    group = _trim_in_a_order(group)
    while True:
        size = len(group)
        group = _trim_in_a_order(group[:, swap])[:, swap]
        if len(group) == size:
            break
        size = len(group)
        group = _trim_in_a_order(group)
        if len(group) == size:
            break
    return group[np.lexsort((group[:, 2], group[:, 0]))]


def _covered(starts: np.ndarray, ends: np.ndarray) -> int:
    """Number of positions in the union of half-open ranges."""
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    previous = np.concatenate(([np.iinfo(np.int64).min], reach[:-1]))
    return int(np.maximum(e - np.maximum(s, previous), 0).sum())


def _extend(
    a: list[int], b: list[int], i: int, j: int, step: int, drop: int, share: dict[int, float]
) -> tuple[int, int]:
    """Greedy X-drop extension from the boundary ``(i, j)`` one token at a time.

    ``step`` is -1 to extend towards the starts (``a[i - 1]`` vs ``b[j - 1]``) or +1 towards the
    ends (``a[i]`` vs ``b[j]``). ``share`` maps each token of a to its share of a's tokens: the
    chance that a word drawn at random from a is that token, and so about the chance that it
    matches a word of b by accident. A match scores +1, or +2 for a token whose share is below
    ``CHANCE_BOUND``; a substitution, insertion or deletion scores -1. An edit is crossed only
    when the tokens matching after it are unlikely to match by chance: the product of their
    shares falls below ``CHANCE_BOUND`` within ``CROSSING_LOOKAHEAD`` tokens (a fixed count of
    matching words would let the commonest words carry a passage past its end; the bound is a
    statement about chance, so it holds for any text). Of substitution, deletion and insertion
    the first that fits is taken. Returns the position with the best score, so an edit is
    crossed only when more than it is won back after it.
    """
    n_a, n_b = len(a), len(b)
    off = -1 if step < 0 else 0

    def match(p: int, q: int) -> bool:
        p, q = p + off, q + off
        return 0 <= p < n_a and 0 <= q < n_b and a[p] == b[q]

    def chance(p: int) -> float:
        return share[a[p + off]] if 0 <= p + off < n_a else 1.0

    return extend_steps(match, chance, step, drop, i, j, 0, 0, i, j)


def _lexical_boxes(
    runs: np.ndarray, config: AlignConfig, a_hashes: np.ndarray, a_list: list[int],
    b_list: list[int],
) -> list[tuple[int, int, int, int]]:
    boxes = []
    share: dict[int, float] | None = None
    labels = _chain(runs, config.max_gap, config.ngram)
    # Most groups are a lone common phrase: skip those too short to matter before any work.
    matched = np.bincount(labels, weights=runs[:, 1] - runs[:, 0])
    for label in np.flatnonzero(matched >= config.min_length):
        members = np.flatnonzero(labels == label)
        group = _trim(_drop_repeats(runs[members]))
        a0, a1 = int(group[:, 0].min()), int(group[:, 1].max())
        b0, b1 = int(group[:, 2].min()), int(group[:, 3].max())
        covered = min(_covered(group[:, 0], group[:, 1]), _covered(group[:, 2], group[:, 3]))
        if covered < config.min_length:
            continue
        if covered < config.min_density * min(a1 - a0, b1 - b0):
            continue
        if share is None:
            values, counts = np.unique(a_hashes, return_counts=True)
            share = dict(zip(values.tolist(), (counts / len(a_hashes)).tolist(), strict=True))
        a0, b0 = _extend(a_list, b_list, a0, b0, -1, config.extend_drop, share)
        a1, b1 = _extend(a_list, b_list, a1, b1, +1, config.extend_drop, share)
        boxes.append((a0, a1, b0, b1))
    return merge_overlapping(boxes)


def merge_overlapping(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Union boxes that overlap in both documents: one passage, one alignment."""
    boxes = sorted(boxes)
    merged: list[list[int]] = []
    for box in boxes:
        for m in merged:
            if box[0] < m[1] and m[0] < box[1] and box[2] < m[3] and m[2] < box[3]:
                m[0], m[1] = min(m[0], box[0]), max(m[1], box[1])
                m[2], m[3] = min(m[2], box[2]), max(m[3], box[3])
                break
        else:
            merged.append(list(box))
    return [tuple(m) for m in merged]  # type: ignore[misc]


def lexical_boxes_reference(
    a_tokens: Tokens, b_tokens: Tokens, config: AlignConfig
) -> list[tuple[int, int, int, int]]:
    """Token boxes ``(a0, a1, b0, b1)`` of the lexical passages of one pair, found one step at a
    time: the plain definition that :func:`reuse.align.batch.lexical_boxes` must agree with."""
    if not len(a_tokens) or not len(b_tokens):
        return []
    runs = _seed_runs(a_tokens.hashes, b_tokens.hashes, config.ngram, config.max_occurrences)
    if not len(runs):
        return []
    a_list, b_list = a_tokens.hashes.tolist(), b_tokens.hashes.tolist()
    return sorted(_lexical_boxes(runs, config, a_tokens.hashes, a_list, b_list))
