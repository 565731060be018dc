"""Documents longer than one piece are tokenized piece by piece, with the same result."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import reuse.text.tokenize as tokenize_module
from reuse.text.tokenize import _pieces, tokenize_batch, tokenize_joined, tokenize_reference

WORDS = st.sampled_from(["abc", "d’e", "Straße", "e\u0301cole", "x" * 40, "東京", "ﬁn", "1992"])
SEPARATORS = st.sampled_from([" ", "\n", "  ", " -- ", "—", "\t", ""])


@given(
    parts=st.lists(st.tuples(WORDS, SEPARATORS), max_size=120),
    limit=st.integers(4, 120),
)
def test_pieces_give_the_same_tokens_as_the_reference(parts, limit):
    text = "".join(word + separator for word, separator in parts)
    texts = [text, "a short one", text[::-1]]
    original = tokenize_module._MAX_PIECE
    tokenize_module._MAX_PIECE = limit
    try:
        batches = [tokenize_batch(texts), tokenize_joined(
            "\x00".join(texts), np.array([len(t) for t in texts]))]
    finally:
        tokenize_module._MAX_PIECE = original
    for batch in batches:
        for d, doc in enumerate(texts):
            expected = tokenize_reference(doc)
            got = batch.doc(d)
            assert got.hashes.tolist() == expected.hashes.tolist()
            assert got.starts.tolist() == expected.starts.tolist()
            assert got.ends.tolist() == expected.ends.tolist()


def test_cuts_fall_on_whitespace_and_cover_the_text():
    text = "alpha beta gamma delta " * 10
    cuts = _pieces(text, 20)
    assert cuts[0] == 0 and cuts[-1] == len(text)
    assert all(text[c].isspace() for c in cuts[1:-1])
    assert max(np.diff(cuts)) <= 20


def test_a_stretch_without_whitespace_is_not_cut():
    text = "x" * 50 + " tail"
    assert _pieces(text, 20) == [0, 50, len(text)]
