"""Records → the corpus: every record is checked, and either added or reported as bad.

A :class:`RecordSink` enforces unique ids, the length limit (``max_doc_chars``), the depth limit
of metadata, and the ``on_error`` policy: a bad record raises :class:`InputError` naming its
origin, or is recorded in ``Corpus.skipped`` with its reason.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from .corpus import Corpus
from .store import DocumentStore, EncodedDocuments, IdHashes, encode_documents
from .text import DEFAULT_ENCODING, has_surrogate, is_wide

# A batch of documents is written to the store once it holds this many records or characters
# of text: what ingest holds in memory beyond 8 bytes per document read.
BATCH_RECORDS = 4096
BATCH_CHARS = 2 << 20
MAX_METADATA_DEPTH = 100
# Room for the id, the metadata and the syntax around a text of max_doc_chars characters when
# a raw record (a JSONL line, a CSV record) is refused before it is parsed.
RAW_SLACK_BYTES = 1 << 20
# Bytes per character of a text at most: 4 in UTF-8, 12 in JSON (an astral character written
# as two \uXXXX escapes); characters per character in a CSV field: 2 (a quote is doubled).
UTF8_BYTES_PER_CHAR = 4
JSON_BYTES_PER_CHAR = 12
DELIMITED_CHARS_PER_CHAR = 2


def origin_of(source: str, location: int | None) -> str:
    return source if location is None else source + str(location)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def metadata_problem(metadata: dict[str, Any], check_unicode: bool) -> tuple[str, str] | None:
    """(reason, detail) when a metadata value is nested deeper than MAX_METADATA_DEPTH, or,
    with ``check_unicode``, holds an unpaired surrogate; None when the metadata is fine.

    Iterative, so that no depth of nesting can exhaust the stack.
    """
    if not check_unicode and _SCALARS.issuperset(map(type, metadata.values())):
        return None  # the common case: nothing nested, nothing to check
    for key, value in metadata.items():
        if check_unicode and has_surrogate(key):
            return "invalid_unicode", (
                "a metadata field name holds an unpaired surrogate (e.g. a lone \\ud800 escape), "
                "which is not valid Unicode")
        if type(value) is str:
            if check_unicode and has_surrogate(value):
                return "invalid_unicode", (
                    f"the metadata field {key!r} holds an unpaired surrogate (e.g. a lone \\ud800 "
                    "escape), which is not valid Unicode")
            continue
        if not isinstance(value, dict | list | tuple):
            continue
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_METADATA_DEPTH:
                return "too_deep", (
                    f"the metadata field {key!r} is nested more than {MAX_METADATA_DEPTH} "
                    "levels deep")
            children = item.values() if isinstance(item, dict) else item
            if check_unicode and isinstance(item, dict) and any(
                    isinstance(k, str) and has_surrogate(k) for k in item):
                return "invalid_unicode", (
                    f"the metadata field {key!r} holds an unpaired surrogate (e.g. a lone "
                    "\\ud800 escape), which is not valid Unicode")
            for child in children:
                if isinstance(child, dict | list | tuple):
                    stack.append((child, depth + 1))
                elif check_unicode and isinstance(child, str) and has_surrogate(child):
                    return "invalid_unicode", (
                        f"the metadata field {key!r} holds an unpaired surrogate (e.g. a lone "
                        "\\ud800 escape), which is not valid Unicode")
    return None


class RecordSink:
    """Collects records into a corpus and enforces unique ids, the limits and on_error.

    Documents are written to a :class:`DocumentStore` a batch at a time (``batch_records``
    records or ``batch_chars`` characters of text): the sink never holds more than one batch.
    A repeated id is found through the ids' 64-bit hashes (:class:`IdHashes`) and confirmed
    against the stored ids; it is reported at the document where it appears again, before any
    error about a later record (:meth:`check_pending`).
    """

    def __init__(self, corpus: Corpus, on_error: str, max_doc_chars: int,
                 encoding: str = DEFAULT_ENCODING, progress: Any = None, *,
                 store_dir: str | os.PathLike[str] | None = None,
                 batch_records: int | None = None, batch_chars: int | None = None,
                 on_flush: Callable[[DocumentStore], None] | None = None) -> None:
        self.corpus = corpus
        self.on_error = on_error
        self.max_doc_chars = max_doc_chars
        self.encoding = encoding
        self.wide_encoding = is_wide(encoding)
        self.progress = progress  # a progress bar counting records, or None
        self.store_dir = store_dir
        self.batch_records = BATCH_RECORDS if batch_records is None else batch_records
        self.batch_chars = BATCH_CHARS if batch_chars is None else batch_chars
        self.store: DocumentStore | None = None
        self.on_flush = on_flush  # called with the store after each batch is written
        self.id_hashes = IdHashes()
        self._ids: list[str] = []
        self._texts: list[str] = []
        self._metadata: list[dict[str, Any]] = []
        self._origins: list[str] = []
        self._locations: list[int | None] = []
        # A sink with an add of its own (a metadata file's rows, a Spark batch) sees every
        # record through it: add_parsed_record takes no shortcut past it.
        self._plain_add = type(self).add is RecordSink.add
        self._hashes: list[int] = []
        self._chars = 0
        self._checked = 0  # pending documents checked for repeated ids

    @property
    def pending(self) -> int:
        """Documents added but not yet written to the store."""
        return len(self._ids)

    def bad(self, source: str, location: int | None, reason: str, detail: str) -> None:
        """A bad record at ``source`` + ``location``: raise, or record it as skipped."""
        if self.on_error == "raise":
            self.check_pending()
            raise InputError(bad_record_message(source, location, detail))
        self.corpus.skipped.add(source, location, reason, detail)
        if self.progress is not None:
            self.progress.update()

    def too_long(self, source: str, location: int | None, length: int) -> None:
        self.bad(source, location, "too_long",
                 f"the text has {length} characters, more than --max-doc-chars "
                 f"({self.max_doc_chars})")

    def add(
        self, doc_id: Any, text: Any, metadata: dict[str, Any], source: str,
        location: int | None, valid_unicode: bool = False, plain_metadata: bool = False,
        fallback: bool = False,
    ) -> None:
        """Add one record, or report it as bad. ``valid_unicode``: the parser has already
        refused unpaired surrogates (msgspec does); ``plain_metadata``: every metadata value is
        a string (CSV), so there is no nesting to check; ``fallback``: the record was decoded
        with the fallback encoding of ``encoding="auto"``."""
        if type(doc_id) is str and type(text) is str and valid_unicode and (
                plain_metadata or not metadata
                or _SCALARS.issuperset(map(type, metadata.values()))):
            if len(text) > self.max_doc_chars:
                self.too_long(source, location, len(text))
                return
            self._append(doc_id, text, metadata, source, location, fallback)
            return
        corpus = self.corpus
        if doc_id is None or (isinstance(doc_id, float) and doc_id != doc_id):
            self.bad(source, location, "missing_id", f"missing id field '{corpus.id_field}'")
            return
        if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
            self.bad(
                source, location, "bad_id", f"id field '{corpus.id_field}' must be a string or "
                f"an integer, not {type(doc_id).__name__}"
            )
            return
        if text is None:
            self.bad(source, location, "missing_text", f"missing text field '{corpus.text_field}'")
            return
        if not isinstance(text, str):
            self.bad(
                source, location, "bad_text", f"text field '{corpus.text_field}' must be a "
                f"string, not {type(text).__name__}"
            )
            return
        doc_id = str(doc_id)
        if not valid_unicode:
            # JSON can escape a lone surrogate ("\ud800"); such a string cannot be written as
            # UTF-8.
            for name, value in (("id", doc_id), ("text", text)):
                if has_surrogate(value):
                    self.bad(
                        source, location, "invalid_unicode", f"the {name} field holds an unpaired "
                        "surrogate (e.g. a lone \\ud800 escape), which is not valid Unicode"
                    )
                    return
        if metadata and not plain_metadata:
            problem = metadata_problem(metadata, check_unicode=not valid_unicode)
            if problem is not None:
                self.bad(source, location, *problem)
                return
        if len(text) > self.max_doc_chars:
            self.too_long(source, location, len(text))
            return
        self._append(doc_id, text, metadata, source, location, fallback)

    def add_parsed_record(self, record: dict[str, Any], source: str, location: int | None
                          ) -> None:
        """:meth:`add` of the record a JSON parser that refuses unpaired surrogates gave
        (``valid_unicode``): its id, its text and every other field as metadata."""
        corpus = self.corpus
        doc_id, text = record.get(corpus.id_field), record.get(corpus.text_field)
        # The common record, {id: str, text: str}, without the checks it passes anyway.
        if (self._plain_add and len(record) == 2 and type(doc_id) is str and type(text) is str
                and len(text) <= self.max_doc_chars):
            self._append(doc_id, text, {}, source, location)
            return
        self.add(*split_record(record, corpus), source, location, valid_unicode=True)

    def _append(self, doc_id: str, text: str, metadata: dict[str, Any], source: str,
                location: int | None, fallback: bool = False) -> None:
        self._keep(doc_id, text, metadata, source, location, fallback)
        self._hashes.append(hash(doc_id))
        self._chars += len(text)
        if self.progress is not None:
            self.progress.update()
        if len(self._ids) >= self.batch_records or self._chars >= self.batch_chars:
            self.flush()

    def _keep(self, doc_id: str, text: str, metadata: dict[str, Any], source: str,
              location: int | None, fallback: bool) -> None:
        """Hold a good record until it is written."""
        self._ids.append(doc_id)
        self._texts.append(text)
        self._metadata.append(metadata)
        self._origins.append(origin_of(source, location))
        self._locations.append(location)
        if fallback:
            self.corpus.decoded_with_fallback.append(doc_id)

    def check_pending(self) -> None:
        """Raise the duplicate-id error of the first pending document whose id was read
        before, if any (called before any other error, which comes from a later record)."""
        if self._checked == len(self._ids):
            return
        hashes = np.array(self._hashes, dtype=np.int64)
        for position in self.id_hashes.suspects(hashes).tolist():
            if position < self._checked:
                continue
            doc_id = self._ids[position]
            try:
                earlier = self._origins[self._ids.index(doc_id, 0, position)]
            except ValueError:
                found = None if self.store is None else self.store.find_id(doc_id)
                if found is None:
                    continue  # two ids with one hash
                earlier = self.store.origins[found]
            raise InputError(f"duplicate document id {doc_id!r}: first at {earlier}, again at "
                             f"{self._origins[position]}")
        self._checked = len(self._ids)

    def take_pending(self) -> tuple[list[str], list[str], list[dict[str, Any]], list[str]]:
        """The ids, texts, metadata and origins of the pending documents, which the sink then
        forgets unwritten: for a caller that keeps the documents elsewhere (the Spark engine's
        reader, :mod:`reuse.spark.read`) and checks the ids itself."""
        pending = (list(self._ids), list(self._texts), list(self._metadata), list(self._origins))
        for values in (self._ids, self._texts, self._metadata, self._origins, self._locations,
                       self._hashes):
            values.clear()
        self._chars = 0
        self._checked = 0
        return pending

    def flush(self) -> None:
        """Write the pending documents to the store, after checking their ids."""
        if not self._ids:
            return
        self.check_pending()
        self._write(encode_documents(self._ids, self._texts, self._metadata, self._origins))

    @property
    def written(self) -> int:
        """Documents written to the store so far."""
        return 0 if self.store is None else len(self.store)

    def add_parsed(self, parsed: ParsedRecords, notify: bool = True) -> None:
        """Add the records that a reading worker parsed and checked (:class:`CollectingSink`),
        as :meth:`add` would have one by one, then raise the error that stopped it, if any.
        ``notify=False``: without calling ``on_flush`` for them."""
        self.flush()
        documents = len(parsed.ids)
        if documents:
            # Pending until written, as if added one by one (the store write empties them).
            self._ids, self._origins = list(parsed.ids), list(parsed.origins)
            self._hashes = list(map(hash, parsed.ids))
            self.check_pending()
            self._write(parsed.documents, notify)
        for skipped in parsed.skipped:
            self.corpus.skipped.add(*skipped)
        self.corpus.decoded_with_fallback.extend(parsed.decoded_with_fallback)
        if self.progress is not None:
            self.progress.update(documents + len(parsed.skipped))
        if parsed.error is not None:
            raise InputError(parsed.error)

    def _write(self, documents: EncodedDocuments, notify: bool = True) -> None:
        if self.store is None:
            self.store = DocumentStore(self.store_dir)
        self.store.write(documents)
        self.id_hashes.add(np.array(self._hashes, dtype=np.int64))
        for pending in (self._ids, self._texts, self._metadata, self._origins, self._locations,
                        self._hashes):
            pending.clear()
        self._chars = 0
        self._checked = 0
        if notify and self.on_flush is not None:
            self.on_flush(self.store)

    def finish(self) -> DocumentStore:
        """Write what is pending and hand over the store (an empty one when nothing was
        read); the hashes of the ids are dropped."""
        self.flush()
        self.id_hashes = IdHashes()
        if self.store is None:
            self.store = DocumentStore(self.store_dir)
        return self.store


def bad_record_message(source: str, location: int | None, detail: str) -> str:
    """The error of a bad record with ``on_error="raise"``."""
    return (f"{origin_of(source, location)}: {detail} "
            "(use --on-error skip to skip such records)")


@dataclass
class ParsedRecords:
    """Records read, parsed and checked by a :class:`CollectingSink`, in input order: the
    good ones encoded for the store, the skipped ones as ``SkippedRecords.add`` arguments,
    and with ``on_error="raise"`` the error of the bad record that stopped the reading."""

    ids: list[str]
    origins: list[str]
    documents: EncodedDocuments
    skipped: list[tuple[str, int | None, str, str]]
    decoded_with_fallback: list[str]
    error: str | None


class CollectingSink(RecordSink):
    """The sink of a worker process that reads part of an input (see :mod:`.jsonl`): it checks
    each record as :class:`RecordSink` does but keeps what it read for :meth:`parsed`, to be
    added to the real sink by :meth:`RecordSink.add_parsed`, which checks the ids. With
    ``on_error="raise"``, the first bad record stops the reading (:class:`BadRecord`). Without
    ``keep_texts``, the texts are encoded for the digests and the lengths only."""

    def __init__(self, corpus: Corpus, on_error: str, max_doc_chars: int,
                 encoding: str = DEFAULT_ENCODING, keep_texts: bool = True) -> None:
        super().__init__(corpus, on_error, max_doc_chars, encoding,
                         batch_records=sys.maxsize, batch_chars=sys.maxsize)
        self.skipped: list[tuple[str, int | None, str, str]] = []
        self.error: str | None = None
        self.keep_texts = keep_texts

    def bad(self, source: str, location: int | None, reason: str, detail: str) -> None:
        if self.on_error == "raise":
            self.error = bad_record_message(source, location, detail)
            raise BadRecord(self.error)
        self.skipped.append((source, location, reason, detail))

    def check_pending(self) -> None:
        """Nothing: the ids are checked by the sink that adds these records."""

    def add_decoded(self, decoded: list[Any], source: str, first: int,
                    careful: Callable[[int], None]) -> None:
        """Add what a JSON parser that refuses unpaired surrogates gave for the lines numbered
        from ``first``, a value a line: each object as :meth:`add_parsed_record` adds it (the
        common one, ``{id: str, text: str}``, without a call of its own); for any other value,
        ``careful(number)`` reads its line again the careful way, which names what it is."""
        id_field, text_field = self.corpus.id_field, self.corpus.text_field
        plain, max_chars, keep = self._plain_add, self.max_doc_chars, self._keep
        for number, record in enumerate(decoded, first):
            if type(record) is not dict:
                careful(number)
                continue
            if plain and len(record) == 2:
                doc_id, text = record.get(id_field), record.get(text_field)
                if type(doc_id) is str and type(text) is str and len(text) <= max_chars:
                    keep(doc_id, text, {}, source, number, False)
                    continue
            self.add_parsed_record(record, source, number)

    def _append(self, doc_id: str, text: str, metadata: dict[str, Any], source: str,
                location: int | None, fallback: bool = False) -> None:
        # Kept for parsed(), nothing more: the sink that adds these records hashes their ids
        # and writes them in its own batches.
        self._keep(doc_id, text, metadata, source, location, fallback)

    @property
    def texts(self) -> list[str]:
        """The texts of the records read so far."""
        return self._texts

    @property
    def origins(self) -> list[str]:
        """The origins of the records read so far."""
        return self._origins

    @property
    def locations(self) -> list[int | None]:
        """The location in its source (a line number, a row) of each record read so far."""
        return self._locations

    def records(self) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        """``(id, text, metadata, origin)`` of each record read so far."""
        return zip(self._ids, self._texts, self._metadata, self._origins, strict=True)

    def parsed(self, spans: np.ndarray | None = None) -> ParsedRecords:
        """The records read, once the reading is over; ``spans``: where each one is in its
        file, kept by a store without the texts (see :func:`encode_documents`)."""
        documents = encode_documents(self._ids, self._texts, self._metadata, self._origins,
                                     self.keep_texts, spans)
        return ParsedRecords(self._ids, self._origins, documents, self.skipped,
                             self.corpus.decoded_with_fallback, self.error)


class BadRecord(InputError):
    """Raised by a :class:`CollectingSink` at the first bad record when ``on_error`` is
    "raise": the reading stops there."""


def split_record(record: dict[str, Any], corpus: Corpus) -> tuple[Any, Any, dict[str, Any]]:
    """(id, text, metadata) of a parsed record: every field but the id and the text is
    metadata."""
    doc_id, text = record.get(corpus.id_field), record.get(corpus.text_field)
    if len(record) == 2 and doc_id is not None and text is not None:
        return doc_id, text, {}
    metadata = {
        k: v for k, v in record.items() if k not in (corpus.id_field, corpus.text_field)
    }
    return doc_id, text, metadata
