"""A metadata file beside the input (``metadata_file``, ``--metadata-file``).

A CSV, TSV, JSONL or Parquet table with one row per document: the column named by ``id_field``
holds the document id (for a folder of ``.txt`` files, the path relative to the folder, such as
``essays/a.txt``) and every other column becomes metadata of that document, as if the input had
held it (a date field, a source, anything ``--group-by`` may use). It is read with the readers
of the input formats, as UTF-8 (or UTF-16 with a byte-order mark) in the default dialect of its
suffix, and nothing in it is ignored in silence:

* a row that cannot be read, without an id, or with an id seen before is an error naming the
  file and line (whatever ``on_error``: the file is the user's own, small, and fixable);
* a row whose id is no document of the input is an error too, or, with ``on_error="skip"``
  (where bad input records are skipped, so their rows find no document), counted in
  ``Corpus.metadata_unmatched``;
* a field that the document already has from the input with another value is an error;
* documents without a row are counted (``Corpus.no_metadata``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from .corpus import Corpus
from .delimited import DEFAULT_QUOTING, read_delimited
from .jsonl import read_jsonl
from .parquet import read_parquet
from .records import RecordSink, metadata_problem, origin_of
from .text import has_surrogate, shown


class MetadataRows(RecordSink):
    """Collects the rows of a metadata file by id; every problem is an error."""

    def __init__(self, corpus: Corpus, max_doc_chars: int) -> None:
        super().__init__(corpus, "raise", max_doc_chars)
        self.rows: dict[str, tuple[dict[str, Any], str]] = {}

    def bad(self, source: str, location: int | None, reason: str, detail: str) -> None:
        raise InputError(
            f"{origin_of(source, location)}: {detail} (a row of the metadata file; fix or remove "
            "it)"
        )

    def add(
        self, doc_id: Any, text: Any, metadata: dict[str, Any], source: str,
        location: int | None, valid_unicode: bool = False, plain_metadata: bool = False,
        fallback: bool = False,
    ) -> None:
        id_field = self.corpus.id_field
        if doc_id is None or (isinstance(doc_id, float) and doc_id != doc_id) or doc_id == "":
            self.bad(source, location, "missing_id", f"no id in the column '{id_field}'")
        if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
            self.bad(source, location, "bad_id", f"the id column '{id_field}' must hold a "
                     f"string or an integer, not {type(doc_id).__name__}")
        doc_id = str(doc_id)
        if not valid_unicode and has_surrogate(doc_id):
            self.bad(source, location, "invalid_unicode", "the id holds an unpaired surrogate "
                     "(e.g. a lone \\ud800 escape), which is not valid Unicode")
        if metadata and not plain_metadata:
            problem = metadata_problem(metadata, check_unicode=not valid_unicode)
            if problem is not None:
                self.bad(source, location, *problem)
        origin = origin_of(source, location)
        if doc_id in self.rows:
            raise InputError(
                f"{origin}: the id {doc_id!r} has a row already, at {self.rows[doc_id][1]}; a "
                "metadata file holds one row per document"
            )
        self.rows[doc_id] = (metadata, origin)


def read_metadata_file(source: Path, fmt: str, id_field: str, max_doc_chars: int
                       ) -> dict[str, tuple[dict[str, Any], str]]:
    """The rows of a metadata file of format ``fmt`` (as :func:`reuse.ingest.detect_format`
    names it): id → (metadata, origin)."""
    name = shown(str(source))
    if fmt == "txt":
        raise ConfigError(
            f"The 'metadata_file' {name} is a .txt file; a metadata file is a table (.csv, "
            ".tsv, .jsonl or .parquet) with an id column and one column per field."
        )
    # No text column: every column but the id is metadata.
    holder = Corpus(input_format=fmt, id_field=id_field, text_field=None)
    sink = MetadataRows(holder, max_doc_chars)
    try:
        if fmt == "jsonl":
            read_jsonl(source, sink)
        elif fmt in DEFAULT_QUOTING:
            read_delimited(source, sink, fmt, DEFAULT_QUOTING[fmt])
        else:
            read_parquet(source, sink)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the metadata file ({exc.strerror or exc})"
                         ) from exc
    if not sink.rows:
        raise InputError(f"{name}: the metadata file has no rows")
    return sink.rows


def merge_metadata(corpus: Corpus, rows: dict[str, tuple[dict[str, Any], str]],
                   on_error: str) -> None:
    """Add each row's fields to the metadata of its document (see the module docstring)."""
    # The positions of the rows' ids only: the corpus's ids are read chunk by chunk.
    position: dict[str, int] = {}
    for i, doc_id in enumerate(corpus.ids):
        if doc_id in rows:
            position[doc_id] = i
    matched = 0
    for doc_id, (fields, origin) in rows.items():
        i = position.get(doc_id)
        if i is None:
            if on_error == "raise":
                example = corpus.ids[0] if corpus.ids else ""
                raise InputError(
                    f"{origin}: the id {doc_id!r} is no document of the input ({len(corpus):,} "
                    f"documents, such as {example!r}). Correct the id or remove the row (with "
                    "--on-error skip such rows are counted instead)"
                )
            corpus.metadata_unmatched.append(doc_id)
            continue
        own = corpus.metadata[i]
        for key, value in fields.items():
            if key == corpus.text_field:
                raise InputError(
                    f"{origin}: the metadata file has a column {key!r}, the name of the text "
                    "field; a metadata file cannot replace a text. Rename that column"
                )
            if key in own and own[key] != value:
                raise InputError(
                    f"{origin}: the document {doc_id!r} has the field {key!r} in the input "
                    f"already, with another value ({own[key]!r} there, {value!r} here); "
                    "rename the column in one of them"
                )
        corpus.metadata[i] = {**own, **fields}
        matched += 1
    corpus.metadata_rows = len(rows)
    corpus.no_metadata = len(corpus) - matched
