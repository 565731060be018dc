"""Passage clusters, and the sample corpus end to end."""

from __future__ import annotations

import pandas as pd
import pytest

from reuse.passages import passage_clusters
from reuse.pipeline import run

BACKGROUND_FIRST = "The regional security organization was initially formed in 1992"
BACKGROUND_LAST = "The CSTO is currently an observer organization at the United Nations General Assembly"


@pytest.fixture(scope="module")
def seeds_run(seeds_dir):
    return run(seeds_dir)


@pytest.fixture(scope="module")
def seeds_dir():
    from conftest import SEEDS

    return SEEDS


def test_background_paragraph_is_one_cluster_in_four_documents(seeds_run):
    passages = seeds_run.passages
    texts = dict(zip(seeds_run.corpus.ids, seeds_run.corpus.texts, strict=True))
    background = [
        pid for pid, group in passages.groupby("passage_id")
        if all(texts[r.doc_id][r.start : r.end].startswith(BACKGROUND_FIRST)
               for r in group.itertuples())
    ]
    assert len(background) == 1
    occurrences = passages[passages["passage_id"] == background[0]]
    assert sorted(d[:3] for d in occurrences["doc_id"]) == ["000", "001", "002", "003"]
    assert (occurrences["n_docs"] == 4).all()
    for r in occurrences.itertuples():
        text = texts[r.doc_id]
        # Boundaries land on the first and last words of the paragraph.
        assert r.start == text.index(BACKGROUND_FIRST)
        assert r.end == text.index(BACKGROUND_LAST) + len(BACKGROUND_LAST)
    assert not any(d.startswith("004") for d in passages["doc_id"])


def test_000_001_alignment_also_covers_the_tashkent_lead_in(seeds_run):
    alignments = seeds_run.alignments
    pair = alignments[alignments["a_id"].str.startswith("000") & alignments["b_id"].str.startswith("001")]
    assert len(pair) == 1
    text = dict(zip(seeds_run.corpus.ids, seeds_run.corpus.texts, strict=True))[pair.iloc[0]["a_id"]]
    passage = text[pair.iloc[0]["a_start"] : pair.iloc[0]["a_end"]]
    assert "initially set up in 1992" in passage and "Tashkent returned to the CSTO" in passage
    assert passage.endswith("United Nations General Assembly")


def test_004_gets_no_alignment(seeds_run):
    alignments = seeds_run.alignments
    assert not alignments["a_id"].str.startswith("004").any()
    assert not alignments["b_id"].str.startswith("004").any()


def _alignments(rows):
    columns = ["a_id", "a_start", "a_end", "b_id", "b_start", "b_end"]
    return pd.DataFrame(rows, columns=columns)


def test_spans_are_cut_at_boundaries_of_other_alignments():
    # x[0:100] ~ y[0:100] (lead-in + paragraph), x[40:100] ~ z[10:70] (paragraph only).
    alignments = _alignments([("x", 0, 100, "y", 0, 100), ("x", 40, 100, "z", 10, 70),
                              ("y", 40, 100, "z", 10, 70)])
    passages = passage_clusters(alignments, ["x", "y", "z"], min_chars=10)
    got = sorted(map(tuple, passages[["passage_id", "doc_id", "start", "end", "n_docs"]].values.tolist()))
    assert got == [(0, "x", 0, 40, 2), (0, "y", 0, 40, 2),
                   (1, "x", 40, 100, 3), (1, "y", 40, 100, 3), (1, "z", 10, 70, 3)]


def test_boilerplate_flag_and_likely_source_from_dates():
    docs = [f"d{i}" for i in range(6)]
    alignments = _alignments([("d0", 0, 50, d, 0, 50) for d in docs[1:4]])
    dates = ["2021-05-01", "2020-01-01", None, "2022-01-01", None, None]
    passages = passage_clusters(alignments, docs, dates=dates, boilerplate_docs=4,
                                boilerplate_share=0.9)
    assert passages["boilerplate"].all()  # 4 documents >= max(3, min(4, ceil(0.9 * 6)))
    assert passages.loc[passages["is_source"], "doc_id"].tolist() == ["d1"]
    fewer = passage_clusters(alignments, docs, boilerplate_docs=5, boilerplate_share=0.9)
    assert not fewer["boilerplate"].any()
    assert not fewer["is_source"].any()  # no dates, no likely source


def test_no_alignments_give_an_empty_table_with_the_schema_columns():
    passages = passage_clusters(_alignments([]), ["a"])
    assert list(passages.columns) == ["passage_id", "doc_id", "start", "end", "n_docs",
                                      "boilerplate", "is_source"]
    assert passages.empty
