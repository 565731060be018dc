"""JSON Lines, plain or gzip-compressed, in UTF-8 or in UTF-16 with a byte-order mark.

A line is never held past a bound: a line longer than any record whose text fits in
``max_doc_chars`` could be is discarded unread (``too_long``). A plain UTF-8 file is read a
block at a time and split into lines (:func:`block_lines`); the others a line at a time.

With more than one worker, a plain UTF-8 file is cut into parts of whole lines
(:func:`line_parts`, which only counts line breaks) that worker processes parse, check and
encode for the document store (:func:`read_part`); this process adds the parts in order
(:meth:`~.records.RecordSink.add_parsed`), checking the ids across all of them. The corpus,
the skipped records and every message are those of the reading in one process. With one
worker and a stage fused into the reading (``dedup`` sketching), the parts are parsed here,
each from the bytes read to cut it, its lines views of them (no line is copied).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import os
import shutil
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import msgspec
import numpy as np

from ..common.ranges import nearby_runs
from ..engine.spill import SegmentSink
from ..errors import InputError
from .corpus import Corpus
from .records import (
    JSON_BYTES_PER_CHAR,
    MAX_METADATA_DEPTH,
    RAW_SLACK_BYTES,
    BadRecord,
    CollectingSink,
    ParsedRecords,
    RecordSink,
    split_record,
)
from .text import (
    AUTO_ENCODING,
    DEFAULT_ENCODING,
    INVALID_UTF16,
    MARK_BYTES,
    UTF8_BOM,
    UTF16_BOMS,
    decode_fallback,
    first_invalid,
    has_surrogate,
    invalid_utf8_at,
    shown,
)

# msgspec parses a JSONL line, or a part's lines at once, several times faster than json. It
# refuses what the careful path below names (invalid UTF-8, unpaired surrogates, NaN, trailing
# data), which then goes that way, and keeps every integer exact, as json does. A str line
# holding an unpaired surrogate is a UnicodeEncodeError to it; nesting deeper than it goes, a
# RecursionError.
_decode = msgspec.json.decode
_decode_lines = msgspec.json.Decoder().decode_lines
_REFUSED = (msgspec.DecodeError, ValueError, RecursionError)

_DRAIN_CHUNK = 1 << 20
# What block_lines reads at a time.
_BLOCK = 1 << 20
# Bytes of a file per part that a reading worker parses (see line_parts): parts of about 1 MB
# cost less per byte than larger ones (their sketching's arrays stay in the cache), and more
# than enough work to outweigh sending them back.
PART_BYTES = 1 << 20
_NEWLINE = ord("\n")
_CARRIAGE_RETURN, _OPEN_BRACE, _CLOSE_BRACE = ord("\r"), ord("{"), ord("}")


def bounded_lines(handle: IO[Any], limit: int, newline: Any) -> Iterator[tuple[int, Any]]:
    """(line number, line) for every line of ``handle``, or (number, None) for a line longer
    than ``limit``, whose rest is read in small chunks and dropped, never held whole."""
    readline = handle.readline
    number = 0
    while True:
        line = readline(limit)
        if not line:
            return
        number += 1
        if len(line) >= limit and line[-1:] != newline:
            rest = readline(_DRAIN_CHUNK)
            if not rest:  # exactly ``limit`` long, at the end of the file
                yield number, line
                return
            while rest and rest[-1:] != newline:
                rest = readline(_DRAIN_CHUNK)
            yield number, None
            continue
        yield number, line


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


def block_lines(handle: Readable, limit: int, block_size: int = _BLOCK, first: int = 1
                ) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line without its ``\\n``) for every line of the binary ``handle``, or
    (number, None) for a line longer than ``limit`` bytes with its ``\\n``: the lines of
    :func:`bounded_lines`, read ``block_size`` bytes at a time instead of one call per line,
    numbered from ``first``. Of a line that runs past a block, at most ``limit`` bytes are held;
    a longer one is dropped as it is read."""
    number = first - 1
    head: list[bytes] = []  # the start of the line that the last block ended inside
    held = 0  # the length of that start (counted on once it is too long and dropped)
    while block := handle.read(block_size):
        lines = block.split(b"\n")
        tail = lines.pop()  # the start of the next line (empty after a line break)
        if lines and held:
            number += 1
            held += len(lines[0])
            yield number, b"".join([*head, lines[0]]) if held < limit else None
            head.clear()
            held = 0
            lines = lines[1:]
        for line in lines:
            number += 1
            yield number, line if len(line) < limit else None
        if tail:
            held += len(tail)
            if held <= limit:
                head.append(tail)
            else:
                head.clear()
    if held:  # the last line, without a line break
        yield number + 1, b"".join(head) if held <= limit else None


def line_parts(handle: IO[bytes], start: int, size: int) -> Iterator[tuple[int, int, int]]:
    """``(start, stop, first line number)`` of consecutive byte ranges of the binary
    ``handle`` from ``start`` to its end, each of whole lines (it ends after a line break,
    the last at the end of the file) and about ``size`` bytes: a range ends at the last line
    break of the ``size`` bytes read from its start, or, inside a longer line, at its end. Only
    the line breaks are counted; no line is held."""
    for part_start, stop, first, _, _ in _held_parts(handle, start, size, positions=False):
        yield part_start, stop, first


def _held_parts(handle: IO[bytes], start: int, size: int, positions: bool = True
                ) -> Iterator[tuple[int, int, int, memoryview | None, np.ndarray | None]]:
    """The parts of :func:`line_parts` with their bytes, ``(start, stop, first line number,
    data, breaks)``: ``data`` the part's bytes and ``breaks`` the positions in it of its line
    breaks (with ``positions``), both None for a part longer than ``size`` (inside a long
    line), which is not held. Each part is read from its start (the end of the last line cut
    off by the previous read is read again), so that its bytes are one read's."""
    part, number = start, 1
    while True:
        handle.seek(part)
        block = handle.read(size)
        if not block:
            return
        last = block.rfind(b"\n")
        if last >= 0 or len(block) < size:  # whole lines, or the file's last line
            length = last + 1 if len(block) == size else len(block)
            data = memoryview(block)[:length]
            values = np.frombuffer(data, dtype=np.uint8)
            breaks = np.flatnonzero(values == _NEWLINE) if positions else None
            yield part, part + length, number, data, breaks
            # numpy counts a block's line breaks in half the time of bytes.count.
            number += (len(breaks) if breaks is not None
                       else int(np.count_nonzero(values == _NEWLINE)))
            part += length
            continue
        # Inside a line longer than a block: the part runs on to the line's end, not held.
        position = part + len(block)
        while block := handle.read(size):
            end = block.find(b"\n")
            if end >= 0:
                position += end + 1
                break
            position += len(block)
        yield part, position, number, None, None
        number += 1
        part = position


@dataclass(frozen=True)
class PartStage:
    """Work fused into the reading of a file in parts by worker processes (see
    :func:`reuse.ingest.read_corpus`): ``function(texts)`` runs in the worker that read a
    part, on the texts of its documents, while it holds them (it must pickle: a module-level
    function, or a :func:`functools.partial` of one); ``consume(first, result)`` runs here, in
    input order, once the part's documents are in the corpus (``first``: the ordinal of the
    first of them)."""

    function: Callable[[list[str]], Any]
    consume: Callable[[int, Any], None]


@dataclass(frozen=True)
class JsonlRecords:
    """How a plain UTF-8 JSONL file is read in parts (its ``path``, its name in messages with
    a colon, ``source``, and the read options), and the reading of records back from it.

    A document store written without the texts keeps each document's line instead (its byte
    offset and length, see :func:`read_part`); :meth:`read` parses those lines again, with
    the same checks, to give a stage the texts it needs back."""

    path: str
    source: str
    limit: int
    fallback: bool
    id_field: str
    text_field: str
    on_error: str
    max_doc_chars: int
    encoding: str

    def read(self, spans: np.ndarray) -> list[tuple[str, str, dict[str, Any]] | None]:
        """The ``(id, text, metadata)`` of the record on the line at each ``(offset,
        length)`` of ``spans`` (in file order), or None where that line is not a good record
        (any more: the file changed since it was read)."""
        sink = CollectingSink(Corpus(id_field=self.id_field, text_field=self.text_field), "skip",
                              self.max_doc_chars, self.encoding)
        with open(self.path, "rb") as handle:
            # A line's location is its index in spans (the origins say which record is which).
            read_lines(enumerate(_lines_at(handle.fileno(), spans, self.path)), "", sink,
                       self.limit, fallback=self.fallback)
        found: list[tuple[str, str, dict[str, Any]] | None] = [None] * len(spans)
        for doc_id, text, metadata, origin in sink.records():
            found[int(origin)] = (doc_id, text, metadata)
        return found


# Lines read back by JsonlRecords.read: neighbouring lines are read together when the gap
# between them is small, about _SPAN_READ_BYTES a read at most.
_SPAN_READ_BYTES = 1 << 22
_SPAN_GAP_BYTES = 1 << 16


def _lines_at(fd: int, spans: np.ndarray, path: str) -> Iterator[bytes]:
    """The bytes at each ``(offset, length)`` of ``spans`` (increasing offsets), a read for
    each run of nearby ones."""
    offsets = spans[:, 0].tolist()
    ends = (spans[:, 0] + spans[:, 1]).tolist()
    runs = nearby_runs(spans[:, 0], spans[:, 0] + spans[:, 1], _SPAN_GAP_BYTES,
                       _SPAN_READ_BYTES).tolist()
    for first, last in itertools.pairwise(runs):
        base = offsets[first]
        data = os.pread(fd, ends[last - 1] - base, base)
        if len(data) < ends[last - 1] - base:
            raise InputError(f"{shown(path)}: the file is shorter than when it was read; it "
                             "changed during the run, run again on a file that stays as it is")
        for k in range(first, last):
            yield data[offsets[k] - base:ends[k] - base]


@dataclass(frozen=True)
class JsonlPart:
    """A byte range of whole lines of a JSONL file, and what reading it needs."""

    records: JsonlRecords
    start: int
    stop: int
    first_line: int
    function: Callable[[list[str]], Any] | None = None
    keep_texts: bool = True
    # Where the worker writes the part's texts (see EncodedDocuments.moved_to), if anywhere.
    texts_to: SegmentSink | None = None
    # The part's bytes and the positions of its line breaks, when this process read them
    # (see _held_parts): the part is not read again.
    data: memoryview | None = field(default=None, repr=False, compare=False)
    breaks: np.ndarray | None = field(default=None, repr=False, compare=False)


class _Range:
    """The first ``size`` bytes of a binary file from its current position, for
    :func:`block_lines`; with ``breaks``, the positions of its line breaks (from its first
    byte) are appended to it as it is read, an array per block."""

    def __init__(self, handle: IO[bytes], size: int, breaks: list[np.ndarray] | None = None
                 ) -> None:
        self.handle = handle
        self.left = size
        self.read_so_far = 0
        self.breaks = breaks

    def read(self, size: int) -> bytes:
        data = self.handle.read(min(size, self.left))
        self.left -= len(data)
        if self.breaks is not None:
            self.breaks.append(np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _NEWLINE)
                               + self.read_so_far)
        self.read_so_far += len(data)
        return data


def read_part(part: JsonlPart) -> tuple[ParsedRecords, Any]:
    """Parse and check the lines of ``part`` (in a worker process): the records, encoded
    for the document store, and the bad ones, as :func:`read_lines` reads them; and what
    ``part.function`` returns for the texts of the records (None without records)."""
    records = part.records
    corpus = Corpus(id_field=records.id_field, text_field=records.text_field)
    sink = CollectingSink(corpus, records.on_error, records.max_doc_chars, records.encoding,
                          keep_texts=part.keep_texts)
    data, breaks = part.data, part.breaks
    # A store without the texts keeps where each record is instead (see JsonlRecords).
    block_breaks: list[np.ndarray] | None = None if part.keep_texts else []
    with open(records.path, "rb") as handle:
        handle.seek(part.start)
        if data is None and part.stop - part.start <= PART_BYTES:
            data = memoryview(handle.read(part.stop - part.start))
        if data is not None:
            if breaks is None:
                breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _NEWLINE)
            if block_breaks is not None:
                block_breaks.append(breaks)
        else:  # a part inside a long line, read a block at a time
            lines = block_lines(_Range(handle, part.stop - part.start, block_breaks),
                                records.limit, first=part.first_line)
        # A bad record (with on_error="raise") stops the reading: the records before it are
        # returned with its error.
        with contextlib.suppress(BadRecord):
            if data is not None:
                _read_held(data, breaks, part.first_line, records, sink)
            else:
                read_lines(lines, records.source, sink, records.limit,
                           fallback=records.fallback)
    result = (part.function(sink.texts) if part.function is not None and sink.texts
              else None)
    spans = (None if block_breaks is None
             else _record_spans(part, block_breaks, sink.locations))
    parsed = sink.parsed(spans)
    if part.texts_to is not None:
        parsed.documents = parsed.documents.moved_to(part.texts_to)
    return parsed, result


def _read_held(data: memoryview, breaks: np.ndarray, first: int, records: JsonlRecords,
               sink: CollectingSink) -> None:
    """:func:`read_lines` of a part held whole (its lines numbered from ``first``): its lines
    parsed in one call when msgspec takes them all, one record each and none too long, else
    one at a time. A line that parses to something other than an object goes the careful way,
    which names what it is."""
    decoded = None
    # Then no line is too long, and no JSON value can run past a line break (see below).
    lines_count = _braced_lines(data, breaks) if len(data) < records.limit else 0
    if lines_count:
        with contextlib.suppress(*_REFUSED):
            decoded = _decode_lines(data)
    if decoded is None or len(decoded) != lines_count:
        read_lines(_held_lines(data, breaks, records.limit, first), records.source, sink,
                   records.limit, fallback=records.fallback)
        return

    def careful(number: int) -> None:
        line = number - first
        start = int(breaks[line - 1]) + 1 if line else 0
        end = int(breaks[line]) if line < len(breaks) else len(data)
        read_lines(iter([(number, data[start:end])]), records.source, sink, records.limit,
                   fallback=records.fallback)

    sink.add_decoded(decoded, records.source, first, careful)


def _braced_lines(data: memoryview, breaks: np.ndarray) -> int:
    """The number of lines of ``data`` (its line breaks at ``breaks``) when each starts with
    "{" and ends with "}" (before a carriage return), else 0. msgspec's decode_lines reads
    JSON values separated by any whitespace, a line break or not; but after a "}", a value goes
    on only with ",", "]" or "}", never a "{": so no value then runs from one line into the
    next, every line starts one, and as many values as lines means one value a line, in
    order."""
    values = np.frombuffer(data, dtype=np.uint8)
    if not len(values):
        return 0
    starts = np.concatenate(([0], breaks + 1))
    ends = np.append(breaks, len(values)) - 1  # each line's last byte
    if starts[-1] == len(values):  # the data ends with a line break
        starts, ends = starts[:-1], ends[:-1]
    if (ends < starts).any():  # an empty line
        return 0
    ends -= (values[ends] == _CARRIAGE_RETURN) & (ends > starts)
    braced = (values[starts] == _OPEN_BRACE).all() and (values[ends] == _CLOSE_BRACE).all()
    return len(starts) if braced else 0


def _held_lines(data: memoryview, breaks: np.ndarray, limit: int, first: int
                ) -> Iterator[tuple[int, memoryview | None]]:
    """The lines of :func:`block_lines` from a part's bytes held whole (``data``, whose line
    breaks are at ``breaks``), as views of it: none is copied."""
    ends = breaks.tolist()
    start = 0
    for number, end in enumerate(ends, first):
        yield number, data[start:end] if end - start < limit else None
        start = end + 1
    if start < len(data):  # the file's last line, without a line break
        yield first + len(ends), data[start:] if len(data) - start <= limit else None


def _record_spans(part: JsonlPart, breaks: list[np.ndarray], locations: list[int | None]
                  ) -> np.ndarray:
    """``(offset, length)`` in the file of the line of each record read from ``part`` (its
    line number in ``locations``), without the line break."""
    line_ends = np.concatenate([*breaks, [part.stop - part.start]]).astype(np.int64)
    line_starts = np.concatenate(([0], line_ends[:-1] + 1))
    lines = np.array(locations, dtype=np.int64) - part.first_line
    return np.column_stack((part.start + line_starts[lines], line_ends[lines] - line_starts[lines]))


def _read_in_parts(handle: IO[bytes], path: Path, source: str, sink: RecordSink, limit: int,
                   fallback: bool, workers: int, stage: PartStage | None,
                   keep_texts: bool) -> JsonlRecords | None:
    from ..engine import ordered_map
    from ..engine.scratch import scratch_folder

    corpus = sink.corpus
    records = JsonlRecords(os.path.abspath(path), source, limit, fallback, corpus.id_field,
                           corpus.text_field, sink.on_error, sink.max_doc_chars, sink.encoding)
    keep_texts = keep_texts or stage is None
    # Parts read by other processes: each writes its texts to a file of its own, which the
    # store copies (in the kernel), rather than sending them here through a pipe.
    folder = (scratch_folder("texts", _existing(sink.store_dir)) if keep_texts and workers > 1
              else None)
    # Read here, each part is parsed from the bytes that cut it; a worker reads its part.
    cuts = (_held_parts(handle, handle.tell(), PART_BYTES) if workers == 1
            else ((*cut, None, None) for cut in line_parts(handle, handle.tell(), PART_BYTES)))
    parts = (JsonlPart(records, start, stop, first, None if stage is None else stage.function,
                       keep_texts,
                       None if folder is None else SegmentSink(str(folder), f"texts-{start}"),
                       data, breaks)
             for start, stop, first, data, breaks in cuts)
    try:
        for parsed, result in ordered_map(read_part, parts, workers):
            first = sink.written
            try:
                sink.add_parsed(parsed, notify=stage is None)
            finally:
                if parsed.documents.texts_file is not None:  # a file of this part's only
                    os.unlink(parsed.documents.texts_file)
            if stage is not None and parsed.ids:
                stage.consume(first, result)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return None if keep_texts else records


def _existing(directory: str | os.PathLike[str] | None) -> str | os.PathLike[str] | None:
    """``directory``, made if it does not exist (a store is made in it later)."""
    if directory is not None:
        os.makedirs(directory, exist_ok=True)
    return directory


def read_jsonl(path: Path, sink: RecordSink, workers: int = 1,
               stage: PartStage | None = None, keep_texts: bool = True) -> JsonlRecords | None:
    """Read the JSONL file ``path`` into ``sink`` (in parts by ``workers`` processes, or with a
    ``stage``, when it is a plain UTF-8 file). Returns how its records are read back when the
    texts were not kept (see :class:`JsonlRecords`), else None."""
    name = shown(str(path))
    compressed = path.name.lower().endswith(".gz")
    if compressed and path.stat().st_size == 0:
        raise InputError(f"{name}: corrupt or truncated gzip file (an empty file is not gzip)")
    limit = JSON_BYTES_PER_CHAR * sink.max_doc_chars + RAW_SLACK_BYTES
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
            start = handle.read(3)
            if start.startswith(UTF16_BOMS):
                handle.seek(0)
                text = io.TextIOWrapper(handle, encoding="utf-16", errors=INVALID_UTF16,
                                        newline="\n")
                read_lines(bounded_lines(text, limit, "\n"), name + ":", sink, limit, "UTF-16")
            elif start != UTF8_BOM and sink.encoding not in (DEFAULT_ENCODING, AUTO_ENCODING):
                handle.seek(0)
                text = io.TextIOWrapper(handle, encoding=sink.encoding, errors=MARK_BYTES,
                                        newline="\n")
                read_lines(bounded_lines(text, limit, "\n"), name + ":", sink, limit,
                            sink.encoding)
            else:
                if start != UTF8_BOM:
                    handle.seek(0)
                # After a UTF-8 BOM the file is UTF-8, whatever the encoding option says.
                fallback = sink.encoding == AUTO_ENCODING and start != UTF8_BOM
                # A regular file only: the workers open it again (a pipe would be read empty).
                # With one worker too when a stage runs on the parts: each part's texts are
                # then used (and with keep_texts=False dropped) while they are in memory.
                if ((workers > 1 or stage is not None) and not compressed
                        and stat.S_ISREG(os.fstat(handle.fileno()).st_mode)):
                    return _read_in_parts(handle, path, name + ":", sink, limit, fallback,
                                          workers, stage, keep_texts)
                # A gzip file is read a line at a time: an error in its stream then comes
                # after the records before it, as they are read.
                lines = (bounded_lines(handle, limit, b"\n") if compressed
                         else block_lines(handle, limit))
                read_lines(lines, name + ":", sink, limit, fallback=fallback)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"{name}: corrupt or truncated gzip file ({exc})") from exc
    return None


def read_lines(lines: Iterator[tuple[int, Any]], source: str, sink: RecordSink,
                limit: int, encoding: str = "UTF-8", fallback: bool = False) -> None:
    """Parse each line (``(number, line)``, None for a line longer than ``limit``) into
    ``sink``; ``encoding`` names the encoding of text lines in messages, and ``fallback``
    decodes a byte line that is not UTF-8 as windows-1252. The Spark engine parses the lines
    of a split of the file with it (:mod:`reuse.spark.read`)."""
    corpus = sink.corpus
    for number, raw in lines:
        if raw is None:
            sink.bad(source, number, "too_long",
                     f"a line of more than {limit} bytes, longer than any record whose text fits "
                     f"in --max-doc-chars ({sink.max_doc_chars}) characters")
            continue
        # msgspec first: it refuses a blank line and unpaired surrogates, which the checks
        # after it then find, and takes a line as a view of the bytes read.
        try:
            record = _decode(raw)
        except _REFUSED:
            record = None
        if type(record) is dict:
            # msgspec refuses unpaired surrogates, so the strings it returns are valid.
            sink.add_parsed_record(record, source, number)
            continue
        if isinstance(raw, memoryview):
            raw = raw.tobytes()
        if not raw or raw.isspace():  # blank (isspace, unlike strip, copies nothing)
            continue
        if isinstance(raw, str) and has_surrogate(raw):
            column, byte = first_invalid(raw)
            sink.bad(source, number, "invalid_utf16" if encoding == "UTF-16" else
                     "invalid_encoding", f"column {column}: invalid {encoding}"
                     + ("" if byte is None else f" (byte 0x{byte:02x})"))
            continue
        # The careful path: it names what is wrong with the line, and keeps big integers.
        decoded_with_fallback = False
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                if fallback:
                    line, decoded_with_fallback = decode_fallback(raw), True
                else:
                    column, byte = invalid_utf8_at(raw) or (0, 0)
                    sink.bad(source, number, "invalid_utf8",
                             f"column {column}: invalid UTF-8 (byte 0x{byte:02x})")
                    continue
        else:
            line = raw
        try:
            # Without its line break, so that an error at the end names a column of this line.
            record = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            # Some messages end in "at" already ("Unterminated string starting at").
            message = exc.msg.removesuffix(" at")
            sink.bad(source, number, "malformed_json",
                     f"malformed JSON ({message} at column {exc.colno})")
            continue
        except RecursionError:
            sink.bad(source, number, "too_deep",
                     f"JSON nested more than {MAX_METADATA_DEPTH} levels deep")
            continue
        if not isinstance(record, dict):
            sink.bad(source, number, "not_an_object", f"a JSON {type(record).__name__}, not an object")
            continue
        sink.add(*split_record(record, corpus), source, number, fallback=decoded_with_fallback)
