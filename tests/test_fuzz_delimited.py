"""Property tests of the CSV/TSV reader: what a writer writes is read back record for record, and
a corrupted file never loses records silently.

(a) Any table that ``csv.writer`` or pandas ``to_csv`` writes (ids and texts with commas,
quotes, tabs, ``\\r``, ``\\n`` and any Unicode but NUL, which marks binary data) is read back by
:func:`read_corpus` record for record, text for text (pandas: without a lone ``\\r``, which it
does not quote); so is a TSV written by
``csv.writer(delimiter="\\t")`` read with ``quoting="csv"``, and a TSV of fields without tabs and
line breaks written literally and read with the default ``quoting="none"``. What
:func:`write_corpus` writes reads back the same.

(b) Deleting, inserting or replacing one byte of such a file gives, with the default
``on_error="raise"``, either a named :class:`InputError` or at least as many records as were
written, never fewer; with ``on_error="skip"`` a record can only go missing if a skipped record
is counted in its place. (More records than written is allowed: a corrupted file can be a valid
file with more records, and no reader can tell.)

The number of examples comes from the Hypothesis profile in ``conftest.py``;
``REUSE_FUZZ=long`` runs many more.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from reuse.errors import InputError
from reuse.ingest import Corpus, read_corpus, write_corpus

# Every character but NUL and lone surrogates, with extra weight on the ones that matter to a
# CSV/TSV reader.
_SPECIAL = ',"\t\r\n \'\\;|\u2028\x85\x0b\x0c\x1c\ufeff\u00e9\U0001f600'
cell = st.text(
    alphabet=st.one_of(st.sampled_from(_SPECIAL),
                       st.characters(exclude_categories=("Cs",), exclude_characters="\x00")),
    max_size=20,
)
literal_cell = st.text(
    alphabet=st.one_of(st.sampled_from(',"\' \\;|\u2028\x85\x0b\x0c\ufeff\u00e9\U0001f600'),
                       st.characters(exclude_categories=("Cs",),
                                     exclude_characters="\x00\t\r\n")),
    max_size=20,
)


def _records(draw_cells: st.SearchStrategy[str]) -> st.SearchStrategy[list[list[str]]]:
    """Rows of (id, text, meta) with distinct ids."""
    return st.lists(st.tuples(draw_cells, draw_cells, draw_cells), max_size=8).map(
        lambda rows: [[f"{k}:{doc_id}", text, meta] for k, (doc_id, text, meta) in
                      enumerate(rows)])


def _csv_bytes(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["id", "text", "meta"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _literal_tsv_bytes(rows: list[list[str]]) -> bytes:
    lines = ["id\ttext\tmeta", *("\t".join(row) for row in rows)]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _read(data: bytes, name: str, **options) -> Corpus:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return read_corpus(path, **options)


def _check_same(corpus: Corpus, rows: list[list[str]]) -> None:
    assert corpus.ids == [row[0] for row in rows]
    assert corpus.texts == [row[1] for row in rows]
    assert corpus.metadata == [{"meta": row[2]} for row in rows]
    assert len(corpus.skipped) == 0


def _check_round_trip(corpus: Corpus, name: str, **options) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        write_corpus(corpus, [True] * len(corpus), target)
        again = read_corpus(target, **options)
    assert (again.ids, again.texts, again.metadata) == (corpus.ids, corpus.texts, corpus.metadata)


# ---------------------------------------------------------------------- (a) read back exactly


@given(rows=_records(cell).filter(bool))
def test_what_csv_writer_writes_is_read_back_record_for_record(rows):
    corpus = _read(_csv_bytes(rows), "docs.csv")
    _check_same(corpus, rows)
    _check_round_trip(corpus, "kept.csv")


@given(rows=_records(cell.map(lambda text: text.replace("\r", ""))).filter(bool))
def test_what_pandas_to_csv_writes_is_read_back_record_for_record(rows):
    """Without a lone \r: pandas (with its default \n line ends) does not quote a field that
    holds one, and an unquoted \r is a line break to every reader of universal line ends,
    pandas' own read_csv included."""
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=["id", "text", "meta"], dtype=object).to_csv(buffer, index=False)
    _check_same(_read(buffer.getvalue().encode("utf-8"), "docs.csv"), rows)
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=["id", "text", "meta"], dtype=object).to_csv(
        buffer, index=False, sep="\t")
    _check_same(_read(buffer.getvalue().encode("utf-8"), "docs.tsv", quoting="csv"), rows)


@given(rows=_records(cell).filter(bool))
def test_a_quoted_tsv_is_read_back_with_quoting_csv(rows):
    corpus = _read(_csv_bytes(rows, "\t"), "docs.tsv", quoting="csv")
    _check_same(corpus, rows)
    _check_round_trip(corpus, "kept.tsv", quoting="csv")


@given(rows=_records(literal_cell).filter(bool))
def test_a_literal_tsv_is_read_back_unchanged_by_default(rows):
    corpus = _read(_literal_tsv_bytes(rows), "docs.tsv")
    _check_same(corpus, rows)
    _check_round_trip(corpus, "kept.tsv")


# ------------------------------------------------------------------ (b) one corrupted byte


corruption = st.tuples(
    st.sampled_from(["delete", "insert", "replace"]),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.one_of(st.sampled_from(b'",\t\r\n x\xff\x00'), st.integers(0, 255)),
)


def _corrupt(data: bytes, how: tuple[str, float, int]) -> bytes:
    kind, where, byte = how
    at = int(where * (len(data) + (kind == "insert")))
    if kind == "insert":
        return data[:at] + bytes([byte]) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + 1:]
    return data[:at] + bytes([byte]) + data[at + 1:]


def _check_nothing_lost_silently(data: bytes, name: str, n_records: int, **options) -> None:
    try:
        corpus = _read(data, name, on_error="raise", **options)
    except InputError:
        pass
    else:
        assert len(corpus) >= n_records
    try:
        corpus = _read(data, name, on_error="skip", **options)
    except InputError:
        return
    if len(corpus.skipped) == 0:
        assert len(corpus) >= n_records


@given(rows=_records(cell).filter(bool), how=corruption)
def test_a_corrupted_csv_byte_never_loses_records_silently(rows, how):
    _check_nothing_lost_silently(_corrupt(_csv_bytes(rows), how), "docs.csv", len(rows))


@given(rows=_records(cell).filter(bool), how=corruption)
def test_a_corrupted_quoted_tsv_byte_never_loses_records_silently(rows, how):
    _check_nothing_lost_silently(_corrupt(_csv_bytes(rows, "\t"), how), "docs.tsv", len(rows),
                                 quoting="csv")


@given(rows=_records(literal_cell).filter(bool), how=corruption)
def test_a_corrupted_literal_tsv_byte_never_loses_records_silently(rows, how):
    _check_nothing_lost_silently(_corrupt(_literal_tsv_bytes(rows), how), "docs.tsv", len(rows))
