"""Compaction: every segment of an index merged into one, without the removed documents."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..common.durable import fsync_path
from ..ingest.store import CHUNK_ROWS, DocumentStore
from .folder import SEGMENTS, Manifest, Segment, new_name
from .segments import (
    BANDS,
    DOCS,
    FINGERPRINTS,
    KEYS,
    SIGNATURES,
    STORE,
    SegmentReader,
    duckdb_connection,
    parquet_list,
)


def compact_segments(index: Path, manifest: Manifest, removed: np.ndarray, num_perm: int
                     ) -> Segment | None:
    """Write one segment holding the live documents of ``manifest``'s segments (None when
    there are none); the caller commits it."""
    import pyarrow as pa

    if not manifest.segments:
        return None
    readers = [SegmentReader(index, s, num_perm) for s in manifest.segments]
    name = new_name("segment")
    folder = index / SEGMENTS / name
    folder.mkdir()
    store = DocumentStore(folder)
    kept_keys = []
    try:
        with open(folder / SIGNATURES, "wb") as signatures:
            for reader in readers:
                keys = np.asarray(reader.keys)
                live = np.flatnonzero(~np.isin(keys, removed))
                kept_keys.append(keys[live])
                source = reader.store
                for lo in range(0, len(live), CHUNK_ROWS):
                    ordinals = live[lo:lo + CHUNK_ROWS].tolist()
                    store.append([source.ids[k] for k in ordinals],
                                 [source.texts[k] for k in ordinals],
                                 [source.metadata[k] for k in ordinals],
                                 [source.origins[k] for k in ordinals])
                    signatures.write(reader.signatures(np.array(ordinals, dtype=np.int64))
                                     .tobytes())
            signatures.flush()
            os.fsync(signatures.fileno())
        keys = np.concatenate(kept_keys) if kept_keys else np.empty(0, dtype=np.int64)
        np.save(folder / KEYS, keys)
        connection = duckdb_connection()
        try:
            connection.register("removed", pa.table({"key": removed}))
            for table, column in ((DOCS, "key"), (BANDS, "doc"), (FINGERPRINTS, "doc")):
                files = parquet_list([str(r.folder / table) for r in readers])
                target = str(folder / table).replace("'", "''")
                connection.execute(
                    f"COPY (SELECT * FROM read_parquet({files}) WHERE {column} NOT IN "
                    f"(SELECT key FROM removed) ORDER BY {column}) TO '{target}' "
                    "(FORMAT PARQUET)")
        finally:
            connection.close()
        store.keep(folder / STORE)
    finally:
        store.close()
        for reader in readers:
            reader.close()
    for entry in os.listdir(folder):
        if os.path.isfile(folder / entry):
            with open(folder / entry, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_path(folder)
    if not len(keys):
        return None
    return Segment(name, len(keys), int(keys[0]))
