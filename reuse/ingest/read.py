"""Which reader a path needs, and :func:`read_corpus`, which runs it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..common.inputs import DEFAULT_MAX_DOC_CHARS, QUOTING_CHOICES
from ..engine import resolve_workers
from ..errors import ConfigError, InputError, RunFolderError
from .corpus import Corpus
from .delimited import DEFAULT_QUOTING, read_delimited
from .folder import read_txt_file, read_txt_folder
from .jsonl import JsonlRecords, PartStage, read_jsonl
from .objects import object_format, object_name, read_object
from .parquet import read_parquet
from .records import RecordSink
from .reread import TextsFromInput
from .sidecar import merge_metadata, read_metadata_file
from .text import DEFAULT_ENCODING, check_encoding, shown

if TYPE_CHECKING:
    from .store import DocumentStore

TABLE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".csv", ".tsv", ".parquet")
ON_ERROR_CHOICES = ("raise", "skip")
# The keyword arguments of read_corpus that decide what is read (the pipeline functions take them
# too, and the manifest's input block records them).
READ_OPTIONS = ("id_field", "text_field", "on_error", "quoting", "max_doc_chars", "encoding",
                "metadata_file")


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
        f"{shown(str(path))}: unknown input format. Expected a folder of .txt files, or a .txt, "
        ".jsonl, .jsonl.gz, .csv, .tsv or .parquet file."
    )


def read_in_parts(source: Any) -> bool:
    """Whether :func:`read_corpus` reads ``source`` in parts, so that a ``part_stage`` runs on
    each part's texts as they are read, whatever the number of workers: a plain (not gzipped)
    JSONL file, judged by its name. (A file whose encoding rules the parts out is found so
    when it is read, and then read whole.)"""
    if not isinstance(source, str | os.PathLike) or not os.fspath(source):
        return False
    path = Path(source)
    try:
        return (path.is_file() and not path.name.lower().endswith(".gz")
                and detect_format(path) == "jsonl")
    except (InputError, OSError):
        return False


def read_metadata_rows(metadata_file: str | os.PathLike[str], id_field: str,
                       max_doc_chars: int) -> dict[str, tuple[dict[str, Any], str]]:
    """The rows of a metadata file (:func:`~reuse.ingest.sidecar.read_metadata_file`), after
    checking that it is a file."""
    metadata_path = Path(metadata_file)
    if not metadata_path.is_file():
        raise InputError(f"{shown(str(metadata_path))}: no such metadata file"
                         if not metadata_path.exists() else
                         f"{shown(str(metadata_path))}: the metadata file is not a file")
    return read_metadata_file(metadata_path, detect_format(metadata_path), id_field,
                              max_doc_chars)


def path_for_manifest(source: str | os.PathLike[str], key: str = "path") -> dict[str, str]:
    """The manifest's record of a path: ``key`` is valid Unicode (a byte that is not UTF-8 is
    spelt ``\\xNN``); when that spelling differs from the real name, ``key_bytes`` holds the
    name's bytes in hex, so that the report can read the input again."""
    path = os.fspath(source)
    fields = {key: shown(path)}
    if fields[key] != path:
        fields[f"{key}_bytes"] = os.fsencode(path).hex()
    return fields


def path_from_manifest(spec: dict[str, Any], key: str = "path") -> str | None:
    """The path recorded by :func:`path_for_manifest` under ``key`` (and ``key_bytes``); None
    when there is none."""
    if spec.get(f"{key}_bytes") is None:
        return spec.get(key)
    try:
        return os.fsdecode(bytes.fromhex(spec[f"{key}_bytes"]))
    except (TypeError, ValueError):
        raise RunFolderError(
            f"the manifest's input.{key}_bytes {spec[f'{key}_bytes']!r} is not hexadecimal: the "
            "manifest was changed or not written by reuse; run the pipeline again"
        ) from None


def check_read_options(on_error: str, quoting: str | None, max_doc_chars: int,
                       encoding: str = DEFAULT_ENCODING, metadata_file: Any = None, *,
                       owner: str = "read_corpus") -> str:
    """Validate the read options (a :class:`ConfigError` names the bad one and ``owner``, the
    function the user called); returns the canonical name of ``encoding``."""
    if on_error not in ON_ERROR_CHOICES:
        raise ConfigError(
            f"The 'on_error' parameter of {owner} must be one of 'raise', 'skip'. "
            f"Got {on_error!r} instead."
        )
    if quoting is not None and quoting not in QUOTING_CHOICES:
        raise ConfigError(
            f"The 'quoting' parameter of {owner} must be one of 'csv', 'none' or None. "
            f"Got {quoting!r} instead."
        )
    if isinstance(max_doc_chars, bool) or not isinstance(max_doc_chars, int) or max_doc_chars < 1:
        raise ConfigError(
            f"The 'max_doc_chars' parameter of {owner} must be an integer >= 1. "
            f"Got {max_doc_chars!r} instead."
        )
    if metadata_file is not None and (not isinstance(metadata_file, str | os.PathLike)
                                      or not os.fspath(metadata_file)):
        raise ConfigError(
            f"The 'metadata_file' parameter of {owner} must be the path of a table or None. "
            f"Got {metadata_file!r} instead."
        )
    return check_encoding(encoding, owner)


def read_options(spec: dict[str, Any], counts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The keyword arguments of :func:`read_corpus` that read the input as a run did, from the
    manifest's ``input`` block (``counts``: the run's counts, for manifests written before
    ``on_error`` was recorded)."""
    on_error = spec.get("on_error")
    if on_error is None:
        on_error = "skip" if (counts or {}).get("skipped", 0) > 0 else "raise"
    options = {
        "id_field": spec.get("id_field", "id"), "text_field": spec.get("text_field", "text"),
        "on_error": on_error, "quoting": spec.get("quoting"),
        "max_doc_chars": spec.get("max_doc_chars") or DEFAULT_MAX_DOC_CHARS,
        "encoding": spec.get("encoding") or DEFAULT_ENCODING,
    }
    metadata = path_from_manifest(spec, "metadata_file")
    if metadata is not None:
        options["metadata_file"] = metadata
    return options


def read_corpus(
    path: str | os.PathLike[str] | Any,
    *,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    encoding: str = DEFAULT_ENCODING,
    metadata_file: str | os.PathLike[str] | None = None,
    quiet: bool = True,
    store_dir: str | os.PathLike[str] | None = None,
    on_flush: Callable[[DocumentStore], None] | None = None,
    workers: int = 1,
    part_stage: PartStage | None = None,
    keep_texts: bool = True,
) -> Corpus:
    """Read every record of ``path`` into a :class:`Corpus`.

    ``path`` is a file or folder, or documents in memory: a pandas DataFrame, a pyarrow
    Table, RecordBatchReader or Dataset, or an iterable of dict records (see
    :mod:`reuse.ingest.objects`), whose rows are checked as a file's are.

    ``on_error="skip"`` records bad records in ``Corpus.skipped`` instead of raising. A
    duplicate id is always an error: which of the two to keep is the user's decision.
    ``quoting`` is the CSV/TSV dialect: ``"csv"`` (RFC 4180 quotes, the default for .csv) or
    ``"none"`` (every field literal, the default for .tsv). A text longer than
    ``max_doc_chars`` characters is a bad record (``too_long``), refused without being read
    whole where the format allows. An input without any record is an error.

    ``encoding`` is ``"utf-8"`` (strict), ``"auto"`` (UTF-8, else windows-1252, per document,
    listed in ``Corpus.decoded_with_fallback``) or a Python text codec applied to every file
    (see :mod:`reuse.ingest.text`); Parquet is always UTF-8. ``metadata_file`` is a table of
    metadata keyed by ``id_field``, merged into the documents' metadata (see
    :mod:`reuse.ingest.sidecar`). ``quiet=False`` shows a progress bar on a terminal.

    The documents are written to disk as they are read, a batch at a time, in a temporary
    folder under ``store_dir`` (default: :func:`tempfile.gettempdir`) that is removed with the
    corpus (or by :meth:`Corpus.close`); see :mod:`reuse.ingest.store`. ``on_flush(store)`` is
    called after each batch is written (the store then holds every document read so far), so
    that a caller can start work on them while the rest is read. With ``workers`` > 1, a
    plain UTF-8 JSONL file is read in parts by that many worker processes (see
    :mod:`reuse.ingest.jsonl`); the corpus is the same. A ``part_stage`` then runs its function
    in those workers on each part's texts, and its documents go to ``part_stage.consume``
    instead of ``on_flush``; with a ``part_stage``, such a file is read in parts even by one
    worker (in this process). ``keep_texts=False`` then leaves the texts that the stage had out
    of the store (they are neither written nor sent back from the workers): the corpus's texts
    cannot be read (:class:`~reuse.ingest.store.TextsNotKept`), the rest can. An input not read
    in parts keeps its texts whatever ``keep_texts`` says.
    """
    encoding = check_read_options(on_error, quoting, max_doc_chars, encoding, metadata_file)
    workers = resolve_workers(workers, "read_corpus")
    in_memory = object_format(path)
    if in_memory is not None:
        source: Path | Any = path
        fmt = in_memory
        name = object_name(path)
        if fmt == "arrow" and not hasattr(path, "schema"):
            raise ConfigError(
                f"read_corpus reads a pyarrow Table, RecordBatch, RecordBatchReader or Dataset; "
                f"got a {type(path).__name__}.")
        for option, value, default in (("quoting", quoting, None),
                                       ("encoding", encoding, DEFAULT_ENCODING)):
            if value != default:
                raise ConfigError(
                    f"The {option!r} parameter applies to files; a {name} holds decoded text. "
                    "Leave it out.")
    else:
        if not os.fspath(path):
            raise ConfigError("the input path is empty; name a file or folder ('.' for this "
                              "folder)")
        source = Path(path)
        name = shown(str(source))
        if not source.exists():
            if source.is_symlink():
                raise InputError(f"{name}: a symbolic link to nothing")
            raise InputError(f"{name}: no such file or folder")
        fmt = detect_format(source)
        if quoting is not None and fmt not in DEFAULT_QUOTING:
            raise ConfigError(
                f"The 'quoting' parameter applies to CSV and TSV input only; {name} is "
                f"{fmt}. Leave it out."
            )
        if fmt == "parquet" and encoding != DEFAULT_ENCODING:
            raise ConfigError(
                f"The 'encoding' parameter applies to .txt, JSONL and CSV/TSV input; Parquet "
                f"({name}) always holds UTF-8. Leave it out."
            )
    # Read first: a mistake in the metadata file is found before a long read of the input.
    rows = (None if metadata_file is None
            else read_metadata_rows(metadata_file, id_field, max_doc_chars))
    settings = {"input_format": fmt, "id_field": id_field, "text_field": text_field,
                "max_doc_chars": max_doc_chars, "encoding": encoding, "on_error": on_error,
                "metadata_file": None if metadata_file is None else os.fspath(metadata_file),
                "source": None if in_memory is not None else os.fspath(path)}
    reading = Corpus(**settings)
    from ..common.progress import progress  # tqdm: not loaded by `reuse --help`

    sink = RecordSink(reading, on_error, max_doc_chars, encoding, store_dir=store_dir,
                      on_flush=on_flush)
    records: JsonlRecords | None = None
    try:
        with progress(None, "ingest", quiet) as bar:
            sink.progress = None if bar.disable else bar
            try:
                if in_memory is not None:
                    read_object(source, fmt, sink)
                else:
                    records = _read_into(reading, source, fmt, quoting, sink, workers,
                                         part_stage, keep_texts)
            except InputError:
                sink.check_pending()  # a repeated id before the error is reported first
                raise
        store = sink.finish()
    except BaseException:
        if sink.store is not None:
            sink.store.close()
        raise
    texts_back = (TextsFromInput(store, records)
                  if records is not None and not store.texts_kept and store.has_spans else None)
    corpus = Corpus.stored(store, **settings, quoting=reading.quoting, skipped=reading.skipped,
                           file_names=reading.file_names,
                           decoded_with_fallback=reading.decoded_with_fallback,
                           texts_back=texts_back)
    if corpus.n_read == 0:
        corpus.close()
        raise InputError(f"{name}: no records in this file; an empty input is an "
                         "error (check the path)" if in_memory is None else
                         f"{name}: no records; an empty input is an error")
    if rows is not None:
        try:
            merge_metadata(corpus, rows, on_error)
        except BaseException:
            corpus.close()
            raise
    return corpus


def _read_into(corpus: Corpus, source: Path, fmt: str, quoting: str | None,
               sink: RecordSink, workers: int = 1, part_stage: PartStage | None = None,
               keep_texts: bool = True) -> JsonlRecords | None:
    """Read ``source`` into ``sink``; returns how the texts are read back from it when they
    were not kept (a JSONL file read in parts), else None."""
    try:
        if fmt == "txt" and source.is_dir():
            read_txt_folder(source, sink)
        elif fmt == "txt":
            doc_id = shown(source.name)
            if doc_id != source.name:
                corpus.file_names[doc_id] = source.name
            read_txt_file(source, doc_id, sink)
        elif fmt == "jsonl":
            return read_jsonl(source, sink, workers, part_stage, keep_texts)
        elif fmt in DEFAULT_QUOTING:
            corpus.quoting = quoting or DEFAULT_QUOTING[fmt]
            read_delimited(source, sink, fmt, corpus.quoting)
        else:
            read_parquet(source, sink)
    except OSError as exc:
        where = shown(os.fsdecode(exc.filename)) if exc.filename is not None else shown(str(source))
        raise InputError(f"{where}: cannot read ({exc.strerror or exc})") from exc
    return None
