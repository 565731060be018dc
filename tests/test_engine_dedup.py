"""dedup's stages in bounded memory and on every core: the tables are those of the in-memory
code they replaced (digests pinned from it), whatever the number of workers and the memory
budget."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from near_dup_corpus import make_corpus

import reuse
from reuse.candidates import lsh as candidates
from reuse.cli.commands import main
from reuse.engine import spill as spill_module
from reuse.engine.spill import (
    PartitionedSpill,
    RowFile,
    Workspace,
    parse_memory_budget,
)
from reuse.errors import ConfigError, ScratchSpaceError
from reuse.ingest import Corpus
from reuse.pipeline import write_run
from reuse.sketch.minhash import LEAN_MINHASH_SCHEME, MinHasher
from reuse.text.shingle import shingle_batch
from reuse.text.tokenize import tokenize_batch

# SHA-256 of the documents, near_duplicates and clusters tables (as CSV) and the counts, as the
# in-memory dedup of main (6ca90e0) computed them, before the stages spilled to disk.
PINNED = {
    "estimate-0.8": "5698988acf78c315d0e8319d1e928c742a9e4cc4c92bbad9cdb7423b5fa9aa20",
    "exact-0.8": "925dd3383728cf268f73c75c43ad099b212b5828c676c522448f30698c06516d",
    "exact-0.5-min20": "6593a906aaaf1afe019a159ea9debdf5ccee7dec19d5f05a2a100269feca998c",
    "estimate-0.3-ngram3": "a49a11133b980e96b412cf902f17820632f44b5a4ef8f3827e8cf6c72f5d83fe",
}
CASES = {
    "estimate-0.8": {"threshold": 0.8},
    "exact-0.8": {"threshold": 0.8, "verify": "exact"},
    "exact-0.5-min20": {"threshold": 0.5, "verify": "exact", "min_tokens": 20},
    "estimate-0.3-ngram3": {"threshold": 0.3, "ngram": 3, "num_perm": 64},
}
PINNED_SEEDS = {
    "exact": "13b4f398665ff1b09a0c7157fdf58b0e9e40d1e03df1eabd58a96354f9d25295",
    "estimate": "e7cac66b6a5cce649540702e7921de2208d92bd9536186d8ff487fcee8961726",
}


def planted_corpus() -> Corpus:
    """Planted near-duplicates, 1,100 copies of one text (a bucket larger than max_bucket,
    1,000, in every band), too-short documents, and dates on two thirds of the documents."""
    synthetic = make_corpus(n_docs=600, n_copies=150, seed=11)
    ids, texts = list(synthetic.ids), list(synthetic.texts)
    ids += [f"copy{k:04d}" for k in range(1100)]
    texts += [synthetic.texts[5]] * 1100
    ids += [f"short{k}" for k in range(20)]
    texts += ["a few words only"] * 20
    metadata = [{"date": str(1900 + (i * 37) % 120)} if i % 3 else {} for i in range(len(ids))]
    return Corpus(ids=ids, texts=texts, metadata=metadata, origins=list(ids),
                  input_format="jsonl")


def digest(result: reuse.DedupResult) -> str:
    sha = hashlib.sha256()
    for name in ("documents", "near_duplicates", "clusters"):
        sha.update(getattr(result, name).to_csv(index=False).encode())
    sha.update(json.dumps(result.counts, sort_keys=True).encode())
    return sha.hexdigest()


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return planted_corpus()


@pytest.mark.parametrize("case", sorted(CASES))
def test_tables_equal_the_in_memory_dedup(corpus, case):
    assert digest(reuse.dedup(corpus, **CASES[case], workers=1)) == PINNED[case]


@pytest.mark.parametrize("verify", ["exact", "estimate"])
def test_seed_tables_equal_the_in_memory_dedup(seeds_dir, verify):
    result = reuse.dedup(seeds_dir, threshold=0.5, verify=verify, workers=1)
    assert digest(result) == PINNED_SEEDS[verify]


def _table_bytes(folder: Path) -> dict[str, bytes]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {name: (folder / file).read_bytes() for name, file in manifest["tables"].items()}


def test_parquet_files_are_byte_identical_for_one_and_two_workers(corpus, tmp_path):
    folders = [write_run(reuse.dedup(corpus, threshold=0.8, verify="exact", workers=workers),
                         tmp_path / f"w{workers}") for workers in (1, 2)]
    one, two = (_table_bytes(folder) for folder in folders)
    assert sorted(one) == ["clusters", "documents", "near_duplicates", "signatures", "skipped"]
    assert one == two


@pytest.mark.parametrize("case", ["exact-0.8", "estimate-0.3-ngram3"])
def test_a_tiny_memory_budget_spills_to_many_partitions_with_the_same_tables(
        corpus, case, monkeypatch):
    chosen = []
    original = candidates.partitions_for
    monkeypatch.setattr(candidates, "partitions_for",
                        lambda *args: chosen.append(original(*args)) or chosen[-1])
    result = reuse.dedup(corpus, **CASES[case], workers=2, memory_budget="16KiB")
    assert digest(result) == PINNED[case]
    per_band, pair_partitions = chosen
    assert per_band >= 8
    assert pair_partitions >= 64


def test_the_signatures_table_holds_each_documents_minhash(corpus, tmp_path):
    result = reuse.dedup(corpus, threshold=0.8, num_perm=64, seed=9, workers=2)
    folder = write_run(result, tmp_path / "run", fmt="csv")
    table = pq.read_table(folder / "signatures.parquet")
    # Required fields, down to the values: no nulls to decode, no definition levels stored.
    assert table.schema.field("signature").type == pa.list_(
        pa.field("item", pa.uint32(), nullable=False), 64)
    assert not table.schema.field("signature").nullable
    assert not table.schema.field("doc_id").nullable
    assert table.column("doc_id").to_pylist() == corpus.ids
    signatures = np.array(table.column("signature").to_pylist(), dtype=np.uint32)
    shingles, bounds = shingle_batch(tokenize_batch(corpus.texts), 5)
    assert np.array_equal(signatures, MinHasher(64, 9).signatures(shingles, bounds))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["signatures"] == {"scheme": LEAN_MINHASH_SCHEME, "seed": 9, "num_perm": 64}
    assert manifest["tables"]["signatures"] == "signatures.parquet"
    # What the datasketch export calls the scheme.
    assert MinHasher(64, 9).to_lean_minhash(signatures[0]).scheme == manifest["signatures"][
        "scheme"]


@pytest.mark.parametrize(("given", "expected"), [
    (None, 2**30), ("512MB", 512 * 10**6), ("2GB", 2 * 10**9), ("1GiB", 2**30),
    ("1.5 gib", 3 * 2**29), (20_000, 20_000), ("64KiB", 2**16),
])
def test_memory_budget_sizes(given, expected):
    assert parse_memory_budget(given, "dedup") == expected


@pytest.mark.parametrize("given", ["lots", "1 KB", 100, "-5MB", True, "2 GBs"])
def test_a_bad_memory_budget_is_a_config_error(given):
    with pytest.raises(ConfigError, match=re.escape(
            "The 'memory_budget' parameter of dedup must be a size of at least 16 KiB, such as "
            f"'512MB', '2GB' or a number of bytes (or None: 1 GiB). Got {given!r} instead.")):
        reuse.dedup(Corpus(), memory_budget=given)


@pytest.mark.parametrize("given", [0, -1, 1.5, True])
def test_bad_workers_are_a_config_error(given):
    with pytest.raises(ConfigError, match=re.escape(
            "The 'workers' parameter of dedup must be an int >= 1 (or None: every core). "
            f"Got {given!r} instead.")):
        reuse.dedup(Corpus(), workers=given)


def test_cli_workers_and_memory_budget(seeds_dir, tmp_path):
    runner = CliRunner()
    folders = []
    for name, extra in (("default", []), ("engine", ["--workers", "2", "--memory-budget",
                                                      "16KiB"])):
        result = runner.invoke(main, ["dedup", str(seeds_dir), "--out", str(tmp_path / name),
                                      "--threshold", "0.3", "--quiet", *extra])
        assert result.exit_code == 0, result.output
        folders.append(tmp_path / name)
    assert _table_bytes(folders[0]) == _table_bytes(folders[1])
    manifest = json.loads((folders[1] / "manifest.json").read_text(encoding="utf-8"))
    # They change how the run goes, never its tables: not recorded for `reuse rerun`.
    assert not {"workers", "memory_budget"} & set(manifest["options"])
    result = runner.invoke(main, ["dedup", str(seeds_dir), "--out", str(tmp_path / "bad"),
                                  "--memory-budget", "lots"])
    assert result.exit_code == 2
    assert "The 'memory_budget' parameter of dedup must be a size of at least 16 KiB" in (
        result.output)


def test_spill_partitions_and_row_files_read_back_what_was_written(tmp_path, monkeypatch):
    with Workspace() as workspace:
        spill = PartitionedSpill(workspace, "t", np.dtype("<u8"), 4)
        spill.append(np.arange(10, dtype=np.uint64), np.arange(10) % 4)
        spill.append(np.arange(10, 13, dtype=np.uint64), 2)
        assert [spill.read(p).tolist() for p in range(4)] == [
            [0, 4, 8], [1, 5, 9], [2, 6, 10, 11, 12], [3, 7]]
        assert len(spill) == 13
        # Records grouped by partition already are written as they lie (not sorted), in the
        # same files.
        grouped = PartitionedSpill(workspace, "g", np.dtype("<u8"), 4)
        with monkeypatch.context() as patched:
            patched.setattr(spill_module, "stable_order", None)
            grouped.append(np.array([1, 5, 9, 0, 4, 8, 3, 7], dtype=np.uint64),
                           np.array([1, 1, 1, 0, 0, 0, 3, 3]))
            grouped.append(np.array([2, 6, 10, 11, 12], dtype=np.uint64), np.full(5, 2))
        assert [grouped.read(p).tolist() for p in range(4)] == [
            spill.read(p).tolist() for p in range(4)]
        # A partition in two runs is not grouped: the records are sorted into place.
        split = PartitionedSpill(workspace, "s", np.dtype("<u8"), 2)
        split.append(np.arange(4, dtype=np.uint64), np.array([0, 1, 0, 1]))
        assert [split.read(p).tolist() for p in range(2)] == [[0, 2], [1, 3]]
        rows = RowFile(workspace.file("rows"), 3, np.uint32)
        data = np.arange(30, dtype=np.uint32).reshape(10, 3)
        rows.append(data[:4])
        rows.append(data[4:])
        assert np.array_equal(rows.rows(np.array([9, 0, 4])), data[[9, 0, 4]])
        assert [(start, block.tolist()) for start, block in rows.blocks(4)][-1] == (
            8, data[8:].tolist())
        path = workspace.path
    assert not path.exists()


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2**16)), max_size=30),
       st.integers(1, 2000))
@settings(max_examples=40, deadline=None)
def test_a_buffered_spill_of_structured_records_reads_back_what_was_appended(appends,
                                                                              buffer_bytes):
    record = np.dtype([("key", "<u8"), ("doc", "<i8")])
    with Workspace() as workspace:
        plain = PartitionedSpill(workspace, "plain", record, 3)
        buffered = PartitionedSpill(workspace, "buffered", record, 3, buffer_bytes=buffer_bytes)
        for size, seed in appends:
            records = np.empty(size, dtype=record)
            records["key"] = np.random.default_rng(seed).integers(0, 2**63, size, dtype=np.uint64)
            records["doc"] = np.arange(size) + seed
            partition = (records["key"] % 3).astype(np.int64)
            plain.append(records, partition)
            buffered.append(records, partition)
        for p in range(3):
            got = buffered.read(p)
            assert got.dtype == record and got.tobytes() == plain.read(p).tobytes()


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2**16)), max_size=30),
       st.integers(1, 400))
@settings(max_examples=60, deadline=None)
def test_a_buffered_spill_reads_back_what_an_unbuffered_one_does(appends, buffer_bytes):
    with Workspace() as workspace:
        plain = PartitionedSpill(workspace, "plain", np.dtype("<u8"), 4)
        buffered = PartitionedSpill(workspace, "buffered", np.dtype("<u8"), 4,
                                    buffer_bytes=buffer_bytes)
        for size, seed in appends:
            records = np.random.default_rng(seed).integers(0, 2**63, size, dtype=np.uint64)
            partition = records.astype(np.int64) % 4
            plain.append(records, partition)
            buffered.append(records, partition)
            assert buffered.counts.tolist() == plain.counts.tolist()
            # Memory holds less than the buffer (and one append) before it is written.
            on_disk = sum(path.stat().st_size for path in buffered.paths if path.exists())
            assert len(buffered) * 8 - on_disk < buffer_bytes + size * 8
        # A copy sent to another process reads the records waiting here too.
        sent = pickle.loads(pickle.dumps(buffered))
        assert [sent.read(p).tolist() for p in range(4)] == [
            plain.read(p).tolist() for p in range(4)]
        assert [buffered.read(p).tolist() for p in range(4)] == [
            plain.read(p).tolist() for p in range(4)]
        assert sum(path.stat().st_size for path in buffered.paths if path.exists()) == (
            len(plain) * 8)


def test_a_spill_write_that_fails_is_a_named_error():
    with Workspace() as workspace:
        spill = PartitionedSpill(workspace, "t", np.dtype("<u8"), 1)
        spill.paths[0].mkdir()  # a file that cannot be opened for writing, even by root
        with pytest.raises(ScratchSpaceError, match=re.escape(
                f"{spill.paths[0]}: cannot write a temporary file (Is a directory). Make room in")):
            spill.append(np.arange(3, dtype=np.uint64), 0)


@pytest.mark.parametrize(("budget", "workers"), [(2**30, 1), (2**14, 1), (2**30, 2), (2**14, 2)])
def test_spilled_buckets_equal_collide(budget, workers):
    # With two workers, the large budget groups two partitions at once in worker processes
    # (the ranks read from a file); the small one holds one partition's grouping at a time.
    rng = np.random.default_rng(5)
    n_docs, bands = 3000, 6
    # Few distinct keys: buckets of every size, some above max_bucket.
    keys = rng.integers(0, 40, size=(bands, n_docs)).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    keys[0, :700] = np.uint64(7)  # one bucket of 700 in band 0
    rank = rng.permutation(n_docs)
    compared = np.flatnonzero(rng.random(n_docs) < 0.9)
    expected = candidates.collide(keys[:, compared], max_bucket=300, order=rank[compared])
    with Workspace() as workspace:
        buckets = candidates.SpilledBuckets(workspace, bands, 1, n_docs, budget)
        for lo in range(0, len(compared), 500):
            docs = compared[lo:lo + 500]
            buckets.add(keys[:, docs], docs)
        pairs = buckets.pairs(rank, max_bucket=300, workers=workers)
        assert not [path for path in workspace.path.iterdir() if path.name.startswith("ranks")]
        chunks = list(pairs.chunks(1000))
    left = np.concatenate([chunk[0] for chunk in chunks])
    right = np.concatenate([chunk[1] for chunk in chunks])
    assert np.array_equal(left, compared[expected.left])
    assert np.array_equal(right, compared[expected.right])
    assert pairs.count == len(expected.left)
    assert buckets.oversized_buckets == expected.oversized_buckets > 0


def test_sending_texts_to_workers_does_not_grow_them():
    # Pickling a str makes CPython keep its UTF-8 form inside it: a second copy of every
    # non-ASCII document for the rest of the run. The texts travel as one UTF-8 blob instead.
    texts = [f"café numéro {i} " + "é" * 50 for i in range(50)]
    texts.append("a lone surrogate \udc80 survives")
    corpus = Corpus(ids=[f"d{i}" for i in range(len(texts))], texts=texts)
    sizes = [sys.getsizeof(text) for text in texts]
    result = reuse.dedup(corpus, threshold=0.5, workers=2)
    assert [sys.getsizeof(text) for text in texts] == sizes
    assert result.documents["n_tokens"].tolist() == reuse.dedup(
        corpus, threshold=0.5, workers=1).documents["n_tokens"].tolist()


def _jsonl_of(corpus: Corpus, path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for doc_id, text, meta in zip(corpus.ids, corpus.texts, corpus.metadata, strict=True):
            handle.write(json.dumps({"id": doc_id, "text": text, **meta}) + "\n")
    return path


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("large", [False, True])
def test_without_keep_texts_a_jsonl_files_texts_are_not_stored_and_the_tables_are_the_same(
        corpus, tmp_path, workers, large, monkeypatch):
    # large: exact verification reads the candidates' texts back from the file and tokenizes
    # them again, instead of reading the shingles the sketching pass kept.
    from reuse.ingest.store import TextsNotKept
    from reuse.pipeline import sketching

    if large:
        monkeypatch.setattr(sketching, "KEEP_SHINGLES_BYTES", 0)

    source = _jsonl_of(corpus, tmp_path / "corpus.jsonl")
    kept = reuse.dedup(source, threshold=0.8, verify="exact", workers=workers)
    dropped = reuse.dedup(source, threshold=0.8, verify="exact", workers=workers,
                          keep_texts=False)
    assert digest(dropped) == digest(kept) == PINNED["exact-0.8"]
    folders = [write_run(result, tmp_path / name)
               for name, result in (("kept", kept), ("dropped", dropped))]
    assert _table_bytes(folders[0]) == _table_bytes(folders[1])
    store = dropped.corpus.store
    assert (store.folder / "texts.none").exists()
    assert (store.folder / "texts.bin").stat().st_size == 0
    assert (kept.corpus.store.folder / "texts.bin").stat().st_size == sum(
        len(text.encode()) for text in corpus.texts)
    assert dropped.corpus.lengths.tolist() == kept.corpus.lengths.tolist()
    assert dropped.corpus.fingerprint() == kept.corpus.fingerprint()
    assert list(dropped.corpus.ids) == list(kept.corpus.ids)
    message = "the texts of this corpus were not kept: it was read with keep_texts=False"
    for read in (lambda texts: texts[3], lambda texts: texts[2:5], list,
                 lambda texts: next(texts.utf8())):
        with pytest.raises(TextsNotKept, match=message):
            read(dropped.corpus.texts)
    with pytest.raises(TextsNotKept, match=message):  # a worker's copy of the store too
        pickle.loads(pickle.dumps(dropped.corpus.texts))[0]


def test_an_input_not_read_in_parts_keeps_its_texts_whatever_keep_texts_says(seeds_dir):
    # A folder of .txt files is read file by file; its texts are sketched from the store.
    result = reuse.dedup(seeds_dir, workers=1, keep_texts=False)
    assert result.corpus.store.texts_kept
    assert result.corpus.texts[0] == (seeds_dir / sorted(
        p.name for p in seeds_dir.iterdir())[0]).read_text(encoding="utf-8")


def test_a_store_takes_batches_all_with_texts_or_all_without(tmp_path):
    from reuse.errors import ReuseError
    from reuse.ingest.store import DocumentStore, encode_documents

    store = DocumentStore(tmp_path)
    store.write(encode_documents(["a"], ["one text"], [{}], ["f:1"], keep_texts=False))
    with pytest.raises(ReuseError, match="every batch of a store has its texts, or none has"):
        store.write(encode_documents(["b"], ["another"], [{}], ["f:2"]))
    assert len(store) == 1 and store.lengths.tolist() == [8]
    store.close()


def test_keep_texts_must_be_a_bool(seeds_dir):
    with pytest.raises(ConfigError, match="The 'keep_texts' parameter of dedup"):
        reuse.dedup(seeds_dir, keep_texts="no")


def test_read_in_parts_is_a_plain_jsonl_file(seeds_dir, tmp_path):
    from reuse.ingest import read_in_parts

    plain = tmp_path / "a.JSONL"
    plain.write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    (tmp_path / "b.jsonl.gz").write_bytes(b"")
    (tmp_path / "c.csv").write_text("id,text\n", encoding="utf-8")
    assert read_in_parts(plain) and read_in_parts(str(plain))
    for other in (tmp_path / "b.jsonl.gz", tmp_path / "c.csv", seeds_dir,
                  tmp_path / "missing.jsonl", "", [{"id": "a", "text": "x"}]):
        assert not read_in_parts(other), other


@pytest.mark.parametrize("as_arrow", [False, True])
def test_the_signatures_table_in_many_row_groups_reads_back_row_for_row(tmp_path, as_arrow):
    from reuse.runfolder import folder as runfolder

    rows = np.random.default_rng(5).integers(0, 2**32, size=(10, 4), dtype=np.uint32)
    signatures = RowFile(tmp_path / "signatures.u32", 4, np.uint32)
    signatures.append(rows[:6])
    signatures.append(rows[6:])
    ids = [f"doc-{k}" for k in range(10)]
    folder = tmp_path / "run"
    folder.mkdir()
    runfolder.write_signatures(folder, pa.array(ids) if as_arrow else ids, signatures,
                               rows_per_group=3)
    written = pq.ParquetFile(folder / "signatures.parquet")
    assert written.metadata.num_row_groups == 4
    table = written.read()
    assert table.column("doc_id").to_pylist() == ids
    assert np.array_equal(np.array(table.column("signature").to_pylist(), dtype=np.uint32), rows)
