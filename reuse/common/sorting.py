"""Stable sort orders of integer keys by one sort of packed words.

``np.argsort(kind="stable")`` and ``np.lexsort`` are comparison sorts that move an index with
every key. :func:`stable_order` packs each key with the tie-breaking column and the index into
one word and sorts the words (:func:`sort_words`: a compiled radix sort of the bits above the
index, :mod:`reuse.common.compiled_sorting`, built with the package; else ``np.sort``, several
times faster than argsort itself). When a key is too wide for that (a 64-bit hash), only its
top bits go in, and exactly the rare runs of keys that share those top bits but differ below
them are sorted again, so that the result is always the permutation of the comparison sort. :func:`sort_order`
does the same for several narrow columns (positions, pair numbers), which fit one word whole.
"""

from __future__ import annotations

import numpy as np

from . import compiled
from .ranges import expand_ranges

try:  # built with the package when a C compiler is at hand
    from . import compiled_sorting
except ImportError:  # pragma: no cover - a build without it runs the numpy code
    compiled_sorting = None  # type: ignore[assignment]

# Below this many top bits of the key, shared top bits stop being rare among random keys, and
# re-sorting their runs would cost more than the comparison sort saves.
_MIN_TOP_BITS = 24
# Widest key sort_order packs into an int64 (sign bit unused); tests lower it to force lexsort.
_PACKED_KEY_BITS = 63
# Widest packed key sort_order sorts as uint32; tests lower it to force int64 keys.
_SMALL_KEY_BITS = 32


def bits_for(values_below: int) -> int:
    """Bits that hold the values ``0 .. values_below - 1`` (at least one)."""
    return max(1, (int(values_below) - 1).bit_length())


def packed_key_type(widths: list[int]) -> type | None:
    """The type of one key packing fields of these ``widths`` (bits): uint32 when they fit it,
    else int64 (sign bit unused); None when they do not fit that either."""
    if sum(widths) > _PACKED_KEY_BITS:
        return None
    return np.uint32 if sum(widths) <= _SMALL_KEY_BITS else np.int64


def pack_columns(columns: list[np.ndarray], widths: list[int], dtype: type) -> np.ndarray:
    """Non-negative integer ``columns`` packed into one key of ``dtype`` (see
    :func:`packed_key_type`), the first most significant; ``widths`` are their bits."""
    key = columns[0].astype(dtype)
    for column, width in zip(columns[1:], widths[1:], strict=True):
        key <<= dtype(width)
        key |= column.astype(dtype, copy=False)
    return key


def sort_words(words: np.ndarray, index_bits: int) -> None:
    """Sort packed ``words`` (uint64, in place) whose low ``index_bits`` hold their index, in
    ascending order: the compiled radix sort on the bits above the index when it is built
    (the index already orders the ties), else numpy's sort."""
    if compiled_sorting is not None and compiled.ENABLED:
        compiled_sorting.sort_words(words, index_bits)
    else:
        words.sort()


def stable_order(keys: np.ndarray, then: np.ndarray | None = None) -> np.ndarray:
    """The permutation that sorts by ``keys`` (uint64, or non-negative int64), then by ``then``
    (non-negative integers, optional), ties kept in input order: the same int64 array as
    ``np.argsort(keys, kind="stable")``, or ``np.lexsort((then, keys))`` with ``then``."""
    keys = np.asarray(keys)
    n = len(keys)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    keys = keys.astype(np.uint64, copy=False)
    index_bits = bits_for(n)
    then_bits = 0 if then is None else bits_for(int(then.max()) + 1)
    low_bits = index_bits + then_bits
    # The key's bits that do not fit beside the others are dropped from the packed word.
    dropped = max(0, int(keys.max()).bit_length() + low_bits - 64)
    if dropped and 64 - low_bits < _MIN_TOP_BITS:
        if then is not None and 64 - index_bits >= _MIN_TOP_BITS:
            # Too many bits for one word: a stable sort by ``then``, then a stable sort by the
            # key. Two packed sorts take half the time of a comparison sort on two columns
            # (1.9 against 4.0 CPU-s on 10M random keys).
            by_then = stable_order(then)
            return by_then[stable_order(keys[by_then])]
        return (np.argsort(keys, kind="stable") if then is None
                else np.lexsort((then, keys))).astype(np.int64, copy=False)
    low = np.uint64(low_bits)
    words = (keys >> np.uint64(dropped)) << low
    if then is not None:
        words |= then.astype(np.uint64) << np.uint64(index_bits)
    words |= np.arange(n, dtype=np.uint64)
    sort_words(words, index_bits)
    order = (words & np.uint64((1 << index_bits) - 1)).astype(np.int64)
    if not dropped:
        return order
    top = words >> low
    del words
    # Neighbours with the same top bits but different keys: their run is ordered by ``then``
    # and index, not by the full key. Re-sort every such run by the comparison sort. (Only
    # the keys of neighbours with the same top bits are gathered: a gather of every key in
    # sorted order costs more than the sort.)
    same = np.flatnonzero(top[1:] == top[:-1])
    mixed = same[keys[order[same]] != keys[order[same + 1]]]
    if len(mixed):
        shared = np.unique(top[mixed])  # ``top`` is sorted: each run is one searchsorted range
        run, at = expand_ranges(np.searchsorted(top, shared, side="left"),
                                np.searchsorted(top, shared, side="right"))
        part = order[at]
        columns = (part, keys[part], run) if then is None else (part, then[part], keys[part], run)
        order[at] = part[np.lexsort(columns)]
    return order


def sort_order(*columns: np.ndarray) -> np.ndarray:
    """The permutation that sorts by the non-negative integer ``columns`` (the first most
    significant), ties kept in order: ``np.lexsort(columns[::-1])``, but by one sort of the
    columns and the index packed into an int64 (a uint32 when they fit) when they fit one."""
    n = len(columns[0])
    if not n:
        return np.empty(0, dtype=np.int64)
    widths = [bits_for(int(c.max()) + 1) for c in columns] + [bits_for(n)]
    dtype = packed_key_type(widths)
    if dtype is None:
        return np.lexsort(columns[::-1]).astype(np.int64, copy=False)
    key = pack_columns([*columns, np.arange(n)], widths, dtype)
    if dtype is np.uint32:
        key.sort()
    else:
        sort_words(key.view(np.uint64), widths[-1])
    key &= dtype((1 << widths[-1]) - 1)
    return key.astype(np.int64, copy=False)
