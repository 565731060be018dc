"""shingle: the numpy path against the plain-Python definition, and batch boundaries."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.text.shingle import shingle, shingle_batch, shingle_reference
from reuse.text.tokenize import TokenBatch, tokenize, tokenize_batch

hash_lists = st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=30)
ngrams = st.integers(min_value=1, max_value=8)


@settings(max_examples=300, deadline=None)
@given(hash_lists, ngrams)
def test_shingle_matches_reference(hashes, ngram):
    fast = shingle(np.array(hashes, dtype=np.uint64), ngram)
    assert fast.dtype == np.uint64
    assert fast.tolist() == shingle_reference(hashes, ngram)
    assert len(fast) == max(len(hashes) - ngram + 1, 0)


def test_shingle_does_not_modify_its_input():
    hashes = np.arange(10, dtype=np.uint64)
    shingle(hashes, 3)
    assert hashes.tolist() == list(range(10))


def test_shingle_depends_on_order_and_content():
    a = shingle(tokenize("the quick brown fox").hashes, 3)
    b = shingle(tokenize("the brown quick fox").hashes, 3)
    c = shingle(tokenize("THE Quick brown fox").hashes, 3)
    assert len(a) == 2
    assert set(a.tolist()).isdisjoint(b.tolist())
    assert a.tolist() == c.tolist()


def test_golden_shingle_values():
    # Pinned: shingle hashes feed every stored signature.
    assert shingle_reference([1, 2, 3], 2) == shingle(np.array([1, 2, 3], np.uint64), 2).tolist()
    assert shingle_reference([1, 2, 3], 2) == [10905525725756348110, 12918135221727111561]


def _batch(doc_hashes: list[list[int]]) -> TokenBatch:
    counts = [len(h) for h in doc_hashes]
    bounds = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    flat = np.array([x for h in doc_hashes for x in h], dtype=np.uint64)
    positions = np.zeros(len(flat), dtype=np.int64)
    return TokenBatch(flat, positions, positions + 1, bounds)


@settings(max_examples=300, deadline=None)
@given(st.lists(hash_lists, max_size=8), ngrams)
def test_shingle_batch_never_crosses_documents(doc_hashes, ngram):
    shingles, bounds = shingle_batch(_batch(doc_hashes), ngram)
    assert bounds.tolist()[0] == 0
    assert bounds.tolist()[-1] == len(shingles)
    for d, hashes in enumerate(doc_hashes):
        assert bounds[d + 1] - bounds[d] == max(len(hashes) - ngram + 1, 0)
        assert shingles[bounds[d] : bounds[d + 1]].tolist() == shingle_reference(hashes, ngram)


def test_shingle_batch_on_real_text():
    texts = ["one two three four", "", "five", "six seven eight", "nine ten"]
    shingles, bounds = shingle_batch(tokenize_batch(texts), 3)
    assert np.diff(bounds).tolist() == [2, 0, 0, 1, 0]
    assert shingles[bounds[3] : bounds[4]].tolist() == shingle(
        tokenize("six seven eight").hashes, 3
    ).tolist()
    # The boundary shingle "four five six" would only exist if documents were joined.
    joined = shingle(tokenize(" ".join(texts)).hashes, 3).tolist()
    assert len(joined) == 8
    assert set(shingles.tolist()) < set(joined)
