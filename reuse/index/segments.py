"""Segments: the immutable files of one add (or one compaction), and lookups across them.

A segment folder holds

* ``store/``: the documents (ids, texts, metadata) in the :class:`~reuse.ingest.store.DocumentStore`
  format, read by ordinal; ``keys.npy``: each ordinal's index key (int64, increasing);
* ``signatures.u32``: the MinHash signatures, ``num_perm`` uint32 per document, by ordinal;
* ``docs.parquet``: ``key``, ``id``, ``n_tokens`` per document (ids are looked up here);
* ``bands.parquet``: ``band``, ``key``, ``doc`` (the document's index key) per LSH band of every
  compared document;
* ``fingerprints.parquet``: ``hash``, ``doc``, ``position`` per passage-window fingerprint of
  every compared document.

The Parquet files are joined with a query's band keys and fingerprints by DuckDB, which reads
them from disk (the comparison with SQLite that chose this is
``benchmarks/bench_index_storage.py``); nothing of the index is loaded whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..engine import ordered_map
from ..ingest import Corpus
from ..ingest.store import DocumentStore, TextColumn, open_store
from ..pipeline import lsh_bands
from ..sketch.feed import batches
from ..sketch.minhash import BatchSketch, SketchTask, sketch_batch
from .folder import SEGMENTS, Segment

STORE = "store"
KEYS = "keys.npy"
SIGNATURES = "signatures.u32"
DOCS = "docs.parquet"
BANDS = "bands.parquet"
FINGERPRINTS = "fingerprints.parquet"


def sketch_tasks(texts: Any, config: Config, packed: bool) -> Iterator[SketchTask]:
    """The sketch tasks of ``texts`` (a corpus's texts), batch by batch, with the band keys and
    passage fingerprints of ``config``."""
    bands, rows = lsh_bands(config.dedup)
    for lo, hi in batches(texts):
        if not packed:
            payload, lengths = texts[lo:hi], None
        elif isinstance(texts, TextColumn):
            payload, lengths = texts.utf8_slice(lo, hi)
        else:
            payload, lengths = SketchTask.pack(texts[lo:hi])
        yield SketchTask(payload, lengths, lo, config.tokenize.strip_diacritics,
                         config.dedup.ngram, config.dedup.num_perm, config.dedup.seed, bands,
                         rows, config.passages)


def sketches(texts: Any, config: Config, workers: int) -> Iterator[BatchSketch]:
    """:func:`reuse.sketch.minhash.sketch_batch` of every batch of ``texts``, in order, in
    ``workers`` processes."""
    return ordered_map(sketch_batch, sketch_tasks(texts, config, packed=workers > 1), workers)


@dataclass
class BatchRows:
    """Rows of the lookup tables: band keys and passage-window fingerprints, each with its
    document (numbered as the caller says: by index key, or by query ordinal); only compared
    documents have rows."""

    band: np.ndarray
    band_key: np.ndarray
    band_doc: np.ndarray
    hashes: np.ndarray
    fingerprint_doc: np.ndarray
    positions: np.ndarray


def batch_rows(batch: BatchSketch, min_tokens: int, first_key: int) -> BatchRows:
    """The band and fingerprint rows of ``batch``, its documents keyed ``first_key + ordinal``."""
    compared = np.flatnonzero(batch.n_tokens >= min_tokens)
    keys = batch.band_keys[:, compared]
    n_bands = keys.shape[0]
    band = np.repeat(np.arange(n_bands, dtype=np.int16), len(compared))
    band_doc = np.tile(first_key + batch.first + compared, n_bands)
    fingerprints = batch.fingerprints
    assert fingerprints is not None
    usable = (batch.n_tokens >= min_tokens)[fingerprints.docs - batch.first]
    return BatchRows(band, keys.ravel().view(np.int64), band_doc.astype(np.int64),
                     fingerprints.hashes[usable].view(np.int64),
                     (first_key + fingerprints.docs[usable]).astype(np.int64),
                     fingerprints.positions[usable].astype(np.int32))


class SegmentWriter:
    """Writes one segment's tables batch by batch (see the module doc)."""

    def __init__(self, folder: Path, num_perm: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.folder = folder
        self.num_perm = num_perm
        self._pa = pa
        self._signatures = open(folder / SIGNATURES, "wb")  # noqa: SIM115 - closed in finish
        self._bands = pq.ParquetWriter(folder / BANDS, pa.schema(
            [("band", pa.int16()), ("key", pa.int64()), ("doc", pa.int64())]))
        self._fingerprints = pq.ParquetWriter(folder / FINGERPRINTS, pa.schema(
            [("hash", pa.int64()), ("doc", pa.int64()), ("position", pa.int32())]))
        self._docs = pq.ParquetWriter(folder / DOCS, pa.schema(
            [("key", pa.int64()), ("id", pa.string()), ("n_tokens", pa.int64())]))
        self._keys: list[np.ndarray] = []

    def add(self, keys: np.ndarray, ids: list[str], n_tokens: np.ndarray,
            signatures: np.ndarray, rows: BatchRows) -> None:
        pa = self._pa
        self._keys.append(np.asarray(keys, dtype=np.int64))
        self._signatures.write(np.ascontiguousarray(signatures, dtype=np.uint32).tobytes())
        self._docs.write_table(pa.table({"key": keys, "id": pa.array(ids, pa.string()),
                                         "n_tokens": np.asarray(n_tokens, dtype=np.int64)}))
        self._bands.write_table(pa.table({"band": rows.band, "key": rows.band_key,
                                          "doc": rows.band_doc}))
        self._fingerprints.write_table(pa.table({"hash": rows.hashes,
                                                 "doc": rows.fingerprint_doc,
                                                 "position": rows.positions}))

    def finish(self) -> np.ndarray:
        """Close the files (synced to disk); returns the segment's keys."""
        for writer in (self._bands, self._fingerprints, self._docs):
            writer.close()
        self._signatures.flush()
        os.fsync(self._signatures.fileno())
        self._signatures.close()
        keys = np.concatenate(self._keys) if self._keys else np.empty(0, dtype=np.int64)
        np.save(self.folder / KEYS, keys)
        for name in (BANDS, FINGERPRINTS, DOCS, KEYS):
            with open(self.folder / name, "rb") as handle:
                os.fsync(handle.fileno())
        return keys


def write_segment(index: Path, name: str, corpus: Corpus, config: Config, first_key: int,
                  workers: int, progress_bar: Any = None) -> Segment:
    """Sketch ``corpus`` (read into ``segments/name`` by the caller) and write the segment's
    tables there; the corpus's document store is kept as the segment's ``store/``."""
    folder = index / SEGMENTS / name
    writer = SegmentWriter(folder, config.dedup.num_perm)
    min_tokens = config.dedup.effective_min_tokens
    ids = corpus.ids
    for batch in sketches(corpus.texts, config, workers):
        lo, hi = batch.first, batch.first + len(batch.n_tokens)
        writer.add(np.arange(first_key + lo, first_key + hi, dtype=np.int64), list(ids[lo:hi]),
                   batch.n_tokens, batch.signatures, batch_rows(batch, min_tokens, first_key))
        if progress_bar is not None:
            progress_bar.update(hi - lo)
    writer.finish()
    store = corpus.store
    assert store is not None
    store.keep(folder / STORE)
    return Segment(name, len(corpus), first_key)


class SegmentReader:
    """Random access to one segment's documents and signatures by index key."""

    def __init__(self, index: Path, segment: Segment, num_perm: int) -> None:
        self.folder = index / SEGMENTS / segment.name
        self.segment = segment
        self.keys = np.load(self.folder / KEYS, mmap_mode="r")
        self.num_perm = num_perm
        self._store: DocumentStore | None = None
        self._signatures: np.ndarray | None = None

    @property
    def store(self) -> DocumentStore:
        if self._store is None:
            self._store = open_store(self.folder / STORE, self.segment.count)
        return self._store

    def ordinals(self, keys: np.ndarray) -> np.ndarray:
        """Ordinal of each of ``keys`` (which must be in this segment)."""
        return np.searchsorted(self.keys, keys)

    def signatures(self, ordinals: np.ndarray) -> np.ndarray:
        if self._signatures is None:
            size = os.path.getsize(self.folder / SIGNATURES)
            self._signatures = np.memmap(self.folder / SIGNATURES, dtype=np.uint32, mode="r",
                                         shape=(size // (4 * self.num_perm), self.num_perm)) \
                if size else np.zeros((0, self.num_perm), dtype=np.uint32)
        return np.asarray(self._signatures[np.asarray(ordinals)])

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        self._signatures = None


class Segments:
    """The segments of one manifest version: which segment holds a key, and their files."""

    def __init__(self, index: Path, segments: list[Segment], num_perm: int) -> None:
        self.index = index
        self.readers = [SegmentReader(index, s, num_perm) for s in segments]
        self.first_keys = np.array([int(r.keys[0]) if len(r.keys) else np.iinfo(np.int64).max
                                    for r in self.readers], dtype=np.int64)

    def files(self, name: str) -> list[str]:
        return [str(reader.folder / name) for reader in self.readers]

    def locate(self, keys: np.ndarray) -> list[tuple[SegmentReader, np.ndarray, np.ndarray]]:
        """For sorted ``keys``: each segment holding some, the positions in ``keys`` of those,
        and their ordinals in the segment."""
        keys = np.asarray(keys, dtype=np.int64)
        where = np.searchsorted(self.first_keys, keys, side="right") - 1
        out = []
        for s in np.unique(where).tolist():
            at = np.flatnonzero(where == s)
            reader = self.readers[s]
            out.append((reader, at, reader.ordinals(keys[at])))
        return out

    def signatures(self, keys: np.ndarray, num_perm: int) -> np.ndarray:
        out = np.empty((len(keys), num_perm), dtype=np.uint32)
        for reader, at, ordinals in self.locate(keys):
            out[at] = reader.signatures(ordinals)
        return out

    def documents(self, keys: np.ndarray) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Ids, texts and metadata of ``keys`` (sorted), read from the segments' stores."""
        ids: list[Any] = [None] * len(keys)
        texts: list[Any] = [None] * len(keys)
        metadata: list[Any] = [None] * len(keys)
        for reader, at, ordinals in self.locate(keys):
            store = reader.store
            for position, ordinal in zip(at.tolist(), ordinals.tolist(), strict=True):
                ids[position] = store.ids[ordinal]
                texts[position] = store.texts[ordinal]
                metadata[position] = store.metadata[ordinal]
        return ids, texts, metadata

    def lengths(self, keys: np.ndarray) -> np.ndarray:
        out = np.empty(len(keys), dtype=np.int64)
        for reader, at, ordinals in self.locate(keys):
            out[at] = reader.store.lengths[ordinals]
        return out

    def close(self) -> None:
        for reader in self.readers:
            reader.close()


def duckdb_connection(memory_limit: str = "512MB") -> Any:
    """A DuckDB connection in memory, bounded: it reads the Parquet files, spills beyond
    ``memory_limit``."""
    import tempfile

    import duckdb

    # DuckDB spills under its temp_directory (by default .tmp in the working directory).
    spill = os.path.join(tempfile.gettempdir(), f"reuse-duckdb-{os.getpid()}")
    return duckdb.connect(config={"memory_limit": memory_limit, "threads": 2,
                                  "temp_directory": spill})


def parquet_list(files: list[str]) -> str:
    """``files`` as a DuckDB list literal."""
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
