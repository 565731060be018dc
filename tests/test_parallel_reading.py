"""A JSONL file read in parts by worker processes gives the corpus, the skipped records and the
errors of a reading in one process."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reuse
from reuse.errors import InputError, ScratchSpaceError
from reuse.ingest import PartStage, read_corpus
from reuse.ingest import jsonl as jsonl_module
from reuse.ingest.jsonl import line_parts

# Parts this small put a few lines in each, so that every kind of line meets a part's edge.
SMALL_PARTS = 64


def _corpus_state(corpus: reuse.ingest.Corpus) -> dict:
    return {"ids": list(corpus.ids), "texts": list(corpus.texts),
            "metadata": list(corpus.metadata), "origins": list(corpus.origins),
            "skipped": list(corpus.skipped),
            "fallback": list(corpus.decoded_with_fallback)}


def _hostile_lines(max_doc_chars: int, tag: int = 0) -> list[bytes]:
    """One line of each kind a reader meets; ``tag`` makes the ids of a copy its own."""
    long_text = "x" * (max_doc_chars + 1)
    return [
        json.dumps({"id": f"{tag}a", "text": "one two three"}).encode(),
        b"",
        json.dumps({"id": 1000 * tag + 2, "text": "an integer id", "date": "2020"}).encode(),
        b"{not json",
        b"[1, 2, 3]",
        json.dumps({"text": "no id"}).encode(),
        json.dumps({"id": f"{tag}b", "text": "windows line end"}).encode() + b"\r",
        json.dumps({"id": f"{tag}c", "text": long_text}).encode(),
        json.dumps({"id": f"{tag}d", "text": "caf\u00e9 \u00fcber"}, ensure_ascii=False).encode(),
        b'{"id": "%de", "text": "bad byte \xff here"}' % tag,
        b'{"id": "%df", "text": "lone \\ud800 surrogate"}' % tag,
        json.dumps({"id": f"{tag}g", "text": "nested", "meta": {"a": [1, {"b": None}]}}).encode(),
        b"   ",
        json.dumps({"id": f"{tag}h", "text": 5}).encode(),
        json.dumps({"id": f"{tag}i", "text": "big int", "n": 1 << 70}).encode(),
    ]


def _write(path: Path, lines: list[bytes], *, bom: bool = False, final_newline: bool = True
           ) -> Path:
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl_module, "PART_BYTES", SMALL_PARTS)


@pytest.mark.parametrize("encoding", ["utf-8", "auto"])
@pytest.mark.parametrize("bom,final_newline", [(False, True), (True, False)])
def test_skipping_reads_the_same_corpus_in_parts(tmp_path, small_parts, encoding, bom,
                                                 final_newline):
    lines = [line for tag in range(3) for line in _hostile_lines(40, tag)]
    path = _write(tmp_path / "docs.jsonl", lines + [
        json.dumps({"id": f"doc{k}", "text": f"text {k}"}).encode() for k in range(50)],
        bom=bom, final_newline=final_newline)
    one = read_corpus(path, on_error="skip", encoding=encoding, max_doc_chars=40)
    two = read_corpus(path, on_error="skip", encoding=encoding, max_doc_chars=40, workers=2)
    assert _corpus_state(two) == _corpus_state(one)
    assert len(one.skipped) > 10 and len(one.ids) > 50
    assert two.fingerprint() == one.fingerprint()


@pytest.mark.parametrize("bad_line", range(1, 16))
def test_the_first_bad_record_is_the_error_in_parts(tmp_path, small_parts, bad_line):
    lines = [json.dumps({"id": f"doc{k}", "text": f"text {k}"}).encode() for k in range(20)]
    lines[bad_line] = _hostile_lines(40)[bad_line - 1]
    path = _write(tmp_path / "docs.jsonl", lines)
    errors = []
    for workers in (1, 2):
        try:
            read_corpus(path, max_doc_chars=40, workers=workers)
            errors.append(None)
        except InputError as exc:
            errors.append(str(exc))
    assert errors[1] == errors[0]


def test_a_repeated_id_before_a_bad_record_is_reported_first_in_parts(tmp_path, small_parts):
    lines = [json.dumps({"id": f"doc{k}", "text": f"text {k}"}).encode() for k in range(30)]
    lines[20] = json.dumps({"id": "doc3", "text": "again"}).encode()
    lines[25] = b"{broken"
    path = _write(tmp_path / "docs.jsonl", lines)
    for workers in (1, 2):
        with pytest.raises(InputError, match=r"^duplicate document id 'doc3': first at "
                                             r".*docs.jsonl:4, again at .*docs.jsonl:21$"):
            read_corpus(path, workers=workers)


def test_a_line_longer_than_any_record_is_dropped_unread_in_parts(tmp_path, small_parts):
    max_doc_chars = 10
    too_long = b'{"id": "x", "text": "' + b"y" * (12 * max_doc_chars + (1 << 20)) + b'"}'
    lines = [json.dumps({"id": "a", "text": "short"}).encode(), too_long,
             json.dumps({"id": "b", "text": "short too"}).encode()]
    path = _write(tmp_path / "docs.jsonl", lines)
    one = read_corpus(path, on_error="skip", max_doc_chars=max_doc_chars)
    two = read_corpus(path, on_error="skip", max_doc_chars=max_doc_chars, workers=2)
    assert _corpus_state(two) == _corpus_state(one)
    assert [record["reason"] for record in two.skipped] == ["too_long"]


def test_a_part_stage_sees_every_document_once_in_order(tmp_path, small_parts):
    lines = [json.dumps({"id": f"doc{k}", "text": "w " * k}).encode() for k in range(40)]
    lines[7] = b"{broken"
    path = _write(tmp_path / "docs.jsonl", lines)
    seen: list[tuple[int, list[int]]] = []
    flushed: list[int] = []
    corpus = read_corpus(path, on_error="skip", workers=2,
                         on_flush=lambda store: flushed.append(len(store)),
                         part_stage=PartStage(_lengths, lambda first, got: seen.append(
                             (first, got))))
    assert not flushed  # the parts went to the stage instead
    assert [first for first, _ in seen] == sorted({first for first, _ in seen})
    lengths = [length for _, got in seen for length in got]
    assert lengths == [len(text) for text in corpus.texts]
    for first, got in seen:
        assert got == [len(text) for text in corpus.texts[first:first + len(got)]]


def _lengths(texts: list[str]) -> list[int]:
    return [len(text) for text in texts]


def test_two_workers_read_in_parts(tmp_path, small_parts, monkeypatch):
    cut = []

    def spy(*args, **kwargs):
        for part in line_parts(*args, **kwargs):
            cut.append(part)
            yield part

    monkeypatch.setattr(jsonl_module, "line_parts", spy)
    path = _write(tmp_path / "docs.jsonl", [
        json.dumps({"id": f"doc{k}", "text": f"text {k}"}).encode() for k in range(30)])
    assert len(read_corpus(path, workers=2).ids) == 30
    assert len(cut) > 5
    cut.clear()
    read_corpus(path, workers=1)
    assert not cut


def test_a_gzip_file_is_read_by_this_process(tmp_path, monkeypatch):
    import gzip

    path = tmp_path / "docs.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b'{"id": "a", "text": "x"}\n')

    def no_parts(*args, **kwargs):
        raise AssertionError("a gzip file was cut into parts")

    monkeypatch.setattr(jsonl_module, "line_parts", no_parts)
    assert list(read_corpus(path, workers=2).ids) == ["a"]


def test_dedup_of_a_jsonl_file_is_the_same_for_one_and_two_workers(tmp_path, small_parts,
                                                                   seeds_dir):
    path = tmp_path / "seeds.jsonl"
    texts = sorted(seeds_dir.glob("*.txt"))
    records = [{"id": f"{copy}-{p.name}", "text": p.read_text() + " edited" * copy}
               for copy in range(2) for p in texts]
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    one = reuse.dedup(path, threshold=0.5, verify="exact", workers=1)
    two = reuse.dedup(path, threshold=0.5, verify="exact", workers=2)
    assert one.documents.equals(two.documents)
    assert one.near_duplicates.equals(two.near_duplicates)
    assert len(one.near_duplicates)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=12),
       st.booleans(), st.integers(1, 20), st.integers(0, 3))
def test_line_parts_cut_the_file_into_whole_lines(lines, final_newline, size, start):
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    data = b"x" * start + data
    parts = list(line_parts(io.BytesIO(data), start, size))
    assert b"".join(data[a:b] for a, b, _ in parts) == data[start:]
    assert [a for a, _, _ in parts] == [start, *(b for _, b, _ in parts)][:len(parts)]
    for a, b, first in parts:
        assert b > a
        assert first == 1 + data[start:a].count(b"\n")
        assert data[b - 1:b] == b"\n" or b == len(data)


# Lines that a parser of whitespace-separated JSON values reads as two values, or as part of
# one running on into the next line, with a blank line to even the count.
_LINES_THAT_ARE_NOT_ONE_VALUE = [
    b'{"id": "two1", "text": "a"}{"id": "two2", "text": "b"}', b'{"id": "two3", "text": "c"} 7',
    b'{"id": "run", "text":', b'"on"}', b'[{"id": "in", "text": "x"}', b'{"id": "out", "text": "y"}]',
]

# Lines of every kind, of lengths around a part's and the line limit (see _parts_here).
_kinds_of_line = st.one_of(
    st.builds(lambda k, text: json.dumps({"id": f"d{k}", "text": text}, ensure_ascii=False)
              .encode(), st.integers(0, 10**6),
              st.one_of(st.text(alphabet="ab é—", max_size=20),
                        st.text(alphabet="é—", min_size=30, max_size=70))),
    st.sampled_from([b"", b"   ", b"{broken", b"[1]", b'{"id": "x", "text": 5}', b"\r",
                     b'{"id": "bad", "text": "\xff"}', b'{"id": "cr", "text": "y"}\r',
                     *_LINES_THAT_ARE_NOT_ONE_VALUE]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_kinds_of_line, max_size=14), st.booleans(), st.integers(8, 400))
def test_parts_read_here_give_the_lines_of_the_whole_file(tmp_path_factory, lines,
                                                         final_newline, part_bytes):
    """One worker with a stage reads the parts this process cut, from the bytes that cut them
    (a part inside a long line read again a block at a time): the corpus, origins and skipped
    records of the file read whole."""
    path = _write(tmp_path_factory.mktemp("held") / "docs.jsonl", lines,
                  final_newline=final_newline)
    options = {"on_error": "skip"}
    saved = jsonl_module.PART_BYTES, jsonl_module.RAW_SLACK_BYTES
    # Lines of more than 12 * 10 bytes are too long (``too_long``), not a megabyte and more.
    jsonl_module.RAW_SLACK_BYTES = 0
    try:
        try:
            whole = _corpus_state(read_corpus(path, workers=1, max_doc_chars=10, **options))
        except InputError as exc:  # a duplicate id: the parts must say the same
            whole = str(exc)
        jsonl_module.PART_BYTES = part_bytes
        try:
            parts = _corpus_state(read_corpus(path, workers=1, max_doc_chars=10,
                                              part_stage=PartStage(_lengths, _ignore),
                                              **options))
        except InputError as exc:
            parts = str(exc)
    finally:
        jsonl_module.PART_BYTES, jsonl_module.RAW_SLACK_BYTES = saved
    assert parts == whole


@pytest.mark.parametrize("lines", [
    [_LINES_THAT_ARE_NOT_ONE_VALUE[0], b""],
    [_LINES_THAT_ARE_NOT_ONE_VALUE[2], _LINES_THAT_ARE_NOT_ONE_VALUE[3],
     _LINES_THAT_ARE_NOT_ONE_VALUE[0]],
    [_LINES_THAT_ARE_NOT_ONE_VALUE[4], _LINES_THAT_ARE_NOT_ONE_VALUE[5],
     b'{"id": "a", "text": "x"},{"id": "b", "text": "y"}'],
])
def test_a_part_parsed_at_once_pairs_each_record_with_its_line(tmp_path, lines):
    """Two values on a line, and a value over two lines, count as many values as lines: each
    line is still its own record, or its own error, as read one at a time."""
    path = _write(tmp_path / "docs.jsonl", lines)
    whole = read_corpus(path, workers=1, on_error="skip")
    parts = read_corpus(path, workers=1, on_error="skip", part_stage=PartStage(_lengths, _ignore))
    assert _corpus_state(parts) == _corpus_state(whole)
    assert not whole.ids


def _ignore(first: int, got: object) -> None:
    """A part stage's consumer that keeps nothing."""


def _without_texts(path: Path, workers: int, **options: object) -> reuse.ingest.Corpus:
    """``path`` read in parts with a stage, its texts not kept (as ``reuse dedup`` reads)."""
    return read_corpus(path, workers=workers, keep_texts=False,
                       part_stage=PartStage(_lengths, _ignore), **options)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("encoding", ["utf-8", "auto"])
@pytest.mark.parametrize("bom,final_newline", [(False, True), (True, False)])
def test_a_store_without_texts_reads_them_back_from_the_file(tmp_path, small_parts, workers,
                                                             encoding, bom, final_newline):
    lines = [line for tag in range(3) for line in _hostile_lines(40, tag)]
    lines += [b'{"id": "cp1252", "text": "na\xefve caf\xe9"}', b'{"id": "last", "text": "end"}']
    path = _write(tmp_path / "docs.jsonl", lines, bom=bom, final_newline=final_newline)
    options = {"on_error": "skip", "encoding": encoding, "max_doc_chars": 40}
    kept = read_corpus(path, **options)
    dropped = _without_texts(path, workers, **options)
    assert not dropped.store.texts_kept
    everything = np.arange(len(kept.ids))
    assert dropped.texts_reader().read(everything) == list(kept.texts)
    in_a_worker = pickle.loads(pickle.dumps(dropped.texts_reader()))
    assert in_a_worker.read(everything[1::3]) == list(kept.texts)[1::3]
    assert dropped.fingerprint() == kept.fingerprint()


def test_a_file_changed_after_it_was_read_is_an_error_naming_the_record(tmp_path):
    lines = [json.dumps({"id": f"doc{k}", "text": f"text number {k:03d}"}).encode()
             for k in range(20)]
    path = _write(tmp_path / "docs.jsonl", lines)
    corpus = _without_texts(path, 1)
    reader = corpus.texts_reader()
    assert reader.read(np.array([4, 5])) == ["text number 004", "text number 005"]
    # The same length, another text: only the digest tells.
    lines[5] = json.dumps({"id": "doc5", "text": "text NUMBER 005"}).encode()
    _write(path, lines)
    with pytest.raises(InputError, match=r"docs\.jsonl:6: the input file changed after it was "
                                         r"read \(this line no longer holds the record read "
                                         r"then\); run again on a file that stays as it is"):
        reader.read(np.array([4, 5]))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(InputError, match=r"docs\.jsonl: the file is shorter than when it was "
                                         r"read; it changed during the run"):
        reader.read(np.array([19]))


@pytest.mark.parametrize("bad", [False, True])
def test_the_reading_workers_texts_go_through_files_that_are_removed(tmp_path, small_parts, bad):
    lines = [json.dumps({"id": f"doc{k}", "text": f"caf\u00e9 text {k}"},
                        ensure_ascii=False).encode() for k in range(40)]
    if bad:
        lines[33] = b"{broken"
    path = _write(tmp_path / "docs.jsonl", lines)
    scratch = tmp_path / "scratch"
    folders_while_reading: set[str] = set()

    def look(store: object) -> None:
        folders_while_reading.update(p.name.split("-")[1] for p in scratch.iterdir())

    try:
        two = read_corpus(path, workers=2, store_dir=scratch, on_flush=look)
    except InputError as exc:
        assert bad and "docs.jsonl:34: malformed JSON" in str(exc)
    else:
        assert not bad
        assert _corpus_state(two) == _corpus_state(read_corpus(path))
    assert folders_while_reading == {"store", "texts"}
    assert [p.name.split("-")[1] for p in scratch.iterdir()] == ([] if bad else ["store"])


@pytest.mark.parametrize("failure", ["missing", "EXDEV", "ENOSYS"])
def test_the_texts_are_copied_without_copy_file_range(tmp_path, small_parts, monkeypatch,
                                                      failure):
    import errno
    import os

    if failure == "missing":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    else:
        def refuse(*args: object) -> int:
            raise OSError(getattr(errno, failure), os.strerror(getattr(errno, failure)))

        monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    lines = [line for tag in range(3) for line in _hostile_lines(40, tag)]
    path = _write(tmp_path / "docs.jsonl", lines)
    one = read_corpus(path, on_error="skip", max_doc_chars=40)
    two = read_corpus(path, on_error="skip", max_doc_chars=40, workers=2)
    assert _corpus_state(two) == _corpus_state(one)
    assert two.fingerprint() == one.fingerprint()


def test_a_copy_that_fails_otherwise_is_a_scratch_space_error(tmp_path, small_parts, monkeypatch):
    import errno
    import os

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "copy_file_range", full, raising=False)
    path = _write(tmp_path / "docs.jsonl", [json.dumps({"id": f"d{k}", "text": "t"}).encode()
                                            for k in range(20)])
    with pytest.raises(ScratchSpaceError, match=r"cannot write the documents read to disk "
                                                r"\(No space left on device\)"):
        read_corpus(path, workers=2, store_dir=tmp_path / "scratch")
    assert list((tmp_path / "scratch").iterdir()) == []
