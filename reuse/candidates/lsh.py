"""MinHash signatures → candidate pairs with LSH banding, computed with numpy.

Bands and rows are chosen from ``threshold`` the way :class:`datasketch.MinHashLSH` chooses them:
the ``(bands, rows)`` with ``bands * rows <= num_perm`` that minimises the weighted sum of the
false-positive and false-negative areas under the S-curve ``1 - (1 - s**rows)**bands``.

Each band's rows are folded into one 64-bit key; items with equal keys in some band collide.
A bucket with more than ``max_bucket`` items is not expanded into all its pairs, which would be
quadratic: every member is paired with the bucket's anchor (its lowest ``order``) instead, and
the bucket is reported so callers can flag it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..common.sorting import stable_order
from ..common.validation import Range, check_parameter
from ..config import DedupConfig
from ..engine import ordered_map
from ..engine.spill import (
    PartitionedSpill,
    RowFile,
    Workspace,
    partitions_at_once,
    partitions_for,
)
from ..errors import ConfigError
from ..text.tokenize import mix64

_BAND_MULTIPLIER = np.uint64(0xC2B2AE3D27D4EB4F)
_BAND_BLOCK_ROWS = 4096


@functools.lru_cache(maxsize=16)
def _gauss_legendre(points: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(points)


def _integral(function, low: float, high: float, degree: int) -> float:
    """The integral of a polynomial of at most ``degree`` over ``[low, high]``, exact up to
    rounding: Gauss-Legendre with ``degree // 2 + 1`` points. (The banding S-curves are
    polynomials of degree ``bands * rows <= num_perm``; this replaces ``scipy.integrate.quad``,
    whose import alone took most of a second at start-up.)"""
    nodes, weights = _gauss_legendre(degree // 2 + 1)
    half = (high - low) / 2
    return float(half * np.dot(weights, function(half * nodes + (low + high) / 2)))


@functools.lru_cache(maxsize=256)
def optimal_bands(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """``(bands, rows)`` minimising the weighted false-positive and false-negative areas."""
    check_parameter("threshold", threshold, Range(float, 0, 1), "optimal_bands")
    best, best_error = (0, 0), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _integral(lambda s, b=bands, r=rows: 1 - (1 - s**r) ** b, 0.0, threshold, num_perm)
            fn = _integral(lambda s, b=bands, r=rows: (1 - s**r) ** b, threshold, 1.0, num_perm)
            error = fp * false_positive_weight + fn * false_negative_weight
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def recall_bands(threshold: float, num_perm: int, min_recall: float = 0.99) -> tuple[int, int]:
    """``(bands, rows)`` whose S-curve reaches ``min_recall`` at ``threshold``, with the smallest
    false-positive area among those; used when candidates are verified exactly, where a missed
    pair is lost for good and an extra candidate only costs one exact check."""
    check_parameter("threshold", threshold, Range(float, 0, 1, low_open=True), "recall_bands")
    best, best_area = (num_perm, 1), float("inf")
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands < min_recall:
            continue
        area = _integral(lambda s, b=bands, r=rows: 1 - (1 - s**r) ** b, 0.0, threshold, num_perm)
        if area < best_area:
            best, best_area = (bands, rows), area
    return best


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """A ``(bands, items)`` array of 64-bit keys: band ``i`` folds columns ``[i*rows, (i+1)*rows)``."""
    if bands * rows > signatures.shape[1]:
        raise ConfigError(
            f"bands * rows must not exceed num_perm: {bands} * {rows} > {signatures.shape[1]}."
        )
    n = signatures.shape[0]
    keys = np.empty((bands, n), dtype=np.uint64)
    band_ids = np.arange(bands, dtype=np.uint64)
    # Row blocks keep the strided column reads in cache.
    for lo in range(0, n, _BAND_BLOCK_ROWS):
        block = signatures[lo : lo + _BAND_BLOCK_ROWS, : bands * rows].reshape(-1, bands, rows)
        acc = np.repeat(band_ids[None, :], len(block), axis=0)
        for col in range(rows):
            acc *= _BAND_MULTIPLIER
            acc += block[:, :, col]
        keys[:, lo : lo + len(block)] = mix64(acc).T
    return keys


@dataclass(frozen=True)
class Collisions:
    """Item pairs that share a bucket (``left < right``, unique), and the oversized buckets."""

    left: np.ndarray
    right: np.ndarray
    oversized_items: np.ndarray  # items that sat in a bucket larger than max_bucket
    oversized_buckets: int


def _pairs_within_runs(members: np.ndarray, run_starts: np.ndarray, run_sizes: np.ndarray):
    """All pairs ``(members[i], members[j])`` with ``i < j`` inside each run, vectorized."""
    if len(run_sizes) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # For position p in a run of size g starting at s, p pairs with the g - 1 - (p - s) later ones.
    positions = np.arange(len(members), dtype=np.int64)
    run_of = np.repeat(np.arange(len(run_sizes)), run_sizes)
    later = run_starts[run_of] + run_sizes[run_of] - 1 - positions
    left_pos = np.repeat(positions, later)
    first_right = np.repeat(positions + 1, later)
    block_start = np.zeros(len(later), dtype=np.int64)
    np.cumsum(later[:-1], out=block_start[1:])
    right_pos = first_right + np.arange(len(left_pos)) - np.repeat(block_start, later)
    return members[left_pos], members[right_pos]


def bucket_pairs(
    members: np.ndarray, sizes: np.ndarray, max_bucket: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs inside consecutive buckets: bucket ``k`` holds the next ``sizes[k]`` of ``members``.

    A bucket of at most ``max_bucket`` members gives all its pairs; a larger one pairs each member
    with its first member only (the anchor), so the work stays linear. Returns the left and right
    members of the pairs and the mask of oversized buckets.
    """
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    small = (sizes > 1) & (sizes <= max_bucket)
    big = (sizes > 1) & (sizes > max_bucket)
    lefts, rights = [], []
    if small.any():
        sub_sizes = sizes[small]
        sub_starts = np.zeros(len(sub_sizes), dtype=np.int64)
        np.cumsum(sub_sizes[:-1], out=sub_starts[1:])
        left, right = _pairs_within_runs(members[np.repeat(small, sizes)], sub_starts, sub_sizes)
        lefts.append(left)
        rights.append(right)
    if big.any():
        in_big = members[np.repeat(big, sizes)]
        anchors = np.repeat(members[starts[big]], sizes[big])
        not_anchor = in_big != anchors
        lefts.append(anchors[not_anchor])
        rights.append(in_big[not_anchor])
    if not lefts:
        empty = np.empty(0, dtype=members.dtype)
        return empty, empty, big
    return np.concatenate(lefts), np.concatenate(rights), big


def collide(
    keys: np.ndarray,
    *,
    max_bucket: int = DedupConfig.max_bucket,
    order: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> Collisions:
    """Pairs of items sharing a key in any band of ``keys`` (shape ``(bands, items)``).

    ``groups`` optionally gives each item an owner; pairs within one owner are dropped. ``order``
    picks each oversized bucket's anchor (lowest value wins; default: lowest item index).
    """
    n_items = keys.shape[1]
    lefts, rights, oversized = [], [], []
    n_oversized = 0
    # Items in rank order, so that a stable sort of the keys breaks ties by rank, then index.
    by_rank = None if order is None else np.argsort(np.asarray(order), kind="stable")
    for band_keys_ in keys:
        sort = (stable_order(band_keys_) if by_rank is None
                else by_rank[stable_order(band_keys_[by_rank])])
        sorted_keys = band_keys_[sort]
        boundary = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
        starts = np.concatenate(([0], boundary))
        sizes = np.diff(np.concatenate((starts, [n_items])))
        left, right, big = bucket_pairs(sort, sizes, max_bucket)
        lefts.append(left)
        rights.append(right)
        if big.any():
            n_oversized += int(big.sum())
            oversized.append(sort[np.repeat(big, sizes)])
    if lefts:
        left = np.concatenate(lefts)
        right = np.concatenate(rights)
    else:
        left = right = np.empty(0, dtype=np.int64)
    if groups is not None:
        different = groups[left] != groups[right]
        left, right = left[different], right[different]
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    codes = np.unique(lo.astype(np.uint64) * np.uint64(max(n_items, 1)) + hi.astype(np.uint64))
    left = (codes // np.uint64(max(n_items, 1))).astype(np.int64)
    right = (codes % np.uint64(max(n_items, 1))).astype(np.int64)
    oversized_items = np.unique(np.concatenate(oversized)) if oversized else np.empty(0, np.int64)
    return Collisions(left, right, oversized_items, n_oversized)


def candidate_pairs(
    signatures: np.ndarray,
    threshold: float,
    *,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
    max_bucket: int = DedupConfig.max_bucket,
    order: np.ndarray | None = None,
    recall_first: bool = False,
) -> Collisions:
    """Document pairs whose signatures collide in at least one LSH band at ``threshold``.

    Bands and rows come from :func:`optimal_bands` (as datasketch picks them), or with
    ``recall_first`` from :func:`recall_bands`.
    """
    if recall_first:
        bands, rows = recall_bands(float(threshold), signatures.shape[1])
    else:
        bands, rows = optimal_bands(
            float(threshold), signatures.shape[1], false_positive_weight, false_negative_weight
        )
    return collide(band_keys(signatures, bands, rows), max_bucket=max_bucket, order=order)


# A band key and the document it belongs to: the record the LSH buckets are spilled as.
BAND_RECORD = np.dtype([("key", "<u8"), ("doc", "<i8")])
# A candidate pair (left * n_docs + right, left < right): the record the pairs are spilled as.
PAIR_RECORD = np.dtype("<u8")


# Band records held in memory before they are written, each partition's at once: a batch's
# records of one band are a few kilobytes, one file write each otherwise.
_BUFFER_BYTES = 16 << 20


class SpilledBuckets:
    """LSH band keys in bounded memory: each ``(band, key, doc)`` goes to a partition of its
    band and the top bits of its key, so that every bucket lies whole in one partition, and
    :meth:`pairs` reads and sorts one partition at a time. The pairs are spilled again,
    partitioned by their left document, and each partition is deduplicated alone: the result
    equals :func:`collide` with ``order`` (bucket members in rank order, the anchor of an
    oversized bucket its lowest rank, unique pairs ``left < right`` sorted)."""

    def __init__(self, workspace: Workspace, bands: int, rows: int, n_docs: int,
                 memory_budget: int) -> None:
        """``n_docs`` sizes the partitions; it may be a guess while keys are added (a corpus
        sketched as it is read), but must be at least the number of documents (set the
        attribute) when :meth:`pairs` runs."""
        self.bands, self.rows, self.n_docs = bands, rows, n_docs
        self.memory_budget = memory_budget
        self._workspace = workspace
        self.per_band = partitions_for(max(n_docs, 1) * BAND_RECORD.itemsize, memory_budget)
        self._shift = np.uint64(64 - (self.per_band.bit_length() - 1))
        self.spill = PartitionedSpill(workspace, "bands", BAND_RECORD, bands * self.per_band,
                                      buffer_bytes=min(memory_budget // 16, _BUFFER_BYTES))
        self.oversized_buckets = 0

    def add(self, keys: np.ndarray, docs: np.ndarray) -> None:
        """Add the band keys (``(bands, len(docs))``, from :func:`band_keys`) of ``docs``."""
        records = np.empty(keys.size, dtype=BAND_RECORD)
        records["key"] = keys.ravel()
        records["doc"] = np.tile(np.asarray(docs, dtype=np.int64), self.bands)
        partition = np.repeat(np.arange(self.bands, dtype=np.int64) * self.per_band, len(docs))
        if self.per_band > 1:
            partition += (records["key"] >> self._shift).astype(np.int64)
        self.spill.append(records, partition)

    def pairs(self, rank: np.ndarray, max_bucket: int = DedupConfig.max_bucket, workers: int = 1
              ) -> SpilledPairs:
        """The unique pairs of documents that share a bucket in some band, spilled by left
        document; ``rank[doc]`` orders bucket members (the anchor of an oversized bucket is its
        lowest rank). Counts the oversized buckets in :attr:`oversized_buckets`. The partitions
        are grouped in ``workers`` processes, as many at once as the memory budget holds."""
        pairs = SpilledPairs(self._workspace, self.n_docs,
                             partitions_for(len(self.spill) * PAIR_RECORD.itemsize,
                                            self.memory_budget))
        self.oversized_buckets = 0
        largest = int(self.spill.counts.max(initial=0)) * BAND_RECORD.itemsize
        at_once = partitions_at_once(workers, self.spill.partitions, largest,
                                     self.memory_budget)
        ranks: np.ndarray | RowFile = rank
        if at_once > 1:  # each worker maps the ranks from a file instead of a copy per task
            ranks = RowFile(self._workspace.file("ranks"), 1, np.int64)
            ranks.append(np.asarray(rank).reshape(-1, 1))
            ranks.finish()
        tasks = ((self.spill, partition, ranks, max_bucket)
                 for partition in range(self.spill.partitions))
        try:
            for left, right, oversized in ordered_map(_partition_pairs, tasks, at_once):
                self.oversized_buckets += oversized
                pairs.add(left, right)
        finally:
            if isinstance(ranks, RowFile):
                ranks.close()
        self.spill.close()
        return pairs

    def close(self) -> None:
        self.spill.close()


def _partition_pairs(task: tuple[PartitionedSpill, int, np.ndarray | RowFile, int]
                     ) -> tuple[np.ndarray, np.ndarray, int]:
    """The pairs ``(left < right)`` of the buckets of one partition of band keys, and how many
    of its buckets were oversized (in a worker process)."""
    spill, partition, rank, max_bucket = task
    records = spill.read(partition)
    if len(records) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, 0
    keys, docs = records["key"], records["doc"]
    del records
    ranks = rank.rows(docs)[:, 0] if isinstance(rank, RowFile) else rank[docs]
    sort = stable_order(keys, ranks)
    del ranks
    keys, docs = keys[sort], docs[sort]
    del sort
    starts = np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1))
    sizes = np.diff(np.append(starts, len(keys)))
    del keys
    left, right, big = bucket_pairs(docs, sizes, max_bucket)
    return np.minimum(left, right), np.maximum(left, right), int(big.sum())


class SpilledPairs:
    """Document pairs ``left < right`` spilled in partitions of consecutive left documents;
    :meth:`chunks` gives them unique and sorted by ``(left, right)``, a partition at a time."""

    def __init__(self, workspace: Workspace, n_docs: int, partitions: int) -> None:
        self.n_docs = max(n_docs, 1)
        self.spill = PartitionedSpill(workspace, "pairs", PAIR_RECORD, partitions)
        self.count = 0  # unique pairs, known once chunks() has run

    def add(self, left: np.ndarray, right: np.ndarray) -> None:
        codes = left.astype(np.uint64) * np.uint64(self.n_docs) + right.astype(np.uint64)
        self.spill.append(codes, left * self.spill.partitions // self.n_docs)

    def chunks(self, pairs_per_chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(left, right)`` chunks of at most ``pairs_per_chunk`` unique pairs, in order."""
        self.count = 0
        n = np.uint64(self.n_docs)
        for partition in range(self.spill.partitions):
            codes = np.unique(self.spill.read(partition))
            self.count += len(codes)
            for lo in range(0, len(codes), pairs_per_chunk):
                chunk = codes[lo:lo + pairs_per_chunk]
                yield (chunk // n).astype(np.int64), (chunk % n).astype(np.int64)
        self.spill.close()

    def close(self) -> None:
        self.spill.close()
