"""reuse.common.sorting.stable_order and sort_order against numpy's comparison sorts, with the
compiled radix sort (reuse.common.compiled_sorting) and with the numpy code."""

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reuse.common.compiled
from reuse.common.sorting import sort_order, stable_order

try:
    from reuse.common import compiled_sorting
except ImportError:  # built without the C extensions: only the numpy code is tested
    compiled_sorting = None

needs_compiled = pytest.mark.skipif(compiled_sorting is None, reason="built without C extensions")


@contextlib.contextmanager
def code_path(compiled: bool):
    """The compiled sort (when built) or the numpy code, for the block."""
    saved = reuse.common.compiled.ENABLED
    reuse.common.compiled.ENABLED = compiled
    try:
        yield
    finally:
        reuse.common.compiled.ENABLED = saved


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
    for compiled in (True, False):
        with code_path(compiled):
            order = stable_order(keys, then)
        assert order.dtype == np.int64
        assert np.array_equal(order, expected)


@pytest.mark.parametrize("compiled", [True, False])
def test_random_hashes_and_wide_tie_breaks(compiled):
    with code_path(compiled):
        random_hashes_and_wide_tie_breaks()


def random_hashes_and_wide_tie_breaks():
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
        orders = []
        for compiled in (True, False):
            with code_path(compiled):
                orders.append(sort_order(*columns))
    finally:
        sorting._SMALL_KEY_BITS, sorting._PACKED_KEY_BITS = saved
    for order in orders:
        assert order.dtype == np.int64
        assert np.array_equal(order, np.lexsort(columns[::-1]) if len(columns[0]) else [])


@needs_compiled
@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 3000), index_bits=st.integers(0, 63),
       width=st.sampled_from([0, 1, 2, 9, 10, 11, 12, 22, 64]), seed=st.integers(0, 2**32 - 1))
def test_compiled_sort_words_is_numpys_sort(n, index_bits, width, seed):
    """Words with an ascending index in their low bits and a key above it that varies in some
    of its bits only (so that passes are skipped, or none is), with repeated keys: numpy's
    sort. The index bits are not looked at: an index that is not ascending stays in input
    order within a key."""
    rng = np.random.default_rng(seed)
    key_bits = 64 - index_bits
    keys = rng.integers(0, 2**63, size=n, dtype=np.int64).view(np.uint64) << np.uint64(1)
    keys |= rng.integers(0, 2, size=n, dtype=np.uint64)
    shift = int(rng.integers(0, key_bits))
    keys = (keys & np.uint64(min(2**64 - 1, (1 << width) - 1))) << np.uint64(shift)
    keys &= np.uint64((1 << key_bits) - 1)
    keys[rng.random(n) < 0.3] = keys[0] if n else 0
    index = np.arange(n, dtype=np.uint64) % np.uint64(1 << index_bits) if index_bits else 0
    words = (keys << np.uint64(index_bits)) | index
    if index_bits and n < (1 << index_bits):
        expected = np.sort(words)
    else:  # the index does not fit: ties by input order, not by the wrapped index
        expected = words[np.argsort(keys, kind="stable")]
    compiled_sorting.sort_words(words, index_bits)
    assert np.array_equal(words, expected)


@needs_compiled
def test_compiled_sort_words_refusals():
    words = np.arange(10, dtype=np.uint64)
    with pytest.raises(ValueError, match=r"^words: 79 bytes, not a whole number of 8-byte words$"):
        compiled_sorting.sort_words(words.view(np.uint8)[:79], 0)
    with pytest.raises(ValueError, match=r"^low_bits: 64, not from 0 to 63$"):
        compiled_sorting.sort_words(words, 64)
    with pytest.raises(ValueError, match=r"^low_bits: -1, not from 0 to 63$"):
        compiled_sorting.sort_words(words, -1)
    with pytest.raises(TypeError):
        compiled_sorting.sort_words(words[::-1], 0)  # not contiguous
    with pytest.raises(TypeError):
        compiled_sorting.sort_words(bytes(80), 0)  # read-only
    compiled_sorting.sort_words(words[:0], 5)  # nothing to sort
