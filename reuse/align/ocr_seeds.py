"""Seeds that survive OCR noise: passages found from shared *character* n-grams.

Word n-gram seeds need every word of the n-gram read right. At a character error rate (CER) of
10%, about 40% of the words of a passage carry an error, so few word 3-grams survive and a noisy
copy of a passage falls apart into fragments too short or too sparse to report. A character
n-gram of 7 letters survives far more often, and the errors a character stream still holds are
cheap to forgive:

* The stream keeps only letters and digits, lowercased and without diacritics: stray marks,
  lost or extra punctuation, and spaces lost or inserted (merged and split words) vanish.
* Characters that OCR engines mistake for each other fold into one (``c``/``e``, ``0``/``o``,
  ``i``/``l``/``1``/``j``, long ``s`` read as ``f``, ``u``/``n``, ``h``/``b``, ``q``/``g``), so
  those substitutions vanish too.

The streams of all documents of a batch form a :class:`reuse.text.tokenize.TokenBatch` of one token
per character, and :func:`reuse.align.batch.lexical_boxes` finds its passages as it does for
words (hash join, diagonal runs, chaining across gaps, trimming, density, boundary extension),
with lengths and gaps scaled from words to characters (``CHARS_PER_WORD``). Insertions and
deletions shift the diagonal a little, which chaining allows. The passages found are mapped back
to word-token ranges of the documents, to be merged with the word-level passages.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

import numpy as np

from ..common.ranges import expand_ranges
from ..text.tokenize import TokenBatch
from .batch import lexical_boxes

__all__ = [
    "CHARS_PER_WORD", "CHAR_NGRAM", "adds_to_words", "character_stream", "fold_table", "ocr_boxes",
    "with_ocr_boxes",
]

CHAR_NGRAM = 7
# Letters of a word, on average, in English and French prose (spaces and punctuation dropped):
# turns the word lengths and gaps of AlignConfig into character lengths and gaps.
CHARS_PER_WORD = 5
# Groups of characters that OCR reads for each other; each folds into its first member.
OCR_CONFUSIONS = ("ec", "o0", "il1j|", "sf", "nu", "hb", "gq", "s5", "b8")
_BMP = 0x10000
# A character-seeded passage this much covered by word-seeded ones adds nothing to them.
REDUNDANT_SHARE = 0.95


@functools.cache
def fold_table() -> np.ndarray:
    """For each code point of the Basic Multilingual Plane, its folded code point, or 0 for a
    character that is not a letter or digit (dropped from the stream)."""
    table = np.zeros(_BMP, dtype=np.uint32)
    for cp in range(_BMP):
        ch = chr(cp)
        if not ch.isalnum():
            continue
        lower = ch.lower()
        if len(lower) != 1:
            lower = ch
        base = unicodedata.normalize("NFD", lower)[0]
        table[cp] = ord(base if base.isalnum() else lower)
    for group in OCR_CONFUSIONS:
        representative = table[ord(group[0])]
        for ch in group[1:]:
            # Also the capital and accented forms already folded into ``ch``.
            if table[ord(ch)]:
                table[table == table[ord(ch)]] = representative
            table[ord(ch)] = representative
    return table


def character_stream(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The folded characters of ``text`` that seeds are made of, and the code-point offset of
    each in ``text``. Characters beyond the Basic Multilingual Plane are dropped."""
    # surrogatepass: a text decoded from bytes that were not UTF-8 keeps lone surrogates
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    folded = fold_table()[np.where(codepoints < _BMP, codepoints, 0)]
    offsets = np.flatnonzero(folded)
    return folded[offsets], offsets


def _spread(codes: np.ndarray) -> np.ndarray:
    """Code points → well-spread 64-bit token hashes (a splitmix64-style finalizer), so that a
    character n-gram's high bits, which the hash join sorts on, depend on all its characters."""
    x = codes.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def ocr_boxes(
    tokens: TokenBatch,
    texts: Sequence[str],
    left: np.ndarray,
    right: np.ndarray,
    *,
    max_occurrences: int,
    max_gap: int,
    min_length: int,
    min_density: float,
    extend_drop: int,
) -> np.ndarray:
    """Passages of the document pairs ``(left[k], right[k])`` found from character n-gram
    seeds, as ``(N, 5)`` rows ``pair, a0, a1, b0, b1`` of word-token ranges of ``tokens`` (the
    batch of ``texts``), sorted by pair, like :func:`reuse.align.batch.lexical_boxes`.

    ``max_gap``, ``min_length`` and ``extend_drop`` are in words (as in
    :class:`reuse.align.config.AlignConfig`) and are scaled to characters here.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    empty = np.empty((0, 5), dtype=np.int64)
    if not len(left):
        return empty
    docs, inverse = np.unique(np.concatenate((left, right)), return_inverse=True)
    streams = [character_stream(texts[d]) for d in docs.tolist()]
    lengths = np.array([len(codes) for codes, _ in streams], dtype=np.int64)
    bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    offsets = np.concatenate([o for _, o in streams]) if len(docs) else np.empty(0, np.int64)
    characters = TokenBatch(
        hashes=_spread(np.concatenate([c for c, _ in streams])),
        starts=offsets, ends=offsets + 1, bounds=bounds,
    )
    boxes = lexical_boxes(
        characters, inverse[: len(left)], inverse[len(left):], ngram=CHAR_NGRAM,
        max_occurrences=max_occurrences, max_gap=max_gap * CHARS_PER_WORD,
        min_length=min_length * CHARS_PER_WORD, min_density=min_density,
        extend_drop=extend_drop * CHARS_PER_WORD,
    )
    if not len(boxes):
        return empty
    pair = boxes[:, 0]
    a_doc, b_doc = inverse[: len(left)][pair], inverse[len(left):][pair]
    # Character ranges → raw-text ranges → the word tokens they touch.
    a_lo, a_hi = offsets[bounds[a_doc] + boxes[:, 1]], offsets[bounds[a_doc] + boxes[:, 2] - 1] + 1
    b_lo, b_hi = offsets[bounds[b_doc] + boxes[:, 3]], offsets[bounds[b_doc] + boxes[:, 4] - 1] + 1
    a0, a1 = _token_range(tokens, left[pair], a_lo, a_hi)
    b0, b1 = _token_range(tokens, right[pair], b_lo, b_hi)
    keep = (a1 > a0) & (b1 > b0)
    return np.stack([pair, a0, a1, b0, b1], axis=1)[keep]


def _token_range(
    tokens: TokenBatch, doc: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The half-open range of the tokens of document ``doc[k]`` that overlap the raw-text range
    ``lo[k]:hi[k]``, for every ``k`` (token indices relative to the document)."""
    # One sorted key over all documents: document number above the offset.
    shift = np.int64(1 << 40)
    doc_of_token = np.repeat(np.arange(len(tokens), dtype=np.int64), tokens.counts())
    ends = doc_of_token * shift + tokens.ends.astype(np.int64)
    starts = doc_of_token * shift + tokens.starts.astype(np.int64)
    base = tokens.bounds[doc]
    first = np.searchsorted(ends, doc * shift + lo, side="right") - base
    last = np.searchsorted(starts, doc * shift + hi, side="left") - base
    return first, last


def with_ocr_boxes(
    boxes: np.ndarray, tokens: TokenBatch, texts: Sequence[str], left: np.ndarray,
    right: np.ndarray, **limits: int | float,
) -> np.ndarray:
    """``boxes`` (word-level rows ``pair, a0, a1, b0, b1``, sorted by pair) together with the
    passages :func:`ocr_boxes` finds with the same ``limits`` (its keyword arguments) that add
    to them (:func:`adds_to_words`), sorted by pair; the caller merges the overlapping ones."""
    extra = ocr_boxes(tokens, texts, left, right, **limits)  # type: ignore[arg-type]
    extra = extra[adds_to_words(extra, boxes)]
    if not len(extra):
        return boxes
    both = np.concatenate((boxes, extra))
    return both[np.argsort(both[:, 0], kind="stable")]


def adds_to_words(extra: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Which character-seeded boxes ``extra`` to keep beside the word-seeded ``boxes`` (rows
    ``pair, a0, a1, b0, b1``, ``boxes`` sorted by pair).

    Where the word seeds already found a passage, their boundaries are exact and the character
    seeds' are looser (a few letters shared by chance extend them), so a box whose tokens in a
    are ``REDUNDANT_SHARE`` covered by word boxes on its diagonal adds nothing and is dropped.
    So is one that overlaps a word box in one document only: it runs into another passage (two
    reused passages back to back), and merging would join them.
    """
    keep = np.ones(len(extra), dtype=bool)
    if not len(extra) or not len(boxes):
        return keep
    lo = np.searchsorted(boxes[:, 0], extra[:, 0], side="left")
    hi = np.searchsorted(boxes[:, 0], extra[:, 0], side="right")
    k, w = expand_ranges(lo, hi)  # every (extra box, word box of its pair)
    e, b = extra[k], boxes[w]
    in_a = np.maximum(np.minimum(e[:, 2], b[:, 2]) - np.maximum(e[:, 1], b[:, 1]), 0)
    in_b = np.maximum(np.minimum(e[:, 4], b[:, 4]) - np.maximum(e[:, 3], b[:, 3]), 0)
    conflict = np.zeros(len(extra), dtype=bool)
    np.logical_or.at(conflict, k, (in_a > 0) != (in_b > 0))
    covered = np.zeros(len(extra), dtype=np.int64)
    np.add.at(covered, k, np.where(in_b > 0, in_a, 0))
    redundant = covered >= REDUNDANT_SHARE * (extra[:, 2] - extra[:, 1])
    return ~conflict & ~redundant
