"""The per-document tables (documents, clusters) are kept as columns and written a record batch
at a time: the written tables are the DataFrames the API gives, however the batches fall."""

from __future__ import annotations

import random

import pytest

import reuse.pipeline.results
from reuse.ingest import Corpus
from reuse.pipeline import dedup, run, write_run
from reuse.runfolder.tables import read_table


def _corpus(n_docs: int = 40) -> Corpus:
    """Near-duplicate families whose kept document often lies far from its copies, with ids in
    several scripts (multi-byte UTF-8)."""
    rng = random.Random(5)
    vocabulary = [f"w{k}" for k in range(3000)]
    bases = [[rng.choice(vocabulary) for _ in range(80)] for _ in range(8)]
    ids, texts = [], []
    for k in range(n_docs):
        words = list(bases[k % len(bases)]) if k % 3 else [rng.choice(vocabulary) for _ in range(80)]
        words[rng.randrange(len(words))] = f"edit{k}"
        ids.append(f"{['doc', 'документ', '文書', 'ドキュメント'][k % 4]}-{k:03d}")
        texts.append(" ".join(words))
    texts[7] = "too short"
    return Corpus(ids=ids, texts=texts)


@pytest.mark.parametrize("batch_rows", [3, 1 << 18])
@pytest.mark.parametrize("command", [dedup, run])
def test_written_tables_equal_the_api_frames(tmp_path, monkeypatch, batch_rows, command):
    monkeypatch.setattr(reuse.pipeline.results, "_BATCH_ROWS", batch_rows)
    result = command(_corpus(), threshold=0.5, verify="exact", workers=1)
    out = write_run(result, tmp_path / "run")
    assert result.counts["dropped"] > 0  # representatives differ from their documents
    for name in ("documents", "clusters"):
        written = read_table(out, name)
        frame = getattr(result, name)
        assert written.equals(frame), name
    clusters = result.clusters
    assert (clusters["representative_id"] != clusters["doc_id"]).any()
    assert result.keep_mask() == clusters["keep"].tolist()


def test_the_frames_are_built_once_and_the_tables_written_from_them_after(tmp_path):
    result = dedup(_corpus(), threshold=0.5, verify="exact", workers=1)
    assert result.documents is result.documents
    out = write_run(result, tmp_path / "run")
    assert read_table(out, "clusters").equals(result.clusters)


def test_a_lone_too_short_document_has_its_rows(tmp_path):
    result = dedup(Corpus(ids=["a"], texts=["short"]), workers=1)
    out = write_run(result, tmp_path / "run")
    assert read_table(out, "documents")["status"].tolist() == ["too_short"]
    assert read_table(out, "clusters")["representative_id"].tolist() == ["a"]
