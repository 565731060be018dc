"""reuse.pipeline.dedup: documented tables, quality against brute force, and determinism."""

from __future__ import annotations

import hashlib
import itertools
import json
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from near_dup_corpus import make_corpus

from reuse.config import TokenizeConfig
from reuse.ingest import Corpus
from reuse.pipeline import dedup, exact_jaccard, write_run
from reuse.runfolder.schema import TABLES
from reuse.text.shingle import shingle_reference
from reuse.text.tokenize import tokenize_reference

THRESHOLD = 0.5
NGRAM = 5


@pytest.fixture(scope="module")
def synthetic():
    return make_corpus(n_docs=200, n_copies=50, seed=3)


def _corpus(synthetic, order=None) -> Corpus:
    order = range(len(synthetic.ids)) if order is None else order
    ids = [synthetic.ids[i] for i in order]
    texts = [synthetic.texts[i] for i in order]
    metadata = [{"source": f"s{i % 4}"} for i in order]
    return Corpus(ids=ids, texts=texts, metadata=metadata, origins=list(ids),
                  input_format="jsonl")


def _brute_force_pairs(texts: list[str], threshold: float, ngram: int) -> dict:
    """Exact shingle-set Jaccard of every pair, from the plain-Python reference stages."""
    sets = [
        set(shingle_reference(tokenize_reference(t).hashes.tolist(), ngram)) for t in texts
    ]
    out = {}
    for a, b in itertools.combinations(range(len(texts)), 2):
        if not sets[a] or not sets[b]:
            continue
        union = len(sets[a] | sets[b])
        jaccard = len(sets[a] & sets[b]) / union
        if jaccard >= threshold:
            out[(a, b)] = jaccard
    return out


def test_tables_have_the_documented_columns(synthetic):
    result = dedup(_corpus(synthetic), threshold=THRESHOLD, verify="exact")
    for name, frame in (
        ("documents", result.documents),
        ("near_duplicates", result.near_duplicates),
        ("clusters", result.clusters),
        ("skipped", result.skipped),
    ):
        assert isinstance(frame, pd.DataFrame)
        assert frame.columns.tolist() == list(TABLES[name]), name
    assert len(result.documents) == len(result.clusters) == 200
    assert result.documents["doc_id"].tolist() == synthetic.ids
    assert set(result.documents["status"]) == {"compared"}
    assert result.counts["read"] == 200


def test_planted_near_duplicates_against_brute_force(synthetic):
    result = dedup(_corpus(synthetic), threshold=THRESHOLD, ngram=NGRAM, verify="exact")
    expected = _brute_force_pairs(synthetic.texts, THRESHOLD, NGRAM)
    index = {doc_id: k for k, doc_id in enumerate(synthetic.ids)}
    found = {
        (index[a], index[b]): j
        for a, b, j in result.near_duplicates[["a_id", "b_id", "jaccard"]].itertuples(index=False)
    }
    # With verify="exact", every reported pair is a true near-duplicate with its exact value.
    assert set(found) <= set(expected)
    for pair, jaccard in found.items():
        assert jaccard == pytest.approx(expected[pair], abs=1e-12)
    precision = len(set(found) & set(expected)) / len(found)
    recall = len(set(found) & set(expected)) / len(expected)
    assert precision == 1.0
    assert recall >= 0.95, (recall, sorted(set(expected) - set(found)))
    # The brute force finds the planted copies, and the corpus is not trivial.
    planted = {(a, b) for a, b, rate in synthetic.planted if rate <= 0.03}
    assert planted <= set(expected)
    assert 15 <= len(expected) <= 60
    # Estimates are reported alongside, and the cluster table agrees with the pairs.
    assert result.near_duplicates["jaccard_estimate"].between(0, 1).all()
    dropped = set(result.clusters.loc[~result.clusters["keep"], "doc_id"])
    assert dropped <= set(result.near_duplicates["a_id"]) | set(result.near_duplicates["b_id"])
    assert result.counts["dropped"] == len(dropped) > 0


def test_estimate_mode_leaves_exact_jaccard_empty(synthetic):
    result = dedup(_corpus(synthetic), threshold=THRESHOLD)
    assert result.near_duplicates["jaccard"].isna().all()
    assert (result.near_duplicates["jaccard_estimate"] >= THRESHOLD).all()


def _digests(folder) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name not in ("manifest.json", ".reuse-run")  # the marker holds the writer's pid
    }


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_tables_are_byte_identical_across_runs(synthetic, tmp_path, fmt):
    digests = []
    for run in ("one", "two"):
        result = dedup(_corpus(synthetic), threshold=THRESHOLD, verify="exact", seed=7)
        folder = write_run(result, tmp_path / run, fmt=fmt)
        digests.append(_digests(folder))
    assert digests[0] == digests[1]
    assert len(digests[0]) == 5  # documents, near_duplicates, clusters, skipped, signatures


def test_manifest_is_identical_apart_from_timings(synthetic, tmp_path):
    manifests = []
    for run in ("one", "two"):
        result = dedup(_corpus(synthetic), threshold=THRESHOLD, seed=7)
        folder = write_run(result, tmp_path / run, fmt="jsonl")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        manifest.pop("timings")
        manifests.append(manifest)
    assert manifests[0] == manifests[1]


def test_seed_changes_signatures_not_the_contract(synthetic):
    one = dedup(_corpus(synthetic), threshold=THRESHOLD, seed=1, verify="exact")
    two = dedup(_corpus(synthetic), threshold=THRESHOLD, seed=2, verify="exact")
    # Exact verification makes the confirmed pairs agree where both seeds found them.
    both = one.near_duplicates.merge(two.near_duplicates, on=["a_id", "b_id"])
    assert len(both) >= 0.9 * min(len(one.near_duplicates), len(two.near_duplicates))
    assert np.allclose(both["jaccard_x"], both["jaccard_y"])


def test_fingerprint_is_independent_of_file_order(synthetic, tmp_path):
    shuffled = list(range(len(synthetic.ids)))
    random.Random(4).shuffle(shuffled)
    first = dedup(_corpus(synthetic), threshold=THRESHOLD, verify="exact")
    second = dedup(_corpus(synthetic, shuffled), threshold=THRESHOLD, verify="exact")
    assert first.corpus.fingerprint() == second.corpus.fingerprint()
    manifests = [
        json.loads((write_run(r, tmp_path / name, fmt="jsonl") / "manifest.json").read_text(
            encoding="utf-8"))
        for r, name in ((first, "a"), (second, "b"))
    ]
    assert manifests[0]["input"]["fingerprint"] == manifests[1]["input"]["fingerprint"]
    # The same pairs are found whatever the order (as unordered id pairs).
    def pairs(result):
        return {frozenset(p) for p in result.near_duplicates[["a_id", "b_id"]].to_numpy().tolist()}
    assert pairs(first) == pairs(second)


def test_fingerprint_of_txt_folder_does_not_depend_on_creation_order(seeds_dir, tmp_path):
    names = sorted(p.name for p in seeds_dir.glob("*.txt"))
    for folder, order in (("a", names), ("b", names[::-1])):
        (tmp_path / folder).mkdir()
        for name in order:
            (tmp_path / folder / name).write_bytes((seeds_dir / name).read_bytes())
    a = dedup(tmp_path / "a", threshold=0.3)
    b = dedup(tmp_path / "b", threshold=0.3)
    assert a.corpus.fingerprint() == b.corpus.fingerprint()
    assert a.clusters.equals(b.clusters)


def test_min_tokens_and_empty_documents():
    corpus = Corpus(
        ids=["a", "b", "c", "d"],
        texts=["one two three four five six", "", "one two three four five six", "short text"],
        metadata=[{}, {}, {}, {}], origins=["", "", "", ""],
    )
    result = dedup(corpus, threshold=0.9, ngram=3, verify="exact")
    assert result.documents["status"].tolist() == ["compared", "too_short", "compared",
                                                   "too_short"]
    assert result.near_duplicates[["a_id", "b_id", "jaccard"]].to_numpy().tolist() == [
        ["a", "c", 1.0]
    ]
    assert result.clusters["keep"].tolist() == [True, True, False, True]
    strict = dedup(corpus, threshold=0.9, ngram=3, min_tokens=7)
    assert set(strict.documents["status"]) == {"too_short"}
    assert strict.counts["too_short"] == 4 and len(strict.near_duplicates) == 0


def test_dates_pick_the_representative():
    text = "the same words in the same order for every copy of this text"
    corpus = Corpus(
        ids=["late", "early", "undated"],
        texts=[text + " and more", text, text + " and more words"],
        metadata=[{"date": "2021-03-01"}, {"date": "2019-07-15"}, {}],
        origins=["", "", ""],
    )
    result = dedup(corpus, threshold=0.5, ngram=2, verify="exact")
    assert result.clusters["representative_id"].tolist() == ["early"] * 3
    assert result.clusters["keep"].tolist() == [False, True, False]


def test_empty_corpus(tmp_path):
    result = dedup(Corpus(), threshold=0.5)
    assert result.counts["read"] == 0 and result.counts["clusters"] == 0
    folder = write_run(result, tmp_path / "run", fmt="jsonl")
    assert (folder / "documents.jsonl").read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_written_tables_read_back_equal(synthetic, tmp_path, fmt):
    from reuse.runfolder.tables import read_table

    corpus = _corpus(synthetic)
    corpus.skipped.append({"origin": "x.jsonl:3", "reason": "malformed_json", "detail": "bad"})
    result = dedup(corpus, threshold=THRESHOLD)  # estimate mode: jaccard is all null
    folder = write_run(result, tmp_path / "run", fmt=fmt)
    for name, frame in (
        ("documents", result.documents),
        ("near_duplicates", result.near_duplicates),
        ("clusters", result.clusters),
        ("skipped", result.skipped),
    ):
        back = read_table(folder, name)
        assert back.columns.tolist() == list(TABLES[name])
        pd.testing.assert_frame_equal(
            back, frame.reset_index(drop=True), check_dtype=False, check_exact=True
        )
    assert read_table(folder, "near_duplicates")["jaccard"].dtype == np.float64


def test_empty_tables_read_back_with_their_columns(tmp_path):
    from reuse.runfolder.tables import read_table

    for fmt in ("parquet", "jsonl", "csv"):
        folder = write_run(dedup(Corpus(), threshold=0.5), tmp_path / fmt, fmt=fmt)
        for name in ("documents", "near_duplicates", "clusters", "skipped"):
            back = read_table(folder, name)
            assert back.columns.tolist() == list(TABLES[name]), (fmt, name)
            assert len(back) == 0


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=25).map(" ".join),
        min_size=1, max_size=8,
    ),
    ngram=st.integers(min_value=1, max_value=4),
    data=st.data(),
)
def test_exact_jaccard_matches_python_sets(texts, ngram, data):
    index = st.integers(min_value=0, max_value=len(texts) - 1)
    pairs = data.draw(st.lists(st.tuples(index, index), min_size=1, max_size=10))
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    got = exact_jaccard(texts, left, right, TokenizeConfig(), ngram)
    sets = [set(shingle_reference(tokenize_reference(t).hashes.tolist(), ngram)) for t in texts]
    for k, (a, b) in enumerate(pairs):
        union = len(sets[a] | sets[b])
        expected = len(sets[a] & sets[b]) / union if union else 1.0
        assert got[k] == pytest.approx(expected, abs=1e-12), (a, b)
