"""Exact Jaccard from stored shingle hashes (reuse.verify) against Python sets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse import verify
from reuse.common import compiled
from reuse.config import DedupConfig, TokenizeConfig
from reuse.engine.scratch import MARKER
from reuse.ingest import Corpus
from reuse.pipeline import dedup, sketching
from reuse.sketch import minhash
from reuse.text.shingle import shingle_batch
from reuse.text.tokenize import tokenize_batch
from reuse.verify import PAIRS_PER_SORT, VERIFY_HASH_BITS, ShingleStore, pair_jaccard, shared_counts

UINT64 = st.integers(min_value=0, max_value=2**64 - 1)
# Hashes that agree on all but their lowest bits, which verification does not compare.
CLOSE = st.integers(min_value=0, max_value=3).map(lambda low: (0xABCDEF << 40) | low)


def compared(value: int) -> int:
    return value >> (64 - VERIFY_HASH_BITS)


def reference(groups: list[list[int]], pairs: list[tuple[int, int]]) -> list[float]:
    out = []
    for a, b in pairs:
        sa, sb = set(map(compared, groups[a])), set(map(compared, groups[b]))
        union = len(sa | sb)
        out.append(len(sa & sb) / union if union else 1.0)
    return out


def store_of(groups: list[list[int]], split: int) -> ShingleStore:
    """A store filled in two appends (documents before and from ``split``)."""
    store = ShingleStore()
    for part in (groups[:split], groups[split:]):
        values = np.array([v for group in part for v in group], dtype=np.uint64)
        bounds = np.zeros(len(part) + 1, dtype=np.int64)
        np.cumsum([len(group) for group in part], out=bounds[1:])
        # Offsets into a larger array: append must use bounds[0] as the start.
        padded = np.concatenate((np.array([7, 8], dtype=np.uint64), values))
        store.append(padded, bounds + 2)
    return store


@settings(max_examples=200, deadline=None)
@given(
    groups=st.lists(st.lists(st.one_of(UINT64, CLOSE, st.sampled_from([1, 2, 3, 2**63])),
                             max_size=30), min_size=1, max_size=12),
    data=st.data(),
)
def test_pair_jaccard_matches_python_sets(groups, data):
    index = st.integers(min_value=0, max_value=len(groups) - 1)
    pairs = data.draw(st.lists(st.tuples(index, index), max_size=25))
    chunk = data.draw(st.integers(min_value=1, max_value=8))
    split = data.draw(st.integers(min_value=0, max_value=len(groups)))
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    with store_of(groups, split) as store:
        got = pair_jaccard(store, left, right, pairs_per_chunk=chunk)
        assert store.sizes().tolist() == [len(group) for group in groups]
    assert got.tolist() == pytest.approx(reference(groups, pairs), abs=0)


def test_shared_counts_compares_the_top_bits_of_each_hash():
    low = 1 << (64 - VERIFY_HASH_BITS)
    # 4 and 5 share their top bits (one shingle); 4 and 4 + low do not.
    values = np.array([4, 5, 4, 4 + low, 2**64 - 1], dtype=np.uint64)
    bounds = np.array([0, 2, 5])
    shared, size_a, size_b = shared_counts(values, bounds, np.array([0]), np.array([1]))
    assert (shared.tolist(), size_a.tolist(), size_b.tolist()) == ([1], [1], [3])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1),
       n_pairs=st.integers(min_value=1, max_value=3 * PAIRS_PER_SORT + 1))
def test_shared_counts_of_more_pairs_than_one_sort_holds(seed, n_pairs):
    # Pairs beyond one sort's pair numbers go to further sorts; small values make shares.
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 12, size=40)
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    values = rng.integers(0, 16, size=int(bounds[-1]), dtype=np.uint64) << np.uint64(60)
    a, b = rng.integers(0, 40, size=(2, n_pairs))
    groups = [values[bounds[i]:bounds[i + 1]].tolist() for i in range(40)]
    shared, size_a, size_b = shared_counts(values, bounds, a, b)
    sets = [set(map(compared, group)) for group in groups]
    assert shared.tolist() == [len(sets[i] & sets[j]) for i, j in zip(a, b, strict=True)]
    assert size_a.tolist() == [len(sets[i]) for i in a]
    assert size_b.tolist() == [len(sets[j]) for j in b]


@pytest.mark.parametrize("large", [False, True])
def test_exact_verification_tokenizes_a_large_inputs_candidates_once_more(monkeypatch, large):
    # A small input keeps every document's shingles from the sketching pass; a large one
    # tokenizes the documents of the candidate pairs again, each once.
    if large:
        monkeypatch.setattr(sketching, "KEEP_SHINGLES_BYTES", 0)
    texts = [" ".join(f"w{i}x{k}" for k in range(30)) for i in range(6)]
    texts.append(texts[0] + " tail")
    corpus = Corpus(ids=[f"d{i}" for i in range(len(texts))], texts=texts)
    sketched, verified = [], []
    sketch_tokenizer, verify_tokenizer = minhash.token_hashes_joined, verify.tokenize_batch
    monkeypatch.setattr(minhash, "token_hashes_joined", lambda joined, lengths, *args: (
        sketched.extend(joined.split("\x00")) or sketch_tokenizer(joined, lengths, *args)))
    monkeypatch.setattr(verify, "tokenize_batch", lambda batch, *args: (
        verified.extend(batch) or verify_tokenizer(batch, *args)))
    result = dedup(corpus, threshold=0.5, verify="exact", workers=1)  # tokenized in this process
    assert sorted(sketched) == sorted(texts)
    assert verified == ([texts[0], texts[6]] if large else [])
    assert result.near_duplicates[["a_id", "b_id"]].values.tolist() == [["d0", "d6"]]
    assert result.near_duplicates["jaccard"].tolist() == [26 / 27]


def test_shingle_store_reads_back_what_was_appended():
    with ShingleStore() as store:
        store.append(np.arange(10, dtype=np.uint64), np.array([0, 3, 3, 10]))
        store.append(np.arange(100, 105, dtype=np.uint64), np.array([1, 5]))
        values, bounds = store.read(np.array([3, 0, 1]))
        assert values.tolist() == [101, 102, 103, 104, 0, 1, 2]
        assert bounds.tolist() == [0, 4, 7, 7]
        assert len(store) == 4
        with pytest.raises(ValueError, match="append after the store was read"):
            store.append(np.arange(3, dtype=np.uint64), np.array([0, 3]))


def test_reuse_dedup_imports_neither_scipy_nor_pandas(tmp_path):
    """A cold `reuse dedup --verify exact` (near-duplicates found and clustered) does not pay
    for importing scipy, which it does not use, nor pandas (about 0.4 CPU-s): its tables are
    made and written with Arrow."""
    import json
    import os
    import subprocess
    import sys

    from conftest import ROOT

    source = tmp_path / "docs.jsonl"
    words = [f"w{k}" for k in range(40)]
    records = [{"id": "a", "text": " ".join(words)}, {"id": "b", "text": " ".join(words[:39])},
               {"id": "c", "text": " ".join(reversed(words))}]
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    program = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'scipy', 'pandas'})))\n"
        f"sys.argv = ['reuse', 'dedup', {str(source)!r}, '--verify', 'exact', '--out', "
        f"{str(tmp_path / 'run')!r}, '--quiet']\n"
        "from reuse.cli.command import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    manifest = (tmp_path / "run" / "manifest.json").read_text(encoding="utf-8")
    assert '"near_duplicate_pairs": 1' in manifest


def test_batches_written_by_other_processes_read_back_in_document_order(tmp_path):
    # Two sketching processes append their batches to files of their own; the store records
    # where each batch went and reads documents across the files in document order.
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    groups = [[1, 2, 3], [], [4], [5, 6], [7, 8, 9, 10], [11]]
    store = ShingleStore(tmp_path)
    batches = [(0, 2), (2, 4), (4, 6)]
    with ProcessPoolExecutor(2, mp_context=get_context("forkserver")) as pool:
        written = list(pool.map(write_batch, [(store.sink(), groups[lo:hi])
                                              for lo, hi in batches]))
    with pytest.raises(ValueError, match="3 hashes in the segment, 2 in the sizes"):
        store.add(written[0][0], np.array([1, 1]))
    for segment, sizes in written:
        store.add(segment, sizes)
    docs = np.array([5, 0, 4, 1, 3, 2])
    values, bounds = store.read(docs)
    expected = [groups[d] for d in docs.tolist()]
    assert values.tolist() == [v for group in expected for v in group]
    assert np.diff(bounds).tolist() == [len(group) for group in expected]
    assert store.reader().read(docs)[0].tolist() == values.tolist()
    folder = store.directory
    store.close()
    assert not folder.exists()


def write_batch(task: tuple[object, list[list[int]]]) -> tuple[object, np.ndarray]:
    sink, part = task
    values = np.array([v for group in part for v in group], dtype=np.uint64)
    return sink.append(values), np.array([len(group) for group in part])


def test_sketching_workers_write_the_shingle_hashes_themselves():
    # With workers, each sketching process appends its batches' hashes to its own file and
    # sends back where they went (not the hashes): no file of the store is this process's.
    # Nor does a worker keep a file open once the store is removed (its disk space with it).
    import os

    from reuse.engine import worker_pool

    texts = [" ".join(f"w{i % 7}x{k}" for k in range(40 + i)) for i in range(300)]
    config = DedupConfig(verify="exact")
    read = {}
    for workers in (1, 2):
        with worker_pool(workers):  # the workers outlive the store
            done = sketching.sketch_corpus(texts, TokenizeConfig(), config, workers=workers)
            try:
                folder = done.shingles.directory
                names = sorted(path.name for path in folder.iterdir() if path.name != MARKER)
                read[workers] = done.shingles.read(np.arange(len(texts)))
            finally:
                done.close()
            assert not folder.exists() and not _open_anywhere(str(folder))
        mine = f"{verify.SHINGLE_STEM}-{os.getpid()}.bin"
        assert names == [mine] if workers == 1 else (names and mine not in names)
    tokens = tokenize_batch(texts)
    expected, bounds = shingle_batch(tokens, config.ngram)
    for values, found_bounds in read.values():
        assert values.tolist() == expected.tolist()
        assert found_bounds.tolist() == (bounds - bounds[0]).tolist()


def _open_anywhere(folder: str) -> list[str]:
    """The open descriptors of any process (that this one may look at) of files in
    ``folder``."""
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
            except OSError:
                continue
            if target.startswith(folder + os.sep):
                found.append(f"{pid}: {target}")
    return found


class CountingTexts:
    """Texts by position that remember which positions were read (in one process)."""

    def __init__(self, texts):
        self.texts = texts
        self.asked = []

    def read(self, positions):
        self.asked.extend(positions.tolist())
        return [self.texts[p] for p in positions.tolist()]


@pytest.mark.parametrize("budget", [1, 80, 10**6])
def test_candidate_shingles_tokenize_each_involved_document_once_and_no_other(tmp_path, budget):
    texts = [f"text {i} " + " ".join(f"w{(i * 7 + k) % 13}" for k in range(5 + i))
             for i in range(9)] + ["short"]
    involved = np.array([i in (1, 2, 5, 8, 9) for i in range(10)])
    reader = CountingTexts(texts)
    lengths = np.array([len(t) for t in texts])
    with verify.candidate_shingles(reader, involved, lengths, False, 3, directory=tmp_path,
                                   budget=budget) as store:
        assert sorted(reader.asked) == [1, 2, 5, 8, 9]
        shingles, bounds = shingle_batch(tokenize_batch(texts), 3)
        values, got_bounds = store.read(np.arange(10))
        for doc in range(10):
            expected = shingles[bounds[doc]:bounds[doc + 1]] if involved[doc] else []
            assert values[got_bounds[doc]:got_bounds[doc + 1]].tolist() == list(expected)


def test_candidate_shingles_of_no_document_hold_every_document_empty(tmp_path):
    with verify.candidate_shingles(CountingTexts(["a b c"] * 3), np.zeros(3, dtype=bool),
                                   np.full(3, 5), False, 2, directory=tmp_path) as store:
        assert store.sizes().tolist() == [0, 0, 0]


compiled_verify = pytest.importorskip(
    "reuse.compiled_verify", reason="the package was built without its C extensions")


def _numpy_shared_counts(values, bounds, a, b):
    compiled.ENABLED = False
    try:
        return shared_counts(values, bounds, a, b)
    finally:
        compiled.ENABLED = True


# Hashes whose top bits agree (one bucket of the compiled pass's bucket sort): a group of more
# than CROWDED_BUCKET of them takes its radix sort.
CROWDED = st.integers(min_value=0, max_value=2**40 - 1).map(lambda low: (0x5A5A << 48) | low)


@settings(max_examples=150, deadline=None)
@given(
    groups=st.lists(st.one_of(
        st.lists(st.one_of(UINT64, CLOSE), max_size=40),
        st.lists(UINT64, min_size=33, max_size=400),  # the bucket sort
        st.lists(CROWDED, min_size=70, max_size=300),  # the radix sort
        st.lists(st.sampled_from([1, 2**63, 2**64 - 1, 2**8 - 1]), max_size=80),  # repeats
    ), min_size=1, max_size=8),
    data=st.data(),
)
def test_compiled_shared_counts_equal_the_numpy_code_and_python_sets(groups, data):
    index = st.integers(min_value=0, max_value=len(groups) - 1)
    pairs = data.draw(st.lists(st.tuples(index, index), max_size=20))
    # Some pairs copy part of another group (with other low bits), so that large groups share.
    for target, source in data.draw(st.lists(st.tuples(index, index), max_size=3)):
        half = groups[source][:len(groups[source]) // 2]
        groups[target] = groups[target] + [v ^ 0xFF for v in half]
    values = np.array([v for group in groups for v in group], dtype=np.uint64)
    bounds = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum([len(group) for group in groups], out=bounds[1:])
    a = np.array([x for x, _ in pairs], dtype=np.int64)
    b = np.array([y for _, y in pairs], dtype=np.int64)
    got = [counts.tolist() for counts in shared_counts(values, bounds, a, b)]
    assert got == [counts.tolist() for counts in _numpy_shared_counts(values, bounds, a, b)]
    sets = [set(map(compared, group)) for group in groups]
    assert got == [[len(sets[x] & sets[y]) for x, y in pairs], [len(sets[x]) for x, _ in pairs],
                   [len(sets[y]) for _, y in pairs]]


def test_compiled_shared_counts_of_groups_from_an_offset():
    # The groups need not start at the first value (a store's read may hand such bounds).
    values = np.array([9, 9, 9, 5 << 8, 6 << 8, 6 << 8, 5 << 8], dtype=np.uint64)
    counts = np.empty((3, 1), dtype=np.int64)
    compiled_verify.shared_counts(values, np.array([3, 5, 7]), np.array([0]), np.array([1]),
                                  counts)
    assert counts.ravel().tolist() == [2, 2, 2]


@pytest.mark.parametrize(("bounds", "a", "b", "out_pairs", "message"), [
    ([], [0], [0], 1, "bounds: empty"),
    ([0, 3, 2], [0], [1], 1, "bounds[2]: 2, not ascending within the 4 values"),
    ([0, 5], [0], [0], 1, "bounds[1]: 5, not ascending within the 4 values"),
    ([0, 2, 4], [0, 1], [1], 2, "a and b: 16 and 8 bytes, not of one length"),
    ([0, 2, 4], [0], [2], 1, "pair 0: groups 0 and 2, not both below 2"),
    ([0, 2, 4], [-1], [0], 1, "pair 0: groups -1 and 0, not both below 2"),
    ([0, 2, 4], [0, 1], [1, 0], 1, "out: 24 bytes, fewer than the 48 needed"),
])
def test_compiled_shared_counts_refuses_bad_arguments(bounds, a, b, out_pairs, message):
    values = np.arange(4, dtype=np.uint64)
    with pytest.raises(ValueError) as raised:
        compiled_verify.shared_counts(values, np.array(bounds, dtype=np.int64),
                                      np.array(a, dtype=np.int64), np.array(b, dtype=np.int64),
                                      np.empty((3, out_pairs), dtype=np.int64))
    assert str(raised.value) == message
