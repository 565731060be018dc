"""Candidate document pair → every reused passage, as exact spans in both documents.

The aligner works on token hashes (see :mod:`reuse.text.tokenize`), so changed case, punctuation,
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
small edits (X-drop, where a matching token whose share of document a is below
``CHANCE_BOUND`` counts double, and an edit is crossed only when the words matching after it
are unlikely to match by chance), so they land on the first and last shared words. The edit script comes from
:func:`rapidfuzz.distance.Indel.opcodes` on the token hashes; a passage of more than
``_WHOLE_BOX_CELLS`` (10⁹) token pairs, whose Indel bit matrix would take over 125 MB, is
aligned piecewise between anchors, exact matches of shingles that occur as often on each side
(:func:`_piecewise_editops`), so that memory and time follow the stretches between them.

:func:`align_pair` finds the lexical passages of one pair step by step
(:func:`lexical_boxes_reference`); :func:`align_batch` and :func:`align_token_batch` find those
of many pairs together with a few numpy passes over all of them (:mod:`reuse.align.batch`),
with the same results, several times faster.

**Paraphrase** (``paraphrase=True``, :mod:`reuse.align.paraphrase`), after the best PAN 2014
text-alignment system (Sanchez-Perez, Sidorov and Gelbukh), written from its description:
sentences get TF-IDF vectors over both documents' sentences (stop words removed, words cut to 5
code points normalized as the tokens are, as a crude stemmer); a sentence pair with cosine >
``sentence_cosine`` and Dice > ``sentence_dice`` is a seed. Seeds are clustered by splitting on
gaps of more than ``sentence_gap`` sentences in a, then in b, until stable; a cluster whose
sentences are not similar enough as a whole (``min_paraphrase_similarity``) is clustered again
with a smaller gap; a kept one is bounded by its mutual best sentence matches (a sentence on
the same topic next to the source does not stretch it), grows by the neighbouring sentence
pairs that are loosely similar (``grow_similarity``) and loses edge stretches of more than
10 tokens sharing no content word with the other side (unpunctuated text makes long
sentences). A summary is found with looser seeds (``summary_similarity``)
and a wide gap in b (``summary_gap``), and kept only when it condenses most of b (see
:func:`reuse.align.paraphrase._summaries`).

Where the two overlap, near-verbatim lexical passages (similarity 0.9 and up) win (exact
boundaries); otherwise the paraphrase passage absorbs the lexical fragments inside it, edited
copies included, so one reused passage gives one alignment.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from ..text.tokenize import TokenBatch, Tokens, tokenize, tokenize_batch
from .alignment import Alignment
from .batch import lexical_boxes
from .combine import merged_boxes, paraphrase_combined, position_of
from .config import AlignConfig
from .edits import lexical_alignments, make_alignment
from .ocr_seeds import with_ocr_boxes
from .paraphrase import (
    sentence_model,
    sentence_models,
    split_sentences,
)
from .reference import lexical_boxes_reference


def align_token_batch(
    tokens: TokenBatch,
    left: np.ndarray,
    right: np.ndarray,
    config: AlignConfig,
    texts: Sequence[str] | None = None,
    *,
    paraphrase_skipped: list[int] | None = None,
    strip_diacritics: bool = False,
) -> list[list[Alignment]]:
    """Alignments of the document pairs ``(left[k], right[k])`` of a token batch, one list per
    pair: :func:`align_batch` for callers that tokenized many documents together (a document
    may take part in many pairs). ``texts`` are the batch's raw texts, needed only with
    ``config.paraphrase``. The pairs ``k`` that get no paraphrase seeds because too many of
    their sentence pairs are similar (texts repeating the same few lines; see
    :mod:`reuse.align.paraphrase`) are appended to ``paraphrase_skipped``, when given.
    ``strip_diacritics``: the tokens were made with it (the paraphrase stems follow them)."""
    config = config.validate().resolved()
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
    if config.ocr_tolerant:  # opt-in: also character n-gram seeds (reuse.align.ocr_seeds)
        boxes = with_ocr_boxes(boxes, tokens, texts, left, right, **limits)
    boxes, alignments = lexical_alignments(tokens, left, right, merged_boxes(boxes))
    cuts = np.searchsorted(boxes[:, 0], np.arange(len(left) + 1)).tolist()
    if not config.paraphrase:
        return [alignments[x:y] for x, y in itertools.pairwise(cuts)]
    keys = list(map(tuple, boxes[:, 1:].tolist()))
    found = [dict(zip(keys[x:y], alignments[x:y], strict=True))
             for x, y in itertools.pairwise(cuts)]
    out = [sorted(pair_found.values(), key=position_of) for pair_found in found]
    # Each document is split into sentences once, however many pairs it is in; only the pairs
    # whose sentence model seeds something have paraphrase passages to look for.
    docs, inverse = np.unique(np.concatenate((left, right)), return_inverse=True)
    sentences = [split_sentences(texts[d], tokens.doc(d), strip_diacritics) for d in docs.tolist()]
    for k, model in sentence_models(sentences, inverse[: len(left)], inverse[len(left) :],
                                     config):
        if model is None and paraphrase_skipped is not None:
            paraphrase_skipped.append(k)
        out[k] = paraphrase_combined(tokens.doc(int(left[k])), tokens.doc(int(right[k])), config,
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
    strip_diacritics: bool = False,
) -> list[list[Alignment]]:
    """:func:`align_pair` for many pairs ``(a_texts[k], b_texts[k])``: one list per pair.

    The lexical seeds, chaining and boundary extension run for all pairs together (see
    :mod:`reuse.align.batch`), so with ``paraphrase=False`` a pair of short documents costs tens
    of microseconds instead of hundreds. The sentence TF-IDF similarities of the paraphrase
    seeds are computed for many pairs together too, and only pairs with similar sentences are
    clustered one by one. Pass
    ``a_tokens``/``b_tokens`` (from :func:`reuse.text.tokenize.tokenize` on the same texts) when the
    caller has tokenized them already: a list of :class:`~reuse.text.tokenize.Tokens`, or a
    :class:`~reuse.text.tokenize.TokenBatch` from :func:`reuse.text.tokenize.tokenize_batch` (cheaper),
    made with the same ``strip_diacritics`` (compare tokens without diacritics, é = e).
    """
    config = config.validate().resolved()
    n = len(a_texts)
    for name, given in (("b_texts", b_texts), ("a_tokens", a_tokens), ("b_tokens", b_tokens)):
        if given is not None and len(given) != n:
            raise ConfigError(
                f"align_batch needs one {name} entry per a_texts entry: got {len(given)} for {n}."
            )
    a_batch = (_as_batch(a_tokens) if a_tokens is not None
               else tokenize_batch(a_texts, strip_diacritics))
    b_batch = (_as_batch(b_tokens) if b_tokens is not None
               else tokenize_batch(b_texts, strip_diacritics))
    tokens = TokenBatch(
        np.concatenate((a_batch.hashes, b_batch.hashes)),
        np.concatenate((a_batch.starts, b_batch.starts)),
        np.concatenate((a_batch.ends, b_batch.ends)),
        np.concatenate((a_batch.bounds, b_batch.bounds[1:] + a_batch.bounds[-1])),
    )
    texts = [*a_texts, *b_texts] if config.paraphrase or config.ocr_tolerant else None
    return align_token_batch(tokens, np.arange(n), np.arange(n, 2 * n), config, texts,
                             strip_diacritics=strip_diacritics)


_REFERENCE_TOKENS = 10_000  # longest document that align_pair aligns with the reference


def align_pair(
    a_text: str,
    b_text: str,
    config: AlignConfig = AlignConfig(),
    *,
    a_tokens: Tokens | None = None,
    b_tokens: Tokens | None = None,
    strip_diacritics: bool = False,
) -> list[Alignment]:
    """Every reused passage between two documents, sorted by position in ``a_text`` (then in
    ``b_text``).

    Pass ``a_tokens``/``b_tokens`` when the caller has already tokenized the texts (they must
    come from :func:`reuse.text.tokenize.tokenize` on the same texts, with the same
    ``strip_diacritics``). Many pairs are several times faster through :func:`align_batch`.
    """
    config = config.validate().resolved()
    if a_tokens is None:
        a_tokens = tokenize(a_text, strip_diacritics)
    if b_tokens is None:
        b_tokens = tokenize(b_text, strip_diacritics)
    if not len(a_tokens) or not len(b_tokens):
        return []
    # For one pair of short documents the step-by-step reference is faster than a batch of one;
    # the tests hold both to the same results. Past _REFERENCE_TOKENS the batch is faster, and
    # the reference's plain definitions (_drop_repeats compares every two runs of a passage)
    # would take memory quadratic in a passage: 24 GB and more for two 10 MB near-duplicates.
    # Character seeds for OCR'd text (reuse.align.ocr_seeds) are found in batches only.
    if max(len(a_tokens), len(b_tokens)) > _REFERENCE_TOKENS or config.ocr_tolerant:
        return align_batch([a_text], [b_text], config, a_tokens=[a_tokens],
                           b_tokens=[b_tokens], strip_diacritics=strip_diacritics)[0]
    a_list, b_list = a_tokens.hashes.tolist(), b_tokens.hashes.tolist()
    found = {
        box: make_alignment(box, a_tokens, b_tokens, "lexical", a_list, b_list)
        for box in lexical_boxes_reference(a_tokens, b_tokens, config)
    }
    if not config.paraphrase:
        return sorted(found.values(), key=position_of)
    model = sentence_model(split_sentences(a_text, a_tokens, strip_diacritics),
                            split_sentences(b_text, b_tokens, strip_diacritics), config)
    return paraphrase_combined(a_tokens, b_tokens, config, found, model)
