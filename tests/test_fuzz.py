"""Fuzzing ingest, tokenize, align and the whole pipeline with Hypothesis.

Whatever the bytes or the Unicode: offsets are valid code-point slices on token boundaries,
spans never cross a document's end, every record is counted, and nothing raises anything but a
:class:`ReuseError`. The number of examples comes from the Hypothesis profile chosen in
``conftest.py``; ``REUSE_FUZZ=long`` runs many more.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reuse import pipeline
from reuse.align.aligner import align_pair
from reuse.align.config import AlignConfig
from reuse.errors import InputError, ReuseError
from reuse.ingest import Corpus, read_corpus
from reuse.text.tokenize import tokenize, tokenize_batch

# Text from every Unicode category except lone surrogates, with extra weight on what breaks
# naive offset arithmetic: combining marks, zero-width joiners, emoji, astral characters,
# right-to-left marks, CR/LF and NUL.
_TRICKY = "\u0301\u0308\u200d\u200b\u200f\u202e\ufeff\r\n\t\x00 \u3000\U0001f469\U0001f3fd" \
          "\u05e9\u0645\u4e1c\u0928\u094d\u1100\u1161\U0001f1fa\U0001f1e6\U00020000.,;"
unicode_text = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(_TRICKY)),
    max_size=120,
)
word = st.text(
    alphabet=st.one_of(st.characters(categories=("L", "M", "N", "So")),
                       st.sampled_from("\u0301\u200d\U0001f469\u4e1c")),
    min_size=1, max_size=8,
)


def check_token_offsets(text: str, starts, ends) -> None:
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends, strict=True))
    assert all(e <= s for e, s in zip(ends[:-1], starts[1:], strict=True))


# ------------------------------------------------------------------------------------- ingest


def read_bytes_as(data: bytes, name: str, on_error: str) -> Corpus | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        if name.endswith(".txt"):
            path = Path(folder) / "docs"
            path.mkdir()
            (path / name).write_bytes(data)
        else:
            path.write_bytes(data)
        try:
            return read_corpus(path, on_error=on_error)
        except InputError:
            return None


@given(data=st.binary(max_size=300), on_error=st.sampled_from(["raise", "skip"]))
def test_any_bytes_in_a_txt_file_are_read_or_skipped(data, on_error):
    corpus = read_bytes_as(data, "doc.txt", on_error)
    if on_error == "skip":
        assert corpus is not None
    if corpus is not None:
        assert corpus.n_read == 1
        if corpus.texts:
            assert corpus.ids == ["doc.txt"]
            corpus.texts[0].encode("utf-8")  # valid Unicode: writable as UTF-8
        else:
            assert corpus.skipped[0]["reason"] in {"binary", "invalid_utf8", "invalid_utf16"}


def _non_blank_lines(data: bytes) -> int:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
        text = data.decode("utf-16", "replace")
        return sum(1 for line in io.StringIO(text, newline="\n") if line.strip())
    return sum(1 for line in io.BytesIO(data.removeprefix(b"\xef\xbb\xbf")) if line.strip())


@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=40),
            st.builds(lambda v: json.dumps(v).encode(), st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | unicode_text,
                lambda inner: st.lists(inner, max_size=3)
                | st.dictionaries(st.sampled_from(["id", "text", "x"]), inner, max_size=3),
                max_leaves=6)),
            st.builds(lambda i, t: json.dumps({"id": i, "text": t}).encode(),
                      st.integers(0, 5) | st.text(max_size=3), unicode_text),
        ),
        max_size=8,
    ),
    gz=st.booleans(),
)
def test_any_jsonl_lines_are_each_read_or_skipped(lines, gz):
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    corpus = read_bytes_as(gzip.compress(data) if gz else data,
                           "docs.jsonl.gz" if gz else "docs.jsonl", "skip")
    if corpus is None:
        return  # a duplicate id: an error in every mode, pinned in test_bad_input.py
    assert corpus.n_read == _non_blank_lines(data)
    assert len(set(corpus.ids)) == len(corpus.ids)
    for text in corpus.texts:
        text.encode("utf-8")  # valid Unicode: writable as UTF-8


@given(data=st.binary(max_size=400), name=st.sampled_from(
    ["docs.csv", "docs.tsv", "docs.parquet", "docs.jsonl.gz", "docs.jsonl"]))
def test_any_bytes_in_a_table_file_raise_nothing_but_input_errors(data, name):
    for on_error in ("raise", "skip"):
        read_bytes_as(data, name, on_error)


@given(rows=st.lists(st.lists(unicode_text, min_size=1, max_size=3), min_size=1, max_size=6))
def test_any_csv_rows_are_each_read_or_skipped(rows):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "text"])
    for k, row in enumerate(rows):
        if len(row) > 1:
            # A ragged row over several lines is skipped, and reading resumes at its second
            # line (tests/test_fuzz_delimited.py): keep ragged rows on one line here.
            row = [cell.replace("\r", " ").replace("\n", " ") for cell in row]
        writer.writerow([f"r{k}", *row])
    corpus = read_bytes_as(buffer.getvalue().encode("utf-8"), "docs.csv", "skip")
    assert corpus is not None
    assert corpus.n_read == len(rows)
    # A NUL byte marks binary data, in a CSV row as in a .txt file.
    assert corpus.texts == [row[0] for row in rows if len(row) == 1 and "\x00" not in row[0]]
    assert [s["reason"] for s in corpus.skipped] == [
        "ragged_row" if len(row) > 1 else "binary" for row in rows
        if len(row) > 1 or "\x00" in row[0]]


# ----------------------------------------------------------------------------- tokenize, align


@given(texts=st.lists(unicode_text, min_size=1, max_size=4))
def test_token_offsets_are_valid_slices_alone_and_in_a_batch(texts):
    batch = tokenize_batch(texts)
    for d, text in enumerate(texts):
        alone = tokenize(text)
        in_batch = batch.doc(d)
        assert alone.hashes.tolist() == in_batch.hashes.tolist()
        assert alone.starts.tolist() == in_batch.starts.tolist()
        check_token_offsets(text, alone.starts.tolist(), alone.ends.tolist())


@given(
    a_prefix=unicode_text, a_suffix=unicode_text, b_prefix=unicode_text, b_suffix=unicode_text,
    passage=st.lists(word, min_size=20, max_size=40),
    separator=st.sampled_from([" ", "\u3000", " \u200d ", "\n", " \u0301"]),
    paraphrase=st.booleans(),
)
def test_alignments_are_token_bounded_slices_that_stay_inside_both_documents(
    a_prefix, a_suffix, b_prefix, b_suffix, passage, separator, paraphrase
):
    body = separator.join(passage)
    a_text = f"{a_prefix} {body} {a_suffix}"
    b_text = f"{b_prefix}\n{body}\n{b_suffix}"
    config = AlignConfig(paraphrase=paraphrase, min_length=5)
    a_tokens, b_tokens = tokenize(a_text), tokenize(b_text)
    found = align_pair(a_text, b_text, config)
    for side, text, tokens in (("a", a_text, a_tokens), ("b", b_text, b_tokens)):
        starts, ends = set(tokens.starts.tolist()), set(tokens.ends.tolist())
        for al in found:
            start, end = getattr(al, f"{side}_start"), getattr(al, f"{side}_end")
            assert 0 <= start < end <= len(text)
            assert start in starts and end in ends  # text[start:end] is whole tokens
    for al in found:
        assert 0 <= al.matched_tokens <= min(al.a_tokens, al.b_tokens)
        for _, a_s, a_e, b_s, b_e in al.edits:
            assert al.a_start <= a_s <= a_e <= al.a_end
            assert al.b_start <= b_s <= b_e <= al.b_end


# ------------------------------------------------------------------------------- the pipeline


@given(
    texts=st.lists(st.one_of(unicode_text, st.builds(" ".join, st.lists(word, max_size=40))),
                   min_size=1, max_size=6),
    # Distinct words, so that the planted passage is not one repeated token (too common to seed).
    shared=st.lists(st.text("abcdefghijklmnopqrstuvwxyz\u00e9\u00f8\u00e7\u00f1",
                            min_size=3, max_size=8), min_size=25, max_size=35, unique=True),
)
def test_pipeline_accounts_for_every_document_and_keeps_spans_inside_them(texts, shared):
    passage = " ".join(shared)
    texts = [*texts, f"one {passage} two", f"three {passage} four"]
    corpus = Corpus(ids=[f"d{k}" for k in range(len(texts))], texts=texts,
                    metadata=[{} for _ in texts], origins=["fuzz"] * len(texts))
    try:
        result = pipeline.run(corpus, threshold=0.5, min_length=10)
    except ReuseError:
        pytest.fail("a corpus of valid Unicode texts must run")
    counts = result.counts
    assert counts["read"] == counts["compared"] + counts["too_short"] + counts["skipped"]
    assert counts["read"] == len(texts)
    length = dict(zip(corpus.ids, map(len, texts), strict=True))
    planted = result.alignments[(result.alignments["a_id"] == corpus.ids[-2])
                                & (result.alignments["b_id"] == corpus.ids[-1])]
    assert len(planted) >= 1
    for row in result.alignments.itertuples():
        assert 0 <= row.a_start < row.a_end <= length[row.a_id]
        assert 0 <= row.b_start < row.b_end <= length[row.b_id]
    for row in result.passages.itertuples():
        assert 0 <= row.start < row.end <= length[row.doc_id]

