"""Input files → a :class:`Corpus`, with every input record accounted for.

Reads a folder of ``.txt`` files (recursively; the id is the relative path), JSONL (plain or
``.gz``), CSV/TSV, or Parquet. Each record is either read into the corpus or, when the caller
asked for ``on_error="skip"``, recorded in ``Corpus.skipped`` with its origin and reason. With
``on_error="raise"`` (the default) the first bad record raises :class:`InputError` naming the
file, the line or row, and what is wrong with it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ConfigError, InputError, ReuseError

try:  # orjson parses a JSONL line about twice as fast; every failure falls back to json below.
    from orjson import JSONDecodeError as _FastJSONError
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a core dependency, this is a safety net
    _fast_loads = None

TABLE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".csv", ".tsv", ".parquet")
ON_ERROR_CHOICES = ("raise", "skip")

_MAX_RECORD_BYTES = 1 << 31


@dataclass
class Corpus:
    """Documents in input order, with their metadata, origins, and what was skipped."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    input_format: str = "txt"
    id_field: str = "id"
    text_field: str = "text"

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_read(self) -> int:
        """Records seen: the documents plus the skipped records."""
        return len(self.ids) + len(self.skipped)

    def metadata_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.metadata, index=pd.RangeIndex(len(self.ids)))
        frame.insert(0, "doc_id", self.ids)
        return frame

    def skipped_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.skipped, columns=["origin", "reason", "detail"])

    def fingerprint(self) -> str:
        """SHA-256 over the documents sorted by id (id, text and metadata): independent of the
        order in which files were listed."""
        digest = hashlib.sha256()
        for i in sorted(range(len(self.ids)), key=self.ids.__getitem__):
            metadata = json.dumps(self.metadata[i], sort_keys=True, ensure_ascii=False, default=str)
            for part in (self.ids[i], self.texts[i], metadata):
                data = part.encode("utf-8", "surrogatepass")
                digest.update(len(data).to_bytes(8, "little"))
                digest.update(data)
        return digest.hexdigest()


class _Reader:
    """Collects records and enforces unique ids and the on_error policy."""

    def __init__(self, corpus: Corpus, on_error: str) -> None:
        self.corpus = corpus
        self.on_error = on_error
        self.first_seen: dict[str, str] = {}

    def bad(self, origin: str, reason: str, detail: str) -> None:
        if self.on_error == "raise":
            raise InputError(f"{origin}: {detail} (use --on-error skip to skip such records)")
        self.corpus.skipped.append({"origin": origin, "reason": reason, "detail": detail})

    def add(
        self, doc_id: Any, text: Any, metadata: dict[str, Any], origin: str,
        valid_unicode: bool = False,
    ) -> None:
        """Add one record, or report it as bad. ``valid_unicode``: the parser has already
        refused unpaired surrogates (orjson does)."""
        if type(doc_id) is str and type(text) is str and valid_unicode:
            self._append(doc_id, text, metadata, origin)
            return
        if doc_id is None or (isinstance(doc_id, float) and doc_id != doc_id):
            self.bad(origin, "missing_id", f"missing id field '{self.corpus.id_field}'")
            return
        if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
            self.bad(
                origin, "bad_id", f"id field '{self.corpus.id_field}' must be a string or an "
                f"integer, not {type(doc_id).__name__}"
            )
            return
        if text is None:
            self.bad(origin, "missing_text", f"missing text field '{self.corpus.text_field}'")
            return
        if not isinstance(text, str):
            self.bad(
                origin, "bad_text", f"text field '{self.corpus.text_field}' must be a string, "
                f"not {type(text).__name__}"
            )
            return
        doc_id = str(doc_id)
        # JSON can escape a lone surrogate ("\ud800"); such a string cannot be written as UTF-8.
        for name, value in (("id", doc_id), ("text", text)):
            if _has_surrogate(value):
                self.bad(
                    origin, "invalid_unicode", f"the {name} field holds an unpaired surrogate "
                    "(e.g. a lone \\ud800 escape), which is not valid Unicode"
                )
                return
        self._append(doc_id, text, metadata, origin)

    def _append(self, doc_id: str, text: str, metadata: dict[str, Any], origin: str) -> None:
        previous = self.first_seen.setdefault(doc_id, origin)
        if previous is not origin:
            raise InputError(
                f"duplicate document id {doc_id!r}: first at {previous}, again at {origin}"
            )
        self.corpus.ids.append(doc_id)
        self.corpus.texts.append(text)
        self.corpus.metadata.append(metadata)
        self.corpus.origins.append(origin)


def decode_text(data: bytes, origin: str) -> str:
    """Decode file bytes as UTF-8 (a BOM is dropped; UTF-16 with a BOM is accepted).

    Raises :class:`InputError` naming the line and column of the first invalid byte.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{origin}: invalid UTF-16 after a UTF-16 byte-order mark") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # A column in characters: everything before the first invalid byte is valid UTF-8.
        column = len(data[line_start : exc.start].decode("utf-8")) + 1
        raise InputError(
            f"{origin}: line {line}, column {column}: invalid UTF-8 "
            f"(byte 0x{data[exc.start]:02x})"
        ) from exc


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))


def _read_txt_folder(root: Path, reader: _Reader) -> None:
    paths = sorted(
        (p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".txt"),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    if not paths:
        raise InputError(
            f"{root}: no .txt files in this folder. Point reuse at a JSONL, CSV/TSV or Parquet "
            "file to read a table of documents."
        )
    for path in paths:
        doc_id = path.relative_to(root).as_posix()
        origin = str(path)
        data = path.read_bytes()
        if _looks_binary(data):
            reader.bad(origin, "binary", "binary file (contains NUL bytes), not text")
            continue
        try:
            text = decode_text(data, origin)
        except InputError as exc:
            reason = "invalid_utf16" if "UTF-16" in str(exc) else "invalid_utf8"
            reader.bad(origin, reason, str(exc).removeprefix(f"{origin}: "))
            continue
        reader.add(doc_id, text, {}, origin)


def _split_record(record: dict[str, Any], corpus: Corpus) -> tuple[Any, Any, dict[str, Any]]:
    doc_id, text = record.get(corpus.id_field), record.get(corpus.text_field)
    if len(record) == 2 and doc_id is not None and text is not None:
        return doc_id, text, {}
    metadata = {
        k: v for k, v in record.items() if k not in (corpus.id_field, corpus.text_field)
    }
    return doc_id, text, metadata


def _jsonl_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            yield from enumerate(handle, start=1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"{path}: corrupt or truncated gzip file ({exc})") from exc


def _read_jsonl(path: Path, reader: _Reader) -> None:
    prefix = f"{path}:"
    for line_number, raw in _jsonl_lines(path):
        if not raw.strip():
            continue
        origin = prefix + str(line_number)
        if _fast_loads is not None:
            try:
                record = _fast_loads(raw)
            except _FastJSONError:
                record = None
            if type(record) is dict:
                # orjson refuses unpaired surrogates, so the strings it returns are valid.
                reader.add(*_split_record(record, reader.corpus), origin, valid_unicode=True)
                continue
        # The careful path: it names what is wrong with the line.
        try:
            line = decode_text(raw, origin)
        except InputError as exc:
            # decode_text counts lines inside this one record: keep only its column.
            detail = str(exc).removeprefix(f"{origin}: line 1, ")
            reason = "invalid_utf16" if "UTF-16" in detail else "invalid_utf8"
            reader.bad(origin, reason, detail)
            continue
        try:
            # Without its line break, so that an error at the end names a column of this line.
            record = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            # Some messages end in "at" already ("Unterminated string starting at").
            message = exc.msg.removesuffix(" at")
            reader.bad(origin, "malformed_json", f"malformed JSON ({message} at column {exc.colno})")
            continue
        except RecursionError:
            reader.bad(origin, "malformed_json", "malformed JSON (nested too deeply)")
            continue
        if not isinstance(record, dict):
            reader.bad(origin, "not_an_object", f"a JSON {type(record).__name__}, not an object")
            continue
        reader.add(*_split_record(record, reader.corpus), origin)


def _read_delimited(path: Path, reader: _Reader, delimiter: str) -> None:
    data = path.read_bytes()
    try:
        content = decode_text(data, str(path))
    except InputError as exc:
        if reader.on_error == "raise":
            raise InputError(f"{exc} (use --on-error skip to skip such records)") from exc
        # Keep the bad bytes as lone surrogates so that only the rows holding them are skipped.
        content = data.decode("utf-8", "surrogateescape")
    # The csv module refuses fields over 128 KiB by default; documents can be longer.
    previous_limit = csv.field_size_limit(_MAX_RECORD_BYTES - 1)
    try:
        _read_rows(path, reader, content, delimiter)
    finally:
        csv.field_size_limit(previous_limit)


def _read_rows(path: Path, reader: _Reader, content: str, delimiter: str) -> None:
    rows = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        raise InputError(f"{path}: empty file, expected a header row") from None
    corpus = reader.corpus
    for column in (corpus.id_field, corpus.text_field):
        if column not in header:
            raise InputError(
                f"{path}: no column {column!r} in the header (columns: {', '.join(header)}); "
                "choose columns with --id-field and --text-field"
            )
    while True:
        # A quoted field may span lines: name the record by the line it starts on.
        first_line = rows.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{path}: line {first_line}: {exc}") from exc
        origin = f"{path}:{first_line}"
        if not row:
            continue
        if len(row) != len(header):
            reader.bad(
                origin, "ragged_row", f"expected {len(header)} fields, found {len(row)}"
            )
            continue
        if any(_has_surrogate(cell) for cell in row):
            reader.bad(origin, "invalid_utf8", "invalid UTF-8")
            continue
        reader.add(*_split_record(dict(zip(header, row, strict=True)), corpus), origin)


def _has_surrogate(cell: str) -> bool:
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _read_parquet(path: Path, reader: _Reader) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: cannot read Parquet file ({exc})") from exc
    corpus = reader.corpus
    for column in (corpus.id_field, corpus.text_field):
        if column not in table.column_names:
            raise InputError(
                f"{path}: no column {column!r} (columns: {', '.join(table.column_names)}); "
                "choose columns with --id-field and --text-field"
            )
    for row_number, record in enumerate(table.to_pylist()):
        reader.add(*_split_record(record, corpus), f"{path}:row {row_number}")


def detect_format(path: Path) -> str:
    """The input format of a path: txt (a folder or one .txt file), jsonl, csv, tsv, parquet."""
    name = path.name.lower()
    if path.is_dir():
        return "txt"
    for suffix, fmt in (
        (".jsonl.gz", "jsonl"), (".json.gz", "jsonl"), (".jsonl", "jsonl"), (".ndjson", "jsonl"),
        (".json", "jsonl"), (".csv", "csv"), (".tsv", "tsv"), (".parquet", "parquet"),
        (".txt", "txt"),
    ):
        if name.endswith(suffix):
            return fmt
    raise InputError(
        f"{path}: unknown input format. Expected a folder of .txt files, or a .txt, .jsonl, "
        ".jsonl.gz, .csv, .tsv or .parquet file."
    )


def read_corpus(
    path: str | os.PathLike[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
) -> Corpus:
    """Read every record of ``path`` into a :class:`Corpus`.

    ``on_error="skip"`` records bad records in ``Corpus.skipped`` instead of raising. A
    duplicate id is always an error: which of the two to keep is the user's decision.
    """
    if on_error not in ON_ERROR_CHOICES:
        raise ConfigError(
            f"The 'on_error' parameter of read_corpus must be one of 'raise', 'skip'. "
            f"Got {on_error!r} instead."
        )
    source = Path(path)
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    fmt = detect_format(source)
    corpus = Corpus(input_format=fmt, id_field=id_field, text_field=text_field)
    reader = _Reader(corpus, on_error)
    try:
        _read_source(source, fmt, reader)
    except OSError as exc:
        where = exc.filename if exc.filename is not None else source
        raise InputError(f"{where}: cannot read ({exc.strerror or exc})") from exc
    return corpus


def _read_source(source: Path, fmt: str, reader: _Reader) -> None:
    if fmt == "txt" and source.is_dir():
        _read_txt_folder(source, reader)
    elif fmt == "txt":
        try:
            text = decode_text(source.read_bytes(), str(source))
        except InputError as exc:
            detail = str(exc).removeprefix(f"{source}: ")
            reader.bad(str(source), "invalid_utf16" if "UTF-16" in detail else "invalid_utf8",
                       detail)
        else:
            reader.add(source.name, text, {}, str(source))
    elif fmt == "jsonl":
        _read_jsonl(source, reader)
    elif fmt in ("csv", "tsv"):
        _read_delimited(source, reader, "," if fmt == "csv" else "\t")
    else:
        _read_parquet(source, reader)


def write_corpus(corpus: Corpus, keep: list[bool], destination: str | os.PathLike[str]) -> int:
    """Write the kept documents in the corpus's input format; returns how many were written."""
    try:
        return _write_corpus(corpus, keep, Path(destination))
    except OSError as exc:
        raise ReuseError(
            f"{destination}: cannot write the kept documents ({exc.strerror or exc}); "
            "choose another --write-kept path"
        ) from exc


def _write_corpus(corpus: Corpus, keep: list[bool], target: Path) -> int:
    kept = [i for i, k in enumerate(keep) if k]
    fmt = corpus.input_format
    if fmt == "txt":
        target.mkdir(parents=True, exist_ok=True)
        root = target.resolve()
        for i in kept:
            out = (target / corpus.ids[i]).resolve()
            if not out.is_relative_to(root):
                raise InputError(f"document id {corpus.ids[i]!r} would be written outside {target}")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(corpus.texts[i], encoding="utf-8", newline="")
        return len(kept)
    records = [
        {corpus.id_field: corpus.ids[i], corpus.text_field: corpus.texts[i], **corpus.metadata[i]}
        for i in kept
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        opener = gzip.open if target.name.endswith(".gz") else open
        with opener(target, "wt", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt in ("csv", "tsv"):
        frame = pd.DataFrame(records, columns=_columns(corpus))
        frame.to_csv(target, index=False, sep="," if fmt == "csv" else "\t")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Column by column with pyarrow, not through pandas, so that an integer column with
        # missing values stays integer instead of becoming float.
        columns = {c: [record.get(c) for record in records] for c in _columns(corpus)}
        pq.write_table(pa.Table.from_pydict(columns), target)
    return len(kept)


def _columns(corpus: Corpus) -> list[str]:
    columns = [corpus.id_field, corpus.text_field]
    for meta in corpus.metadata:
        for key in meta:
            if key not in columns:
                columns.append(key)
    return columns
