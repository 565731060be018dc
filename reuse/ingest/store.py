"""The documents of a corpus on disk: the store that :func:`reuse.ingest.read_corpus` fills.

A :class:`DocumentStore` lives in a scratch folder (:mod:`reuse.engine.scratch`: under
:func:`tempfile.gettempdir`, or a folder given) and is removed when it is closed,
garbage-collected, or at exit, or by a later process if this one was killed. Its key is the
document's input ordinal, an int64. Each column is a data file and an offsets file (int64 byte
offsets, one more than the documents), both appended a batch at a time:

* texts and ids and origins as UTF-8, metadata as one pickle per document (an empty dict as no
  bytes), so that metadata read from Parquet or a DataFrame (dates, big integers, lists) comes
  back as it was read;
* the texts' lengths in characters, a numpy column of its own, so that the lengths are known
  without reading a text;
* each document's SHA-256 for the input fingerprint (:mod:`reuse.ingest.fingerprint`), 32 bytes
  per document, computed as the batch is written, so that fingerprinting a read corpus does not
  read it again.

A store may be written without the texts (batches encoded with ``keep_texts=False``, for a run
that sketched each text as it was read): the rest is kept, the store's folder holds the marker
file ``texts.none``, and reading a text raises :class:`TextsNotKept`. Such batches come from a
JSONL file read in parts, and each document's line is kept instead (``spans.int64``: its byte
offset and length in the file), so that a text can be read back from the input
(:class:`reuse.ingest.jsonl.JsonlRecords`).

Reading document ``i`` is two ``pread`` calls (its offsets, its bytes); a slice ``[lo:hi]`` is
one contiguous read. The columns are read-only :class:`~collections.abc.Sequence` objects
(:attr:`DocumentStore.texts`, ...) that read what they are asked for and nothing else; nothing
per document stays in memory but what :class:`IdHashes` keeps while reading (8 bytes).
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import itertools
import operator
import os
import pickle
import shutil
import struct
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ..common.arrow import from_strings
from ..common.fileio import IO_LIMIT, read_into
from ..common.ranges import nearby_runs
from ..engine.scratch import MARKER as SCRATCH_MARKER
from ..engine.scratch import scratch_folder
from ..errors import InputError, ReuseError, ScratchSpaceError
from .fingerprint import (
    DIGEST_SIZE,
    document_digests,
    metadata_json,
    update_in_order,
)

if TYPE_CHECKING:
    from ..engine.spill import SegmentSink

# What one step of iterating a column reads at most: rows, and bytes (beyond one long row).
CHUNK_ROWS = 4096
CHUNK_BYTES = 16 << 20
# Values read at once by _Blob.read_at: neighbours less than _NEARBY_GAP bytes apart are read
# together, about _NEARBY_READ bytes a read at most.
_NEARBY_GAP = 1 << 16
_NEARBY_READ = 1 << 22
_OFFSET = np.dtype("<i8")
_TWO_OFFSETS = struct.Struct("<qq")


def _pread(fd: int, size: int, offset: int) -> bytearray:
    """``size`` bytes of ``fd`` from ``offset``, however many calls that takes."""
    out = bytearray(size)
    read_into(fd, memoryview(out), offset, "the document store")
    return out


def _copy_bytes(source: int, target: int, size: int, source_offset: int,
                target_offset: int) -> None:
    """Copy ``size`` bytes of file ``source`` from ``source_offset`` into file ``target`` at
    ``target_offset``: with ``copy_file_range`` where the system has it for these files (the
    bytes stay in the kernel), else read and written a block at a time."""
    done = 0
    if hasattr(os, "copy_file_range"):
        try:
            while done < size:
                copied = os.copy_file_range(source, target, min(size - done, IO_LIMIT),
                                            source_offset + done, target_offset + done)
                if copied <= 0:
                    break
                done += copied
        except OSError as exc:
            if exc.errno not in _NO_COPY_RANGE:
                raise
    while done < size:
        block = os.pread(source, min(size - done, CHUNK_BYTES), source_offset + done)
        if not block:
            raise OSError(f"a file of texts read ended {size - done} bytes early")
        done += os.pwrite(target, block, target_offset + done)


# copy_file_range's errors that mean "not for these files" (another file system on an older
# kernel, a file system without it, a sandbox that forbids it): the bytes are then copied.
_NO_COPY_RANGE = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP,
                            errno.EPERM})


class _Blob:
    """Variable-length values: a data file, and an offsets file of int64 byte offsets into it
    (``count + 1`` of them, the first 0)."""

    def __init__(self, folder: Path, name: str, mode: str = "w+b") -> None:
        self.data: IO[bytes] = open(folder / f"{name}.bin", mode)  # noqa: SIM115 - closed by the store
        self.offsets: IO[bytes] = open(folder / f"{name}.offsets", mode)  # noqa: SIM115
        if "w" in mode:
            self.offsets.write(np.zeros(1, dtype=_OFFSET).tobytes())
            self.offsets.flush()
        self.size = 0

    def append(self, data: Any, ends: np.ndarray) -> None:
        """Append values given as their concatenated bytes ``data`` and the end of each in it."""
        self.data.write(data)
        self.offsets.write((ends.astype(_OFFSET, copy=False) + self.size).tobytes())
        self.size += int(ends[-1]) if len(ends) else 0
        self.data.flush()
        self.offsets.flush()

    def append_copied(self, path: str, offset: int, ends: np.ndarray) -> None:
        """:meth:`append` of values whose concatenated bytes are in the file ``path`` from
        byte ``offset`` on, copied file to file (by the kernel, where it can: see
        :func:`_copy_bytes`)."""
        size = int(ends[-1]) if len(ends) else 0
        self.data.flush()
        with open(path, "rb") as source:
            _copy_bytes(source.fileno(), self.data.fileno(), size, offset, self.size)
        self.data.seek(self.size + size)  # copy_file_range leaves the file's position alone
        self.offsets.write((ends.astype(_OFFSET, copy=False) + self.size).tobytes())
        self.size += size
        self.offsets.flush()

    def offsets_of(self, lo: int, hi: int) -> np.ndarray:
        """The offsets of values ``lo`` to ``hi`` (``hi - lo + 1`` of them)."""
        return np.frombuffer(_pread(self.offsets.fileno(), 8 * (hi - lo + 1), 8 * lo),
                             dtype=_OFFSET)

    def read_one(self, position: int) -> bytes | bytearray:
        """The bytes of value ``position``."""
        start, end = _TWO_OFFSETS.unpack(os.pread(self.offsets.fileno(), 16, 8 * position))
        if end - start < IO_LIMIT:
            return os.pread(self.data.fileno(), end - start, start)
        return _pread(self.data.fileno(), end - start, start)

    def read_at(self, positions: np.ndarray, count: int) -> list[memoryview]:
        """The bytes of the values at ``positions`` (any order, repeats read once) of the
        ``count`` values, as views into the reads: the offsets through a memory map, the
        values near each other in one read."""
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) == 0:
            return []
        unique, inverse = np.unique(positions, return_inverse=True)
        offsets = np.memmap(self.offsets, dtype=_OFFSET, mode="r", shape=(count + 1,))
        starts, ends = np.array(offsets[unique]), np.array(offsets[unique + 1])
        del offsets
        runs = nearby_runs(starts, ends, _NEARBY_GAP, _NEARBY_READ).tolist()
        values: list[memoryview] = []
        starts_list, ends_list = starts.tolist(), ends.tolist()
        for first, stop in itertools.pairwise(runs):
            base = starts_list[first]
            data = memoryview(_pread(self.data.fileno(), ends_list[stop - 1] - base, base))
            values.extend(data[a - base:b - base] for a, b in
                          zip(starts_list[first:stop], ends_list[first:stop], strict=True))
        return [values[k] for k in inverse.tolist()]

    def read(self, lo: int, hi: int) -> tuple[memoryview, np.ndarray]:
        """The bytes of values ``lo`` to ``hi`` in one read, and their ``hi - lo + 1``
        offsets into them."""
        offsets = self.offsets_of(lo, hi)
        start = int(offsets[0])
        data = _pread(self.data.fileno(), int(offsets[-1]) - start, start)
        return memoryview(data), offsets - start

    def chunks(self, lo: int, hi: int) -> Iterator[tuple[int, int]]:
        """Consecutive ranges covering ``[lo, hi)`` of at most CHUNK_ROWS values and about
        CHUNK_BYTES bytes (at least one value each)."""
        while lo < hi:
            stop = min(lo + CHUNK_ROWS, hi)
            offsets = self.offsets_of(lo, stop)
            fits = int(np.searchsorted(offsets, offsets[0] + CHUNK_BYTES, side="right")) - 1
            stop = lo + max(1, min(fits, stop - lo))
            yield lo, stop
            lo = stop

    def close(self) -> None:
        self.data.close()
        self.offsets.close()


def _encoded(values: list[str]) -> list[bytes]:
    """The UTF-8 bytes of each value (lone surrogates, which a corpus built in Python may hold,
    are kept)."""
    return [value.encode("utf-8", "surrogatepass") for value in values]


def _joined(encoded: list[bytes]) -> tuple[bytes, np.ndarray]:
    """The values end to end, and the end of each."""
    ends = np.cumsum(np.fromiter(map(len, encoded), dtype=_OFFSET, count=len(encoded)))
    return b"".join(encoded), ends


def _joined_utf8(values: list[str]) -> tuple[bytes, np.ndarray]:
    """:func:`_joined` of the UTF-8 of ``values``: one join and one encoding when they are
    ASCII (file names and line numbers, mostly), where a character is a byte."""
    joined = "".join(values)
    if not joined.isascii():
        return _joined(_encoded(values))
    ends = np.cumsum(np.fromiter(map(len, values), dtype=_OFFSET, count=len(values)))
    return joined.encode("ascii"), ends


@dataclass
class EncodedDocuments:
    """A batch of documents as a :class:`DocumentStore` writes them: the UTF-8 ids, the texts,
    origins and metadata pickles end to end with the end of each, the texts' lengths in
    characters and each document's SHA-256 (:func:`~.fingerprint.document_digest`)."""

    ids: list[bytes]
    texts: bytes
    text_ends: np.ndarray | None  # None: the texts are not kept
    origins: bytes
    origin_ends: np.ndarray
    metadata: bytes
    metadata_ends: np.ndarray
    lengths: np.ndarray
    digests: bytes
    # Without the texts: each document's (byte offset, length) in the file it was read from.
    spans: np.ndarray | None = None
    # The texts' bytes are in this file from byte texts_offset on, not in texts (moved_to).
    texts_file: str | None = None
    texts_offset: int = 0

    @property
    def has_texts(self) -> bool:
        return self.text_ends is not None

    def moved_to(self, sink: SegmentSink) -> EncodedDocuments:
        """The same batch with its texts' bytes appended to ``sink``'s file (in the worker
        process that encoded it) instead of carried along: the store copies them from there
        (:meth:`DocumentStore.write`)."""
        if not self.has_texts or not self.texts:
            return self
        segment = sink.append(np.frombuffer(self.texts, dtype=np.uint8))
        return dataclasses.replace(self, texts=b"", texts_file=os.path.join(sink.folder,
                                                                            segment.name),
                                   texts_offset=segment.start)


def encode_documents(ids: list[str], texts: list[str], metadata: list[dict[str, Any]],
                     origins: list[str], keep_texts: bool = True,
                     spans: np.ndarray | None = None) -> EncodedDocuments:
    """The batch encoded for :meth:`DocumentStore.write`: the work of appending it that does
    not need the store, which a reading worker process does (see :mod:`.jsonl`). Without
    ``keep_texts``, the texts count in the digests and the lengths only, and ``spans`` (an
    ``(n, 2)`` int64 array) says where each document is in its file."""
    if any(metadata):
        stored_metadata = _metadata_bytes(metadata, ids)
        metadata_jsons = list(map(metadata_json, ids, metadata))
    else:  # nothing stored, and every document's JSON is the empty object's
        stored_metadata = b"", np.zeros(len(ids), dtype=_OFFSET)
        metadata_jsons = [metadata_json("", {})] * len(ids)
    encoded_ids = _encoded(ids)
    digests, texts_data, text_ends = document_digests(encoded_ids, texts, metadata_jsons,
                                                      keep_texts)
    if texts_data is None:
        texts_data, text_ends = b"", None
    origins_data, origin_ends = _joined_utf8(origins)
    lengths = np.fromiter(map(len, texts), dtype=_OFFSET, count=len(texts))
    return EncodedDocuments(encoded_ids, texts_data, text_ends, origins_data, origin_ends,
                            *stored_metadata, lengths, digests,
                            None if keep_texts or spans is None
                            else np.ascontiguousarray(spans, dtype=_OFFSET))


def _remove(blobs: list[_Blob], files: list[IO[bytes] | None], folder: Path | None) -> None:
    for blob in blobs:
        blob.close()
    for file in files:
        if file is not None:
            file.close()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


_COLUMNS = ("texts", "ids", "origins", "metadata")
# In a store's folder when it was written without the texts.
_NO_TEXTS = "texts.none"
# A kept store's metadata replaced after reading (see DocumentStore.keep): {ordinal: fields}.
_REPLACED_METADATA = "metadata_replaced.pickle"
_DIGESTS = "digests.sha256"
_SPANS = "spans.int64"


class DocumentStore:
    """Documents on disk, appended a batch at a time and read back by input ordinal.

    Pickled (to a worker process), a store is a handle to its folder: the copy reads the same
    files, read-only, while the store that made them is open; only that one removes them."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        if directory is not None:
            os.makedirs(directory, exist_ok=True)
        self._open(scratch_folder("store", directory), "w+b", 0, {})

    def _open(self, folder: Path, mode: str, count: int,
              replaced_metadata: dict[int, dict[str, Any]]) -> None:
        self.folder = folder
        self.owner = "w" in mode
        for name in _COLUMNS:
            setattr(self, f"_{name}", _Blob(folder, name, mode))
        self._lengths_file: IO[bytes] = open(folder / "lengths.int64", mode)  # noqa: SIM115
        # A store kept by an earlier version has no digests: its fingerprint reads it whole.
        digests = folder / _DIGESTS
        self._digests_file: IO[bytes] | None = (
            open(digests, mode) if "w" in mode or digests.exists() else None)  # noqa: SIM115
        spans = folder / _SPANS
        self._spans_file: IO[bytes] | None = (
            open(spans, mode) if "w" in mode or spans.exists() else None)  # noqa: SIM115
        # The ids in order, hashed as they are written (the owner's only: a copy cannot
        # know that it saw every id).
        self.order_digest: Any = hashlib.sha256() if "w" in mode and count == 0 else None
        self._count = count
        self.texts_kept = not (folder / _NO_TEXTS).exists()
        self._lengths: np.ndarray | None = None
        # Metadata replaced after reading (a metadata file's fields), by ordinal.
        self.replaced_metadata = replaced_metadata
        self._finalizer = weakref.finalize(
            self, _remove, [getattr(self, f"_{name}") for name in _COLUMNS],
            [self._lengths_file, self._digests_file, self._spans_file],
            folder if self.owner else None)

    def __reduce__(self) -> tuple[Any, ...]:
        return _reopen, (str(self.folder), self._count, self.replaced_metadata)

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"<DocumentStore: {self._count:,} documents in {self.folder}>"

    def append(self, ids: list[str], texts: list[str], metadata: list[dict[str, Any]],
               origins: list[str]) -> None:
        """Append a batch of documents (one entry per document in each list)."""
        if ids:
            self.write(encode_documents(ids, texts, metadata, origins))

    def write(self, documents: EncodedDocuments) -> None:
        """Append a batch of documents encoded by :func:`encode_documents` (perhaps in another
        process)."""
        if not documents.ids:
            return
        if not self.owner:
            raise ReuseError(f"{self.folder}: a copy of a document store is read-only")
        if documents.has_texts != self.texts_kept and self._count:
            raise ReuseError(f"{self.folder}: every batch of a store has its texts, or none has")
        try:
            if documents.has_texts != self.texts_kept:  # the first batch, without texts
                (self.folder / _NO_TEXTS).touch()
                self.texts_kept = False
            self._ids.append(*_joined(documents.ids))
            if documents.texts_file is not None:
                self._texts.append_copied(documents.texts_file, documents.texts_offset,
                                          documents.text_ends)
            elif documents.has_texts:
                self._texts.append(documents.texts, documents.text_ends)
            self._origins.append(documents.origins, documents.origin_ends)
            self._metadata.append(documents.metadata, documents.metadata_ends)
            self._lengths_file.write(documents.lengths.astype(_OFFSET, copy=False).tobytes())
            self._lengths_file.flush()
            if self._digests_file is not None:
                self._digests_file.write(documents.digests)
                self._digests_file.flush()
            if documents.spans is not None and self._spans_file is not None:
                self._spans_file.write(documents.spans.tobytes())
                self._spans_file.flush()
        except OSError as exc:
            raise ScratchSpaceError(
                f"{self.folder}: cannot write the documents read to disk ({exc.strerror or exc}); "
                "reuse keeps the corpus in a temporary folder while it runs. Make room there, or "
                "set TMPDIR to a folder with room, and run again.") from exc
        self._count += len(documents.ids)
        self._lengths = None
        if self.order_digest is not None:
            update_in_order(self.order_digest, documents.ids)

    def keep(self, destination: str | os.PathLike[str]) -> None:
        """Close the store's files and move its folder to ``destination`` (on the same file
        system: a rename), where it stays: it is no longer removed on close or at exit (a
        persistent index keeps its texts so; :func:`open_store` reads them)."""
        if not self.owner:
            raise ReuseError(f"{self.folder}: a copy of a document store cannot be kept")
        self._finalizer.detach()
        for name in _COLUMNS:
            getattr(self, f"_{name}").close()
        self._lengths_file.close()
        for file in (self._digests_file, self._spans_file):
            if file is not None:
                file.close()
        if self.replaced_metadata:  # a metadata file's fields, kept beside the columns
            with open(self.folder / _REPLACED_METADATA, "wb") as handle:
                pickle.dump(self.replaced_metadata, handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.flush()
                os.fsync(handle.fileno())
        (self.folder / SCRATCH_MARKER).unlink(missing_ok=True)  # kept: no longer scratch
        os.replace(self.folder, destination)

    def close(self) -> None:
        """Close the store's files (the store that made them also removes its folder); its
        columns cannot be read any more."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    @property
    def lengths(self) -> np.ndarray:
        """Each text's length in characters (int64, read-only), without reading a text."""
        if self._lengths is None or len(self._lengths) != self._count:
            lengths = np.frombuffer(
                _pread(self._lengths_file.fileno(), 8 * self._count, 0), dtype=_OFFSET)
            lengths.flags.writeable = False
            self._lengths = lengths
        return self._lengths

    def lengths_of(self, lo: int, hi: int) -> np.ndarray:
        """The lengths of texts ``lo`` to ``hi`` (one read of that part of the lengths file)."""
        if self._lengths is not None and len(self._lengths) == self._count:
            return self._lengths[lo:hi]
        return np.frombuffer(_pread(self._lengths_file.fileno(), 8 * (hi - lo), 8 * lo),
                             dtype=_OFFSET)

    @property
    def has_digests(self) -> bool:
        """Whether every document's SHA-256 is in the store (see :mod:`.fingerprint`)."""
        return (self._digests_file is not None
                and os.fstat(self._digests_file.fileno()).st_size == DIGEST_SIZE * self._count)

    def digests_at(self, positions: np.ndarray) -> list[bytes]:
        """The SHA-256 of documents ``positions`` as they were written (only the pages holding
        them are read)."""
        assert self._digests_file is not None
        digests = np.memmap(self.folder / _DIGESTS, dtype=np.uint8, mode="r",
                            shape=(self._count, DIGEST_SIZE))
        return [row.tobytes() for row in digests[np.asarray(positions, dtype=np.int64)]]

    @property
    def has_spans(self) -> bool:
        """Whether the store knows where every document is in the file it was read from (a
        store without the texts, read from a JSONL file in parts)."""
        return (self._spans_file is not None and self._count > 0
                and os.fstat(self._spans_file.fileno()).st_size == 16 * self._count)

    def spans_at(self, positions: np.ndarray) -> np.ndarray:
        """``(offset, length)`` in the input file of documents ``positions`` (an ``(n, 2)``
        array; only the pages holding them are read)."""
        if not self.has_spans:
            raise TextsNotKept(f"{self.folder}: the store does not know where its documents "
                               "are in the input")
        spans = np.memmap(self.folder / _SPANS, dtype=_OFFSET, mode="r", shape=(self._count, 2))
        return np.array(spans[np.asarray(positions, dtype=np.int64)])

    def digest_chunks(self) -> Iterator[bytearray]:
        """Every document's SHA-256, end to end, in chunks of at most CHUNK_BYTES."""
        assert self._digests_file is not None
        step = CHUNK_BYTES // DIGEST_SIZE
        for lo in range(0, self._count, step):
            hi = min(lo + step, self._count)
            yield _pread(self._digests_file.fileno(), DIGEST_SIZE * (hi - lo), DIGEST_SIZE * lo)

    @property
    def texts(self) -> TextColumn:
        return TextColumn(self)

    @property
    def ids(self) -> StringColumn:
        return StringColumn(self, "ids")

    @property
    def origins(self) -> StringColumn:
        return StringColumn(self, "origins")

    @property
    def metadata(self) -> MetadataColumn:
        return MetadataColumn(self)

    def find_id(self, doc_id: str, stop: int | None = None) -> int | None:
        """The ordinal of the first document ``doc_id`` before ``stop``, or None: a scan of
        the ids, for the rare moment a duplicate is suspected."""
        ids = self.ids
        for lo, hi in self._ids.chunks(0, self._count if stop is None else stop):
            chunk = ids[lo:hi]
            if doc_id in chunk:
                return lo + chunk.index(doc_id)
        return None


def open_store(folder: str | os.PathLike[str], count: int) -> DocumentStore:
    """A read-only handle to the ``count`` documents of a store kept in ``folder`` (see
    :meth:`DocumentStore.keep`)."""
    replaced: dict[int, dict[str, Any]] = {}
    path = Path(folder) / _REPLACED_METADATA
    if path.exists():
        with open(path, "rb") as handle:
            replaced = pickle.load(handle)
    return _reopen(os.fspath(folder), count, replaced)


def _reopen(folder: str, count: int, replaced_metadata: dict[int, dict[str, Any]]
            ) -> DocumentStore:
    """A read-only handle to the store in ``folder`` (see :meth:`DocumentStore.__reduce__`)."""
    store = DocumentStore.__new__(DocumentStore)
    try:
        store._open(Path(folder), "rb", count, replaced_metadata)
    except FileNotFoundError:
        raise InputError(f"{folder}: the document store was removed (its corpus was closed "
                         "or collected)") from None
    return store


def _column(store: DocumentStore, name: str) -> _StoredColumn:
    return getattr(store, name)


def _metadata_bytes(metadata: list[dict[str, Any]], ids: list[str]) -> tuple[Any, np.ndarray]:
    pieces = []
    for doc_id, fields in zip(ids, metadata, strict=True):
        if not fields:
            pieces.append(b"")
            continue
        try:
            pieces.append(pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            raise InputError(f"document {doc_id!r}: its metadata cannot be stored ({exc}); "
                             "give plain values (strings, numbers, lists, dicts, dates)"
                             ) from None
    ends = np.cumsum(np.fromiter(map(len, pieces), dtype=_OFFSET, count=len(pieces)))
    return b"".join(pieces), ends


class _StoredColumn(Sequence[Any]):
    """A read-only column of a :class:`DocumentStore`: indexing reads one value, a slice reads
    its values in one read, iteration reads chunk by chunk."""

    def __init__(self, store: DocumentStore, blob: _Blob) -> None:
        self.store = store
        self._blob = blob

    def __len__(self) -> int:
        return len(self.store)

    def _values(self, lo: int, hi: int) -> list[Any]:
        raise NotImplementedError

    def _value(self, position: int) -> Any:
        raise NotImplementedError

    def __getitem__(self, index: Any) -> Any:
        if self.store.closed:
            raise InputError("the corpus was closed: its documents were removed from disk")
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._values(start, stop) if start < stop else []
        position = operator.index(index)
        count = len(self.store)
        if position < 0:
            position += count
        if not 0 <= position < count:
            raise IndexError(f"document {index} out of range ({count:,} documents)")
        return self._value(position)

    def __iter__(self) -> Iterator[Any]:
        for lo, hi in self._blob.chunks(0, len(self)):
            yield from self[lo:hi]

    def read_many(self, positions: np.ndarray) -> list[Any]:
        """The values at ``positions`` (any order), nearby ones read together: what a stage
        that needs some documents' values asks for, instead of a read per value."""
        positions = self._positions(positions)
        return [self._decode(value) for value in self._blob.read_at(positions, len(self.store))]

    def _positions(self, positions: np.ndarray) -> np.ndarray:
        """``positions`` as int64, each checked to be a document of the store (still open)."""
        if self.store.closed:
            raise InputError("the corpus was closed: its documents were removed from disk")
        positions = np.asarray(positions, dtype=np.int64)
        count = len(self.store)
        if len(positions) and (positions.min() < 0 or positions.max() >= count):
            bad = int(positions[(positions < 0) | (positions >= count)][0])
            raise IndexError(f"document {bad} out of range ({count:,} documents)")
        return positions

    def _decode(self, value: memoryview) -> Any:
        raise NotImplementedError

    def chunks(self) -> Iterator[tuple[int, list[Any]]]:
        """(first ordinal, values) for consecutive chunks of the column."""
        for lo, hi in self._blob.chunks(0, len(self)):
            yield lo, self[lo:hi]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(
                a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # A handle to the store's files, never the values (a worker reads what it needs).
        return _column, (self.store, self.name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self):,} documents on disk>"


class StringColumn(_StoredColumn):
    """The ids or the origins of the documents."""

    def __init__(self, store: DocumentStore, name: str) -> None:
        super().__init__(store, getattr(store, f"_{name}"))
        self.name = name

    def _values(self, lo: int, hi: int) -> list[str]:
        data, offsets = self._blob.read(lo, hi)
        return [str(data[a:b], "utf-8", "surrogatepass")
                for a, b in itertools.pairwise(offsets.tolist())]

    def _value(self, position: int) -> str:
        return str(self._blob.read_one(position), "utf-8", "surrogatepass")

    def _decode(self, value: memoryview) -> str:
        return str(value, "utf-8", "surrogatepass")

    def arrow(self) -> Any:
        """The column as one Arrow ``large_string`` array, made from the stored bytes and
        offsets a chunk at a time (no Python string each); a value that is not valid UTF-8 (a
        lone surrogate) raises ``pyarrow.ArrowInvalid``."""
        import pyarrow as pa

        parts = []
        for lo, hi in self._blob.chunks(0, len(self)):
            data, offsets = self._blob.read(lo, hi)
            part = pa.LargeStringArray.from_buffers(hi - lo, pa.py_buffer(offsets),
                                                    pa.py_buffer(data))
            part.validate(full=True)
            parts.append(part)
        return pa.concat_arrays(parts) if parts else from_strings([])


class TextsNotKept(ReuseError):
    """A text was asked of a store written without them (see :func:`encode_documents`)."""


class TextColumn(StringColumn):
    """The texts of the documents, with their lengths (:attr:`lengths`) known unread."""

    def __init__(self, store: DocumentStore) -> None:
        super().__init__(store, "texts")

    @property
    def lengths(self) -> np.ndarray:
        return self.store.lengths

    def _check_kept(self) -> None:
        if not self.store.texts_kept:
            raise TextsNotKept(
                "the texts of this corpus were not kept: it was read with keep_texts=False "
                "(reuse dedup without --write-kept), which sketches each text as it is read; "
                "read it with keep_texts=True (reuse dedup --write-kept) to keep them")

    def _values(self, lo: int, hi: int) -> list[str]:
        self._check_kept()
        return super()._values(lo, hi)

    def _value(self, position: int) -> str:
        self._check_kept()
        return super()._value(position)

    def read_many(self, positions: np.ndarray) -> list[str]:
        self._check_kept()
        return super().read_many(positions)

    def __iter__(self) -> Iterator[str]:
        self._check_kept()
        return super().__iter__()

    def chunks(self) -> Iterator[tuple[int, list[Any]]]:
        self._check_kept()
        return super().chunks()

    def utf8_slice(self, lo: int, hi: int) -> tuple[bytes, np.ndarray]:
        """Texts ``lo`` to ``hi`` as their UTF-8 bytes end to end (one read, nothing decoded),
        and each one's length in characters: what a worker process is sent."""
        self._check_kept()
        data, _ = self._blob.read(lo, hi)
        return bytes(data), self.store.lengths_of(lo, hi)

    def utf8_separated(self, lo: int, hi: int, separator: bytes) -> tuple[bytes, np.ndarray]:
        """Texts ``lo`` to ``hi`` as UTF-8 with ``separator`` between each two (one read,
        nothing decoded), and each one's length in characters."""
        self._check_kept()
        data, offsets = self._blob.read(lo, hi)
        return (separator.join([data[a:b] for a, b in itertools.pairwise(offsets.tolist())]),
                self.store.lengths_of(lo, hi))

    def utf8_at(self, positions: np.ndarray, separator: bytes) -> bytes:
        """The texts at ``positions`` (any order, nearby ones read together) as UTF-8 with
        ``separator`` between each two, nothing decoded."""
        self._check_kept()
        return separator.join(self._blob.read_at(self._positions(positions), len(self.store)))

    def utf8(self) -> Iterator[memoryview]:
        """Each text's UTF-8 bytes, in order, chunk by chunk (nothing decoded)."""
        self._check_kept()
        for lo, hi in self._blob.chunks(0, len(self)):
            data, offsets = self._blob.read(lo, hi)
            bounds = offsets.tolist()
            for a, b in itertools.pairwise(bounds):
                yield data[a:b]


class MetadataColumn(_StoredColumn):
    """The metadata dicts of the documents, unpickled when read (each read is a new dict).

    Assigning ``column[i] = fields`` replaces a document's metadata; the replacement is kept in
    memory (a metadata file's fields, bounded by that file)."""

    name = "metadata"

    def __init__(self, store: DocumentStore) -> None:
        super().__init__(store, store._metadata)

    def __setitem__(self, index: int, fields: dict[str, Any]) -> None:
        position = operator.index(index)
        if not 0 <= position < len(self):
            raise IndexError(f"document {index} out of range ({len(self):,} documents)")
        self.store.replaced_metadata[position] = fields

    @property
    def all_empty(self) -> bool:
        """Whether no document has metadata, known without reading any."""
        return not (self.store.closed or self.store.replaced_metadata
                    or os.fstat(self._blob.data.fileno()).st_size)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self.all_empty:
            yield from super().__iter__()
            return
        # No document has metadata (an empty dict is stored as no bytes): nothing to read.
        for _ in range(len(self)):
            yield {}

    def _values(self, lo: int, hi: int) -> list[dict[str, Any]]:
        data, offsets = self._blob.read(lo, hi)
        bounds = offsets.tolist()
        values = [pickle.loads(data[a:b]) if b > a else {}
                  for a, b in itertools.pairwise(bounds)]
        replaced = self.store.replaced_metadata
        if replaced:
            for position in (replaced.keys() if len(replaced) < hi - lo else range(lo, hi)):
                if lo <= position < hi and position in replaced:
                    values[position - lo] = replaced[position]
        return values

    def _value(self, position: int) -> dict[str, Any]:
        replaced = self.store.replaced_metadata.get(position)
        if replaced is not None:
            return replaced
        data = self._blob.read_one(position)
        return pickle.loads(data) if data else {}

    def _decode(self, value: memoryview) -> dict[str, Any]:
        return pickle.loads(value) if value else {}

    def read_many(self, positions: np.ndarray) -> list[dict[str, Any]]:
        values = super().read_many(positions)
        replaced = self.store.replaced_metadata
        if replaced:
            for k, position in enumerate(np.asarray(positions, dtype=np.int64).tolist()):
                if position in replaced:
                    values[k] = replaced[position]
        return values


class IdHashes:
    """The 64-bit hashes of the ids read so far, 8 bytes per document, to find a repeated id
    without keeping the ids: sorted runs of geometrically growing sizes (a new batch is one
    run; two runs of similar size are merged), so that adding N hashes costs O(N log N) and a
    batch is checked against every run by binary search.

    A hash seen before only makes a document suspect: the caller confirms it against the ids.
    """

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(map(len, self.runs))

    def suspects(self, hashes: np.ndarray) -> np.ndarray:
        """Positions in ``hashes`` (ascending) whose hash was added before or comes earlier in
        ``hashes``."""
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        seen = np.zeros(len(hashes), dtype=bool)
        seen[1:] = ordered[1:] == ordered[:-1]
        # Searched in sorted order: a third faster than in input order (measured at 1M ids).
        for run in self.runs:
            found = np.minimum(np.searchsorted(run, ordered), len(run) - 1)
            seen |= run[found] == ordered
        suspect = np.zeros(len(hashes), dtype=bool)
        suspect[order[seen]] = True
        return np.flatnonzero(suspect)

    def add(self, hashes: np.ndarray) -> None:
        self.runs.append(np.sort(hashes))
        while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
            last = self.runs.pop()
            merged = np.concatenate((self.runs.pop(), last))
            merged.sort()
            self.runs.append(merged)
