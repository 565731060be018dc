"""Documents already in memory: a pandas DataFrame, a pyarrow Table, RecordBatchReader or
Dataset, or an iterable of dict records, read like a file of the same rows.

Every row goes through the checks of :class:`RecordSink` (a missing id, a text that is not a
string, ``max_doc_chars``, ``on_error``), and its origin names its position from 0:
``"DataFrame row 12"``, ``"Table row 12"``, ``"RecordBatchReader row 12"``, ``"Dataset row
12"``, ``"record 12"``. Rows are taken a batch at a time, so a Dataset larger than memory is
read in bounded memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .parquet import BATCH_ROWS, check_columns, read_batches
from .records import RecordSink, split_record

_CHOOSE = "the id_field and text_field parameters"


def object_format(source: Any) -> str | None:
    """The input format of an in-memory source (``dataframe``, ``arrow`` or ``records``), or
    None when it is no such object (a path)."""
    import os

    if isinstance(source, str | bytes | os.PathLike):
        return None
    module = type(source).__module__
    if module.startswith("pandas") and hasattr(source, "iloc"):
        return "dataframe"
    if module.startswith("pyarrow"):
        return "arrow"
    if isinstance(source, Iterable) and not isinstance(source, Mapping):
        return "records"
    return None


def object_name(source: Any) -> str:
    """How messages and origins name an in-memory source."""
    kind = type(source).__name__
    if kind in ("Table", "RecordBatch", "RecordBatchReader"):
        return kind
    if "Dataset" in kind:
        return "Dataset"
    return "DataFrame" if kind == "DataFrame" else "records"


def read_object(source: Any, fmt: str, sink: RecordSink) -> None:
    """Add every row of an in-memory ``source`` of format ``fmt`` (see :func:`object_format`)."""
    if fmt == "dataframe":
        _read_frame(source, sink)
    elif fmt == "arrow":
        _read_arrow(source, sink)
    else:
        _read_records(source, sink)


def _missing(value: Any) -> bool:
    """A missing value as pandas spells it: None, NaN, NaT or pd.NA."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover - pandas is a core dependency
        return False


def _read_frame(frame: Any, sink: RecordSink) -> None:
    corpus = sink.corpus
    check_columns("DataFrame", list(frame.columns), sink, _CHOOSE)
    if sink.progress is not None:
        sink.progress.total = len(frame)
        sink.progress.refresh()
    id_field, text_field = corpus.id_field, corpus.text_field
    # pandas stores integer ids with a missing one as floats: 3.0 is the id 3 again.
    float_ids = frame[id_field].dtype.kind == "f"
    for lo in range(0, len(frame), BATCH_ROWS):
        for offset, record in enumerate(frame.iloc[lo:lo + BATCH_ROWS].to_dict("records")):
            doc_id, text = record.get(id_field), record.get(text_field)
            if _missing(doc_id):
                record[id_field] = None
            elif float_ids and float(doc_id).is_integer():
                record[id_field] = int(doc_id)
            if _missing(text):
                record[text_field] = None
            sink.add(*split_record(record, corpus), "DataFrame row ", lo + offset)


def _read_arrow(source: Any, sink: RecordSink) -> None:
    import pyarrow as pa

    name = object_name(source)
    check_columns(name, source.schema.names, sink, _CHOOSE)
    if isinstance(source, pa.Table):
        if sink.progress is not None:
            sink.progress.total = source.num_rows
            sink.progress.refresh()
        batches: Iterable[Any] = source.to_batches(max_chunksize=BATCH_ROWS)
    elif isinstance(source, pa.RecordBatch):
        batches = [source]
    elif isinstance(source, pa.RecordBatchReader):
        batches = source
    else:  # a pyarrow.dataset.Dataset: scanned fragment by fragment
        batches = source.to_batches(batch_size=BATCH_ROWS)
    read_batches(batches, name + " row ", sink)


def _read_records(records: Iterable[Any], sink: RecordSink) -> None:
    corpus = sink.corpus
    for position, record in enumerate(records):
        if not isinstance(record, Mapping):
            sink.bad("record ", position, "not_an_object",
                     f"a {type(record).__name__}, not a dict")
            continue
        sink.add(*split_record(dict(record), corpus), "record ", position)
