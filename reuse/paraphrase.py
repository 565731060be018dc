"""Paraphrase seeds: reused passages that are reworded, found from similar sentences.

After the best PAN 2014 text-alignment system (Sanchez-Perez, Sidorov and Gelbukh), written
from its description: each sentence gets a TF-IDF vector over both documents' sentences (stop
words removed, words cut to 5 letters); similar sentence pairs are seeds, clustered by gaps in
both documents, validated by the similarity of the whole passage and grown at their edges
(:func:`_paraphrase_boxes`). Summaries, a few sentences condensing most of the other document,
are found with looser seeds and a wide gap (:func:`_summaries`). :func:`_sentence_models`
computes the models of many pairs together, bit-identical to :func:`_sentence_model` per pair.
:mod:`reuse.align` combines these passages with the lexical ones.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix

from .tokenize import Tokens, normalize_token, token_hash_reference

if TYPE_CHECKING:
    from .align import AlignConfig


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


def _stems(text: str, tokens: Tokens) -> np.ndarray:
    """A hash of the first few lower-cased code points of each token: a crude stemmer."""
    if not len(tokens):
        return np.empty(0, dtype=np.uint64)
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codepoints = codepoints.astype(np.uint64)
    upper = (codepoints >= 65) & (codepoints <= 90)
    codepoints[upper] += np.uint64(32)
    lengths = np.minimum(tokens.ends - tokens.starts, _STEM_CHARS)
    acc = np.zeros(len(tokens), dtype=np.uint64)
    for k in range(_STEM_CHARS):
        has = k < lengths
        value = codepoints[np.where(has, tokens.starts + k, 0)] + np.uint64(1)
        acc = np.where(has, acc * np.uint64(0x100000001B3) + value, acc)
    return acc


@dataclass(frozen=True)
class _Sentences:
    """The sentences of one document: ``bounds`` (token index where each sentence starts, plus
    the token count), and the stem and sentence of every token that is no stop word."""

    bounds: np.ndarray
    stems: np.ndarray
    sentence_of: np.ndarray


def _sentences(text: str, tokens: Tokens) -> _Sentences:
    """The sentences of a document: they depend on it alone, so a document in many pairs is
    split once."""
    bounds = _sentence_bounds(text, tokens)
    stems = _stems(text, tokens)
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
class _SentenceModel:
    """Sentence TF-IDF vectors of both documents of a pair, and the cosine and Dice of every
    sentence pair that shares a term (kept sparse: two books have millions of sentence pairs).
    """

    a_bounds: np.ndarray  # token index where each sentence of a starts, plus len(a)
    b_bounds: np.ndarray
    a_weights: _Weights  # (sentences x terms) tf-idf, not normalized
    b_weights: _Weights
    pair_keys: np.ndarray  # sorted a_sentence * n_b + b_sentence of pairs sharing a term
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


def _sorted_entries(matrix: csr_matrix, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    coo = matrix.tocoo()
    keys = coo.row.astype(np.int64) * n_b + coo.col
    order = np.argsort(keys, kind="stable")
    return keys[order], coo.data[order]


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


def _sentence_model(a: _Sentences, b: _Sentences, config: AlignConfig) -> _SentenceModel | None:
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
    keys, common = _sorted_entries(
        a_rows.matrix(np.ones(len(a_rows.term)), width)
        @ b_rows.matrix(np.ones(len(b_rows.term)), width).T,
        n_b,
    )
    cosine_keys, cosine_values = _sorted_entries(
        a_rows.matrix(_unit_rows(a_rows, a_weights), width)
        @ b_rows.matrix(_unit_rows(b_rows, b_weights), width).T,
        n_b,
    )
    # Pairs sharing only terms of zero idf have no cosine entry.
    at = np.minimum(np.searchsorted(cosine_keys, keys), max(len(cosine_keys) - 1, 0))
    found = (cosine_keys[at] == keys) if len(cosine_keys) else np.zeros(len(keys), dtype=bool)
    cosine = np.where(found, cosine_values[at] if len(cosine_keys) else 0.0, 0.0)
    sizes = (
        np.bincount(a_rows.sentence, minlength=n_a)[keys // n_b]
        + np.bincount(b_rows.sentence, minlength=n_b)[keys % n_b]
    )
    dice = 2 * common / sizes
    model = _SentenceModel(
        a_bounds, b_bounds, a_rows.weights(a_weights, width), b_rows.weights(b_weights, width),
        keys, cosine, dice, np.empty((0, 2), dtype=np.int64),
    )
    model.seeds = model.similar(config.sentence_cosine, config.sentence_dice)
    return model


@dataclass(frozen=True)
class _DocRows:
    """Term counts of the sentences of many documents, for :func:`_sentence_models`.

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


def _csr_entries(matrix: csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of the entries of a product (which has no explicit zeros or
    duplicates), sorted by row then column."""
    matrix.sort_indices()
    row = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return row, matrix.indices.astype(np.int64), matrix.data


_MODEL_ENTRIES = 2_000_000  # (sentence, term) entries of the pairs modelled together
_MODEL_CELLS = 20_000_000  # sentence pairs (a's sentences x b's) of the pairs modelled together


def _sentence_models(
    sentences: Sequence[_Sentences], left: np.ndarray, right: np.ndarray, config: AlignConfig
) -> Iterator[tuple[int, _SentenceModel]]:
    """``(k, model)``, in order of ``k``, with the :func:`_sentence_model` of pair
    ``(sentences[left[k]], sentences[right[k]])`` for the pairs whose model seeds something.

    The models are computed a group of pairs at a time, with the same floating-point
    operations in the same order as :func:`_sentence_model`: the TF-IDF matrices of a group's
    pairs are the blocks of one block-diagonal product. A pair is left out when its model seeds
    nothing (no sentence pair passes the seed thresholds, and fewer than a summary's least seeds
    pass the summary thresholds), as :func:`_paraphrase_boxes` would find nothing in it.
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
) -> list[tuple[int, _SentenceModel]]:
    """``(k, model)`` for the pairs ``(left[k], right[k])`` whose model seeds something."""
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

    # b's matrix transposed, as the product converts it, once for both products: the
    # conversion orders the entries by column, and ``moved`` says where each one went.
    b_transposed = csr_matrix(
        (np.arange(len(b_at), dtype=np.float64), b_col, b_indptr), shape=(n_b_rows, len(columns))
    ).T.tocsr()
    moved = b_transposed.data.astype(np.int64)

    def a_matrix(data: np.ndarray) -> csr_matrix:
        return csr_matrix((data, a_col, a_indptr), shape=(n_a_rows, len(columns)))

    def b_matrix_transposed(data: np.ndarray | None) -> csr_matrix:
        values = np.ones(len(moved)) if data is None else data[moved]
        return csr_matrix((values, b_transposed.indices, b_transposed.indptr),
                          shape=b_transposed.shape)

    def unit(row: np.ndarray, weights: np.ndarray, n_rows: int) -> np.ndarray:
        norms = np.sqrt(np.bincount(row, weights=weights**2, minlength=n_rows))
        norms[norms == 0] = 1.0
        return weights / norms[row]

    # Sentence pairs sharing a term: rows of the whole group, sorted.
    a_sentence, b_sentence, common = _csr_entries(
        a_matrix(np.ones(len(a_at))) @ b_matrix_transposed(None)
    )
    cosine_a, cosine_b, cosine_values = _csr_entries(
        a_matrix(unit(a_row, a_weights, n_a_rows))
        @ b_matrix_transposed(unit(b_row, b_weights, n_b_rows))
    )
    if len(cosine_values) == len(common):  # the same sentence pairs
        cosine = cosine_values
    else:  # pairs sharing only terms of zero idf have no cosine entry
        keys = a_sentence * n_b_rows + b_sentence
        cosine_keys = cosine_a * n_b_rows + cosine_b
        at = np.minimum(np.searchsorted(cosine_keys, keys), max(len(cosine_keys) - 1, 0))
        found = (cosine_keys[at] == keys) if len(cosine_keys) else np.zeros(len(keys), dtype=bool)
        cosine = np.where(found, cosine_values[at] if len(cosine_keys) else 0.0, 0.0)
    dice = 2 * common / (a_sizes[a_sentence] + b_sizes[b_sentence])
    pair = np.repeat(np.arange(n_pairs, dtype=np.int64), n_a)[a_sentence]
    seeds = np.bincount(
        pair[(cosine > config.sentence_cosine) & (dice > config.sentence_dice)],
        minlength=n_pairs,
    )
    summary_seeds = np.bincount(
        pair[(cosine > config.summary_similarity) & (dice > config.summary_similarity)],
        minlength=n_pairs,
    )
    live = np.flatnonzero((seeds > 0) | (summary_seeds >= _SUMMARY_MIN_SEEDS))
    pair_first = np.searchsorted(pair, np.arange(n_pairs + 1))

    def block(k: int, data: np.ndarray, col: np.ndarray, indptr: np.ndarray,
              entry_first: np.ndarray, row_first: np.ndarray) -> _Weights:
        """Pair ``k``'s block, in the pair's own rows and columns."""
        x, y = entry_first[k], entry_first[k + 1]
        rows_k = indptr[row_first[k] : row_first[k + 1] + 1] - indptr[row_first[k]]
        return _Weights(rows_k, col[x:y] - first_column[k], data[x:y],
                        int(first_column[k + 1] - first_column[k]))

    out = []
    for k in live.tolist():
        x, y = pair_first[k], pair_first[k + 1]
        model = _SentenceModel(
            sentences[left[k]].bounds, sentences[right[k]].bounds,
            block(k, a_weights, a_col, a_indptr, a_entry_first, a_first),
            block(k, b_weights, b_col, b_indptr, b_entry_first, b_first),
            (a_sentence[x:y] - a_first[k]) * int(n_b[k]) + b_sentence[x:y] - b_first[k],
            cosine[x:y], dice[x:y], np.empty((0, 2), dtype=np.int64),
        )
        model.seeds = model.similar(config.sentence_cosine, config.sentence_dice)
        out.append((k, model))
    return out


def _summed_rows(matrix: _Weights, lo: int, hi: int) -> np.ndarray:
    """The sum of rows ``lo:hi`` as a dense vector: added per column in row order, as
    ``csr_matrix.sum(axis=0)`` adds them."""
    start, stop = matrix.indptr[lo], matrix.indptr[hi]
    return np.bincount(matrix.indices[start:stop], weights=matrix.data[start:stop],
                       minlength=matrix.width)


def _passage_cosine(model: _SentenceModel, box: tuple[int, int, int, int]) -> float:
    """TF-IDF cosine between sentences ``[a0, a1)`` of a and ``[b0, b1)`` of b, each summed."""
    a = _summed_rows(model.a_weights, box[0], box[1])
    b = _summed_rows(model.b_weights, box[2], box[3])
    # As float(np.linalg.norm(a) * np.linalg.norm(b)): norm is the root of x.dot(x).
    norm = math.sqrt(a.dot(a)) * math.sqrt(b.dot(b))
    return float(a @ b) / norm if norm else 0.0


_LONE_SEED_MARGIN = 0.2
_SUMMARY_MIN_SEEDS = 4
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


def _seed_clusters(seeds: list[list[int]], a_gap: int, b_gap: int) -> list[list[int]]:
    """Groups of the seeds ``(a_sentence, b_sentence)``: split alternately by gaps of more than
    ``a_gap`` sentences in a and ``b_gap`` in b until neither splits. Most splits are of a
    handful of seeds, which Python lists split faster than numpy calls do; large ones go through
    numpy."""
    gaps = (a_gap, b_gap)
    pending: list[tuple[list[int], int, bool]] = [(list(range(len(seeds))), 0, False)]
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
    if len(members) > _NUMPY_SPLIT:
        index = np.array(members, dtype=np.int64)
        starts = np.array([seeds[m][axis] for m in members], dtype=np.int64)
        return [index[part].tolist() for part in _split_by_gaps(starts, starts + 1, gap)]
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


def _validated_clusters(
    model: _SentenceModel, seeds: np.ndarray, a_gap: int, b_gap: int, config: AlignConfig,
    min_seeds: int = 1, min_b_tokens: int = 0,
) -> list[_Cluster]:
    """Cluster sentence seeds; a cluster whose passages are not similar enough as a whole is
    clustered again with a smaller gap, down to single sentences. A cluster of one seed must be
    clearly more similar than the threshold: one sentence pair is weak evidence.

    Clusters of fewer than ``min_seeds`` seeds or spanning fewer than ``min_b_tokens`` tokens of
    b are left out unchecked: clustering them again only gives clusters smaller on both counts.
    """
    return _validated(model, seeds.tolist(), a_gap, b_gap, config, min_seeds, min_b_tokens)


def _validated(
    model: _SentenceModel, seeds: list[list[int]], a_gap: int, b_gap: int, config: AlignConfig,
    min_seeds: int, min_b_tokens: int,
) -> list[_Cluster]:
    found: list[_Cluster] = []
    if not seeds:
        return found
    for members in _seed_clusters(seeds, a_gap, b_gap):
        if len(members) < min_seeds:
            continue
        a_sentences = [seeds[m][0] for m in members]
        b_sentences = [seeds[m][1] for m in members]
        box = (min(a_sentences), max(a_sentences) + 1, min(b_sentences), max(b_sentences) + 1)
        if model.b_bounds[box[3]] - model.b_bounds[box[2]] < min_b_tokens:
            continue
        similarity = _passage_cosine(model, box)
        threshold = config.min_paraphrase_similarity
        if len(members) == 1:
            threshold += _LONE_SEED_MARGIN
        if similarity >= threshold:
            found.append(_Cluster(box, similarity, len(members)))
        elif max(a_gap, b_gap) > 0 and len(members) > 1:
            found += _validated(
                model, [seeds[m] for m in members], max(a_gap - 1, 0), max(b_gap - 1, 0), config,
                min_seeds, min_b_tokens,
            )
    return found


def _grow(model: _SentenceModel, cluster: _Cluster, threshold: float) -> _Cluster:
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


def _to_tokens(model: _SentenceModel, cluster: _Cluster) -> _Cluster:
    a0, a1, b0, b1 = cluster.box
    box = (int(model.a_bounds[a0]), int(model.a_bounds[a1]),
           int(model.b_bounds[b0]), int(model.b_bounds[b1]))
    return _Cluster(box, cluster.similarity, cluster.seeds)


def _a_overlap(x: tuple[int, ...], y: tuple[int, ...]) -> int:
    return max(0, min(x[1], y[1]) - max(x[0], y[0]))

def _overlaps(x: tuple[int, ...], y: tuple[int, ...]) -> bool:
    return x[0] < y[1] and y[0] < x[1] and x[2] < y[3] and y[2] < x[3]



def _summaries(
    model: _SentenceModel,
    normal: list[_Cluster],
    verbatim: list[tuple[int, int, int, int]],
    n_b_tokens: int,
    config: AlignConfig,
) -> list[_Cluster]:
    """Passages of a that condense most of b.

    A summary's few sentences match sentences spread over most of the source, too far apart for
    the normal gap, and each only loosely: seeds use ``summary_similarity`` and the gap in b is
    ``summary_gap``. A candidate must span ``summary_ratio`` times more tokens in b than in a and
    at least half of b. It is rejected when a normal passage spans (nearly) all of it in a: that
    passage explains it, and the candidate only adds loosely similar source sentences (a
    summary's sentences match scattered parts of the source, so normal passages cover it only
    piecewise); and when it overlaps a verbatim copy, which is reuse of another kind.
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
        a_len, b_len = c.box[1] - c.box[0], c.box[3] - c.box[2]
        if b_len < config.summary_ratio * a_len or b_len < _SUMMARY_SHARE * n_b_tokens:
            continue
        if any(_a_overlap(c.box, n.box) >= _SUMMARY_EXPLAINED * a_len for n in normal):
            continue
        if any(_overlaps(c.box, v) and v[1] - v[0] >= _SUMMARY_VERBATIM * a_len for v in verbatim):
            continue
        kept.append(c)
    return kept


def _paraphrase_boxes(
    model: _SentenceModel | None,
    n_b_tokens: int,
    config: AlignConfig,
    verbatim: list[tuple[int, int, int, int]],
) -> list[tuple[int, int, int, int]]:
    """Token boxes of passages found from sentence seeds, without overlaps in a.

    ``verbatim`` are the lexical passages that are near-exact copies (see :func:`_summaries`).
    """
    if model is None:
        return []
    gap = config.sentence_gap
    normal = [
        _to_tokens(model, _grow(model, c, config.grow_similarity))
        for c in _validated_clusters(model, model.seeds, gap, gap, config)
    ]
    summaries = _summaries(model, normal, verbatim, n_b_tokens, config)
    # A summary replaces the normal passages it overlaps in a.
    passages = [
        n for n in normal if not any(_a_overlap(n.box, s.box) for s in summaries)
    ] + summaries
    passages = [
        p for p in passages
        if min(p.box[1] - p.box[0], p.box[3] - p.box[2]) >= config.min_length
    ]
    # Of passages overlapping in a, keep the most similar.
    kept: list[tuple[int, int, int, int]] = []
    for p in sorted(passages, key=lambda p: -p.similarity):
        if not any(_a_overlap(p.box, other) for other in kept):
            kept.append(p.box)
    return kept
