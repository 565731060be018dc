"""reuse.common.sorting.stable_order and sort_order against numpy's comparison sorts."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.common.sorting import sort_order, stable_order


@st.composite
def keys_and_then(draw):
    n = draw(st.integers(0, 400))
    # Few distinct top bits, so that runs sharing them but differing below are common.
    tops = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    lows = draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))
    shift = draw(st.sampled_from([0, 3, 30, 40, 50, 60]))
    keys = (np.array(tops, dtype=np.uint64) << np.uint64(61)) | (
        np.array(lows, dtype=np.uint64) << np.uint64(shift))
    then = None
    if draw(st.booleans()):
        then = np.array(draw(st.lists(st.integers(0, draw(st.sampled_from([1, 5, 1 << 20, 1 << 45]))),
                                      min_size=n, max_size=n)), dtype=np.int64)
    return keys, then


@settings(max_examples=150, deadline=None)
@given(keys_and_then())
def test_stable_order_is_the_comparison_sort(case):
    keys, then = case
    expected = (np.argsort(keys, kind="stable") if then is None
                else np.lexsort((then, keys)))
    order = stable_order(keys, then)
    assert order.dtype == np.int64
    assert np.array_equal(order, expected)


def test_random_hashes_and_wide_tie_breaks():
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**64 - 1, size=200_000, dtype=np.uint64)
    keys[::7] = keys[1::7][: len(keys[::7])]  # repeated keys
    then = rng.integers(0, 100_000, size=len(keys))
    assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable"))
    assert np.array_equal(stable_order(keys, then), np.lexsort((then, keys)))
    # Too many low bits for one packed word: sorted by the tie-break, then by the key.
    huge = rng.integers(0, 2**40, size=1000)
    assert np.array_equal(stable_order(keys[:1000], huge), np.lexsort((huge, keys[:1000])))
    signed = rng.integers(0, 2**63 - 1, size=1000, dtype=np.int64)
    assert np.array_equal(stable_order(signed), np.argsort(signed, kind="stable"))


@st.composite
def columns_to_sort(draw):
    n = draw(st.integers(0, 300))
    widths = draw(st.lists(st.sampled_from([1, 3, 12, 30, 62]), min_size=1, max_size=4))
    return [np.array(draw(st.lists(st.integers(0, (1 << width) - 1), min_size=n, max_size=n)),
                     dtype=np.int64) for width in widths]


@settings(max_examples=150, deadline=None)
@given(columns_to_sort(), st.sampled_from(["packed", "int64", "lexsort"]))
def test_sort_order_is_lexsort(columns, path):
    """Packed into a uint32 or an int64 key when the columns fit, or by np.lexsort: the same
    permutation."""
    import reuse.common.sorting as sorting

    saved = sorting._SMALL_KEY_BITS, sorting._PACKED_KEY_BITS
    try:
        if path != "packed":
            sorting._SMALL_KEY_BITS = 0
        if path == "lexsort":
            sorting._PACKED_KEY_BITS = 0
        order = sort_order(*columns)
    finally:
        sorting._SMALL_KEY_BITS, sorting._PACKED_KEY_BITS = saved
    assert order.dtype == np.int64
    assert np.array_equal(order, np.lexsort(columns[::-1]) if len(columns[0]) else [])
