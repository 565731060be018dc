"""The input read by Spark: a JSONL file or a folder of ``.txt`` files at any path Spark reads
(a local path, ``file:``, ``hdfs://``, ``s3a://``... as the session's Hadoop configuration
allows), parsed and checked on the executors by the local reader's own functions
(:func:`reuse.ingest.jsonl.read_lines`, :func:`reuse.ingest.folder.add_txt_bytes` and the
checks of :class:`reuse.ingest.records.RecordSink`), so that the documents, their order, the
skipped records and the error messages are the local engine's.

* A JSONL file is read by ``spark.read.text`` (lines split on ``\\n`` only, as the local reader
  splits them), split by Spark into blocks; a line's number is the number of lines of the
  blocks before it (counted by one small aggregation, a row per block) plus its place in its
  block.
* A folder of ``.txt`` files is read by ``binaryFile`` (recursively, names ending in ``.txt``
  in any case); a file's id is its path relative to the folder.

The parsed records (documents and bad records) are written as Parquet sorted by their place in
the input (file, then line). Repeated ids are found by a ``groupBy`` of the ids, and with
``on_error="raise"`` the first bad record by a sorted ``limit(1)``: the driver raises the
error that comes first in the input, with the local reader's message. The driver then reads
the sorted parts into the :class:`~reuse.ingest.Corpus` the rest of a run needs (on its
disk, a batch at a time, as the local reader stores it).

Read by the driver as before (:func:`reuse.ingest.read_corpus`): documents in memory, and on a
local path the formats this module does not read (CSV/TSV, Parquet, ``.jsonl.gz``, a single
``.txt`` file, JSONL in UTF-16 or in an encoding other than UTF-8 and ``auto``). Those at a URI
are refused with a :class:`~reuse.errors.ConfigError` saying so.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ConfigError, InputError
from ..ingest import Corpus
from ..ingest.folder import add_txt_bytes, fits
from ..ingest.jsonl import read_lines
from ..ingest.read import detect_format, read_metadata_rows
from ..ingest.records import JSON_BYTES_PER_CHAR, RAW_SLACK_BYTES, RecordSink
from ..ingest.sidecar import merge_metadata
from ..ingest.text import AUTO_ENCODING, DEFAULT_ENCODING, UTF8_BOM, UTF16_BOMS, shown
from .dedup import WorkFolder
from .parts import part_files
from .timing import timed

PARSED_SCHEMA = ("file string, line long, source string, location long, doc_id string, "
                 "text string, metadata string, fallback boolean, reason string, detail string")
# Rows of the parsed input the driver turns into Python objects at a time.
_DRIVER_ROWS = 1024
# Bytes per row group of the parsed parts, which the driver merges.
_PARSED_ROW_GROUP_BYTES = 2 << 20
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# ``file:///x`` (as Spark lists a file) is ``file:/x`` (as it names the file in a row).
_FILE_URI_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:)//(?=/)")


@dataclass(frozen=True)
class ReadSettings:
    """What a parser on an executor needs: the read options, how the input's records are named
    in messages (``name``: the path as the user gave it), and for JSONL whether bytes that are
    not UTF-8 are decoded as windows-1252 (``encoding="auto"`` without a UTF-8 byte-order
    mark)."""

    id_field: str
    text_field: str
    max_doc_chars: int
    encoding: str
    name: str
    root: str = ""  # a folder's qualified URI, which Spark's file paths begin with
    fallback: bool = False

    def corpus(self) -> Corpus:
        return Corpus(id_field=self.id_field, text_field=self.text_field,
                      max_doc_chars=self.max_doc_chars, encoding=self.encoding)


class _BatchSink(RecordSink):
    """A sink that keeps the records of one Arrow batch as rows instead of storing them: each
    document with its source and location, each bad record as it is (whatever ``on_error``:
    the driver applies it), and no check of repeated ids (a ``groupBy`` on Spark does that)."""

    def __init__(self, settings: ReadSettings) -> None:
        super().__init__(settings.corpus(), "skip", settings.max_doc_chars, settings.encoding,
                         batch_records=sys.maxsize, batch_chars=sys.maxsize)
        self.places: list[tuple[str, str, int | None]] = []  # per document: file, source, location
        self.bad_records: list[tuple[str, str, int | None, str, str]] = []
        self.file = ""

    def add(self, doc_id: Any, text: Any, metadata: dict[str, Any], source: str,
            location: int | None, valid_unicode: bool = False, plain_metadata: bool = False,
            fallback: bool = False) -> None:
        before = self.pending
        super().add(doc_id, text, metadata, source, location, valid_unicode, plain_metadata,
                    fallback)
        if self.pending > before:
            self.places.append((self.file, source, location))

    def bad(self, source: str, location: int | None, reason: str, detail: str) -> None:
        self.bad_records.append((self.file, source, location, reason, detail))

    def check_pending(self) -> None:
        """Repeated ids are found across the whole input on Spark, not per batch."""

    def rows(self) -> pa.RecordBatch:
        ids, texts, metadata, _ = self.take_pending()
        with_fallback = set(self.corpus.decoded_with_fallback)
        n_docs, n_bad = len(ids), len(self.bad_records)
        files, sources, locations = (list(column) for column in zip(*self.places, strict=True)) \
            if n_docs else ([], [], [])
        for file, source, location, _, _ in self.bad_records:
            files.append(file)
            sources.append(source)
            locations.append(location)
        return pa.RecordBatch.from_pydict({
            "file": pa.array(files, pa.string()),
            "line": pa.array([location or 0 for location in locations], pa.int64()),
            "source": pa.array(sources, pa.string()),
            "location": pa.array(locations, pa.int64()),
            "doc_id": pa.array(ids + [None] * n_bad, pa.string()),
            "text": pa.array(texts + [None] * n_bad, pa.string()),
            "metadata": pa.array([json.dumps(meta, ensure_ascii=False) if meta else None
                                  for meta in metadata] + [None] * n_bad, pa.string()),
            "fallback": pa.array([doc_id in with_fallback for doc_id in ids] + [None] * n_bad,
                                 pa.bool_()),
            "reason": pa.array([None] * n_docs + [bad[3] for bad in self.bad_records],
                               pa.string()),
            "detail": pa.array([None] * n_docs + [bad[4] for bad in self.bad_records],
                               pa.string()),
        })


def jsonl_parser(settings: ReadSettings) -> Any:
    """Parse numbered JSONL lines (columns ``line``, ``value``: the line's bytes without its
    line break) with the local reader's line parser."""
    limit = JSON_BYTES_PER_CHAR * settings.max_doc_chars + RAW_SLACK_BYTES

    def parse(arrow_batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in arrow_batches:
            lines = _bounded(batch.column("line").to_pylist(), batch.column("value").to_pylist(),
                             limit)
            sink = _BatchSink(settings)
            read_lines(lines, settings.name + ":", sink, limit, fallback=settings.fallback)
            yield sink.rows()

    return timed("parse", parse)


def _bounded(numbers: list[int], values: list[bytes], limit: int
             ) -> Iterator[tuple[int, bytes | None]]:
    """The lines as the local reader reads them: with their line break, without the file's
    UTF-8 byte-order mark, and None for a line its bounded readline refuses unread."""
    for number, raw in zip(numbers, values, strict=True):
        if number == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM):]
        yield number, (None if len(raw) >= limit else raw + b"\n")


def txt_parser(settings: ReadSettings) -> Any:
    """Check and decode ``.txt`` files (columns ``path``, ``length``, ``content``) with the
    local reader's functions; a file's id is its path relative to the folder."""

    def parse(arrow_batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in arrow_batches:
            sink = _BatchSink(settings)
            for path, length, content in zip(batch.column("path").to_pylist(),
                                             batch.column("length").to_pylist(),
                                             batch.column("content").to_pylist(), strict=True):
                relative = path[len(settings.root):].lstrip("/")
                origin = shown(joined(settings.name, relative))
                sink.file = relative
                if fits(length, origin, sink):
                    add_txt_bytes(content, origin, shown(relative), sink)
            yield sink.rows()

    return timed("parse", parse)


def joined(folder: str, relative: str) -> str:
    """The path of a file of ``folder`` as the local reader names it."""
    if _URI.match(folder) and not Path(folder).exists():
        return folder.rstrip("/") + "/" + relative
    return str(Path(folder) / relative)


def read_input(spark: Any, source: Any, read: dict[str, Any],
               spark_dir: str | os.PathLike[str] | None) -> Corpus | None:
    """The corpus of ``source`` read by Spark; None when the driver reads it (see the module's
    docstring), a :class:`ConfigError` for a URI in a format Spark does not read here."""
    if not isinstance(source, str | os.PathLike) or not os.fspath(source):
        return None
    path = os.fspath(source)
    options, encoding = read, read["encoding"]
    is_uri = bool(_URI.match(path)) and not Path(path).exists()
    jvm_path, file_system = _hadoop_path(spark, path)
    name = shown(path if is_uri else str(Path(path)))
    if not file_system.exists(jvm_path):
        if not is_uri:
            return None  # the local reader names what is wrong
        raise InputError(f"{name}: no such file or folder")
    is_folder = file_system.getFileStatus(jvm_path).isDirectory()
    fmt = "txt" if is_folder else detect_format(Path(path))
    first = b"" if is_folder else _first_bytes(file_system, jvm_path)
    spark_reads = options["quoting"] is None and (
        (fmt == "txt" and is_folder)
        or (fmt == "jsonl" and not path.lower().endswith(".gz")
            and encoding in (DEFAULT_ENCODING, AUTO_ENCODING) and not first.startswith(UTF16_BOMS)))
    if not spark_reads:
        if is_uri:
            raise ConfigError(
                f"{name}: the Spark engine reads a JSONL file (uncompressed, UTF-8 or "
                "encoding 'auto') or a folder of .txt files at a URI; read this input from a "
                "local path, or convert it")
        return None
    settings = ReadSettings(options["id_field"], options["text_field"],
                            options["max_doc_chars"], encoding, name,
                            root=file_system.makeQualified(jvm_path).toString(),
                            fallback=encoding == AUTO_ENCODING and not first.startswith(UTF8_BOM))
    rows = (None if options["metadata_file"] is None else read_metadata_rows(
        options["metadata_file"], options["id_field"], options["max_doc_chars"]))
    work = WorkFolder(spark_dir)
    try:
        parsed = _parse(spark, settings, fmt, work)
        return _corpus(parsed, settings, fmt, options, path, work, rows)
    finally:
        work.close()


def _hadoop_path(spark: Any, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    jvm_path = jvm.org.apache.hadoop.fs.Path(path)
    return jvm_path, jvm_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _first_bytes(file_system: Any, jvm_path: Any, count: int = 3) -> bytes:
    stream = file_system.open(jvm_path)
    try:
        read = [stream.read() for _ in range(count)]
    finally:
        stream.close()
    return bytes(value for value in read if value >= 0)


def _parse(spark: Any, settings: ReadSettings, fmt: str, work: WorkFolder) -> Any:
    """The parsed records of the input, sorted by their place in it, written under ``work``."""
    from pyspark.sql import functions as F

    if fmt == "txt":
        files = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
                 .option("pathGlobFilter", "*.[tT][xX][tT]").load(settings.root))
        # A file scan reads no split of an empty file: the empty files are those Spark listed
        # (its listing is on the driver already) and read nothing of.
        listed = spark.createDataFrame([(_FILE_URI_SLASHES.sub(r"\1", path),)
                                        for path in files.inputFiles()], "path string")
        empty = (listed.join(files.select("path"), "path", "left_anti")
                 .select("path", F.lit(0).cast("long").alias("length"),
                         F.lit(b"").cast("binary").alias("content")))
        parsed = (files.select("path", "length", "content").unionByName(empty)
                  .mapInArrow(txt_parser(settings), PARSED_SCHEMA))
    else:
        lines = (spark.read.option("lineSep", "\n").text(settings.root)
                 .select(F.col("value").cast("binary").alias("value"),
                         F.col("_metadata.file_block_start").alias("block"),
                         F.monotonically_increasing_id().alias("row")))
        # One row per block of the file: where its lines start in the file's numbering.
        blocks = lines.groupBy("block").agg(F.min("row").alias("first_row"),
                                            F.count(F.lit(1)).alias("lines")).collect()
        starts, first_line = [], 1
        for block in sorted(blocks, key=lambda row: row["block"]):
            starts.append((block["block"], block["first_row"], first_line))
            first_line += block["lines"]
        offsets = spark.createDataFrame(starts or [(0, 0, 1)],
                                        "block long, first_row long, first_line long")
        numbered = lines.join(F.broadcast(offsets), "block").select(
            (F.col("row") - F.col("first_row") + F.col("first_line")).alias("line"), "value")
        parsed = numbered.mapInArrow(jsonl_parser(settings), PARSED_SCHEMA)
    # Each part sorted, merged in order by the driver as it reads them (merged_records): a
    # global sort would run the parser twice (once to sample the range bounds) and shuffle
    # every text. The merge reads a row group of every part at once: small row groups keep
    # that to a few MB a part (Parquet's 128 MB default took 2.4 GB at 1M documents).
    (parsed.sortWithinPartitions("file", "line").write.mode("overwrite")
     .option("parquet.block.size", _PARSED_ROW_GROUP_BYTES).parquet(work / "parsed"))
    return spark.read.parquet(work / "parsed")


def merged_records(folder: str) -> Iterator[dict[str, Any]]:
    """The records of the parsed parts in ``folder`` (each sorted by file and line), merged
    into the input's order, a batch of each part at a time."""

    def records(path: Path) -> Iterator[dict[str, Any]]:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_DRIVER_ROWS):
            yield from batch.to_pylist()

    return heapq.merge(*(records(path) for path in part_files(folder)),
                       key=lambda record: (record["file"], record["line"]))


def _corpus(parsed: Any, settings: ReadSettings, fmt: str, options: dict[str, Any], path: str,
            work: WorkFolder, rows: Any) -> Corpus:
    """The corpus of the parsed records: the first error in the input raised as the local
    reader raises it, else the documents stored on the driver's disk in input order."""
    from pyspark.sql import functions as F

    place = ["file", "line"]
    # Only the places of the documents: the texts stay out of the shuffles of this check.
    documents = parsed.filter(F.col("reason").isNull()).select("doc_id", *place, "source",
                                                               "location")
    firsts = (documents.groupBy("doc_id")
              .agg(F.min(F.struct(*place, "source", "location")).alias("first"),
                   F.count(F.lit(1)).alias("n")).filter(F.col("n") > 1))
    repeated = (documents.join(firsts, "doc_id")
                .filter((F.col("file") != F.col("first.file"))
                        | (F.col("line") != F.col("first.line")))
                .orderBy(*place).limit(1).collect())
    first_bad = (parsed.filter(F.col("reason").isNotNull()).orderBy(*place).limit(1).collect()
                 if options["on_error"] == "raise" else [])
    corpus_settings = {
        "input_format": fmt, "id_field": settings.id_field, "text_field": settings.text_field,
        "max_doc_chars": settings.max_doc_chars, "encoding": settings.encoding,
        "on_error": options["on_error"],
        "metadata_file": (None if options["metadata_file"] is None
                          else os.fspath(options["metadata_file"])),
        "source": path}
    reading = Corpus(**corpus_settings)
    if repeated and not (first_bad and (first_bad[0]["file"], first_bad[0]["line"])
                         < (repeated[0]["file"], repeated[0]["line"])):
        row, earlier = repeated[0], repeated[0]["first"]
        check = RecordSink(reading, "raise", settings.max_doc_chars)
        check.add(row["doc_id"], "", {}, earlier["source"], earlier["location"], True)
        check.add(row["doc_id"], "", {}, row["source"], row["location"], True)
        check.check_pending()  # raises the local reader's duplicate-id error
    if first_bad:
        row = first_bad[0]
        RecordSink(reading, "raise", settings.max_doc_chars).bad(
            row["source"], row["location"], row["reason"], row["detail"])
    sink = RecordSink(reading, options["on_error"], settings.max_doc_chars, settings.encoding)
    try:
        for record in merged_records(work / "parsed"):
            if record["reason"] is not None:
                sink.bad(record["source"], record["location"], record["reason"],
                         record["detail"])
                continue
            if fmt == "txt" and record["doc_id"] != record["file"]:
                reading.file_names[record["doc_id"]] = record["file"]
            metadata = json.loads(record["metadata"]) if record["metadata"] else {}
            sink.add(record["doc_id"], record["text"], metadata, record["source"],
                     record["location"], valid_unicode=True, fallback=record["fallback"])
        store = sink.finish()
    except BaseException:
        if sink.store is not None:
            sink.store.close()
        raise
    corpus = Corpus.stored(store, **corpus_settings, skipped=reading.skipped,
                           file_names=reading.file_names,
                           decoded_with_fallback=reading.decoded_with_fallback)
    if corpus.n_read == 0:
        corpus.close()
        if fmt == "txt" and not len(corpus.skipped):
            raise InputError(
                f"{settings.name}: no .txt files in this folder. Point reuse at a JSONL, "
                "CSV/TSV or Parquet file to read a table of documents.")
        raise InputError(f"{settings.name}: no records in this file; an empty input is an "
                         "error (check the path)")
    if rows is not None:
        try:
            merge_metadata(corpus, rows, options["on_error"])
        except BaseException:
            corpus.close()
            raise
    return corpus
