"""Which reader a path needs, and :func:`read_corpus`, which runs it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError, RunFolderError
from .corpus import Corpus
from .delimited import DEFAULT_QUOTING, QUOTING_CHOICES, read_delimited
from .folder import read_txt_file, read_txt_folder
from .jsonl import read_jsonl
from .parquet import read_parquet
from .records import DEFAULT_MAX_DOC_CHARS, RecordSink
from .text import shown

TABLE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".csv", ".tsv", ".parquet")
ON_ERROR_CHOICES = ("raise", "skip")


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


def path_for_manifest(source: str | os.PathLike[str]) -> dict[str, str]:
    """The manifest's record of an input path: ``path`` is valid Unicode (a byte that is not
    UTF-8 is spelt ``\\xNN``); when that spelling differs from the real name, ``path_bytes``
    holds the name's bytes in hex, so that the report can read the input again."""
    path = os.fspath(source)
    fields = {"path": shown(path)}
    if fields["path"] != path:
        fields["path_bytes"] = os.fsencode(path).hex()
    return fields


def path_from_manifest(spec: dict[str, Any]) -> str | None:
    """The input path recorded by :func:`path_for_manifest` (None when there is none)."""
    if spec.get("path_bytes") is None:
        return spec.get("path")
    try:
        return os.fsdecode(bytes.fromhex(spec["path_bytes"]))
    except (TypeError, ValueError):
        raise RunFolderError(
            f"the manifest's input.path_bytes {spec['path_bytes']!r} is not hexadecimal: the "
            "manifest was changed or not written by reuse; run the pipeline again"
        ) from None


def check_read_options(on_error: str, quoting: str | None, max_doc_chars: int) -> None:
    """Validate the read options (a :class:`ConfigError` names the bad one)."""
    if on_error not in ON_ERROR_CHOICES:
        raise ConfigError(
            f"The 'on_error' parameter of read_corpus must be one of 'raise', 'skip'. "
            f"Got {on_error!r} instead."
        )
    if quoting is not None and quoting not in QUOTING_CHOICES:
        raise ConfigError(
            f"The 'quoting' parameter of read_corpus must be one of 'csv', 'none' or None. "
            f"Got {quoting!r} instead."
        )
    if isinstance(max_doc_chars, bool) or not isinstance(max_doc_chars, int) or max_doc_chars < 1:
        raise ConfigError(
            f"The 'max_doc_chars' parameter of read_corpus must be an integer >= 1. "
            f"Got {max_doc_chars!r} instead."
        )


def read_corpus(
    path: str | os.PathLike[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
) -> Corpus:
    """Read every record of ``path`` into a :class:`Corpus`.

    ``on_error="skip"`` records bad records in ``Corpus.skipped`` instead of raising. A
    duplicate id is always an error: which of the two to keep is the user's decision.
    ``quoting`` is the CSV/TSV dialect: ``"csv"`` (RFC 4180 quotes, the default for .csv) or
    ``"none"`` (every field literal, the default for .tsv). A text longer than
    ``max_doc_chars`` characters is a bad record (``too_long``), refused without being read
    whole where the format allows. An input without any record is an error.
    """
    check_read_options(on_error, quoting, max_doc_chars)
    if not os.fspath(path):
        raise ConfigError("the input path is empty; name a file or folder ('.' for this folder)")
    source = Path(path)
    if not source.exists():
        if source.is_symlink():
            raise InputError(f"{shown(str(source))}: a symbolic link to nothing")
        raise InputError(f"{shown(str(source))}: no such file or folder")
    fmt = detect_format(source)
    if quoting is not None and fmt not in DEFAULT_QUOTING:
        raise ConfigError(
            f"The 'quoting' parameter applies to CSV and TSV input only; {shown(str(source))} is "
            f"{fmt}. Leave it out."
        )
    corpus = Corpus(input_format=fmt, id_field=id_field, text_field=text_field,
                    max_doc_chars=max_doc_chars)
    sink = RecordSink(corpus, on_error, max_doc_chars)
    try:
        if fmt == "txt" and source.is_dir():
            read_txt_folder(source, sink)
        elif fmt == "txt":
            doc_id = shown(source.name)
            if doc_id != source.name:
                corpus.file_names[doc_id] = source.name
            read_txt_file(source, doc_id, sink)
        elif fmt == "jsonl":
            read_jsonl(source, sink)
        elif fmt in DEFAULT_QUOTING:
            corpus.quoting = quoting or DEFAULT_QUOTING[fmt]
            read_delimited(source, sink, fmt, corpus.quoting)
        else:
            read_parquet(source, sink)
    except OSError as exc:
        where = shown(os.fsdecode(exc.filename)) if exc.filename is not None else shown(str(source))
        raise InputError(f"{where}: cannot read ({exc.strerror or exc})") from exc
    if corpus.n_read == 0:
        raise InputError(f"{shown(str(source))}: no records in this file; an empty input is an "
                         "error (check the path)")
    return corpus
