"""Sketching while the corpus is read (reuse.sketch.feed): the same batches, the same tables,
and a clean stop when the input turns out bad."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from test_engine_dedup import CASES, PINNED, digest, planted_corpus

import reuse
from reuse.errors import InputError
from reuse.ingest import read_corpus
from reuse.ingest.store import DocumentStore
from reuse.sketch.feed import BatchFeed, batches, expected_documents


@pytest.mark.parametrize("seed", range(6))
def test_a_feed_cuts_the_batches_of_the_whole_corpus_whatever_the_flushes(tmp_path, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 400, size=300)
    lengths[rng.integers(0, 300, size=5)] = 2500  # longer than a batch on their own
    texts = ["x" * int(n) for n in lengths]
    store = DocumentStore(tmp_path)
    feed = BatchFeed(1000)
    flushes = np.sort(rng.choice(np.arange(1, 300), size=20, replace=False)).tolist()
    for lo, hi in zip([0, *flushes], [*flushes, 300], strict=True):
        store.append([str(i) for i in range(lo, hi)], texts[lo:hi], [{}] * (hi - lo),
                     ["o"] * (hi - lo))
        feed.flushed(store)
    feed.close()
    assert [(lo, hi) for _, lo, hi in feed] == list(batches(texts, 1000))
    store.close()


def test_read_corpus_reports_each_batch_written(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": "word " * 50000}) + "\n"
                            for i in range(30)))
    seen = []
    corpus = read_corpus(path, on_flush=lambda store: seen.append(len(store)))
    # Batches of 2 MiB of text: several flushes, each with every document read so far.
    assert len(seen) > 2 and seen == sorted(seen) and seen[-1] == 30
    corpus.close()


@pytest.mark.parametrize("case", ["exact-0.8", "estimate-0.8"])
def test_a_file_sketched_while_it_is_read_gives_the_pinned_tables(tmp_path, case):
    corpus = planted_corpus()
    path = tmp_path / "planted.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for doc_id, text, metadata in zip(corpus.ids, corpus.texts, corpus.metadata,
                                          strict=True):
            handle.write(json.dumps({"id": doc_id, "text": text, **metadata}) + "\n")
    result = reuse.dedup(path, **CASES[case], workers=2, memory_budget="16KiB")
    # The same digest as the corpus built in Python (its origins differ: not in the digest).
    assert digest(result) == PINNED[case]


def test_a_bad_record_stops_the_sketching_and_leaves_no_files(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps({"id": str(i), "text": "some words here " * 2000}) for i in range(200)]
    lines[150] = '{"id": "150", "text": '
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl:151: malformed JSON"):
        reuse.dedup(path, verify="exact", workers=2)
    # (pymp-*: multiprocessing's own folder, for the fork server's socket, removed at exit.)
    assert [name for name in os.listdir(tmp_path / "scratch")
            if not name.startswith("pymp-")] == []
    # No worker crashed on a task whose store was removed (it would print a traceback).
    assert "Traceback" not in capfd.readouterr().err


def test_the_expected_documents_err_high(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": "a b c " * 100}) + "\n"
                            for i in range(100)))
    assert expected_documents(path) >= 100
    (tmp_path / "folder").mkdir()
    for i in range(3):
        (tmp_path / "folder" / f"{i}.txt").write_text("text")
    assert expected_documents(tmp_path / "folder") == 3
    assert expected_documents([{"id": "a", "text": "b"}] * 7) == 7
