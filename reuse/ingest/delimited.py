"""CSV and TSV: a header row, then one record per row, read as a stream.

Dialects (``quoting``):

* ``"csv"`` (the default for ``.csv``): RFC 4180 quoting, read strictly. A field may be quoted
  (``"a, b"``, with ``""`` for a quote inside it) and may then span lines. An unclosed quote or
  text after a closing quote is a bad record (``bad_quoting``), never a reason to swallow the
  rest of the file.
* ``"none"`` (the default for ``.tsv``, as IANA's text/tab-separated-values): every field is
  literal, quotes included; a record is one line. A TSV written with quotes (pandas
  ``to_csv(sep="\\t")``) is read with ``quoting="csv"``.

After a bad record that spans several lines (an unclosed quote, a quoted field followed by
text, a record with the wrong number of fields), reading resumes at the line after the one where
the record started, so one stray quote costs one record. Lines break at ``\\n``, ``\\r\\n`` and
``\\r``. A record is held in memory only up to a bound (``too_long`` beyond it), and bytes that
are not UTF-8 cost only the rows that hold them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from .records import RAW_SLACK_BYTES, UTF8_BYTES_PER_CHAR, RecordSink, split_record
from .text import INVALID_MARK, INVALID_UTF16, UTF8_BOM, UTF16_BOMS, invalid_utf8_at, shown

QUOTING_CHOICES = ("csv", "none")
DEFAULT_QUOTING = {"csv": "csv", "tsv": "none"}

# A \r that is not the first half of \r\n ends a line too (old Mac line breaks).
_BARE_CR = re.compile(rb"(?<=\r)(?!\n)")
_DRAIN_CHUNK = 1 << 20
_SEPARATOR_NAMES = {",": "','", "\t": "a tab"}


class RecordTooLong(Exception):
    """The lines of one record add up to more than the bound."""


class Lines:
    """The physical lines of a CSV/TSV file, fed to the csv module one at a time.

    Keeps what the record being read holds: its first line, its size, whether it has bytes
    that are not UTF-8 (or invalid UTF-16) or NUL bytes, and where the line after its first
    one starts, so that reading can restart there after a bad record.
    """

    def __init__(self, handle: IO[Any], utf16: bool, limit: int, offset: int) -> None:
        self.handle = handle
        self.utf16 = utf16
        self.limit = limit
        self.offset = offset
        self.number = 0
        self.start_record()

    def start_record(self) -> None:
        self.record_line = self.number + 1
        self.record_size = 0
        self.resume: tuple[int, int] | None = None
        self.invalid: tuple[int, int, int | None] | None = None
        self.nul = False

    def restart(self) -> None:
        """Continue at the line after the first line of the current record."""
        if self.resume is None:  # pragma: no cover - every bad record has read its first line
            raise RuntimeError("no line to resume at")
        position, number = self.resume
        self.handle.seek(position)
        self.offset = position
        self.number = number - 1

    def feed(self) -> Iterator[str]:
        return self._feed_utf16() if self.utf16 else self._feed_utf8()

    def _feed_utf8(self) -> Iterator[str]:
        readline = self.handle.readline
        while True:
            raw = readline(self.limit + 1)
            if not raw:
                return
            if len(raw) > self.limit and raw[-1:] != b"\n":
                self._line(len(raw) + self._drain(b"\n"))
                raise RecordTooLong
            for part in _BARE_CR.split(raw) if b"\r" in raw else (raw,):
                if not part:
                    continue
                self._line(len(part))
                try:
                    text = part.decode("utf-8")
                except UnicodeDecodeError:
                    # Kept as lone surrogates, so that only this record is skipped.
                    text = part.decode("utf-8", "surrogateescape")
                    if self.invalid is None:
                        column, byte = invalid_utf8_at(part) or (0, 0)
                        self.invalid = (self.number, column, byte)
                if b"\x00" in part:
                    self.nul = True
                yield text

    def _feed_utf16(self) -> Iterator[str]:
        readline = self.handle.readline
        while True:
            line = readline(self.limit + 1)
            if not line:
                return
            if len(line) > self.limit and line[-1:] not in ("\n", "\r"):
                self._drain(("\n", "\r"))
                self._line(0, self.handle.tell())
                raise RecordTooLong
            self._line(len(line), self.handle.tell() if self.number + 1 == self.record_line
                       else None)
            if INVALID_MARK in line and self.invalid is None:
                self.invalid = (self.number, line.index(INVALID_MARK) + 1, None)
            if "\x00" in line:
                self.nul = True
            yield line

    def _line(self, size: int, position: int | None = None) -> None:
        """Account for one more line of ``size`` bytes (characters in UTF-16)."""
        self.number += 1
        self.offset += size
        if self.number == self.record_line:
            self.resume = (self.offset if position is None else position, self.number + 1)
        self.record_size += size
        if self.record_size > self.limit:
            raise RecordTooLong

    def _drain(self, ends: Any) -> int:
        """Read the rest of an over-long line in small chunks; returns its size."""
        size = 0
        while True:
            chunk = self.handle.readline(_DRAIN_CHUNK)
            size += len(chunk)
            if not chunk or chunk.endswith(ends):
                return size


def read_delimited(path: Path, sink: RecordSink, fmt: str, quoting: str) -> None:
    name = shown(str(path))
    limit = UTF8_BYTES_PER_CHAR * sink.max_doc_chars + RAW_SLACK_BYTES
    dialect: dict[str, Any] = {"delimiter": "," if fmt == "csv" else "\t", "strict": True}
    if quoting == "none":
        dialect["quoting"] = csv.QUOTE_NONE
    # The csv module refuses fields over 128 KiB by default; our own bound is the record's.
    previous_limit = csv.field_size_limit(max(limit, 1 << 17))
    try:
        with open(path, "rb") as handle:
            start = handle.read(3)
            if start.startswith(UTF16_BOMS):
                handle.seek(0)
                text = io.TextIOWrapper(handle, encoding="utf-16", errors=INVALID_UTF16,
                                        newline="")
                lines = Lines(text, True, limit, 0)
            else:
                offset = 3 if start == UTF8_BOM else 0
                handle.seek(offset)
                lines = Lines(handle, False, limit, offset)
            _read_rows(name, lines, sink, dialect, quoting)
    finally:
        csv.field_size_limit(previous_limit)


def _invalid_message(name: str, lines: Lines) -> str:
    line, column, byte = lines.invalid or (0, 0, None)
    if byte is None:
        return f"{name}: line {line}, column {column}: invalid UTF-16"
    return f"{name}: line {line}, column {column}: invalid UTF-8 (byte 0x{byte:02x})"


def _read_header(name: str, lines: Lines, rows: Iterator[list[str]], sink: RecordSink,
                 ) -> list[str]:
    try:
        header: list[str] = []
        while not header:  # blank lines before the header are not records
            lines.start_record()
            header = next(rows)
    except StopIteration:
        raise InputError(f"{name}: empty file, expected a header row") from None
    except csv.Error as exc:
        raise InputError(f"{name}:{lines.record_line}: the header row: {exc}") from None
    except RecordTooLong:
        raise InputError(f"{name}:{lines.record_line}: the header row is longer than "
                         f"{lines.limit} bytes") from None
    if lines.invalid is not None:
        raise InputError(_invalid_message(name, lines) + " in the header row")
    if lines.nul:
        raise InputError(f"{name}: binary file (a NUL byte in the header row), not text")
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise InputError(
                f"{name}:{lines.record_line}: the header names the column {column!r} twice; "
                "rename one of them")
        seen.add(column)
    corpus = sink.corpus
    for column in (corpus.id_field, corpus.text_field):
        if column not in seen:
            raise InputError(
                f"{name}: no column {column!r} in the header (columns: {', '.join(header)}); "
                "choose columns with --id-field and --text-field"
            )
    return header


def _quoting_detail(exc: csv.Error, lines: Lines, delimiter: str) -> str:
    message = str(exc)
    if "expected after" in message:
        where = f" on line {lines.number}" if lines.number != lines.record_line else ""
        return (f"bad quoting{where}: a closing quote is followed by other text, not by "
                f"{_SEPARATOR_NAMES[delimiter]} or the end of the line (a quote inside a quoted "
                'field is written twice: "")')
    if "unexpected end of data" in message:
        return "bad quoting: the file ends inside a quoted field (an unbalanced quote?)"
    return f"bad quoting: {message}"


def _read_rows(name: str, lines: Lines, sink: RecordSink, dialect: dict[str, Any],
               quoting: str) -> None:
    source = name + ":"
    corpus = sink.corpus
    rows = csv.reader(lines.feed(), **dialect)
    header = _read_header(name, lines, rows, sink)
    n_fields = len(header)
    while True:
        lines.start_record()
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            sink.bad(source, lines.record_line, "bad_quoting",
                     _quoting_detail(exc, lines, dialect["delimiter"]))
            lines.restart()
            rows = csv.reader(lines.feed(), **dialect)
            continue
        except RecordTooLong:
            sink.bad(source, lines.record_line, "too_long",
                     f"a record of more than {lines.limit} bytes from this line on, longer than "
                     f"any record whose text fits in --max-doc-chars ({sink.max_doc_chars}) "
                     "characters (an unbalanced quote?)")
            lines.restart()
            rows = csv.reader(lines.feed(), **dialect)
            continue
        if not row:
            continue  # a blank line
        first = lines.record_line
        if len(row) != n_fields:
            detail = f"expected {n_fields} fields, found {len(row)}"
            if lines.number > first:
                sink.bad(source, first, "ragged_row",
                         f"{detail} in a record over lines {first}-{lines.number} "
                         "(an unbalanced quote?)")
                lines.restart()
                rows = csv.reader(lines.feed(), **dialect)
                continue
            if quoting == "none" and any(cell.startswith('"') for cell in row):
                detail += (" (the row holds quoted fields: if this TSV quotes its fields, read "
                           "it with --quoting csv)")
            sink.bad(source, first, "ragged_row", detail)
            continue
        if lines.invalid is not None:
            if sink.on_error == "raise":
                raise InputError(_invalid_message(name, lines)
                                 + " (use --on-error skip to skip such records)")
            utf16 = lines.invalid[2] is None
            sink.bad(source, first, "invalid_utf16" if utf16 else "invalid_utf8",
                     "invalid UTF-16" if utf16 else "invalid UTF-8")
            continue
        if lines.nul:
            sink.bad(source, first, "binary", "binary data (contains NUL bytes), not text")
            continue
        sink.add(*split_record(dict(zip(header, row, strict=True)), corpus), source, first,
                 valid_unicode=True, plain_metadata=True)
