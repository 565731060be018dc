"""Records on disk, so that a stage's memory does not grow with the corpus.

* :class:`Workspace`: a temporary directory holding a run's spill files, removed when closed.
* :class:`PartitionedSpill`: fixed-width numpy records appended to ``P`` partition files, each
  read back (and sorted) alone: the grouping stages' memory is one partition, whose size the
  caller picks from the memory budget (:func:`partitions_for`).
* :class:`RowFile`: a 2-D array written block by block (MinHash signatures: one row per
  document), whose rows are read back by number, or block by block.
* :func:`append_segment`: records appended to a file of this process's own in a folder, so
  that worker processes write their outputs themselves instead of sending them back.
* :func:`parse_memory_budget`: ``"512MB"``, ``"2GB"``, ``"1GiB"`` or a number of bytes.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..common.sorting import stable_order
from ..errors import ConfigError, ScratchSpaceError
from .scratch import scratch_folder

DEFAULT_MEMORY_BUDGET = 1 << 30
# The smallest budget accepted (tests use it to force many partitions).
MIN_MEMORY_BUDGET = 1 << 14
# Partitions of one spill at most: past this, a partition may outgrow the budget rather than
# the spill becoming more files than records.
MAX_PARTITIONS = 1 << 12

_UNITS = {"": 1, "B": 1, "K": 10**3, "KB": 10**3, "KIB": 2**10, "M": 10**6, "MB": 10**6,
          "MIB": 2**20, "G": 10**9, "GB": 10**9, "GIB": 2**30, "T": 10**12, "TB": 10**12,
          "TIB": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*")


def spill_error(path: str | os.PathLike[str], exc: OSError) -> ScratchSpaceError:
    reason = exc.strerror or str(exc)
    return ScratchSpaceError(
        f"{path}: cannot write a temporary file ({reason}). Make room in "
        f"{tempfile.gettempdir()}, or set TMPDIR to a folder on a larger disk, and run again."
    )


def write_records(handle: BinaryIO, path: Path, records: np.ndarray) -> None:
    """Write ``records``' bytes to ``handle``; an OSError is a :class:`ScratchSpaceError`."""
    if records.size == 0:  # (a memoryview of no bytes cannot be cast)
        return
    try:
        handle.write(memoryview(np.ascontiguousarray(records)).cast("B"))
    except OSError as exc:
        raise spill_error(path, exc) from exc


@dataclass(frozen=True)
class Segment:
    """Records appended by :func:`append_segment`: ``count`` of them from record ``start`` of
    the file ``name`` in the folder."""

    name: str
    start: int
    count: int


def append_segment(folder: str | os.PathLike[str], stem: str, records: np.ndarray) -> Segment:
    """Append ``records`` to this process's file ``{stem}-{pid}.bin`` in ``folder`` (created on
    first use), unbuffered, and close it: any process can read them as soon as this returns,
    and a worker holds no descriptor of a folder that the main process may remove (an open one
    would keep the removed file's disk space until the worker exits). Each process writes only
    its own file, so worker processes need no lock, and the caller (the main process) receives
    where the records are instead of them."""
    name = f"{stem}-{os.getpid()}.bin"
    path = os.path.join(os.fspath(folder), name)
    data = memoryview(np.ascontiguousarray(records)).cast("B")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags, 0o600)
        try:
            start = os.fstat(descriptor).st_size
            written = 0
            while written < len(data):
                written += os.write(descriptor, data[written:written + (1 << 30)])
        finally:
            os.close(descriptor)
    except OSError as exc:
        raise spill_error(path, exc) from exc
    return Segment(name, start // max(records.itemsize, 1), len(records))


@dataclass(frozen=True)
class SegmentSink:
    """A folder and stem to :func:`append_segment` records to, picklable: a worker process
    given one writes its records to its own file and sends back only the :class:`Segment`,
    which costs less than sending the records through a pipe to be written here."""

    folder: str
    stem: str

    def append(self, records: np.ndarray) -> Segment:
        return append_segment(self.folder, self.stem, records)


def parse_memory_budget(value: int | str | None, owner: str) -> int:
    """The memory budget in bytes: ``None`` is the default (1 GiB); an int is bytes; a string is
    a number and a unit, decimal (``KB``, ``MB``, ``GB``, ``TB``) or binary (``KiB``, ``MiB``,
    ``GiB``, ``TiB``), case-insensitive."""
    if value is None:
        return DEFAULT_MEMORY_BUDGET
    size: float | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match and match.group(2).upper() in _UNITS:
            size = float(match.group(1)) * _UNITS[match.group(2).upper()]
    if size is None or size < MIN_MEMORY_BUDGET:
        raise ConfigError(
            f"The 'memory_budget' parameter of {owner} must be a size of at least 16 KiB, such "
            f"as '512MB', '2GB' or a number of bytes (or None: 1 GiB). Got {value!r} instead."
        )
    return int(size)


# Bytes of work per byte of a partition's records when it is grouped (a sort's words, order and
# copies), unless a caller says otherwise.
WORK_FACTOR = 4.0


def partitions_at_once(workers: int, partitions: int, largest_bytes: int, budget: int,
                       work_factor: float = WORK_FACTOR) -> int:
    """How many partitions to group at once in worker processes: at most ``workers``, no more
    than there are (a pool started for one partition costs its start), and as many as ``budget``
    bytes hold the grouping of the largest (``largest_bytes`` of records) at the same time."""
    return max(1, min(workers, partitions,
                      int(budget // max(largest_bytes * work_factor, 1))))


def partitions_for(total_bytes: int, budget: int, work_factor: float = WORK_FACTOR) -> int:
    """How many partitions keep one partition's records, times ``work_factor`` (the sort's
    copies and index arrays), within ``budget`` bytes: a power of two, at most
    :data:`MAX_PARTITIONS`."""
    needed = min(max(1, math.ceil(total_bytes * work_factor / budget)), MAX_PARTITIONS)
    return 1 << (needed - 1).bit_length()


def _joined_records(pieces: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """``pieces`` end to end, as records of ``dtype``. Joined as bytes: numpy's concatenate
    promotes a structured dtype field by field in Python for every piece, which cost more
    than the copying for the hundreds of small pieces a partition gathers."""
    if len(pieces) == 1:
        return pieces[0]
    data = b"".join(memoryview(np.ascontiguousarray(piece, dtype=dtype)).cast("B")
                    for piece in pieces if len(piece))
    return np.frombuffer(data, dtype=dtype)


class Workspace:
    """A scratch folder for spill files (:func:`~reuse.engine.scratch.scratch_folder`, under
    ``TMPDIR``), removed by :meth:`close`, when collected, or at exit."""

    def __init__(self) -> None:
        self.path = scratch_folder("spill")
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)
        self._names = 0

    def file(self, stem: str) -> Path:
        """A new file name in the workspace."""
        self._names += 1
        return self.path / f"{stem}-{self._names}"

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PartitionedSpill:
    """Records of one numpy ``dtype`` in ``partitions`` files; :meth:`append` sends each record
    to the partition its caller chose, and :meth:`read` returns one partition's records in the
    order they were appended.

    With ``buffer_bytes``, appended records wait in memory, up to that many bytes, and are then
    written a partition at a time: one write per partition instead of one per partition per
    append (opening and closing a file for a few kilobytes cost more than the writing). Such a
    spill is read in this process only: its files lack the waiting records until
    :meth:`flush`, which :meth:`read` calls."""

    def __init__(self, home: Workspace | Path, stem: str, dtype: np.dtype, partitions: int,
                 buffer_bytes: int = 0) -> None:
        """The partition files go to the workspace ``home``, or to the folder ``home`` (as
        ``{stem}-p{partition}``, files that outlive the spill until :meth:`close`)."""
        self.dtype = np.dtype(dtype)
        self.partitions = partitions
        self.buffer_bytes = buffer_bytes
        self._waiting: dict[int, list[np.ndarray]] = {}
        self._waiting_bytes = 0
        if isinstance(home, Workspace):
            self.paths = [home.file(f"{stem}-p{p}") for p in range(partitions)]
        else:
            self.paths = [Path(home) / f"{stem}-p{p}" for p in range(partitions)]
        self.counts = np.zeros(partitions, dtype=np.int64)

    @classmethod
    def reopened(cls, paths: list[Path], dtype: np.dtype, counts: np.ndarray
                 ) -> PartitionedSpill:
        """The spill whose partition ``p`` was written to ``paths[p]`` with ``counts[p]``
        records (by a run that was killed, say): read as written; appending goes on."""
        spill = cls.__new__(cls)
        spill.dtype = np.dtype(dtype)
        spill.buffer_bytes, spill._waiting, spill._waiting_bytes = 0, {}, 0
        spill.partitions = len(paths)
        spill.paths = [Path(path) for path in paths]
        spill.counts = np.asarray(counts, dtype=np.int64).copy()
        if len(spill.counts) != len(spill.paths):
            raise ValueError(f"{len(paths)} partition files, {len(spill.counts)} counts")
        return spill

    def __len__(self) -> int:
        return int(self.counts.sum())

    def append(self, records: np.ndarray, partition: np.ndarray | int) -> None:
        """Append ``records[i]`` to partition ``partition[i]``, for every ``i`` (in order), or
        all of them to partition ``partition``."""
        if len(records) == 0:
            return
        if np.ndim(partition) == 0:
            self._write(int(partition), records)
            return
        partition = np.asarray(partition)
        starts = np.flatnonzero(partition[1:] != partition[:-1]) + 1
        if len(starts) < self.partitions:
            runs = partition[np.concatenate(([0], starts))]
            if len(np.unique(runs)) == len(runs):
                # Each partition's records are together already (a caller that grouped them,
                # in a worker process say): written as they lie, no sort.
                for run, piece in zip(runs.tolist(), np.split(records, starts), strict=True):
                    self._write(run, piece)
                return
        sort = stable_order(partition)
        sizes = np.bincount(partition, minlength=self.partitions)
        ends = np.cumsum(sizes)
        grouped = records[sort]
        for p in np.flatnonzero(sizes).tolist():
            self._write(p, grouped[ends[p] - sizes[p]:ends[p]])

    def _write(self, partition: int, records: np.ndarray) -> None:
        if self.buffer_bytes:
            self._waiting.setdefault(partition, []).append(records)
            self._waiting_bytes += records.nbytes
            self.counts[partition] += len(records)
            if self._waiting_bytes >= self.buffer_bytes:
                self.flush()
            return
        self._write_now(partition, records)
        self.counts[partition] += len(records)

    def __getstate__(self) -> dict[str, object]:
        # Another process reads the files: the records waiting here go to them first.
        self.flush()
        return self.__dict__.copy()

    def flush(self) -> None:
        """Write the records waiting in memory (with ``buffer_bytes``) to their files."""
        waiting, self._waiting, self._waiting_bytes = self._waiting, {}, 0
        for partition, pieces in sorted(waiting.items()):
            self._write_now(partition, _joined_records(pieces, self.dtype))

    def _write_now(self, partition: int, records: np.ndarray) -> None:
        # Opened for each write: thousands of partitions never hold thousands of descriptors.
        path = self.paths[partition]
        try:
            handle = open(path, "ab")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise spill_error(path, exc) from exc
        try:
            write_records(handle, path, records.astype(self.dtype, copy=False))
        finally:
            try:
                handle.close()
            except OSError as exc:
                raise spill_error(path, exc) from exc

    def read(self, partition: int) -> np.ndarray:
        """The records of one partition, in the order they were appended."""
        if self._waiting:
            self.flush()
        if self.counts[partition] == 0:
            return np.empty(0, dtype=self.dtype)
        records = np.fromfile(self.paths[partition], dtype=self.dtype)
        if len(records) != self.counts[partition]:
            raise OSError(f"{self.paths[partition]}: the spill file holds {len(records)} "
                          f"records, {self.counts[partition]} were written")
        return records

    def close(self) -> None:
        self._waiting, self._waiting_bytes = {}, 0
        for path in self.paths:
            path.unlink(missing_ok=True)


class RowFile:
    """A ``(rows, width)`` array of ``dtype`` in a file, appended block by block; rows are read
    back by number (:meth:`rows`) or in blocks (:meth:`blocks`), from any process that has the
    path."""

    def __init__(self, path: str | os.PathLike[str], width: int, dtype: np.dtype) -> None:
        self.path = Path(path)
        self.width = width
        self.dtype = np.dtype(dtype)
        self.n_rows = 0
        self._handle: BinaryIO | None = None

    def append(self, block: np.ndarray) -> None:
        if block.ndim != 2 or block.shape[1] != self.width:
            raise ValueError(f"RowFile.append takes (rows, {self.width}) blocks, got "
                             f"{block.shape}")
        if self._handle is None:
            self._handle = open(self.path, "ab")  # noqa: SIM115 - closed by finish()
        write_records(self._handle, self.path, block.astype(self.dtype, copy=False))
        self.n_rows += len(block)

    def finish(self) -> RowFile:
        """Flush and close the file: appending is over. Returns the file, for chaining."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            try:
                handle.close()
            except OSError as exc:
                raise spill_error(self.path, exc) from exc
        return self

    def __getstate__(self) -> dict[str, object]:
        self.finish()
        return {key: value for key, value in self.__dict__.items() if key != "_handle"} | {
            "_handle": None}

    def rows(self, numbers: np.ndarray) -> np.ndarray:
        """The rows ``numbers`` (a copy, in that order)."""
        self.finish()
        numbers = np.asarray(numbers, dtype=np.int64)
        if self.n_rows == 0 or len(numbers) == 0:
            return np.empty((len(numbers), self.width), dtype=self.dtype)
        # A mapping of the whole file; only the pages of the rows read become resident, and they
        # are released with the mapping when this returns.
        mapped = np.memmap(self.path, dtype=self.dtype, mode="r", shape=(self.n_rows, self.width))
        try:
            return np.array(mapped[numbers])
        finally:
            del mapped

    def blocks(self, rows_per_block: int) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row, block)`` for consecutive blocks of at most ``rows_per_block`` rows."""
        self.finish()
        if self.n_rows == 0:
            return
        row_bytes = self.width * self.dtype.itemsize
        with open(self.path, "rb") as handle:
            for start in range(0, self.n_rows, rows_per_block):
                count = min(rows_per_block, self.n_rows - start)
                data = handle.read(count * row_bytes)
                if len(data) != count * row_bytes:
                    raise OSError(f"{self.path}: the row file ended early")
                yield start, np.frombuffer(data, dtype=self.dtype).reshape(count, self.width)

    def close(self) -> None:
        self.finish()
        self.path.unlink(missing_ok=True)
