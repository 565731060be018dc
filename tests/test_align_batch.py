"""The batched lexical aligner against the per-pair reference, and the batch API."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reuse.align.batch
import reuse.align.compiled
import reuse.common.sorting
from reuse.align.aligner import align_batch, align_pair, align_token_batch
from reuse.align.alignment import Alignment
from reuse.align.config import AlignConfig
from reuse.align.edits import make_alignment
from reuse.align.reference import lexical_boxes_reference
from reuse.common.sorting import sort_order
from reuse.errors import ConfigError
from reuse.text.tokenize import tokenize, tokenize_batch


@pytest.fixture(params=["compiled", "numpy"])
def code_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test runs with the compiled kernels (where the package's C extensions are built) and
    with the numpy code."""
    if request.param == "compiled":
        pytest.importorskip("reuse.align.kernels")
    monkeypatch.setattr(reuse.align.compiled, "ENABLED", request.param == "compiled")
    return request.param


@pytest.fixture
def numpy_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The numpy code, the kernels built or not: for the tests of its inner workings."""
    monkeypatch.setattr(reuse.align.compiled, "ENABLED", False)


def reference(a_text: str, b_text: str, config: AlignConfig) -> list[Alignment]:
    """The lexical alignments of one pair, from the step-by-step reference."""
    a, b = tokenize(a_text), tokenize(b_text)
    a_list, b_list = a.hashes.tolist(), b.hashes.tolist()
    found = [
        make_alignment(box, a, b, "lexical", a_list, b_list)
        for box in lexical_boxes_reference(a, b, config)
    ]
    return sorted(found, key=lambda al: (al.a_start, al.b_start, al.a_end, al.b_end))


@st.composite
def planted_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two documents over a small vocabulary (so words and phrases recur, as common words do),
    sharing zero to two passages copied with substitutions, insertions and deletions."""
    vocabulary = [f"w{k}" for k in range(draw(st.integers(4, 60)))]
    word = st.sampled_from(vocabulary)
    a_words = draw(st.lists(word, max_size=60))
    b_words = draw(st.lists(word, max_size=60))
    for _ in range(draw(st.integers(0, 2))):
        passage = draw(st.lists(word, min_size=1, max_size=90))
        copy = list(passage)
        for _ in range(draw(st.integers(0, 4))):
            k = draw(st.integers(0, len(copy)))
            kind = draw(st.sampled_from(["substitute", "insert", "delete"]))
            if kind == "insert" or not copy:
                copy.insert(k, draw(st.sampled_from(["x1", "x2", *vocabulary])))
            elif kind == "substitute":
                copy[min(k, len(copy) - 1)] = "x3"
            else:
                del copy[min(k, len(copy) - 1)]
        at_a = draw(st.integers(0, len(a_words)))
        at_b = draw(st.integers(0, len(b_words)))
        a_words[at_a:at_a] = passage
        b_words[at_b:at_b] = copy
    separator = draw(st.sampled_from([" ", ", ", " -- ", "\n"]))
    return separator.join(a_words), " ".join(b_words)


configs = st.builds(
    AlignConfig,
    ngram=st.integers(1, 4),
    min_length=st.integers(1, 30),
    max_gap=st.integers(0, 25),
    min_density=st.sampled_from([0.0, 0.3, 0.9]),
    max_occurrences=st.integers(1, 25),
    extend_drop=st.integers(0, 5),
    paraphrase=st.just(False),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(planted_pairs(), min_size=1, max_size=6), config=configs)
def test_batch_agrees_with_the_per_pair_reference(code_path, pairs, config):
    a_texts = [a for a, _ in pairs]
    b_texts = [b for _, b in pairs]
    found = align_batch(a_texts, b_texts, config)
    assert found == [reference(a, b, config) for a, b in pairs]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(planted_pairs(), min_size=1, max_size=4), config=configs)
def test_text_slice_is_the_passage(pairs, config):
    """``text[start:end]`` holds exactly the passage's tokens: the first and the last are
    tokens of the alignment, and the counts agree."""
    found = align_batch([a for a, _ in pairs], [b for _, b in pairs], config)
    for (a_text, b_text), alignments in zip(pairs, found, strict=True):
        for al in alignments:
            for text, start, end, count in ((a_text, al.a_start, al.a_end, al.a_tokens),
                                            (b_text, al.b_start, al.b_end, al.b_tokens)):
                tokens = tokenize(text)
                inside = (tokens.starts >= start) & (tokens.ends <= end)
                assert int(inside.sum()) == count
                assert tokens.starts[inside][0] == start and tokens.ends[inside][-1] == end
                piece = tokenize(text[start:end])
                assert piece.hashes.tolist() == tokens.hashes[inside].tolist()


def _random_corpus(seed: int, pairs: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    vocabulary = [f"v{k}" for k in range(40)]
    a_texts, b_texts = [], []
    for _ in range(pairs):
        passage = rng.choices(vocabulary, k=rng.randint(20, 120))
        copy = [w if rng.random() > 0.05 else "edit" for w in passage]
        a_texts.append(" ".join(rng.choices(vocabulary, k=50) + passage + rng.choices(vocabulary, k=30)))
        b_texts.append(" ".join(rng.choices(vocabulary, k=20) + copy + rng.choices(vocabulary, k=60)))
    return a_texts, b_texts


def test_look_alike_sort_keys_are_told_apart(numpy_code, monkeypatch):
    """With only 4 hash bits in the sort keys, nearly every row mixes different shingles under
    one key; the rows are regrouped on the full hashes and the result does not change."""
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(1, 40)
    expected = [reference(a, b, config) for a, b in zip(a_texts, b_texts, strict=True)]
    assert any(expected)
    monkeypatch.setattr(reuse.align.batch, "_KEY_HASH_BITS", 4)
    assert align_batch(a_texts, b_texts, config) == expected


@pytest.mark.parametrize("hash_bits", [64, 4, 1])
def test_count_in_document(code_path, monkeypatch, hash_bits):
    """How often each token occurs in its document, also when few hash bits in the sort keys mix
    different tokens under one key (then those documents are regrouped on the full hashes)."""
    rng = random.Random(hash_bits)
    texts = [" ".join(f"t{rng.randint(0, size)}" for _ in range(size))
             for size in (0, 1, 5, 40, 300, 3000, 7)]
    batch = tokenize_batch(texts)
    docs = np.array([0, 1, 2, 3, 4, 5])  # not document 6: its tokens stay 0
    expected = np.zeros(len(batch.hashes), dtype=np.int64)
    for d in docs.tolist():
        lo, hi = batch.bounds[d], batch.bounds[d + 1]
        _, inverse, count = np.unique(batch.hashes[lo:hi], return_inverse=True, return_counts=True)
        expected[lo:hi] = count[inverse]
    assert (expected == 1).any() and (expected > 2).any()
    monkeypatch.setattr(reuse.align.batch, "_KEY_HASH_BITS", hash_bits)
    assert reuse.align.batch._count_in_document(batch, docs).tolist() == expected.tolist()
    only = np.array([4])
    lo, hi = batch.bounds[4], batch.bounds[5]
    inside = np.zeros(len(expected), dtype=bool)
    inside[lo:hi] = True
    assert reuse.align.batch._count_in_document(batch, only).tolist() == \
        np.where(inside, expected, 0).tolist()


@pytest.mark.parametrize(("steps", "one_by_one"), [(1, 16), (64, 0), (64, 10**9)])
def test_extensions_in_lockstep_and_one_by_one(numpy_code, monkeypatch, steps, one_by_one):
    """Boundaries extend in lockstep, then one by one once few are left or after the lockstep
    steps: however the work is split, the boundaries are the reference's."""
    config = AlignConfig(paraphrase=False, min_length=10, max_occurrences=2)
    a_texts, b_texts = _random_corpus(2, 30)
    expected = [reference(a, b, config) for a, b in zip(a_texts, b_texts, strict=True)]
    assert any(expected)
    monkeypatch.setattr(reuse.align.batch, "_LOCKSTEP_STEPS", steps)
    monkeypatch.setattr(reuse.align.batch, "_ONE_BY_ONE", one_by_one)
    assert align_batch(a_texts, b_texts, config) == expected


def test_64_bit_sort_keys(numpy_code, monkeypatch):
    """Rows too long for 32-bit sort keys with enough hash bits in them get 64-bit keys; here
    every row does."""
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(6, 30)
    expected = [reference(a, b, config) for a, b in zip(a_texts, b_texts, strict=True)]
    assert any(expected)
    assert reuse.align.batch._key_layout(10)[0] is np.uint32
    monkeypatch.setattr(reuse.align.batch, "_SMALL_KEY_HASH_BITS", 33)
    assert reuse.align.batch._key_layout(10) == (np.uint64, 54)
    assert align_batch(a_texts, b_texts, config) == expected


def test_sorts_fall_back_to_lexsort(numpy_code, monkeypatch):
    """Sort keys too wide to pack into an int64 are sorted with np.lexsort: the same order."""
    rng = np.random.default_rng(0)
    columns = [rng.integers(0, 5, 300), rng.integers(0, 1000, 300), rng.integers(0, 3, 300)]
    expected = np.lexsort(columns[::-1])
    assert sort_order(*columns).tolist() == expected.tolist()
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(7, 30)
    before = align_batch(a_texts, b_texts, config)
    assert any(before)
    monkeypatch.setattr(reuse.common.sorting, "_PACKED_KEY_BITS", 0)
    assert sort_order(*columns).tolist() == expected.tolist()
    assert align_batch(a_texts, b_texts, config) == before


def test_packed_sort_keys_of_32_and_64_bits(numpy_code, monkeypatch):
    """Packed keys that fit in 32 bits are sorted as uint32; as int64 (the wider fields' path)
    the order, the runs and the alignments are the same."""
    rng = np.random.default_rng(1)
    columns = [rng.integers(0, 5, 300), rng.integers(0, 1000, 300), rng.integers(0, 3, 300)]
    expected = np.lexsort(columns[::-1])
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(8, 30)
    before = align_batch(a_texts, b_texts, config)
    assert any(before)
    assert sort_order(*columns).tolist() == expected.tolist()
    monkeypatch.setattr(reuse.common.sorting, "_SMALL_KEY_BITS", 0)
    assert sort_order(*columns).tolist() == expected.tolist()
    assert align_batch(a_texts, b_texts, config) == before


def test_common_affixes(code_path):
    """The common prefix of each box's two sides and the common suffix of what is left, as
    Indel strips them, against a plain loop; prefixes longer than the first blocks looked at
    (16, then 32, 64, ... tokens) included."""
    from reuse.align.edits import _common_affixes

    rng = np.random.default_rng(2)
    hashes = rng.integers(0, 4, 5_000).astype(np.uint64)
    hashes[3_000:3_300] = hashes[3_500:3_800]  # a long common stretch
    boxes = [(3_000, 3_300, 3_500, 3_800), (3_000, 3_290, 3_500, 3_800), (10, 10, 20, 25),
             (40, 45, 40, 45), (3_010, 3_299, 3_510, 3_799)]
    for _ in range(300):
        a0, b0 = rng.integers(0, 4_000, 2)
        boxes.append((a0, a0 + rng.integers(0, 200), b0, b0 + rng.integers(0, 200)))
    a_lo, a_hi, b_lo, b_hi = (np.array(column, dtype=np.int64) for column in zip(*boxes, strict=True))
    prefix, suffix = _common_affixes(hashes, a_lo, a_hi, b_lo, b_hi)
    values = hashes.tolist()
    for k, (a0, a1, b0, b1) in enumerate(boxes):
        p = 0
        while a0 + p < a1 and b0 + p < b1 and values[a0 + p] == values[b0 + p]:
            p += 1
        s = 0
        while a1 - s > a0 + p and b1 - s > b0 + p and values[a1 - 1 - s] == values[b1 - 1 - s]:
            s += 1
        assert (prefix[k], suffix[k]) == (p, s), boxes[k]
    assert prefix[0] == 300 and prefix[4] == 289


def test_alignments_made_without_init_are_alignments():
    """The batch makes its Alignment objects without the dataclass __init__: they are equal to
    and print as the ones __init__ makes, and nothing in __init__ is skipped."""
    import reuse.align.alignment

    rows = [(0, 10, 5, 15, 3, 3, 2, 2 / 3, "lexical", [("replace", 4, 5, 9, 10)]),
            (1, 2, 3, 4, 1, 1, 1, 1.0, "lexical", [])]
    made = reuse.align.alignment.alignments_from_columns(*zip(*rows, strict=True))
    assert made == [Alignment(*row) for row in rows]
    assert [repr(al) for al in made] == [repr(Alignment(*row)) for row in rows]
    assert not hasattr(Alignment, "__post_init__")


def test_token_batch_with_shared_documents(code_path, seeds_dir: Path):
    """Pairs index one token batch, a document may be in many pairs and paired with itself,
    and paraphrase seeds work pair by pair: the same as align_pair on each pair."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    left = np.array([0, 0, 1, 2, 3, 4, 2, 1])
    right = np.array([1, 2, 3, 3, 0, 1, 2, 0])
    batch = tokenize_batch(texts)
    for config in (AlignConfig(), AlignConfig(paraphrase=False)):
        found = align_token_batch(batch, left, right, config, texts)
        assert found == [align_pair(texts[a], texts[b], config) for a, b in zip(left, right, strict=True)]
    assert sum(map(len, found)) >= 6


def test_tokens_may_be_given_as_lists_or_a_batch():
    a_texts, b_texts = _random_corpus(3, 5)
    config = AlignConfig(paraphrase=False, min_length=10)
    from_texts = align_batch(a_texts, b_texts, config)
    assert any(from_texts)
    assert align_batch(a_texts, b_texts, config, a_tokens=[tokenize(t) for t in a_texts],
                       b_tokens=tokenize_batch(b_texts)) == from_texts
    assert align_batch([], [], config) == []
    assert align_batch(["", "a b c d"], ["a b c d", ""], config) == [[], []]


def test_batch_errors():
    with pytest.raises(ConfigError, match=r"align_batch needs one b_texts entry per a_texts "
                                          r"entry: got 1 for 2\."):
        align_batch(["a", "b"], ["a"])
    batch = tokenize_batch(["a b c", "a b c"])
    with pytest.raises(ConfigError, match="Paraphrase seeds need the raw texts"):
        align_token_batch(batch, np.array([0]), np.array([1]), AlignConfig())
    with pytest.raises(ConfigError, match=r"The 'max_gap' parameter of AlignConfig"):
        align_batch(["a"], ["a"], AlignConfig(max_gap=-1))


def test_token_batch_pair_errors():
    """Pair indices and texts that do not fit the token batch are named, not an IndexError."""
    batch = tokenize_batch(["a b c", "a b c"])
    config = AlignConfig(paraphrase=False)
    with pytest.raises(ConfigError, match=r"got shapes \(2,\) and \(1,\)"):
        align_token_batch(batch, np.array([0, 1]), np.array([1]), config)
    with pytest.raises(ConfigError, match=r"every right index .* \(0 to 1\); got values from 1 to 2"):
        align_token_batch(batch, np.array([0, 0]), np.array([1, 2]), config)
    with pytest.raises(ConfigError, match=r"every left index .* got values from -1 to 0"):
        align_token_batch(batch, np.array([-1, 0]), np.array([1, 1]), config)
    with pytest.raises(ConfigError, match=r"got 1 texts for 2 documents"):
        align_token_batch(batch, np.array([0]), np.array([1]), AlignConfig(), ["a b c"])
    assert align_token_batch(batch, np.array([], dtype=np.int64), np.array([], dtype=np.int64),
                             config) == []


def test_edit_scripts_without_code_points(monkeypatch):
    """When the boxes hold too many distinct tokens to give each a code point, the edit scripts
    come from lists of hashes: the same alignments."""
    import reuse.align.edits

    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(4, 20)
    expected = align_batch(a_texts, b_texts, config)
    assert any(al.edits for alignments in expected for al in alignments)
    monkeypatch.setattr(reuse.align.edits, "_MAX_CODE", 0)
    assert align_batch(a_texts, b_texts, config) == expected


def test_pairs_go_through_the_join_in_groups(code_path, monkeypatch):
    """A batch larger than the join's memory budget is joined a few pairs at a time."""
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(5, 12)
    expected = align_batch(a_texts, b_texts, config)
    assert sum(map(len, expected)) >= 10
    monkeypatch.setattr(reuse.align.batch, "_JOIN_ENTRIES", 300)
    assert align_batch(a_texts, b_texts, config) == expected


def test_pairs_and_documents_sorted_in_blocks(numpy_code, monkeypatch):
    """The join and the word counts sort a block of pairs (documents) at a time: blocks of a
    few pairs give the same alignments as one block of all."""
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(5, 12)
    expected = align_batch(a_texts, b_texts, config)
    assert sum(map(len, expected)) >= 10
    monkeypatch.setattr(reuse.align.batch, "_BLOCK_ENTRIES", 300)
    assert align_batch(a_texts, b_texts, config) == expected


def test_ragged_ranges_with_empty_segments():
    """The join's gather index and in-row positions, built by running sums, equal the plain
    concatenated ranges, also with empty segments first, last and in a row."""
    firsts = np.array([5, 0, 9, 9, 2, 40, 7], dtype=np.int64)
    lengths = np.array([0, 3, 0, 0, 4, 1, 0], dtype=np.int64)
    expected = np.concatenate([np.arange(f, f + n) for f, n in zip(firsts, lengths, strict=True)])
    assert reuse.align.batch._concatenated_ranges(firsts, lengths).tolist() == expected.tolist()
    offsets = np.concatenate([np.arange(n) for n in lengths])
    for dtype in (np.uint32, np.uint64):
        got = reuse.align.batch._offsets_within(lengths, dtype)
        assert got.dtype == dtype
        assert got.tolist() == offsets.tolist()
    nothing = np.zeros(3, dtype=np.int64)
    assert len(reuse.align.batch._concatenated_ranges(nothing, nothing)) == 0
    assert len(reuse.align.batch._offsets_within(nothing, np.uint32)) == 0


def test_sort_keys_without_reading_high_halves_in_place(numpy_code, monkeypatch):
    """On a big-endian machine the 32-bit keys are shifted out of the hashes instead of read
    in place: the same passages."""
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = _random_corpus(8, 30)
    expected = [reference(a, b, config) for a, b in zip(a_texts, b_texts, strict=True)]
    assert any(expected)
    monkeypatch.setattr(reuse.align.batch, "_LITTLE_ENDIAN", False)
    assert align_batch(a_texts, b_texts, config) == expected
