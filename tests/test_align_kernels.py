"""The compiled kernels of the batch aligner (reuse.align.kernels) against its numpy code and the
per-pair reference: the same results exactly; their refusal of arguments that reach beyond the
arrays; and the numpy code where the package was built without them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_align_batch import planted_pairs, reference

import reuse.align.batch
import reuse.align.compiled
from reuse.align.aligner import align_batch
from reuse.align.config import AlignConfig
from reuse.text.shingle import shingle_unmixed
from reuse.text.tokenize import tokenize_batch

kernels = pytest.importorskip("reuse.align.kernels",
                              reason="the package was built without its C extensions")

ROOT = Path(__file__).resolve().parent.parent


def _numpy_runs(shingles: np.ndarray, a_first: np.ndarray, n_a: np.ndarray, b_first: np.ndarray,
                n_b: np.ndarray, max_occurrences: int, ngram: int) -> np.ndarray:
    batch = reuse.align.batch
    seeds = batch._join(shingles, a_first, n_a, b_first, n_b, max_occurrences)
    return batch._runs(seeds, n_a, n_b, ngram)


def _sorted_rows(rows: np.ndarray) -> list[list[int]]:
    return sorted(rows.tolist())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(planted_pairs(), min_size=1, max_size=6), ngram=st.integers(1, 4),
       max_occurrences=st.integers(1, 25), max_gap=st.integers(0, 25),
       min_length=st.integers(1, 30), min_density=st.sampled_from([0.0, 0.3, 0.9]))
def test_compiled_join_and_passages_equal_the_numpy_ones(pairs, ngram, max_occurrences, max_gap,
                                                         min_length, min_density):
    """The hash join and its runs, per pair in compiled code, against the row sorts of the
    numpy code (small vocabularies: shingles recur, and frequent ones are left out); and the
    passages of those runs (chained, trimmed, boxed, filtered), the same rows in the same
    order."""
    tokens = tokenize_batch([a for a, _ in pairs] + [b for _, b in pairs])
    shingles = shingle_unmixed(tokens.hashes, ngram)
    n_shingles = np.maximum(tokens.counts() - ngram + 1, 0)
    k = len(pairs)
    part = (tokens.bounds[:k], n_shingles[:k], tokens.bounds[k:2 * k], n_shingles[k:2 * k],
            max_occurrences, ngram)
    expected = _numpy_runs(shingles, *part)
    found = kernels.join_runs(tokens.hashes, *part)  # makes the shingles itself
    assert found.dtype == np.int64 and found.shape[1] == 5
    assert _sorted_rows(found) == _sorted_rows(expected)
    if len(found):
        batch = reuse.align.batch
        boxes = batch._trimmed_boxes(*batch._chain(expected, max_gap, ngram), min_length,
                                     min_density)
        assert kernels.passages(found, max_gap, ngram, min_length, min_density,
                                batch.CHAIN_LOOKBACK).tolist() == boxes.tolist()


def test_compiled_join_output_grows():
    """More runs than the kernel's first output array holds (1,024 rows). (Shingles of one
    token are the tokens.)"""
    rng = np.random.default_rng(3)
    shingles = rng.integers(0, 2**63, 20_000, dtype=np.int64).view(np.uint64)
    shingles[10_000:] = shingles[:10_000]
    shingles[10_000::3] = 7  # breaks every run after two shingles
    first = np.array([0], dtype=np.int64)
    part = (shingles, first, np.array([10_000]), first + 10_000, np.array([10_000]), 20, 1)
    found = kernels.join_runs(*part)
    assert len(found) > 3_000
    assert _sorted_rows(found) == _sorted_rows(_numpy_runs(*part))


def _bench_align():
    """benchmarks/bench_align.py, imported once."""
    if "bench_align" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_align",
                                                      ROOT / "benchmarks" / "bench_align.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_align"] = module  # its dataclass looks itself up there
        spec.loader.exec_module(module)
    return sys.modules["bench_align"]


@pytest.mark.parametrize("edge", [1, 2])
def test_planted_pairs_of_the_benchmark(monkeypatch, edge):
    """bench_align.py's planted Zipf pairs: the compiled kernels, the numpy code and the
    per-pair reference find the same alignments."""
    pairs = _bench_align().make_pairs(120, 7, edge=edge)
    a_texts, b_texts = [p.a_text for p in pairs], [p.b_text for p in pairs]
    config = AlignConfig(paraphrase=False)
    compiled = align_batch(a_texts, b_texts, config)
    monkeypatch.setattr(reuse.align.compiled, "ENABLED", False)
    assert align_batch(a_texts, b_texts, config) == compiled
    assert compiled == [reference(a, b, config) for a, b in zip(a_texts, b_texts, strict=True)]
    assert sum(map(len, compiled)) >= 120


def test_without_the_c_extension_the_numpy_code_runs(monkeypatch):
    """Built without the kernels: none, and the same alignments from the numpy code, without a
    warning."""
    pairs = _bench_align().make_pairs(20, 8)
    a_texts, b_texts = [p.a_text for p in pairs], [p.b_text for p in pairs]
    config = AlignConfig(paraphrase=False)
    compiled = align_batch(a_texts, b_texts, config)
    # 'import reuse.align.compiled_kernels' raises ImportError
    monkeypatch.setitem(sys.modules, "reuse.align.compiled_kernels", None)
    monkeypatch.delattr(reuse.align, "compiled_kernels")
    monkeypatch.delitem(sys.modules, "reuse.align.kernels")
    monkeypatch.delattr(reuse.align, "kernels")
    assert reuse.align.compiled.kernels() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert align_batch(a_texts, b_texts, config) == compiled


def test_a_small_job_runs_the_kernels_and_no_process_loads_numba(seeds_dir):
    """The sample corpus's pairs align with the kernels too (loading them costs nothing worth
    a size threshold), and nothing of reuse imports numba."""
    texts = [path.read_text() for path in sorted(seeds_dir.glob("*.txt"))]
    code = ("import sys; from reuse.align.config import AlignConfig; "
            "from reuse.align.aligner import align_batch; texts = " + repr(texts) + "; "
            "found = align_batch(texts[:-1], texts[1:], AlignConfig(paraphrase=False)); "
            "print(sum(map(len, found)) > 0, 'reuse.align.compiled_kernels' in sys.modules, "
            "'numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "False"]


@pytest.mark.parametrize("call,message", [
    (lambda u, i: kernels.join_runs(u, i[:1], i[:1] + 4, i[:1], i[:1], 5, 2),
     "pair 0: its shingles reach beyond the hashes"),
    (lambda u, i: kernels.join_runs(u, i[:1], i[:1], i[:1], i[:2], 5, 2),
     "a_first, n_a, b_first and n_b: one value per pair"),
    (lambda u, i: kernels.count_in_document(u, i[:1] - 1, i[:1] + 1,
                                            np.zeros(4, dtype=np.int32)),
     "document 0: its tokens reach beyond the arrays"),
    (lambda u, i: kernels.extend(u, np.zeros(4, dtype=np.int32), i[:1] + 3, i[:1] + 2, i[:1],
                                 i[:1], i[:1], i[:1], i[:1] + 1, 2, 0.5, 3),
     "boundary 0: its documents reach beyond the arrays"),
    (lambda u, i: kernels.common_affixes(u, i[:1], i[:1] + 5, i[:1], i[:1]),
     "box 0: it reaches beyond the hashes"),
    (lambda u, i: kernels.passages(np.zeros(7, dtype=np.int64), 3, 2, 1, 0.5, 4),
     "runs: not rows of five values"),
    (lambda u, i: kernels.seed_components(i, i, i[:3], 2, 3, 1, 0.5),
     "pair, a_pos, b_pos and label: one value per seed"),
])
def test_the_kernels_refuse_arguments_beyond_their_arrays(call, message):
    """An index past an array raises ValueError (the compiled loops never read outside a
    buffer)."""
    hashes = np.arange(4, dtype=np.uint64)
    zeros = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError) as raised:
        call(hashes, zeros)
    assert str(raised.value) == message


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(0, 60)),
                      max_size=80),
       lookahead=st.integers(1, 6), max_gap=st.integers(1, 30), slack=st.integers(0, 5),
       drift=st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_compiled_seed_components_equal_the_sparse_graphs(monkeypatch, seeds, lookahead, max_gap,
                                                          slack, drift):
    """The seeds' components by union-find, against scipy's connected components of the links
    (repeated seeds, ties in position and pairs of one seed included): the same labels, in the
    same numbering."""
    from reuse.align import bands
    from reuse.align.config import BandConfig

    ordered = sorted(seeds)
    pair, a_pos, b_pos = (np.array([seed[k] for seed in ordered], dtype=np.int64)
                          for k in range(3))
    config = BandConfig(max_gap=max_gap, slack=slack, drift=drift, lookahead=lookahead)
    compiled = kernels.seed_components(pair, a_pos, b_pos, lookahead, max_gap, slack, drift)
    with monkeypatch.context() as patched:  # the numpy code, the kernels built or not
        patched.setattr(reuse.align.compiled, "ENABLED", False)
        sparse = bands._seed_components(pair, a_pos, b_pos, config)
    assert compiled.tolist() == np.asarray(sparse).tolist()


@st.composite
def _boundaries(draw):
    """Token hashes of a small vocabulary (tokens recur, so extensions go on and cross edits),
    each boundary's two documents as ranges of them, the boundary's start inside both, its
    direction, and each token's count (the extension reads it as a share of its document)."""
    n = draw(st.integers(1, 60))
    hashes = np.array(draw(st.lists(st.integers(0, draw(st.integers(0, 5))), min_size=n,
                                    max_size=n)), dtype=np.uint64)
    occurrences = np.array(draw(st.lists(st.integers(1, 12), min_size=n, max_size=n)),
                           dtype=np.int32)
    rows = []
    for _ in range(draw(st.integers(1, 40))):  # more than _ONE_BY_ONE: the lockstep runs too
        a_base, b_base = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        # A boundary lies in a passage: its a-side document has tokens (the numpy code divides
        # by its length).
        a_len, b_len = draw(st.integers(1, n - a_base)), draw(st.integers(0, n - b_base))
        rows.append((a_base, a_len, b_base, b_len, draw(st.integers(0, a_len)),
                     draw(st.integers(0, b_len)), draw(st.sampled_from([-1, 1]))))
    columns = [np.array(column, dtype=np.int64) for column in zip(*rows, strict=True)]
    return hashes, occurrences, columns


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_boundaries(), drop=st.integers(0, 6),
       chance_bound=st.sampled_from([0.005, 0.05, 0.2, 0.5]))
def test_compiled_extension_equals_the_numpy_one(monkeypatch, case, drop, chance_bound):
    """The boundary extension, one boundary at a time in compiled code, against the numpy
    code's lockstep and one-by-one steps: the same ends, float arithmetic included (the share
    of a token in its document, their products against the bound). Bounds above the default
    make rare tokens of these short documents, which score twice."""
    from types import SimpleNamespace

    batch = reuse.align.batch
    hashes, occurrences, (a_base, a_len, b_base, b_len, i, j, step) = case
    found = kernels.extend(hashes, occurrences, a_base, a_len, b_base, b_len, i, j, step, drop,
                           chance_bound, batch.CROSSING_LOOKAHEAD)
    with monkeypatch.context() as patched:
        patched.setattr(reuse.align.compiled, "ENABLED", False)
        patched.setattr(batch, "CHANCE_BOUND", chance_bound)
        expected = batch._extend_all(SimpleNamespace(hashes=hashes), a_base, a_len, b_base,
                                     b_len, occurrences, i, j, step, drop)
    assert [x.tolist() for x in found] == [x.tolist() for x in expected]


@settings(max_examples=200, deadline=None)
@given(case=_boundaries())
def test_compiled_counts_and_affixes_equal_a_plain_count(case):
    """The word counts per document and the common prefix and suffix of each box, against
    plain Python over the same ranges."""
    hashes, _, (a_base, a_len, b_base, b_len, *_) = case
    occurrences = np.zeros(len(hashes), dtype=np.int32)
    # Documents of the counts must not overlap: the a-sides, each cut to where the next begins.
    starts = np.unique(a_base)
    ends = np.minimum(np.r_[starts[1:], len(hashes)], starts + a_len.max())
    kernels.count_in_document(hashes, starts, ends - starts, occurrences)
    expected = np.zeros(len(hashes), dtype=np.int32)
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        words = hashes[lo:hi].tolist()
        expected[lo:hi] = [words.count(word) for word in words]
    assert occurrences.tolist() == expected.tolist()

    prefix, suffix = kernels.common_affixes(hashes, a_base, a_base + a_len, b_base, b_base + b_len)
    for k in range(len(a_base)):
        a = hashes[a_base[k]:a_base[k] + a_len[k]].tolist()
        b = hashes[b_base[k]:b_base[k] + b_len[k]].tolist()
        head = 0
        while head < min(len(a), len(b)) and a[head] == b[head]:
            head += 1
        tail = 0
        while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
            tail += 1
        assert (prefix[k], suffix[k]) == (head, tail)
