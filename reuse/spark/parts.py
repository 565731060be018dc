"""The tables Spark writes (a folder of ``part-*.parquet`` files, in order when the DataFrame
was sorted before writing), read back a record batch at a time, in order: what the run folder
writer streams into its one file per table, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .arrays import fixed_rows

_BATCH_ROWS = 1 << 16


def part_files(folder: str | Path) -> list[Path]:
    """The Parquet part files of a table Spark wrote, in the order of their names (the order
    of the partitions, which a global sort makes the order of the rows)."""
    return sorted(Path(folder).glob("part-*.parquet"))


def batches(folder: str | Path, columns: list[str] | None = None,
            rows: int = _BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of the table in ``folder``, in order, a batch of at most ``rows`` at a time."""
    for path in part_files(folder):
        yield from pq.ParquetFile(path).iter_batches(batch_size=rows, columns=columns)


def frame(folder: str | Path, schema: pa.Schema) -> pd.DataFrame:
    """The whole table as a DataFrame in ``schema`` (what the Python API returns)."""
    parts = [batch.select(schema.names).cast(schema)
             for batch in batches(folder, columns=schema.names)]
    return pa.Table.from_batches(parts, schema=schema).to_pandas()


class PartSignatures:
    """The signatures a Spark run wrote (``doc``-ordered parts with a ``signature`` binary
    column), read as :class:`reuse.engine.spill.RowFile` is read by the run folder writer:
    ``n_rows``, ``width`` and :meth:`blocks`."""

    def __init__(self, folder: str | Path, n_rows: int, width: int) -> None:
        self.folder = Path(folder)
        self.n_rows = n_rows
        self.width = width
        self.dtype = np.dtype(np.uint32)

    def blocks(self, rows_per_block: int) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row, block)`` for consecutive blocks of at most ``rows_per_block`` rows."""
        start = 0
        for batch in batches(self.folder, ["signature"], rows_per_block):
            block = fixed_rows(batch.column("signature"), np.uint32, self.width)
            yield start, block
            start += len(block)
