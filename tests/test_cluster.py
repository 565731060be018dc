"""cluster: the chaining guard, the representative rule, and one keep decision per document."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.cluster.documents import representative_priority, star_clusters


def _pairs(*pairs: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    return left, right


def test_chaining_guard_keeps_c_out_of_a_cluster():
    a, b, c = 0, 1, 2
    left, right = _pairs((a, b), (b, c))
    clusters = star_clusters(3, left, right, priority=np.array([0, 1, 2]))
    assert clusters.representative.tolist() == [a, a, c]
    assert clusters.cluster[a] == clusters.cluster[b] != clusters.cluster[c]
    assert clusters.keep.tolist() == [True, False, True]


def test_triangle_is_one_cluster():
    left, right = _pairs((0, 1), (1, 2), (0, 2))
    clusters = star_clusters(3, left, right, priority=np.array([2, 0, 1]))
    assert clusters.representative.tolist() == [1, 1, 1]
    assert clusters.keep.tolist() == [False, True, False]


def test_member_of_a_star_is_never_a_representative_of_another():
    # B is best, A~B and A~C: C is not a near-duplicate of B, so C is kept on its own.
    left, right = _pairs((0, 1), (0, 2))
    clusters = star_clusters(3, left, right, priority=np.array([1, 0, 2]))
    assert clusters.representative.tolist() == [1, 1, 2]


def test_unpaired_documents_are_their_own_singletons():
    clusters = star_clusters(4, *_pairs(), priority=np.arange(4))
    assert clusters.cluster.tolist() == [0, 1, 2, 3]
    assert clusters.keep.all()
    left, right = _pairs((3, 1))
    clusters = star_clusters(4, left, right, priority=np.arange(4))
    assert clusters.cluster.tolist() == [0, 1, 2, 1]
    assert clusters.representative.tolist() == [0, 1, 2, 1]


def test_representative_earliest_date_first():
    rank = representative_priority([10, 50, 30], ["2021-05-01", "2021-06-01", "2020-01-01"])
    assert rank.tolist() == [1, 2, 0]


def test_representative_longest_when_dates_tie_or_are_absent():
    assert representative_priority([10, 50, 30]).tolist() == [2, 0, 1]
    same_day = ["2020-01-01", "2020-01-01", "2020-01-01"]
    assert representative_priority([10, 50, 30], same_day).tolist() == [2, 0, 1]


def test_representative_first_seen_when_all_else_ties():
    assert representative_priority([7, 7, 7]).tolist() == [0, 1, 2]
    assert representative_priority([7, 7, 7], [None, None, None]).tolist() == [0, 1, 2]


def test_undated_documents_come_after_dated_ones():
    dates = [None, "2030-01-01", "not a date", "", float("nan"), "2029-12-31"]
    rank = representative_priority([100, 1, 100, 100, 100, 1], dates)
    # Dated first (earliest first), then undated by length and position.
    assert rank.tolist() == [2, 1, 3, 4, 5, 0]


def test_mixed_date_formats_and_time_zones():
    dates = [
        "2020-01-02",
        "March 3, 2019",  # a different format from the first value: still a date
        datetime.date(2019, 1, 1),
        "2019-01-01T00:30:00+02:00",  # 2018-12-31 22:30 UTC
        "1500-06-01",  # outside pandas' nanosecond range
    ]
    rank = representative_priority([1, 1, 1, 1, 1], dates)
    assert rank.tolist() == [4, 3, 2, 1, 0]


def test_priority_decides_representative_in_clusters():
    lengths = [100, 300, 200]
    dates = [None, "2021-01-01", "2020-01-01"]
    left, right = _pairs((0, 1), (0, 2), (1, 2))
    clusters = star_clusters(3, left, right, representative_priority(lengths, dates))
    assert clusters.representative.tolist() == [2, 2, 2]
    clusters = star_clusters(3, left, right, representative_priority(lengths))
    assert clusters.representative.tolist() == [1, 1, 1]


@settings(max_examples=200, deadline=None)
@given(
    n_docs=st.integers(1, 15),
    data=st.data(),
)
def test_every_document_gets_one_row_and_each_cluster_one_keep(n_docs, data):
    pair = st.tuples(st.integers(0, n_docs - 1), st.integers(0, n_docs - 1)).filter(
        lambda p: p[0] != p[1]
    )
    pairs = sorted({(min(p), max(p)) for p in data.draw(st.lists(pair, max_size=30))})
    lengths = data.draw(st.lists(st.integers(0, 5), min_size=n_docs, max_size=n_docs))
    left, right = _pairs(*pairs) if pairs else _pairs()
    priority = representative_priority(lengths)
    clusters = star_clusters(n_docs, left, right, priority)
    assert len(clusters.cluster) == len(clusters.representative) == len(clusters.keep) == n_docs
    linked = set(pairs)
    for doc in range(n_docs):
        rep = int(clusters.representative[doc])
        assert clusters.representative[rep] == rep
        assert clusters.cluster[doc] == clusters.cluster[rep]
        if rep != doc:
            # Every member is a verified near-duplicate of what is kept, and no better-ranked
            # choice was skipped.
            assert (min(doc, rep), max(doc, rep)) in linked
            assert priority[rep] < priority[doc]
    for cluster_id in np.unique(clusters.cluster):
        members = np.flatnonzero(clusters.cluster == cluster_id)
        assert clusters.keep[members].sum() == 1
    # Cluster ids are 0..k-1, numbered by the representative's position in the input.
    reps = np.flatnonzero(clusters.keep)
    assert clusters.cluster[reps].tolist() == list(range(len(reps)))


@pytest.mark.parametrize("n_docs", [0, 1])
def test_tiny_inputs(n_docs):
    clusters = star_clusters(n_docs, *_pairs(), priority=np.arange(n_docs))
    assert clusters.keep.tolist() == [True] * n_docs
