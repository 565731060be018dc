"""numpy views of the Arrow columns that the Spark stages exchange, and back.

Spark has no unsigned integers and no fixed-size lists in its Arrow exchange, so a signature
travels as ``binary`` (its ``uint32`` values, little-endian), a document's shingle hashes as
``binary`` (``uint64``), and 64-bit hashes (band keys, passage fingerprints) as ``bigint``
(the same bits read as ``int64``: equality and grouping are unchanged).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def binary_values(column: pa.Array | pa.ChunkedArray, dtype: np.dtype) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    """The values of a binary column as one flat ``dtype`` array, and each row's bounds in it
    (in values, not bytes). A null row is empty."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    itemsize = np.dtype(dtype).itemsize
    if len(column) == 0:
        return np.empty(0, dtype=dtype), np.zeros(1, dtype=np.int64)
    offset_type = np.int64 if pa.types.is_large_binary(column.type) else np.int32
    _, offsets_buffer, data_buffer = column.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[
        column.offset:column.offset + len(column) + 1].astype(np.int64)
    data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
            else np.empty(0, dtype=np.uint8))
    values = data[offsets[0]:offsets[-1]].view(dtype)
    return values, (offsets - offsets[0]) // itemsize


def binary_column(values: np.ndarray, bounds: np.ndarray) -> pa.Array:
    """A binary column whose row ``i`` holds ``values[bounds[i]:bounds[i + 1]]`` as bytes."""
    values = np.ascontiguousarray(values[bounds[0]:bounds[-1]])
    offsets = ((np.asarray(bounds, dtype=np.int64) - bounds[0]) * values.itemsize)
    if offsets[-1] >= 1 << 31:
        raise ValueError("a binary column of more than 2 GiB; use smaller batches")
    return pa.Array.from_buffers(pa.binary(), len(bounds) - 1, [
        None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(values.view(np.uint8))])


def fixed_rows(column: pa.Array | pa.ChunkedArray, dtype: np.dtype, width: int) -> np.ndarray:
    """A binary column of rows of ``width`` values each, as a ``(rows, width)`` array."""
    values, _ = binary_values(column, dtype)
    return values.reshape(-1, width)


def list_column(values: np.ndarray, bounds: np.ndarray) -> pa.Array:
    """A list column whose row ``i`` is ``values[bounds[i]:bounds[i + 1]]``."""
    return pa.ListArray.from_arrays(pa.array(np.asarray(bounds, dtype=np.int32)),
                                    pa.array(values))


def as_signed(hashes: np.ndarray) -> np.ndarray:
    """``uint64`` hashes as the ``int64`` Spark holds them (the same bits)."""
    return np.ascontiguousarray(hashes, dtype=np.uint64).view(np.int64)


def texts_of(column: pa.Array | pa.ChunkedArray) -> list[str]:
    """The texts of a binary column of UTF-8 (lone surrogates kept, as the document store
    keeps them)."""
    return [value.decode("utf-8", "surrogatepass") for value in column.to_pylist()]
