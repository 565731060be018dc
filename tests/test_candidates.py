"""candidates: band selection like datasketch, bucket collisions, and oversized buckets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.candidates.lsh import (
    _pairs_within_runs,
    band_keys,
    candidate_pairs,
    collide,
    optimal_bands,
    recall_bands,
)
from reuse.errors import ConfigError


@pytest.mark.parametrize(
    ("threshold", "num_perm", "weights"),
    [
        (0.5, 128, (0.5, 0.5)),
        (0.8, 128, (0.5, 0.5)),
        (0.9, 64, (0.5, 0.5)),
        (0.3, 32, (0.5, 0.5)),
        (0.7, 16, (0.2, 0.8)),
        (0.95, 100, (0.5, 0.5)),
        (0.0, 8, (0.5, 0.5)),
        (1.0, 8, (0.5, 0.5)),
    ],
)
def test_optimal_bands_equals_datasketch(threshold, num_perm, weights):
    assert optimal_bands(threshold, num_perm, *weights) == _optimal_param(
        threshold, num_perm, *weights
    )


def test_optimal_bands_known_values():
    assert optimal_bands(0.8, 128) == (9, 13)
    assert optimal_bands(0.8, 128, 0.5, 0.5) is optimal_bands(0.8, 128, 0.5, 0.5)  # cached


@pytest.mark.parametrize("threshold", [1.5, -0.1, float("nan")])
def test_optimal_bands_rejects_bad_thresholds(threshold):
    with pytest.raises(
        ConfigError, match=r"The 'threshold' parameter of optimal_bands must be a float in \[0, 1\]"
    ):
        optimal_bands(threshold, 16)


def test_band_keys_shape_and_equality():
    signatures = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 2, 3, 4]], dtype=np.uint32)
    keys = band_keys(signatures, 2, 2)
    assert keys.shape == (2, 3) and keys.dtype == np.uint64
    assert keys[0, 0] == keys[0, 1] != keys[0, 2]
    assert keys[1, 0] == keys[1, 2] != keys[1, 1]
    # The band number is folded in: equal rows in different bands give different keys.
    same = np.array([[5, 5, 5, 5]], dtype=np.uint32)
    assert band_keys(same, 2, 2)[0, 0] != band_keys(same, 2, 2)[1, 0]
    with pytest.raises(ConfigError, match=r"bands \* rows must not exceed num_perm: 3 \* 2 > 4"):
        band_keys(signatures, 3, 2)


def _pairs(collisions) -> list[tuple[int, int]]:
    return list(zip(collisions.left.tolist(), collisions.right.tolist(), strict=True))


def test_collide_pairs_are_unique_and_ordered():
    keys = np.array(
        [
            [5, 3, 5, 3, 9, 5],
            [1, 1, 5, 2, 2, 5],  # (2, 5) collides again in this band
        ],
        dtype=np.uint64,
    )
    collisions = collide(keys)
    assert _pairs(collisions) == [(0, 1), (0, 2), (0, 5), (1, 3), (2, 5), (3, 4)]
    assert collisions.oversized_buckets == 0
    assert collisions.oversized_items.tolist() == []
    assert collisions.left.dtype == np.int64


def test_collide_drops_same_owner_pairs():
    keys = np.array([[1, 1, 1, 2, 2]], dtype=np.uint64)
    groups = np.array([0, 0, 1, 1, 1])
    assert _pairs(collide(keys, groups=groups)) == [(0, 2), (1, 2)]


def test_oversized_bucket_gives_star_pairs_to_lowest_order_anchor():
    keys = np.array([[7, 7, 7, 7, 7, 3, 3]], dtype=np.uint64)
    order = np.array([4, 3, 0, 2, 1, 5, 6])
    collisions = collide(keys, max_bucket=4, order=order)
    assert _pairs(collisions) == [(0, 2), (1, 2), (2, 3), (2, 4), (5, 6)]
    assert collisions.oversized_buckets == 1
    assert collisions.oversized_items.tolist() == [0, 1, 2, 3, 4]
    # Without an order, the lowest index is the anchor.
    assert _pairs(collide(keys, max_bucket=4))[:4] == [(0, 1), (0, 2), (0, 3), (0, 4)]


def test_oversized_buckets_are_counted_per_band():
    keys = np.array([[1, 1, 1, 2], [3, 3, 3, 3], [5, 6, 7, 8]], dtype=np.uint64)
    collisions = collide(keys, max_bucket=2)
    assert collisions.oversized_buckets == 2
    assert _pairs(collisions) == [(0, 1), (0, 2), (0, 3)]
    # A bucket of exactly max_bucket items is expanded in full.
    assert _pairs(collide(keys[:1], max_bucket=3)) == [(0, 1), (0, 2), (1, 2)]


def test_singletons_are_never_oversized():
    keys = np.array([[1, 2, 3]], dtype=np.uint64)
    for max_bucket in (0, 1):
        collisions = collide(keys, max_bucket=max_bucket)
        assert _pairs(collisions) == []
        assert collisions.oversized_buckets == 0


def test_collide_with_no_items_or_no_collisions():
    assert _pairs(collide(np.empty((3, 0), dtype=np.uint64))) == []
    assert _pairs(collide(np.array([[1, 2, 3]], dtype=np.uint64))) == []


def _brute_force_runs(members, sizes):
    out, start = [], 0
    for size in sizes:
        run = members[start : start + size]
        out.extend(itertools.combinations(run, 2))
        start += size
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=7), max_size=12), st.randoms())
def test_pairs_within_runs_matches_brute_force(sizes, rnd):
    members = list(range(100, 100 + sum(sizes)))
    rnd.shuffle(members)
    starts = np.zeros(len(sizes), dtype=np.int64)
    if sizes:
        np.cumsum(sizes[:-1], out=starts[1:])
    left, right = _pairs_within_runs(
        np.array(members, dtype=np.int64), starts, np.array(sizes, dtype=np.int64)
    )
    got = list(zip(left.tolist(), right.tolist(), strict=True))
    assert got == _brute_force_runs(members, sizes)


@settings(max_examples=200, deadline=None)
@given(
    n_items=st.integers(0, 10),
    bands=st.integers(1, 3),
    max_bucket=st.integers(2, 12),
    data=st.data(),
)
def test_collide_matches_brute_force(n_items, bands, max_bucket, data):
    band = st.lists(st.integers(0, 3), min_size=n_items, max_size=n_items)
    keys = np.array(data.draw(st.lists(band, min_size=bands, max_size=bands)), dtype=np.uint64)
    keys = keys.reshape(bands, n_items)
    expected = {
        (i, j)
        for i, j in itertools.combinations(range(n_items), 2)
        if (keys[:, i] == keys[:, j]).any()
    }
    collisions = collide(keys, max_bucket=max_bucket)
    got = _pairs(collisions)
    assert got == sorted(set(got))
    assert all(i < j for i, j in got)
    assert set(got) <= expected
    if collisions.oversized_buckets == 0:
        assert set(got) == expected
    # Every item of an oversized bucket keeps at least one pair, to the bucket's anchor.
    paired = {i for pair in got for i in pair}
    assert set(collisions.oversized_items.tolist()) <= paired


def test_candidate_pairs_finds_identical_signatures():
    rng = np.random.default_rng(0)
    signatures = rng.integers(0, 2**32, size=(50, 64), dtype=np.uint32)
    signatures[30] = signatures[3]
    signatures[41, :60] = signatures[7, :60]
    collisions = candidate_pairs(signatures, 0.8)
    assert _pairs(collisions) == [(3, 30), (7, 41)]


@pytest.mark.parametrize(("threshold", "num_perm"), [(0.5, 128), (0.8, 128), (0.9, 64)])
def test_recall_bands_reach_the_recall_at_the_threshold(threshold, num_perm):
    bands, rows = recall_bands(threshold, num_perm)
    assert bands * rows <= num_perm
    assert 1 - (1 - threshold**rows) ** bands >= 0.99
    # More recall than datasketch's balanced choice, which is the point of the option.
    b, r = optimal_bands(threshold, num_perm)
    assert 1 - (1 - threshold**rows) ** bands >= 1 - (1 - threshold**r) ** b


def test_recall_bands_rejects_zero_threshold():
    with pytest.raises(
        ConfigError, match=r"The 'threshold' parameter of recall_bands must be a float in \(0, 1\]"
    ):
        recall_bands(0.0, 16)


def test_band_keys_match_the_plain_definition_across_row_blocks():
    from reuse.candidates.lsh import _BAND_BLOCK_ROWS, _BAND_MULTIPLIER
    from reuse.text.tokenize import mix64_int

    rng = np.random.default_rng(4)
    n = _BAND_BLOCK_ROWS + 17
    signatures = rng.integers(0, 2**32, size=(n, 20), dtype=np.uint32)
    keys = band_keys(signatures, 3, 6)
    for item in (0, 1, _BAND_BLOCK_ROWS - 1, _BAND_BLOCK_ROWS, n - 1):
        for band in range(3):
            acc = band
            for col in range(band * 6, band * 6 + 6):
                acc = (acc * int(_BAND_MULTIPLIER) + int(signatures[item, col])) % 2**64
            assert int(keys[band, item]) == mix64_int(acc)
