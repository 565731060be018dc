"""Passage windows → candidate document pairs that share a passage, with seed positions.

Every run of ``window`` consecutive shingles of a document is a passage window. A window's
fingerprint is its one-permutation MinHash: the smallest (seeded) shingle hash inside it.
Neighbouring windows mostly share their minimum, so a document of ``S`` shingles has about
``2 S / (window + 1)`` distinct fingerprints (this is winnowing, Schleimer et al. 2003). Two
documents that share an unedited run of at least ``window`` shingles are guaranteed to share a
fingerprint, and a passage with light edits shares several.

Fingerprints are the LSH buckets: documents sharing at least ``min_shared`` fingerprints become a
candidate pair, carrying the token positions of the first and last shared fingerprint in both
documents (the seeds). A fingerprint found in more than ``max_bucket`` documents (boilerplate,
or a very common phrase) is not expanded into all its pairs: each of its documents is paired
with the bucket's first document only, and the fingerprint is counted as capped. Each document
nominates at most ``max_pairs_per_doc`` partners, those with the most shared fingerprints,
so there are at most ``documents * max_pairs_per_doc`` candidate pairs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..candidates.lsh import bucket_pairs
from ..common import compiled
from ..common.fileio import read_into
from ..common.sorting import stable_order
from ..config import PassageConfig
from ..engine import ordered_map
from ..engine.spill import (
    DEFAULT_MEMORY_BUDGET,
    MAX_PARTITIONS,
    PartitionedSpill,
    Segment,
    SegmentSink,
    Workspace,
    partitions_at_once,
    partitions_for,
)
from ..text.tokenize import mix64

try:
    from . import compiled_windows
except ImportError:  # built without a C compiler: the numpy code runs
    compiled_windows = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Fingerprints:
    """Selected window minima: ``hashes[k]`` occurs in document ``docs[k]`` at token
    ``positions[k]``. Entries are ordered by document, then position."""

    hashes: np.ndarray
    docs: np.ndarray
    positions: np.ndarray

    def __len__(self) -> int:
        return len(self.hashes)

    def take(self, index: np.ndarray) -> Fingerprints:
        return Fingerprints(self.hashes[index], self.docs[index], self.positions[index])

    @staticmethod
    def concat(parts: list[Fingerprints]) -> Fingerprints:
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            return Fingerprints(np.empty(0, dtype=np.uint64), empty, empty)
        return Fingerprints(
            np.concatenate([p.hashes for p in parts]),
            np.concatenate([p.docs for p in parts]),
            np.concatenate([p.positions for p in parts]),
        )


FINGERPRINT_RECORD = np.dtype([("hash", "<u8"), ("doc", "<i8"), ("position", "<i8")])
# Bytes of grouping work per byte of a partition's records (passage_candidates' sorts, gathers
# and masks: about 3 on a 300k-document run), with room: the budget divided by this is one
# partition's records.
GROUPING_WORK = 8.0


# Each 16-bit value with its bits in reverse order: sorted by the reversal of their low bits,
# hashes lie grouped by their low k bits, for every k up to 16 at once.
_REVERSED_16 = np.zeros(1 << 16, dtype=np.uint16)
for _bit in range(16):
    _REVERSED_16 |= (((np.arange(1 << 16) >> _bit) & 1) << (15 - _bit)).astype(np.uint16)
del _bit


def _filing_key(hashes: np.ndarray) -> np.ndarray:
    return _REVERSED_16[(hashes & np.uint64(0xFFFF)).astype(np.intp)]


def filing_order(fingerprints: Fingerprints) -> Fingerprints:
    """``fingerprints`` reordered so that those of each :class:`SpilledFingerprints` partition
    lie together (whatever the number of partitions), those of one hash in their order: a
    batch that :meth:`SpilledFingerprints.add` writes without sorting."""
    return fingerprints.take(np.argsort(_filing_key(fingerprints.hashes), kind="stable"))


# A filed batch also says how many of its fingerprints fall in each of these bins (the top bits
# of their reversed low 16 bits, in filing order): the partitions of any power-of-two count up
# to MAX_PARTITIONS are runs of bins, so the process that files a batch written elsewhere knows
# where each partition lies in it without reading it.
_FILING_BITS = MAX_PARTITIONS.bit_length() - 1


def filed_batch(fingerprints: Fingerprints) -> tuple[Fingerprints, np.ndarray]:
    """``fingerprints`` in :func:`filing_order`, and how many fall in each filing bin, in the
    order they lie: what a sketching process writes (:func:`fingerprint_records`) and hands to
    :meth:`SpilledFingerprints.add_filed`."""
    key = _filing_key(fingerprints.hashes)
    bins = np.bincount(key >> (16 - _FILING_BITS), minlength=1 << _FILING_BITS)
    return fingerprints.take(np.argsort(key, kind="stable")), bins.astype(np.int64)


def fingerprint_records(fingerprints: Fingerprints, first: int = 0) -> np.ndarray:
    """``fingerprints`` as records (``FINGERPRINT_RECORD``), documents counted from ``first``."""
    records = np.empty(len(fingerprints), dtype=FINGERPRINT_RECORD)
    records["hash"] = fingerprints.hashes
    records["doc"] = fingerprints.docs - first
    records["position"] = fingerprints.positions
    return records


def _record_fingerprints(records: np.ndarray) -> Fingerprints:
    """Fingerprints viewing the columns of spilled ``records`` (no copy)."""
    return Fingerprints(records["hash"], records["doc"], records["position"])


class SpilledFingerprints:
    """Passage fingerprints on disk, in bounded memory: each goes to the partition of its hash's
    low bits, so every bucket lies whole in one partition and :func:`passage_candidates` reads
    one partition at a time. Within a partition, the fingerprints of one hash keep the order
    they were added in (by document, then position, when added batch by batch in document
    order), which is all that grouping them needs. A batch in :func:`filing_order` is written
    as it lies; any other is grouped by partition first. Or, added with :meth:`add_filed`, a
    batch stays in the file that the process which sketched it wrote it to
    (:class:`FiledFingerprints`).

    The number of partitions is chosen on the first non-empty add, from that batch's
    fingerprints per document times ``expected_documents``, so that one partition (and the
    work of grouping it) fits ``memory_budget``. ``home`` is a :class:`Workspace` (temporary
    files) or a folder (a checkpoint's, whose files outlive this object until :meth:`close`).
    The low bits, not the top ones: a fingerprint is a window's minimum, so its top bits are
    mostly zero.
    """

    def __init__(self, home: Workspace | Path, expected_documents: int, memory_budget: int
                 ) -> None:
        self._home = home
        self._expected_documents = max(expected_documents, 1)
        self._memory_budget = memory_budget
        self.spill: PartitionedSpill | FiledFingerprints | None = None

    @classmethod
    def reopened(cls, paths: Sequence[Path], counts: np.ndarray,
                 runs: tuple[Sequence[Path], np.ndarray] | None = None) -> SpilledFingerprints:
        """The fingerprints written earlier to ``paths``, for example by a killed run into its
        checkpoint: ``counts[p]`` records in ``paths[p]``; or, with ``runs`` (see
        :attr:`filed_runs`), filed batches in those files, ``counts[p]`` in partition ``p``."""
        spilled = cls(Path(paths[0]).parent if paths else Path("."), 1, 1)
        if runs is not None:
            spilled.spill = FiledFingerprints.reopened(paths, counts, *runs)
        elif paths:
            spilled.spill = PartitionedSpill.reopened(paths, FINGERPRINT_RECORD, counts)
        return spilled

    def __len__(self) -> int:
        return 0 if self.spill is None else len(self.spill)

    def _partitions_for(self, count: int, documents: int) -> int:
        """Partitions for the corpus, guessed from a first batch of ``count`` fingerprints."""
        per_document = count / max(documents, 1) * FINGERPRINT_RECORD.itemsize
        return partitions_for(int(per_document * self._expected_documents), self._memory_budget,
                              GROUPING_WORK)

    def add(self, fingerprints: Fingerprints, documents: int) -> None:
        """Add the fingerprints of a batch of ``documents`` documents."""
        if len(fingerprints) == 0:
            return
        if self.spill is None:
            self.spill = PartitionedSpill(self._home, "fingerprints", FINGERPRINT_RECORD,
                                          self._partitions_for(len(fingerprints), documents))
        if not isinstance(self.spill, PartitionedSpill):
            raise ValueError("SpilledFingerprints.add after add_filed")
        records = fingerprint_records(fingerprints)
        mask = np.uint64(self.spill.partitions - 1)
        self.spill.append(records, (fingerprints.hashes & mask).astype(np.int64))

    def sink(self) -> SegmentSink:
        """Where a sketching process writes the records of a batch in :func:`filing_order`
        (:func:`fingerprint_records`, documents counted from the batch's first) for
        :meth:`add_filed`: a file of its own in this store's folder."""
        return SegmentSink(str(_folder_of(self._home)), FILED_STEM)

    def add_filed(self, segment: Segment, bins: np.ndarray, documents: int, first: int) -> None:
        """Add a batch of ``documents`` documents from ``first`` whose fingerprints a process
        wrote to ``segment`` of a :meth:`sink` file, with their bins (:func:`filed_batch`): the
        records stay where they are, and each partition reads its run of every batch."""
        if segment.count == 0:
            return
        if self.spill is None:
            self.spill = FiledFingerprints(self._home,
                                           self._partitions_for(segment.count, documents))
        if not isinstance(self.spill, FiledFingerprints):
            raise ValueError("SpilledFingerprints.add_filed after add")
        self.spill.add(segment, bins, first)

    def parts(self) -> Iterator[Fingerprints]:
        """The fingerprints, a partition at a time (the empty ones left out)."""
        for partition in np.flatnonzero(self.counts).tolist():
            yield _record_fingerprints(self.spill.read(partition))

    def partitions(self) -> list[tuple[PartitionedSpill | FiledFingerprints, int]]:
        """The non-empty partitions, as (spill, partition) pairs that a worker process reads
        (their ``read(partition)``)."""
        if self.spill is None:
            return []
        return [(self.spill, partition) for partition in np.flatnonzero(self.counts).tolist()]

    @property
    def paths(self) -> list[Path]:
        return [] if self.spill is None else list(self.spill.paths)

    @property
    def counts(self) -> np.ndarray:
        return np.zeros(0, dtype=np.int64) if self.spill is None else self.spill.counts.copy()

    @property
    def filed_runs(self) -> tuple[list[Path], np.ndarray] | None:
        """For filed batches, the files and counts of where each partition's runs are
        (:attr:`FiledFingerprints.runs`), which :meth:`reopened` takes back; else None."""
        if not isinstance(self.spill, FiledFingerprints):
            return None
        self.spill.runs.flush()
        return list(self.spill.runs.paths), self.spill.runs.counts.copy()

    def close(self) -> None:
        """Remove the files."""
        if self.spill is not None:
            self.spill.close()


def _folder_of(home: Workspace | Path) -> Path:
    return home.path if isinstance(home, Workspace) else Path(home)


def _run_partitions(partitions: int) -> np.ndarray:
    """The partition of each run of filing bins, in the order the runs lie in a filed batch."""
    bits = partitions.bit_length() - 1
    if not bits:
        return np.zeros(1, dtype=np.int64)
    return _REVERSED_16[:partitions].astype(np.int64) >> (16 - bits)


FILED_STEM = "fingerprints-filed"
# Where each partition's runs are: (file, first record, records, first document) per batch.
_RUN_RECORD = np.dtype([("file", "<i8"), ("start", "<i8"), ("count", "<i8"), ("first", "<i8")])
_RUN_BUFFER_BYTES = 1 << 20


class FiledFingerprints:
    """Fingerprint records in the files that sketching processes wrote them to, a batch in
    :func:`filing_order` at a time (:meth:`SpilledFingerprints.sink`), read a partition at a
    time: a partition is a run of records in every batch, and its runs, in the order the
    batches were added, hold the fingerprints of each of its hashes in document order. Where
    the runs are is itself spilled, a partition's to a file of its own (:attr:`runs`: per batch,
    ``(file, first record, records, first document)``, the records counting their documents
    from the batch's first), so that the main process keeps only a count per partition and a
    name per file, whatever the corpus.

    ``home``: a :class:`Workspace`, or a folder (a checkpoint's), where the sketching
    processes' files and the run files are."""

    def __init__(self, home: Workspace | Path, partitions: int) -> None:
        if partitions & (partitions - 1) or not 0 < partitions <= MAX_PARTITIONS:
            raise ValueError(f"{partitions} partitions: a power of two up to {MAX_PARTITIONS}")
        self.folder = _folder_of(home)
        self.partitions = partitions
        self.files: list[str] = []
        self.runs = PartitionedSpill(home, "fingerprint-runs", _RUN_RECORD, partitions,
                                     buffer_bytes=_RUN_BUFFER_BYTES)
        self.counts = np.zeros(partitions, dtype=np.int64)  # fingerprints per partition
        self._order = _run_partitions(partitions)

    @classmethod
    def reopened(cls, paths: Sequence[Path], counts: np.ndarray, run_paths: Sequence[Path],
                 run_counts: np.ndarray) -> FiledFingerprints:
        """The fingerprints filed earlier (by a killed run into its checkpoint, say): the
        sketching processes' files ``paths``, ``counts[p]`` fingerprints in partition ``p``,
        and the run files (:attr:`runs`: their paths and counts)."""
        filed = cls.__new__(cls)
        filed.folder = Path(paths[0]).parent if paths else Path(".")
        filed.partitions = len(run_paths)
        filed.files = [Path(path).name for path in paths]
        filed.runs = PartitionedSpill.reopened(list(run_paths), _RUN_RECORD, run_counts)
        filed.counts = np.asarray(counts, dtype=np.int64).copy()
        filed._order = _run_partitions(filed.partitions)
        return filed

    def __len__(self) -> int:
        return int(self.counts.sum())

    def add(self, segment: Segment, bins: np.ndarray, first: int) -> None:
        if segment.name not in self.files:
            self.files.append(segment.name)
        sizes = np.asarray(bins, dtype=np.int64).reshape(self.partitions, -1).sum(axis=1)
        if int(sizes.sum()) != segment.count:
            raise ValueError(f"{segment.count} fingerprints in the segment, {int(sizes.sum())} "
                             "in its bins")
        kept = sizes > 0
        runs = np.empty(int(kept.sum()), dtype=_RUN_RECORD)
        runs["file"] = self.files.index(segment.name)
        runs["start"] = (segment.start + np.cumsum(sizes) - sizes)[kept]
        runs["count"] = sizes[kept]
        runs["first"] = first
        self.runs.append(runs, self._order[kept])
        np.add.at(self.counts, self._order[kept], sizes[kept])

    @property
    def paths(self) -> list[Path]:
        """The sketching processes' files."""
        return [self.folder / name for name in self.files]

    def read(self, partition: int) -> np.ndarray:
        """The records of one partition, documents counted from the corpus's first."""
        runs = self.runs.read(partition)
        records = np.empty(int(runs["count"].sum()), dtype=FINGERPRINT_RECORD)
        size = FINGERPRINT_RECORD.itemsize
        data = memoryview(records).cast("B")
        descriptors: dict[int, int] = {}
        try:
            done = 0
            for file, start, count, first in runs.tolist():
                descriptor = descriptors.get(file)
                if descriptor is None:
                    descriptor = descriptors[file] = os.open(self.folder / self.files[file],
                                                             os.O_RDONLY)
                read_into(descriptor, data[done * size:(done + count) * size], start * size,
                          f"{self.folder / self.files[file]}: the fingerprints file")
                records["doc"][done:done + count] += first
                done += count
        finally:
            for descriptor in descriptors.values():
                os.close(descriptor)
        return records

    def close(self) -> None:
        self.runs.close()
        for path in self.paths:
            path.unlink(missing_ok=True)


def window_fingerprints(
    shingles: np.ndarray, bounds: np.ndarray, window: int, seed: int, doc_offset: int = 0
) -> Fingerprints:
    """Winnowing fingerprints of each document ``shingles[bounds[d]:bounds[d + 1]]``.

    A document with fewer than ``window`` shingles has one window: all of them. With the
    package's C extensions, one compiled pass over the batch
    (:func:`reuse.sketch.compiled_windows.winnow`) gives the same fingerprints.
    """
    if len(shingles) == 0:
        return Fingerprints.concat([])
    salt = mix64(np.array([seed + 0x51ED27], dtype=np.uint64))[0]
    n = len(shingles)
    width = min(window, n)
    if (compiled_windows is not None and compiled.ENABLED and shingles.dtype == np.uint64
            and bounds[0] == 0 and bounds[-1] == n):
        hashes, docs, positions = (np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.int64),
                                   np.empty(n, dtype=np.int64))
        kept = compiled_windows.winnow(np.ascontiguousarray(shingles),
                                       np.ascontiguousarray(bounds, dtype=np.int64), width,
                                       int(salt), hashes, docs, positions)
        # New arrays of the fingerprints' size: the buffers had room for every shingle.
        return Fingerprints(hashes[:kept].copy(), docs[:kept] + doc_offset,
                            positions[:kept].copy())
    hashes = mix64(shingles ^ salt)
    counts = np.diff(bounds)
    # Position of the minimum of every window over the concatenation; the windows that cross
    # into the next document are dropped below.
    minimum_at = window_minima(hashes, width)
    starts = np.arange(len(minimum_at), dtype=np.int64)
    doc_of_start = np.repeat(np.arange(len(counts)), counts)[: len(starts)]
    fits = starts + width <= bounds[1:][doc_of_start]
    keep_pos = minimum_at[fits]
    keep_doc = doc_of_start[fits]
    # Documents shorter than one window: the minimum over the whole document.
    short = np.flatnonzero((counts > 0) & (counts < width))
    if len(short):
        short_min = _first_minimum(hashes, bounds[short], counts[short])
        keep_pos = np.concatenate((keep_pos, short_min))
        keep_doc = np.concatenate((keep_doc, short))
        order = np.argsort(keep_pos, kind="stable")
        keep_pos, keep_doc = keep_pos[order], keep_doc[order]
    # Consecutive windows with the same minimum select the same fingerprint once.
    fresh = np.ones(len(keep_pos), dtype=bool)
    fresh[1:] = keep_pos[1:] != keep_pos[:-1]
    keep_pos, keep_doc = keep_pos[fresh], keep_doc[fresh]
    return Fingerprints(
        hashes[keep_pos], keep_doc + doc_offset, keep_pos - bounds[keep_doc]
    )


def window_minima(values: np.ndarray, width: int) -> np.ndarray:
    """The position of the minimum (the leftmost of equal ones) of each window
    ``values[i:i + width]``, for ``i`` from 0 to ``len(values) - width``.

    A window of ``2**k`` values is two of ``2**(k - 1)``, so ``k`` passes over the array find
    the minima of every window of ``2**k <= width`` values, and one more those of ``width``
    (two overlapping windows of ``2**k``): a few vector operations per element, instead of
    ``width`` comparisons in a call per window (numpy's ``argmin`` of a sliding view, about
    five times slower for the default ten-shingle window). With the package's C extensions, one
    compiled pass instead (:func:`reuse.sketch.compiled_windows.window_minima`, a monotone
    queue for wide windows), several times faster on hashed values
    (``benchmarks/results_window_minima.md``).
    """
    if not 1 <= width <= len(values):
        raise ValueError(f"window_minima: a width of {width} for {len(values)} values")
    if compiled_windows is not None and compiled.ENABLED and values.dtype == np.uint64:
        at = np.empty(len(values) - width + 1, dtype=np.int64)
        compiled_windows.window_minima(np.ascontiguousarray(values), width, at)
        return at
    minima, at = values, np.arange(len(values), dtype=np.int64)
    span = 1
    while 2 * span <= width:
        minima, at = _pairwise_minima(minima, at, span)
        span *= 2
    if span < width:
        minima, at = _pairwise_minima(minima, at, width - span)
    return at


def _pairwise_minima(minima: np.ndarray, at: np.ndarray, shift: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The smaller of ``minima[i]`` and ``minima[i + shift]`` with its position, the first on
    a tie (it lies further left)."""
    left, right = minima[:-shift], minima[shift:]
    right_smaller = right < left
    return np.minimum(left, right), np.where(right_smaller, at[shift:], at[:-shift])


def _first_minimum(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Index of the first minimum of each non-empty segment ``values[starts[k]:][:lengths[k]]``."""
    first = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=first[1:])
    index = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
    segment_values = values[index]
    minima = np.minimum.reduceat(segment_values, first)
    at_minimum = np.flatnonzero(segment_values == np.repeat(minima, lengths))
    return index[at_minimum[np.searchsorted(at_minimum, first)]]


@dataclass(frozen=True)
class PassageCandidates:
    """Document pairs (``a < b``) that share passage fingerprints, with their seeds.

    ``a_first``/``a_last`` and ``b_first``/``b_last`` are token positions (shingle starts) of the
    first and last shared fingerprint in each document. The seeds are every shared fingerprint:
    seed ``s`` of pair ``seed_pair[s]`` is at token ``seed_a[s]`` of ``a`` and ``seed_b[s]`` of
    ``b`` (its first position in each), sorted by pair, then ``seed_a``.
    """

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray
    a_first: np.ndarray
    a_last: np.ndarray
    b_first: np.ndarray
    b_last: np.ndarray
    capped_fingerprints: int
    capped_docs: np.ndarray
    seed_pair: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    seed_a: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    seed_b: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.a)


def passage_candidates(
    fingerprints: Fingerprints | SpilledFingerprints, config: PassageConfig,
    groups: np.ndarray | None = None, workers: int = 1,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> PassageCandidates:
    """Group fingerprints into buckets and turn shared buckets into candidate document pairs.

    ``groups`` optionally gives each document a collection; only pairs across two collections
    are kept (for example suspicious documents against sources). Spilled fingerprints are
    grouped a partition at a time (a bucket lies in one), with the same result: in ``workers``
    processes, as many partitions at once as ``memory_budget`` holds the grouping of.
    """
    if isinstance(fingerprints, Fingerprints):
        found = [_bucket_seeds(fingerprints, config, groups)]
    else:
        largest = int(fingerprints.counts.max(initial=0)) * FINGERPRINT_RECORD.itemsize
        partitions = fingerprints.partitions()
        at_once = partitions_at_once(workers, len(partitions), largest, memory_budget,
                                     GROUPING_WORK)
        tasks = ((spill, partition, config, groups) for spill, partition in partitions)
        found = list(ordered_map(_partition_seeds, tasks, at_once))
    capped = sum(seeds.capped for seeds in found)
    capped_docs = np.unique(np.concatenate(
        [np.empty(0, dtype=np.int64), *(seeds.capped_docs for seeds in found)]))
    a, b, a_pos, b_pos = (
        np.concatenate([np.empty(0, dtype=np.int64), *(getattr(seeds, name) for seeds in found)])
        for name in ("a", "b", "a_pos", "b_pos"))
    del found
    if len(a) == 0:
        empty = np.empty(0, dtype=np.int64)
        return PassageCandidates(empty, empty, empty, empty, empty, empty, empty, capped,
                                 capped_docs)

    # Aggregate per document pair: count, and first/last seed positions.
    n_docs = int(b.max()) + 1
    code = a.astype(np.int64) * n_docs + b
    pair_order = _seed_order(code, a_pos, b_pos)
    code, a_pos, b_pos = code[pair_order], a_pos[pair_order], b_pos[pair_order]
    new_pair = np.ones(len(code), dtype=bool)
    new_pair[1:] = code[1:] != code[:-1]
    group_start = np.flatnonzero(new_pair)
    group_end = np.concatenate((group_start[1:], [len(code)])) - 1
    count = group_end - group_start + 1
    pair_a, pair_b = code[group_start] // n_docs, code[group_start] % n_docs
    result = _bounded(
        pair_a, pair_b, count,
        a_pos[group_start], a_pos[group_end],
        np.minimum.reduceat(b_pos, group_start), np.maximum.reduceat(b_pos, group_start),
        config,
    )
    # The seeds of the pairs kept: the pairs come out sorted by (a, b), as their codes are.
    kept_code = result[0] * n_docs + result[1]
    seed_pair = np.searchsorted(kept_code, code)
    in_kept = seed_pair < len(kept_code)
    in_kept[in_kept] = kept_code[seed_pair[in_kept]] == code[in_kept]
    return PassageCandidates(*result, capped, capped_docs, seed_pair[in_kept],
                             a_pos[in_kept], b_pos[in_kept])


def _seed_order(code: np.ndarray, a_pos: np.ndarray, b_pos: np.ndarray) -> np.ndarray:
    """``np.lexsort((b_pos, a_pos, code))``, as two stable sorts of packed keys: by the
    positions, then by the pair."""
    b_bits = int(b_pos.max()).bit_length()
    if int(a_pos.max()).bit_length() + b_bits > 64:
        return np.lexsort((b_pos, a_pos, code))
    by_position = stable_order((a_pos.astype(np.uint64) << np.uint64(b_bits))
                               | b_pos.astype(np.uint64))
    return by_position[stable_order(code[by_position])]


@dataclass(frozen=True)
class _BucketSeeds:
    """The shared fingerprints of some buckets, as seeds ``(a_pos[k], b_pos[k])`` of document
    pairs ``a[k] < b[k]``; ``capped`` buckets were over ``max_bucket``, ``capped_docs`` their
    documents."""

    a: np.ndarray
    b: np.ndarray
    a_pos: np.ndarray
    b_pos: np.ndarray
    capped: int
    capped_docs: np.ndarray


def _partition_seeds(task: tuple[PartitionedSpill, int, PassageConfig, np.ndarray | None]
                     ) -> _BucketSeeds:
    """The seeds of one partition of spilled fingerprints (in a worker process)."""
    spill, partition, config, groups = task
    return _bucket_seeds(_record_fingerprints(spill.read(partition)), config, groups)


def _bucket_seeds(fingerprints: Fingerprints, config: PassageConfig,
                  groups: np.ndarray | None) -> _BucketSeeds:
    """The seeds of whole buckets: every bucket of ``fingerprints`` is all of its entries."""
    # One entry per (fingerprint, document): the first position in that document.
    # Fingerprints arrive ordered by document and position, so a stable sort on the hash alone
    # orders each bucket by document and position too.
    order = stable_order(fingerprints.hashes)
    hashes = fingerprints.hashes[order]
    # Most fingerprints occur once in the corpus and pair nothing: drop them before gathering.
    repeated = np.zeros(len(hashes), dtype=bool)
    if len(hashes) > 1:
        same_as_next = hashes[1:] == hashes[:-1]
        repeated[1:] = same_as_next
        repeated[:-1] |= same_as_next
    order, hashes = order[repeated], hashes[repeated]
    docs = fingerprints.docs[order]
    positions = fingerprints.positions[order]
    del order
    first_in_doc = np.ones(len(hashes), dtype=bool)
    first_in_doc[1:] = (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])
    hashes, docs, positions = hashes[first_in_doc], docs[first_in_doc], positions[first_in_doc]

    boundary = np.flatnonzero(hashes[1:] != hashes[:-1]) + 1
    run_starts = np.concatenate(([0], boundary)).astype(np.int64)
    run_sizes = np.diff(np.concatenate((run_starts, [len(hashes)]))).astype(np.int64)
    entries = np.arange(len(hashes), dtype=np.int64)
    left, right, big = bucket_pairs(entries, run_sizes, config.max_bucket)
    capped_docs = np.unique(docs[np.repeat(big, run_sizes)])
    swap = docs[left] > docs[right]
    left, right = np.where(swap, right, left), np.where(swap, left, right)
    a, b = docs[left], docs[right]
    a_pos, b_pos = positions[left], positions[right]
    if groups is not None:
        across = groups[a] != groups[b]
        a, b, a_pos, b_pos = a[across], b[across], a_pos[across], b_pos[across]
    return _BucketSeeds(*(x.astype(np.int64, copy=False) for x in (a, b, a_pos, b_pos)),
                        int(big.sum()), capped_docs.astype(np.int64, copy=False))


def _bounded(a, b, count, a_first, a_last, b_first, b_last, config: PassageConfig):
    keep = count >= config.min_shared
    a, b, count = a[keep], b[keep], count[keep]
    a_first, a_last, b_first, b_last = a_first[keep], a_last[keep], b_first[keep], b_last[keep]
    if len(a) == 0:
        return a, b, count, a_first, a_last, b_first, b_last
    # Each document nominates its max_pairs_per_doc strongest partners; a pair survives when
    # either of its documents nominates it, so there are at most documents * limit pairs.
    limit = config.max_pairs_per_doc
    pair_index = np.arange(len(a))
    owner = np.concatenate((a, b))
    nominee = np.concatenate((pair_index, pair_index))
    strength = np.concatenate((count, count))
    order = np.lexsort((nominee, -strength, owner))
    sorted_owner = owner[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_owner[1:] != sorted_owner[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank = np.arange(len(order)) - group_start
    survive = np.zeros(len(a), dtype=bool)
    survive[nominee[order[rank < limit]]] = True
    order = np.lexsort((b[survive], a[survive]))
    return tuple(x[survive][order] for x in (a, b, count, a_first, a_last, b_first, b_last))
