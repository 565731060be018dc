"""sketch: pinned MinHash values, the numpy path against the plain-Python definition, estimate
quality, and interoperability with datasketch."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st
from near_dup_corpus import make_corpus

from reuse.candidates.lsh import candidate_pairs
from reuse.errors import ConfigError
from reuse.sketch import minhash as sketch
from reuse.sketch.minhash import EMPTY_VALUE, MinHasher, estimated_jaccard
from reuse.text.shingle import shingle, shingle_batch
from reuse.text.tokenize import tokenize, tokenize_batch

GOLDEN_TEXT = "Hello, wörld — 東京. The quick brown fox jumps over the lazy dog."


def _golden_shingles() -> np.ndarray:
    return shingle(tokenize(GOLDEN_TEXT).hashes, 3)


def test_golden_parameters():
    hasher = MinHasher(num_perm=16, seed=1)
    assert int(hasher.salt) == 9441442522235856127
    assert hasher.offsets[:4].tolist() == [12, 15, 0, 2]
    assert hasher.steps[:4].tolist() == [1, 1, 13, 13]
    assert MinHasher(num_perm=16, seed=2).salt != hasher.salt


@pytest.mark.parametrize("num_perm", [1, 2, 3, 12, 16, 100, 128, 257])
def test_every_probe_sequence_visits_every_bin(num_perm):
    hasher = MinHasher(num_perm=num_perm, seed=3)
    t = np.arange(num_perm)
    for i in range(num_perm):
        visited = (hasher.offsets[i] + hasher.steps[i] * t) % num_perm
        assert len(np.unique(visited)) == num_perm


def test_golden_signature():
    shingles = _golden_shingles()
    assert len(shingles) == 11
    expected = [
        2447876831, 2447876831, 2447876831, 3451618490, 1159586165, 2136883870, 2665818038,
        1159586165, 3742193774, 4034657773, 1159586165, 1498593637, 1159586165, 3742193774,
        4034657773, 1498593637,
    ]
    hasher = MinHasher(num_perm=16, seed=1)
    assert hasher.signature(shingles).tolist() == expected
    assert hasher.signature_reference(shingles.tolist()) == expected
    assert hasher.signature(shingles).dtype == np.uint32


def test_empty_group_has_the_empty_value():
    hasher = MinHasher(num_perm=8, seed=1)
    signature = hasher.signature(np.empty(0, dtype=np.uint64))
    assert signature.tolist() == [int(EMPTY_VALUE)] * 8
    assert hasher.signature_reference([]) == [0xFFFFFFFF] * 8


def test_densified_bins_borrow_from_filled_bins():
    hasher = MinHasher(num_perm=64, seed=1)
    one = hasher.signature(np.array([12345], dtype=np.uint64))
    # One shingle fills one bin; every other bin borrows its value.
    assert len(np.unique(one)) == 1 and one[0] != EMPTY_VALUE
    few = hasher.signature(np.array([1, 2, 3], dtype=np.uint64))
    assert EMPTY_VALUE not in few and len(np.unique(few)) <= 3
    # The same set gives the same signature, whatever the order and multiplicity.
    assert hasher.signature(np.array([3, 1, 2, 2], dtype=np.uint64)).tolist() == few.tolist()


@pytest.mark.parametrize(
    ("num_perm", "seed", "message"),
    [
        (0, 1, r"The 'num_perm' parameter of MinHasher must be a positive int\. Got 0 instead\."),
        (True, 1, r"'num_perm' parameter of MinHasher must be a positive int\. Got True"),
        (8, -1, r"The 'seed' parameter of MinHasher must be an int in \[0, 2\*\*32\)\. Got -1"),
        (8, 2**32, r"'seed' parameter of MinHasher must be an int in \[0, 2\*\*32\)\. Got 4294"),
    ],
)
def test_bad_parameters(num_perm, seed, message):
    with pytest.raises(ConfigError, match=message):
        MinHasher(num_perm=num_perm, seed=seed)


def _bounds(sizes: list[int], start: int = 0) -> np.ndarray:
    bounds = np.full(len(sizes) + 1, start, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    bounds[1:] += start
    return bounds


def _check_groups(hasher: MinHasher, shingles: np.ndarray, sizes: list[int], start: int = 0) -> None:
    bounds = _bounds(sizes, start)
    got = hasher.signatures(shingles, bounds)
    assert got.shape == (len(sizes), hasher.num_perm)
    assert got.dtype == np.uint32
    for g in range(len(sizes)):
        group = shingles[bounds[g] : bounds[g + 1]].tolist()
        assert got[g].tolist() == hasher.signature_reference(group), f"group {g}"


def test_many_groups_match_reference():
    sizes = [0, 300, 5, 0, 1, 2, 1000, 0, 64, 1, 0]
    rng = np.random.default_rng(3)
    shingles = rng.integers(0, 2**64, size=sum(sizes), dtype=np.uint64)
    for num_perm in (7, 64, 128):
        _check_groups(MinHasher(num_perm=num_perm, seed=9), shingles, sizes)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=40), max_size=12),
    start=st.integers(min_value=0, max_value=3),
    num_perm=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    data=st.data(),
)
def test_signatures_match_reference(sizes, start, num_perm, seed, data):
    # Small integers as well as full-width hashes: the family must not assume mixed input.
    values = st.integers(0, 2**64 - 1) | st.integers(0, 50)
    n = start + sum(sizes)
    shingles = np.array(data.draw(st.lists(values, min_size=n, max_size=n)), dtype=np.uint64)
    _check_groups(MinHasher(num_perm=num_perm, seed=seed), shingles, sizes, start)


def test_estimated_jaccard_is_close_to_exact():
    num_perm = 256
    hasher = MinHasher(num_perm=num_perm, seed=5)
    rng = np.random.default_rng(11)
    errors, exact_values = [], []
    for overlap in np.linspace(0.0, 1.0, 21):
        universe = rng.integers(0, 2**64, size=600, dtype=np.uint64)
        shared = int(overlap * 300)
        a = universe[:300]
        b = np.concatenate((universe[:shared], universe[300 : 600 - shared]))
        exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
        signatures = hasher.signatures(np.concatenate((a, b)), _bounds([len(a), len(b)]))
        estimate = estimated_jaccard(signatures, np.array([0]), np.array([1]))[0]
        # Five standard deviations of a binomial estimate, plus one permutation of slack.
        assert abs(estimate - exact) <= 5 * np.sqrt(exact * (1 - exact) / num_perm) + 1 / num_perm
        errors.append(abs(estimate - exact))
        exact_values.append(exact)
    assert exact_values[0] == 0.0 and exact_values[-1] == 1.0
    assert np.mean(errors) < 0.03


def test_estimated_jaccard_values_and_chunking():
    signatures = np.array([[1, 2, 3, 4], [1, 2, 0, 0], [9, 9, 9, 9]], dtype=np.uint32)
    left = np.array([0, 0, 1, 2], dtype=np.int64)
    right = np.array([1, 2, 0, 2], dtype=np.int64)
    assert estimated_jaccard(signatures, left, right).tolist() == [0.5, 0.0, 0.5, 1.0]
    assert estimated_jaccard(signatures, left[:0], right[:0]).tolist() == []


def _corpus_signatures(texts: list[str], num_perm: int, ngram: int = 3) -> np.ndarray:
    tokens = tokenize_batch(texts)
    shingles, bounds = shingle_batch(tokens, ngram)
    return MinHasher(num_perm=num_perm, seed=1).signatures(shingles, bounds)


def test_lean_minhash_export_matches_our_estimate():
    corpus = make_corpus(n_docs=40, n_copies=16)
    signatures = _corpus_signatures(corpus.texts, 64)
    hasher = MinHasher(num_perm=64, seed=1)
    lean = [hasher.to_lean_minhash(s) for s in signatures]
    assert isinstance(lean[0], LeanMinHash)
    assert lean[0].seed == 1 and len(lean[0]) == 64
    assert np.array_equal(np.asarray(lean[0].hashvalues, dtype=np.uint64), signatures[0])
    pairs = [(a, b) for a, b, _ in corpus.planted] + [(0, 1), (2, 3), (5, 5)]
    left = np.array([a for a, _ in pairs])
    right = np.array([b for _, b in pairs])
    ours = estimated_jaccard(signatures, left, right)
    theirs = [lean[a].jaccard(lean[b]) for a, b in pairs]
    assert theirs == ours.tolist()
    assert max(theirs) == 1.0 and min(theirs) < 0.2


@pytest.mark.parametrize(("threshold", "num_perm"), [(0.5, 128), (0.3, 64), (0.8, 128)])
def test_datasketch_lsh_finds_the_same_candidates(threshold, num_perm):
    corpus = make_corpus(n_docs=300, n_copies=60)
    signatures = _corpus_signatures(corpus.texts, num_perm)
    collisions = candidate_pairs(signatures, threshold)
    ours = set(zip(collisions.left.tolist(), collisions.right.tolist(), strict=True))

    hasher = MinHasher(num_perm=num_perm, seed=1)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    lean = [hasher.to_lean_minhash(s) for s in signatures]
    for i, minhash in enumerate(lean):
        lsh.insert(i, minhash)
    theirs = set()
    for i, minhash in enumerate(lean):
        theirs.update((min(i, j), max(i, j)) for j in lsh.query(minhash) if j != i)

    assert ours == theirs
    planted_exact = {(a, b) for a, b, rate in corpus.planted if rate == 0.0}
    assert planted_exact <= ours
    assert 16 <= len(ours) < 2000


@pytest.mark.parametrize(("rounds", "table_bins"), [(0, 4096), (1, 4096), (32, 4096), (1, 0)])
def test_every_densification_path_matches_the_reference(monkeypatch, rounds, table_bins):
    # Rows with few filled bins look their borrowed bins up in a table of probe steps (when
    # num_perm <= table_bins); the others probe for `rounds` rounds and look up whatever is
    # still empty one bin at a time.
    monkeypatch.setattr(sketch, "_MAX_PROBE_ROUNDS", rounds)
    monkeypatch.setattr(sketch, "_MAX_TABLE_BINS", table_bins)
    rng = np.random.default_rng(8)
    sizes = [1, 2, 3, 5, 11, 12, 40, 100, 0, 300]
    shingles = rng.integers(0, 2**64, size=sum(sizes), dtype=np.uint64)
    for num_perm in (2, 100, 128):
        _check_groups(MinHasher(num_perm=num_perm, seed=4), shingles, sizes)


def test_a_document_whose_values_are_all_the_empty_value_stays_empty():
    hasher = MinHasher(num_perm=16, seed=1)
    out = np.full((1, 16), EMPTY_VALUE, dtype=np.uint32)
    hasher._densify(out, np.array([True]))
    assert out.tolist() == [[int(EMPTY_VALUE)] * 16]
