"""Shingle hashes → MinHash signatures, seeded and deterministic.

The signatures are one-permutation MinHash with densification (Li, Owen & Zhang 2012;
Shrivastava 2017): one seeded hash per shingle instead of ``num_perm`` of them.

- Each shingle ``x`` is hashed once: ``y = (x XOR salt) * M mod 2**64``, then
  ``h = y XOR (y >> 32)``, with a ``salt`` drawn from ``numpy.random.PCG64(seed)`` and a fixed
  odd ``M``. That is a bijection of 64-bit keys. Shingle hashes are already well mixed
  (``shingle.py`` ends with mix64), so one multiply and one xor-shift are enough to make the
  salt pick a different permutation.
- The high 32 bits of ``h`` pick one of ``num_perm`` bins (``(hi * num_perm) >> 32``), and the
  low 32 bits are its value. Bin ``i`` of a signature is the smallest value among the document's
  shingles that fall in bin ``i``: a MinHash of that random part of the shingle set.
- A bin that no shingle fell in borrows the value of another bin, found by probing bins
  ``(offset_i + step_i * t) mod num_perm`` for ``t = 0, 1, ...`` until one is not empty. Every
  document probes the same sequence, so two documents agree on a borrowed bin exactly when they
  agree on the bin it borrows from: the share of equal bins still estimates the Jaccard
  similarity. ``step_i`` is coprime with ``num_perm``, so the probe visits every bin and stops.

This costs one hash and one scatter-minimum per shingle, where ``num_perm`` independent
permutations cost ``num_perm`` multiply-adds per shingle; the benchmarks in ``benchmarks/`` measure
the estimate against exact Jaccard. A document without shingles has all values ``2**32 - 1``
(a bin whose only values are ``2**32 - 1`` counts as empty; the reference does the same).

The bins' minima of a batch and their densification are one compiled pass each where the
package was built with its C extensions (:mod:`reuse.sketch.compiled_minhash`, from
``compiled_minhash.c``), else numpy passes with the same values.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..candidates.lsh import band_keys
from ..common import compiled
from ..common.validation import SEED, Range, check_parameter
from ..engine.spill import Segment, SegmentSink
from ..errors import ConfigError, MissingDependencyError, ReuseError
from ..text.shingle import shingle_batch
from ..text.tokenize import token_hashes_joined
from .windows import (
    Fingerprints,
    filed_batch,
    fingerprint_records,
    window_fingerprints,
)

try:
    from . import compiled_minhash
except ImportError:  # built without a C compiler: the numpy code runs
    compiled_minhash = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ..config import PassageConfig

EMPTY_VALUE = np.uint32(0xFFFFFFFF)
_MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_MULTIPLIER = 0xD6E8FEB86659FD93
# Rows with enough filled bins probe this many rounds; bins still empty then look up their first
# filled bin directly.
_MAX_PROBE_ROUNDS = 32
# Up to this many bins, short documents are densified with a (bins x bins) table of probe steps.
_MAX_TABLE_BINS = 4096


class MinHasher:
    """A seeded one-permutation MinHash with ``num_perm`` bins, and the signatures it computes."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        check_parameter("num_perm", num_perm, Range(int, 1), "MinHasher")
        check_parameter("seed", seed, SEED, "MinHasher")
        self.num_perm = num_perm
        self.seed = seed
        rng = np.random.Generator(np.random.PCG64(seed))
        self.salt = rng.integers(0, 2**64, dtype=np.uint64)
        units = np.array([s for s in range(1, num_perm) if math.gcd(s, num_perm) == 1] or [1])
        self.offsets = rng.integers(0, num_perm, size=num_perm).astype(np.int64)
        self.steps = units[rng.integers(0, len(units), size=num_perm)].astype(np.int64)
        self._table: np.ndarray | None = None
        self.inverse_steps = np.array([pow(int(step), -1, num_perm) if num_perm > 1 else 0
                                       for step in self.steps], dtype=np.int64)

    def signatures(self, shingles: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """One signature per group ``shingles[bounds[i]:bounds[i + 1]]``.

        Returns a ``(groups, num_perm)`` ``uint32`` array. Groups must be contiguous and in order.
        """
        groups = len(bounds) - 1
        k = self.num_perm
        out = np.full((groups, k), EMPTY_VALUE, dtype=np.uint32)
        if groups == 0 or bounds[-1] == bounds[0]:
            return out
        if compiled_minhash is not None and compiled.ENABLED:
            compiled_minhash.bin_minima(
                np.ascontiguousarray(shingles, dtype=np.uint64),
                np.ascontiguousarray(bounds, dtype=np.int64), int(self.salt), _MULTIPLIER, k,
                out)
            table = self._probe_steps() if k <= _MAX_TABLE_BINS else np.empty(0, np.int16)
            compiled_minhash.densify(out, np.diff(bounds) > 0, self.offsets, self.steps, table, k)
        else:
            self._bin_minima(out, shingles, bounds)
            self._densify(out, np.diff(bounds) > 0)
        return out

    def _bin_minima(self, out: np.ndarray, shingles: np.ndarray, bounds: np.ndarray) -> None:
        """Lower each bin of ``out`` to the smallest value of its group's shingles that fall
        in it (the numpy code of :func:`reuse.sketch.compiled_minhash.bin_minima`)."""
        groups, k = out.shape
        hashed = shingles[bounds[0] : bounds[-1]] ^ self.salt
        hashed *= np.uint64(_MULTIPLIER)
        hashed ^= hashed >> np.uint64(32)
        cells = hashed >> np.uint64(32)
        cells *= np.uint64(k)
        cells >>= np.uint64(32)
        cells = cells.view(np.int64)
        cells += np.repeat(np.arange(0, groups * k, k, dtype=np.int64), np.diff(bounds))
        np.minimum.at(out.reshape(-1), cells, hashed.astype(np.uint32))

    def _densify(self, out: np.ndarray, nonempty: np.ndarray) -> None:
        """Fill the empty bins of the non-empty rows of ``out`` in place (see the module doc;
        the numpy code of :func:`reuse.sketch.compiled_minhash.densify`).

        Probing costs about ``num_perm / m`` steps per empty bin of a row with ``m`` filled
        bins, so rows with few filled bins (short documents) skip it: each of their empty bins
        looks up directly which filled bin its probe reaches first (:meth:`_densify_sparse`).
        """
        occupied = out != EMPTY_VALUE
        filled = occupied.sum(axis=1)
        # A row whose every value is 2**32 - 1 has no filled bin and stays as it is.
        nonempty = nonempty & (filled > 0)
        k = self.num_perm
        sparse = nonempty & (filled * filled < k)
        probed = nonempty & ~sparse
        if k > _MAX_TABLE_BINS:
            probed, sparse = nonempty, np.zeros_like(nonempty)
        rows, bins = np.nonzero(~occupied & probed[:, None])
        # Values are read from the undensified rows and written at the end, so a borrowed value
        # is never borrowed again.
        borrowed = np.empty(len(rows), dtype=np.uint32)
        pending = np.arange(len(rows))
        offsets, steps = self.offsets[bins], self.steps[bins]
        for t in range(min(k, _MAX_PROBE_ROUNDS)):
            if len(pending) == 0:
                break
            probe = (offsets[pending] + steps[pending] * t) % k
            values = out[rows[pending], probe]
            hit = values != EMPTY_VALUE
            borrowed[pending[hit]] = values[hit]
            pending = pending[~hit]
        rows_left, bins_left = rows[pending], bins[pending]
        first = self._first_filled(occupied, rows_left, bins_left)
        out[rows, bins] = borrowed
        out[rows_left, bins_left] = out[rows_left, first]
        if sparse.any():
            self._densify_sparse(out, occupied, np.flatnonzero(sparse), filled)

    def _probe_steps(self) -> np.ndarray:
        """``table[j, i]``: the step ``t`` at which bin ``i``'s probe reaches bin ``j``."""
        if self._table is None:
            j = np.arange(self.num_perm)[:, None]
            table = (j - self.offsets[None, :]) * self.inverse_steps[None, :] % self.num_perm
            self._table = table.astype(np.int16)
        return self._table

    def _densify_sparse(
        self, out: np.ndarray, occupied: np.ndarray, rows: np.ndarray, filled: np.ndarray
    ) -> None:
        """Densify rows with few filled bins, grouped by their number of filled bins ``m``:
        for every bin, the filled bin with the least probe step among the row's ``m``."""
        table = self._probe_steps()
        for m in np.unique(filled[rows]).tolist():
            group = rows[filled[rows] == m]
            filled_bins = np.nonzero(occupied[group])[1].reshape(len(group), m)
            reached_first = table[filled_bins].argmin(axis=1)  # (rows, bins): index into m
            source = np.take_along_axis(filled_bins, reached_first, axis=1)
            values = np.take_along_axis(out[group], source, axis=1)
            out[group] = np.where(occupied[group], out[group], values)

    def _first_filled(self, occupied: np.ndarray, rows: np.ndarray, bins: np.ndarray) -> np.ndarray:
        """For each empty ``(rows[e], bins[e])``, the filled bin of that row that comes first in
        the bin's probe sequence: the one with the least ``t``, where bin ``j`` is probed at
        ``t = (j - offset) * step**-1 mod num_perm``."""
        if len(rows) == 0:
            return np.empty(0, dtype=np.int64)
        k = self.num_perm
        distinct_rows, slot = np.unique(rows, return_inverse=True)
        filled_row, filled_bin = np.nonzero(occupied[distinct_rows])
        per_row = np.bincount(filled_row, minlength=len(distinct_rows))
        row_start = np.zeros(len(distinct_rows), dtype=np.int64)
        np.cumsum(per_row[:-1], out=row_start[1:])
        # Every empty bin against every filled bin of its row.
        reps = per_row[slot]
        entry_start = np.zeros(len(rows), dtype=np.int64)
        np.cumsum(reps[:-1], out=entry_start[1:])
        entry = np.repeat(np.arange(len(rows)), reps)
        candidate = filled_bin[
            np.repeat(row_start[slot], reps) + np.arange(len(entry)) - entry_start[entry]
        ]
        own = bins[entry]
        t = (candidate - self.offsets[own]) * self.inverse_steps[own] % k
        return np.minimum.reduceat(t * k + candidate, entry_start) % k

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        """The signature of one set of shingles."""
        return self.signatures(shingles, np.array([0, len(shingles)], dtype=np.int64))[0]

    def signature_reference(self, shingles: list[int]) -> list[int]:
        """Plain-Python definition of one signature, for differential and golden tests."""
        k, salt, empty = self.num_perm, int(self.salt), int(EMPTY_VALUE)
        bins = [empty] * k
        for x in shingles:
            product = ((x ^ salt) * _MULTIPLIER) & _MASK64
            hashed = product ^ (product >> 32)
            i = ((hashed >> 32) * k) >> 32
            bins[i] = min(bins[i], hashed & _MASK32)
        if not shingles:
            return bins
        out = list(bins)
        for i in range(k):
            if bins[i] != empty:
                continue
            for t in range(k):
                j = (int(self.offsets[i]) + int(self.steps[i]) * t) % k
                if bins[j] != empty:
                    out[i] = bins[j]
                    break
        return out

    def to_lean_minhash(self, signature: np.ndarray) -> Any:
        """Export one signature as a :class:`datasketch.LeanMinHash` (datasketch >= 2.0).

        The export compares with other exports of the same ``seed`` and ``num_perm``
        (``jaccard``, ``MinHashLSH``). It carries its own permutation scheme, ``"reuse-oph32"``,
        so that comparing it with a sketch datasketch computed itself, or inserting both into one
        ``MinHashLSH``, raises datasketch's scheme-mismatch ``ValueError`` instead of returning a
        meaningless estimate: the two hash families share no values. Pickling keeps the scheme;
        datasketch's byte format (``serialize``) has no code for it and raises.
        """
        values = np.asarray(signature)
        if values.shape != (self.num_perm,):
            raise ConfigError(
                f"to_lean_minhash takes one signature of {self.num_perm} values; "
                f"got an array of shape {values.shape}."
            )
        return lean_minhash(self.seed, values)


LEAN_MINHASH_SCHEME = "reuse-oph32"


def lean_minhash(seed: int, hashvalues: np.ndarray) -> Any:
    """A :class:`datasketch.LeanMinHash` of reuse's one-permutation values under the scheme
    :data:`LEAN_MINHASH_SCHEME` (see :meth:`MinHasher.to_lean_minhash`)."""
    return _lean_minhash_type()(seed, np.asarray(hashvalues, dtype=np.uint32))


@functools.cache
def _lean_minhash_type() -> type:
    try:
        import datasketch
        from datasketch import LeanMinHash
    except ImportError as exc:  # pragma: no cover - datasketch is a core dependency
        raise MissingDependencyError(
            "Exporting signatures to datasketch needs datasketch (pip install 'datasketch>=2.0')."
        ) from exc
    major = int(datasketch.__version__.split(".")[0])
    if major < 2:
        # Before 2.0, datasketch sketches had no scheme, so nothing could stop a comparison
        # with its own sketches from returning a wrong estimate.
        raise MissingDependencyError(
            f"Exporting signatures to datasketch needs datasketch >= 2.0, which refuses to "
            f"compare sketches of different hash families; this is {datasketch.__version__} "
            f"(pip install -U 'datasketch>=2.0')."
        )

    class ReuseLeanMinHash(LeanMinHash):
        __slots__ = ()

        def __init__(self, seed: int, hashvalues: np.ndarray) -> None:
            # datasketch validates the scheme against its own list, so the values are stored
            # under its 32-bit layout first and labelled with reuse's scheme after.
            self._initialize_slots(seed, hashvalues, "affine32")
            self.scheme = LEAN_MINHASH_SCHEME

        def copy(self) -> ReuseLeanMinHash:
            return type(self)(self.seed, self.hashvalues)

        def __reduce__(self) -> tuple[Any, tuple[int, np.ndarray]]:
            return lean_minhash, (self.seed, np.array(self.hashvalues))

        def bytesize(self, byteorder: str = "@") -> int:
            raise self._no_byte_format()

        def serialize(self, buf: Any, byteorder: str = "@") -> None:
            raise self._no_byte_format()

        @staticmethod
        def _no_byte_format() -> ReuseError:
            return ReuseError(
                "datasketch's byte format has no code for reuse's 'reuse-oph32' scheme: store "
                "the signature values (the run folder's tables, or pickle) instead."
            )

    ReuseLeanMinHash.__module__ = __name__
    return ReuseLeanMinHash


def estimated_jaccard(signatures: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Share of equal signature values for each pair ``(left[k], right[k])``."""
    out = np.empty(len(left), dtype=np.float64)
    step = max(1, (1 << 21) // max(1, signatures.shape[1]))
    for lo in range(0, len(left), step):
        hi = lo + step
        out[lo:hi] = (signatures[left[lo:hi]] == signatures[right[lo:hi]]).mean(axis=1)
    return out


@dataclass(frozen=True)
class StoredTexts:
    """Texts ``lo`` to ``hi`` of a column of a document store, read by the process that sketches
    them (the column pickles as a handle to the store's files, not as its texts)."""

    column: Any  # reuse.ingest.store.TextColumn: utf8_slice(lo, hi) -> (UTF-8 bytes, lengths)
    lo: int
    hi: int

    def __reduce__(self) -> tuple[Any, ...]:
        # The column travels pickled and is opened when the batch is read, inside the task: a
        # store removed meanwhile (the reading failed) is then the task's error, not a crash
        # of the worker process while it unpickles its next task.
        return StoredTexts, (pickle.dumps(self.column, protocol=pickle.HIGHEST_PROTOCOL),
                             self.lo, self.hi)

    def _column(self) -> Any:
        return pickle.loads(self.column) if isinstance(self.column, bytes) else self.column

    def utf8(self) -> tuple[bytes, np.ndarray]:
        """The texts' UTF-8 bytes end to end, and each one's length in characters."""
        return self._column().utf8_slice(self.lo, self.hi)

    def joined(self) -> tuple[str, np.ndarray]:
        """The texts with a NUL between each two, and each one's length in characters."""
        data, lengths = self._column().utf8_separated(self.lo, self.hi, b"\x00")
        return str(data, "utf-8", "surrogatepass"), lengths


@dataclass(frozen=True)
class SketchTask:
    """One batch of documents to sketch in a worker, and how (see :func:`sketch_batch`).

    The texts are a :class:`StoredTexts` range that the worker reads itself from the document
    store; else, to a worker process, one UTF-8 blob and their lengths (:meth:`pack`):
    pickling a ``str`` makes CPython cache its UTF-8 form inside the string for the string's
    lifetime, which would double the memory of every non-ASCII document of the corpus once
    sent to a worker. In the same process, ``payload`` may be the list of texts.

    With ``shingle_sink``, the process that sketches the batch appends its shingle hashes to
    its own file of the sink and the sketch says where; with ``return_shingles`` (a Spark
    executor's batch, whose files the driver cannot read), the hashes come back in the sketch."""

    payload: bytes | list[str] | StoredTexts  # the texts, as read or UTF-8 (lone surrogates kept)
    lengths: np.ndarray | None  # code points of each text of a packed payload
    first: int  # the batch's first document number
    strip_diacritics: bool
    ngram: int
    num_perm: int
    seed: int
    bands: int
    rows: int
    passage_config: PassageConfig | None
    # Where the shingle hashes go (for exact verification), or whether they come back.
    shingle_sink: SegmentSink | None = None
    return_shingles: bool = False
    # Where the process that sketches the batch writes its fingerprints (those of documents of
    # at least min_tokens tokens, in reuse.sketch.windows.filing_order), the sketch saying
    # where; without it, they come back in the sketch, by document and position.
    fingerprint_sink: SegmentSink | None = None
    min_tokens: int = 0

    @staticmethod
    def pack(texts: list[str]) -> tuple[bytes, np.ndarray]:
        """``payload`` and ``lengths`` of ``texts``."""
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        return "".join(texts).encode("utf-8", "surrogatepass"), lengths

    def joined(self) -> tuple[str, np.ndarray]:
        """The texts with a NUL between each two (as :func:`reuse.text.tokenize_joined` takes
        them), and each one's length in characters; a batch read from the store is decoded
        whole, never cut into texts."""
        if isinstance(self.payload, StoredTexts):
            return self.payload.joined()
        texts = self.texts()
        return "\x00".join(texts), np.fromiter(map(len, texts), dtype=np.int64,
                                                count=len(texts))

    def texts(self) -> list[str]:
        if isinstance(self.payload, list):
            return self.payload
        if isinstance(self.payload, StoredTexts):
            data, lengths = self.payload.utf8()
        else:
            data, lengths = self.payload, self.lengths
        joined = str(data, "utf-8", "surrogatepass")
        ends = np.cumsum(lengths).tolist()
        return [joined[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


@dataclass(frozen=True)
class BatchSketch:
    """What :func:`sketch_batch` computes for a batch of documents."""

    first: int
    n_tokens: np.ndarray
    signatures: np.ndarray  # (documents, num_perm) uint32
    band_keys: np.ndarray  # (bands, documents) uint64
    fingerprints: Fingerprints | None
    # With SketchTask.return_shingles: the hashes, and the bounds of each document's.
    shingle_hashes: tuple[np.ndarray, np.ndarray] | None = None
    # With SketchTask.shingle_sink: where the hashes went, and each document's number of them.
    shingle_segment: tuple[Segment, np.ndarray] | None = None
    # With SketchTask.fingerprint_sink: where the fingerprints went (their documents counted
    # from the batch's first), and their filing bins (reuse.sketch.windows.filed_batch).
    filed_fingerprints: tuple[Segment, np.ndarray] | None = None

    def numbered_from(self, first: int) -> BatchSketch:
        """The same sketches, for documents numbered from ``first``."""
        fingerprints = self.fingerprints
        if fingerprints is not None:
            fingerprints = Fingerprints(fingerprints.hashes,
                                        fingerprints.docs + (first - self.first),
                                        fingerprints.positions)
        return dataclasses.replace(self, first=first, fingerprints=fingerprints)


@functools.lru_cache(maxsize=4)
def _minhasher(num_perm: int, seed: int) -> MinHasher:
    return MinHasher(num_perm, seed)


def sketch_batch(task: SketchTask) -> BatchSketch:
    """Tokenize, shingle and sketch one batch: token counts, MinHash signatures, LSH band keys,
    and when asked the shingle hashes (for exact verification) and the passage-window
    fingerprints."""
    tokens = token_hashes_joined(*task.joined(), task.strip_diacritics)
    shingles, bounds = shingle_batch(tokens, task.ngram)
    signatures = _minhasher(task.num_perm, task.seed).signatures(shingles, bounds)
    fingerprints = None
    if task.passage_config is not None:
        passage = task.passage_config
        if passage.ngram == task.ngram:
            window_shingles, window_bounds = shingles, bounds
        else:
            window_shingles, window_bounds = shingle_batch(tokens, passage.ngram)
        fingerprints = window_fingerprints(window_shingles, window_bounds, passage.window,
                                           passage.seed, task.first)
    n_tokens = tokens.counts()
    filed = None
    if fingerprints is not None and task.fingerprint_sink is not None:
        compared = n_tokens >= task.min_tokens
        if not compared.all():
            fingerprints = fingerprints.take(compared[fingerprints.docs - task.first])
        ordered, bins = filed_batch(fingerprints)
        filed = (task.fingerprint_sink.append(fingerprint_records(ordered, task.first)), bins)
        fingerprints = None
    segment = None
    if task.shingle_sink is not None:
        segment = (task.shingle_sink.append(shingles[bounds[0]:bounds[-1]]), np.diff(bounds))
    return BatchSketch(
        task.first, n_tokens, signatures, band_keys(signatures, task.bands, task.rows),
        fingerprints, (shingles, bounds) if task.return_shingles else None, segment, filed,
    )


def sketch_texts(template: SketchTask, texts: list[str]) -> BatchSketch:
    """:func:`sketch_batch` of ``texts`` (in the process that holds them) with the settings of
    ``template``, numbered from 0: the sketching fused into the workers that read a JSONL file
    (see :class:`reuse.ingest.PartStage`); :meth:`BatchSketch.numbered_from` renumbers it."""
    return sketch_batch(dataclasses.replace(template, payload=texts, lengths=None, first=0))
