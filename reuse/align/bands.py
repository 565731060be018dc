"""Seed-diagonal bands: where in two documents the passage seeds say reuse is.

A candidate document pair (:func:`reuse.sketch.windows.passage_candidates`) carries its *seeds*: the
token positions ``(i, j)`` of every passage fingerprint the two documents share. Reused text
shows up as seeds along a diagonal: each next seed a little further on in both documents, by
about as much in each (a loose translation or an edited version drifts off the diagonal
slowly, never jumps). Seeds that only share a common phrase lie alone.

:func:`seed_bands` links each seed to the next few seeds of its pair (in order of position in
the first document) that continue it: at most ``max_gap`` tokens further on in both documents,
with the two steps differing by at most ``slack + drift * max(step_a, step_b)`` tokens. A
connected group of at least ``min_seeds`` seeds is a *band*; a pair without a band has no
reuse worth aligning. :func:`band_windows` turns bands into the token boxes to align: each
band's seed range plus ``margin`` tokens on every side, clipped to the documents, with boxes
of one pair that overlap merged into one. A long document revised from another is one band
from end to end, so it stays one box, aligned whole; two books that share a few passages get
a few small boxes, so the aligner never reads the rest of them.

Everything is a few numpy passes over all seeds or boxes of all pairs together: nothing loops
over tokens or seeds in Python, and the cost grows with the number of seeds, not with the
lengths of the documents.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..common.ranges import expand_ranges
from ..common.sorting import sort_order
from ..engine import ordered_map
from ..text.tokenize import TokenBatch, Tokens
from . import compiled
from .alignment import Alignment
from .config import BandConfig

__all__ = ["BandConfig", "Boxes", "band_windows", "merge_along_bands", "merge_boxes",
           "merged_along_bands", "seed_bands", "token_slices"]


@dataclass(frozen=True)
class Boxes:
    """Token ranges of candidate pairs: box ``k`` is ``[a_lo, a_hi)`` of the pair's first
    document against ``[b_lo, b_hi)`` of its second, for pair ``pair[k]``. Sorted by pair,
    then ``a_lo``."""

    pair: np.ndarray
    a_lo: np.ndarray
    a_hi: np.ndarray
    b_lo: np.ndarray
    b_hi: np.ndarray

    def __len__(self) -> int:
        return len(self.pair)

    def take(self, index: np.ndarray) -> Boxes:
        return Boxes(self.pair[index], self.a_lo[index], self.a_hi[index], self.b_lo[index],
                     self.b_hi[index])

    @staticmethod
    def concat(parts: list[Boxes]) -> Boxes:
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            return Boxes(empty, empty, empty, empty, empty)
        return Boxes(*(np.concatenate([getattr(p, name) for p in parts])
                       for name in ("pair", "a_lo", "a_hi", "b_lo", "b_hi")))


# Seeds linked at a time by seed_bands (whole pairs; a pair with more seeds is one block).
SEED_BLOCK = 1 << 18


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _block_cuts(pair: np.ndarray, block_seeds: int) -> np.ndarray:
    """Cut points of sorted ``pair`` into blocks of whole pairs, each block at least
    ``block_seeds`` seeds long (the last may be shorter), from 0 to ``len(pair)``."""
    n = len(pair)
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    targets = np.arange(block_seeds, n, max(block_seeds, 1))
    at = np.searchsorted(starts, targets, "left")
    inner = starts[at[at < len(starts)]]
    return np.unique(np.r_[0, inner, n])


def _seed_components(pair: np.ndarray, a_pos: np.ndarray, b_pos: np.ndarray,
                     config: BandConfig) -> np.ndarray:
    """Component labels of seeds sorted by pair and position, linked as :func:`seed_bands`
    describes."""
    n = len(pair)
    if (kernels := compiled.kernels()) is not None:
        return kernels.seed_components(pair, a_pos, b_pos, config.lookahead, config.max_gap,
                                       config.slack, float(config.drift))
    links_from, links_to = [], []
    for lag in range(1, min(config.lookahead, n - 1) + 1):
        step_a = a_pos[lag:] - a_pos[:-lag]
        step_b = b_pos[lag:] - b_pos[:-lag]
        linked = (
            (pair[lag:] == pair[:-lag]) & (step_a > 0) & (step_b > 0)
            & (step_a <= config.max_gap) & (step_b <= config.max_gap)
            & (np.abs(step_a - step_b)
               <= config.slack + config.drift * np.maximum(step_a, step_b))
        )
        at = np.flatnonzero(linked)
        links_from.append(at)
        links_to.append(at + lag)
    if not links_from:
        return np.arange(n)
    return _components(n, np.concatenate(links_from), np.concatenate(links_to))


def _block_components(block: tuple[np.ndarray, np.ndarray, np.ndarray, BandConfig]
                      ) -> np.ndarray:
    return _seed_components(*block)


def seed_bands(
    pair: np.ndarray, a_pos: np.ndarray, b_pos: np.ndarray, seed_length: int,
    config: BandConfig = BandConfig(), block_seeds: int = SEED_BLOCK, workers: int = 1,
) -> Boxes:
    """The bands of the seeds ``(a_pos[s], b_pos[s])`` of pair ``pair[s]``, as the token boxes
    their seeds span (``seed_length`` tokens from each seed's position). Seeds in no band of at
    least ``config.min_seeds`` seeds are dropped. Memory grows with ``block_seeds`` (whole
    pairs of about that many seeds are linked at a time, in ``workers`` processes), not with
    the number of seeds; the result depends on neither."""
    pair = np.asarray(pair, dtype=np.int64)
    a_pos = np.asarray(a_pos, dtype=np.int64)
    b_pos = np.asarray(b_pos, dtype=np.int64)
    n = len(pair)
    if n == 0:
        return Boxes.concat([])
    order = sort_order(pair, a_pos, b_pos)
    pair, a_pos, b_pos = pair[order], a_pos[order], b_pos[order]
    # The links of all seeds at once would take lookahead * 16 bytes per seed, and the graph
    # more: the components are found a block of whole pairs at a time (a band never spans two
    # pairs), and numbered as one pass over all seeds would number them.
    label = np.empty(n, dtype=np.int64)
    next_label = 0
    cuts = _block_cuts(pair, block_seeds).tolist()
    blocks = ((pair[lo:hi], a_pos[lo:hi], b_pos[lo:hi], config)
              for lo, hi in itertools.pairwise(cuts))
    for (lo, hi), block_label in zip(itertools.pairwise(cuts),
                                     ordered_map(_block_components, blocks,
                                                 min(workers, len(cuts) - 1)), strict=True):
        label[lo:hi] = block_label + next_label
        next_label += int(block_label.max()) + 1
    sizes = np.bincount(label)
    kept = sizes[label] >= config.min_seeds
    if not kept.any():
        return Boxes.concat([])
    label, pair, a_pos, b_pos = label[kept], pair[kept], a_pos[kept], b_pos[kept]
    band_order = np.argsort(label, kind="stable")
    label, pair, a_pos, b_pos = (x[band_order] for x in (label, pair, a_pos, b_pos))
    starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    boxes = Boxes(
        pair[starts],
        np.minimum.reduceat(a_pos, starts), np.maximum.reduceat(a_pos, starts) + seed_length,
        np.minimum.reduceat(b_pos, starts), np.maximum.reduceat(b_pos, starts) + seed_length,
    )
    return boxes.take(np.lexsort((boxes.a_lo, boxes.pair)))


def merge_boxes(boxes: Boxes, reach: int = 0, max_rounds: int = 64) -> Boxes:
    """The boxes of each pair with every two that overlap (in both documents) replaced by the
    box spanning both, until no two overlap. With ``reach``, boxes less than ``reach`` tokens
    apart in both documents count as overlapping. Sorted by pair, then ``a_lo``."""
    for _ in range(max_rounds):
        if len(boxes) < 2:
            return boxes
        boxes = boxes.take(np.lexsort((boxes.a_lo, boxes.pair)))
        n = len(boxes)
        # Boxes of one pair sorted by a_lo: box k overlaps a later box m in the first document
        # only if a_lo[m] < max(a_hi[k..m-1]); a running maximum per pair bounds the partners.
        links_from, links_to = [], []
        lag = 1
        while lag < n:
            same = boxes.pair[lag:] == boxes.pair[:-lag]
            near_in_a = same & (boxes.a_lo[lag:] < boxes.a_hi[:-lag] + reach)
            overlap = (
                near_in_a & (boxes.b_lo[lag:] < boxes.b_hi[:-lag] + reach)
                & (boxes.b_lo[:-lag] < boxes.b_hi[lag:] + reach)
            )
            at = np.flatnonzero(overlap)
            links_from.append(at)
            links_to.append(at + lag)
            # Later lags can only find overlaps while some box still reaches past the box
            # `lag` places after it in the first document.
            if not near_in_a.any():
                break
            lag += 1
            if lag > 32:
                break
        left, right = np.concatenate(links_from), np.concatenate(links_to)
        if not len(left):
            return boxes
        label = _components(n, left, right)
        order = np.argsort(label, kind="stable")
        label = label[order]
        starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
        boxes = Boxes(
            boxes.pair[order][starts],
            np.minimum.reduceat(boxes.a_lo[order], starts),
            np.maximum.reduceat(boxes.a_hi[order], starts),
            np.minimum.reduceat(boxes.b_lo[order], starts),
            np.maximum.reduceat(boxes.b_hi[order], starts),
        )
    return boxes.take(np.lexsort((boxes.a_lo, boxes.pair)))


def band_windows(bands: Boxes, a_length: np.ndarray, b_length: np.ndarray, margin: int
                 ) -> Boxes:
    """The boxes to align: each band widened by ``margin`` tokens on every side, clipped to the
    documents (``a_length[k]``/``b_length[k]`` tokens for pair ``k``), and the boxes of a pair
    that overlap or lie within ``margin`` tokens of each other in both documents merged (a
    loose translation breaks its band where a few verses share no seed: one box goes on)."""
    pair = bands.pair
    widened = Boxes(
        pair,
        np.maximum(bands.a_lo - margin, 0), np.minimum(bands.a_hi + margin, a_length[pair]),
        np.maximum(bands.b_lo - margin, 0), np.minimum(bands.b_hi + margin, b_length[pair]),
    )
    return merge_boxes(widened, reach=margin)


def token_slices(tokens: TokenBatch, doc: np.ndarray, lo: np.ndarray, hi: np.ndarray
                 ) -> tuple[TokenBatch, np.ndarray]:
    """A token batch of the slices ``tokens[lo[k]:hi[k]]`` of documents ``doc[k]`` (token
    ranges), with offsets relative to each slice's text: the slice's characters start at the
    returned ``char_start[k]`` of the document's text (its first token's start) and end at its
    last token's end."""
    doc, lo, hi = (np.asarray(x, dtype=np.int64) for x in (doc, lo, hi))
    base = tokens.bounds[doc]
    index = expand_ranges(base + lo, base + hi)[1]
    lengths = hi - lo
    bounds = np.zeros(len(doc) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    char_start = np.where(lengths > 0, tokens.starts[np.minimum(base + lo, len(tokens.starts) - 1)]
                          if len(tokens.starts) else 0, 0)
    shift = np.repeat(char_start, lengths)
    sliced = TokenBatch(tokens.hashes[index], tokens.starts[index] - shift,
                        tokens.ends[index] - shift, bounds)
    return sliced, char_start


def merge_along_bands(alignments: list[Alignment], a_tokens: Tokens, b_tokens: Tokens,
                      config: BandConfig = BandConfig()) -> list[Alignment]:
    """The passages of one box (``a_tokens``/``b_tokens`` are its two sides, which the
    alignments' offsets refer to), with consecutive ones that continue each other joined.

    Two passages, one after the other in both documents, with a gap of at most
    ``config.merge_gap`` tokens in each and gaps as consistent as two seeds of a band
    (``|gap_a - gap_b| <= slack + drift * max(gap_a, gap_b)``), are one reused stretch whose
    middle was rewritten beyond what the aligner matches word for word (a loose translation,
    a revised verse): they become one alignment, the gap one edit of it. Its ends stay those
    of the passages, on word boundaries. Returns the alignments sorted by position.
    """
    if len(alignments) < 2:
        return alignments
    alignments = sorted(alignments, key=lambda al: (al.a_start, al.b_start, al.a_end, al.b_end))
    a0 = np.searchsorted(a_tokens.starts, [al.a_start for al in alignments], "left").tolist()
    a1 = (np.searchsorted(a_tokens.ends, [al.a_end for al in alignments], "left") + 1).tolist()
    b0 = np.searchsorted(b_tokens.starts, [al.b_start for al in alignments], "left").tolist()
    b1 = (np.searchsorted(b_tokens.ends, [al.b_end for al in alignments], "left") + 1).tolist()
    merged = [alignments[0]]
    end_a, end_b = a1[0], b1[0]
    for k in range(1, len(alignments)):
        gap_a, gap_b = a0[k] - end_a, b0[k] - end_b
        widest = max(gap_a, gap_b)
        if (gap_a >= 0 and gap_b >= 0 and widest <= config.merge_gap
                and abs(gap_a - gap_b) <= config.slack + config.drift * widest):
            gap = (_span(a_tokens, end_a, a0[k]), _span(b_tokens, end_b, b0[k]))
            merged[-1] = _joined(merged[-1], alignments[k], gap_a, gap_b, *gap)
        else:
            merged.append(alignments[k])
        end_a, end_b = a1[k], b1[k]
    return merged


def merged_along_bands(found: Sequence[list[Alignment]], boxes: Sequence[int],
                       batch: TokenBatch, n: int, config: BandConfig = BandConfig()
                       ) -> list[list[Alignment]]:
    """:func:`merge_along_bands` of the alignments ``found[k]`` of each box ``k`` of ``boxes``,
    whose two sides are the documents ``k`` and ``n + k`` of ``batch``, with the same result:
    the order, the token positions and which passages continue each other are found for all
    boxes at once, and only the joins are made one at a time."""
    out = [found[k] for k in boxes]
    several = [i for i, k in enumerate(boxes) if len(found[k]) > 1]
    if not several:
        return out
    ks = np.array([boxes[i] for i in several], dtype=np.int64)
    sizes = np.fromiter((len(found[k]) for k in ks.tolist()), dtype=np.int64, count=len(ks))
    flat = list(itertools.chain.from_iterable(found[k] for k in ks.tolist()))
    rows = np.fromiter(itertools.chain.from_iterable(map(_SORT_FIELDS, flat)), dtype=np.int64,
                       count=4 * len(flat)).reshape(-1, 4)
    owner = np.repeat(np.arange(len(ks)), sizes)
    # merge_along_bands's order: by box, then (a_start, b_start, a_end, b_end), ties kept.
    order = np.lexsort((rows[:, 3], rows[:, 2], rows[:, 1], rows[:, 0], owner))
    rows, owner = rows[order], owner[order]
    a_doc, b_doc = ks[owner], ks[owner] + n
    a0, b0 = batch.search(a_doc, rows[:, 0]), batch.search(b_doc, rows[:, 1])
    a1 = batch.search(a_doc, rows[:, 2], "ends") + 1
    b1 = batch.search(b_doc, rows[:, 3], "ends") + 1
    gap_a, gap_b = a0[1:] - a1[:-1], b0[1:] - b1[:-1]
    widest = np.maximum(gap_a, gap_b)
    joins = ((owner[1:] == owner[:-1]) & (gap_a >= 0) & (gap_b >= 0)
             & (widest <= config.merge_gap)
             & (np.abs(gap_a - gap_b) <= config.slack + config.drift * widest))
    joining = np.zeros(len(ks), dtype=bool)
    joining[owner[1:][joins]] = True
    ends = np.cumsum(sizes).tolist()
    ordered = [flat[x] for x in order.tolist()]
    joins_list = [False, *joins.tolist()]  # row t continues row t - 1
    # Each passage's first token and the one after its last, on each side.
    a_from, a_to, b_from, b_to = a0.tolist(), a1.tolist(), b0.tolist(), b1.tolist()
    for j, (i, start, end) in enumerate(zip(several, [0, *ends[:-1]], ends, strict=True)):
        if not joining[j]:
            out[i] = ordered[start:end]
            continue
        k = boxes[i]
        a_tokens, b_tokens = batch.doc(k), batch.doc(n + k)
        merged = [ordered[start]]
        for t in range(start + 1, end):
            if joins_list[t]:
                gap = (_span(a_tokens, a_to[t - 1], a_from[t]),
                       _span(b_tokens, b_to[t - 1], b_from[t]))
                merged[-1] = _joined(merged[-1], ordered[t], a_from[t] - a_to[t - 1],
                                     b_from[t] - b_to[t - 1], *gap)
            else:
                merged.append(ordered[t])
        out[i] = merged
    return out


# An alignment's offsets in merge_along_bands's order of passages.
_SORT_FIELDS = operator.attrgetter("a_start", "b_start", "a_end", "b_end")


def _span(tokens: Tokens, lo: int, hi: int) -> tuple[int, int]:
    """Raw-text span of tokens ``[lo, hi)``; an empty range sits at the end of token
    ``lo - 1``, as the aligner's edits do."""
    if hi > lo:
        return int(tokens.starts[lo]), int(tokens.ends[hi - 1])
    at = int(tokens.ends[lo - 1]) if lo > 0 else int(tokens.starts[0])
    return at, at


def _joined(first: Alignment, second: Alignment, gap_a: int, gap_b: int,
            a_gap: tuple[int, int], b_gap: tuple[int, int]) -> Alignment:
    """``first`` and ``second`` as one alignment, the text between them one edit."""
    edits = list(first.edits)
    if gap_a or gap_b:
        op = "replace" if gap_a and gap_b else ("delete" if gap_a else "insert")
        edits.append((op, *a_gap, *b_gap))
    edits += second.edits
    a_tokens = first.a_tokens + gap_a + second.a_tokens
    b_tokens = first.b_tokens + gap_b + second.b_tokens
    matched = first.matched_tokens + second.matched_tokens
    return Alignment(
        a_start=first.a_start, a_end=second.a_end, b_start=first.b_start, b_end=second.b_end,
        a_tokens=a_tokens, b_tokens=b_tokens, matched_tokens=matched,
        similarity=2 * matched / (a_tokens + b_tokens),
        method="lexical" if first.method == second.method == "lexical" else "paraphrase",
        edits=edits,
    )
