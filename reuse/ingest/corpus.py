"""The corpus that ingest hands to the pipeline, and its compact record of skipped records."""

from __future__ import annotations

import bisect
import hashlib
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..common.arrow import from_numpy, from_strings
from ..common.sequences import values_at
from ..errors import InputError, RunFolderError
from .fingerprint import (
    as_number,
    digest_sum,
    document_digest,
    fingerprint,
    metadata_json,
    update_in_order,
)
from .store import DocumentStore, MetadataColumn, StringColumn, TextColumn

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

SKIPPED_COLUMNS = ("origin", "reason", "detail")
_ID_CHUNK = 1 << 16  # ids of a corpus built in Python turned into Arrow strings at a time
# What Corpus.fingerprint covers, as the manifest says: a manifest whose input block says
# otherwise holds a fingerprint of another scheme, which cannot be compared.
FINGERPRINT_COVERS = (
    "SHA-256 of the sum (modulo 2**256) of the SHA-256 of each document read, over its id, "
    "text (as decoded) and metadata (with the metadata file's fields), and of their count: "
    "not the skipped records, the reading options, the order of the records or the files' "
    "times"
)
_FRAME_CHUNK = 1 << 18  # records per chunk when the skipped table is built


def check_fingerprint_scheme(spec: Mapping[str, Any], where: Any) -> None:
    """Refuse a manifest ``input`` block whose fingerprint is of another scheme than
    :meth:`Corpus.fingerprint` (it says so in ``fingerprint_covers``): written by an earlier
    version of reuse, it cannot tell whether the input changed."""
    if spec.get("fingerprint") and spec.get("fingerprint_covers") != FINGERPRINT_COVERS:
        raise RunFolderError(
            f"{where}: the run's input fingerprint was computed by an earlier version of reuse, "
            "in another way, so it cannot tell whether the input changed; run the pipeline "
            "again on the input.")


class SkippedRecords:
    """The skipped records of a corpus, in input order: a sequence of ``{"origin", "reason",
    "detail"}`` dicts, stored in runs.

    A run is consecutive records of one source with the same reason and detail at consecutive
    locations (lines or rows). A million records skipped in a row for one reason take one run
    of five integers; the origin strings are only built when the records are read back
    (:meth:`frame`, iteration, indexing). Reason and detail strings are stored once each.
    """

    def __init__(self, records: Iterable[Mapping[str, str]] = ()) -> None:
        self._strings: list[str] = []
        self._string_ids: dict[str, int] = {}
        # Per run: its source, reason and detail (indices into _strings), the location of its
        # first record (-1: the origin is the source alone), and the index of its first record.
        self._source = array("q")
        self._reason = array("q")
        self._detail = array("q")
        self._first = array("q")
        self._start = array("q")
        self._length = 0
        for record in records:
            self.append(record)

    def _intern(self, text: str) -> int:
        index = self._string_ids.get(text)
        if index is None:
            index = self._string_ids[text] = len(self._strings)
            self._strings.append(text)
        return index

    def add(self, source: str, location: int | None, reason: str, detail: str) -> None:
        """Record one skipped record. Its origin is ``source`` followed by ``location`` (for
        example ``"docs.jsonl:"`` and 12), or ``source`` alone when ``location`` is None."""
        source_id, reason_id, detail_id = (
            self._intern(source), self._intern(reason), self._intern(detail))
        run = len(self._start) - 1
        if (location is not None and run >= 0 and self._first[run] >= 0
                and self._source[run] == source_id and self._reason[run] == reason_id
                and self._detail[run] == detail_id
                and self._first[run] + self._length - self._start[run] == location):
            self._length += 1
            return
        self._source.append(source_id)
        self._reason.append(reason_id)
        self._detail.append(detail_id)
        self._first.append(-1 if location is None else location)
        self._start.append(self._length)
        self._length += 1

    def append(self, record: Mapping[str, str]) -> None:
        """Record one skipped record given as an ``{"origin", "reason", "detail"}`` dict."""
        self.add(record["origin"], None, record["reason"], record["detail"])

    def __len__(self) -> int:
        return self._length

    def _record(self, run: int, index: int) -> dict[str, str]:
        first = self._first[run]
        origin = self._strings[self._source[run]]
        if first >= 0:
            origin += str(first + index - self._start[run])
        return {"origin": origin, "reason": self._strings[self._reason[run]],
                "detail": self._strings[self._detail[run]]}

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("skipped record index out of range")
        return self._record(bisect.bisect_right(self._start, index) - 1, index)

    def __iter__(self) -> Iterator[dict[str, str]]:
        runs = len(self._start)
        for run in range(runs):
            stop = self._start[run + 1] if run + 1 < runs else self._length
            for index in range(self._start[run], stop):
                yield self._record(run, index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SkippedRecords | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._length <= 4:
            return f"SkippedRecords({list(self)!r})"
        shown = ", ".join(repr(record) for record in self[:3])
        return f"SkippedRecords([{shown}, ...] {self._length} records)"

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The records as the ``skipped`` table, one Arrow record batch per chunk of records:
        the origins are built in Arrow buffers, never as one Python string per record, so the
        table can be written in memory bounded by the chunk."""
        if not self._length:
            return
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        starts = np.frombuffer(self._start, dtype=np.int64)
        firsts = np.frombuffer(self._first, dtype=np.int64)
        ids = {name: np.frombuffer(getattr(self, f"_{name}"), dtype=np.int64)
               for name in ("source", "reason", "detail")}
        strings = from_strings(self._strings, pa.string())
        for lo in range(0, self._length, _FRAME_CHUNK):
            index = np.arange(lo, min(lo + _FRAME_CHUNK, self._length), dtype=np.int64)
            run = np.searchsorted(starts, index, side="right") - 1
            first = firsts[run]
            location = pc.cast(from_numpy(first + index - starts[run]), pa.string())
            suffix = pc.if_else(from_numpy(first >= 0), location, "")
            origin = pc.binary_join_element_wise(
                strings.take(from_numpy(ids["source"][run])), suffix, "")
            yield pa.RecordBatch.from_arrays(
                [origin, *(strings.take(from_numpy(ids[name][run]))
                           for name in ("reason", "detail"))],
                names=list(SKIPPED_COLUMNS))

    def frame(self) -> pd.DataFrame:
        """The records as the ``skipped`` table (see :meth:`batches`)."""
        import pandas as pd
        import pyarrow as pa

        if not self._length:
            return pd.DataFrame([], columns=list(SKIPPED_COLUMNS))
        batches = list(self.batches())
        return pd.DataFrame({
            name: pd.arrays.ArrowStringArray(
                pa.chunked_array([batch.column(name) for batch in batches], pa.string()))
            for name in SKIPPED_COLUMNS
        })


@dataclass
class Corpus:
    """Documents in input order, with their metadata, origins, and what was skipped.

    ``quoting`` is the CSV/TSV dialect the input was read with (``"csv"`` or ``"none"``, None for
    other formats), ``max_doc_chars`` the longest text it accepted, ``encoding`` the encoding
    option, ``on_error`` what was done with bad records and ``metadata_file`` the metadata file
    merged into the documents' metadata (None: none); all are recorded in the manifest so that
    the report and ``reuse rerun`` read the input identically. ``file_names`` maps the id of a
    ``.txt`` file whose name is not UTF-8 (spelt with ``\\xNN``) to its original relative name.
    ``source`` is the path :func:`reuse.ingest.read_corpus` read (None for a corpus built in
    Python).

    A corpus read by :func:`reuse.ingest.read_corpus` keeps its documents on disk, in a
    :class:`~reuse.ingest.store.DocumentStore`: ``ids``, ``texts``, ``metadata`` and ``origins``
    are then read-only sequences that read what is asked for (``texts[i]``, ``texts[lo:hi]``,
    iteration chunk by chunk), and ``lengths`` gives the texts' lengths without reading them.
    A corpus built in Python keeps the lists it was given. :meth:`close` removes the store.

    ``decoded_with_fallback`` lists the documents that were not UTF-8 and were decoded as
    windows-1252 (``encoding="auto"``). With a metadata file, ``metadata_rows`` is its number of
    rows, ``metadata_unmatched`` the ids of its rows that are no document (with
    ``on_error="skip"``; else they are an error) and ``no_metadata`` the number of documents
    without a row.
    """

    ids: Sequence[str] = field(default_factory=list)
    texts: Sequence[str] = field(default_factory=list)
    metadata: Sequence[dict[str, Any]] = field(default_factory=list)
    origins: Sequence[str] = field(default_factory=list)
    skipped: SkippedRecords = field(default_factory=SkippedRecords)
    input_format: str = "txt"
    id_field: str = "id"
    text_field: str = "text"
    quoting: str | None = None
    max_doc_chars: int | None = None
    file_names: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    on_error: str = "raise"
    source: str | None = None
    decoded_with_fallback: list[str] = field(default_factory=list)
    metadata_file: str | None = None
    metadata_rows: int = 0
    metadata_unmatched: list[str] = field(default_factory=list)
    no_metadata: int = 0
    # A store written without the texts: what reads them back from the input file
    # (a reuse.ingest.reread.TextsFromInput, set by read_corpus).
    texts_back: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.skipped, SkippedRecords):
            self.skipped = SkippedRecords(self.skipped)

    @classmethod
    def stored(cls, store: DocumentStore, **fields: Any) -> Corpus:
        """A corpus whose documents are those of ``store``."""
        return cls(ids=store.ids, texts=store.texts, metadata=store.metadata,
                   origins=store.origins, **fields)

    @property
    def store(self) -> DocumentStore | None:
        """The store holding the documents; None for a corpus built in Python."""
        return self.texts.store if isinstance(self.texts, TextColumn) else None

    def close(self) -> None:
        """Remove the documents from disk (a corpus built in Python has nothing to remove)."""
        if self.store is not None:
            self.store.close()

    @property
    def lengths(self) -> np.ndarray:
        """Each text's length in characters (int64); read from the store without reading the
        texts."""
        if isinstance(self.texts, TextColumn):
            return self.texts.lengths
        return np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.texts))

    def __len__(self) -> int:
        return len(self.ids)

    def texts_reader(self) -> TextsReader:
        """What reads texts back by position, for a stage that needs some of them again:
        the store's texts, the texts in memory, or the input file when the store has none
        (see :mod:`.reread`). Picklable, as a handle to the files, for a corpus read from
        a file; a corpus built in Python pickles its texts with it."""
        return self.texts_back if self.texts_back is not None else TextsAt(self.texts)

    def arrow_ids(self) -> pa.LargeStringArray:
        """The ids as one Arrow string array, read a chunk at a time: about 12 bytes per short
        id, where a Python string costs 60 and more."""
        import pyarrow as pa

        ids = self.ids
        if isinstance(ids, StringColumn):
            return ids.arrow()
        parts = [from_strings(ids[lo:lo + _ID_CHUNK]) for lo in range(0, len(ids), _ID_CHUNK)]
        return pa.concat_arrays(parts) if parts else from_strings([])

    def __repr__(self) -> str:
        # Short: the texts of a corpus can be millions of characters.
        return (f"<Corpus: {len(self.ids):,} documents, {int(self.lengths.sum()):,} characters, "
                f"{len(self.skipped):,} skipped; {self.input_format} input>")

    def check(self) -> Corpus:
        """This corpus, after checking what the pipeline relies on and a corpus built in Python
        may get wrong: one id, text, metadata dict and origin per document, and ids that are
        distinct strings (a repeated id would pair a document with itself). A corpus built from
        ids and texts alone comes back as a copy with empty metadata and origins. A corpus
        read by :func:`reuse.ingest.read_corpus` was checked as it was read."""
        store = self.store
        if store is not None and all(getattr(column, "store", None) is store for column in (
                self.ids, self.metadata, self.origins)):
            return self
        if self.ids and not self.metadata and not self.origins:
            return replace(self, metadata=[{} for _ in self.ids], origins=[""] * len(self.ids)).check()
        lengths = {name: len(getattr(self, name)) for name in ("ids", "texts", "metadata", "origins")}
        if len(set(lengths.values())) > 1:
            raise InputError(
                "A Corpus needs one entry per document in ids, texts, metadata and origins; got "
                + ", ".join(f"{count:,} {name}" for name, count in lengths.items()) + "."
            )
        seen: set[str] = set()
        for position, (doc_id, text) in enumerate(zip(self.ids, self.texts, strict=True)):
            if not isinstance(doc_id, str):
                raise InputError(f"Document {position} of the Corpus has an id of type "
                                 f"{type(doc_id).__name__}; ids are strings.")
            if not isinstance(text, str):
                raise InputError(f"Document {doc_id!r} of the Corpus has a text of type "
                                 f"{type(text).__name__}; texts are strings.")
            if doc_id in seen:
                raise InputError(f"Document id {doc_id!r} appears twice in the Corpus; ids must be "
                                 f"unique.")
            seen.add(doc_id)
        return self

    @property
    def n_read(self) -> int:
        """Records seen: the documents plus the skipped records."""
        return len(self.ids) + len(self.skipped)

    def has_field(self, name: str) -> bool:
        """Whether some document's metadata has the field ``name`` (a stored corpus whose
        documents have no metadata answers without a loop over them)."""
        if isinstance(self.metadata, MetadataColumn) and self.metadata.all_empty:
            return False
        return any(name in fields for fields in self.metadata)

    def metadata_frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(self.metadata, index=pd.RangeIndex(len(self.ids)))
        frame.insert(0, "doc_id", self.ids)
        return frame

    def skipped_frame(self) -> pd.DataFrame:
        return self.skipped.frame()

    def order_fingerprint(self) -> str:
        """SHA-256 over the ids in input order: the tables follow that order, so a rerun checks
        it beside :meth:`fingerprint`, which ignores it."""
        store = self._whole_store()
        if store is not None and store.order_digest is not None:
            return store.order_digest.hexdigest()
        digest = hashlib.sha256()
        update_in_order(digest, (doc_id.encode("utf-8", "surrogatepass") for doc_id in self.ids))
        return digest.hexdigest()

    def fingerprint(self) -> str:
        """SHA-256 of the documents as a set, independent of their order (the scheme of
        :mod:`reuse.ingest.fingerprint`). The ids are distinct, so no two documents cancel
        out. A read corpus sums the digests its store computed as it was written (a metadata
        file's fields replace those of their documents); a corpus built in Python is read
        chunk by chunk, in bounded memory."""
        store = self._whole_store()
        if store is not None and store.has_digests:
            total = sum(digest_sum(chunk) for chunk in store.digest_chunks())
            replaced = np.array(sorted(store.replaced_metadata), dtype=np.int64)
            reader = self.texts_reader()
            for lo in range(0, len(replaced), _ID_CHUNK):
                positions = replaced[lo:lo + _ID_CHUNK]
                for position, doc_id, stored, text in zip(
                        positions.tolist(), store.ids.read_many(positions),
                        store.digests_at(positions), reader.read(positions), strict=True):
                    total -= as_number(stored)
                    total += as_number(document_digest(
                        doc_id.encode("utf-8", "surrogatepass"),
                        text.encode("utf-8", "surrogatepass"),
                        metadata_json(doc_id, store.replaced_metadata[position])))
            return fingerprint(len(store), total)
        total = 0
        count = 0
        for doc_id, text, metadata in zip(self.ids, _utf8(self.texts), self.metadata,
                                          strict=True):
            total += as_number(document_digest(doc_id.encode("utf-8", "surrogatepass"), text,
                                               metadata_json(doc_id, metadata)))
            count += 1
        return fingerprint(count, total)

    def _whole_store(self) -> DocumentStore | None:
        """The store whose documents are all of this corpus's, column for column; None for a
        corpus built in Python or holding other sequences."""
        store = self.store
        if store is None or not all(getattr(column, "store", None) is store
                                    for column in (self.ids, self.metadata)):
            return None
        return store


class TextsReader(Protocol):
    def read(self, positions: np.ndarray) -> list[str]: ...


@dataclass(frozen=True)
class TextsAt:
    """The texts of a sequence (a store's texts, or texts in memory) by position."""

    texts: Sequence[str]

    def read(self, positions: np.ndarray) -> list[str]:
        """The texts of documents ``positions``."""
        return values_at(self.texts, positions)


def _utf8(texts: Sequence[str]) -> Iterator[bytes | memoryview]:
    """Each text's UTF-8 bytes: straight from the store, or encoded (lone surrogates kept)."""
    if isinstance(texts, TextColumn):
        return texts.utf8()
    return (text.encode("utf-8", "surrogatepass") for text in texts)
