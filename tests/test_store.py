"""The corpus on disk: the document store, ingest in batches, repeated ids found by hash, the
order-independent fingerprint, and documents given in memory (DataFrame, Arrow, records)."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reuse
from reuse.engine.scratch import host_tag
from reuse.engine.spill import SegmentSink
from reuse.errors import ConfigError, InputError, ReuseError, RunFolderError
from reuse.ingest import Corpus, read_corpus, records
from reuse.ingest.records import RecordSink
from reuse.ingest.store import DocumentStore, IdHashes, encode_documents

TEXTS = ["", "plain", "caf\u00e9 \U0001f600 astral", "\u05e9\u05dc\u05d5\u05dd", "x" * 5000]


def _store(texts: list[str], tmp_path: Path | None = None) -> DocumentStore:
    store = DocumentStore(tmp_path)
    n = len(texts)
    store.append([f"d{i}" for i in range(n)], texts, [{"k": i} if i % 2 else {} for i in range(n)],
                 [f"origin {i}" for i in range(n)])
    return store


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                    encoding="utf-8")
    return path


def test_store_reads_each_document_by_ordinal_and_slices_in_one_read(tmp_path):
    store = _store(TEXTS, tmp_path)
    store.append(["late"], ["appended later"], [{"when": pd.Timestamp("2020-01-02")}], ["o"])
    texts = store.texts
    assert len(texts) == len(store) == 6
    assert [texts[i] for i in range(6)] == [*TEXTS, "appended later"]
    assert texts[-1] == "appended later" and texts[2] == TEXTS[2]
    assert texts[1:4] == TEXTS[1:4] and texts[3:3] == [] and texts[::2] == TEXTS[::2]
    assert list(texts) == [*TEXTS, "appended later"]
    assert store.lengths.tolist() == [*map(len, TEXTS), 14]
    assert store.ids[5] == "late" and store.origins[:2] == ["origin 0", "origin 1"]
    # Metadata comes back as it was stored: a Timestamp stays a Timestamp.
    assert store.metadata[5] == {"when": pd.Timestamp("2020-01-02")}
    assert store.metadata[:3] == [{}, {"k": 1}, {}]
    with pytest.raises(IndexError, match=r"document 6 out of range \(6 documents\)"):
        texts[6]
    assert store.folder.parent == tmp_path


def test_a_slice_is_one_read_of_the_texts_file(tmp_path, monkeypatch):
    store = _store(TEXTS, tmp_path)
    data_reads = []
    blob = store._texts
    original = blob.read

    def counted(lo, hi):
        data_reads.append((lo, hi))
        return original(lo, hi)

    monkeypatch.setattr(blob, "read", counted)
    assert store.texts[0:5] == TEXTS
    assert data_reads == [(0, 5)]


@settings(max_examples=60, deadline=None)
@given(positions=st.lists(st.integers(min_value=0, max_value=len(TEXTS) - 1), max_size=20),
       gap=st.sampled_from([0, 4, 1 << 16]), read=st.sampled_from([1, 8, 1 << 22]))
def test_read_many_gives_what_indexing_gives_in_any_order_and_with_repeats(
        positions, gap, read, tmp_path_factory):
    from reuse.ingest import store as store_module

    store = _store(TEXTS, tmp_path_factory.mktemp("store"))
    store.metadata[3] = {"replaced": True}
    saved = store_module._NEARBY_GAP, store_module._NEARBY_READ
    store_module._NEARBY_GAP, store_module._NEARBY_READ = gap, read
    try:
        at = np.array(positions, dtype=np.int64)
        for column in (store.texts, store.ids, store.origins, store.metadata):
            assert column.read_many(at) == [column[p] for p in positions]
        assert store.texts.utf8_at(at, b"\x00").decode("utf-8", "surrogatepass") == "\x00".join(
            store.texts[p] for p in positions)
    finally:
        store_module._NEARBY_GAP, store_module._NEARBY_READ = saved
        store.close()


def test_read_many_reads_nearby_values_together_and_checks_positions(tmp_path, monkeypatch):
    from reuse.ingest import store as store_module

    texts = [f"text {i}" for i in range(100)]
    store = _store(texts, tmp_path)
    reads = []
    original = store_module._pread
    monkeypatch.setattr(store_module, "_pread", lambda fd, size, offset: (
        reads.append((size, offset)) or original(fd, size, offset)))
    assert store.texts.read_many(np.array([90, 3, 50, 3])) == [texts[90], texts[3], texts[50],
                                                                texts[3]]
    assert len(reads) == 1  # 700 bytes of texts, far under the gap: one read
    monkeypatch.setattr(store_module, "_NEARBY_GAP", 0)
    reads.clear()
    assert store.texts.read_many(np.array([5, 6, 7, 9])) == [*texts[5:8], texts[9]]
    assert len(reads) == 2  # 5 to 7 are contiguous, 9 is not
    with pytest.raises(IndexError, match=r"document 100 out of range \(100 documents\)"):
        store.texts.read_many(np.array([1, 100]))
    with pytest.raises(IndexError, match=r"document -1 out of range \(100 documents\)"):
        store.texts.utf8_at(np.array([-1, 3]), b"")
    assert store.texts.utf8_at(np.array([], dtype=np.int64), b"|") == b""
    assert store.texts.read_many(np.array([], dtype=np.int64)) == []
    store.close()
    with pytest.raises(InputError, match="the corpus was closed"):
        store.ids.read_many(np.array([0]))


def test_columns_compare_with_lists_and_never_hash(tmp_path):
    store = _store(TEXTS, tmp_path)
    assert store.texts == TEXTS and list.__eq__(TEXTS, store.texts) is NotImplemented
    assert store.texts != TEXTS[:-1] and store.texts != [*TEXTS[:-1], "y"]
    assert (store.ids, store.texts) == ([f"d{i}" for i in range(5)], TEXTS)
    assert store.ids.index("d3") == 3 and "d4" in store.ids
    with pytest.raises(TypeError):
        hash(store.ids)
    assert repr(store.texts) == "<TextColumn: 5 documents on disk>"


@given(st.lists(st.text(), max_size=30))
def test_stored_texts_are_the_texts_given(texts):
    store = _store(texts)
    try:
        assert list(store.texts) == texts
        assert [store.texts[i] for i in range(len(texts))] == texts
        assert store.lengths.tolist() == [len(text) for text in texts]
        middle = len(texts) // 2
        assert store.texts[middle:] == texts[middle:]
        data, lengths = store.texts.utf8_separated(middle, len(texts), b"\x00")
        assert str(data, "utf-8", "surrogatepass") == "\x00".join(texts[middle:])
        assert lengths.tolist() == [len(text) for text in texts[middle:]]
    finally:
        store.close()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.lists(st.text(), max_size=6), st.booleans()), max_size=6))
def test_batches_copied_from_files_and_written_directly_mix(tmp_path_factory, batches):
    """Batches whose texts a reading worker wrote to a file of its own (``moved_to``) are
    copied into the store; any batch after one may be written directly."""
    folder = tmp_path_factory.mktemp("texts")
    sink = SegmentSink(str(folder), "texts")
    store = DocumentStore(tmp_path_factory.mktemp("store"))
    expected: list[str] = []
    try:
        for texts, moved in batches:
            ids = [f"d{len(expected) + i}" for i in range(len(texts))]
            encoded = encode_documents(ids, texts, [{}] * len(texts), ["o"] * len(texts))
            store.write(encoded.moved_to(sink) if moved else encoded)
            expected.extend(texts)
        assert list(store.texts) == expected
        assert store.lengths.tolist() == [len(text) for text in expected]
        if expected:
            assert store.texts[len(expected) - 1] == expected[-1]
    finally:
        store.close()


@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\r\n")), min_size=1,
                max_size=20))
def test_read_corpus_gives_back_every_text_read(tmp_path_factory, texts):
    path = _jsonl(tmp_path_factory.mktemp("j") / "docs.jsonl",
                  [{"id": f"d{i}", "text": text} for i, text in enumerate(texts)])
    corpus = read_corpus(path)
    assert corpus.texts == texts and [corpus.texts[i] for i in range(len(texts))] == texts
    assert corpus.lengths.tolist() == list(map(len, texts))
    corpus.close()


def test_a_stored_corpus_pickles_as_a_read_only_handle_to_its_store(tmp_path):
    import pickle

    corpus = read_corpus(_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "x", "n": 1},
                                                       {"id": "b", "text": "yz"}]))
    data = pickle.dumps(corpus)
    assert len(data) < 2000 and b"yz" not in data  # the texts stay on disk
    again = pickle.loads(data)
    assert (again.ids, again.texts, again.metadata) == (["a", "b"], ["x", "yz"], [{"n": 1}, {}])
    assert again.store is not corpus.store and again.store.folder == corpus.store.folder
    assert again.lengths.tolist() == [1, 2] and again.fingerprint() == corpus.fingerprint()
    with pytest.raises(ReuseError, match="a copy of a document store is read-only"):
        again.store.append(["c"], ["t"], [{}], ["o"])
    del again
    gc.collect()
    assert corpus.store.folder.exists()  # only the store that made the files removes them
    corpus.close()
    with pytest.raises(InputError, match="the document store was removed"):
        pickle.loads(data)


def _texts_in_worker(texts) -> list[str]:
    return [texts[1], *texts[0:1]]


def test_a_worker_process_reads_the_texts_from_the_store(tmp_path):
    import multiprocessing

    corpus = read_corpus(_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "first \U0001f600"},
                                                       {"id": "b", "text": "second"}]))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_texts_in_worker, (corpus.texts,)) == ["second", "first \U0001f600"]


def test_lone_surrogates_given_in_python_are_stored_as_they_are(tmp_path):
    texts = ["a\ud800b", "\udfff", "fine"]
    store = _store(texts, tmp_path)
    assert list(store.texts) == texts and store.texts[0] == "a\ud800b"


def test_the_store_is_removed_when_closed_or_collected(tmp_path):
    corpus = read_corpus(_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "x"}]),
                         store_dir=tmp_path / "stores")
    folder = corpus.store.folder
    assert folder.parent == tmp_path / "stores" and (folder / "texts.bin").exists()
    corpus.close()
    assert not folder.exists()
    with pytest.raises(InputError, match="the corpus was closed"):
        corpus.texts[0]
    corpus = read_corpus(tmp_path / "a.jsonl", store_dir=tmp_path / "stores")
    folder = corpus.store.folder
    del corpus
    gc.collect()
    assert not folder.exists()


def test_the_store_of_a_killed_process_is_removed_by_the_next_store(tmp_path):
    import signal
    import subprocess
    import sys

    stores = tmp_path / "stores"
    path = _jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "x"}])
    code = ("import os, signal, sys\nfrom reuse.ingest import read_corpus\n"
            "corpus = read_corpus(sys.argv[1], store_dir=sys.argv[2])\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(stores)], check=False)
    assert done.returncode == -signal.SIGKILL
    [left] = list(stores.iterdir())  # nothing ran to remove it
    assert left.name.startswith("reuse-store-") and (left / "texts.bin").exists()
    corpus = read_corpus(path, store_dir=stores)
    assert [entry.name for entry in stores.iterdir()] == [corpus.store.folder.name]
    assert corpus.store.folder.name.startswith(f"reuse-store-{host_tag()}-{os.getpid()}-")


def test_a_failed_read_leaves_no_store_behind(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": 3}\n', encoding="utf-8")
    stores = tmp_path / "stores"
    stores.mkdir()
    with pytest.raises(InputError, match="must be a string, not int"):
        read_corpus(path, store_dir=stores)
    assert list(stores.iterdir()) == []


def test_the_sink_never_holds_more_than_a_batch(tmp_path):
    corpus = Corpus()
    sink = RecordSink(corpus, "raise", 1000, batch_records=4, store_dir=tmp_path)
    for k in range(10):
        sink.add(f"id{k}", f"text {k}", {}, "here:", k, valid_unicode=True)
        assert sink.pending < 4
        assert len(sink.store or ()) + sink.pending == k + 1
    store = sink.finish()
    assert len(store) == 10 and store.texts[9] == "text 9" and store.origins[3] == "here:3"


def test_ingest_writes_the_store_in_batches_of_bounded_size(tmp_path, monkeypatch):
    sizes = []
    original = DocumentStore.write

    def recorded(self, documents):
        sizes.append(len(documents.ids))
        return original(self, documents)

    monkeypatch.setattr(DocumentStore, "write", recorded)
    path = _jsonl(tmp_path / "big.jsonl", [{"id": str(i), "text": "w " * 20} for i in range(10_000)])
    corpus = read_corpus(path)
    assert len(corpus) == 10_000 and sum(sizes) == 10_000
    assert max(sizes) <= records.BATCH_RECORDS and len(sizes) == 3


def test_a_batch_also_ends_at_its_characters(tmp_path):
    sink = RecordSink(Corpus(), "raise", 1000, batch_chars=10, store_dir=tmp_path)
    for k in range(3):
        sink.add(str(k), "123456", {}, "x:", k, valid_unicode=True)
    assert len(sink.store) == 2 and sink.pending == 1


DUPLICATE = "duplicate document id 'x': first at {path}:{first}, again at {path}:{again}"


@pytest.mark.parametrize("batch", [1, 2, 3, 4096])
def test_a_repeated_id_in_any_batch_has_the_same_message(tmp_path, monkeypatch, batch):
    monkeypatch.setattr(records, "BATCH_RECORDS", batch)
    rows = [{"id": i, "text": "t"} for i in ("a", "b", "x", "c", "d", "x", "x")]
    path = _jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(InputError, match=re.escape(DUPLICATE.format(path=path, first=3, again=6))):
        read_corpus(path)


@pytest.mark.parametrize("batch", [1, 4096])
def test_a_repeated_id_is_reported_before_a_later_bad_record(tmp_path, monkeypatch, batch):
    monkeypatch.setattr(records, "BATCH_RECORDS", batch)
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\nnot json\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(DUPLICATE.format(path=path, first=1, again=2))):
        read_corpus(path)


def test_ids_with_one_hash_are_told_apart_by_the_stored_ids(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "BATCH_RECORDS", 2)
    monkeypatch.setattr(records, "hash", lambda doc_id: 42, raising=False)  # every id collides
    rows = [{"id": f"d{i}", "text": "t"} for i in range(7)]
    path = _jsonl(tmp_path / "d.jsonl", rows)
    assert read_corpus(path).ids == [f"d{i}" for i in range(7)]
    path = _jsonl(tmp_path / "e.jsonl", [*rows, {"id": "d1", "text": "again"}])
    with pytest.raises(InputError, match=re.escape(
            f"duplicate document id 'd1': first at {path}:2, again at {path}:8")):
        read_corpus(path)


def test_id_hashes_find_every_hash_seen_before():
    rng = np.random.default_rng(3)
    index = IdHashes()
    seen: set[int] = set()
    added = 0
    for _ in range(40):
        batch = rng.integers(-(1 << 20), 1 << 20, size=int(rng.integers(1, 50)))
        expected = []
        earlier = set(seen)
        for k, value in enumerate(batch.tolist()):
            if value in earlier:
                expected.append(k)
            earlier.add(value)
        assert index.suspects(batch).tolist() == expected
        index.add(batch)
        added += len(batch)
        seen.update(batch.tolist())
    assert len(index) == added
    assert len(index.runs) <= 8  # merged into geometrically growing runs


def test_the_fingerprint_is_pinned_and_independent_of_storage_and_order(tmp_path):
    ids, texts = ["b", "a", "c"], ["zwei", "eins \U0001f600", ""]
    metadata = [{"n": 2}, {}, {"tags": ["x"]}]
    in_python = Corpus(ids=ids, texts=texts, metadata=metadata, origins=[""] * 3)
    reversed_order = Corpus(ids=ids[::-1], texts=texts[::-1], metadata=metadata[::-1],
                            origins=[""] * 3)
    path = _jsonl(tmp_path / "c.jsonl", [{"id": i, "text": t, **m}
                                         for i, t, m in zip(ids, texts, metadata, strict=True)])
    stored = read_corpus(path)
    assert in_python.fingerprint() == reversed_order.fingerprint() == stored.fingerprint()
    # The scheme, written out: the sum of each document's SHA-256, then the SHA-256 of that.
    total = 0
    for doc_id, text, fields in zip(ids, texts, metadata, strict=True):
        parts = [doc_id, text, json.dumps(fields, sort_keys=True, ensure_ascii=False)]
        record = b"".join(len(p.encode()).to_bytes(8, "little") + p.encode() for p in parts)
        total += int.from_bytes(hashlib.sha256(record).digest(), "little")
    expected = hashlib.sha256(b"reuse corpus fingerprint 2: sum of per-document SHA-256\n"
                              + (3).to_bytes(8, "little")
                              + (total % (1 << 256)).to_bytes(32, "little")).hexdigest()
    assert stored.fingerprint() == expected == (
        "8877e5eb713a979a56222a5bd711ea846f6416b117a7e7cbc3121971ce43b301")
    changed = Corpus(ids=ids, texts=["zwei", "eins", ""], metadata=metadata, origins=[""] * 3)
    assert changed.fingerprint() != in_python.fingerprint()


def _in_python(corpus: Corpus) -> Corpus:
    return Corpus(ids=list(corpus.ids), texts=list(corpus.texts),
                  metadata=list(corpus.metadata), origins=list(corpus.origins))


def test_a_read_corpus_is_fingerprinted_without_reading_its_texts_again(tmp_path, monkeypatch):
    from reuse.ingest import store as store_module

    # Digests summed in several chunks, documents stored in several batches.
    monkeypatch.setattr(store_module, "CHUNK_BYTES", 3 * 32)
    rows = [{"id": f"d{i}", "text": f"text {i} \U0001f600", "n": i} for i in range(10)]
    monkeypatch.setattr(records, "BATCH_RECORDS", 4)
    corpus = read_corpus(_jsonl(tmp_path / "c.jsonl", rows))
    reads = []
    blob = corpus.store._texts
    original = blob.read
    monkeypatch.setattr(blob, "read", lambda lo, hi: reads.append(hi - lo) or original(lo, hi))
    fingerprint, order = corpus.fingerprint(), corpus.order_fingerprint()
    assert reads == []
    in_python = _in_python(corpus)
    assert (in_python.fingerprint(), in_python.order_fingerprint()) == (fingerprint, order)


def test_the_fingerprint_follows_metadata_replaced_after_reading(tmp_path):
    rows = [{"id": f"d{i}", "text": f"text {i}", "n": i} for i in range(5)]
    corpus = read_corpus(_jsonl(tmp_path / "c.jsonl", rows))
    before = corpus.fingerprint()
    corpus.metadata[3] = {"n": 3, "date": "1999"}
    assert corpus.fingerprint() != before
    assert corpus.fingerprint() == _in_python(corpus).fingerprint()
    corpus.metadata[3] = {"n": 3}
    assert corpus.fingerprint() == before


def test_a_kept_store_without_digests_is_fingerprinted_from_its_documents(tmp_path):
    from reuse.ingest.store import open_store

    rows = [{"id": f"d{i}", "text": f"text {i}", "n": i} for i in range(7)]
    corpus = read_corpus(_jsonl(tmp_path / "c.jsonl", rows))
    expected = corpus.fingerprint(), corpus.order_fingerprint()
    corpus.store.keep(tmp_path / "kept")
    (tmp_path / "kept" / "digests.sha256").unlink()  # as an earlier version kept it
    reopened = Corpus.stored(open_store(tmp_path / "kept", 7))
    assert not reopened.store.has_digests
    assert (reopened.fingerprint(), reopened.order_fingerprint()) == expected


def test_rerun_refuses_a_manifest_with_a_fingerprint_of_the_earlier_scheme(tmp_path):
    from reuse.pipeline import rerun, write_run

    path = _jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": "one two three four five six"},
                                         {"id": "b", "text": "one two three four five six"}])
    out = write_run(reuse.dedup(path), tmp_path / "run")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["input"]["fingerprint_covers"] = (
        "SHA-256 over the documents read, sorted by id: each id, text (as decoded) and metadata")
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(RunFolderError, match=re.escape(
            "the run's input fingerprint was computed by an earlier version of reuse, in another "
            "way, so it cannot tell whether the input changed; run the pipeline again")):
        rerun(out, out=tmp_path / "again")


# Documents given in memory.

ROWS = [{"id": "a", "text": "alpha text", "year": 2001},
        {"id": "b", "text": "beta text", "year": 2002},
        {"id": None, "text": "no id", "year": 2003},
        {"id": "c", "text": None, "year": 2004},
        {"id": "d", "text": "delta", "year": 2005}]


def _check_read(corpus: Corpus, origin: str) -> None:
    assert corpus.ids == ["a", "b", "d"] and corpus.texts == ["alpha text", "beta text", "delta"]
    assert corpus.metadata == [{"year": 2001}, {"year": 2002}, {"year": 2005}]
    assert corpus.origins == [f"{origin}0", f"{origin}1", f"{origin}4"]
    assert corpus.skipped == [
        {"origin": f"{origin}2", "reason": "missing_id", "detail": "missing id field 'id'"},
        {"origin": f"{origin}3", "reason": "missing_text",
         "detail": "missing text field 'text'"}]
    assert corpus.n_read == 5 and corpus.source is None


def test_a_dataframe_is_read_row_by_row_with_the_same_checks():
    frame = pd.DataFrame(ROWS)
    corpus = read_corpus(frame, on_error="skip")
    _check_read(corpus, "DataFrame row ")
    assert corpus.input_format == "dataframe"
    with pytest.raises(InputError, match=re.escape(
            "DataFrame row 2: missing id field 'id' (use --on-error skip to skip such records)")):
        read_corpus(frame)


def test_integer_ids_of_a_dataframe_stay_integers_beside_a_missing_one():
    frame = pd.DataFrame({"id": [7, None, 9], "text": ["x", "y", "z"]})
    corpus = read_corpus(frame, on_error="skip")
    assert corpus.ids == ["7", "9"] and len(corpus.skipped) == 1


def test_a_dataframe_without_the_text_column_names_the_parameters():
    with pytest.raises(InputError, match=re.escape(
            "DataFrame: no column 'body' (columns: id, text, year); choose columns with the "
            "id_field and text_field parameters")):
        read_corpus(pd.DataFrame(ROWS), text_field="body")


@pytest.mark.parametrize("kind", ["Table", "RecordBatchReader", "Dataset"])
def test_arrow_data_is_read_batch_by_batch_with_the_same_checks(kind):
    table = pa.Table.from_pylist(ROWS)
    source = {"Table": table, "RecordBatchReader": pa.RecordBatchReader.from_batches(
        table.schema, table.to_batches(max_chunksize=2)), "Dataset": ds.dataset(table)}[kind]
    corpus = read_corpus(source, on_error="skip")
    _check_read(corpus, f"{kind} row ")
    assert corpus.input_format == "arrow"


def test_a_parquet_dataset_on_disk_is_read(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist(ROWS[:2]), folder / "p0.parquet")
    pq.write_table(pa.Table.from_pylist(ROWS[4:]), folder / "p1.parquet")
    corpus = read_corpus(ds.dataset(folder))
    assert sorted(corpus.ids) == ["a", "b", "d"] and len(corpus.skipped) == 0


def test_an_iterable_of_records_is_read_with_the_same_checks():
    corpus = read_corpus(iter([*ROWS, ["not", "a", "dict"]]), on_error="skip")
    assert corpus.skipped[-1] == {"origin": "record 5", "reason": "not_an_object",
                                  "detail": "a list, not a dict"}
    corpus.skipped = type(corpus.skipped)(list(corpus.skipped)[:2])
    _check_read(corpus, "record ")
    assert corpus.input_format == "records"
    with pytest.raises(InputError, match=re.escape(
            "record 0: the text field holds an unpaired surrogate")):
        read_corpus([{"id": "a", "text": "bad \ud800"}])
    with pytest.raises(InputError, match=re.escape(
            "duplicate document id 'a': first at record 0, again at record 1")):
        read_corpus([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}])


def test_in_memory_input_refuses_file_options_and_nothing():
    with pytest.raises(ConfigError, match=re.escape(
            "The 'encoding' parameter applies to files; a DataFrame holds decoded text.")):
        read_corpus(pd.DataFrame(ROWS), encoding="latin-1")
    with pytest.raises(InputError, match=re.escape("records: no records; an empty input is an")):
        read_corpus([])
    with pytest.raises(ConfigError, match="got a ChunkedArray"):
        read_corpus(pa.chunked_array([["a"]]))


def test_too_long_texts_in_memory_are_bad_records():
    corpus = read_corpus(pd.DataFrame({"id": ["a", "b"], "text": ["short", "much too long"]}),
                         max_doc_chars=6, on_error="skip")
    assert corpus.ids == ["a"] and corpus.skipped[0]["reason"] == "too_long"


def test_dedup_and_run_accept_documents_in_memory():
    text = "the quick brown fox jumps over the lazy dog again and again today"
    frame = pd.DataFrame({"id": ["x", "y", "z"], "text": [text, text + " yes", "other words"]})
    result = reuse.dedup(frame, threshold=0.5)
    assert result.near_duplicates[["a_id", "b_id"]].values.tolist() == [["x", "y"]]
    assert result.counts["read"] == 3
    from_records = reuse.dedup(frame.to_dict("records"), threshold=0.5)
    assert from_records.near_duplicates[["a_id", "b_id"]].values.tolist() == [["x", "y"]]
    from_arrow = reuse.run(pa.Table.from_pandas(frame), threshold=0.5)
    assert from_arrow.near_duplicates[["a_id", "b_id"]].values.tolist() == [["x", "y"]]


def test_align_pairs_accepts_documents_in_memory(tmp_path):
    text = " ".join(f"word{k} and{k % 7}" for k in range(80))
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("x y\n", encoding="utf-8")
    result = reuse.align_pairs([{"id": "x", "text": text}, {"id": "y", "text": "so " + text}],
                               pairs)
    assert result.alignments[["a_id", "b_id"]].values.tolist() == [["x", "y"]]


def test_a_sketch_task_of_a_stored_corpus_carries_no_text(tmp_path):
    # The worker reads its batch from the store: the task pickles to a handle and a range.
    import pickle

    from reuse.sketch.minhash import SketchTask, StoredTexts, sketch_batch

    texts = [f"document {i} " + "word " * 2000 for i in range(50)]
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                            for i, t in enumerate(texts)))
    corpus = read_corpus(path, store_dir=tmp_path)
    task = SketchTask(StoredTexts(corpus.texts, 10, 40), None, 10, False, 5, 32, 1, 8, 4, None)
    sent = pickle.dumps(task)
    assert len(sent) < 2000 < sum(map(len, texts[10:40]))
    assert pickle.loads(sent).texts() == texts[10:40]
    assert sketch_batch(pickle.loads(sent)).n_tokens.tolist() == [2002] * 30
    corpus.close()


def test_metadata_are_iterated_unread_when_no_document_has_any(tmp_path, monkeypatch):
    plain = DocumentStore(tmp_path)
    plain.append(["d0", "d1", "d2"], ["a", "b", "c"], [{}, {}, {}], ["o0", "o1", "o2"])
    with_fields = DocumentStore(tmp_path)
    with_fields.append(["x", "y"], ["t", "u"], [{}, {"date": "2020"}], ["o1", "o2"])
    reads = []
    blob_type = type(plain._metadata)
    original = blob_type.read
    monkeypatch.setattr(blob_type, "read",
                        lambda blob, lo, hi: reads.append(lo) or original(blob, lo, hi))
    assert list(plain.metadata) == [{}, {}, {}] and reads == []
    assert list(with_fields.metadata) == [{}, {"date": "2020"}] and reads == [0]
    plain.metadata[1] = {"date": "2021"}  # replaced after reading: read as before
    assert list(plain.metadata) == [{}, {"date": "2021"}, {}]
    plain.close()
    with_fields.close()


def test_a_field_is_looked_for_without_a_loop_when_no_document_has_metadata(tmp_path,
                                                                           monkeypatch):
    from reuse.ingest.store import MetadataColumn

    plain = DocumentStore(tmp_path)
    plain.append(["d0", "d1"], ["a", "b"], [{}, {}], ["o0", "o1"])
    with_fields = DocumentStore(tmp_path)
    with_fields.append(["x", "y"], ["t", "u"], [{}, {"date": "2020"}], ["o1", "o2"])
    stored, dated = Corpus.stored(plain), Corpus.stored(with_fields)
    assert plain.metadata.all_empty and not with_fields.metadata.all_empty
    def visited(column):
        raise AssertionError("the documents' metadata were iterated")

    with monkeypatch.context() as patched:
        patched.setattr(MetadataColumn, "__iter__", visited)
        assert not stored.has_field("date")
    assert dated.has_field("date") and not dated.has_field("source")
    plain.metadata[0] = {"date": "2021"}  # replaced after reading
    assert not plain.metadata.all_empty and stored.has_field("date")
    in_memory = Corpus(ids=["a", "b"], texts=["x", "y"], metadata=[{}, {"date": "1"}],
                       origins=["", ""])
    assert in_memory.has_field("date") and not in_memory.has_field("place")
    plain.close()
    with_fields.close()
