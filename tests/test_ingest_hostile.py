"""Hostile input at ingest (issue 11): nothing lost silently, nothing unbounded, no traceback.

CSV/TSV quoting and dialects, folders with links and unreadable entries, names that are not
UTF-8, deeply nested metadata, big integers, empty and UTF-16 files, and memory: skipped
records stored compactly, and records over ``max_doc_chars`` refused.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
import tracemalloc
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.cli.commands import main
from reuse.errors import ConfigError, InputError
from reuse.ingest import Corpus, SkippedRecords, read_corpus, write_corpus
from reuse.ingest.jsonl import block_lines, bounded_lines
from reuse.runfolder.tables import read_manifest, read_table

SKIP_HINT = " (use --on-error skip to skip such records)"


def reuse_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def skipped(corpus: Corpus) -> list[tuple[str, str]]:
    return [(s["origin"], s["reason"]) for s in corpus.skipped]


# --- 1. CSV/TSV quoting --------------------------------------------------------------------


def test_an_unclosed_csv_quote_costs_one_record_not_the_rest_of_the_file(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b'id,text\na,one\nb,"two\nc,three\nd,four\n')
    detail = "bad quoting: the file ends inside a quoted field (an unbalanced quote?)"
    with pytest.raises(InputError) as raised:
        read_corpus(path)
    assert str(raised.value) == f"{path}:3: {detail}{SKIP_HINT}"
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["a", "c", "d"]
    assert corpus.texts == ["one", "three", "four"]
    assert list(corpus.skipped) == [
        {"origin": f"{path}:3", "reason": "bad_quoting", "detail": detail}]
    assert corpus.n_read == 4


def test_unclosed_quote_through_the_command_line(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b'id,text\na,one\nb,"two\nc,three\nd,four\n')
    result = reuse_cli("dedup", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert result.exit_code == 3
    assert result.stderr == (
        f"reuse: error: {path}:3: bad quoting: the file ends inside a quoted field (an "
        f"unbalanced quote?){SKIP_HINT}\n")
    result = reuse_cli("dedup", str(path), "--out", str(tmp_path / "s"), "--quiet",
                       "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    counts = read_manifest(tmp_path / "s")["counts"]
    assert (counts["read"], counts["skipped"]) == (4, 1)


def test_text_after_a_closing_quote_is_bad_quoting_and_reading_resumes(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(b'id,text\na,"x"y\nb,"multi\nline" and more\nc,fine\n')
    corpus = read_corpus(path, on_error="skip")
    assert skipped(corpus)[0] == (f"{path}:2", "bad_quoting")
    assert corpus.skipped[0]["detail"] == (
        "bad quoting: a closing quote is followed by other text, not by ',' or the end of the "
        'line (a quote inside a quoted field is written twice: "")')
    assert corpus.skipped[1]["detail"].startswith("bad quoting on line 4: a closing quote")
    assert corpus.ids == ["c"]
    # The line after the bad record's first line is read again: "line\" and more" is a ragged
    # row (one field), not silently part of anything.
    assert skipped(corpus) == [(f"{path}:2", "bad_quoting"), (f"{path}:3", "bad_quoting"),
                               (f"{path}:4", "ragged_row")]
    assert corpus.n_read == 4


def test_a_ragged_record_over_several_lines_hints_at_a_quote_and_resumes(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_bytes(b'id,text\na,"x\nb,y",z\nc,w\n')
    with pytest.raises(InputError, match=re.escape(
            f"{path}:2: expected 2 fields, found 3 in a record over lines 2-3 (an unbalanced "
            "quote?)")):
        read_corpus(path)
    corpus = read_corpus(path, on_error="skip")
    assert skipped(corpus) == [(f"{path}:2", "ragged_row"), (f"{path}:3", "ragged_row")]
    assert corpus.ids == ["c"]


STRAY_QUOTE = ('bad quoting: a quote inside a field that is not quoted (a field holding a quote '
               'is written quoted, with the quote doubled: "5"" tall"); if this file never quotes '
               "its fields, read it with --quoting none")


def test_a_quote_inside_an_unquoted_field_is_bad_quoting(tmp_path):
    path = tmp_path / "sloppy.csv"
    path.write_bytes(b'id,text\na,5" tall\nb,"fine ""quoted"" text"\n')
    with pytest.raises(InputError) as raised:
        read_corpus(path)
    assert str(raised.value) == f"{path}:2: {STRAY_QUOTE}{SKIP_HINT}"
    corpus = read_corpus(path, on_error="skip")
    assert (corpus.ids, corpus.texts) == (["b"], ['fine "quoted" text'])
    assert skipped(corpus) == [(f"{path}:2", "bad_quoting")]
    assert read_corpus(path, quoting="none").texts[0] == '5" tall'


def test_one_inserted_quote_cannot_swallow_records_silently(tmp_path):
    # Found by tests/test_fuzz_delimited.py: the inserted quote opens a quoted id that the
    # opening quote of r2's text closes, and the rest of r2 parses as two unquoted fields, so
    # the csv module alone reads one record of three fields instead of two records.
    path = tmp_path / "corrupt.csv"
    path.write_bytes(b'id,text,meta\r\n"r1,x,m\r\nr2,",y",m\r\n')
    with pytest.raises(InputError) as raised:
        read_corpus(path)
    assert str(raised.value) == f"{path}:2: {STRAY_QUOTE}{SKIP_HINT}"
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["r2"]
    assert skipped(corpus) == [(f"{path}:2", "bad_quoting")]


def test_tsv_is_literal_by_default_and_never_changes_a_text(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_bytes(b'id\ttext\na\t"Quoted opening never closed\nb\tsecond row\nc\tthird row\n'
                     b'd\t"Hello," she said\n')
    corpus = read_corpus(path)
    assert corpus.ids == ["a", "b", "c", "d"]
    assert corpus.texts == ['"Quoted opening never closed', "second row", "third row",
                            '"Hello," she said']
    assert corpus.quoting == "none"


def test_tsv_written_by_pandas_is_read_with_quoting_csv(tmp_path):
    records = [{"id": "a", "text": 'tab\there, "quotes", and\na line break'},
               {"id": "b", "text": "plain"}]
    path = tmp_path / "pandas.tsv"
    pd.DataFrame(records).to_csv(path, sep="\t", index=False)
    corpus = read_corpus(path, quoting="csv")
    assert corpus.texts == [r["text"] for r in records]
    assert corpus.quoting == "csv"
    # Read literally, the quoted row is ragged, and the message says what to do.
    with pytest.raises(InputError, match=re.escape(
            f"{path}:2: expected 2 fields, found 3 (the row holds quoted fields: if this TSV "
            "quotes its fields, read it with --quoting csv)")):
        read_corpus(path)


def test_quoting_is_validated(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(
            "The 'quoting' parameter of read_corpus must be one of 'csv', 'none' or None. "
            "Got 'excel' instead.")):
        read_corpus(path, quoting="excel")
    with pytest.raises(ConfigError, match=r"The 'quoting' parameter applies to CSV and TSV input "
                                          r"only; .*docs\.jsonl is jsonl\."):
        read_corpus(path, quoting="csv")


def test_duplicate_header_columns_are_an_error_naming_the_column(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_bytes(b"id,text,text\na,one,two\n")
    for on_error in ("raise", "skip"):
        with pytest.raises(InputError) as raised:
            read_corpus(path, on_error=on_error)
        assert str(raised.value) == (
            f"{path}:1: the header names the column 'text' twice; rename one of them")


def test_nul_bytes_in_a_csv_row_are_binary_like_in_a_txt_file(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,text\na,x\x00y\nb,ok\n")
    with pytest.raises(InputError) as raised:
        read_corpus(path)
    assert str(raised.value) == f"{path}:2: binary data (contains NUL bytes), not text{SKIP_HINT}"
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["b"]
    assert skipped(corpus) == [(f"{path}:2", "binary")]
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "late.txt").write_bytes(b"x" * 10_000 + b"\x00")  # past the first 8 KiB
    assert skipped(read_corpus(folder, on_error="skip")) == [(str(folder / "late.txt"), "binary")]


@pytest.mark.parametrize(("name", "quoting"), [("in.csv", None), ("in.tsv", None),
                                               ("in.tsv", "csv")])
def test_write_kept_writes_the_dialect_it_read(tmp_path, name, quoting):
    source = tmp_path / name
    if quoting is None and name.endswith(".tsv"):
        source.write_text('id\ttext\tsource\na\t"Hello," she said\twire\nb\tplain "x\t\n',
                          encoding="utf-8")
    else:
        pd.DataFrame([{"id": "a", "text": '"Hello," she said,\nthen\tleft', "source": "wire"},
                      {"id": "b", "text": 'plain "x', "source": ""}]).to_csv(
            source, sep="," if name.endswith(".csv") else "\t", index=False)
    corpus = read_corpus(source, quoting=quoting)
    target = tmp_path / "kept" / name
    assert write_corpus(corpus, [True, True], target) == 2
    again = read_corpus(target, quoting=quoting)
    assert (again.ids, again.texts, again.metadata) == (corpus.ids, corpus.texts, corpus.metadata)


def test_a_literal_tsv_cannot_write_a_tab_and_says_so(tmp_path):
    corpus = Corpus(ids=["a"], texts=["tab\there"], metadata=[{}], origins=["o"],
                    input_format="tsv", quoting="none")
    with pytest.raises(InputError, match=re.escape(
            "document 'a': its field 'text' holds a tab or a line break, which a TSV without "
            "quoting cannot hold; read the input with --quoting csv to write it quoted")):
        write_corpus(corpus, [True], tmp_path / "out.tsv")
    assert not (tmp_path / "out.tsv").exists()


def test_csv_is_read_as_a_stream_and_keeps_line_numbers_over_bad_bytes(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b'\xef\xbb\xbfid,text\r\na,"one\r\nline"\r\nb,caf\xe9\rc,old mac\r'
                     b'd,"x"\r\n')
    with pytest.raises(InputError) as raised:
        read_corpus(path)
    assert str(raised.value) == (
        f"{path}: line 4, column 6: invalid UTF-8 (byte 0xe9){SKIP_HINT}")
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["a", "c", "d"]
    assert corpus.texts == ["one\r\nline", "old mac", "x"]
    assert corpus.origins == [f"{path}:2", f"{path}:5", f"{path}:6"]
    assert skipped(corpus) == [(f"{path}:4", "invalid_utf8")]


def test_utf16_csv_is_decoded_and_an_unclosed_quote_resumes(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes('\ufeffid,text\na,"open\nb,zwei\nc,drei\n'.encode("utf-16-le"))
    corpus = read_corpus(path, on_error="skip")
    assert (corpus.ids, corpus.texts) == (["b", "c"], ["zwei", "drei"])
    assert skipped(corpus) == [(f"{path}:2", "bad_quoting")]


# --- 2. folders ----------------------------------------------------------------------------


def test_a_symlinked_subfolder_is_followed(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "far.txt").write_text("far away", encoding="utf-8")
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "here.txt").write_text("here", encoding="utf-8")
    os.symlink(outside, root / "linked")
    corpus = read_corpus(root)
    assert corpus.ids == ["here.txt", "linked/far.txt"]
    assert corpus.texts == ["here", "far away"]


def test_a_folder_reached_twice_is_read_once_and_named(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("alpha", encoding="utf-8")
    os.symlink("..", root / "sub" / "up")  # a loop
    detail = "the folder . again (through a symbolic link); a folder is read once"
    with pytest.raises(InputError) as raised:
        read_corpus(root)
    assert str(raised.value) == f"{root / 'sub' / 'up'}: {detail}{SKIP_HINT}"
    corpus = read_corpus(root, on_error="skip")
    assert corpus.ids == ["sub/a.txt"]
    assert list(corpus.skipped) == [
        {"origin": str(root / "sub" / "up"), "reason": "duplicate_folder", "detail": detail}]


def test_a_dangling_txt_link_is_a_broken_link(tmp_path):
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    os.symlink(tmp_path / "gone.txt", tmp_path / "b.txt")
    os.symlink(tmp_path / "gone", tmp_path / "notes.md")  # not a .txt name: not read
    detail = f"a symbolic link to {tmp_path / 'gone.txt'}, which cannot be followed (missing, or a loop)"
    with pytest.raises(InputError) as raised:
        read_corpus(tmp_path)
    assert str(raised.value) == f"{tmp_path / 'b.txt'}: {detail}{SKIP_HINT}"
    corpus = read_corpus(tmp_path, on_error="skip")
    assert corpus.ids == ["a.txt"]
    assert skipped(corpus) == [(str(tmp_path / "b.txt"), "broken_link")]


def test_an_unlistable_subfolder_is_a_bad_record(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text("beta", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InputError) as raised:
        read_corpus(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path / 'locked'}: cannot list this folder (Permission denied){SKIP_HINT}")
    corpus = read_corpus(tmp_path, on_error="skip")
    assert corpus.ids == ["a.txt"]
    assert skipped(corpus) == [(str(tmp_path / "locked"), "unreadable")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder anyway; "
                    "test_an_unlistable_subfolder_is_a_bad_record covers it by injection")
def test_a_chmod_000_subfolder_and_file_are_bad_records(tmp_path):
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text("beta", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("gamma", encoding="utf-8")
    os.chmod(tmp_path / "secret.txt", 0)
    os.chmod(tmp_path / "locked", 0)
    try:
        corpus = read_corpus(tmp_path, on_error="skip")
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert corpus.ids == ["a.txt"]
    assert skipped(corpus) == [(str(tmp_path / "locked"), "unreadable"),
                               (str(tmp_path / "secret.txt"), "unreadable")]


def test_a_fifo_named_txt_is_not_read_and_not_silent(tmp_path):
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")
    corpus = read_corpus(tmp_path, on_error="skip")
    assert corpus.ids == ["a.txt"]
    assert skipped(corpus) == [(str(tmp_path / "pipe.txt"), "not_a_file")]
    with pytest.raises(InputError) as raised:  # named as the input itself, not waited on
        read_corpus(tmp_path / "pipe.txt")
    assert str(raised.value) == (f"{tmp_path / 'pipe.txt'}: not a regular file (a FIFO, socket "
                                 f"or device), not read{SKIP_HINT}")


# --- 8. names that are not UTF-8 -----------------------------------------------------------


def _bytes_folder(tmp_path: Path) -> Path:
    root = tmp_path / "names"
    root.mkdir()
    base = os.fsencode(root)
    os.mkdir(base + b"/d\xe9j\xe0")
    with open(base + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"Latin-1 name, UTF-8 text: caf\xc3\xa9 au lait, a long enough sentence.")
    with open(base + b"/d\xe9j\xe0/bad.txt", "wb") as handle:
        handle.write(b"not utf-8 \xff here")
    return root


def test_names_that_are_not_utf8_get_one_escaped_spelling(tmp_path):
    root = _bytes_folder(tmp_path)
    corpus = read_corpus(root, on_error="skip")
    assert corpus.ids == ["caf\\xe9.txt"]
    assert corpus.origins == [f"{root}/caf\\xe9.txt"]
    assert list(corpus.skipped) == [{
        "origin": f"{root}/d\\xe9j\\xe0/bad.txt", "reason": "invalid_utf8",
        "detail": "line 1, column 11: invalid UTF-8 (byte 0xff)"}]
    # The same spelling written literally is the same id: the duplicate-id error.
    with open(os.fsencode(root) + b"/caf\\xe9.txt", "wb") as handle:
        handle.write(b"literal backslash")
    with pytest.raises(InputError, match=re.escape("duplicate document id 'caf\\\\xe9.txt'")):
        read_corpus(root, on_error="skip")


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_names_that_are_not_utf8_survive_every_table_and_write_kept(tmp_path, fmt):
    root = _bytes_folder(tmp_path)
    out, kept = tmp_path / "run", tmp_path / "kept"
    result = reuse_cli("dedup", str(root), "--out", str(out), "--quiet", "--on-error", "skip",
                       "--format", fmt, "--write-kept", str(kept))
    assert result.exit_code == 0, result.stderr
    assert list(read_table(out, "documents")["doc_id"]) == ["caf\\xe9.txt"]
    assert list(read_table(out, "skipped")["origin"]) == [f"{root}/d\\xe9j\\xe0/bad.txt"]
    assert read_manifest(out)["counts"]["kept_written"] == 1
    assert os.listdir(os.fsencode(kept)) == [b"caf\xe9.txt"]  # the original name, byte for byte


def test_an_input_path_that_is_not_utf8_is_recorded_and_read_again_by_the_report(tmp_path):
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(folder)
    with open(folder + b"/docs.jsonl", "w", encoding="utf-8") as handle:
        for k in range(3):
            handle.write(json.dumps({"id": f"d{k}", "text": "the same few words in each "
                                     "document of this small corpus, again"}) + "\n")
        handle.write('{"text": "no id"}\n')
    source = os.fsdecode(folder + b"/docs.jsonl")
    out = tmp_path / "run"
    result = reuse_cli("run", source, "--out", str(out), "--quiet", "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    spec = read_manifest(out)["input"]
    assert spec["path"] == f"{tmp_path}/caf\\xe9/docs.jsonl"
    assert bytes.fromhex(spec["path_bytes"]) == folder + b"/docs.jsonl"
    assert read_table(out, "skipped")["origin"].tolist() == [f"{tmp_path}/caf\\xe9/docs.jsonl:4"]
    result = reuse_cli("report", str(out))
    assert result.exit_code == 0, result.stderr


# --- 9. deep metadata ----------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "detail"), [
    (150, "the metadata field 'meta' is nested more than 100 levels deep"),
    # Deeper than the JSON parsers go (Python's recursion limit): the line itself is too deep.
    (1000, "JSON nested more than 100 levels deep"),
])
def test_metadata_nested_too_deep_is_a_bad_record_not_a_recursion_error(tmp_path, levels,
                                                                        detail):
    path = tmp_path / "deep.jsonl"
    deep = "[" * levels + "]" * levels
    path.write_text('{"id": "a", "text": "fine"}\n'
                    f'{{"id": "b", "text": "x", "meta": {deep}}}\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_corpus(path)
    assert str(raised.value) == f"{path}:2: {detail}{SKIP_HINT}"
    result = reuse_cli("dedup", str(path), "--out", str(tmp_path / "o"), "--quiet",
                       "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    assert read_table(tmp_path / "o", "skipped").to_dict("records") == [
        {"origin": f"{path}:2", "reason": "too_deep", "detail": detail}]
    # 100 levels are fine.
    path.write_text(f'{{"id": "c", "text": "x", "meta": {"[" * 100 + "]" * 100}}}\n',
                    encoding="utf-8")
    assert read_corpus(path).ids == ["c"]


def test_fingerprint_of_a_deep_in_memory_corpus_is_an_input_error():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    corpus = Corpus(ids=["a"], texts=["x"], metadata=[{"m": deep}], origins=["o"])
    with pytest.raises(InputError, match=r"document 'a': its metadata is nested too deeply"):
        corpus.fingerprint()


# --- 13. memory ----------------------------------------------------------------------------


def test_skipped_records_cost_almost_no_memory(tmp_path):
    path = tmp_path / "noid.jsonl.gz"
    n = 20_000
    with gzip.open(path, "wb") as handle:
        handle.write(b'{"text": "a record without any id"}\n' * n)
    tracemalloc.start()
    try:
        corpus = read_corpus(path, on_error="skip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(corpus.skipped) == n and len(corpus) == 0
    # One dict of three strings per record took about 6.6 MB here; runs take a few bytes.
    assert peak < 1_000_000, peak
    frame = corpus.skipped_frame()
    assert list(frame.columns) == ["origin", "reason", "detail"]
    assert frame["origin"].iloc[0] == f"{path}:1"
    assert frame["origin"].iloc[-1] == f"{path}:{n}"
    assert set(frame["reason"]) == {"missing_id"}
    assert corpus.skipped[-1] == {"origin": f"{path}:{n}", "reason": "missing_id",
                                  "detail": "missing id field 'id'"}


def test_skipped_records_read_back_as_the_records_added():
    rng = random.Random(7)
    records, skipped_records, location = [], SkippedRecords(), 0
    for _ in range(2000):
        source = rng.choice(["a.jsonl:", "b.csv:", "c.txt"])
        location = None if source == "c.txt" else location + rng.choice([1, 1, 1, 2])
        reason = rng.choice(["missing_id", "missing_id", "bad_text"])
        detail = rng.choice(["d1", "d1", "d2"])
        skipped_records.add(source, location, reason, detail)
        records.append({"origin": source + ("" if location is None else str(location)),
                        "reason": reason, "detail": detail})
        location = location or 0
    assert len(skipped_records) == len(records)
    assert list(skipped_records) == records
    assert [skipped_records[k] for k in (0, 999, -1)] == [records[0], records[999], records[-1]]
    assert skipped_records.frame().to_dict("records") == records
    many = SkippedRecords()
    for k in range(300_000):  # one run, built in several chunks
        many.add("x.jsonl:", k + 1, "missing_id", "missing id field 'id'")
    origins = many.frame()["origin"]
    assert (len(origins), origins.iloc[262_144], origins.iloc[-1]) == (
        300_000, "x.jsonl:262145", "x.jsonl:300000")


def test_a_text_over_max_doc_chars_is_too_long(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "text": "short"}\n{"id": "b", "text": "much longer text"}\n',
                    encoding="utf-8")
    detail = "the text has 16 characters, more than --max-doc-chars (10)"
    with pytest.raises(InputError) as raised:
        read_corpus(path, max_doc_chars=10)
    assert str(raised.value) == f"{path}:2: {detail}{SKIP_HINT}"
    corpus = read_corpus(path, max_doc_chars=10, on_error="skip")
    assert corpus.ids == ["a"]
    assert list(corpus.skipped) == [{"origin": f"{path}:2", "reason": "too_long",
                                     "detail": detail}]
    with pytest.raises(ConfigError, match=re.escape(
            "The 'max_doc_chars' parameter of read_corpus must be an integer >= 1. "
            "Got 0 instead.")):
        read_corpus(path, max_doc_chars=0)


def test_an_over_long_line_is_refused_without_being_parsed(tmp_path):
    path = tmp_path / "huge.jsonl"
    limit = 12 * 10 + (1 << 20)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"id": "big", "text": "' + "x" * (3 << 20) + '"}\n')
        handle.write('{"id": "after", "text": "fine"}\n')
    corpus = read_corpus(path, max_doc_chars=10, on_error="skip")
    assert corpus.ids == ["after"]
    assert list(corpus.skipped) == [{
        "origin": f"{path}:1", "reason": "too_long",
        "detail": f"a line of more than {limit} bytes, longer than any record whose text fits "
                  "in --max-doc-chars (10) characters"}]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"", b"a", b"bb", b"cccc", b"dddddd", b" ", b"\r"]),
                max_size=12),
       st.booleans(), st.integers(1, 7), st.integers(1, 9))
def test_lines_read_in_blocks_are_the_lines_read_one_at_a_time(parts, last_break, limit, block):
    # A line (its break counted) of more than `limit` bytes is too long, whichever way it is
    # read, also when it runs across blocks or ends the file without a break.
    data = b"\n".join(parts) + (b"\n" if last_break and parts else b"")
    one_at_a_time = [(number, None if line is None else line.removesuffix(b"\n"))
                     for number, line in bounded_lines(io.BytesIO(data), limit, b"\n")]
    assert list(block_lines(io.BytesIO(data), limit, block)) == one_at_a_time


def test_over_long_txt_files_and_csv_records_are_too_long(tmp_path):
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "small.txt").write_text("tiny", encoding="utf-8")
    (folder / "big.txt").write_text("y" * 100, encoding="utf-8")
    (folder / "edge.txt").write_text("z" * 30, encoding="utf-8")  # under 4 bytes per char
    corpus = read_corpus(folder, max_doc_chars=10, on_error="skip")
    assert corpus.ids == ["small.txt"]
    assert list(corpus.skipped) == [
        {"origin": str(folder / "big.txt"), "reason": "too_long",
         "detail": "a file of 100 bytes, more than --max-doc-chars (10) characters"},
        {"origin": str(folder / "edge.txt"), "reason": "too_long",
         "detail": "the text has 30 characters, more than --max-doc-chars (10)"},
    ]
    csv_path = tmp_path / "open.csv"
    csv_path.write_bytes(b'id,text\na,"never closed ' + b"w " * (1 << 20) + b"\nb,after\n")
    corpus = read_corpus(csv_path, max_doc_chars=10, on_error="skip")
    assert corpus.ids == ["b"]
    assert skipped(corpus) == [(f"{csv_path}:2", "too_long")]
    assert corpus.skipped[0]["detail"].startswith(
        f"a record of more than {2 * 10 + (1 << 20)} characters from this line on")


def test_max_doc_chars_and_quoting_reach_the_manifest_and_the_report(tmp_path):
    path = tmp_path / "pandas.tsv"
    pd.DataFrame([{"id": f"d{k}", "text": f'"Quoted" text number {k}, with a\ttab and words '
                   "enough to compare across the documents of this corpus"} for k in range(4)]
                 ).to_csv(path, sep="\t", index=False)
    out = tmp_path / "run"
    result = reuse_cli("run", str(path), "--out", str(out), "--quiet", "--quoting", "csv",
                       "--max-doc-chars", "1000")
    assert result.exit_code == 0, result.stderr
    spec = read_manifest(out)["input"]
    assert (spec["quoting"], spec["max_doc_chars"]) == ("csv", 1000)
    # The report re-reads the input with the same options (else the fingerprint would differ).
    result = reuse_cli("report", str(out))
    assert result.exit_code == 0, result.stderr
    bad = reuse_cli("dedup", str(path), "--out", str(tmp_path / "bad"), "--quiet",
                    "--max-doc-chars", "0")
    assert bad.exit_code == 2


def test_parquet_is_read_in_batches_with_row_numbers_across_them(tmp_path):
    path = tmp_path / "many.parquet"
    n = 3000
    table = pa.table({"id": [f"d{k}" if k != 2500 else None for k in range(n)],
                      "text": ["x"] * n})
    pq.write_table(table, path, row_group_size=700)
    corpus = read_corpus(path, on_error="skip")
    assert len(corpus) == n - 1
    assert corpus.origins[-1] == f"{path}:row {n - 1}"
    assert skipped(corpus) == [(f"{path}:row 2500", "missing_id")]


# --- lesser items --------------------------------------------------------------------------


def test_integers_beyond_64_bits_stay_exact_through_write_kept(tmp_path):
    big, negative = 2**64, -(2**63) - 1
    path = tmp_path / "big.jsonl"
    path.write_text(f'{{"id": "a", "text": "x", "n": {big}, "m": [{negative}]}}\n'
                    f'{{"id": {big}, "text": "y"}}\n', encoding="utf-8")
    corpus = read_corpus(path)
    assert corpus.metadata[0] == {"n": big, "m": [negative]}
    assert corpus.ids == ["a", str(big)]
    write_corpus(corpus, [True, True], tmp_path / "kept.jsonl")
    lines = (tmp_path / "kept.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["n"] == big
    assert f'"n": {big}' in lines[0]


def test_empty_inputs_are_errors(tmp_path):
    gz = tmp_path / "empty.jsonl.gz"
    gz.write_bytes(b"")
    with pytest.raises(InputError) as raised:
        read_corpus(gz, on_error="skip")
    assert str(raised.value) == (
        f"{gz}: corrupt or truncated gzip file (an empty file is not gzip)")
    for name, data in (("empty.jsonl", b""), ("blank.jsonl", b"\n  \n"),
                       ("header.csv", b"id,text\n"), ("empty_gzip.jsonl.gz", gzip.compress(b""))):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InputError) as raised:
            read_corpus(path, on_error="skip")
        assert str(raised.value) == (
            f"{path}: no records in this file; an empty input is an error (check the path)")
    with pytest.raises(ConfigError, match=r"^the input path is empty"):
        read_corpus("")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("compress", [False, True])
def test_utf16_jsonl_with_a_bom_is_decoded_as_a_stream(tmp_path, encoding, compress):
    text = '{"id": "a", "text": "caf\u00e9 \U0001f600"}\n{"id": "b", "text": "zwei"}\n'
    data = ("\ufeff" + text).encode(encoding)
    path = tmp_path / ("u16.jsonl.gz" if compress else "u16.jsonl")
    path.write_bytes(gzip.compress(data) if compress else data)
    corpus = read_corpus(path)
    assert (corpus.ids, corpus.texts) == (["a", "b"], ["caf\u00e9 \U0001f600", "zwei"])


def test_invalid_utf16_in_jsonl_names_the_line_once(tmp_path):
    path = tmp_path / "bad16.jsonl"
    path.write_bytes("\ufeff{\"id\": \"a\", \"text\": \"ok\"}\n".encode("utf-16-le")
                     + "{\"id\": \"b\", \"text\": \"".encode("utf-16-le") + b"\x00\xd8"
                     + "\"}\n{\"id\": \"c\", \"text\": \"fine\"}\n".encode("utf-16-le"))
    with pytest.raises(InputError) as raised:
        read_corpus(path)
    assert str(raised.value) == f"{path}:2: column 22: invalid UTF-16{SKIP_HINT}"
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["a", "c"]
    assert skipped(corpus) == [(f"{path}:2", "invalid_utf16")]
