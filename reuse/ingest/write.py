"""The kept documents of a corpus, written back in its input format (``--write-kept``).

What is written reads back record for record: CSV/TSV in the dialect the input was read with,
JSON with exact integers, ``.txt`` files under their original (byte-exact) names. Texts are
written as UTF-8 whatever ``encoding`` they were read with (they read back with the default).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError, ReuseError
from .corpus import Corpus
from .delimited import DEFAULT_QUOTING


def write_corpus(corpus: Corpus, keep: list[bool], destination: str | os.PathLike[str]) -> int:
    """Write the kept documents in the corpus's input format; returns how many were written.

    Everything is written to a temporary name beside ``destination`` first and then takes its
    place whole: a folder of ``.txt`` files written by an earlier run is replaced, not added to
    (the caller has checked that ``destination`` is new, empty, or written by reuse), and an
    interrupted or failed write leaves the earlier output as it was."""
    target = Path(destination)
    # A name no other file has: nothing but what this call writes is ever removed.
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging = target.with_name(f".{target.name}.tmp-{token}")
    old = target.with_name(f".{target.name}.old-{token}")
    try:
        written = _write_corpus(corpus, keep, staging, target.name)
        replacing = corpus.input_format == "txt" and target.is_dir()
        if replacing:
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except OSError:
            if replacing:
                os.replace(old, target)
            raise
        _remove(old)
        return written
    except OSError as exc:
        raise ReuseError(
            f"{destination}: cannot write the kept documents ({exc.strerror or exc}); "
            "choose another --write-kept path"
        ) from exc
    finally:
        _remove(staging)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _kept(corpus: Corpus, keep: list[bool]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(id, text, metadata) of the kept documents, read in order (a corpus on disk is read
    chunk by chunk, not document by document)."""
    for kept, doc_id, text, metadata in zip(keep, corpus.ids, corpus.texts, corpus.metadata,
                                            strict=True):
        if kept:
            yield doc_id, text, metadata


def _write_corpus(corpus: Corpus, keep: list[bool], target: Path, name: str) -> int:
    n_kept = sum(map(bool, keep))
    fmt = corpus.input_format
    if fmt == "txt":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.mkdir()
        root = target.resolve()
        for doc_id, text, _ in _kept(corpus, keep):
            name = corpus.file_names.get(doc_id, doc_id)
            out = (target / name).resolve()
            if not out.is_relative_to(root):
                raise InputError(f"document id {doc_id!r} would be written outside {target}")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8", newline="")
        return n_kept
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("csv", "tsv"):
        _write_delimited(corpus, keep, target, fmt)
        return n_kept
    records = (
        {corpus.id_field: doc_id, corpus.text_field: text, **metadata}
        for doc_id, text, metadata in _kept(corpus, keep)
    )
    if fmt == "jsonl":
        opener = gzip.open if name.endswith(".gz") else open
        with opener(target, "wt", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Column by column with pyarrow, not through pandas, so that an integer column with
        # missing values stays integer instead of becoming float.
        listed = list(records)
        columns = {c: [record.get(c) for record in listed] for c in _columns(corpus)}
        pq.write_table(pa.Table.from_pydict(columns), target)
    return n_kept


def _write_delimited(corpus: Corpus, keep: list[bool], target: Path, fmt: str) -> None:
    columns = _columns(corpus)
    quoting = corpus.quoting or DEFAULT_QUOTING[fmt]

    def rows() -> Iterator[list[str]]:
        yield columns
        for doc_id, text, metadata in _kept(corpus, keep):
            record = {corpus.id_field: doc_id, corpus.text_field: text, **metadata}
            yield ["" if record.get(c) is None else str(record[c]) for c in columns]

    if quoting == "none":
        # Checked before anything is written: a literal TSV field cannot hold a tab or a line
        # break.
        for row in rows():
            for column, cell in zip(columns, row, strict=True):
                if "\t" in cell or "\n" in cell or "\r" in cell:
                    raise InputError(
                        f"document {row[0]!r}: its field {column!r} holds a tab or a line break, "
                        "which a TSV without quoting cannot hold; read the input with "
                        "--quoting csv to write it quoted"
                    )
    with open(target, "w", encoding="utf-8", newline="") as handle:
        if quoting == "none":
            handle.writelines("\t".join(row) + "\n" for row in rows())
        else:
            # With \r\n line ends (RFC 4180) the writer quotes a field holding a lone \r,
            # which a reader takes for a line break otherwise.
            writer = csv.writer(handle, delimiter="," if fmt == "csv" else "\t")
            writer.writerows(rows())


def _columns(corpus: Corpus) -> list[str]:
    columns = [corpus.id_field, corpus.text_field]
    for meta in corpus.metadata:
        for key in meta:
            if key not in columns:
                columns.append(key)
    return columns
