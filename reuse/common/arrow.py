"""Arrow arrays from numpy arrays without ``pa.array``, whose first call imports pandas (about
0.4 CPU-s) for its pandas checks: ``reuse dedup`` makes and writes its tables with Arrow alone,
so a run that never shows a DataFrame never loads pandas."""

from __future__ import annotations

from typing import Any

import numpy as np


def from_numpy(values: np.ndarray, type: Any = None, nulls: np.ndarray | None = None) -> Any:
    """``values`` (one-dimensional) as a pyarrow Array of ``type`` (by default the type of the
    numpy dtype), null where the boolean mask ``nulls`` is true (nowhere by default)."""
    import pyarrow as pa

    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"from_numpy takes a one-dimensional array, not {values.ndim}-dimensional")
    arrow_type = pa.from_numpy_dtype(values.dtype) if type is None else type
    if pa.types.is_boolean(arrow_type):
        data = _bitmap(values.astype(bool, copy=False))
    else:
        data = pa.py_buffer(np.ascontiguousarray(values, dtype=arrow_type.to_pandas_dtype()))
    validity = None if nulls is None or not nulls.any() else _bitmap(~nulls)
    return pa.Array.from_buffers(arrow_type, len(values), [validity, data])


def _bitmap(flags: np.ndarray) -> Any:
    """Arrow's bitmap of a boolean array: one bit each, the first the lowest."""
    import pyarrow as pa

    return pa.py_buffer(np.packbits(flags, bitorder="little"))


def from_strings(values: list[str], type: Any = None) -> Any:
    """``values`` as a pyarrow string array (``large_string`` by default), from their UTF-8
    bytes end to end."""
    import pyarrow as pa

    arrow_type = pa.large_string() if type is None else type
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
              out=offsets[1:])
    if not pa.types.is_large_string(arrow_type):
        offsets = offsets.astype(np.int32)
    return pa.Array.from_buffers(arrow_type, len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])
