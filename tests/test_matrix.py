from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.report.matrix import (
    NO_GROUP,
    PAIR_COLUMNS,
    cluster_order,
    most_reusing,
    pair_reuse,
    reuse_matrix,
    union_lengths,
)
from reuse.runfolder.schema import TABLES


def alignment(a_id, a_start, a_end, b_id, b_start, b_end, matched=None):
    tokens_a, tokens_b = (a_end - a_start) // 5, (b_end - b_start) // 5
    matched = min(tokens_a, tokens_b) if matched is None else matched
    return {"a_id": a_id, "a_start": a_start, "a_end": a_end, "b_id": b_id, "b_start": b_start,
            "b_end": b_end, "a_tokens": tokens_a, "b_tokens": tokens_b, "matched_tokens": matched,
            "similarity": 2 * matched / max(1, tokens_a + tokens_b), "method": "lexical",
            "edits": json.dumps([])}


def frame(*rows):
    return pd.DataFrame(list(rows), columns=list(TABLES["alignments"]))


DOCS = pd.DataFrame({"doc_id": ["a", "b", "c"], "n_chars": [100, 50, 200]})


def test_union_lengths_counts_overlaps_once():
    keys = np.array([0, 0, 0, 1, 1])
    starts = np.array([10, 0, 40, 5, 5])
    ends = np.array([30, 20, 50, 6, 9])
    lengths = union_lengths(keys, starts, ends)
    assert lengths.to_dict() == {0: 40, 1: 4}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(0, 20)),
                min_size=1, max_size=30))
def test_union_lengths_matches_a_set_of_covered_positions(intervals):
    keys = np.array([k for k, _, _ in intervals])
    starts = np.array([s for _, s, _ in intervals])
    ends = np.array([s + n for _, s, n in intervals])
    expected = {}
    for k, s, n in intervals:
        expected.setdefault(k, set()).update(range(s, s + n))
    got = union_lengths(keys, starts, ends).to_dict()
    assert got == {k: len(v) for k, v in expected.items()}


def test_pair_reuse_is_asymmetric_and_unions_the_spans_of_each_side():
    alignments = frame(
        alignment("a", 0, 20, "b", 0, 20),
        # stored the other way round: b's span first
        alignment("b", 20, 40, "a", 10, 30),
    )
    pairs = pair_reuse(alignments, DOCS)
    assert list(pairs.columns) == PAIR_COLUMNS == list(TABLES["pair_reuse"])
    row = pairs.iloc[0].to_dict()
    assert (row["a_id"], row["b_id"]) == ("a", "b")
    assert row["n_alignments"] == 2
    assert row["a_reused_chars"] == 30  # [0, 20) ∪ [10, 30)
    assert row["b_reused_chars"] == 40  # [0, 20) ∪ [20, 40)
    assert row["a_share"] == pytest.approx(0.3)
    assert row["b_share"] == pytest.approx(0.8)
    assert row["matched_tokens"] == 8
    assert row["similarity"] == pytest.approx(1.0)


def test_dense_matrix_cell_is_share_of_row_reused_in_column():
    alignments = frame(alignment("a", 0, 50, "c", 100, 150), alignment("b", 0, 25, "c", 0, 25))
    result = reuse_matrix(alignments, DOCS)
    dense = result.dense
    assert list(dense.index) == list(dense.columns) == ["a", "b", "c"]
    assert dense.loc["a", "c"] == pytest.approx(0.5)
    assert dense.loc["c", "a"] == pytest.approx(0.25)
    assert dense.loc["b", "c"] == pytest.approx(0.5)
    assert dense.loc["c", "b"] == pytest.approx(0.125)
    assert dense.loc["a", "b"] == 0.0
    assert np.isnan(dense.loc["a", "a"])
    assert result.pairs[["a_id", "b_id"]].values.tolist() == [["a", "c"], ["b", "c"]]


def test_labels_choose_the_rows_and_columns():
    alignments = frame(alignment("a", 0, 50, "c", 100, 150))
    dense = reuse_matrix(alignments, DOCS, labels=["c", "a"]).dense
    assert list(dense.index) == ["c", "a"]
    assert dense.loc["c", "a"] == pytest.approx(0.25)


def test_groups_pool_spans_so_a_span_reused_twice_in_a_group_counts_once():
    docs = pd.DataFrame({"doc_id": ["w1", "d1", "d2", "x"], "n_chars": [100, 100, 100, 50]})
    groups = pd.Series({"w1": "wire", "d1": "daily", "d2": "daily"})
    alignments = frame(
        alignment("w1", 0, 40, "d1", 0, 40),
        alignment("w1", 20, 60, "d2", 0, 40),
        alignment("d1", 50, 60, "d2", 50, 60),
    )
    dense = reuse_matrix(alignments, docs, groups=groups).dense
    assert list(dense.index) == [NO_GROUP, "daily", "wire"]
    assert dense.loc["wire", "daily"] == pytest.approx(60 / 100)  # [0,40) ∪ [20,60)
    assert dense.loc["daily", "wire"] == pytest.approx(80 / 200)
    assert dense.loc["daily", "daily"] == pytest.approx(20 / 200)  # d1 and d2 reuse each other
    assert dense.loc[NO_GROUP, "wire"] == 0.0


def test_no_alignments_gives_an_empty_pair_table_and_a_zero_matrix():
    result = reuse_matrix(frame(), DOCS)
    assert result.pairs.empty and list(result.pairs.columns) == PAIR_COLUMNS
    assert np.nansum(result.dense.to_numpy()) == 0.0


def test_cluster_order_puts_mutual_reuse_blocks_together():
    # documents 0, 2, 4 reuse each other, and 1, 3, 5 do
    values = np.zeros((6, 6))
    for block in ((0, 2, 4), (1, 3, 5)):
        for i in block:
            for j in block:
                values[i, j] = 0.0 if i == j else 0.7
    order = cluster_order(values).tolist()
    assert sorted(order) == list(range(6))
    assert {frozenset(order[:3]), frozenset(order[3:])} == {frozenset({0, 2, 4}),
                                                            frozenset({1, 3, 5})}


def test_most_reusing_ranks_by_summed_shares():
    alignments = frame(alignment("a", 0, 50, "c", 100, 150), alignment("b", 0, 5, "c", 0, 5))
    pairs = pair_reuse(alignments, DOCS)
    assert most_reusing(pairs, 2) == ["c", "a"]
    assert most_reusing(pairs, 0) == []
