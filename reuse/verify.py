"""Exact Jaccard of document pairs from their shingle hashes.

Once the candidate pairs are known, :func:`candidate_shingles` tokenizes the documents that are
in one (each once, in batches, in worker processes) into a :class:`ShingleStore`: each process
writes the hashes of its batches to a file of its own, so they never travel between processes,
and memory holds only a batch of them. The sketching pass of a large input keeps none: most
documents are in no candidate pair, and the hashes of all of them take more disk than the
corpus (8 bytes per shingle, about 1.4 times its UTF-8 text); a small input's keeps them all
(:mod:`reuse.pipeline.sketching`). The texts come back from the corpus's store, or from
the input file for a store without them (:mod:`reuse.ingest.reread`).

:func:`pair_jaccard` works on chunks of pairs. A shingle is compared by the top
:data:`VERIFY_HASH_BITS` (56) bits of its 64-bit hash. The compiled pass
(:mod:`reuse.compiled_verify`, built with the package) sorts each document's hashes once and
merges the two sorted lists of each pair. Without it, the numpy code makes one ``uint64`` sort
per :data:`PAIRS_PER_SORT` pairs, its keys holding the pair number (7 bits) and the side (1 bit)
beside the 56 bits: each pair's two lists of hashes, laid side by side and sorted, give runs of
equal hashes, and a run holding both sides is a shingle the two documents share. The hashes are
mixed (:func:`reuse.text.shingle.shingle`), so two distinct shingles of a pair of 1,000-shingle
documents agree on those 56 bits with a probability of about 3 in 10^11: but for that chance,
the counts are those of the shingle sets.
"""

from __future__ import annotations

import os
import shutil
import weakref
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .common import compiled
from .common.fileio import read_into
from .common.ranges import expand_ranges
from .engine import ordered_map
from .engine.scratch import scratch_folder
from .engine.spill import RowFile, Segment, SegmentSink, spill_error
from .sketch.feed import BATCH_CHARS, char_batches
from .sketch.minhash import estimated_jaccard
from .text.shingle import shingle_batch
from .text.tokenize import tokenize_batch

try:
    from . import compiled_verify
except ImportError:  # built without its C extensions: the numpy code runs
    compiled_verify = None  # type: ignore[assignment]

# The stem of the files a process writes shingle hashes to (see ShingleStore).
SHINGLE_STEM = "shingles"
# Pairs read from the shingle store at a time: about 2 * 2^10 documents of a few hundred
# shingles each, a few MB.
PAIRS_PER_CHUNK = 1 << 10
# The bits of a shingle hash that exact verification compares; the rest of a sort key holds
# the pair number (so PAIRS_PER_SORT pairs a sort) and the side.
VERIFY_HASH_BITS = 56
_PAIR_BITS = 64 - VERIFY_HASH_BITS - 1
PAIRS_PER_SORT = 1 << _PAIR_BITS
_UINT64_BYTES = 8


def _remove_folder(folder: Path) -> None:
    """Remove ``folder``, again if a worker's task still in flight added a segment file to it
    while it was being removed (the folder then stays, not empty); from then on, with the
    folder gone, such a write fails instead."""
    for _ in range(3):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder):
            return


class ShingleStore:
    """Each document's shingle hashes, in document order, in segment files of a scratch folder
    of its own (:func:`~reuse.engine.scratch.scratch_folder`, in ``directory``, else under
    ``TMPDIR``), removed when the store is closed or collected. The sketching processes write
    the segments themselves (through :meth:`sink`, each its own file of :attr:`directory`) and
    the store records where each batch went (:meth:`add`); :meth:`append` writes a batch from
    this process. Exact verification reads documents back with :meth:`read`, or in worker
    processes through :meth:`reader`.

    Memory: 8 bytes per document (where its hashes start, counted in document order), and four
    numbers per batch."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = scratch_folder("shingles", directory)
        self._finalizer = weakref.finalize(self, _remove_folder, self.directory)
        self._starts = array("q", [0])
        # One row per batch: its first document, its first hash in document order, its file
        # (index into _files) and its first hash in that file.
        self._batches = array("q")
        self._files: list[str] = []
        self._offsets: np.ndarray | None = None
        self._reader: ShingleReader | None = None

    def __len__(self) -> int:
        return len(self._starts) - 1

    def append(self, shingles: np.ndarray, bounds: np.ndarray) -> None:
        """Add the documents ``shingles[bounds[i]:bounds[i + 1]]``, in order."""
        values = np.ascontiguousarray(shingles[bounds[0]:bounds[-1]], dtype=np.uint64)
        self.add(self.sink().append(values), np.diff(bounds))

    def sink(self) -> SegmentSink:
        """Where a process writes the hashes of a batch for :meth:`add`."""
        return SegmentSink(str(self.directory), SHINGLE_STEM)

    def add(self, segment: Segment, sizes: np.ndarray) -> None:
        """Add the next ``len(sizes)`` documents, whose hashes (``sizes[i]`` each, in order) are
        the ``segment`` of a file of this store's folder."""
        if self._offsets is not None:
            raise ValueError("ShingleStore.add/append after the store was read")
        if int(np.sum(sizes)) != segment.count:
            raise ValueError(f"ShingleStore.add: {segment.count} hashes in the segment, "
                             f"{int(np.sum(sizes))} in the sizes")
        if segment.name not in self._files:
            self._files.append(segment.name)
        self._batches.extend((len(self), self._starts[-1], self._files.index(segment.name),
                              segment.start))
        ends = np.cumsum(np.asarray(sizes, dtype=np.int64)) + self._starts[-1]
        self._starts.extend(ends.tolist())

    def sizes(self) -> np.ndarray:
        """The number of shingle hashes of each document."""
        return np.diff(self._finish())

    def read(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The hashes of ``docs`` (document numbers): one flat array, and the bounds of each
        document's hashes in it."""
        offsets = self._finish()
        return _read_groups(self.directory, self._files, self._batch_table(), offsets, docs)

    def reader(self) -> ShingleReader:
        """A picklable reader of the store, for worker processes."""
        offsets = self._finish()
        if self._reader is None:
            offsets_path = self.directory / f"{SHINGLE_STEM}.offsets"
            try:
                offsets.tofile(offsets_path)
            except OSError as exc:
                raise spill_error(offsets_path, exc) from exc
            self._reader = ShingleReader(self.directory, tuple(self._files), offsets_path,
                                         len(offsets), self._batch_table())
        return self._reader

    def _batch_table(self) -> np.ndarray:
        return np.frombuffer(self._batches, dtype=np.int64).reshape(-1, 4)

    def _finish(self) -> np.ndarray:
        if self._offsets is None:
            self._offsets = np.frombuffer(self._starts, dtype=np.int64)
        return self._offsets

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> ShingleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class ShingleReader:
    """The documents of a :class:`ShingleStore`, read from its files by path (in any process)."""

    directory: Path
    files: tuple[str, ...]
    offsets_path: Path
    n_offsets: int
    batches: np.ndarray  # the store's batch table (a few numbers per batch)

    def read(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`ShingleStore.read`."""
        offsets = np.memmap(self.offsets_path, dtype=np.int64, mode="r", shape=(self.n_offsets,))
        return _read_groups(self.directory, self.files, self.batches, offsets, docs)


def _read_groups(directory: Path, files: list[str] | tuple[str, ...], batches: np.ndarray,
                 offsets: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    docs = np.asarray(docs, dtype=np.int64)
    starts, ends = np.asarray(offsets[docs]), np.asarray(offsets[docs + 1])
    bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=bounds[1:])
    out = np.empty(int(bounds[-1]), dtype=np.uint64)
    if len(docs) == 0:
        return out, bounds
    batch = np.searchsorted(batches[:, 0], docs, side="right") - 1
    file_of = batches[batch, 2]
    positions = (batches[batch, 3] + starts - batches[batch, 1]) * _UINT64_BYTES
    view = memoryview(out).cast("B")
    descriptors: dict[int, int] = {}
    try:
        for file, position, size, at in zip(file_of.tolist(), positions.tolist(),
                                            (ends - starts).tolist(), bounds[:-1].tolist(),
                                            strict=True):
            if size == 0:
                continue
            descriptor = descriptors.get(file)
            if descriptor is None:
                descriptor = descriptors[file] = os.open(directory / files[file], os.O_RDONLY)
            read_into(descriptor, view[at * _UINT64_BYTES:(at + size) * _UINT64_BYTES], position,
                      "the shingle store")
    finally:
        for descriptor in descriptors.values():
            os.close(descriptor)
    return out, bounds


@dataclass(frozen=True)
class ShingleTask:
    """Documents ``docs`` (increasing, in ``[first, stop)``) to tokenize and shingle in a
    worker, their texts read with ``texts`` (``read(positions) -> list[str]``), the hashes
    appended to the worker's file of ``sink`` (:meth:`ShingleStore.sink`)."""

    texts: Any
    first: int
    stop: int
    docs: np.ndarray
    strip_diacritics: bool
    ngram: int
    sink: SegmentSink


def shingle_documents(task: ShingleTask) -> tuple[Segment, np.ndarray]:
    """Tokenize and shingle the documents of ``task``: where their hashes went, and the number
    of hashes of every document of ``[task.first, task.stop)`` (none for those not asked)."""
    tokens = tokenize_batch(task.texts.read(task.docs), task.strip_diacritics)
    shingles, bounds = shingle_batch(tokens, task.ngram)
    sizes = np.zeros(task.stop - task.first, dtype=np.int64)
    sizes[task.docs - task.first] = np.diff(bounds)
    return task.sink.append(shingles), sizes


def candidate_shingles(texts: Any, involved: np.ndarray, lengths: np.ndarray,
                       strip_diacritics: bool, ngram: int, workers: int = 1,
                       directory: str | os.PathLike[str] | None = None,
                       budget: int = BATCH_CHARS) -> ShingleStore:
    """A :class:`ShingleStore` of the ``len(involved)`` documents (of which ``lengths`` are
    the texts' lengths) holding the shingle hashes of those ``involved`` marks and none for
    the others: their texts read with ``texts`` and tokenized in ``workers`` processes, about
    ``budget`` characters a task. The caller closes the store."""
    docs = np.flatnonzero(involved)
    store = ShingleStore(directory)
    if len(docs) == 0:
        store.append(np.empty(0, dtype=np.uint64), np.zeros(len(involved) + 1, np.int64))
        return store
    cuts = [0, *(stop for _, stop in char_batches(lengths[docs], budget))]
    # Task k covers the documents from its first to the next task's first (the first from 0,
    # the last to the end), so the store holds every document in order.
    firsts = [0, *docs[cuts[1:-1]].tolist()]
    stops = [*firsts[1:], len(involved)]
    tasks = (ShingleTask(texts, first, stop, docs[lo:hi], strip_diacritics, ngram, store.sink())
             for first, stop, lo, hi in zip(firsts, stops, cuts[:-1], cuts[1:], strict=True))
    try:
        for segment, sizes in ordered_map(shingle_documents, tasks, workers):
            store.add(segment, sizes)
    except BaseException:
        store.close()
        raise
    return store


@dataclass(frozen=True)
class VerifyTask:
    """A chunk of candidate pairs to verify in a worker: the signatures file, the shingle store
    (exact verification) or None, and the threshold a pair must reach."""

    signatures: RowFile
    shingles: ShingleReader | None
    left: np.ndarray
    right: np.ndarray
    threshold: float


@dataclass(frozen=True)
class Verified:
    """The accepted pairs of a :class:`VerifyTask` and their MinHash estimate and exact
    Jaccard (NaN when not verified exactly)."""

    left: np.ndarray
    right: np.ndarray
    estimate: np.ndarray
    exact: np.ndarray


def verify_pairs(task: VerifyTask) -> Verified:
    """Estimate each pair from its signatures (read from the file) and, with a shingle store,
    compute its exact Jaccard; keep the pairs whose exact Jaccard (else estimate) reaches the
    threshold."""
    docs, inverse = np.unique(np.concatenate((task.left, task.right)), return_inverse=True)
    n = len(task.left)
    estimate = estimated_jaccard(task.signatures.rows(docs), inverse[:n], inverse[n:])
    exact = None if task.shingles is None else pair_jaccard(task.shingles, task.left, task.right)
    return accepted_pairs(task.left, task.right, estimate, exact, task.threshold)


def accepted_pairs(left: np.ndarray, right: np.ndarray, estimate: np.ndarray,
                   exact: np.ndarray | None, threshold: float) -> Verified:
    """The pairs whose exact Jaccard (without one, their MinHash estimate) reaches
    ``threshold``; ``exact`` is NaN in the result when not given."""
    if exact is None:
        exact = np.full(len(left), np.nan)
        accepted = estimate >= threshold
    else:
        accepted = exact >= threshold
    return Verified(left[accepted], right[accepted], estimate[accepted], exact[accepted])


def pair_jaccard(store: ShingleStore | ShingleReader, left: np.ndarray, right: np.ndarray,
                 pairs_per_chunk: int = PAIRS_PER_CHUNK) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of each pair ``(left[k], right[k])`` of the
    documents in ``store``; 1.0 for two documents without shingles."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    out = np.empty(len(left), dtype=np.float64)
    for lo in range(0, len(left), pairs_per_chunk):
        hi = min(lo + pairs_per_chunk, len(left))
        docs, inverse = np.unique(np.concatenate((left[lo:hi], right[lo:hi])),
                                  return_inverse=True)
        values, bounds = store.read(docs)
        out[lo:hi] = group_jaccard(values, bounds, inverse[:hi - lo], inverse[hi - lo:])
    return out


def group_jaccard(values: np.ndarray, bounds: np.ndarray, a: np.ndarray, b: np.ndarray
                  ) -> np.ndarray:
    """Exact Jaccard of the distinct values (compared by their top :data:`VERIFY_HASH_BITS`
    bits) of the groups ``values[bounds[i]:bounds[i + 1]]`` of each pair ``(a[k], b[k])``; 1.0
    for two empty groups."""
    shared, size_a, size_b = shared_counts(values, bounds, a, b)
    union = size_a + size_b - shared
    return np.where(union > 0, shared / np.maximum(union, 1), 1.0)


def shared_counts(values: np.ndarray, bounds: np.ndarray, a: np.ndarray, b: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair ``(a[k], b[k])`` of the groups ``values[bounds[i]:bounds[i + 1]]``: the
    number of distinct values the two share, and each one's number of distinct values, values
    compared by their top :data:`VERIFY_HASH_BITS` bits."""
    a = np.asarray(a, dtype=np.intp)
    b = np.asarray(b, dtype=np.intp)
    counts = np.empty((3, len(a)), dtype=np.int64)
    if compiled_verify is not None and compiled.ENABLED:
        compiled_verify.shared_counts(
            np.ascontiguousarray(values, dtype=np.uint64),
            np.ascontiguousarray(bounds, dtype=np.int64), a.astype(np.int64, copy=False),
            b.astype(np.int64, copy=False), counts)
        return counts[0], counts[1], counts[2]
    for lo in range(0, len(a), PAIRS_PER_SORT):
        hi = min(lo + PAIRS_PER_SORT, len(a))
        counts[:, lo:hi] = _sorted_counts(values, bounds, a[lo:hi], b[lo:hi])
    return counts[0], counts[1], counts[2]


def _sorted_counts(values: np.ndarray, bounds: np.ndarray, a: np.ndarray, b: np.ndarray
                   ) -> np.ndarray:
    """:func:`shared_counts` of at most :data:`PAIRS_PER_SORT` pairs, as one array (shared,
    size_a, size_b), from one sort of keys (pair, hash, side)."""
    n_pairs = len(a)
    sides = np.column_stack((a, b)).ravel()
    row, index = expand_ranges(bounds[sides], bounds[sides + 1])
    row = row.astype(np.uint64)
    one = np.uint64(1)
    keys = (((row >> one) << np.uint64(VERIFY_HASH_BITS + 1))
            | ((values[index] >> np.uint64(64 - VERIFY_HASH_BITS)) << one) | (row & one))
    del row, index
    keys.sort()
    # A run is one (pair, hash), keys equal but for the side bit; side 0 (a) sorts first.
    firsts = np.empty(len(keys), dtype=bool)
    firsts[:1] = True
    np.greater(keys[1:] ^ keys[:-1], one, out=firsts[1:])
    lasts = np.empty(len(keys), dtype=bool)
    lasts[-1:] = True
    lasts[:-1] = firsts[1:]
    heads, tails = keys[firsts], keys[lasts]
    pairs = (heads >> np.uint64(VERIFY_HASH_BITS + 1)).astype(np.intp)
    in_a = (heads & one) == 0
    in_b = (tails & one) == one
    return np.stack((np.bincount(pairs[in_a & in_b], minlength=n_pairs),
                     np.bincount(pairs[in_a], minlength=n_pairs),
                     np.bincount(pairs[in_b], minlength=n_pairs)))
