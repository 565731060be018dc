"""Passage windows: winnowing fingerprints and candidate pairs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.config import PassageConfig
from reuse.engine.spill import MIN_MEMORY_BUDGET
from reuse.errors import ConfigError
from reuse.sketch import windows
from reuse.sketch.windows import (
    Fingerprints,
    SpilledFingerprints,
    filed_batch,
    filing_order,
    fingerprint_records,
    passage_candidates,
    window_fingerprints,
)
from reuse.text.shingle import shingle_batch
from reuse.text.tokenize import mix64, tokenize_batch


def reference_fingerprints(shingles, bounds, window, seed):
    """Plain-Python winnowing: the minimum (leftmost on ties) of every window, deduplicated."""
    salt = int(mix64(np.array([seed + 0x51ED27], dtype=np.uint64))[0])
    out = []
    for d in range(len(bounds) - 1):
        values = [int(mix64(np.array([int(x) ^ salt], dtype=np.uint64))[0])
                  for x in shingles[bounds[d] : bounds[d + 1]]]
        if not values:
            continue
        width = min(window, len(values))
        chosen = []
        for start in range(len(values) - width + 1):
            part = values[start : start + width]
            position = start + part.index(min(part))
            if not chosen or chosen[-1] != position:
                chosen.append(position)
        out += [(values[p], d, p) for p in sorted(set(chosen))]
    return out


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 40), min_size=1, max_size=6),
    window=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    # A few distinct shingles make repeated ones, whose windows tie.
    largest=st.sampled_from([3, 2**64 - 1]),
    data=st.data(),
)
def test_window_fingerprints_match_the_reference(sizes, window, seed, largest, data):
    total = sum(sizes)
    shingles = np.array(
        data.draw(st.lists(st.integers(0, largest), min_size=total, max_size=total)),
        dtype=np.uint64,
    )
    bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    fast = window_fingerprints(shingles, bounds, window, seed)
    got = sorted(zip(fast.hashes.tolist(), fast.docs.tolist(), fast.positions.tolist(), strict=True))
    assert got == sorted(reference_fingerprints(shingles, bounds, window, seed))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 5), min_size=1, max_size=80), data=st.data())
def test_window_minima_are_the_first_minimum_of_every_window(values, data):
    width = data.draw(st.integers(1, len(values)))
    array = np.array(values, dtype=np.uint64)
    expected = [start + values[start:start + width].index(min(values[start:start + width]))
                for start in range(len(values) - width + 1)]
    assert windows.window_minima(array, width).tolist() == expected


@pytest.mark.parametrize("width", [0, 4])
def test_window_minima_refuse_a_width_outside_the_values(width):
    with pytest.raises(ValueError, match=f"a width of {width} for 3 values"):
        windows.window_minima(np.zeros(3, dtype=np.uint64), width)


def _fingerprints(texts, config):
    tokens = tokenize_batch(texts)
    shingles, bounds = shingle_batch(tokens, config.ngram)
    return window_fingerprints(shingles, bounds, config.window, config.seed)


def _words(rng, n):
    return " ".join(f"w{int(x)}" for x in rng.integers(0, 50_000, size=n))


def test_a_planted_edited_passage_makes_one_candidate_with_seeds():
    rng = np.random.default_rng(3)
    passage = _words(rng, 60).split()
    edited = passage.copy()
    edited[30] = "changed"
    a = _words(rng, 200) + " " + " ".join(passage) + " " + _words(rng, 100)
    b = _words(rng, 50) + " " + " ".join(edited) + " " + _words(rng, 300)
    c = _words(rng, 400)
    config = PassageConfig()
    found = passage_candidates(_fingerprints([a, b, c], config), config)
    assert found.a.tolist() == [0] and found.b.tolist() == [1]
    assert found.shared[0] >= config.min_shared
    # Seeds point into the planted passage in both documents (token positions).
    assert 200 <= found.a_first[0] <= found.a_last[0] < 260
    assert 50 <= found.b_first[0] <= found.b_last[0] < 110


def test_common_fingerprints_are_capped_to_a_star_and_counted():
    rng = np.random.default_rng(5)
    boilerplate = _words(rng, 40)
    texts = [_words(rng, 100) + " " + boilerplate for _ in range(30)]
    config = PassageConfig(max_bucket=10)
    found = passage_candidates(_fingerprints(texts, config), config)
    assert found.capped_fingerprints > 0
    assert found.capped_docs.tolist() == list(range(30))
    # A star around one anchor, not all 435 pairs.
    assert len(found) == 29
    assert set(found.a.tolist()) == {0}


def test_each_document_keeps_a_bounded_number_of_partners():
    rng = np.random.default_rng(9)
    shared = _words(rng, 60)
    texts = [_words(rng, 50) + " " + shared for _ in range(12)]
    config = PassageConfig(max_pairs_per_doc=3)
    found = passage_candidates(_fingerprints(texts, config), config)
    partners = np.bincount(np.concatenate((found.a, found.b)), minlength=12)
    # A pair survives when it is among the top 3 of either document.
    assert 0 < len(found) <= 12 * 3
    assert partners.min() >= 1


def test_passage_config_validation_names_the_parameter():
    with pytest.raises(ConfigError, match=r"The 'window' parameter of PassageConfig must be an int "
                       r"in \[1, 10000\]. Got 0 instead."):
        PassageConfig(window=0).validate()


def test_no_shared_text_means_no_candidates():
    rng = np.random.default_rng(1)
    texts = [_words(rng, 300) for _ in range(20)]
    config = PassageConfig()
    assert len(passage_candidates(_fingerprints(texts, config), config)) == 0
    empty = Fingerprints.concat([])
    assert len(passage_candidates(empty, config)) == 0


def reference_candidates(fingerprints: Fingerprints, min_shared: int) -> list[tuple]:
    """Plain-Python pairs of documents sharing at least ``min_shared`` fingerprints, with the
    first position of each shared fingerprint in each document (no caps in play)."""
    first: dict[tuple[int, int], int] = {}
    for h, d, p in zip(fingerprints.hashes.tolist(), fingerprints.docs.tolist(),
                       fingerprints.positions.tolist(), strict=True):
        first.setdefault((h, d), p)
    by_hash: dict[int, dict[int, int]] = {}
    for (h, d), p in first.items():
        by_hash.setdefault(h, {})[d] = p
    shared: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for docs in by_hash.values():
        for a in docs:
            for b in docs:
                if a < b:
                    shared.setdefault((a, b), []).append((docs[a], docs[b]))
    out = []
    for (a, b), seeds in sorted(shared.items()):
        if len(seeds) >= min_shared:
            a_pos = [s for s, _ in seeds]
            b_pos = [s for _, s in seeds]
            out.append((a, b, len(seeds), min(a_pos), max(a_pos), min(b_pos), max(b_pos)))
    return out


@settings(max_examples=150, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 5), st.integers(0, 30)), max_size=60
    ),
    min_shared=st.integers(1, 3),
)
def test_passage_candidates_match_the_reference(entries, min_shared):
    # Fingerprints ordered by document, then position, as window_fingerprints gives them.
    entries = sorted(entries, key=lambda e: (e[1], e[2]))
    fingerprints = Fingerprints(
        np.array([h for h, _, _ in entries], dtype=np.uint64),
        np.array([d for _, d, _ in entries], dtype=np.int64),
        np.array([p for _, _, p in entries], dtype=np.int64),
    )
    config = PassageConfig(min_shared=min_shared, max_bucket=50, max_pairs_per_doc=100)
    found = passage_candidates(fingerprints, config)
    got = list(zip(*(x.tolist() for x in (found.a, found.b, found.shared, found.a_first,
                                          found.a_last, found.b_first, found.b_last)),
                   strict=True))
    assert got == reference_candidates(fingerprints, min_shared)
    assert found.capped_fingerprints == 0


@settings(max_examples=100, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 5), st.integers(0, 30)), max_size=60
    ),
    min_shared=st.integers(1, 3),
)
def test_candidates_carry_every_shared_fingerprint_as_a_seed(entries, min_shared):
    entries = sorted(entries, key=lambda e: (e[1], e[2]))
    fingerprints = Fingerprints(
        np.array([h for h, _, _ in entries], dtype=np.uint64),
        np.array([d for _, d, _ in entries], dtype=np.int64),
        np.array([p for _, _, p in entries], dtype=np.int64),
    )
    found = passage_candidates(fingerprints, PassageConfig(min_shared=min_shared))
    first: dict[tuple[int, int], int] = {}
    for h, d, p in entries:
        first.setdefault((h, d), p)
    expected = []
    for k, (a, b) in enumerate(zip(found.a.tolist(), found.b.tolist(), strict=True)):
        hashes = {h for h, d in first if d == a} & {h for h, d in first if d == b}
        expected += sorted((k, first[h, a], first[h, b]) for h in hashes)
    got = list(zip(found.seed_pair.tolist(), found.seed_a.tolist(), found.seed_b.tolist(),
                   strict=True))
    assert sorted(got) == expected
    assert got == sorted(got, key=lambda s: (s[0], s[1]))


@settings(max_examples=50, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 7), st.integers(0, 30)), max_size=80
    ),
    min_shared=st.integers(1, 3),
    max_bucket=st.integers(2, 6),
    expected_documents=st.sampled_from([1, 2_000, 50_000]),
    with_groups=st.booleans(),
    how=st.sampled_from(["by document", "filing order", "written by the sketching process"]),
)
def test_spilled_fingerprints_give_the_candidates_of_fingerprints_in_memory(
        tmp_path_factory, entries, min_shared, max_bucket, expected_documents, with_groups,
        how):
    entries = sorted(entries, key=lambda e: (e[1], e[2]))
    # Hashes spread over 64 bits, as the window minima are: the top bits pick the partition.
    hashes = mix64(np.array([h for h, _, _ in entries], dtype=np.uint64))
    docs = np.array([d for _, d, _ in entries], dtype=np.int64)
    positions = np.array([p for _, _, p in entries], dtype=np.int64)
    fingerprints = Fingerprints(hashes, docs, positions)
    spilled = SpilledFingerprints(tmp_path_factory.mktemp("spill"), expected_documents,
                                  MIN_MEMORY_BUDGET)
    for first in range(0, 8, 3):  # batches of three documents, in document order
        in_batch = fingerprints.take((docs >= first) & (docs < first + 3))
        # By document; as a sketching worker hands a batch over (filing_order); or as it
        # writes a batch to a file of its own and hands over where it is.
        if how == "written by the sketching process":
            in_batch, bins = filed_batch(in_batch)
            segment = spilled.sink().append(fingerprint_records(in_batch, first))
            spilled.add_filed(segment, bins, 3, first)
        else:
            spilled.add(filing_order(in_batch) if how == "filing order" else in_batch, 3)
    assert len(spilled) == len(entries)
    # Each partition holds the fingerprints of its hash's low bits, those of one hash in
    # document order.
    mask = np.uint64(max(len(spilled.counts), 1) - 1)
    for spill, partition in spilled.partitions():
        records = spill.read(partition)
        assert ((records["hash"] & mask) == partition).all()
        for value in np.unique(records["hash"]):
            found = records[records["hash"] == value][["doc", "position"]].tolist()
            assert found == sorted(found)
    groups = np.arange(8) % 2 if with_groups else None
    config = PassageConfig(min_shared=min_shared, max_bucket=max_bucket, max_pairs_per_doc=2)
    whole = passage_candidates(fingerprints, config, groups)
    parts = passage_candidates(spilled, config, groups)
    for name in ("a", "b", "shared", "a_first", "a_last", "b_first", "b_last", "capped_docs",
                 "seed_pair", "seed_a", "seed_b"):
        assert getattr(parts, name).tolist() == getattr(whole, name).tolist(), name
    assert parts.capped_fingerprints == whole.capped_fingerprints
    reopened = SpilledFingerprints.reopened(spilled.paths, spilled.counts, spilled.filed_runs)
    assert passage_candidates(reopened, config, groups).seed_b.tolist() == whole.seed_b.tolist()
    spilled.close()
    assert not any(path.exists() for path in spilled.paths)


def test_spilled_window_minima_spread_evenly_over_the_partitions(tmp_path):
    # A fingerprint is a window's minimum, so its top bits are mostly zero: a partition chosen
    # by them would hold nearly every fingerprint, and grouping it the whole corpus at once.
    rng = np.random.default_rng(5)
    config = PassageConfig()
    found = _fingerprints([_words(rng, 400) for _ in range(200)], config)
    spilled = SpilledFingerprints(tmp_path, 100, MIN_MEMORY_BUDGET)
    spilled.add(found, 200)
    counts = spilled.counts
    assert len(counts) >= 64 and counts.sum() == len(found)
    assert counts.max() < 2 * counts.mean()


@settings(max_examples=100, deadline=None)
@given(hashes=st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([3, 2**40 + 3, 7]),
                       max_size=60))
def test_filing_order_groups_every_partition_keeping_each_hashs_order(hashes):
    values = np.array(hashes, dtype=np.uint64)
    found = Fingerprints(values, np.arange(len(values)), np.zeros(len(values), dtype=np.int64))
    filed = filing_order(found)
    assert sorted(filed.docs.tolist()) == list(range(len(values)))
    assert np.array_equal(filed.hashes, values[filed.docs])
    for bits in range(13):  # up to the most partitions a spill has (MAX_PARTITIONS)
        partition = (filed.hashes & np.uint64((1 << bits) - 1)).tolist()
        runs = [p for k, p in enumerate(partition) if k == 0 or p != partition[k - 1]]
        assert len(runs) == len(set(runs)), bits
    for value in set(hashes):  # one hash's fingerprints stay in the order given
        docs = filed.docs[filed.hashes == np.uint64(value)].tolist()
        assert docs == sorted(docs)


@pytest.mark.parametrize("written", [False, True])
def test_spilled_partitions_grouped_in_two_workers_give_the_same_candidates(tmp_path,
                                                                             monkeypatch,
                                                                             written):
    rng = np.random.default_rng(11)
    config = PassageConfig()
    texts = [_words(rng, 300) for _ in range(60)]
    texts += [text[:900] + " shared ending " + texts[0][:600] for text in texts[:20]]
    found = _fingerprints(texts, config)
    spilled = SpilledFingerprints(tmp_path, 80, MIN_MEMORY_BUDGET)
    if written:  # batches of 16 documents, each in a file of the process that wrote it
        for first in range(0, len(texts), 16):
            batch, bins = filed_batch(found.take((found.docs >= first) & (found.docs < first + 16)))
            segment = spilled.sink().append(fingerprint_records(batch, first))
            spilled.add_filed(segment, bins, 16, first)
    else:
        spilled.add(found, len(texts))
    assert len(spilled.partitions()) > 2
    whole = passage_candidates(found, config)
    names = ("a", "b", "shared", "a_first", "a_last", "b_first", "b_last", "capped_docs",
             "seed_pair", "seed_a", "seed_b")
    assert len(whole) > 0
    in_workers = passage_candidates(spilled, config, workers=2)
    for name in names:
        assert getattr(in_workers, name).tolist() == getattr(whole, name).tolist(), name
    # Partitions are grouped at once only as far as the memory budget holds their work.
    used = []
    real_map = windows.ordered_map
    monkeypatch.setattr(windows, "ordered_map",
                        lambda function, tasks, workers: used.append(workers) or real_map(
                            function, tasks, workers))
    largest = int(spilled.counts.max()) * windows.FINGERPRINT_RECORD.itemsize
    passage_candidates(spilled, config, workers=4,
                       memory_budget=int(largest * windows.GROUPING_WORK * 2))
    passage_candidates(spilled, config, workers=4, memory_budget=1)
    assert used == [2, 1]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_sketching_processes_file_the_fingerprints_of_the_documents_compared(workers):
    """The processes that sketch the batches write the fingerprints to files of their own (the
    main process only records where): the candidates are those of the fingerprints computed
    here, without the documents too short to compare."""
    from reuse.config import DedupConfig, TokenizeConfig
    from reuse.pipeline import sketch_corpus

    rng = np.random.default_rng(17)
    config = PassageConfig()
    texts = [_words(rng, 300) for _ in range(30)]
    texts += [text[:900] + " shared ending " + texts[0][:600] for text in texts[:10]]
    texts[3] = " ".join(texts[0].split()[:80])  # a passage of another: too short to compare
    dedup = DedupConfig(min_tokens=100)
    sketches = sketch_corpus(texts, TokenizeConfig(), dedup, config, workers=workers)
    try:
        assert sketches.fingerprints.filed_runs is not None
        found = _fingerprints(texts, config)
        compared = np.array([len(t.split()) >= 100 for t in texts])
        assert compared.tolist().count(False) == 1
        # Compared, the short document would share the passage with its source.
        assert 3 in passage_candidates(found, config).b.tolist()
        expected = passage_candidates(found.take(compared[found.docs]), config)
        got = passage_candidates(sketches.fingerprints, config)
        assert len(expected) > 0
        for name in ("a", "b", "shared", "seed_pair", "seed_a", "seed_b"):
            assert getattr(got, name).tolist() == getattr(expected, name).tolist(), name
    finally:
        sketches.close()
