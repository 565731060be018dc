"""Paraphrase seeds: reused passages that are reworded, found from similar sentences.

After the best PAN 2014 text-alignment system (Sanchez-Perez, Sidorov and Gelbukh), written
from its description: each sentence gets a TF-IDF vector over both documents' sentences (stop
words removed, words cut to their first 5 code points, normalized as the tokens are: NFKC,
casefold); similar sentence pairs are seeds, clustered by gaps in both documents, validated by
the similarity of the whole passage, bounded by their mutual best sentence matches
(:func:`_best_match_box`), grown at their edges and cut where a long edge stretch shares no
content word with the other side (:func:`paraphrase_passage_boxes`).
Summaries, a few sentences condensing most of the other document, are found with looser seeds
and a wide gap (:func:`_summaries`). :func:`sentence_models` computes the models of many pairs
together, bit-identical to :func:`sentence_model` per pair, in memory bounded by
``_PRODUCT_ENTRIES`` sentence pairs at a time whatever the documents' length; a pair with too
many similar sentence pairs (texts repeating the same few lines) gets no paraphrase seeds (see
``_MAX_SIMILAR``).
:mod:`reuse.align.combine` combines these passages with the lexical ones.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix

from ..text.tokenize import Tokens, normalize_token, prefix_hashes, token_hash_reference

if TYPE_CHECKING:
    from .config import AlignConfig


# A sentence ends at . ! ? ; : before a space, quote or bracket, at 。！？ (no space follows
# them), or at a blank line.
_SENTENCE_END = re.compile(r"[.!?;:](?=[\s\"'’”)\]]|$)|[。！？]|\n\s*\n")
_STEM_CHARS = 5


@functools.cache
def _stopword_hashes() -> np.ndarray:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return np.array(
        sorted(token_hash_reference(normalize_token(w)) for w in ENGLISH_STOP_WORDS),
        dtype=np.uint64,
    )


def _sentence_bounds(text: str, tokens: Tokens) -> np.ndarray:
    """Token index where each sentence starts, plus ``len(tokens)`` at the end."""
    ends = np.fromiter((m.end() for m in _SENTENCE_END.finditer(text)), dtype=np.int64)
    cuts = np.searchsorted(tokens.starts, ends, "left")
    return np.unique(np.concatenate(([0], cuts, [len(tokens)])))


@dataclass(frozen=True)
class _Sentences:
    """The sentences of one document: ``bounds`` (token index where each sentence starts, plus
    the token count), and the stem and sentence of every token that is no stop word."""

    bounds: np.ndarray
    stems: np.ndarray
    sentence_of: np.ndarray


def split_sentences(text: str, tokens: Tokens, strip_diacritics: bool = False) -> _Sentences:
    """The sentences of a document: they depend on it alone, so a document in many pairs is
    split once. A token's stem is its first ``_STEM_CHARS`` code points, normalized as the
    tokens are (:func:`reuse.text.tokenize.prefix_hashes`; ``strip_diacritics`` as the
    tokens')."""
    bounds = _sentence_bounds(text, tokens)
    stems = prefix_hashes(text, tokens, _STEM_CHARS, strip_diacritics)
    content = ~np.isin(tokens.hashes, _stopword_hashes())
    sentence_of = np.searchsorted(bounds, np.arange(len(tokens)), "right") - 1
    return _Sentences(bounds, stems[content], sentence_of[content])


@dataclass(frozen=True)
class _Weights:
    """A sparse (sentences x terms) matrix in CSR layout: row ``i``'s terms are
    ``indices[indptr[i]:indptr[i + 1]]``, sorted, with values ``data[...]``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    width: int


@dataclass
class SentenceModel:
    """Sentence TF-IDF vectors of both documents of a pair, and the cosine and Dice of the
    sentence pairs that pass the seed, summary or grow thresholds (:func:`_passes`): the only
    ones that the thresholds can tell from pairs that share no term. Two books have millions
    of sentence pairs sharing a term, and two 10 MB texts billions.
    """

    a_bounds: np.ndarray  # token index where each sentence of a starts, plus len(a)
    b_bounds: np.ndarray
    a_weights: _Weights  # (sentences x terms) tf-idf, not normalized
    b_weights: _Weights
    pair_keys: np.ndarray  # sorted a_sentence * n_b + b_sentence of the pairs kept
    cosine: np.ndarray  # per pair key
    dice: np.ndarray
    seeds: np.ndarray  # (S, 2): (a_sentence, b_sentence) pairs above the seed thresholds

    @property
    def n_a(self) -> int:
        return len(self.a_bounds) - 1

    @property
    def n_b(self) -> int:
        return len(self.b_bounds) - 1

    def similar(self, cosine: float, dice: float) -> np.ndarray:
        """``(a_sentence, b_sentence)`` pairs whose cosine and Dice exceed the thresholds."""
        keys = self.pair_keys[(self.cosine > cosine) & (self.dice > dice)]
        return np.stack([keys // self.n_b, keys % self.n_b], axis=1)

    def scores(self, i: int, j: int) -> tuple[float, float]:
        """Cosine and Dice of sentence ``i`` of a and sentence ``j`` of b."""
        key = i * self.n_b + j
        k = int(np.searchsorted(self.pair_keys, key))
        if k < len(self.pair_keys) and self.pair_keys[k] == key:
            return float(self.cosine[k]), float(self.dice[k])
        return 0.0, 0.0


@dataclass(frozen=True)
class _Rows:
    """Term counts of each sentence of one document, sorted by sentence then term."""

    sentence: np.ndarray
    term: np.ndarray
    count: np.ndarray
    n_sentences: int

    def matrix(self, data: np.ndarray, width: int) -> csr_matrix:
        return csr_matrix((data, self.term, self.indptr()), shape=(self.n_sentences, width))

    def weights(self, data: np.ndarray, width: int) -> _Weights:
        return _Weights(self.indptr(), self.term, data, width)

    def indptr(self) -> np.ndarray:
        return np.searchsorted(self.sentence, np.arange(self.n_sentences + 1))


def _rows(sentence_of: np.ndarray, term_ids: np.ndarray, n_sentences: int, width: int) -> _Rows:
    keys, counts = np.unique(sentence_of * width + term_ids, return_counts=True)
    return _Rows(keys // width, keys % width, counts.astype(np.float64), n_sentences)


def _unit_rows(rows: _Rows, weights: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.bincount(rows.sentence, weights=weights**2, minlength=rows.n_sentences))
    norms[norms == 0] = 1.0
    return weights / norms[rows.sentence]


def sentence_model(a: _Sentences, b: _Sentences, config: AlignConfig) -> SentenceModel | None:
    """The model of one pair; None when a document has no content word, or when the pair has
    too many similar sentence pairs (see ``_MAX_SIMILAR``)."""
    a_bounds, a_stems, a_sent = a.bounds, a.stems, a.sentence_of
    b_bounds, b_stems, b_sent = b.bounds, b.stems, b.sentence_of
    n_a, n_b = len(a_bounds) - 1, len(b_bounds) - 1
    if not len(a_stems) or not len(b_stems):
        return None
    vocabulary, ids = np.unique(np.concatenate((a_stems, b_stems)), return_inverse=True)
    width = len(vocabulary)
    a_rows = _rows(a_sent, ids[: len(a_stems)], n_a, width)
    b_rows = _rows(b_sent, ids[len(a_stems) :], n_b, width)
    # Inverse sentence frequency over the sentences of both documents.
    df = np.bincount(a_rows.term, minlength=width) + np.bincount(b_rows.term, minlength=width)
    idf = np.log((n_a + n_b) / df)
    a_weights = a_rows.count * idf[a_rows.term]
    b_weights = b_rows.count * idf[b_rows.term]
    # b's unit matrix transposed, (terms x sentences), as the product would convert it.
    b_transposed = b_rows.matrix(_unit_rows(b_rows, b_weights), width).T.tocsr()
    a_sentence, b_sentence, cosine, dice, capped = _similar_pairs(
        a_rows.weights(_unit_rows(a_rows, a_weights), width), b_transposed,
        b_rows.sentence * width + b_rows.term, np.bincount(a_rows.sentence, minlength=n_a),
        np.bincount(b_rows.sentence, minlength=n_b), np.zeros(n_a, dtype=np.int64),
        np.array([0, n_a]), np.array([n_b]),
        np.array([max(_MAX_SIMILAR, _SIMILAR_PER_SENTENCE * (n_a + n_b))]), config,
    )
    if capped[0]:
        return None
    model = SentenceModel(
        a_bounds, b_bounds, a_rows.weights(a_weights, width), b_rows.weights(b_weights, width),
        a_sentence * n_b + b_sentence, cosine, dice, np.empty((0, 2), dtype=np.int64),
    )
    model.seeds = model.similar(config.sentence_cosine, config.sentence_dice)
    return model


@dataclass(frozen=True)
class _DocRows:
    """Term counts of the sentences of many documents, for :func:`sentence_models`.

    Document ``d`` owns entries ``start[d]:start[d + 1]``, one per (sentence, term) and sorted
    by sentence then term, and distinct terms ``term_start[d]:term_start[d + 1]`` (sorted, with
    the number of the document's sentences holding each). Terms are ranks in one vocabulary of
    all the documents, so within a pair they sort as the pair's own vocabulary does.
    """

    start: np.ndarray
    sentence: np.ndarray  # per entry, within its document
    count: np.ndarray  # per entry, float
    rank: np.ndarray  # per entry: its term's place among its document's distinct terms
    n_sentences: np.ndarray  # per document
    term_start: np.ndarray
    term: np.ndarray  # per distinct term of a document
    df: np.ndarray
    n_terms: int


def _unique_sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True, return_counts=True)`` by a stable sort, which is
    several times faster when ``keys`` is made of sorted runs."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.ones(len(keys), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    first = np.flatnonzero(new)
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[first], inverse, np.diff(np.append(first, len(keys)))


def _doc_rows(sentences: Sequence[_Sentences]) -> _DocRows:
    n_docs = len(sentences)
    n_sentences = np.array([len(s.bounds) - 1 for s in sentences], dtype=np.int64)
    n_content = np.array([len(s.stems) for s in sentences], dtype=np.int64)
    stems = np.concatenate([s.stems for s in sentences]) if n_docs else np.empty(0, np.uint64)
    sentence_of = (np.concatenate([s.sentence_of for s in sentences]) if n_docs
                   else np.empty(0, np.int64))
    vocabulary, term = np.unique(stems, return_inverse=True)
    n_terms = max(len(vocabulary), 1)
    first_sentence = _offsets(n_sentences)
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), n_content)
    # Tokens come in order of sentence, so the keys are sorted runs.
    keys, _, counts = _unique_sorted((first_sentence[doc_of] + sentence_of) * n_terms
                                     + term.reshape(-1))
    entry_sentence, entry_term = keys // n_terms, keys % n_terms
    entry_doc = np.searchsorted(first_sentence, entry_sentence, "right") - 1
    doc_terms, rank, df = _unique_sorted(entry_doc * n_terms + entry_term)
    start = np.searchsorted(entry_doc, np.arange(n_docs + 1))
    term_start = np.searchsorted(doc_terms // n_terms, np.arange(n_docs + 1))
    return _DocRows(
        start, entry_sentence - first_sentence[entry_doc], counts.astype(np.float64),
        rank - term_start[entry_doc], n_sentences, term_start, doc_terms % n_terms, df, n_terms,
    )


def _gather(start: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``start[d]:start[d + 1]`` of each of ``docs`` one after the other, the position
    in ``docs`` that each comes from, and where each position's indices begin."""
    lengths = start[docs + 1] - start[docs]
    first = _offsets(lengths)
    owner = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    return np.arange(first[-1], dtype=np.int64) + (start[docs] - first[:-1])[owner], owner, first


def _offsets(sizes: np.ndarray) -> np.ndarray:
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def _passes(cosine: np.ndarray, dice: np.ndarray, config: AlignConfig) -> np.ndarray:
    """Which sentence pairs pass the seed, summary or grow thresholds: the only comparisons
    that the model's cosine and Dice take part in (:meth:`SentenceModel.similar` and
    :func:`_grow`), so a model keeps these pairs alone."""
    return (
        (cosine > config.sentence_cosine) & (dice > config.sentence_dice)
        | (cosine > config.summary_similarity) & (dice > config.summary_similarity)
        | (cosine > config.grow_similarity) & (dice > config.grow_similarity)
    )


# The sentence pairs sharing a term are computed a block of a's sentences at a time, with at
# most this many in a block (counted as the b sentences holding each term of the block's
# sentences; a block has at least one sentence, so at most this or b's sentence count). About
# 12 bytes each at the peak: 24 MB. Two 10 MB texts have billions of such pairs.
_PRODUCT_ENTRIES = 2_000_000
# A document pair with more sentence pairs passing a threshold (:func:`_passes`) than the
# larger of _MAX_SIMILAR and _SIMILAR_PER_SENTENCE per sentence of both documents gets no
# paraphrase seeds: its texts repeat themselves (the same few lines over and over), and
# clustering the seeds would take memory in proportion, up to about 150 bytes each. Two
# synthetic 10 MB texts of 86,000 sentences each, with very common words, have 2.1 million:
# 12 per sentence.
_MAX_SIMILAR = 1_000_000
_SIMILAR_PER_SENTENCE = 32


def _similar_pairs(
    a: _Weights, b_transposed: csr_matrix, b_keys: np.ndarray, a_sizes: np.ndarray,
    b_sizes: np.ndarray, pair_of_row: np.ndarray, row_first: np.ndarray, n_b: np.ndarray,
    limit: np.ndarray, config: AlignConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sentence pairs of a group of document pairs that pass a threshold (:func:`_passes`):
    rows of ``a``, rows of b, cosine and Dice, sorted by row of a then of b; and which
    document pairs ``k`` have more than ``limit[k]`` of them (their pairs are left out, and
    their remaining rows not computed).

    ``a`` holds the unit TF-IDF rows of the group's a sentences (``row_first[k]`` is the first
    row of pair ``k``, ``pair_of_row`` the pair of each row, ``n_b[k]`` the sentences of its
    b), ``b_transposed`` the unit rows of the group's b sentences as
    (terms x sentences), ``b_keys`` b's entries as ``row * a.width + term``, sorted. The
    cosines are the entries of ``a @ b_transposed`` computed ``_PRODUCT_ENTRIES`` at a time by
    blocks of rows: the same floating-point operations in the same order as the whole product.
    Dice is computed only for the pairs whose cosine passes the least cosine threshold.
    """
    n_rows, n_pairs = len(a.indptr) - 1, len(n_b)
    # A row's entries in the product: at most the b sentences holding each of its terms, and
    # at most the sentences of its pair's b.
    a_row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(a.indptr))
    bound = np.bincount(a_row, weights=np.diff(b_transposed.indptr)[a.indices],
                        minlength=n_rows)
    ends = np.cumsum(np.minimum(bound, n_b[pair_of_row]))
    least = min(config.sentence_cosine, config.summary_similarity, config.grow_similarity)
    similar = np.zeros(n_pairs, dtype=np.int64)
    capped = np.zeros(n_pairs, dtype=bool)
    parts: list[tuple[np.ndarray, ...]] = []
    lo = 0
    while lo < n_rows:
        if capped[pair_of_row[lo]]:
            lo = int(row_first[pair_of_row[lo] + 1])
            continue
        reach = (ends[lo - 1] if lo else 0.0) + _PRODUCT_ENTRIES
        hi = max(lo + 1, int(np.searchsorted(ends, reach, "right")))
        x, y = a.indptr[lo], a.indptr[hi]
        product = csr_matrix(
            (a.data[x:y], a.indices[x:y], a.indptr[lo : hi + 1] - x), shape=(hi - lo, a.width)
        ) @ b_transposed
        at = np.flatnonzero(product.data > least)
        row = np.searchsorted(product.indptr, at, "right") - 1 + lo
        col = product.indices[at].astype(np.int64)
        cosine = product.data[at]
        del product
        dice = 2 * _shared_terms(a, b_keys, row, col) / (a_sizes[row] + b_sizes[col])
        kept = _passes(cosine, dice, config)
        kept = kept.nonzero()[0][np.lexsort((col[kept], row[kept]))]
        parts.append((row[kept], col[kept], cosine[kept], dice[kept]))
        pairs, counts = np.unique(pair_of_row[row[kept]], return_counts=True)
        similar[pairs] += counts
        capped[pairs[similar[pairs] > limit[pairs]]] = True
        lo = hi
    if capped.any():
        parts = [tuple(array[~capped[pair_of_row[part[0]]]] for array in part) for part in parts]
    if not parts:
        parts = [(np.empty(0, dtype=np.int64),) * 2 + (np.empty(0),) * 2]
    row, col, cosine, dice = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return row, col, cosine, dice, capped


def _shared_terms(a: _Weights, b_keys: np.ndarray, rows: np.ndarray, cols: np.ndarray
                  ) -> np.ndarray:
    """How many terms row ``rows[k]`` of ``a`` shares with row ``cols[k]`` of b (whose entries
    are ``b_keys``, see :func:`_similar_pairs`), as floats; ``_PRODUCT_ENTRIES`` entries of
    ``a`` looked up at a time."""
    out = np.zeros(len(rows))
    if not len(b_keys):
        return out
    ends = np.cumsum(a.indptr[rows + 1] - a.indptr[rows])
    lo = 0
    while lo < len(rows):
        reach = (ends[lo - 1] if lo else 0) + _PRODUCT_ENTRIES
        hi = max(lo + 1, int(np.searchsorted(ends, reach, "right")))
        at, owner, _ = _gather(a.indptr, rows[lo:hi])
        keys = cols[lo:hi][owner] * a.width + a.indices[at]
        where = np.minimum(np.searchsorted(b_keys, keys), len(b_keys) - 1)
        out[lo:hi] = np.bincount(owner, weights=b_keys[where] == keys, minlength=hi - lo)
        lo = hi
    return out


_MODEL_ENTRIES = 2_000_000  # (sentence, term) entries of the pairs modelled together
_MODEL_CELLS = 20_000_000  # sentence pairs (a's sentences x b's) of the pairs modelled together


def sentence_models(
    sentences: Sequence[_Sentences], left: np.ndarray, right: np.ndarray, config: AlignConfig
) -> Iterator[tuple[int, SentenceModel | None]]:
    """``(k, model)``, in order of ``k``, with the :func:`sentence_model` of pair
    ``(sentences[left[k]], sentences[right[k]])`` for the pairs whose model seeds something,
    and ``(k, None)`` for the pairs left without paraphrase seeds because too many of their
    sentence pairs pass a threshold (see ``_MAX_SIMILAR``).

    The models are computed a group of pairs at a time, with the same floating-point
    operations in the same order as :func:`sentence_model`: the TF-IDF matrices of a group's
    pairs are the blocks of one block-diagonal product, computed a few rows at a time
    (:func:`_similar_pairs`). A pair is left out when its model seeds
    nothing (no sentence pair passes the seed thresholds, and fewer than a summary's least seeds
    pass the summary thresholds), as :func:`paraphrase_passage_boxes` would find nothing in it.
    """
    rows = _doc_rows(sentences)
    entries = rows.start[left + 1] - rows.start[left] + rows.start[right + 1] - rows.start[right]
    cells = rows.n_sentences[left] * rows.n_sentences[right]
    # Groups of pairs within both budgets (a pair over one is a group of its own).
    lo = 0
    while lo < len(left):
        fit = min(np.searchsorted(np.cumsum(entries[lo:]), _MODEL_ENTRIES, "right"),
                  np.searchsorted(np.cumsum(cells[lo:]), _MODEL_CELLS, "right"))
        hi = lo + max(1, int(fit))
        for k, model in _group_models(rows, sentences, left[lo:hi], right[lo:hi], config):
            yield lo + k, model
        lo = hi


def _group_models(
    rows: _DocRows, sentences: Sequence[_Sentences], left: np.ndarray, right: np.ndarray,
    config: AlignConfig,
) -> list[tuple[int, SentenceModel | None]]:
    """``(k, model)`` for the pairs ``(left[k], right[k])`` whose model seeds something, and
    ``(k, None)`` for the pairs with too many similar sentence pairs (see
    :func:`_similar_pairs`)."""
    n_pairs = len(left)
    n_a, n_b = rows.n_sentences[left], rows.n_sentences[right]
    # The vocabulary of each pair: the distinct terms of both documents, merged. Pairs come one
    # after another, each side's terms sorted, so the stable sort merges sorted runs.
    a_terms, a_term_pair, a_term_first = _gather(rows.term_start, left)
    b_terms, b_term_pair, b_term_first = _gather(rows.term_start, right)
    columns, column, _ = _unique_sorted(np.concatenate((
        a_term_pair * rows.n_terms + rows.term[a_terms],
        b_term_pair * rows.n_terms + rows.term[b_terms],
    )))
    first_column = np.searchsorted(columns, np.arange(n_pairs + 1) * rows.n_terms)
    # Inverse sentence frequency over the sentences of both documents.
    df = np.bincount(column, weights=rows.df[np.concatenate((a_terms, b_terms))],
                     minlength=len(columns)).astype(np.int64)
    idf = np.log((n_a + n_b)[columns // rows.n_terms] / df)
    a_column, b_column = column[: len(a_terms)], column[len(a_terms) :]

    a_at, a_pair, a_entry_first = _gather(rows.start, left)
    b_at, b_pair, b_entry_first = _gather(rows.start, right)
    a_col = a_column[a_term_first[a_pair] + rows.rank[a_at]]
    b_col = b_column[b_term_first[b_pair] + rows.rank[b_at]]
    a_weights = rows.count[a_at] * idf[a_col]
    b_weights = rows.count[b_at] * idf[b_col]
    a_first, b_first = _offsets(n_a), _offsets(n_b)
    a_row = a_first[a_pair] + rows.sentence[a_at]
    b_row = b_first[b_pair] + rows.sentence[b_at]
    n_a_rows, n_b_rows = int(a_first[-1]), int(b_first[-1])
    a_sizes = np.bincount(a_row, minlength=n_a_rows)
    b_sizes = np.bincount(b_row, minlength=n_b_rows)
    a_indptr, b_indptr = _offsets(a_sizes), _offsets(b_sizes)

    def unit(row: np.ndarray, weights: np.ndarray, n_rows: int) -> np.ndarray:
        norms = np.sqrt(np.bincount(row, weights=weights**2, minlength=n_rows))
        norms[norms == 0] = 1.0
        return weights / norms[row]

    # b's unit matrix transposed, (terms x sentences), as the product would convert it.
    b_transposed = csr_matrix(
        (unit(b_row, b_weights, n_b_rows), b_col, b_indptr), shape=(n_b_rows, len(columns))
    ).T.tocsr()
    pair_of_row = np.repeat(np.arange(n_pairs, dtype=np.int64), n_a)
    a_sentence, b_sentence, cosine, dice, capped = _similar_pairs(
        _Weights(a_indptr, a_col, unit(a_row, a_weights, n_a_rows), len(columns)), b_transposed,
        b_row * len(columns) + b_col, a_sizes, b_sizes, pair_of_row, a_first, n_b,
        np.maximum(_MAX_SIMILAR, _SIMILAR_PER_SENTENCE * (n_a + n_b)), config,
    )
    pair = pair_of_row[a_sentence]
    seeds = np.bincount(
        pair[(cosine > config.sentence_cosine) & (dice > config.sentence_dice)],
        minlength=n_pairs,
    )
    summary_seeds = np.bincount(
        pair[(cosine > config.summary_similarity) & (dice > config.summary_similarity)],
        minlength=n_pairs,
    )
    live = np.flatnonzero(((seeds > 0) | (summary_seeds >= _SUMMARY_MIN_SEEDS)) & ~capped)
    pair_first = np.searchsorted(pair, np.arange(n_pairs + 1))

    def block(k: int, data: np.ndarray, col: np.ndarray, indptr: np.ndarray,
              entry_first: np.ndarray, row_first: np.ndarray) -> _Weights:
        """Pair ``k``'s block, in the pair's own rows and columns."""
        x, y = entry_first[k], entry_first[k + 1]
        rows_k = indptr[row_first[k] : row_first[k + 1] + 1] - indptr[row_first[k]]
        return _Weights(rows_k, col[x:y] - first_column[k], data[x:y],
                        int(first_column[k + 1] - first_column[k]))

    out: list[tuple[int, SentenceModel | None]] = [(k, None) for k in np.flatnonzero(capped)]
    for k in live.tolist():
        x, y = pair_first[k], pair_first[k + 1]
        model = SentenceModel(
            sentences[left[k]].bounds, sentences[right[k]].bounds,
            block(k, a_weights, a_col, a_indptr, a_entry_first, a_first),
            block(k, b_weights, b_col, b_indptr, b_entry_first, b_first),
            (a_sentence[x:y] - a_first[k]) * int(n_b[k]) + b_sentence[x:y] - b_first[k],
            cosine[x:y], dice[x:y], np.empty((0, 2), dtype=np.int64),
        )
        model.seeds = model.similar(config.sentence_cosine, config.sentence_dice)
        out.append((k, model))
    return sorted(out, key=lambda item: item[0])


def _summed_rows(matrix: _Weights, lo: int, hi: int) -> np.ndarray:
    """The sum of rows ``lo:hi`` as a dense vector: added per column in row order, as
    ``csr_matrix.sum(axis=0)`` adds them."""
    start, stop = matrix.indptr[lo], matrix.indptr[hi]
    return np.bincount(matrix.indices[start:stop], weights=matrix.data[start:stop],
                       minlength=matrix.width)


def _passage_cosine(model: SentenceModel, box: tuple[int, int, int, int]) -> float:
    """TF-IDF cosine between sentences ``[a0, a1)`` of a and ``[b0, b1)`` of b, each summed."""
    a = _summed_rows(model.a_weights, box[0], box[1])
    b = _summed_rows(model.b_weights, box[2], box[3])
    # As float(np.linalg.norm(a) * np.linalg.norm(b)): norm is the root of x.dot(x).
    norm = math.sqrt(a.dot(a)) * math.sqrt(b.dot(b))
    return float(a @ b) / norm if norm else 0.0


_LONE_SEED_MARGIN = 0.2
_SUMMARY_MIN_SEEDS = 4
# A summary condenses its source in several sentences of its own, each matching its part of
# it; fewer sentences of a matching sentences all over b are a match of topic.
_SUMMARY_MIN_SENTENCES = 3
_SUMMARY_SHARE = 0.5
_SUMMARY_EXPLAINED = 0.85
_SUMMARY_VERBATIM = 0.25


def _split_by_gaps(starts: np.ndarray, ends: np.ndarray, max_gap: int) -> list[np.ndarray]:
    """Groups of item indices whose ``[start, end)`` ranges lie within ``max_gap`` of each other."""
    order = np.argsort(starts, kind="stable")
    reach = np.maximum.accumulate(ends[order])
    breaks = np.flatnonzero(starts[order][1:] > reach[:-1] + max_gap) + 1
    return np.split(order, breaks)


_NUMPY_SPLIT = 256  # seeds split in numpy (_split_by_gaps) rather than on Python lists


def _seed_clusters(seeds: np.ndarray, a_gap: int, b_gap: int) -> list[np.ndarray]:
    """Groups of the seeds ``(a_sentence, b_sentence)`` (rows of ``seeds``), as arrays of row
    indices: split alternately by gaps of more than ``a_gap`` sentences in a and ``b_gap`` in b
    until neither splits. Large groups are split in numpy; most splits are of a handful of
    seeds, which Python lists split faster than numpy calls do. A group is split to the end
    before the next one is taken up, as splitting depth first on one stack would."""
    gaps = (a_gap, b_gap)
    pending: list[tuple[np.ndarray, int, bool]] = [(np.arange(len(seeds)), 0, False)]
    done: list[np.ndarray] = []
    if not len(seeds):
        return done
    while pending:
        members, axis, other_axis_settled = pending.pop()
        if len(members) <= _NUMPY_SPLIT:
            done += [members[part] for part in _list_clusters(
                seeds[members].tolist(), axis, other_axis_settled, gaps)]
            continue
        starts = seeds[members, axis]
        parts = _split_by_gaps(starts, starts + 1, gaps[axis])
        if len(parts) == 1:
            if other_axis_settled:
                done.append(members)
            else:
                pending.append((members, 1 - axis, True))
            continue
        pending.extend((members[part], 1 - axis, False) for part in parts)
    return done


def _list_clusters(
    seeds: list[list[int]], axis: int, other_axis_settled: bool, gaps: tuple[int, int]
) -> list[list[int]]:
    """:func:`_seed_clusters` of a few seeds on Python lists, starting on ``axis``."""
    pending: list[tuple[list[int], int, bool]] = [
        (list(range(len(seeds))), axis, other_axis_settled)
    ]
    done = []
    while pending:
        members, axis, other_axis_settled = pending.pop()
        if len(members) == 1:  # splits into itself on both axes
            done.append(members)
            continue
        parts = _split_seeds(seeds, members, axis, gaps[axis])
        if len(parts) == 1:
            if other_axis_settled:
                done.append(members)
            else:
                pending.append((members, 1 - axis, True))
            continue
        pending.extend((part, 1 - axis, False) for part in parts)
    return done


def _split_seeds(seeds: list[list[int]], members: list[int], axis: int, gap: int) -> list[list[int]]:
    """:func:`_split_by_gaps` of the members' sentences on one axis (0 for a, 1 for b)."""
    ordered = sorted(members, key=lambda m: seeds[m][axis])  # stable, as _split_by_gaps
    parts = [[ordered[0]]]
    reach = seeds[ordered[0]][axis] + 1
    for m in ordered[1:]:
        start = seeds[m][axis]
        if start > reach + gap:
            parts.append([m])
        else:
            parts[-1].append(m)
        reach = max(reach, start + 1)
    return parts


@dataclass(frozen=True)
class _Cluster:
    box: tuple[int, int, int, int]  # sentence ranges, later token ranges
    similarity: float
    seeds: int
    # The seeds, (a_sentence, b_sentence) rows; equal clusters have the same box and scores.
    pairs: np.ndarray | None = field(default=None, compare=False)


def _validated_clusters(
    model: SentenceModel, seeds: np.ndarray, a_gap: int, b_gap: int, config: AlignConfig,
    min_seeds: int = 1, min_b_tokens: int = 0,
) -> list[_Cluster]:
    """Cluster sentence seeds; a cluster whose passages are not similar enough as a whole is
    clustered again with a smaller gap, down to single sentences. A cluster of one seed must be
    clearly more similar than the threshold: one sentence pair is weak evidence.

    Clusters of fewer than ``min_seeds`` seeds or spanning fewer than ``min_b_tokens`` tokens of
    b are left out unchecked: clustering them again only gives clusters smaller on both counts.
    """
    return _validated(model, seeds, a_gap, b_gap, config, min_seeds, min_b_tokens)


def _validated(
    model: SentenceModel, seeds: np.ndarray, a_gap: int, b_gap: int, config: AlignConfig,
    min_seeds: int, min_b_tokens: int,
) -> list[_Cluster]:
    found: list[_Cluster] = []
    if not len(seeds):
        return found
    for members in _seed_clusters(seeds, a_gap, b_gap):
        if len(members) < min_seeds:
            continue
        cluster = seeds[members]
        (a0, b0), (a1, b1) = cluster.min(axis=0).tolist(), cluster.max(axis=0).tolist()
        box = (a0, a1 + 1, b0, b1 + 1)
        if model.b_bounds[box[3]] - model.b_bounds[box[2]] < min_b_tokens:
            continue
        similarity = _passage_cosine(model, box)
        threshold = config.min_paraphrase_similarity
        if len(members) == 1:
            threshold += _LONE_SEED_MARGIN
        if similarity >= threshold:
            found.append(_Cluster(box, similarity, len(members), cluster))
        elif max(a_gap, b_gap) > 0 and len(members) > 1:
            found += _validated(model, cluster, max(a_gap - 1, 0), max(b_gap - 1, 0), config,
                                min_seeds, min_b_tokens)
    return found


def _grow(model: SentenceModel, cluster: _Cluster, threshold: float) -> _Cluster:
    """Extend a passage by the sentence pairs just before and after it while their cosine and
    Dice exceed ``threshold``: the edge sentences of a reworded passage often miss the (higher)
    seed thresholds."""
    a0, a1, b0, b1 = cluster.box
    n_a, n_b = model.n_a, model.n_b

    def similar(i: int, j: int) -> bool:
        cosine, dice = model.scores(i, j)
        return cosine > threshold and dice > threshold

    while a0 > 0 and b0 > 0 and similar(a0 - 1, b0 - 1):
        a0, b0 = a0 - 1, b0 - 1
    while a1 < n_a and b1 < n_b and similar(a1, b1):
        a1, b1 = a1 + 1, b1 + 1
    return _Cluster((a0, a1, b0, b1), cluster.similarity, cluster.seeds)


def _seed_cosines(model: SentenceModel, pairs: np.ndarray) -> np.ndarray:
    """The cosine of each seed ``(a_sentence, b_sentence)`` (a row of ``pairs``); seeds are
    sentence pairs the model keeps."""
    return model.cosine[np.searchsorted(model.pair_keys, pairs[:, 0] * model.n_b + pairs[:, 1])]


def _most_similar_of(keys: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """Mask of the rows whose cosine is the highest among the rows of the same key (the first
    in order of rows on ties)."""
    order = np.lexsort((-cosine, keys))
    first = np.ones(len(order), dtype=bool)
    first[1:] = keys[order][1:] != keys[order][:-1]
    mask = np.zeros(len(keys), dtype=bool)
    mask[order[first]] = True
    return mask


# Seeds this many sentences (or fewer) outside the mutual best matches' box, on both sides,
# still join it: a reworded sentence often takes words from two neighbouring source sentences.
_BEST_MATCH_REACH = 1


def _best_match_box(model: SentenceModel, cluster: _Cluster) -> _Cluster:
    """The cluster's box bounded by its mutual best matches: seeds whose a sentence has no more
    similar b sentence in the cluster and whose b sentence no more similar a sentence, plus
    the seeds at most ``_BEST_MATCH_REACH`` sentences outside their box, repeatedly.

    A cluster's box spans all of its seeds, and a sentence that is reworded also resembles
    other sentences on the same topic near its source (texts repeating a phrase, lists of
    similar items): such a seed stretches the box over sentences that are not reused, mostly in
    the source. A sentence's best match is its source far more often, and reuse maps
    sentences about one to one, so the mutual best matches bound the passage.
    """
    pairs = cluster.pairs
    if pairs is None or len(pairs) < 2:
        return cluster
    cosine = _seed_cosines(model, pairs)
    best = pairs[_most_similar_of(pairs[:, 0], cosine) & _most_similar_of(pairs[:, 1], cosine)]
    # Not empty: the most similar seed of the cluster is the best match of both its sentences.
    (a0, b0), (a1, b1) = best.min(axis=0).tolist(), best.max(axis=0).tolist()
    reach = _BEST_MATCH_REACH
    while True:
        near = pairs[(pairs[:, 0] >= a0 - reach) & (pairs[:, 0] <= a1 + reach)
                     & (pairs[:, 1] >= b0 - reach) & (pairs[:, 1] <= b1 + reach)]
        box = (*near.min(axis=0).tolist(), *near.max(axis=0).tolist())
        if box == (a0, b0, a1, b1):
            break
        a0, b0, a1, b1 = box
    return _Cluster((a0, a1 + 1, b0, b1 + 1), cluster.similarity, cluster.seeds, pairs)


def _to_tokens(model: SentenceModel, cluster: _Cluster) -> _Cluster:
    a0, a1, b0, b1 = cluster.box
    box = (int(model.a_bounds[a0]), int(model.a_bounds[a1]),
           int(model.b_bounds[b0]), int(model.b_bounds[b1]))
    return _Cluster(box, cluster.similarity, cluster.seeds, cluster.pairs)


def _a_overlap(x: tuple[int, ...], y: tuple[int, ...]) -> int:
    return max(0, min(x[1], y[1]) - max(x[0], y[0]))

def boxes_overlap(x: tuple[int, ...], y: tuple[int, ...]) -> bool:
    return x[0] < y[1] and y[0] < x[1] and x[2] < y[3] and y[2] < x[3]



def _summaries(
    model: SentenceModel,
    normal: list[_Cluster],
    verbatim: list[tuple[int, int, int, int]],
    n_b_tokens: int,
    config: AlignConfig,
) -> list[_Cluster]:
    """Passages of a that condense most of b.

    A summary's few sentences match sentences spread over most of the source, too far apart for
    the normal gap, and each only loosely: seeds use ``summary_similarity`` and the gap in b is
    ``summary_gap``. A candidate must span ``summary_ratio`` times more tokens in b than in a and
    at least half of b, and its seeds must come from ``_SUMMARY_MIN_SENTENCES`` sentences of a.
    It is rejected when a normal passage spans (nearly) all of it in a: that
    passage explains it, and the candidate only adds loosely similar source sentences (a
    summary's sentences match scattered parts of the source, so normal passages cover it only
    piecewise); and when it overlaps a verbatim copy, which is reuse of another kind.

    With ``summary_whole_source``, a kept summary's source is the whole of b: a summary
    condenses a text, not the stretch between the first and the last of its sentences that
    happen to match a sentence of it closely enough to seed (the seeds already span at least
    half of b).
    """
    seeds = model.similar(config.summary_similarity, config.summary_similarity)
    if len(seeds) < _SUMMARY_MIN_SEEDS:
        return []
    # A candidate needs _SUMMARY_MIN_SEEDS seeds and half of b; clusters short of either are
    # not validated (nor split again) at all.
    candidates = [
        _to_tokens(model, c)
        for c in _validated_clusters(
            model, seeds, config.sentence_gap, config.summary_gap, config,
            _SUMMARY_MIN_SEEDS, math.ceil(_SUMMARY_SHARE * n_b_tokens),
        )
    ]
    kept = []
    for c in candidates:
        if len(np.unique(c.pairs[:, 0])) < _SUMMARY_MIN_SENTENCES:
            continue
        a_len, b_len = c.box[1] - c.box[0], c.box[3] - c.box[2]
        if b_len < config.summary_ratio * a_len or b_len < _SUMMARY_SHARE * n_b_tokens:
            continue
        if any(_a_overlap(c.box, n.box) >= _SUMMARY_EXPLAINED * a_len for n in normal):
            continue
        if any(boxes_overlap(c.box, v) and v[1] - v[0] >= _SUMMARY_VERBATIM * a_len for v in verbatim):
            continue
        if config.summary_whole_source:
            c = _Cluster((c.box[0], c.box[1], 0, n_b_tokens), c.similarity, c.seeds, c.pairs)
        kept.append(c)
    return kept


def paraphrase_passage_boxes(
    model: SentenceModel | None,
    a_hashes: np.ndarray,
    b_hashes: np.ndarray,
    config: AlignConfig,
    verbatim: list[tuple[int, int, int, int]],
) -> list[tuple[int, int, int, int]]:
    """Token boxes of passages found from sentence seeds, without overlaps in a.

    ``a_hashes``/``b_hashes`` are the token hashes of the pair's documents; ``verbatim`` the
    lexical passages that are near-exact copies (see :func:`_summaries`).
    """
    if model is None:
        return []
    n_b_tokens = len(b_hashes)
    gap = config.sentence_gap
    normal = [
        _to_tokens(model, _grow(model, _best_match_box(model, c), config.grow_similarity))
        for c in _validated_clusters(model, model.seeds, gap, gap, config)
    ]
    summaries = _summaries(model, normal, verbatim, n_b_tokens, config)
    # A summary replaces the normal passages it overlaps in a.
    covered = _a_union([s.box for s in summaries])
    passages = [
        _trim_unshared_edges(n, a_hashes, b_hashes) for n in normal
        if not _a_hits(covered, n.box)
    ] + summaries
    passages = [p for p in passages if _long_enough(p.box, config.min_length)]
    return _most_similar_in_a(passages)


# A paraphrase passage's shorter side needs this share of ``min_length`` tokens.
_SHORTER_SIDE = 0.6


def _long_enough(box: tuple[int, int, int, int], min_length: int) -> bool:
    """Whether a paraphrase passage is long enough: ``min_length`` tokens a side on average,
    and ``_SHORTER_SIDE`` of that on its shorter side. Rewording that drops words (random
    deletions, condensing) leaves a passage much shorter than its source, whose length still
    counts as evidence; a short passage short on both sides is as likely two sentences on the
    same topic."""
    a_len, b_len = box[1] - box[0], box[3] - box[2]
    return (a_len + b_len >= 2 * min_length
            and min(a_len, b_len) >= _SHORTER_SIDE * min_length)


# A passage's edge with more than this many tokens before its first content word shared with
# the other side is cut there.
_EDGE_UNSHARED = 10


def _trim_unshared_edges(passage: _Cluster, a_hashes: np.ndarray,
                         b_hashes: np.ndarray) -> _Cluster:
    """The passage without the stretches at its ends, on either side, of more than
    ``_EDGE_UNSHARED`` tokens before the first (after the last) content word that the other
    side's passage also holds.

    A passage ends at sentence ends, and text without punctuation (lists, menus, captions
    run together) makes sentences of hundreds of words, of which a reused passage may be a
    part only; its reworded sentences keep content words of their source all along, so a long
    stretch sharing none lies outside it. Shorter stretches are kept: the first words of a
    reworded sentence are often the ones changed.
    """
    a0, a1, b0, b1 = passage.box
    a_part, b_part = a_hashes[a0:a1], b_hashes[b0:b1]
    stop = _stopword_hashes()
    a_shared = np.flatnonzero(np.isin(a_part, b_part) & ~np.isin(a_part, stop))
    b_shared = np.flatnonzero(np.isin(b_part, a_part) & ~np.isin(b_part, stop))
    if not len(a_shared):  # then b_shared is empty too
        return passage

    def trimmed(start: int, end: int, shared: np.ndarray) -> tuple[int, int]:
        first, last = int(shared[0]), int(shared[-1])
        return (start + first if first > _EDGE_UNSHARED else start,
                start + last + 1 if end - start - 1 - last > _EDGE_UNSHARED else end)

    box = (*trimmed(a0, a1, a_shared), *trimmed(b0, b1, b_shared))
    return _Cluster(box, passage.similarity, passage.seeds, passage.pairs)


def _a_union(boxes: list[tuple[int, int, int, int]]) -> tuple[list[int], list[int]]:
    """The a ranges of ``boxes`` merged where they overlap: starts and ends, sorted. A box
    overlaps one of ``boxes`` in a (:func:`_a_overlap` above 0) iff it overlaps this union."""
    starts: list[int] = []
    ends: list[int] = []
    for a0, a1, _, _ in sorted(box for box in boxes if box[1] > box[0]):
        if ends and a0 < ends[-1]:
            ends[-1] = max(ends[-1], a1)
        else:
            starts.append(a0)
            ends.append(a1)
    return starts, ends


def _a_hits(union: tuple[list[int], list[int]], box: tuple[int, ...]) -> bool:
    """Whether ``box`` overlaps, in a, one of the disjoint ranges ``union`` (starts and ends,
    sorted): only the last range starting before ``box`` ends can."""
    starts, ends = union
    at = bisect.bisect_left(starts, box[1])
    return box[1] > box[0] and at > 0 and ends[at - 1] > box[0]


def _most_similar_in_a(passages: list[_Cluster]) -> list[tuple[int, int, int, int]]:
    """The boxes of ``passages`` by decreasing similarity (ties in their order), each kept
    unless it overlaps in a one kept before. The kept a ranges are disjoint, so they are held
    sorted and each passage is checked against one of them (:func:`_a_hits`), not all."""
    kept: list[tuple[int, int, int, int]] = []
    starts: list[int] = []
    ends: list[int] = []
    for p in sorted(passages, key=lambda p: -p.similarity):
        if _a_hits((starts, ends), p.box):
            continue
        kept.append(p.box)
        if p.box[1] > p.box[0]:  # an empty range overlaps nothing
            at = bisect.bisect_left(starts, p.box[1])
            starts.insert(at, p.box[0])
            ends.insert(at, p.box[1])
    return kept
