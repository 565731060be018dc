"""Candidate document pair → every reused passage, as exact spans in both documents.

The aligner works on token hashes (see :mod:`reuse.tokenize`), so changed case, punctuation,
whitespace, dashes and quotes never break a match, and it maps token positions back to raw-text
offsets with ``Tokens.starts``/``Tokens.ends``. Two kinds of seeds find passages:

**Lexical.** Shared word n-grams (``ngram`` tokens) are found by a sorted hash join; n-grams
occurring more than ``max_occurrences`` times in either document are skipped. Consecutive
shared n-grams on one diagonal form a *run*, an exact match. A run continues an earlier one when
it starts at most ``max_gap`` tokens after it ends in both documents (local continuation, so a
phrase that recurs inside a passage cannot pull text from elsewhere in). A run whose tokens in
one document lie inside the larger range of another run of the passage aligns repeated words a
second time and is dropped. Runs at a passage's ends that are shorter than the gap separating
them from the rest are trimmed off; a passage needs ``min_length`` matched tokens and a
``min_density`` share of matched tokens. Its boundaries are then extended token by token across
small edits (X-drop, where matching a token that occurs once in a counts double), so they land
on the first and last shared words. The edit script comes from
:func:`rapidfuzz.distance.Indel.opcodes` on the token hashes; a passage of more than
``_WHOLE_BOX_CELLS`` (10⁹) token pairs, whose Indel bit matrix would take over 125 MB, is
aligned piecewise between anchors, exact matches of shingles that occur as often on each side
(:func:`_piecewise_editops`), so that memory and time follow the stretches between them.

:func:`align_pair` finds the lexical passages of one pair step by step
(:func:`lexical_boxes_reference`); :func:`align_batch` and :func:`align_token_batch` find those
of many pairs together with a few numpy passes over all of them (:mod:`reuse.align_batch`),
with the same results, several times faster.

**Paraphrase** (``paraphrase=True``, :mod:`reuse.paraphrase`), after the best PAN 2014
text-alignment system (Sanchez-Perez, Sidorov and Gelbukh), written from its description:
sentences get TF-IDF vectors over both documents' sentences (stop words removed, words cut to 5
letters as a crude stemmer); a sentence pair with cosine > ``sentence_cosine`` and Dice >
``sentence_dice`` is a seed. Seeds are clustered by splitting on gaps of more than
``sentence_gap`` sentences in a, then in b, until stable; a cluster whose sentences are not
similar enough as a whole (``min_paraphrase_similarity``) is clustered again with a smaller
gap, and a kept one grows by the neighbouring sentence pairs that are loosely similar
(``grow_similarity``). A summary is found with looser seeds (``summary_similarity``) and a wide
gap in b (``summary_gap``), and kept only when it condenses most of b (see
:func:`reuse.paraphrase._summaries`).

Where the two overlap, near-verbatim lexical passages win (exact boundaries); otherwise the
paraphrase passage absorbs the lexical fragments inside it, so one reused passage gives one
alignment.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import Editops, Indel

from .align_batch import _CHAIN_LOOKBACK, extend_steps, lexical_boxes
from .config import check_range
from .errors import ConfigError
from .ocr_seeds import with_ocr_boxes
from .paraphrase import (
    _overlaps,
    _paraphrase_boxes,
    _sentence_model,
    _sentence_models,
    _SentenceModel,
    _sentences,
)
from .shingle import shingle
from .tokenize import (
    TokenBatch,
    Tokens,
    tokenize,
    tokenize_batch,
)

__all__ = [
    "AlignConfig", "Alignment", "align_batch", "align_pair", "align_token_batch",
    "alignments_frame", "lexical_boxes_reference",
]

@dataclass(frozen=True)
class AlignConfig:
    """How passages are found. Lengths and gaps are in tokens unless named after sentences.

    ``ngram``: tokens per lexical seed. ``min_length``: shortest passage reported, in tokens on
    both sides (default 25, about 140 characters of English; chosen on PAN 2013, see
    ``benchmarks/results_pan.md``). ``max_gap``: the widest stretch of unmatched tokens inside a
    lexical passage. ``min_density``: least share of a passage's tokens (on its shorter side)
    that lexical seeds cover. ``max_occurrences``: n-grams occurring more often than this in
    either document are too common to seed. ``extend_drop``: how far below its best score a
    boundary extension may fall before it stops.

    ``paraphrase``: also use sentence TF-IDF seeds. ``sentence_cosine``/``sentence_dice``:
    thresholds for a sentence pair to seed. ``sentence_gap``: most unmatched sentences inside a
    paraphrased passage. ``min_paraphrase_similarity``: least TF-IDF cosine of a whole
    paraphrased passage. ``grow_similarity``: cosine and Dice above which the sentence pair
    next to a paraphrased passage joins it. ``summary_similarity``: cosine and Dice thresholds
    of summary seeds.
    ``summary_ratio``: a summary spans at least this many times fewer tokens than its source
    passage. ``summary_gap``: the sentence gap allowed in the source of a summary.
    ``summary_whole_source``: a summary's source passage is the whole of b (see
    :func:`reuse.paraphrase._summaries`).
    ``copy_reach``: in a pair with verbatim copies (lexical passages of similarity 0.95 and
    up), a paraphrase passage is kept only within this many tokens (in a) of one (a value
    past the documents' length keeps them all).
    ``merge_gap``: a paraphrase passage and another passage at most this many tokens apart in a
    become one (-1: never).
    ``ocr_tolerant``: also seed from character 7-grams of letters folded for OCR confusions
    (:mod:`reuse.ocr_seeds`), which finds OCR'd copies whose word 3-grams rarely survive (off by
    default: it costs time on clean text, where word seeds suffice).
    """

    ngram: int = 3
    min_length: int = 25
    max_gap: int = 20
    min_density: float = 0.3
    max_occurrences: int = 20
    extend_drop: int = 3
    paraphrase: bool = True
    sentence_cosine: float = 0.33
    sentence_dice: float = 0.33
    sentence_gap: int = 4
    min_paraphrase_similarity: float = 0.34
    grow_similarity: float = 0.2
    summary_similarity: float = 0.25
    summary_ratio: float = 3.0
    summary_gap: int = 24
    summary_whole_source: bool = True
    copy_reach: int = 40
    merge_gap: int = 30
    ocr_tolerant: bool = False

    def validate(self) -> AlignConfig:
        owner = "AlignConfig"
        check_range("ngram", self.ngram, int, 1, 64, owner)
        check_range("min_length", self.min_length, int, 1, 10**9, owner)
        check_range("max_gap", self.max_gap, int, 0, 10**6, owner)
        check_range("min_density", self.min_density, float, 0.0, 1.0, owner)
        check_range("max_occurrences", self.max_occurrences, int, 1, 10**9, owner)
        check_range("extend_drop", self.extend_drop, int, 0, 1000, owner)
        if not isinstance(self.paraphrase, bool):
            raise ConfigError(
                "The 'paraphrase' parameter of AlignConfig must be a bool. "
                f"Got {self.paraphrase!r} instead."
            )
        if not isinstance(self.ocr_tolerant, bool):
            raise ConfigError(
                "The 'ocr_tolerant' parameter of AlignConfig must be a bool. "
                f"Got {self.ocr_tolerant!r} instead."
            )
        check_range("sentence_cosine", self.sentence_cosine, float, 0.0, 1.0, owner)
        check_range("sentence_dice", self.sentence_dice, float, 0.0, 1.0, owner)
        check_range("sentence_gap", self.sentence_gap, int, 0, 10**6, owner)
        check_range(
            "min_paraphrase_similarity", self.min_paraphrase_similarity, float, 0.0, 1.0, owner
        )
        check_range("grow_similarity", self.grow_similarity, float, 0.0, 1.0, owner)
        check_range("summary_similarity", self.summary_similarity, float, 0.0, 1.0, owner)
        check_range("summary_ratio", self.summary_ratio, float, 1.0, 1e9, owner)
        check_range("summary_gap", self.summary_gap, int, 0, 10**6, owner)
        if not isinstance(self.summary_whole_source, bool):
            raise ConfigError(
                "The 'summary_whole_source' parameter of AlignConfig must be a bool. "
                f"Got {self.summary_whole_source!r} instead."
            )
        check_range("copy_reach", self.copy_reach, int, 0, 10**9, owner)
        check_range("merge_gap", self.merge_gap, int, -1, 10**9, owner)
        return self


@dataclass(frozen=True)
class Alignment:
    """One reused passage: ``a_text[a_start:a_end]`` reuses ``b_text[b_start:b_end]``.

    All offsets are half-open code-point offsets into the raw text. ``a_tokens``/``b_tokens``
    count the tokens inside each span, ``matched_tokens`` those equal on both sides after
    normalization, and ``similarity = 2 * matched_tokens / (a_tokens + b_tokens)``. ``method``
    is ``'lexical'`` (found from shared n-grams) or ``'paraphrase'`` (sentence TF-IDF).
    ``edits`` lists ``(op, a_start, a_end, b_start, b_end)`` raw-text edits inside the passage
    (op ``'replace'``, ``'insert'`` or ``'delete'``); an empty side has ``start == end``.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_tokens: int
    b_tokens: int
    matched_tokens: int
    similarity: float
    method: str
    edits: list[tuple[str, int, int, int, int]]


# ----------------------------------------------------------------------------- lexical seeds


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


# ---------------------------------------------------------------------- clustering into passages


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
    lags = np.arange(1, min(_CHAIN_LOOKBACK, m - 1) + 1)
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


# ---------------------------------------------------------------------------- boundary refinement


def _extend(
    a: list[int], b: list[int], i: int, j: int, step: int, drop: int, rare: set[int]
) -> tuple[int, int]:
    """Greedy X-drop extension from the boundary ``(i, j)`` one token at a time.

    ``step`` is -1 to extend towards the starts (``a[i - 1]`` vs ``b[j - 1]``) or +1 towards the
    ends (``a[i]`` vs ``b[j]``). A match scores +1, or +2 for a token in ``rare`` (one that
    occurs once in a, so that matching it is no coincidence); a substitution, insertion or
    deletion scores -1 and is chosen so that the next tokens match. Returns the position with
    the best score, so an edit is crossed only when more than it is won back after it.
    """
    n_a, n_b = len(a), len(b)
    off = -1 if step < 0 else 0

    def match(p: int, q: int) -> bool:
        p, q = p + off, q + off
        return 0 <= p < n_a and 0 <= q < n_b and a[p] == b[q]

    def rare_at(p: int) -> bool:
        return 0 <= p + off < n_a and a[p + off] in rare

    return extend_steps(match, rare_at, step, drop, i, j, 0, 0, i, j)


# ------------------------------------------------------------------------------ the aligner


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


def _make_alignment(
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


def _lexical_boxes(
    runs: np.ndarray, config: AlignConfig, a_hashes: np.ndarray, a_list: list[int],
    b_list: list[int],
) -> list[tuple[int, int, int, int]]:
    boxes = []
    rare: set[int] | None = None
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
        if rare is None:
            values, counts = np.unique(a_hashes, return_counts=True)
            rare = set(values[counts == 1].tolist())
        a0, b0 = _extend(a_list, b_list, a0, b0, -1, config.extend_drop, rare)
        a1, b1 = _extend(a_list, b_list, a1, b1, +1, config.extend_drop, rare)
        boxes.append((a0, a1, b0, b1))
    return _merge_overlapping(boxes)


def _merge_overlapping(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
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


_LEXICAL_COVER = 0.8
_VERBATIM_COVER = 0.4
_VERBATIM_SIMILARITY = 0.9
# Lexical passages at least this similar are verbatim copies for _near_copies: edited copies
# (0.9 and up) come from reworded reuse as well.
_COPY_SIMILARITY = 0.95


def _combine(
    lexical: dict[tuple[int, int, int, int], Alignment],
    paraphrased: list[tuple[int, int, int, int]],
) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int, int, int]]]:
    """Decide between lexical and paraphrase passages that overlap.

    Lexical passages stand for a paraphrase passage when they cover most of it, or when they
    are near-verbatim copies covering a good part of it: their boundaries are exact, and the
    sentences around a verbatim copy often look alike without being reused. Otherwise the
    paraphrase passage absorbs the lexical fragments inside it, so that one reused passage gives
    one alignment.
    """
    remaining = list(lexical)
    kept: list[tuple[int, int, int, int]] = []
    for box in paraphrased:
        inside = [lex for lex in remaining if _overlaps(box, lex)]
        if not inside:
            kept.append(box)
            continue
        covered = sum(min(lex[1], box[1]) - max(lex[0], box[0]) for lex in inside)
        length = box[1] - box[0]
        verbatim = min(lexical[lex].similarity for lex in inside) >= _VERBATIM_SIMILARITY
        if covered >= _LEXICAL_COVER * length or (
            verbatim and covered >= _VERBATIM_COVER * length
        ):
            continue
        remaining = [lex for lex in remaining if lex not in inside]
        kept.append((min(box[0], *(lex[0] for lex in inside)),
                     max(box[1], *(lex[1] for lex in inside)),
                     min(box[2], *(lex[2] for lex in inside)),
                     max(box[3], *(lex[3] for lex in inside))))
    return remaining, _merge_overlapping(kept)


def lexical_boxes_reference(
    a_tokens: Tokens, b_tokens: Tokens, config: AlignConfig
) -> list[tuple[int, int, int, int]]:
    """Token boxes ``(a0, a1, b0, b1)`` of the lexical passages of one pair, found one step at a
    time: the plain definition that :func:`reuse.align_batch.lexical_boxes` must agree with."""
    if not len(a_tokens) or not len(b_tokens):
        return []
    runs = _seed_runs(a_tokens.hashes, b_tokens.hashes, config.ngram, config.max_occurrences)
    if not len(runs):
        return []
    a_list, b_list = a_tokens.hashes.tolist(), b_tokens.hashes.tolist()
    return sorted(_lexical_boxes(runs, config, a_tokens.hashes, a_list, b_list))


def _near_copies(
    paraphrased: list[tuple[int, int, int, int]], copies: list[tuple[int, int, int, int]],
    reach: int,
) -> list[tuple[int, int, int, int]]:
    """The paraphrase passages that lie within ``reach`` tokens in a of a verbatim copy, when
    the pair has copies; all of them when it has none.

    A document that copies text word for word has no need to reword it: once a pair shows
    verbatim copies, a paraphrase passage far from them is far more often two texts on one
    topic (or shared boilerplate) than reworded reuse, while one next to a copy continues it
    (a summary quoting a sentence, a copy whose edges were reworded)."""
    if not copies:
        return paraphrased
    return [p for p in paraphrased
            if any(p[0] < c[1] + reach and c[0] < p[1] + reach for c in copies)]


def _merge_adjacent(
    lexical: list[tuple[int, int, int, int]], paraphrased: list[tuple[int, int, int, int]],
    gap: int,
) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int, int, int]]]:
    """Passages at most ``gap`` tokens apart in a, at least one of them a paraphrase passage,
    made one paraphrase passage spanning both (in b too): a stretch of a that rewrites text
    continues across a sentence whose words changed too much to seed, so its pieces are one
    reuse, however far apart their sources lie in b (a summary gathers sentences from all
    over its source). Two lexical passages stay apart: exact matches bound them."""
    boxes = sorted([(box, True) for box in lexical] + [(box, False) for box in paraphrased])
    merged: list[tuple[tuple[int, int, int, int], bool]] = []
    for box, is_lexical in boxes:
        if (gap >= 0 and merged and box[0] - merged[-1][0][1] <= gap
                and not (is_lexical and merged[-1][1])):
            last = merged[-1][0]
            merged[-1] = ((min(last[0], box[0]), max(last[1], box[1]),
                           min(last[2], box[2]), max(last[3], box[3])), False)
        else:
            merged.append((box, is_lexical))
    return ([box for box, is_lexical in merged if is_lexical],
            [box for box, is_lexical in merged if not is_lexical])


def _position(al: Alignment) -> tuple[int, int, int, int]:
    """Sort key of a pair's alignments: by position in a, then in b."""
    return al.a_start, al.b_start, al.a_end, al.b_end


def _paraphrase_combined(
    a_tokens: Tokens, b_tokens: Tokens, config: AlignConfig,
    found: dict[tuple[int, int, int, int], Alignment], model: _SentenceModel | None,
) -> list[Alignment]:
    """Lexical alignments ``found`` (keyed by token box) combined with the paraphrase passages
    of the pair's sentence ``model``."""
    verbatim = [box for box, al in found.items() if al.similarity >= _VERBATIM_SIMILARITY]
    paraphrase_boxes = _near_copies(
        _paraphrase_boxes(model, len(b_tokens), config, verbatim),
        [box for box, al in found.items() if al.similarity >= _COPY_SIMILARITY],
        config.copy_reach,
    )
    if not paraphrase_boxes:
        return sorted(found.values(), key=_position)
    a_list = a_tokens.hashes.tolist()
    b_list = b_tokens.hashes.tolist()
    lexical, paraphrased = _merge_adjacent(*_combine(found, paraphrase_boxes), config.merge_gap)
    alignments = [found[box] for box in lexical] + [
        _make_alignment(box, a_tokens, b_tokens, "paraphrase", a_list, b_list)
        for box in paraphrased
    ]
    alignments.sort(key=_position)
    return alignments


def _merged(boxes: np.ndarray) -> np.ndarray:
    """Rows ``pair, a0, a1, b0, b1`` (sorted by pair) with each pair's overlapping boxes
    united (:func:`_merge_overlapping`)."""
    pair = boxes[:, 0]
    repeated = pair[1:] == pair[:-1]
    crowded = np.r_[False, repeated] | np.r_[repeated, False]
    if not crowded.any():
        return boxes
    rows = [boxes[~crowded]]
    for k in np.unique(pair[crowded]).tolist():
        mine = boxes[pair == k, 1:]
        merged = _merge_overlapping([tuple(r) for r in mine.tolist()])  # type: ignore[misc]
        rows.append(np.array([(k, *box) for box in merged], dtype=np.int64).reshape(-1, 5))
    out = np.concatenate(rows)
    return out[np.argsort(out[:, 0], kind="stable")]


def _lexical_alignments(
    tokens: TokenBatch, left: np.ndarray, right: np.ndarray, boxes: np.ndarray
) -> tuple[np.ndarray, list[Alignment]]:
    """An :class:`Alignment` per box row ``pair, a0, a1, b0, b1`` (rows sorted by pair).

    Returns the rows and their alignments, each pair's in the order of :func:`_position`. The
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
    scripts = list(map(_editops, *_token_sequences(tokens.hashes, a_lo, a_hi, b_lo, b_hi)))
    per_box = np.fromiter(map(len, scripts), dtype=np.int64, count=len(scripts))
    # Indel's edit operations ``(tag, i, j)``, one token each: a 'delete' takes a[i] (next
    # position i + 1, j), an 'insert' b[j] (next i, j + 1). Consecutive operations with no
    # matched token between them are one edit, as between two 'equal' opcodes (_edit_script).
    flat = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(scripts)),
                       dtype=object, count=3 * int(per_box.sum())).reshape(-1, 3)
    deleted = flat[:, 0] == "delete"
    i, j = flat[:, 1].astype(np.int64), flat[:, 2].astype(np.int64)
    box = np.repeat(np.arange(len(boxes)), per_box)
    matched = n_a - np.bincount(box[deleted], minlength=len(boxes))
    next_i, next_j = i + deleted, j + ~deleted
    continues = (box[1:] == box[:-1]) & (i[1:] == next_i[:-1]) & (j[1:] == next_j[:-1])
    opens, closes = np.ones(len(box), dtype=bool), np.ones(len(box), dtype=bool)
    opens[1:] = closes[:-1] = ~continues
    first, last = np.flatnonzero(opens), np.flatnonzero(closes)
    edit_box = box[first]
    a0, a1, b0, b1 = i[first], next_i[last], j[first], next_j[last]
    kind = (a1 > a0).astype(np.int64) + 2 * (b1 > b0)
    edits = list(zip(_EDIT_NAMES[kind].tolist(), *_raw_spans(starts, ends, a_lo[edit_box], a0, a1),
                     *_raw_spans(starts, ends, b_lo[edit_box], b0, b1), strict=True))
    cuts = np.searchsorted(edit_box, np.arange(len(boxes) + 1)).tolist()
    alignments = _alignments(
        a_start.tolist(), a_end.tolist(), b_start.tolist(), b_end.tolist(), n_a.tolist(),
        n_b.tolist(), matched.tolist(), (2 * matched / (n_a + n_b)).tolist(),
        ["lexical"] * len(boxes), [edits[x:y] for x, y in itertools.pairwise(cuts)],
    )
    return boxes, alignments


_ALIGNMENT_FIELDS = tuple(f.name for f in fields(Alignment))


def _alignments(*columns: Iterable[Any]) -> list[Alignment]:
    """``Alignment(*row)`` for each row of the field ``columns``, without the dataclass
    ``__init__`` (which sets each field through ``object.__setattr__``, as frozen dataclasses
    do): the same objects, about twice as fast to make."""
    new = object.__new__
    out = []
    for row in zip(*columns, strict=True):
        alignment = new(Alignment)
        alignment.__dict__.update(zip(_ALIGNMENT_FIELDS, row, strict=True))
        out.append(alignment)
    return out


_EDIT_NAMES = np.array([None, "delete", "insert", "replace"], dtype=object)  # by (has_a, has_b)
_MAX_CODE = 0x110000 - 0x800  # code points usable as token ids, surrogates skipped


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
    ids, distinct = pd.factorize(gathered)
    cuts = offsets.tolist()
    if len(distinct) > _MAX_CODE:
        sequence: str | list[int] = gathered.view(np.int64).tolist()
    else:
        if len(distinct) > 0xD800:
            ids += (ids >= 0xD800) * 0x800
        sequence = ids.astype(np.uint32).tobytes().decode("utf-32-le")
    return ([sequence[x:y] for x, y in zip(cuts[0:-1:2], cuts[1::2], strict=True)],
            [sequence[x:y] for x, y in zip(cuts[1:-1:2], cuts[2::2], strict=True)])


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


# ------------------------------------------------------------ edit scripts of long passages

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


def _editops(a: str | list[int], b: str | list[int]) -> list[tuple[str, int, int]]:
    """Indel's edit operations ``(tag, i, j)`` from ``a`` to ``b``, one token each (a 'delete'
    drops ``a[i]``, an 'insert' adds ``b[j]``): from Indel on the whole box up to
    ``_WHOLE_BOX_CELLS`` token pairs, else piecewise (:func:`_piecewise_editops`)."""
    if len(a) * len(b) <= _WHOLE_BOX_CELLS:
        return Indel.editops(a, b).as_list()
    return _piecewise_editops(a, b)


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


def align_token_batch(
    tokens: TokenBatch,
    left: np.ndarray,
    right: np.ndarray,
    config: AlignConfig,
    texts: Sequence[str] | None = None,
    *,
    paraphrase_skipped: list[int] | None = None,
) -> list[list[Alignment]]:
    """Alignments of the document pairs ``(left[k], right[k])`` of a token batch, one list per
    pair: :func:`align_batch` for callers that tokenized many documents together (a document
    may take part in many pairs). ``texts`` are the batch's raw texts, needed only with
    ``config.paraphrase``. The pairs ``k`` that get no paraphrase seeds because too many of
    their sentence pairs are similar (texts repeating the same few lines; see
    :mod:`reuse.paraphrase`) are appended to ``paraphrase_skipped``, when given."""
    config.validate()
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    _check_pairs(tokens, left, right, texts, config.paraphrase)
    if config.ocr_tolerant and texts is None:
        raise ConfigError(
            "OCR-tolerant seeds need the raw texts: pass texts= (one per document of the token "
            "batch) or use AlignConfig(ocr_tolerant=False)."
        )
    limits = dict(max_occurrences=config.max_occurrences, max_gap=config.max_gap,
                  min_length=config.min_length, min_density=config.min_density,
                  extend_drop=config.extend_drop)
    boxes = lexical_boxes(tokens, left, right, ngram=config.ngram, **limits)
    if config.ocr_tolerant:  # opt-in: also character n-gram seeds (reuse.ocr_seeds)
        boxes = with_ocr_boxes(boxes, tokens, texts, left, right, **limits)
    boxes, alignments = _lexical_alignments(tokens, left, right, _merged(boxes))
    cuts = np.searchsorted(boxes[:, 0], np.arange(len(left) + 1)).tolist()
    if not config.paraphrase:
        return [alignments[x:y] for x, y in itertools.pairwise(cuts)]
    keys = list(map(tuple, boxes[:, 1:].tolist()))
    found = [dict(zip(keys[x:y], alignments[x:y], strict=True))
             for x, y in itertools.pairwise(cuts)]
    out = [sorted(pair_found.values(), key=_position) for pair_found in found]
    # Each document is split into sentences once, however many pairs it is in; only the pairs
    # whose sentence model seeds something have paraphrase passages to look for.
    docs, inverse = np.unique(np.concatenate((left, right)), return_inverse=True)
    sentences = [_sentences(texts[d], tokens.doc(d)) for d in docs.tolist()]
    for k, model in _sentence_models(sentences, inverse[: len(left)], inverse[len(left) :],
                                     config):
        if model is None and paraphrase_skipped is not None:
            paraphrase_skipped.append(k)
        out[k] = _paraphrase_combined(tokens.doc(int(left[k])), tokens.doc(int(right[k])), config,
                                      found[k], model)
    return out


def _check_pairs(
    tokens: TokenBatch, left: np.ndarray, right: np.ndarray, texts: Sequence[str] | None,
    paraphrase: bool,
) -> None:
    n_docs = len(tokens)
    if left.ndim != 1 or left.shape != right.shape:
        raise ConfigError(
            "align_token_batch needs left and right as 1-D arrays of equal length (one document "
            f"index of each per pair): got shapes {left.shape} and {right.shape}."
        )
    for name, index in (("left", left), ("right", right)):
        if len(index) and (int(index.min()) < 0 or int(index.max()) >= n_docs):
            raise ConfigError(
                f"align_token_batch: every {name} index must name a document of the token batch "
                f"(0 to {n_docs - 1}); got values from {int(index.min())} to {int(index.max())}."
            )
    if paraphrase and texts is None:
        raise ConfigError(
            "Paraphrase seeds need the raw texts: pass texts= (one per document of the token "
            "batch) or use AlignConfig(paraphrase=False)."
        )
    if texts is not None and len(texts) != n_docs:
        raise ConfigError(
            f"align_token_batch needs one text per document of the token batch: got {len(texts)} "
            f"texts for {n_docs} documents."
        )


def _as_batch(tokens: Sequence[Tokens] | TokenBatch) -> TokenBatch:
    if isinstance(tokens, TokenBatch):
        return tokens
    bounds = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in tokens], out=bounds[1:])

    def joined(name: str, dtype: type) -> np.ndarray:
        parts = [getattr(t, name) for t in tokens]
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    return TokenBatch(joined("hashes", np.uint64), joined("starts", np.int64),
                      joined("ends", np.int64), bounds)


def align_batch(
    a_texts: Sequence[str],
    b_texts: Sequence[str],
    config: AlignConfig = AlignConfig(),
    *,
    a_tokens: Sequence[Tokens] | TokenBatch | None = None,
    b_tokens: Sequence[Tokens] | TokenBatch | None = None,
) -> list[list[Alignment]]:
    """:func:`align_pair` for many pairs ``(a_texts[k], b_texts[k])``: one list per pair.

    The lexical seeds, chaining and boundary extension run for all pairs together (see
    :mod:`reuse.align_batch`), so with ``paraphrase=False`` a pair of short documents costs tens
    of microseconds instead of hundreds. The sentence TF-IDF similarities of the paraphrase
    seeds are computed for many pairs together too, and only pairs with similar sentences are
    clustered one by one. Pass
    ``a_tokens``/``b_tokens`` (from :func:`reuse.tokenize.tokenize` on the same texts) when the
    caller has tokenized them already: a list of :class:`~reuse.tokenize.Tokens`, or a
    :class:`~reuse.tokenize.TokenBatch` from :func:`reuse.tokenize.tokenize_batch` (cheaper).
    """
    config.validate()
    n = len(a_texts)
    for name, given in (("b_texts", b_texts), ("a_tokens", a_tokens), ("b_tokens", b_tokens)):
        if given is not None and len(given) != n:
            raise ConfigError(
                f"align_batch needs one {name} entry per a_texts entry: got {len(given)} for {n}."
            )
    a_batch = _as_batch(a_tokens) if a_tokens is not None else tokenize_batch(a_texts)
    b_batch = _as_batch(b_tokens) if b_tokens is not None else tokenize_batch(b_texts)
    tokens = TokenBatch(
        np.concatenate((a_batch.hashes, b_batch.hashes)),
        np.concatenate((a_batch.starts, b_batch.starts)),
        np.concatenate((a_batch.ends, b_batch.ends)),
        np.concatenate((a_batch.bounds, b_batch.bounds[1:] + a_batch.bounds[-1])),
    )
    texts = [*a_texts, *b_texts] if config.paraphrase or config.ocr_tolerant else None
    return align_token_batch(tokens, np.arange(n), np.arange(n, 2 * n), config, texts)


_REFERENCE_TOKENS = 10_000  # longest document that align_pair aligns with the reference


def align_pair(
    a_text: str,
    b_text: str,
    config: AlignConfig = AlignConfig(),
    *,
    a_tokens: Tokens | None = None,
    b_tokens: Tokens | None = None,
) -> list[Alignment]:
    """Every reused passage between two documents, sorted by position in ``a_text`` (then in
    ``b_text``).

    Pass ``a_tokens``/``b_tokens`` when the caller has already tokenized the texts (they must
    come from :func:`reuse.tokenize.tokenize` on the same texts). Many pairs are several times
    faster through :func:`align_batch`.
    """
    config.validate()
    if a_tokens is None:
        a_tokens = tokenize(a_text)
    if b_tokens is None:
        b_tokens = tokenize(b_text)
    if not len(a_tokens) or not len(b_tokens):
        return []
    # For one pair of short documents the step-by-step reference is faster than a batch of one;
    # the tests hold both to the same results. Past _REFERENCE_TOKENS the batch is faster, and
    # the reference's plain definitions (_drop_repeats compares every two runs of a passage)
    # would take memory quadratic in a passage: 24 GB and more for two 10 MB near-duplicates.
    # Character seeds for OCR'd text (reuse.ocr_seeds) are found in batches only.
    if max(len(a_tokens), len(b_tokens)) > _REFERENCE_TOKENS or config.ocr_tolerant:
        return align_batch([a_text], [b_text], config, a_tokens=[a_tokens],
                           b_tokens=[b_tokens])[0]
    a_list, b_list = a_tokens.hashes.tolist(), b_tokens.hashes.tolist()
    found = {
        box: _make_alignment(box, a_tokens, b_tokens, "lexical", a_list, b_list)
        for box in lexical_boxes_reference(a_tokens, b_tokens, config)
    }
    if not config.paraphrase:
        return sorted(found.values(), key=_position)
    model = _sentence_model(_sentences(a_text, a_tokens), _sentences(b_text, b_tokens), config)
    return _paraphrase_combined(a_tokens, b_tokens, config, found, model)


def alignments_frame(rows: list[tuple[str, str, Alignment]]) -> pd.DataFrame:
    """``(a_id, b_id, alignment)`` rows → a DataFrame with the "alignments" table's columns."""
    from .report.schema import TABLES

    columns = list(TABLES["alignments"])
    records = []
    for a_id, b_id, al in rows:
        record = {f.name: getattr(al, f.name) for f in fields(al)}
        record["edits"] = json.dumps([list(e) for e in al.edits], separators=(",", ":"))
        records.append({"a_id": a_id, "b_id": b_id, **record})
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype(
        {"a_start": "int64", "a_end": "int64", "b_start": "int64", "b_end": "int64",
         "a_tokens": "int64", "b_tokens": "int64", "matched_tokens": "int64",
         "similarity": "float64"}
    )
