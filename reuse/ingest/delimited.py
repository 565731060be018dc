"""CSV and TSV: a header row, then one record per row, read as a stream.

Dialects (``quoting``):

* ``"csv"`` (the default for ``.csv``): RFC 4180 quoting, read strictly. A field may be quoted
  (``"a, b"``, with ``""`` for a quote inside it) and may then span lines. An unclosed quote or
  text after a closing quote is a bad record (``bad_quoting``), never a reason to swallow the
  rest of the file; so is a quote inside an unquoted field (``5" tall``), which RFC 4180 does
  not allow and which would let one added or lost quote shift fields silently (a file that
  never quotes its fields is read with ``quoting="none"``).
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
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from .records import DELIMITED_CHARS_PER_CHAR, RAW_SLACK_BYTES, RecordSink, split_record
from .text import (
    AUTO_ENCODING,
    DEFAULT_ENCODING,
    INVALID_UTF16,
    MARK_BYTES,
    UTF8_BOM,
    UTF16_BOMS,
    has_surrogate,
    redecode_fallback,
    shown,
)

DEFAULT_QUOTING = {"csv": "csv", "tsv": "none"}

_BATCH = 1 << 20  # characters read at a time
_DRAIN_CHUNK = 1 << 20
_SURROGATE = re.compile("[\ud800-\udfff]")
_SEPARATOR_NAMES = {",": "','", "\t": "a tab"}


class RecordTooLong(Exception):
    """The lines of one record add up to more than the bound."""


class Lines:
    """The lines of a CSV/TSV file, fed to the csv module a batch at a time.

    A text stream is read in batches of whole lines, split at ``\\n``, ``\\r\\n`` and ``\\r``. The
    batches since the first line of the record being read are kept, which bounds what a record
    can hold (``limit`` characters, checked at each batch), gives its raw text, and lets reading
    restart at the line after its first one. A batch holding a byte that is not UTF-8 (decoded
    as a lone surrogate escape), invalid UTF-16 (U+DFFF) or a NUL is fed line by line, noting
    which record holds it; the others go to the csv module without a Python step per line.
    """

    def __init__(self, handle: IO[str], limit: int) -> None:
        self.handle = handle
        self.limit = limit
        # (first line number, stream position, characters before, lines) of each kept batch.
        self.batches: list[tuple[int, Any, int, list[str]]] = []
        self.next: tuple[Any, int, int] = (handle.tell(), 1, 0)  # where the next batch starts
        self.base = 0  # the line before the one the current csv reader starts at
        self.skip = 0  # lines of the first batch that the current csv reader skips
        self.reader: Any = None
        self.record_line = 1
        self.invalid: tuple[int, int, int | None] | None = None
        self.nul = False

    def rows(self, dialect: dict[str, Any]) -> Iterator[list[str]]:
        # Batch by batch: the lines of a clean batch reach the csv module without a Python step.
        self.reader = csv.reader(itertools.chain.from_iterable(self._batches()), **dialect)
        return self.reader

    @property
    def number(self) -> int:
        """The number of the last line read."""
        return self.base + self.reader.line_num

    def start_record(self) -> None:
        self.record_line = self.number + 1
        self.invalid = None
        self.nul = False

    def restart(self, dialect: dict[str, Any]) -> Iterator[list[str]]:
        """A new reader that starts at the line after the first line of the current record."""
        line = self.record_line + 1
        for first, position, before, lines in self.batches:
            if first <= line < first + len(lines):
                self.next = (position, first, before)
                self.skip = line - first
                break
        self.batches = []
        self.base = line - 1
        self.handle.seek(self.next[0])
        return self.rows(dialect)

    def record_text(self, first: int, last: int) -> str:
        """The raw text of lines ``first`` to ``last`` (of the current record)."""
        parts: list[str] = []
        for start, _, _, lines in self.batches:
            parts.extend(lines[max(first - start, 0) : max(last + 1 - start, 0)])
        return "".join(parts)

    def _batches(self) -> Iterator[Iterable[str]]:
        handle, limit = self.handle, self.limit
        skip, self.skip = self.skip, 0
        while True:
            position, first, before = self.next
            text = handle.read(_BATCH)
            if not text:
                return
            over_long, drained = False, 0
            if not text.endswith("\n"):  # complete the last line
                rest = handle.readline(limit)
                if len(rest) >= limit and not rest.endswith(("\n", "\r")):
                    over_long, drained = True, self._drain()
                text += rest
            lines = io.StringIO(text, newline="").readlines()
            self.next = (handle.tell(), first + len(lines), before + len(text) + drained)
            self._keep(first, position, before, lines)
            if over_long or "\x00" in text or has_surrogate(text):
                yield self._checked(lines, first, skip, over_long)
            else:
                yield lines[skip:] if skip else lines
            skip = 0

    def _keep(self, first: int, position: Any, before: int, lines: list[str]) -> None:
        """Keep a new batch, drop those before the current record, and check its size."""
        batches, record_line = self.batches, self.record_line
        while batches and batches[0][0] + len(batches[0][3]) <= record_line:
            batches.pop(0)
        batches.append((first, position, before, lines))
        if len(batches) > 1:  # the record goes on into this batch
            start, _, start_before, start_lines = batches[0]
            size = before - start_before - sum(map(len, start_lines[: record_line - start]))
            if size > self.limit:
                raise RecordTooLong

    def _checked(self, lines: list[str], first: int, skip: int, over_long: bool,
                 ) -> Iterator[str]:
        """The lines of a batch one at a time, noting bad bytes and NULs per record."""
        last = len(lines) - 1
        for index in range(skip, len(lines)):
            line = lines[index]
            if over_long and index == last:
                raise RecordTooLong
            if self.invalid is None:
                match = _SURROGATE.search(line)
                if match is not None:
                    code = ord(match.group())
                    byte = code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else None
                    self.invalid = (first + index, match.start() + 1, byte)
            if "\x00" in line:
                self.nul = True
            yield line

    def _drain(self) -> int:
        """Read the rest of an over-long line in small chunks; returns its length."""
        size = 0
        while True:
            chunk = self.handle.readline(_DRAIN_CHUNK)
            size += len(chunk)
            if not chunk or chunk.endswith(("\n", "\r")):
                return size


def _stray_quote_pattern(delimiter: str) -> re.Pattern[str]:
    """A record in which every quote belongs to a quoted field (RFC 4180)."""
    d = re.escape(delimiter)
    field = f'(?:"[^"]*(?:""[^"]*)*"|[^"{d}\\r\\n]*)'
    return re.compile(f"{field}(?:{d}{field})*(?:\\r\\n|\\r|\\n)?")


def read_delimited(path: Path, sink: RecordSink, fmt: str, quoting: str) -> None:
    name = shown(str(path))
    limit = DELIMITED_CHARS_PER_CHAR * sink.max_doc_chars + RAW_SLACK_BYTES
    dialect: dict[str, Any] = {"delimiter": "," if fmt == "csv" else "\t", "strict": True}
    if quoting == "none":
        dialect["quoting"] = csv.QUOTE_NONE
    # The csv module refuses fields over 128 KiB by default; our own bound is the record's.
    previous_limit = csv.field_size_limit(max(2 * limit, 1 << 17))
    try:
        with open(path, "rb") as handle:
            start = handle.read(3)
            fallback = False
            if start.startswith(UTF16_BOMS):
                handle.seek(0)
                encoding, errors, label = "utf-16", INVALID_UTF16, "UTF-16"
            elif start != UTF8_BOM and sink.encoding not in (DEFAULT_ENCODING, AUTO_ENCODING):
                handle.seek(0)
                encoding, errors, label = sink.encoding, MARK_BYTES, sink.encoding
            else:
                handle.seek(3 if start == UTF8_BOM else 0)
                # Bytes that are not UTF-8 become lone surrogates: only their rows are skipped
                # (or, with encoding="auto", decoded again as windows-1252).
                encoding, errors, label = "utf-8", "surrogateescape", "UTF-8"
                fallback = sink.encoding == AUTO_ENCODING and start != UTF8_BOM
            text = io.TextIOWrapper(handle, encoding=encoding, errors=errors, newline="")
            _read_rows(name, Lines(text, limit), sink, dialect, quoting,
                       Decoding(label, fallback))
    finally:
        csv.field_size_limit(previous_limit)


@dataclass(frozen=True)
class Decoding:
    """How the rows were decoded: ``label`` names the encoding in messages (``UTF-8``,
    ``UTF-16`` after a BOM, or the codec given); ``fallback``: a row holding bytes that are not
    UTF-8 is decoded again as windows-1252 (``encoding="auto"``)."""

    label: str = "UTF-8"
    fallback: bool = False

    @property
    def reason(self) -> str:
        return {"UTF-8": "invalid_utf8", "UTF-16": "invalid_utf16"}.get(self.label,
                                                                        "invalid_encoding")

    def detail(self, byte: int | None) -> str:
        return f"invalid {self.label}" + ("" if byte is None else f" (byte 0x{byte:02x})")

    def redecode(self, lines: Lines) -> bool:
        """True when the invalid bytes of the current record are to be decoded again."""
        return self.fallback and lines.invalid is not None and lines.invalid[2] is not None


def _invalid_message(name: str, lines: Lines, decoding: Decoding) -> str:
    line, column, byte = lines.invalid or (0, 0, None)
    return f"{name}: line {line}, column {column}: {decoding.detail(byte)}"


def _read_header(name: str, lines: Lines, rows: Iterator[list[str]], sink: RecordSink,
                 decoding: Decoding) -> list[str]:
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
                         f"{lines.limit} characters") from None
    if decoding.redecode(lines):
        header = [redecode_fallback(column) for column in header]
    elif lines.invalid is not None:
        raise InputError(_invalid_message(name, lines, decoding) + " in the header row")
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
        if column is not None and column not in seen:
            raise InputError(
                f"{name}: no column {column!r} in the header (columns: {', '.join(header)}); "
                + _choose_columns(corpus.text_field))
    return header


def _choose_columns(text_field: str | None) -> str:
    if text_field is None:  # a metadata file: no text column
        return "choose the id column with --id-field"
    return "choose columns with --id-field and --text-field"


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
               quoting: str, decoding: Decoding) -> None:
    source = name + ":"
    corpus = sink.corpus
    rows = lines.rows(dialect)
    header = _read_header(name, lines, rows, sink, decoding)
    n_fields = len(header)
    stray_quote = _stray_quote_pattern(dialect["delimiter"]) if quoting == "csv" else None
    while True:
        lines.start_record()
        first = lines.record_line
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            sink.bad(source, first, "bad_quoting", _quoting_detail(exc, lines, dialect["delimiter"]))
            rows = lines.restart(dialect)
            continue
        except RecordTooLong:
            sink.bad(source, first, "too_long",
                     f"a record of more than {lines.limit} characters from this line on, longer "
                     f"than any record whose text fits in --max-doc-chars ({sink.max_doc_chars}) "
                     "characters (an unbalanced quote?)")
            rows = lines.restart(dialect)
            continue
        if not row:
            continue  # a blank line
        last = lines.number
        if len(row) != n_fields:
            detail = f"expected {n_fields} fields, found {len(row)}"
            if last > first:
                sink.bad(source, first, "ragged_row",
                         f"{detail} in a record over lines {first}-{last} (an unbalanced quote?)")
                rows = lines.restart(dialect)
                continue
            if quoting == "none" and any(cell.startswith('"') for cell in row):
                detail += (" (the row holds quoted fields: if this TSV quotes its fields, read "
                           "it with --quoting csv)")
            sink.bad(source, first, "ragged_row", detail)
            continue
        if (stray_quote is not None and any('"' in cell for cell in row)
                and stray_quote.fullmatch(lines.record_text(first, last)) is None):
            # Python's csv module reads a quote inside an unquoted field as text; RFC 4180
            # does not allow it, and refusing it is what makes any added or removed quote a
            # named error instead of a silent shift of the fields.
            sink.bad(source, first, "bad_quoting",
                     'bad quoting: a quote inside a field that is not quoted (a field holding a '
                     'quote is written quoted, with the quote doubled: "5"" tall"); if this file '
                     "never quotes its fields, read it with --quoting none")
            if last > first:
                rows = lines.restart(dialect)
            continue
        fallback = decoding.redecode(lines)
        if fallback:
            row = [redecode_fallback(cell) for cell in row]
        elif lines.invalid is not None:
            if sink.on_error == "raise":
                raise InputError(_invalid_message(name, lines, decoding)
                                 + " (use --on-error skip to skip such records)")
            sink.bad(source, first, decoding.reason, decoding.detail(None))
            continue
        if lines.nul:
            sink.bad(source, first, "binary", "binary data (contains NUL bytes), not text")
            continue
        sink.add(*split_record(dict(zip(header, row, strict=True)), corpus), source, first,
                 valid_unicode=True, plain_metadata=True, fallback=fallback)
