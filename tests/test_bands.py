"""Seed-diagonal bands: which parts of a candidate pair are aligned, and that aligning only
there finds what aligning the whole documents finds."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reuse.pipeline as pipeline
from reuse.align.aligner import align_pair
from reuse.align.bands import BandConfig, Boxes, merge_boxes, seed_bands
from reuse.align.config import AlignConfig
from reuse.config import DedupConfig, PassageConfig, TokenizeConfig
from reuse.ingest import Corpus
from reuse.pipeline import align_documents, run, sketch_corpus
from reuse.sketch.windows import passage_candidates
from reuse.text.tokenize import tokenize


def _words(rng: np.random.Generator, n: int, vocabulary: int = 50_000) -> list[str]:
    return [f"w{int(x)}" for x in rng.integers(0, vocabulary, size=n)]


def _edited(rng: np.random.Generator, words: list[str], rate: float) -> list[str]:
    """A version of ``words`` with about ``rate`` of them substituted, deleted or doubled."""
    out = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            out.append(f"x{int(rng.integers(0, 10**6))}")
        elif roll < 2 * rate / 3:
            continue
        elif roll < rate:
            out += [word, f"y{int(rng.integers(0, 10**6))}"]
        else:
            out.append(word)
    return out


def _corpus(texts: list[str]) -> Corpus:
    return Corpus(ids=[f"d{k}" for k in range(len(texts))], texts=texts,
                  metadata=[{} for _ in texts], origins=["" for _ in texts])


def test_seeds_along_a_drifting_diagonal_make_one_band():
    # A loose version: b runs about 1.3 times as long as a, with seeds every 20 tokens or so.
    a_pos = np.arange(0, 5000, 20)
    b_pos = (a_pos * 1.3).astype(np.int64) + 7
    bands = seed_bands(np.zeros(len(a_pos), dtype=np.int64), a_pos, b_pos, seed_length=4)
    assert len(bands) == 1
    assert (bands.a_lo[0], bands.a_hi[0]) == (0, 4980 + 4)
    assert (bands.b_lo[0], bands.b_hi[0]) == (7, int(4980 * 1.3) + 7 + 4)


def test_scattered_seeds_make_no_band_and_stray_seeds_do_not_break_one():
    rng = np.random.default_rng(1)
    # Pair 0: seeds of common phrases, far apart and on unrelated diagonals.
    scattered_a = np.sort(rng.choice(100_000, size=30, replace=False))
    scattered_b = rng.choice(100_000, size=30, replace=False)
    # Pair 1: a passage (seeds every 6 tokens on one diagonal), with stray seeds between.
    passage_a = np.arange(1000, 1300, 6)
    stray_a = passage_a[::5] + 3
    a_pos = np.concatenate((passage_a, stray_a))
    b_pos = np.concatenate((passage_a + 40_000, rng.choice(100_000, size=len(stray_a))))
    pair = np.r_[np.zeros(30, dtype=np.int64), np.ones(len(a_pos), dtype=np.int64)]
    bands = seed_bands(pair, np.r_[scattered_a, a_pos], np.r_[scattered_b, b_pos], 4)
    assert bands.pair.tolist() == [1]
    assert (bands.a_lo[0], bands.a_hi[0]) == (1000, int(passage_a[-1]) + 4)
    assert (bands.b_lo[0], bands.b_hi[0]) == (41_000, int(passage_a[-1]) + 40_004)


def test_a_repeated_passage_is_a_band_of_its_own():
    a_pos = np.r_[np.arange(0, 600, 10), np.arange(0, 600, 10)]
    b_pos = np.r_[np.arange(0, 600, 10), np.arange(5000, 5600, 10)]
    bands = seed_bands(np.zeros(len(a_pos), dtype=np.int64), a_pos, b_pos, 4)
    assert sorted(zip(bands.b_lo.tolist(), bands.b_hi.tolist(), strict=True)) == [(0, 594), (5000, 5594)]


def test_min_seeds_drops_lone_seeds():
    a_pos = np.array([10, 5000, 5010])
    b_pos = np.array([900, 7000, 7012])
    pair = np.zeros(3, dtype=np.int64)
    assert len(seed_bands(pair, a_pos, b_pos, 4, BandConfig(min_seeds=2))) == 1
    assert len(seed_bands(pair, a_pos, b_pos, 4, BandConfig(min_seeds=1))) == 2
    assert len(seed_bands(pair, a_pos, b_pos, 4, BandConfig(min_seeds=3))) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 300), st.integers(0, 300)),
                max_size=200),
       st.integers(1, 50))
def test_bands_do_not_depend_on_the_seed_block(seeds, block_seeds):
    # Seeds in any order, ties included: linking a few whole pairs at a time gives the same
    # boxes, in the same order, as linking all seeds at once.
    pair, a_pos, b_pos = np.array(seeds, dtype=np.int64).reshape(-1, 3).T
    config = BandConfig(min_seeds=2, max_gap=40, lookahead=5)
    whole = seed_bands(pair, a_pos, b_pos, 4, config, block_seeds=len(seeds) + 1)
    blocked = seed_bands(pair, a_pos, b_pos, 4, config, block_seeds=block_seeds)
    for name in ("pair", "a_lo", "a_hi", "b_lo", "b_hi"):
        assert getattr(blocked, name).tolist() == getattr(whole, name).tolist()


def test_bands_linked_in_two_workers_equal_those_linked_here():
    rng = np.random.default_rng(4)
    pair = np.repeat(np.arange(40), 50)
    a_pos = rng.integers(0, 2000, len(pair))
    b_pos = a_pos + rng.integers(-3, 4, len(pair))
    config = BandConfig(min_seeds=2, max_gap=60, lookahead=5)
    here = seed_bands(pair, a_pos, b_pos, 4, config, block_seeds=300)
    assert len(here) > 40
    in_workers = seed_bands(pair, a_pos, b_pos, 4, config, block_seeds=300, workers=2)
    for name in ("pair", "a_lo", "a_hi", "b_lo", "b_hi"):
        assert getattr(in_workers, name).tolist() == getattr(here, name).tolist()


def _reference_merge(boxes: list[tuple[int, int, int, int, int]], reach: int) -> set[tuple]:
    boxes = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                p, q = boxes[i], boxes[j]
                if (p[0] == q[0] and p[1] < q[2] + reach and q[1] < p[2] + reach
                        and p[3] < q[4] + reach and q[3] < p[4] + reach):
                    boxes[i] = [p[0], min(p[1], q[1]), max(p[2], q[2]), min(p[3], q[3]),
                                max(p[4], q[4])]
                    del boxes[j]
                    changed = True
                    break
            if changed:
                break
    return {tuple(b) for b in boxes}


@pytest.mark.parametrize("reach", [0, 50])
@pytest.mark.parametrize("seed", range(20))
def test_merge_boxes_matches_the_reference(seed, reach):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    pair = rng.integers(0, 3, size=n)
    a_lo, b_lo = rng.integers(0, 1000, size=n), rng.integers(0, 1000, size=n)
    a_hi, b_hi = a_lo + rng.integers(1, 200, size=n), b_lo + rng.integers(1, 200, size=n)
    merged = merge_boxes(Boxes(pair, a_lo, a_hi, b_lo, b_hi), reach=reach)
    got = set(zip(*(x.tolist() for x in (merged.pair, merged.a_lo, merged.a_hi, merged.b_lo,
                                          merged.b_hi)), strict=True))
    assert got == _reference_merge(list(zip(pair.tolist(), a_lo.tolist(), a_hi.tolist(),
                                            b_lo.tolist(), b_hi.tolist(), strict=True)), reach)


def _candidates(texts: list[str]):
    passage_config = PassageConfig()
    sketches = sketch_corpus(texts, TokenizeConfig(), DedupConfig(), passage_config)
    return passage_candidates(sketches.fingerprints, passage_config)


def _aligned_tokens(monkeypatch) -> list[int]:
    """Records the tokens of every batch that align_documents hands to the aligner."""
    import reuse.align.aligner as align

    seen: list[int] = []
    original = align.align_token_batch

    def recording(tokens, *args, **kwargs):
        seen.append(len(tokens.hashes))
        return original(tokens, *args, **kwargs)

    monkeypatch.setattr(align, "align_token_batch", recording)
    return seen


def test_only_the_bands_are_aligned_and_the_passages_are_those_of_whole_documents(monkeypatch):
    rng = np.random.default_rng(7)
    passage = _words(rng, 400)
    # Two long unrelated documents sharing one edited passage, and a third sharing nothing.
    a = " ".join(_words(rng, 30_000) + passage + _words(rng, 20_000))
    b = " ".join(_words(rng, 10_000) + _edited(rng, passage, 0.05) + _words(rng, 40_000))
    c = " ".join(_words(rng, 20_000))
    corpus = _corpus([a, b, c])
    candidates = _candidates(corpus.texts)
    assert candidates.a.tolist() == [0] and candidates.b.tolist() == [1]
    seen = _aligned_tokens(monkeypatch)
    config = AlignConfig(paraphrase=False)
    table = align_documents(corpus, candidates.a, candidates.b, config, TokenizeConfig(),
                            candidates=candidates)
    # The aligner read the passage and its margins, not the 100,000 tokens of the two books.
    assert 0 < sum(seen) < 2_000
    whole = align_pair(a, b, config)
    assert len(whole) == 1
    got = table[["a_start", "a_end", "b_start", "b_end", "matched_tokens"]].values.tolist()
    assert got == [[whole[0].a_start, whole[0].a_end, whole[0].b_start, whole[0].b_end,
                    whole[0].matched_tokens]]
    assert table["edits"].iloc[0] == pipeline_edits(whole[0])


def pipeline_edits(alignment) -> str:
    import json

    return json.dumps([list(e) for e in alignment.edits], separators=(",", ":"))


def test_a_passage_beyond_its_seeds_is_found_whole_by_widening(monkeypatch):
    rng = np.random.default_rng(11)
    # The passage's second half is edited every fourth word: no run of 13 unedited words, so
    # no shared fingerprint there, but the aligner's 3-word seeds chain right through it.
    head = _words(rng, 300)
    tail = _words(rng, 1200)
    tail_b = [f"z{k}" if k % 4 == 3 else word for k, word in enumerate(tail)]
    a = " ".join(_words(rng, 5000) + head + tail + _words(rng, 5000))
    b = " ".join(_words(rng, 3000) + head + tail_b + _words(rng, 6000))
    corpus = _corpus([a, b])
    candidates = _candidates(corpus.texts)
    config = AlignConfig(paraphrase=False)
    table = align_documents(corpus, candidates.a, candidates.b, config, TokenizeConfig(),
                            candidates=candidates)
    whole = align_pair(a, b, config)
    assert len(whole) == 1 and whole[0].a_tokens > 1400
    got = table[["a_start", "a_end", "b_start", "b_end"]].values.tolist()
    assert got == [[whole[0].a_start, whole[0].a_end, whole[0].b_start, whole[0].b_end]]


def test_long_versions_stay_one_alignment():
    rng = np.random.default_rng(5)
    original = _words(rng, 60_000, vocabulary=5_000)
    version = _edited(rng, original, 0.04)
    result = run(_corpus([" ".join(original), " ".join(version)]), paraphrase=False)
    assert len(result.alignments) == 1
    row = result.alignments.iloc[0]
    assert row.a_tokens > 59_000 and row.similarity > 0.9


def test_common_phrases_are_aligned_in_small_boxes_only(monkeypatch):
    rng = np.random.default_rng(3)
    # Four common phrases, each shared by both documents at unrelated places.
    phrases = [" ".join(_words(rng, 15)) for _ in range(4)]
    a_parts, b_parts = [], []
    for phrase in phrases:
        a_parts += [" ".join(_words(rng, 3000)), phrase]
    for phrase in phrases[::-1]:
        b_parts += [" ".join(_words(rng, 2000)), phrase]
    corpus = _corpus([" ".join(a_parts), " ".join(b_parts)])
    candidates = _candidates(corpus.texts)
    assert len(candidates) == 1 and len(candidates.seed_pair) >= 2
    seen = _aligned_tokens(monkeypatch)
    table = align_documents(corpus, candidates.a, candidates.b, AlignConfig(paraphrase=False),
                            TokenizeConfig(), candidates=candidates)
    # Each phrase is at most one box of the phrase and its margins; the rest is never read.
    assert sum(seen) <= 4 * 2 * (15 + 2 * BandConfig().margin)
    assert len(table) == 0


def test_the_align_progress_moves_in_small_steps(monkeypatch):
    rng = np.random.default_rng(2)
    texts = []
    for _ in range(6):
        original = _words(rng, 8_000, vocabulary=8_000)
        texts += [" ".join(original), " ".join(_edited(rng, original, 0.03))]
    corpus = _corpus(texts)
    candidates = _candidates(corpus.texts)
    assert len(candidates) == 6
    steps: list[int] = []

    class Bar:
        total = 0

        def update(self, n: int) -> None:
            steps.append(n)

    @contextmanager
    def recording(total, desc, quiet, unit="doc", bar_format=None):
        bar = Bar()
        bar.total = total
        yield bar

    monkeypatch.setattr(pipeline.documents, "progress", recording)
    # A batch holds about _ALIGN_BATCH_TOKENS tokens (a second of work or so): here about one
    # pair of 16,000 tokens, so the bar moves once per pair, not once for all six.
    monkeypatch.setattr(pipeline.documents, "_ALIGN_BATCH_TOKENS", 16_000)
    align_documents(corpus, candidates.a, candidates.b, AlignConfig(paraphrase=False),
                    TokenizeConfig(), candidates=candidates)
    assert len(steps) >= 6
    assert max(steps) <= 2 * 16_500


@pytest.mark.parametrize(("gap_a", "gap_b", "joined"), [
    (40, 45, True),     # a rewritten stretch: one passage
    (0, 24, True),      # words added on one side only
    (300, 300, False),  # too far apart
    (20, 90, False),    # gaps too unlike: not one stretch
])
def test_passages_continuing_each_other_along_a_band_are_joined(gap_a, gap_b, joined):
    rng = np.random.default_rng(gap_a * 1000 + gap_b)
    first, second = _words(rng, 200), _words(rng, 200)
    a_words = _words(rng, 2000) + first + _words(rng, gap_a) + second + _words(rng, 2000)
    b_words = _words(rng, 1000) + first + _words(rng, gap_b) + second + _words(rng, 3000)
    a, b = " ".join(a_words), " ".join(b_words)
    corpus = _corpus([a, b])
    candidates = _candidates(corpus.texts)
    config = AlignConfig(paraphrase=False)
    table = align_documents(corpus, candidates.a, candidates.b, config, TokenizeConfig(),
                            candidates=candidates)
    apart = align_pair(a, b, config)
    assert len(apart) == 2
    if not joined:
        got = table[["a_start", "a_end", "b_start", "b_end"]].values.tolist()
        assert got == [[x.a_start, x.a_end, x.b_start, x.b_end] for x in apart]
        return
    assert len(table) == 1
    row = table.iloc[0]
    assert (row.a_start, row.a_end) == (apart[0].a_start, apart[1].a_end)
    assert (row.b_start, row.b_end) == (apart[0].b_start, apart[1].b_end)
    assert row.matched_tokens == apart[0].matched_tokens + apart[1].matched_tokens
    assert row.a_tokens == 400 + gap_a and row.b_tokens == 400 + gap_b
    # The gap is one edit, from its first word to its last (an empty side where the first
    # passage ends), as the aligner's own edits are.
    import json

    gap = [e for e in json.loads(row.edits) if apart[0].a_end <= e[1] and e[2] <= apart[1].a_start
           and apart[0].b_end <= e[3] and e[4] <= apart[1].b_start]
    a_tokens, b_tokens = tokenize(a), tokenize(b)
    a_gap = a_tokens.starts[(a_tokens.starts > apart[0].a_end) & (a_tokens.ends < apart[1].a_start)]
    b_gap = b_tokens.starts[(b_tokens.starts > apart[0].b_end) & (b_tokens.ends < apart[1].b_start)]
    expected_a = ((int(a_gap[0]), int(a_tokens.ends[np.searchsorted(a_tokens.starts, a_gap[-1])]))
                  if gap_a else (apart[0].a_end, apart[0].a_end))
    expected_b = (int(b_gap[0]), int(b_tokens.ends[np.searchsorted(b_tokens.starts, b_gap[-1])]))
    op = "replace" if gap_a else "insert"
    assert gap == [[op, *expected_a, *expected_b]]


def test_paraphrase_seeds_work_on_the_slices_and_offsets_are_the_documents():
    rng = np.random.default_rng(13)
    passage = _words(rng, 300)
    edited = _edited(rng, passage, 0.15)
    a_words = _words(rng, 6000) + passage + _words(rng, 3000)
    b_words = _words(rng, 2000) + edited + _words(rng, 8000)
    a, b = " ".join(a_words), " ".join(b_words)
    corpus = _corpus([a, b])
    candidates = _candidates(corpus.texts)
    table = align_documents(corpus, candidates.a, candidates.b, AlignConfig(paraphrase=True),
                            TokenizeConfig(), candidates=candidates)
    assert len(table) == 1
    row = table.iloc[0]
    a_passage = a.index(" ".join(passage))
    b_passage = b.index(" ".join(edited))
    # The passage, within a few words at its ends, and offsets into the whole documents.
    assert abs(row.a_start - a_passage) < 40 and abs(row.b_start - b_passage) < 40
    assert abs(row.a_end - (a_passage + len(" ".join(passage)))) < 40
    assert a[row.a_start:row.a_end].split()[0] in passage[:5]


def test_ocr_tolerant_seeds_get_the_slices_texts():
    rng = np.random.default_rng(17)
    passage = _words(rng, 200)
    a = " ".join(_words(rng, 4000) + passage + _words(rng, 1000))
    b = " ".join(_words(rng, 1000) + passage + _words(rng, 5000))
    corpus = _corpus([a, b])
    candidates = _candidates(corpus.texts)
    table = align_documents(corpus, candidates.a, candidates.b,
                            AlignConfig(paraphrase=False, ocr_tolerant=True), TokenizeConfig(),
                            candidates=candidates)
    start = a.index(" ".join(passage))
    assert table[["a_start", "a_end"]].values.tolist() == [[start, start + len(" ".join(passage))]]


def test_the_corpus_run_does_not_stretch_summaries_to_a_band_slice(seeds_dir):
    # Bands align slices of documents, so a summary's "whole source document" would be a slice.
    from reuse.pipeline import run

    config = run(seeds_dir, paraphrase=True).align_config
    assert config.summary_whole_source is False
    assert config.merge_gap == -1


@settings(max_examples=150, deadline=None)
@given(data=st.data(), merge_gap=st.integers(0, 6), slack=st.integers(0, 2),
       drift=st.sampled_from([0.0, 0.1, 0.5]))
def test_merged_along_bands_is_merge_along_bands_of_each_box(data, merge_gap, slack, drift):
    # Boxes of few-word documents, with runs of passages that follow each other across small
    # gaps (which join), and passages from token to token (some overlapping others).
    from reuse.align.alignment import Alignment
    from reuse.align.bands import merge_along_bands, merged_along_bands
    from reuse.text.tokenize import tokenize_batch

    n = data.draw(st.integers(1, 5))
    # Few words, so that passages often start together and differ only in their ends.
    words = st.lists(st.sampled_from(["a", "bb", "c", "dd"]), min_size=1,
                     max_size=data.draw(st.sampled_from([4, 25])))
    batch = tokenize_batch([" ".join(data.draw(words)) for _ in range(2 * n)])

    def alignment(a, b, a0: int, a1: int, b0: int, b1: int) -> Alignment:
        return Alignment(int(a.starts[a0]), int(a.ends[a1]), int(b.starts[b0]), int(b.ends[b1]),
                         a1 - a0 + 1, b1 - b0 + 1, 1, 0.5, "lexical", [])

    def passages(k: int) -> list[Alignment]:
        a, b = batch.doc(k), batch.doc(n + k)
        found = []
        for _ in range(data.draw(st.integers(0, 3))):
            a0, b0 = data.draw(st.integers(0, len(a) - 1)), data.draw(st.integers(0, len(b) - 1))
            found.append(alignment(a, b, a0, data.draw(st.integers(a0, len(a) - 1)), b0,
                                   data.draw(st.integers(b0, len(b) - 1))))
        a0, b0 = 0, 0
        while data.draw(st.booleans()):  # a run: each passage after the last by a small gap
            a1, b1 = a0 + data.draw(st.integers(0, 2)), b0 + data.draw(st.integers(0, 2))
            if a1 >= len(a) or b1 >= len(b):
                break
            found.append(alignment(a, b, a0, a1, b0, b1))
            a0, b0 = a1 + 1 + data.draw(st.integers(0, 3)), b1 + 1 + data.draw(st.integers(0, 3))
        return data.draw(st.permutations(found))

    found = [passages(k) for k in range(n)]
    boxes = data.draw(st.lists(st.integers(0, n - 1), unique=True))
    config = BandConfig(merge_gap=merge_gap, slack=slack, drift=drift)
    assert merged_along_bands(found, boxes, batch, n, config) == [
        merge_along_bands(found[k], batch.doc(k), batch.doc(n + k), config) for k in boxes]


def test_merged_along_bands_orders_passages_of_one_start_by_their_ends():
    from reuse.align.alignment import Alignment
    from reuse.align.bands import merge_along_bands, merged_along_bands
    from reuse.text.tokenize import tokenize_batch

    batch = tokenize_batch(["a b c d e f", "a b c d e f"])
    shorter_a = Alignment(0, 3, 0, 11, 2, 6, 2, 0.5, "lexical", [])
    longer_a = Alignment(0, 7, 0, 5, 4, 3, 3, 0.8, "lexical", [])
    found = [[longer_a, shorter_a]]
    expected = merge_along_bands(found[0], batch.doc(0), batch.doc(1), BandConfig(merge_gap=0))
    assert expected == [shorter_a, longer_a]
    assert merged_along_bands(found, [0], batch, 1, BandConfig(merge_gap=0)) == [expected]
