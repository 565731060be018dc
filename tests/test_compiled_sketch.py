"""The compiled shingle, MinHash (minima and densification) and window-minima passes
(reuse.text.compiled_shingles, reuse.sketch.compiled_minhash, reuse.sketch.compiled_windows, C)
against the numpy code and the plain-Python references: the same shingles, bounds, signatures
and window minima, whatever the batch; and their refusals of bad buffers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reuse.common import compiled
from reuse.sketch.minhash import MinHasher
from reuse.sketch.windows import window_fingerprints, window_minima
from reuse.text.shingle import SHINGLE_MULTIPLIER, shingle_batch, shingle_reference
from reuse.text.tokenize import TokenBatch

compiled_shingles = pytest.importorskip(
    "reuse.text.compiled_shingles", reason="the package was built without its C extensions")
compiled_minhash = pytest.importorskip(
    "reuse.sketch.compiled_minhash", reason="the package was built without its C extensions")
compiled_windows = pytest.importorskip(
    "reuse.sketch.compiled_windows", reason="the package was built without its C extensions")

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
documents = st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=25), max_size=8)


def _batch(docs: list[list[int]]) -> TokenBatch:
    hashes = np.array([h for doc in docs for h in doc], dtype=np.uint64)
    bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(doc) for doc in docs], out=bounds[1:])
    positions = np.zeros(len(hashes), dtype=np.int64)
    return TokenBatch(hashes, positions, positions + 1, bounds)


def _numpy(function, *args):
    compiled.ENABLED = False
    try:
        return function(*args)
    finally:
        compiled.ENABLED = True


@SETTINGS
@given(docs=documents, ngram=st.integers(1, 6))
def test_shingle_batches_equal_the_numpy_code_and_the_reference(docs, ngram):
    batch = _batch(docs)
    shingles, bounds = shingle_batch(batch, ngram)
    expected_shingles, expected_bounds = _numpy(shingle_batch, batch, ngram)
    assert shingles.dtype == expected_shingles.dtype == np.uint64
    assert shingles.tolist() == expected_shingles.tolist()
    assert bounds.tolist() == expected_bounds.tolist()
    for d, doc in enumerate(docs):
        assert shingles[bounds[d]:bounds[d + 1]].tolist() == shingle_reference(doc, ngram)


@SETTINGS
@given(groups=st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=40), max_size=6),
       num_perm=st.sampled_from([1, 2, 7, 64, 128, 300]), seed=st.integers(0, 2**32 - 1),
       lead=st.integers(0, 3))
def test_signatures_equal_the_numpy_code_and_the_reference(groups, num_perm, seed, lead):
    """Groups that start past the array's first shingle (``lead``) and empty groups too."""
    hasher = MinHasher(num_perm, seed)
    shingles = np.array([7] * lead + [s for group in groups for s in group], dtype=np.uint64)
    bounds = np.full(len(groups) + 1, lead, dtype=np.int64)
    np.cumsum([len(group) for group in groups], out=bounds[1:])
    bounds[1:] += lead
    found = hasher.signatures(shingles, bounds)
    expected = _numpy(hasher.signatures, shingles, bounds)
    assert found.dtype == expected.dtype == np.uint32
    assert found.tolist() == expected.tolist()
    for g, group in enumerate(groups):
        assert found[g].tolist() == hasher.signature_reference(group)


def _shingle_of_value(hasher: MinHasher, value: int, cell_bits: int) -> int:
    """A shingle that the hasher puts in the bin of top bits ``cell_bits`` with ``value``."""
    hashed = (cell_bits << 32) | value
    hashed ^= hashed >> 32  # the xor-shift by half the width undoes itself
    multiplier_inverse = pow(0xD6E8FEB86659FD93, -1, 2**64)
    return ((hashed * multiplier_inverse) % 2**64) ^ int(hasher.salt)


@pytest.mark.parametrize("num_perm", [3, 128, 5000])
def test_densification_equals_the_numpy_code_past_the_table_and_with_empty_values(num_perm):
    """More bins than the probe-step table serves (every row probes), and bins whose only value
    is 2**32 - 1 (they count as empty; a row of nothing else stays as it is)."""
    hasher = MinHasher(num_perm, 5)
    rng = np.random.default_rng(num_perm)
    empty_valued = [_shingle_of_value(hasher, 2**32 - 1, cell) for cell in (0, 2**31, 2**32 - 1)]
    groups = [list(rng.integers(0, 2**64, size, dtype=np.uint64).tolist())
              for size in (1, 2, 5, 40, 300)]
    groups += [empty_valued[:1], empty_valued, empty_valued + groups[1], []]
    shingles = np.array([s for group in groups for s in group], dtype=np.uint64)
    bounds = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum([len(group) for group in groups], out=bounds[1:])
    found = hasher.signatures(shingles, bounds)
    assert found.tolist() == _numpy(hasher.signatures, shingles, bounds).tolist()
    assert (found[5] == 2**32 - 1).all() and (found[6] == 2**32 - 1).all()
    assert (found[7] < 2**32 - 1).all()
    if num_perm <= 128:
        for g, group in enumerate(groups):
            assert found[g].tolist() == hasher.signature_reference(group)


def test_densify_refuses_arguments_of_the_wrong_size():
    hasher = MinHasher(4, 1)
    rows = np.full((2, 4), 2**32 - 1, dtype=np.uint32)
    flags = np.ones(2, dtype=bool)
    table = np.zeros(16, dtype=np.int16)

    def call(out=rows, nonempty=flags, offsets=hasher.offsets, steps=hasher.steps, steps_table=table,
             num_perm=4):
        return compiled_minhash.densify(out, nonempty, offsets, steps, steps_table, num_perm)

    assert call() is None
    for name, arguments in [("out", {"out": rows.reshape(-1)[:7]}),
                            ("nonempty", {"nonempty": flags[:1]}),
                            ("offsets", {"offsets": hasher.offsets[:3]}),
                            ("steps", {"steps": hasher.steps[:3]}),
                            ("table", {"steps_table": table[:15]})]:
        with pytest.raises(ValueError, match=rf"^{name}: the wrong size for \d rows of 4 bins$"):
            call(**arguments)
    with pytest.raises(ValueError, match=r"^offsets, steps: bin 0's are outside 0\.\.3$"):
        call(offsets=np.array([4, 0, 0, 0], dtype=np.int64))
    with pytest.raises(ValueError, match=r"^num_perm: 0, not a positive count$"):
        call(num_perm=0)


def test_shingle_batch_refuses_bad_bounds_and_too_little_room():
    hashes = np.arange(10, dtype=np.uint64)
    room = np.empty(8, dtype=np.uint64)
    out_bounds = np.empty(3, dtype=np.int64)
    multiplier = int(SHINGLE_MULTIPLIER)

    def call(bounds, ngram=3, shingles=room, shingle_bounds=out_bounds):
        return compiled_shingles.shingle_batch(hashes, np.array(bounds, dtype=np.int64), ngram,
                                               multiplier, shingles, shingle_bounds)

    assert call([0, 4, 10]) == 2 + 4
    assert out_bounds.tolist() == [0, 2, 6]
    with pytest.raises(ValueError, match=r"^shingles: room for 5, fewer than the 6 needed$"):
        call([0, 4, 10], shingles=room[:5])
    with pytest.raises(ValueError, match=r"^token_bounds: not ascending$"):
        call([0, 6, 4, 10], shingle_bounds=np.empty(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"^token_bounds: not from 0 to the token count$"):
        call([0, 4, 9])
    with pytest.raises(ValueError, match=r"^shingle_bounds: fewer entries than token_bounds"):
        call([0, 4, 10], shingle_bounds=out_bounds[:2])
    with pytest.raises(ValueError, match=r"^ngram: 0, not a positive count$"):
        call([0, 4, 10], ngram=0)


def test_bin_minima_refuses_bad_bounds_and_too_little_room():
    shingles = np.arange(10, dtype=np.uint64)
    out = np.full((2, 4), 2**32 - 1, dtype=np.uint32)

    def call(bounds, num_perm=4, minima=out):
        return compiled_minhash.bin_minima(shingles, np.array(bounds, dtype=np.int64), 5,
                                           0xD6E8FEB86659FD93, num_perm, minima)

    assert call([0, 4, 10]) is None
    assert (out < 2**32 - 1).any()
    with pytest.raises(ValueError, match=r"^out: 28 bytes, fewer than the 32 needed$"):
        call([0, 4, 10], minima=out.reshape(-1)[:7])
    for bounds in ([0, 11], [4, 2], [-1, 3]):
        with pytest.raises(ValueError, match=r"^bounds: not ascending within the shingles$"):
            call(bounds, minima=out[:1])
    with pytest.raises(ValueError, match=r"^num_perm: 0, not a positive count$"):
        call([0, 4, 10], num_perm=0)


def _first_minima(values: list[int], width: int) -> list[int]:
    return [start + values[start:start + width].index(min(values[start:start + width]))
            for start in range(len(values) - width + 1)]


@SETTINGS
@given(values=st.one_of(st.lists(st.integers(0, 3), min_size=1, max_size=200),
                        st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=200)),
       data=st.data())
def test_window_minima_equal_the_numpy_code_and_the_reference(values, data):
    # Widths on both sides of the compiled pass's switch from scanning to its queue (16), and
    # few distinct values, so that most windows hold ties.
    width = data.draw(st.one_of(st.integers(1, min(len(values), 70)),
                                st.integers(1, len(values))))
    array = np.array(values, dtype=np.uint64)
    got = window_minima(array, width)
    expected = _numpy(window_minima, array, width)
    assert got.dtype == expected.dtype == np.int64
    assert got.tolist() == expected.tolist() == _first_minima(values, width)


@pytest.mark.parametrize("width", [10, 16, 17, 1000])
def test_window_minima_of_sorted_runs(width):
    # Increasing values make every window's minimum leave it at once (the scan's worst case),
    # decreasing ones fill the queue.
    rising = np.arange(5000, dtype=np.uint64)
    falling = rising[::-1].copy()
    for values in (rising, falling, np.concatenate((rising, falling))):
        assert window_minima(values, width).tolist() == _numpy(window_minima, values, width
                                                               ).tolist()


def test_window_minima_refuse_bad_buffers():
    values = np.zeros(5, dtype=np.uint64)
    with pytest.raises(ValueError, match=r"^width: 6, outside 1\.\.5$"):
        compiled_windows.window_minima(values, 6, np.empty(5, dtype=np.int64))
    with pytest.raises(ValueError, match=r"^width: 0, outside 1\.\.5$"):
        compiled_windows.window_minima(values, 0, np.empty(5, dtype=np.int64))
    with pytest.raises(ValueError, match=r"^out: 24 bytes, fewer than the 32 needed$"):
        compiled_windows.window_minima(values, 2, np.empty(3, dtype=np.int64))


@SETTINGS
@given(docs=st.lists(st.one_of(st.lists(st.integers(0, 3), max_size=60),
                               st.lists(st.integers(0, 2**64 - 1), max_size=60)),
                     min_size=1, max_size=6),
       window=st.one_of(st.integers(1, 20), st.integers(1, 400)),
       seed=st.integers(0, 2**32), doc_offset=st.integers(0, 10**6))
def test_window_fingerprints_equal_the_numpy_code(docs, window, seed, doc_offset):
    # Repeated shingles make ties inside windows; windows on both sides of the scan/queue
    # switch, and wider than documents or than the whole batch (then one window per document).
    shingles = np.array([v for doc in docs for v in doc], dtype=np.uint64)
    bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(doc) for doc in docs], out=bounds[1:])
    got = window_fingerprints(shingles, bounds, window, seed, doc_offset)
    expected = _numpy(window_fingerprints, shingles, bounds, window, seed, doc_offset)
    for name in ("hashes", "docs", "positions"):
        assert getattr(got, name).dtype == getattr(expected, name).dtype
        assert getattr(got, name).tolist() == getattr(expected, name).tolist()


@pytest.mark.parametrize("window", [3, 10, 16, 17, 40, 300])
@pytest.mark.parametrize("distinct", [3, 2**64 - 1])
def test_window_fingerprints_of_long_documents(window, distinct):
    # Documents longer than a window for the queue (wider than 16) as for the scan, with and
    # without ties, among shorter ones and empty ones.
    rng = np.random.default_rng(window)
    sizes = [0, 500, 7, 1200, 0, 299, 301, 50]
    shingles = rng.integers(0, distinct, size=sum(sizes), dtype=np.uint64, endpoint=True)
    bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    got = window_fingerprints(shingles, bounds, window, 7, 3)
    expected = _numpy(window_fingerprints, shingles, bounds, window, 7, 3)
    for name in ("hashes", "docs", "positions"):
        assert getattr(got, name).tolist() == getattr(expected, name).tolist()


def test_winnow_refuses_bad_buffers():
    shingles = np.arange(5, dtype=np.uint64)
    room = [np.empty(5, dtype=dtype) for dtype in (np.uint64, np.int64, np.int64)]
    with pytest.raises(ValueError, match=r"^width: 0, not a positive count$"):
        compiled_windows.winnow(shingles, np.array([0, 5]), 0, 1, *room)
    for bounds in ([1, 5], [0, 4], []):
        with pytest.raises(ValueError, match=r"^bounds: not from 0 to the 5 shingles$"):
            compiled_windows.winnow(shingles, np.array(bounds, dtype=np.int64), 2, 1, *room)
    with pytest.raises(ValueError, match=r"^bounds\[2\]: 3, below the bound before it$"):
        compiled_windows.winnow(shingles, np.array([0, 4, 3, 5]), 2, 1, *room)
    with pytest.raises(ValueError, match=r"^hashes, docs and positions: room for 5 values each$"):
        compiled_windows.winnow(shingles, np.array([0, 5]), 2, 1, *room[:2],
                                np.empty(4, dtype=np.int64))
