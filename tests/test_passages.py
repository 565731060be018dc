"""Passage clusters, and the sample corpus end to end."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reuse.cluster.passages import passage_clusters
from reuse.errors import InputError
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
    texts = ["word " * 40] * 6  # 200 characters: the 50-character passage is a quarter of each
    alignments = _alignments([("d0", 0, 50, d, 0, 50) for d in docs[1:4]])
    dates = ["2021-05-01", "2020-01-01", None, "2022-01-01", None, None]
    passages = passage_clusters(alignments, docs, dates=dates, boilerplate_docs=4,
                                boilerplate_share=0.9, texts=texts)
    assert passages["boilerplate"].all()  # 4 documents >= max(3, min(4, ceil(0.9 * 6)))
    assert passages.loc[passages["is_source"], "doc_id"].tolist() == ["d1"]
    fewer = passage_clusters(alignments, docs, boilerplate_docs=5, boilerplate_share=0.9,
                             texts=texts)
    assert not fewer["boilerplate"].any()
    assert not fewer["is_source"].any()  # no dates, no likely source


def test_an_alignment_naming_a_document_not_in_the_corpus_is_refused():
    alignments = _alignments([("x", 0, 100, "y", 0, 100), ("x", 0, 100, "w", 0, 100)])
    with pytest.raises(InputError, match=r"^an alignment names document 'w', which is not in "
                                         r"the corpus$"):
        passage_clusters(alignments, ["x", "y", "z"], min_chars=10)


def test_no_alignments_give_an_empty_table_with_the_schema_columns():
    passages = passage_clusters(_alignments([]), ["a"])
    assert list(passages.columns) == ["passage_id", "doc_id", "start", "end", "n_docs",
                                      "boilerplate", "is_source"]
    assert passages.empty


def _clusters(passages):
    """The clusters as a set of frozensets of (doc, start, end)."""
    return {frozenset(zip(group["doc_id"], group["start"], group["end"], strict=True))
            for _, group in passages.groupby("passage_id")}


def test_a_cluster_does_not_chain_through_a_passage_that_straddles_two_others():
    # a[0:100] ~ b[0:100] and c[0:100] ~ b[100:200]: a and c share nothing. d[0:100] ~ b[50:150]
    # straddles both; by touching occurrences a, b, c and d would make one cluster.
    alignments = _alignments([("a", 0, 100, "b", 0, 100), ("b", 100, 200, "c", 0, 100),
                              ("b", 50, 150, "d", 0, 100)])
    passages = passage_clusters(alignments, ["a", "b", "c", "d"], min_chars=10)
    assert _clusters(passages) == {
        frozenset({("a", 0, 50), ("b", 0, 50)}),
        frozenset({("a", 50, 100), ("b", 50, 100), ("d", 0, 50)}),
        frozenset({("b", 100, 150), ("c", 0, 50), ("d", 50, 100)}),
        frozenset({("b", 150, 200), ("c", 50, 100)}),
    }
    for cluster in _clusters(passages):
        assert not {"a", "c"} <= {doc for doc, _, _ in cluster}


def test_occurrences_whose_counterparts_correspond_share_a_cluster():
    # a[0:100] ~ b[0:100], b[60:160] ~ c[0:100]: b[60:100] is aligned with both a[60:100] and
    # c[0:40], so those three are one passage; the rest of a and of c are not.
    alignments = _alignments([("a", 0, 100, "b", 0, 100), ("b", 60, 160, "c", 0, 100)])
    passages = passage_clusters(alignments, ["a", "b", "c"], min_chars=10)
    assert _clusters(passages) == {
        frozenset({("a", 0, 60), ("b", 0, 60)}),
        frozenset({("a", 60, 100), ("b", 60, 100), ("c", 0, 40)}),
        frozenset({("b", 100, 160), ("c", 40, 100)}),
    }


def test_edits_carry_a_cut_to_its_exact_counterpart():
    # b holds 100 inserted characters at a's position 100; a cut at a:150 lands at b:250, not at
    # the 225 that stretching the span evenly would give.
    alignments = _alignments([("a", 0, 200, "b", 0, 300), ("a", 150, 200, "c", 0, 50)])
    alignments["edits"] = ['[["insert",100,100,100,200]]', "[]"]
    passages = passage_clusters(alignments, ["a", "b", "c"], min_chars=10)
    assert _clusters(passages) == {
        frozenset({("a", 0, 150), ("b", 0, 250)}),
        frozenset({("a", 150, 200), ("b", 250, 300), ("c", 0, 50)}),
    }


def _texts(n, length=1000):
    return ["word " * (length // 5)] * n


def test_boilerplate_is_a_passage_in_many_unrelated_documents():
    docs = [f"u{i}" for i in range(6)]
    alignments = _alignments([("u0", 400, 600, d, 100, 300) for d in docs[1:]])
    passages = passage_clusters(alignments, docs, boilerplate_docs=6, boilerplate_share=1.0,
                                texts=_texts(6))
    assert passages["passage_id"].nunique() == 1
    assert (passages["n_docs"] == 6).all()
    assert passages["boilerplate"].all()


def test_versions_of_one_book_are_not_boilerplate():
    docs = [f"v{i}" for i in range(6)]
    whole = [(x, 0, 1000, y, 0, 1000) for i, x in enumerate(docs) for y in docs[i + 1:]]
    passages = passage_clusters(_alignments(whole), docs, boilerplate_docs=6,
                                boilerplate_share=1.0, texts=_texts(6))
    assert (passages["n_docs"] == 6).all()
    assert not passages["boilerplate"].any()


def test_related_documents_count_once_toward_boilerplate():
    # x0, x1, x2 are versions of one book (aligned whole); its paragraph x[400:600] is also in
    # three unrelated documents. Six documents, four groups of unrelated ones.
    versions = ["x0", "x1", "x2"]
    docs = [*versions, "u0", "u1", "u2"]
    rows = [(x, 0, 1000, y, 0, 1000) for i, x in enumerate(versions) for y in versions[i + 1:]]
    rows += [(x, 400, 600, u, 100, 300) for x in versions for u in docs[3:]]
    alignments = _alignments(rows)

    def paragraph(limit):
        passages = passage_clusters(alignments, docs, boilerplate_docs=limit,
                                    boilerplate_share=1.0, texts=_texts(6))
        return passages[passages["n_docs"] == 6]

    assert set(paragraph(4)["doc_id"]) == set(docs)
    assert paragraph(4)["boilerplate"].all()  # 4 groups >= 4
    assert not paragraph(5)["boilerplate"].any()  # 6 documents, but 4 groups < 5


SHARED_PARAGRAPH = (
    "The harbour authority confirmed on Tuesday that the northern breakwater will close for "
    "repairs from the first of March, after divers found cracks along three hundred metres of "
    "its seaward face. Ferries to the islands will use the southern quay, and the authority "
    "expects the work to last until the end of the summer season, weather permitting."
)


def _article(rng, words):
    return " ".join(rng.choice(words) for _ in range(160)).capitalize() + "."


def test_five_articles_sharing_one_paragraph_give_one_passage_cluster(tmp_path):
    import random

    rng = random.Random(7)
    syllables = ["ka", "lo", "mir", "ten", "sa", "vu", "re", "dan", "po", "li", "zor", "et"]
    words = sorted({"".join(rng.choice(syllables) for _ in range(3)) for _ in range(3000)})
    for i in range(5):
        before, after = _article(rng, words), _article(rng, words)
        (tmp_path / f"article{i}.txt").write_text(f"{before}\n\n{SHARED_PARAGRAPH}\n\n{after}\n",
                                                  encoding="utf-8")
    result = run(tmp_path)
    passages = result.passages
    assert passages["passage_id"].nunique() == 1
    assert sorted(passages["doc_id"]) == [f"article{i}.txt" for i in range(5)]
    assert (passages["n_docs"] == 5).all()
    assert passages["boilerplate"].all()  # five unrelated articles: 5 >= max(3, ceil(0.5 * 5))
    texts = dict(zip(result.corpus.ids, result.corpus.texts, strict=True))
    for r in passages.itertuples():
        assert texts[r.doc_id][r.start:r.end] == SHARED_PARAGRAPH[:-1]  # the final "." is no token


def test_a_document_two_links_from_the_centre_through_many_documents_joins_its_cluster():
    # c0 is aligned with d1..d130, and x with the same 130 but not with c0: x reaches c0 in two
    # links through 130 documents (a neighbour count that an 8-bit product wrapped to < 0).
    middle = [f"d{i:03d}" for i in range(1, 131)]
    rows = [("c0", 0, 100, d, 0, 100) for d in middle] + [("x", 0, 100, d, 0, 100) for d in middle]
    passages = passage_clusters(_alignments(rows), ["c0", *middle, "x"], min_chars=10)
    assert passages["passage_id"].nunique() == 1
    assert set(passages["doc_id"]) == {"c0", *middle, "x"}


def test_an_occurrence_does_not_chain_in_through_a_local_alignment_its_own_version_contradicts():
    # Three versions a, b, c of one text, aligned with each other end to end, and a local
    # alignment of similar words between b[100:200] and c[500:600] (a formula said twice).
    # c[500:600] is two links from a[100:200] through b[100:200], but the alignment of c with a
    # carries it to a[500:600]: it is that passage, not a[100:200]'s.
    alignments = _alignments([("a", 0, 1000, "b", 0, 1000), ("a", 0, 1000, "c", 0, 1000),
                              ("b", 0, 1000, "c", 0, 1000), ("b", 100, 200, "c", 500, 600)])
    passages = passage_clusters(alignments, ["a", "b", "c"], min_chars=10)
    for cluster in _clusters(passages):
        docs = [doc for doc, _, _ in cluster]
        assert sorted(docs) == ["a", "b", "c"]
        assert len({(start, end) for _, start, end in cluster}) == 1
    assert _clusters(passages) == {frozenset({("a", 0, 1000), ("b", 0, 1000), ("c", 0, 1000)})}


def test_an_occurrence_two_links_away_joins_when_its_own_alignment_with_the_centre_agrees():
    # c's alignment with a maps c[0:100] onto a[0:70] (c is wordier), an overlap under 3/4 of
    # a[0:100], so c is not linked to a directly; it reaches a through b, and its image in a
    # covers more than half of the shorter of the two: it is the same passage, and joins.
    alignments = _alignments([("a", 0, 100, "b", 0, 100), ("b", 0, 100, "c", 0, 100),
                              ("a", 0, 70, "c", 0, 100)])
    passages = passage_clusters(alignments, ["a", "b", "c"], min_chars=50)
    assert _clusters(passages) == {frozenset({("a", 0, 100), ("b", 0, 100), ("c", 0, 100)})}


@pytest.mark.parametrize("chars_at_once", [1, 30, 1 << 22])
def test_spans_are_trimmed_with_each_documents_own_text_read_from_a_store(
        tmp_path, monkeypatch, chars_at_once):
    # Document k starts with k spaces, so a text given to the wrong rows would trim wrongly;
    # the stored texts are read a few at a time, and give what the texts in a list give.
    from reuse.cluster import passages as passages_module
    from reuse.ingest.store import DocumentStore

    docs = [f"d{k}" for k in range(8)]
    texts = [" " * k + "word " * 20 for k in range(8)]
    rows = [(docs[k], 0, 60, docs[k + 1], 0, 60) for k in range(7)]
    store = DocumentStore(tmp_path)
    store.append(docs, texts, [{}] * 8, [""] * 8)
    monkeypatch.setattr(passages_module, "_TEXT_CHARS_AT_ONCE", chars_at_once)
    in_list = passage_clusters(_alignments(rows), docs, min_chars=10, texts=texts)
    stored = passage_clusters(_alignments(rows), docs, min_chars=10, texts=store.texts)
    pd.testing.assert_frame_equal(in_list, stored)
    for doc_id, start, end in in_list[["doc_id", "start", "end"]].values.tolist():
        piece = texts[docs.index(doc_id)][start:end]
        assert piece == piece.strip() and piece
    assert in_list["start"].tolist() == [int(d[1:]) for d in in_list["doc_id"]]
    store.close()


def test_consecutive_occurrences_of_one_passage_in_a_document_are_one():
    # x's two alignments with z meet at 389, which cuts x's passage with z in two pieces of
    # one cluster: they are one occurrence, whether or not other documents of the corpus have
    # clusters that continue one another (which used to decide it).
    rows = [("x", 0, 2174, "y", 0, 2175), ("x", 10, 387, "z", 3, 442),
            ("x", 389, 2174, "z", 224, 2220)]
    alone = passage_clusters(_alignments(rows), ["x", "y", "z"])
    for _, group in alone.groupby(["passage_id", "doc_id"]):
        ends = group.sort_values("start")
        assert not (ends["start"].to_numpy()[1:] == ends["end"].to_numpy()[:-1]).any()
    assert alone[alone["doc_id"] == "x"][["start", "end"]].values.tolist() == [
        [0, 200], [200, 584], [584, 2174]]


@st.composite
def _linked_corpora(draw):
    """Alignments among a few documents (often several unlinked groups of them), the
    documents' texts (words and runs of spaces) and a minimum occurrence length."""
    n_docs = draw(st.integers(2, 9))
    words = st.lists(st.sampled_from(["a", "bb", "ccc", "dddd", " ", "  ", "\n"]),
                     min_size=60, max_size=200)
    texts = [" ".join(draw(words)) for _ in range(n_docs)]
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        a, b = draw(st.lists(st.integers(0, n_docs - 1), min_size=2, max_size=2, unique=True))
        a_start = draw(st.integers(0, len(texts[a]) - 2))
        a_end = draw(st.integers(a_start + 1, len(texts[a])))
        b_start = draw(st.integers(0, len(texts[b]) - 2))
        b_end = draw(st.integers(b_start + 1, len(texts[b])))
        rows.append((f"d{a}", a_start, a_end, f"d{b}", b_start, b_end))
    return [f"d{k}" for k in range(n_docs)], texts, rows, draw(st.integers(1, 40))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus=_linked_corpora(), part_size=st.integers(1, 4), with_texts=st.booleans(),
       dated=st.booleans())
def test_groups_of_linked_documents_clustered_apart_give_the_table_of_all_at_once(
        corpus, part_size, with_texts, dated):
    from reuse.cluster import passages as passages_module

    docs, texts, rows, min_chars = corpus
    options = {"min_chars": min_chars, "boilerplate_docs": 3, "boilerplate_share": 0.0,
               "texts": texts if with_texts else None,
               "dates": [f"2020-01-{1 + k % 3:02d}" for k in range(len(docs))] if dated
               else None}
    whole = passage_clusters(_alignments(rows), docs, **options)
    saved = passages_module._PART_ALIGNMENTS
    passages_module._PART_ALIGNMENTS = part_size
    try:
        parted = passage_clusters(_alignments(rows), docs, **options)
    finally:
        passages_module._PART_ALIGNMENTS = saved
    pd.testing.assert_frame_equal(parted, whole)


def test_parts_clustered_in_worker_processes_give_the_table_of_one_process(
        tmp_path, monkeypatch):
    # Three unlinked groups of documents, each its own part, clustered by two workers that
    # read the texts from the document store.
    from reuse.cluster import passages as passages_module
    from reuse.engine import ordered_map
    from reuse.ingest.store import DocumentStore

    docs = [f"d{k}" for k in range(9)]
    texts = [" " * (k % 3) + "word " * 40 + f"tail{k} " * 5 for k in range(9)]
    rows = [(docs[k], k % 3, 150, docs[k + 1], 0, 150 - k % 3) for k in (0, 1, 3, 4, 6, 7)]
    store = DocumentStore(tmp_path)
    store.append(docs, texts, [{}] * 9, [""] * 9)
    monkeypatch.setattr(passages_module, "_PART_ALIGNMENTS", 2)
    calls = []

    def in_workers(function, parts):
        parts = list(parts)
        calls.append(len(parts))
        return ordered_map(function, parts, 2)

    one = passage_clusters(_alignments(rows), docs, min_chars=10, texts=store.texts)
    two = passage_clusters(_alignments(rows), docs, min_chars=10, texts=store.texts,
                           map_parts=in_workers)
    store.close()
    assert calls == [3]
    pd.testing.assert_frame_equal(two, one)
    assert one["passage_id"].nunique() == 3
