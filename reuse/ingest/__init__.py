"""Input files → a :class:`Corpus`, with every input record read or accounted for.

Reads a folder of ``.txt`` files (recursively, following symbolic links; the id is the relative
path), JSONL (plain or ``.gz``; UTF-8, or UTF-16 with a byte-order mark), CSV/TSV, or Parquet.
Each record is either read into the corpus or, when the caller asked for ``on_error="skip"``,
recorded in ``Corpus.skipped`` with its origin and reason. With ``on_error="raise"`` (the
default) the first bad record raises :class:`InputError` naming the file, the line or row, and
what is wrong with it. Errors about the whole input (a duplicate id, a corrupt gzip or Parquet
file, a header without the id or text column or with a column named twice, an input without any
record) raise in both modes.

Every reader streams its input into a :class:`RecordSink`, which writes the documents to disk
a batch at a time (ingest keeps 8 bytes per document in memory, the hash of its id), and no
record is held whole beyond a bound set by ``max_doc_chars`` (the longest text, in
characters): a longer text is a bad record ``too_long``, refused unread where the format
allows. Skipped records are stored in runs (:class:`SkippedRecords`), so a file of bad records
costs almost no memory. With several workers, a plain UTF-8 JSONL file is read in parts of
whole lines by worker processes, each with a sink of its own, and added in order: the corpus,
the skipped records and the errors are those of a reading in one process. A
:class:`PartStage` fuses more work (the sketching) into those workers.

One module per concern:

* :mod:`~reuse.ingest.read`: :func:`read_corpus` and :func:`detect_format`.
* :mod:`~reuse.ingest.folder`: ``.txt`` folders and files.
* :mod:`~reuse.ingest.jsonl`, :mod:`~reuse.ingest.delimited` (CSV/TSV dialects),
  :mod:`~reuse.ingest.parquet`: the table formats.
* :mod:`~reuse.ingest.records`: the checks every record goes through, and the limits.
* :mod:`~reuse.ingest.corpus`: :class:`Corpus` and :class:`SkippedRecords`.
* :mod:`~reuse.ingest.store`: :class:`~reuse.ingest.store.DocumentStore`, the documents on
  disk, written a batch at a time as they are read.
* :mod:`~reuse.ingest.objects`: documents in memory (a pandas DataFrame, pyarrow data, an
  iterable of dict records).
* :mod:`~reuse.ingest.sidecar`: a metadata file keyed by id (``metadata_file``).
* :mod:`~reuse.ingest.text`: decoding (``encoding``), and :func:`shown`, the one spelling of names that are
  not UTF-8 (each such byte becomes ``\\xNN``).
* :mod:`~reuse.ingest.write`: :func:`write_corpus` (``--write-kept``).

Reasons a record is skipped: ``invalid_utf8``, ``invalid_utf16``, ``invalid_encoding`` (a byte
not valid in the ``encoding`` given), ``binary`` (a NUL byte in a
``.txt`` file or a CSV/TSV row), ``invalid_unicode`` (a lone surrogate escape), ``malformed_json``,
``not_an_object``, ``too_deep`` (metadata nested more than 100 levels), ``missing_id``,
``bad_id``, ``missing_text``, ``bad_text``, ``ragged_row``, ``bad_quoting``, ``too_long``,
``broken_link``, ``unreadable``, ``not_a_file``, ``duplicate_folder``.
"""

from __future__ import annotations

from ..common.inputs import DEFAULT_MAX_DOC_CHARS, QUOTING_CHOICES
from .corpus import FINGERPRINT_COVERS, Corpus, SkippedRecords, check_fingerprint_scheme
from .delimited import DEFAULT_QUOTING
from .jsonl import PartStage
from .read import (
    ON_ERROR_CHOICES,
    READ_OPTIONS,
    TABLE_SUFFIXES,
    check_read_options,
    detect_format,
    path_for_manifest,
    path_from_manifest,
    read_corpus,
    read_in_parts,
    read_options,
)
from .records import MAX_METADATA_DEPTH
from .text import AUTO_ENCODING, DEFAULT_ENCODING, FALLBACK_ENCODING, decode_text, shown
from .write import write_corpus

__all__ = [
    "AUTO_ENCODING",
    "DEFAULT_ENCODING",
    "DEFAULT_MAX_DOC_CHARS",
    "DEFAULT_QUOTING",
    "FALLBACK_ENCODING",
    "FINGERPRINT_COVERS",
    "MAX_METADATA_DEPTH",
    "ON_ERROR_CHOICES",
    "QUOTING_CHOICES",
    "READ_OPTIONS",
    "TABLE_SUFFIXES",
    "Corpus",
    "PartStage",
    "SkippedRecords",
    "check_fingerprint_scheme",
    "check_read_options",
    "decode_text",
    "detect_format",
    "path_for_manifest",
    "path_from_manifest",
    "read_corpus",
    "read_in_parts",
    "read_options",
    "shown",
    "write_corpus",
]
