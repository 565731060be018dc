"""Arrow arrays from numpy arrays without ``pa.array``, whose first call imports pandas (about
0.4 CPU-s) for its pandas checks, and string gathers and casts without ``Array.take`` and
``Array.cast``, whose first call imports ``pyarrow.compute`` (about 0.1 CPU-s): ``reuse dedup``
makes and writes its tables with Arrow's core alone, so a run that never shows a DataFrame
loads neither."""

from __future__ import annotations

from typing import Any

import numpy as np

from .ranges import expand_ranges


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


def _string_offsets(array: Any) -> np.ndarray:
    """The offsets of a string or large_string ``array`` (sliced arrays included): one more
    than its length, into its data buffer."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=width)
    return offsets[array.offset:array.offset + len(array) + 1]


def _is_string(arrow_type: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


# Strings gathered per block by take_strings.
TAKE_BLOCK = 1 << 15


def take_strings(values: Any, positions: np.ndarray) -> Any:
    """``values[positions]``: the strings of a string or large_string Arrow array without
    nulls at the (non-negative) ``positions``, as an array of the same type, gathered in
    numpy (a null-holding array goes through ``Array.take``)."""
    import pyarrow as pa

    positions = np.asarray(positions, dtype=np.int64)
    if not _is_string(values.type) or values.null_count:
        return values.take(from_numpy(positions, pa.int64()))
    if len(positions) and (positions.min() < 0 or positions.max() >= len(values)):
        raise IndexError(f"positions out of range for {len(values)} strings")
    offsets = _string_offsets(values)
    starts, ends = offsets[positions].astype(np.int64), offsets[positions + 1].astype(np.int64)
    new_offsets = np.zeros(len(positions) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=new_offsets[1:])
    if not pa.types.is_large_string(values.type):
        if new_offsets[-1] > np.iinfo(np.int32).max:
            raise ValueError("the strings gathered exceed 2 GiB: use a large_string array")
        new_offsets = new_offsets.astype(np.int32)
    data = values.buffers()[2]
    source = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    gathered = np.empty(int(new_offsets[-1]), dtype=np.uint8)
    # A block of strings at a time: the byte index costs 8 bytes a gathered byte.
    for lo in range(0, len(positions), TAKE_BLOCK):
        hi = min(lo + TAKE_BLOCK, len(positions))
        _, at = expand_ranges(starts[lo:hi], ends[lo:hi])
        gathered[int(new_offsets[lo]):int(new_offsets[hi])] = source[at]
    return pa.Array.from_buffers(values.type, len(positions),
                                 [None, pa.py_buffer(new_offsets), pa.py_buffer(gathered)])


def as_type(array: Any, arrow_type: Any) -> Any:
    """``array`` as ``arrow_type``: itself when of that type already; a string array without
    nulls as the other string type by its offsets alone (no copy of its characters); else
    through ``Array.cast``."""
    import pyarrow as pa

    if array.type == arrow_type:
        return array
    if _is_string(array.type) and _is_string(arrow_type) and not array.null_count:
        offsets = _string_offsets(array)
        base, end = int(offsets[0]), int(offsets[-1])
        if pa.types.is_large_string(arrow_type) or end - base <= np.iinfo(np.int32).max:
            width = np.int64 if pa.types.is_large_string(arrow_type) else np.int32
            data = array.buffers()[2]
            return pa.Array.from_buffers(
                arrow_type, len(array),
                [None, pa.py_buffer((offsets - base).astype(width)),
                 data.slice(base, end - base) if data is not None else pa.py_buffer(b"")])
    return array.cast(arrow_type)


def as_schema(batch: Any, schema: Any) -> Any:
    """The columns of record ``batch`` named by ``schema``, each :func:`as_type` its type."""
    import pyarrow as pa

    return pa.RecordBatch.from_arrays(
        [as_type(batch.column(field.name), field.type) for field in schema], schema=schema)
