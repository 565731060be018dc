"""The Spark engine (``engine="spark"``, ``--engine spark``): the same tables as the local engine,
row for row, on Spark ``local[2]``; and a clear error without pyspark or Java.

One SparkSession (conftest's ``spark`` fixture) serves every Spark test module (starting one
takes seconds). The tests skip, saying why, only where pyspark or Java is missing; ``.ci/run``
installs both.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SEEDS, need_shared
from near_dup_corpus import make_corpus

import reuse
from reuse.cli.commands import main
from reuse.errors import MissingDependencyError
from reuse.ingest import Corpus
from reuse.runfolder.tables import read_manifest, read_table

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("documents", "near_duplicates", "clusters", "signatures")


def assert_same_frames(local: pd.DataFrame, spark_frame: pd.DataFrame) -> None:
    """Equal row for row; the Jaccard columns are computed by the same numpy expressions on
    the same values, so they are compared exactly too."""
    assert list(local.columns) == list(spark_frame.columns)
    assert len(local) == len(spark_frame)
    pd.testing.assert_frame_equal(local.reset_index(drop=True), spark_frame.reset_index(drop=True),
                                  check_exact=True)


def assert_same_results(local: reuse.pipeline.DedupResult, on_spark: reuse.pipeline.DedupResult
                        ) -> None:
    assert on_spark.counts == local.counts
    for name in ("documents", "near_duplicates", "clusters"):
        assert_same_frames(getattr(local, name), getattr(on_spark, name))


def dated_corpus() -> Corpus:
    """Planted near-duplicates (edited copies at several edit rates), with dates that make
    some copies older than their originals, and a few documents too short to compare."""
    planted = make_corpus(n_docs=240, n_copies=60, seed=11)
    rng = np.random.default_rng(3)
    texts = list(planted.texts)
    texts[5], texts[17] = "too short", ""
    metadata = [{"date": f"19{int(rng.integers(50, 99))}-0{int(rng.integers(1, 9))}-01"}
                if k % 3 else {} for k in range(len(texts))]
    return Corpus(ids=planted.ids, texts=texts, metadata=metadata, origins=[""] * len(texts))


def test_synthetic_corpus_same_tables(spark):
    """Exact verification: the estimate and the exact Jaccard of every pair, and the too-short
    documents, the dates deciding the representatives."""
    corpus, verify = dated_corpus(), "exact"
    local = reuse.dedup(corpus, verify=verify, threshold=0.6, workers=1)
    on_spark = reuse.dedup(corpus, verify=verify, threshold=0.6, engine="spark")
    assert local.counts["near_duplicate_pairs"] > 20
    assert local.counts["dropped"] > 10
    assert local.counts["too_short"] == 2
    assert_same_results(local, on_spark)
    assert np.array_equal(on_spark.signatures.file.blocks(1 << 20).__next__()[1][:3],
                          local.signatures.file.rows(np.arange(3)))


def run_cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


def test_seeds_run_folders_equal_and_report_reads_spark_run(spark, tmp_path):
    """The command with --engine spark writes the run folder of the local engine (verified on
    the MinHash estimate), which ``reuse report`` reads."""
    run_cli("dedup", str(SEEDS), "--out", str(tmp_path / "local"), "-q", "--workers", "1",
            "--threshold", "0.3")
    run_cli("dedup", str(SEEDS), "--out", str(tmp_path / "spark"), "-q", "--engine", "spark",
            "--threshold", "0.3", "--spark-dir", str(tmp_path / "work"))
    for name in TABLES:
        local, on_spark = (read_table(tmp_path / side, name) for side in ("local", "spark"))
        if name == "signatures":
            assert local["doc_id"].tolist() == on_spark["doc_id"].tolist()
            assert all(np.array_equal(a, b) for a, b in zip(local["signature"],
                                                              on_spark["signature"], strict=True))
        else:
            assert_same_frames(local, on_spark)
    local_manifest, spark_manifest = (read_manifest(tmp_path / side) for side in ("local", "spark"))
    assert spark_manifest["counts"] == local_manifest["counts"]
    assert spark_manifest["input"] == local_manifest["input"]
    assert spark_manifest["signatures"] == local_manifest["signatures"]
    assert list((tmp_path / "work").iterdir()) == []  # the stages' parts are removed
    run_cli("report", str(tmp_path / "spark"), "-q")
    assert (tmp_path / "spark" / "html" / "index.html").is_file()


def test_pan13_slice_same_tables(spark):
    root = need_shared("pan13-train")
    pairs = (root / "02-no-obfuscation" / "pairs").read_text().split("\n")[:30]
    names = sorted({f"{folder}/{name}" for line in pairs if line.strip()
                    for folder, name in zip(("susp", "src"), line.split(), strict=True)})
    texts = [(root / name).read_text(encoding="utf-8") for name in names]
    # Near-duplicates of the suspicious documents' sources, and the slice twice lightly edited.
    copies = [text.replace(" the ", " a ", 3) for text in texts[:10]]
    corpus = Corpus(ids=names + [f"copy/{n}" for n in names[:10]], texts=texts + copies)
    local = reuse.dedup(corpus, verify="exact", threshold=0.5, workers=1)
    on_spark = reuse.dedup(corpus, verify="exact", threshold=0.5, engine="spark")
    assert local.counts["near_duplicate_pairs"] >= 10
    assert_same_results(local, on_spark)


def test_band_buckets_match_local_collisions_with_oversized_buckets(spark):
    """Buckets over max_bucket pair their lowest-rank member with the others, as the local
    engine's buckets do; the pairs and the number of oversized buckets are the same."""
    from reuse.candidates.lsh import collide
    from reuse.spark.grouping import band_pairs

    rng = np.random.default_rng(5)
    n_docs, n_bands = 200, 3
    keys = rng.integers(0, 12, size=(n_bands, n_docs)).astype(np.uint64)  # buckets of ~17
    rank = rng.permutation(n_docs)
    local = collide(keys, max_bucket=10, order=rank)
    frame = spark.createDataFrame(pd.DataFrame({
        "doc": np.arange(n_docs), "rank": rank,
        "bands": keys.T.astype(np.int64).tolist()}))
    pairs, oversized = band_pairs(frame, max_bucket=10)
    got = pairs.toPandas().sort_values(["left", "right"])
    assert oversized.count() == local.oversized_buckets > 0
    assert got["left"].tolist() == local.left.tolist()
    assert got["right"].tolist() == local.right.tolist()


def test_the_lsh_bucket_cap_of_the_config_reaches_spark(spark):
    """``dedup.max_bucket`` caps the Spark engine's buckets as the local engine's: a corpus with
    six exact copies of an article (all in one bucket of every band) gives the same tables."""
    records = [{"id": path.name, "text": path.read_text(encoding="utf-8")}
               for path in sorted(SEEDS.glob("*.txt"))]
    records += [{"id": f"copy-{k}", "text": records[0]["text"]} for k in range(6)]
    config = reuse.Config().replace(**{"dedup.max_bucket": 3})
    local = reuse.dedup(records, config=config, workers=1)
    on_spark = reuse.dedup(records, config=config, engine="spark")
    assert local.counts["capped_buckets"] > 0
    assert local.counts["near_duplicate_pairs"] == 6
    assert_same_results(local, on_spark)


def test_components_and_star_clusters_match_local(spark):
    """Large-star/small-star finds the components scipy finds, and star clustering on each
    component gives the representatives local star clustering gives on the whole graph
    (chains A~B~C without A~C included)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    from reuse.cluster.documents import star_clusters
    from reuse.spark.grouping import connected_components, star_representatives

    rng = np.random.default_rng(8)
    n_docs = 300
    left = rng.integers(0, n_docs, 260)
    right = rng.integers(0, n_docs, 260)
    chain = np.arange(100, 140)  # a long path: the case the star guard exists for
    left, right = np.concatenate((left, chain[:-1])), np.concatenate((right, chain[1:]))
    keep = left != right
    lo, hi = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    codes = np.unique(lo * n_docs + hi)
    lo, hi = codes // n_docs, codes % n_docs
    rank = rng.permutation(n_docs)
    edges = spark.createDataFrame(pd.DataFrame({"left": lo, "right": hi}))
    ranks = spark.createDataFrame(pd.DataFrame({"doc": np.arange(n_docs), "rank": rank}))

    found = connected_components(edges).toPandas().set_index("doc")["component"]
    _, labels = scipy_components(coo_matrix((np.ones(len(lo)), (lo, hi)),
                                            shape=(n_docs, n_docs)), directed=False)
    linked = np.unique(np.concatenate((lo, hi)))
    least = pd.Series(linked, index=linked).groupby(labels[linked]).transform("min")
    assert found.sort_index().to_dict() == least.to_dict()

    local = star_clusters(n_docs, lo, hi, rank).representative
    expected = {int(d): int(local[d]) for d in linked}
    # Per component (beyond SINGLE_TASK_PAIRS), and all the pairs in one task.
    for n_pairs in (None, len(lo)):
        stars = (star_representatives(edges, ranks, n_pairs).toPandas()
                 .set_index("doc")["representative"])
        assert stars.sort_index().to_dict() == expected


def test_engine_is_checked():
    with pytest.raises(reuse.errors.ConfigError,
                       match=r"The 'engine' parameter of dedup must be one of 'local', 'spark'\. "
                             r"Got 'ray' instead\."):
        reuse.dedup(Corpus(ids=["a"], texts=["x"]), engine="ray")


RUN_TABLES = (*TABLES, "alignments", "passages", "pair_reuse")


def test_seeds_run_folders_equal_and_report_renders_spark_run(spark, tmp_path):
    """``reuse run --engine spark`` writes the run folder of the local engine, every table
    equal row for row (the passage tables and the report's pair_reuse too), and renders its
    report."""
    run_cli("run", str(SEEDS), "--out", str(tmp_path / "local"), "-q", "--workers", "1",
            "--threshold", "0.3")
    run_cli("run", str(SEEDS), "--out", str(tmp_path / "spark"), "-q", "--engine", "spark",
            "--threshold", "0.3", "--spark-dir", str(tmp_path / "work"))
    for name in RUN_TABLES:
        local, on_spark = (read_table(tmp_path / side, name) for side in ("local", "spark"))
        if name == "signatures":
            assert all(np.array_equal(a, b) for a, b in zip(local["signature"],
                                                              on_spark["signature"], strict=True))
        else:
            assert_same_frames(local, on_spark)
    local_manifest, spark_manifest = (read_manifest(tmp_path / side) for side in ("local", "spark"))
    assert spark_manifest["counts"] == local_manifest["counts"]
    assert local_manifest["counts"]["alignments"] > 0
    assert list((tmp_path / "work").iterdir()) == []
    assert (tmp_path / "spark" / "html" / "index.html").is_file()


def planted_passages_corpus() -> Corpus:
    """The dated corpus with passages planted in it: one in 8 documents, one in 3, and a
    boilerplate paragraph in 30 (over the max_bucket the test runs with, so its fingerprints
    are capped), and a document that shares passages with more partners than
    max_pairs_per_doc."""
    corpus = dated_corpus()
    rng = np.random.default_rng(21)
    words = " ".join(corpus.texts[0].split()[:400]).split()
    passages = [" ".join(rng.choice(words, 45)) + "." for _ in range(6)]
    texts = list(corpus.texts)

    def plant(passage: str, docs: np.ndarray) -> None:
        for doc in docs.tolist():
            cut = texts[doc].find(". ", len(texts[doc]) // 2)
            texts[doc] = (texts[doc][:cut + 2] + passage + " " + texts[doc][cut + 2:]
                          if cut > 0 else texts[doc] + " " + passage)

    plant(passages[0], rng.choice(np.arange(20, 180), 8, replace=False))
    plant(passages[1], np.array([30, 31, 200]))
    plant(passages[2], rng.choice(np.arange(20, 240), 30, replace=False))
    for k, passage in enumerate(passages[3:]):  # doc 7 shares a passage with 3 x 3 others
        plant(passage, np.array([7, 40 + k, 60 + k, 80 + k]))
    return Corpus(ids=corpus.ids, texts=texts, metadata=corpus.metadata, origins=corpus.origins)


def test_run_on_planted_passages_same_tables(spark):
    """Planted passages and near-duplicates, dates choosing the sources, capped fingerprints
    and partner caps: every table of run, and its counts, as the local engine's."""
    corpus = planted_passages_corpus()
    options = dict(verify="exact", threshold=0.6, max_bucket=20, max_pairs_per_doc=4,
                   boilerplate_docs=12)
    local = reuse.run(corpus, workers=1, **options)
    on_spark = reuse.run(corpus, engine="spark", **options)
    uncapped = reuse.run(corpus, workers=1, **{**options, "max_pairs_per_doc": 100})
    assert uncapped.counts["passage_candidate_pairs"] > local.counts["passage_candidate_pairs"]
    assert local.counts["capped_fingerprints"] > 0
    assert local.counts["passage_candidate_pairs"] > 50
    assert local.counts["boilerplate_passages"] >= 1
    assert local.passages["is_source"].any()
    assert on_spark.counts == local.counts
    for name in ("documents", "near_duplicates", "clusters", "alignments", "passages"):
        assert_same_frames(getattr(local, name), getattr(on_spark, name))


def test_without_pyspark_a_missing_dependency_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(MissingDependencyError,
                       match=r"The Spark engine needs the Python package 'pyspark' \(4\.0 or "
                             r"later\)\. Install it with: pip install 'reuse-detect\[spark\]'"):
        reuse.dedup(Corpus(ids=["a"], texts=["some text here"]), engine="spark")


def test_without_java_the_command_says_so(tmp_path):
    pytest.importorskip("pyspark", reason="needs pyspark to get as far as looking for Java")
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "PATH": "/nonexistent",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "reuse", "dedup", str(SEEDS), "--out", str(tmp_path / "out"),
         "--engine", "spark", "-q"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == MissingDependencyError.exit_code, done.stderr
    assert done.stderr == (
        "reuse: error: The Spark engine cannot start Spark: Spark needs Java 17 (on "
        "Debian/Ubuntu: apt-get install openjdk-17-jre-headless), on PATH or named by "
        "JAVA_HOME.\n")
    assert "Traceback" not in done.stderr


def test_pan13_slice_run_folders_equal(spark, tmp_path):
    """``reuse run --engine spark`` on a slice of PAN 2013 (suspicious documents and the
    sources they copy from, verbatim), read by Spark: the run folder of the local engine, every
    table and the counts."""
    root = need_shared("pan13-train")
    pairs = (root / "02-no-obfuscation" / "pairs").read_text().split("\n")[:8]
    names = sorted({f"{folder}/{name}" for line in pairs if line.strip()
                    for folder, name in zip(("susp", "src"), line.split(), strict=True)})
    corpus = tmp_path / "pan.jsonl"
    corpus.write_text("".join(
        json.dumps({"id": name, "text": (root / name).read_text(encoding="utf-8")}) + "\n"
        for name in names), encoding="utf-8")
    # The Spark engine reads the file at its URI (which the local reader cannot open).
    for side, source, engine in (
            ("local", str(corpus), ["--workers", "1"]),
            ("spark", corpus.as_uri(), ["--engine", "spark", "--spark-dir", str(tmp_path / "work")])):
        run_cli("run", source, "--out", str(tmp_path / side), "-q", "--no-report", *engine)
    for name in ("documents", "near_duplicates", "clusters", "alignments", "passages"):
        local, on_spark = (read_table(tmp_path / side, name) for side in ("local", "spark"))
        assert_same_frames(local, on_spark)
    local_manifest, spark_manifest = (read_manifest(tmp_path / side) for side in ("local", "spark"))
    assert spark_manifest["counts"] == local_manifest["counts"]
    assert local_manifest["counts"]["alignments"] >= 5


def jsonl_with_bad_records(path: Path, bom: bool = False) -> Path:
    """The dated corpus as JSONL (its dates as metadata), with blank lines, a line that is not
    UTF-8 (line 51) and bad records (a text that is no string, malformed JSON, a lone
    surrogate: lines 12-14) among the documents; with ``bom``, a UTF-8 byte-order mark first."""
    corpus = dated_corpus()
    lines = [json.dumps({"id": doc_id, "text": text, **meta})
             for doc_id, text, meta in zip(corpus.ids, corpus.texts, corpus.metadata, strict=True)]
    lines[10:10] = ["", '{"id": "bad-1", "text": 5}', "not json", '{"id": "x\\ud800", "text": "a"}']
    data = ("\n".join(lines[:50]) + "\n").encode() + b'{"id": "latin", "text": "caf\xe9"}\n'
    path.write_bytes(b"\xef\xbb\xbf" * bom + data + ("\n".join(lines[50:]) + "\n").encode())
    return path


@pytest.fixture
def small_splits(spark):
    """Spark splits every file into blocks of 16 KB: many blocks, read by several tasks."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    yield
    spark.conf.unset("spark.sql.files.maxPartitionBytes")
    spark.conf.unset("spark.sql.files.openCostInBytes")


def test_jsonl_at_a_uri_is_read_by_spark_as_the_local_engine_reads_it(spark, small_splits,
                                                                      tmp_path):
    """A JSONL file named by a ``file:`` URI (which the local reader cannot open) is read by
    Spark in blocks and parsed by the local reader's functions: the same documents, metadata
    (the dates that choose representatives), line numbers of skipped records and fallback
    decoding as the local engine on its path; every table and count equal."""
    path = jsonl_with_bad_records(tmp_path / "docs.jsonl")
    assert path.stat().st_size > 10 * 16384
    common = ["-q", "--on-error", "skip", "--encoding", "auto", "--threshold", "0.6"]
    run_cli("dedup", str(path), "--out", str(tmp_path / "local"), "--workers", "1", *common)
    run_cli("dedup", path.as_uri(), "--out", str(tmp_path / "spark"), "--engine", "spark",
            "--spark-dir", str(tmp_path / "work"), *common)
    for name in ("documents", "near_duplicates", "clusters"):
        local, on_spark = (read_table(tmp_path / side, name) for side in ("local", "spark"))
        assert_same_frames(local, on_spark)
    local_skipped = read_table(tmp_path / "local", "skipped")
    spark_skipped = read_table(tmp_path / "spark", "skipped")
    assert local_skipped["origin"].str.split(":").str[-1].tolist() == ["12", "13", "14"]
    assert (spark_skipped["origin"] == path.as_uri() + ":"
            + local_skipped["origin"].str.split(":").str[-1]).all()
    assert spark_skipped[["reason", "detail"]].equals(local_skipped[["reason", "detail"]])
    local_manifest, spark_manifest = (read_manifest(tmp_path / side) for side in ("local", "spark"))
    assert spark_manifest["counts"] == local_manifest["counts"]
    assert local_manifest["counts"]["skipped"] == 3
    assert local_manifest["counts"]["decoded_with_fallback"] == 1  # line 51, as windows-1252
    assert local_manifest["counts"]["near_duplicate_pairs"] > 10
    assert spark_manifest["input"]["fingerprint"] == local_manifest["input"]["fingerprint"]


def test_text_folder_at_a_uri_is_read_by_spark(spark, tmp_path):
    """A folder of .txt files (in subfolders, any case of the suffix, other files left out)
    at a URI: the ids, texts and bad records of the local reader."""
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    corpus = dated_corpus()
    for k in range(0, 60):
        name = f"sub/d{k:03d}.txt" if k % 2 else f"d{k:03d}.TXT" if k % 5 == 0 else f"d{k:03d}.txt"
        (folder / name).write_text(corpus.texts[k], encoding="utf-8")
    (folder / "notes.md").write_text("not a document")
    (folder / "binary.txt").write_bytes(b"a\x00b")
    common = ["-q", "--on-error", "skip", "--threshold", "0.6"]
    run_cli("dedup", str(folder), "--out", str(tmp_path / "local"), "--workers", "1", *common)
    run_cli("dedup", folder.as_uri(), "--out", str(tmp_path / "spark"), "--engine", "spark",
            "--spark-dir", str(tmp_path / "work"), *common)
    for name in ("documents", "near_duplicates", "clusters"):
        assert_same_frames(*(read_table(tmp_path / side, name) for side in ("local", "spark")))
    local_manifest, spark_manifest = (read_manifest(tmp_path / side) for side in ("local", "spark"))
    assert spark_manifest["counts"] == local_manifest["counts"]
    assert local_manifest["counts"]["skipped"] == 1 and local_manifest["counts"]["read"] == 61
    assert read_table(tmp_path / "spark", "skipped")["origin"].tolist() == [
        folder.as_uri().rstrip("/") + "/binary.txt"]


def test_bad_records_read_by_spark_raise_the_local_errors(spark, small_splits, tmp_path):
    """With on_error='raise', the first bad record in the input (found across blocks), or a
    repeated id before it (found by a groupBy), raises the local reader's error."""
    path = jsonl_with_bad_records(tmp_path / "docs.jsonl", bom=True)
    uri = path.as_uri()
    with pytest.raises(reuse.errors.InputError,
                       match=re.escape(f"{uri}:12: text field 'text' must be a string, not int "
                                       "(use --on-error skip to skip such records)")):
        reuse.dedup(uri, engine="spark")
    with pytest.raises(reuse.errors.InputError,
                       match=re.escape(f"{path}:12: text field 'text' must be a string, not int")):
        reuse.dedup(path, engine="spark")
    lines = path.read_bytes().split(b"\n")
    lines.insert(3, lines[5])  # the record of line 6 first at line 4: before the bad records
    path.write_bytes(b"\n".join(lines))
    doc_id = json.loads(lines[3])["id"]
    for on_error in ("raise", "skip"):
        with pytest.raises(reuse.errors.InputError,
                           match=re.escape(f"duplicate document id {doc_id!r}: first at {uri}:4, "
                                           f"again at {uri}:7")):
            reuse.dedup(uri, engine="spark", on_error=on_error)


def test_a_format_spark_does_not_read_at_a_uri_is_refused(spark, tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text("id,text\na,some text\n")
    with pytest.raises(reuse.errors.ConfigError,
                       match=re.escape(f"{path.as_uri()}: the Spark engine reads a JSONL file "
                                       "(uncompressed, UTF-8 or encoding 'auto') or a folder of "
                                       ".txt files at a URI")):
        reuse.dedup(path.as_uri(), engine="spark")
    assert reuse.dedup(path, engine="spark").counts["read"] == 1  # a local path: read locally


def test_spark_dir_is_a_folder_not_a_uri(spark):
    with pytest.raises(reuse.errors.ConfigError,
                       match=re.escape("The 'spark_dir' parameter must be a folder of the "
                                       "driver's file system that every executor reads too")):
        reuse.dedup(Corpus(ids=["a"], texts=["some text here"]), engine="spark",
                    spark_dir="s3a://bucket/reuse-work")
