"""reuse.Index: querying B against an index of A answers as reuse.run on A ∪ B restricted to
the pairs with a document of B; adds, removes, compaction, the CLI, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from near_dup_corpus import make_corpus

import reuse
from reuse.index import Index, IndexFolderError
from reuse.index.folder import write_lock

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def seed_records() -> list[dict[str, str]]:
    return [{"id": p.name, "text": p.read_text(encoding="utf-8")}
            for p in sorted(SEEDS.glob("*.txt"))]


def synthetic_records(n_docs: int = 240, n_copies: int = 60) -> list[dict[str, str]]:
    """Planted near-duplicates (edited copies), and passages: 30 documents take an 80-word
    excerpt of another document in their middle."""
    corpus = make_corpus(n_docs, n_copies, seed=11)
    rng = np.random.default_rng(5)
    texts = list(corpus.texts)
    for target in rng.choice(len(texts), 30, replace=False).tolist():
        source = int(rng.integers(len(texts)))
        if source == target:
            continue
        words = texts[source].split()
        start = int(rng.integers(0, max(1, len(words) - 80)))
        mine = texts[target].split()
        middle = len(mine) // 2
        texts[target] = " ".join(mine[:middle] + words[start:start + 80] + mine[middle:])
    return [{"id": doc_id, "text": text} for doc_id, text in zip(corpus.ids, texts, strict=True)]


def restricted(frame: pd.DataFrame, query_ids: set[str], among_queries: bool) -> pd.DataFrame:
    """The rows of a pair table with a query document on one side (or both, with
    ``among_queries``), sorted, index reset."""
    a, b = frame["a_id"].isin(query_ids), frame["b_id"].isin(query_ids)
    rows = frame[(a | b) if among_queries else (a ^ b)]
    return rows.sort_values(list(rows.columns[:6])).reset_index(drop=True)


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns[:6])).reset_index(drop=True)


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Edits as text (lists of tuples compare badly inside frames)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and len(out) and not isinstance(out[column].iloc[0], str):
            out[column] = out[column].map(repr)
    return out


def check_equivalent(tmp_path: Path, records: list[dict[str, str]], n_index: int,
                     among_queries: bool, config: reuse.Config | None = None,
                     **settings: int) -> reuse.RunResult:
    indexed, queried = records[:n_index], records[n_index:]
    full = reuse.run(records, workers=1, config=config, **settings)
    index = Index.create(tmp_path / "index", config=config, **settings)
    index.add(indexed, workers=1)
    answer = index.query(queried, among_queries=among_queries, workers=1)
    query_ids = {r["id"] for r in queried}

    expected_pairs = restricted(full.near_duplicates, query_ids, among_queries)
    pd.testing.assert_frame_equal(sorted_rows(answer.near_duplicates), expected_pairs,
                                  check_dtype=False)
    expected_alignments = restricted(full.alignments, query_ids, among_queries)
    pd.testing.assert_frame_equal(comparable(sorted_rows(answer.alignments)),
                                  comparable(expected_alignments), check_dtype=False)
    # Keep/drop: a query document is dropped exactly when it has a near-duplicate in the index
    # (an indexed document always wins).
    clusters = answer.clusters.set_index("doc_id")
    cross = restricted(full.near_duplicates, query_ids, among_queries=False)
    copies = set(cross["a_id"]).union(cross["b_id"]) & query_ids
    if not among_queries:
        assert {doc for doc in query_ids if not clusters.loc[doc, "keep"]} == copies
    assert all(clusters.loc[doc, "keep"] for doc in clusters.index if doc not in query_ids)
    return answer


@pytest.mark.parametrize("split", [1, 2, 3, 4])
def test_seeds_query_equals_run_on_the_union(tmp_path: Path, split: int) -> None:
    answer = check_equivalent(tmp_path, seed_records(), split, among_queries=False,
                              min_length=10)
    assert len(answer.alignments) or split == 4


def test_seeds_among_queries_equals_run_on_the_union(tmp_path: Path) -> None:
    check_equivalent(tmp_path, seed_records(), 2, among_queries=True, min_length=10)


def test_synthetic_query_equals_run_on_the_union(tmp_path: Path) -> None:
    # max_pairs_per_doc high enough not to bind (see reuse.index.query); max_bucket as default.
    answer = check_equivalent(tmp_path, synthetic_records(), 170, among_queries=False,
                              max_pairs_per_doc=10_000)
    assert len(answer.near_duplicates) >= 10
    assert len(answer.alignments) >= 20


def test_very_common_windows_are_capped_as_in_the_run(tmp_path: Path) -> None:
    # Passage-window buckets are whole in a query (every indexed document with the
    # fingerprint is looked up), so the max_bucket cap and its anchors are the run's.
    answer = check_equivalent(tmp_path, synthetic_records(), 170, among_queries=True,
                              max_pairs_per_doc=10_000, max_bucket=3)
    assert answer.counts["capped_fingerprints"] > 0


@pytest.mark.parametrize("among_queries", [False, True])
def test_crowded_lsh_buckets_are_capped_as_in_the_run(tmp_path: Path, among_queries: bool
                                                       ) -> None:
    # Six exact copies of a seed article, three indexed and three queried: one bucket of
    # seven in every band, over the config's cap of 3, whose anchor is the run's.
    records = seed_records()
    copies = [{"id": f"copy-{k}", "text": records[0]["text"]} for k in range(6)]
    records = [records[0], *copies[:3], *records[1:], *copies[3:]]
    config = reuse.Config().replace(**{"dedup.max_bucket": 3})
    answer = check_equivalent(tmp_path, records, 5, among_queries=among_queries,
                              config=config, min_length=10)
    assert answer.counts["capped_buckets"] > 0
    assert len(answer.near_duplicates) == 3


def test_synthetic_among_queries_equals_run_on_the_union(tmp_path: Path) -> None:
    answer = check_equivalent(tmp_path, synthetic_records(), 170, among_queries=True,
                              max_pairs_per_doc=10_000)
    assert (~answer.clusters["keep"]).sum() > 0


def test_exact_verification_equals_run(tmp_path: Path) -> None:
    answer = check_equivalent(tmp_path, synthetic_records(), 170, among_queries=False,
                              max_pairs_per_doc=10_000, verify="exact", threshold=0.7)
    assert answer.near_duplicates["jaccard"].notna().all()


def test_ten_adds_answer_as_one_add(tmp_path: Path) -> None:
    records = synthetic_records()
    indexed, queried = records[:170], records[170:]
    once = Index.create(tmp_path / "once")
    once.add(indexed, workers=1)
    tenfold = Index.create(tmp_path / "tenfold")
    for part in np.array_split(np.arange(len(indexed)), 10):
        tenfold.add([indexed[k] for k in part.tolist()], workers=1)
    assert tenfold.stats()["segments"] == 10
    expected = once.query(queried, workers=1)
    got = tenfold.query(queried, workers=1)
    for name in ("near_duplicates", "alignments", "passages", "clusters", "documents"):
        pd.testing.assert_frame_equal(comparable(getattr(got, name)),
                                      comparable(getattr(expected, name)))
    assert got.counts == expected.counts


def test_remove_and_compact(tmp_path: Path) -> None:
    records = synthetic_records()
    indexed, queried = records[:170], records[170:]
    index = Index.create(tmp_path / "index")
    for part in np.array_split(np.arange(len(indexed)), 3):
        index.add([indexed[k] for k in part.tolist()], workers=1)
    before = index.query(queried, workers=1)
    found = sorted(set(before.near_duplicates["a_id"]))
    assert found
    gone = found[:3]
    assert index.remove(gone) == 3
    assert index.stats()["documents"] == 167 and index.stats()["removed"] == 3
    after = index.query(queried, workers=1)
    assert not set(gone) & set(after.near_duplicates["a_id"])
    assert not set(gone) & set(after.alignments["a_id"])
    # The same as an index that never had them.
    fresh = Index.create(tmp_path / "fresh")
    fresh.add([r for r in indexed if r["id"] not in gone], workers=1)
    expected = fresh.query(queried, workers=1)
    pd.testing.assert_frame_equal(after.near_duplicates, expected.near_duplicates)
    pd.testing.assert_frame_equal(comparable(after.alignments), comparable(expected.alignments))
    counts = index.compact()
    assert counts == {"segments_before": 3, "segments": 1, "documents": 167}
    stats = index.stats()
    assert stats["removed"] == 0 and stats["segments"] == 1
    segments = list((tmp_path / "index" / "segments").iterdir())
    assert len(segments) == 1  # the old segments' files are gone
    compacted = index.query(queried, workers=1)
    pd.testing.assert_frame_equal(compacted.near_duplicates, expected.near_duplicates)
    pd.testing.assert_frame_equal(comparable(compacted.alignments),
                                  comparable(expected.alignments))
    # Keys go on after compaction: a new add still answers.
    index.add([{"id": "late", "text": queried[0]["text"]}], workers=1)
    late = index.query([queried[0]], workers=1)
    assert "late" in set(late.near_duplicates["a_id"])


def test_remove_unknown_id(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    index.add(seed_records(), workers=1)
    with pytest.raises(reuse.ReuseError, match=r"1 of the ids to remove are not in the index "
                                                r"\(e.g. 'nope'\)"):
        index.remove(["nope", seed_records()[0]["id"]])
    assert index.stats()["documents"] == 5
    assert index.remove(["nope"], missing_ok=True) == 0


def test_duplicate_ids_and_replace(tmp_path: Path) -> None:
    records = seed_records()
    index = Index.create(tmp_path / "index", min_length=10)
    index.add(records, workers=1)
    with pytest.raises(reuse.ReuseError, match=r"5 documents of the input are in the index "
                       r"already \(e.g. '000_81ea45a633cdc37b.txt'\); remove them first, or add "
                       r"with replace=True \(--replace\)"):
        index.add(records, workers=1)
    assert index.stats()["documents"] == 5
    changed = [{"id": records[0]["id"], "text": "a different text altogether now"}]
    assert index.add(changed, replace=True, workers=1)["replaced"] == 1
    assert index.stats()["documents"] == 5
    answer = index.query([records[0] | {"id": "probe"}], workers=1)
    assert records[0]["id"] not in set(answer.near_duplicates["a_id"])


def test_config_is_fixed_and_checked(tmp_path: Path) -> None:
    Index.create(tmp_path / "index", threshold=0.7, window=8)
    index = Index.open(tmp_path / "index")
    assert index.config.dedup.threshold == 0.7 and index.config.passages.window == 8
    with pytest.raises(IndexFolderError, match=r"created with another configuration "
                       r"\(dedup.threshold, passages.window differ\)"):
        Index.open(tmp_path / "index", config=reuse.Config())
    with pytest.raises(reuse.ReuseError, match=r"Index\.create has no parameter 'thresold'"):
        Index.create(tmp_path / "other", thresold=0.5)
    with pytest.raises(reuse.ReuseError, match="threshold"):
        Index.create(tmp_path / "other", threshold=1.5)
    with pytest.raises(IndexFolderError, match="exists and is not an empty folder"):
        Index.create(tmp_path / "index")


def test_foreign_and_corrupted_folders(tmp_path: Path) -> None:
    with pytest.raises(IndexFolderError, match="no such index folder"):
        Index.open(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(IndexFolderError, match=r"not a reuse index \(it has no index.json\)"):
        Index.open(tmp_path / "plain")
    Index.create(tmp_path / "index").add(seed_records()[:2], workers=1)
    manifest = tmp_path / "index" / "index.json"
    body = json.loads(manifest.read_text())
    manifest.write_text("{not json")
    with pytest.raises(IndexFolderError, match="the index manifest is corrupted or foreign"):
        Index.open(tmp_path / "index")
    manifest.write_text(json.dumps({**body, "format": "something-else"}))
    with pytest.raises(IndexFolderError, match="corrupted or foreign"):
        Index.open(tmp_path / "index")
    manifest.write_text(json.dumps({**body, "config": {"dedup": {"threshold": 7}}}))
    with pytest.raises(IndexFolderError, match="the index's configuration is invalid"):
        Index.open(tmp_path / "index")
    segment = body["segments"][0]["name"]
    manifest.write_text(json.dumps(body))
    (tmp_path / "index" / "segments" / segment).rename(tmp_path / "elsewhere")
    with pytest.raises(IndexFolderError, match=f"segment {segment} named by the manifest is "
                                               "missing"):
        Index.open(tmp_path / "index")


def cli(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reuse", *arguments], capture_output=True,
                          text=True, cwd=cwd, env={**__import__("os").environ,
                                                   "PYTHONPATH": str(ROOT)})


def test_cli_create_add_query_report_stats(tmp_path: Path) -> None:
    records = seed_records()
    indexed = tmp_path / "a.jsonl"
    indexed.write_text("".join(json.dumps(r) + "\n" for r in records[:3]))
    queried = tmp_path / "b.jsonl"
    queried.write_text("".join(json.dumps(r) + "\n" for r in records[3:]))
    index = tmp_path / "index"
    assert cli("index", "create", str(index), "--min-length", "10").returncode == 0
    added = cli("index", "add", str(index), str(indexed), "--workers", "1")
    assert added.returncode == 0, added.stderr
    assert "added: 3" in added.stdout
    out = tmp_path / "answer"
    asked = cli("index", "query", str(index), str(queried), "--out", str(out), "--workers", "1")
    assert asked.returncode == 0, asked.stderr
    assert (out / "html" / "index.html").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "index query"
    alignments = pd.read_parquet(out / "alignments.parquet")
    assert len(alignments) and set(alignments["b_id"]) <= {r["id"] for r in records[3:]}
    # reuse report renders the folder again (it reads the documents the folder holds).
    again = cli("report", str(out), "-q")
    assert again.returncode == 0, again.stderr
    stats = json.loads(cli("index", "stats", str(index)).stdout)
    assert stats["documents"] == 3 and stats["segments"] == 1
    removed = cli("index", "remove", str(index), records[0]["id"])
    assert removed.returncode == 0 and "removed: 1" in removed.stdout
    assert json.loads(cli("index", "stats", str(index)).stdout)["documents"] == 2
    compacted = cli("index", "compact", str(index))
    assert compacted.returncode == 0, compacted.stderr
    foreign = cli("index", "stats", str(tmp_path))
    assert foreign.returncode == 4
    assert foreign.stderr == (f"reuse: error: {tmp_path}: not a reuse index (it has no "
                              "index.json); make one with `reuse index create`.\n")


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    index = tmp_path / "index"
    Index.create(index)
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in seed_records()))
    with write_lock(index):
        blocked = cli("index", "add", str(index), str(source), "--workers", "1")
        with pytest.raises(reuse.ReuseError, match="another process is writing"):
            Index.open(index).remove(["x"])
    assert blocked.returncode == 4
    assert blocked.stderr == (f"reuse: error: {index}: another process is writing to this "
                              "index (add, remove or compact); wait until it has finished, then "
                              "run this command again.\n")
    assert Index.open(index).stats()["documents"] == 0


def test_where_max_pairs_per_doc_binds_the_query_keeps_more_pairs_never_fewer(
        tmp_path: Path) -> None:
    records = synthetic_records()
    indexed, queried = records[:170], records[170:]
    settings = {"max_pairs_per_doc": 1}
    full = reuse.run(records, workers=1, **settings)
    index = Index.create(tmp_path / "index", **settings)
    index.add(indexed, workers=1)
    answer = index.query(queried, workers=1)
    query_ids = {r["id"] for r in queried}
    expected = comparable(restricted(full.alignments, query_ids, among_queries=False))
    got = comparable(sorted_rows(answer.alignments))
    keys = list(expected.columns)
    merged = expected.merge(got, on=keys, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()  # every pair of the run, with the same spans
    assert len(got) > len(expected)  # and pairs the run's cap dropped


def test_reuse_index_is_the_api(tmp_path: Path) -> None:
    assert reuse.Index is Index
    assert "Index" in dir(reuse)


def test_an_add_of_only_bad_records_commits_nothing(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    counts = index.add([{"id": "a", "body": "no text field"}], on_error="skip", workers=1)
    assert counts == {"added": 0, "replaced": 0, "skipped": 1, "documents": 0}
    assert index.stats()["segments"] == 0 and index.stats()["version"] == 1


def test_cli_create_reads_a_config_file_and_add_a_metadata_file(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text("threshold = 0.9\n[passages]\nwindow = 12\n")
    index = tmp_path / "index"
    created = cli("index", "create", str(index), "--config", str(settings), "--num-perm", "64")
    assert created.returncode == 0, created.stderr
    config = json.loads(cli("index", "stats", str(index)).stdout)["config"]
    # The file's settings, and the command line's over them; the rest are the defaults.
    assert config["dedup"]["threshold"] == 0.9 and config["dedup"]["num_perm"] == 64
    assert config["passages"]["window"] == 12 and config["dedup"]["ngram"] == 5
    records = seed_records()
    indexed = tmp_path / "a.jsonl"
    indexed.write_text("".join(json.dumps(r) + "\n" for r in records[:3]))
    metadata = tmp_path / "sources.csv"
    metadata.write_text("id,source\n" + "".join(f"{r['id']},wire {i}\n"
                                                 for i, r in enumerate(records[:3])))
    added = cli("index", "add", str(index), str(indexed), "--metadata-file", str(metadata),
                "--workers", "1")
    assert added.returncode == 0, added.stderr
    result = Index.open(index).query(records[3:], workers=1)
    indexed_ids = {r["id"]: f"wire {i}" for i, r in enumerate(records[:3])}
    found = {doc_id: meta.get("source") for doc_id, meta
             in zip(result.corpus.ids, result.corpus.metadata, strict=True)
             if doc_id in indexed_ids}
    assert found and all(indexed_ids[doc_id] == source for doc_id, source in found.items())
    Index.open(index).compact()  # the metadata file's fields stay through a compaction
    again = Index.open(index).query(records[3:], workers=1)
    assert {doc_id: meta.get("source") for doc_id, meta
            in zip(again.corpus.ids, again.corpus.metadata, strict=True)
            if doc_id in indexed_ids} == found
    missing = cli("index", "add", str(index), str(indexed), "--metadata-file",
                  str(tmp_path / "nope.csv"))
    assert missing.returncode != 0 and "nope.csv" in missing.stderr
