"""Parquet, and Arrow record batches: read one batch of rows at a time.

A Parquet file is read row group by row group, in batches of ``BATCH_ROWS`` rows inside a row
group, its column chunks read a buffer at a time (not a whole row group); only one batch is
ever turned into Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from .records import RecordSink, split_record
from .text import shown

BATCH_ROWS = 1024
# Bytes read at a time from a column chunk: pages are read and decoded as the batches need them,
# so that a row group of gigabytes is never in memory whole.
_READ_BUFFER = 1 << 20


def check_columns(name: str, columns: Sequence[Any], sink: RecordSink, choose: str) -> None:
    """The id and text columns are there, and no column is named twice."""
    corpus = sink.corpus
    for column in (corpus.id_field, corpus.text_field):
        if column is not None and column not in columns:
            raise InputError(
                f"{name}: no column {column!r} (columns: {', '.join(map(str, columns))}); "
                + (f"choose columns with {choose}" if corpus.text_field is not None
                   else "choose the id column with --id-field"))
    seen: set[Any] = set()
    for column in columns:
        if column in seen:
            raise InputError(f"{name}: two columns are named {column!r}; rename one of them")
        seen.add(column)


def read_parquet(path: Path, sink: RecordSink) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = shown(str(path))
    try:
        parquet = pq.ParquetFile(path, buffer_size=_READ_BUFFER, pre_buffer=False)
        check_columns(name, parquet.schema_arrow.names, sink, "--id-field and --text-field")
        if sink.progress is not None:  # the ingest bar counts rows out of a known total
            sink.progress.total = parquet.metadata.num_rows
            sink.progress.refresh()
        read_batches(parquet.iter_batches(batch_size=BATCH_ROWS), name + ":row ", sink)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: cannot read Parquet file ({exc})") from exc


def read_batches(batches: Iterable[Any], source: str, sink: RecordSink, *,
                 valid_unicode: bool = True) -> None:
    """Add the rows of Arrow record batches; row ``k`` (from 0) has the origin ``source`` + k.
    A batch longer than ``BATCH_ROWS`` is cut into slices of that many rows."""
    corpus = sink.corpus
    row = 0
    for batch in batches:
        for start in range(0, batch.num_rows, BATCH_ROWS):
            for record in batch.slice(start, BATCH_ROWS).to_pylist():
                sink.add(*split_record(record, corpus), source, row, valid_unicode=valid_unicode)
                row += 1
