"""Parquet, read one record batch at a time."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .records import RecordSink, split_record
from .text import shown

_BATCH_ROWS = 1024


def read_parquet(path: Path, sink: RecordSink) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = shown(str(path))
    corpus = sink.corpus
    try:
        parquet = pq.ParquetFile(path)
        columns = parquet.schema_arrow.names
        for column in (corpus.id_field, corpus.text_field):
            if column is not None and column not in columns:
                raise InputError(
                    f"{name}: no column {column!r} (columns: {', '.join(columns)}); choose "
                    + ("columns with --id-field and --text-field" if corpus.text_field is not None
                       else "the id column with --id-field"))
        seen: set[str] = set()
        for column in columns:
            if column in seen:
                raise InputError(f"{name}: two columns are named {column!r}; rename one of them")
            seen.add(column)
        source = name + ":row "
        row = 0
        if sink.progress is not None:  # the ingest bar counts rows out of a known total
            sink.progress.total = parquet.metadata.num_rows
            sink.progress.refresh()
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
            for record in batch.to_pylist():
                sink.add(*split_record(record, corpus), source, row, valid_unicode=True)
                row += 1
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: cannot read Parquet file ({exc})") from exc
