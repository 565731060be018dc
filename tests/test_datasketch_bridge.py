"""The datasketch bridge: exports compare with each other, and refuse datasketch's own sketches."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from reuse import ReuseError
from reuse.sketch.minhash import LEAN_MINHASH_SCHEME, MinHasher
from reuse.text.shingle import shingle
from reuse.text.tokenize import tokenize

A = "the quick brown fox jumps over the lazy dog near the quiet river bank at dawn " * 3
B = A.replace("lazy", "sleepy")


def export(text: str, hasher: MinHasher):
    return hasher.to_lean_minhash(hasher.signature(shingle(tokenize(text).hashes, 3)))


def datasketch_minhash(text: str, seed: int, num_perm: int) -> MinHash:
    sketch = MinHash(num_perm=num_perm, seed=seed)
    for word in text.split():
        sketch.update(word.encode())
    return sketch


def test_exports_compare_with_each_other_as_the_signatures_do():
    hasher = MinHasher(num_perm=128, seed=7)
    left, right = export(A, hasher), export(B, hasher)
    expected = float(np.mean(left.hashvalues == right.hashvalues))
    assert left.jaccard(right) == pytest.approx(expected)
    assert 0.3 < left.jaccard(right) < 1.0
    assert left.scheme == LEAN_MINHASH_SCHEME


def test_comparing_with_a_datasketch_sketch_raises_instead_of_returning_zero():
    hasher = MinHasher(num_perm=128, seed=1)
    ours = export(A, hasher)
    theirs = datasketch_minhash(A, seed=1, num_perm=128)
    with pytest.raises(ValueError, match="different permutation schemes"):
        ours.jaccard(theirs)
    with pytest.raises(ValueError, match="different permutation schemes"):
        theirs.jaccard(ours)


def test_one_lsh_index_refuses_both_kinds():
    hasher = MinHasher(num_perm=128, seed=1)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("ours", export(A, hasher))
    assert lsh.query(export(B, hasher)) == ["ours"]
    with pytest.raises(ValueError, match="scheme"):
        lsh.insert("theirs", datasketch_minhash(A, seed=1, num_perm=128))


def test_pickle_and_copy_keep_the_scheme_and_values():
    ours = export(A, MinHasher(num_perm=64, seed=3))
    for twin in (pickle.loads(pickle.dumps(ours)), ours.copy()):
        assert twin.scheme == LEAN_MINHASH_SCHEME
        assert twin.seed == 3
        assert np.array_equal(twin.hashvalues, ours.hashvalues)
        assert twin == ours


def test_byte_format_is_refused_by_name():
    ours = export(A, MinHasher(num_perm=64, seed=3))
    with pytest.raises(ReuseError, match="no code for reuse's 'reuse-oph32' scheme"):
        ours.serialize(bytearray(1024))


def test_a_signature_of_the_wrong_length_is_refused():
    hasher = MinHasher(num_perm=64, seed=3)
    with pytest.raises(ReuseError, match=r"one signature of 64 values; got an array of shape \(128,\)"):
        hasher.to_lean_minhash(np.zeros(128, dtype=np.uint32))
