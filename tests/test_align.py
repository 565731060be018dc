from __future__ import annotations

import difflib
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import need_shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reuse.align.aligner import align_batch, align_pair
from reuse.align.alignment import Alignment, alignment_row, alignments_frame, edits_json
from reuse.align.batch import CHAIN_LOOKBACK
from reuse.align.config import AlignConfig
from reuse.align.reference import _chain, _drop_repeats, _trim
from reuse.errors import ConfigError
from reuse.runfolder.schema import TABLES
from reuse.text.tokenize import tokenize

LEXICAL = AlignConfig(paraphrase=False)


def words(seed: int, count: int, prefix: str = "w") -> list[str]:
    """Distinct-looking words, reproducible: no accidental shared n-grams between calls with
    different prefixes."""
    rng = random.Random(seed)
    return [f"{prefix}{rng.randrange(10**6)}" for _ in range(count)]


def planted(seed: int, passage_words: int = 60, edits: int = 0):
    """Two documents with one shared passage; returns texts and the passage's spans."""
    passage = words(seed, passage_words, "p")
    copy = list(passage)
    rng = random.Random(seed + 1)
    for k in rng.sample(range(5, passage_words - 5), edits):
        copy[k] = f"x{rng.randrange(10**6)}"
    a_pre, a_post = " ".join(words(seed, 40, "a")), " ".join(words(seed, 30, "c"))
    b_pre, b_post = " ".join(words(seed, 25, "b")), " ".join(words(seed, 50, "d"))
    a_text = f"{a_pre}. {' '.join(passage)}. {a_post}"
    b_text = f"{b_pre}, {' '.join(copy)}; {b_post}"
    a_span = (len(a_pre) + 2, len(a_pre) + 2 + len(" ".join(passage)))
    b_span = (len(b_pre) + 2, len(b_pre) + 2 + len(" ".join(copy)))
    return a_text, b_text, a_span, b_span


# ------------------------------------------------------------------------------ basic contract


def test_exact_copy_has_exact_boundaries_and_no_edits():
    a_text, b_text, a_span, b_span = planted(1)
    [al] = align_pair(a_text, b_text)
    assert (al.a_start, al.a_end) == a_span
    assert (al.b_start, al.b_end) == b_span
    assert (al.a_tokens, al.b_tokens, al.matched_tokens) == (60, 60, 60)
    assert al.similarity == 1.0
    assert al.method == "lexical"
    assert al.edits == []


def test_substitutions_give_one_alignment_with_replace_edits():
    a_text, b_text, a_span, b_span = planted(2, passage_words=100, edits=3)
    [al] = align_pair(a_text, b_text)
    assert (al.a_start, al.a_end, al.b_start, al.b_end) == (*a_span, *b_span)
    assert al.matched_tokens == 97
    assert al.similarity == pytest.approx(0.97)
    assert [e[0] for e in al.edits] == ["replace"] * 3
    for _, a_s, a_e, b_s, b_e in al.edits:
        assert a_text[a_s:a_e].startswith("p") and b_text[b_s:b_e].startswith("x")


def test_insertion_and_deletion_are_edits_inside_one_passage():
    passage = words(3, 80, "p")
    inserted = [*passage[:30], "extra", "words", *passage[30:60], *passage[61:]]
    a_text = " ".join(words(3, 20, "a")) + ". " + " ".join(passage) + ". " + "tail words here"
    b_text = "head text. " + " ".join(inserted) + "."
    [al] = align_pair(a_text, b_text)
    ops = [e[0] for e in al.edits]
    assert ops == ["insert", "delete"]
    insert = al.edits[0]
    assert insert[1] == insert[2]  # nothing on the a side
    assert b_text[insert[3] : insert[4]] == "extra words"
    delete = al.edits[1]
    assert a_text[delete[1] : delete[2]] == passage[60]
    assert delete[3] == delete[4]
    assert al.matched_tokens == 79


def test_dash_quote_case_and_whitespace_variants_align_completely():
    base = (
        "The committee — after a long debate — agreed that the “old bridge” must be repaired "
        "before winter, and that the town's council would pay for the work in full, while the "
        "province covers the cost of the new road to the harbour and the station."
    )
    variant = (
        "THE committee -- after a long debate -- agreed that the \"old   bridge\" must be\n"
        "repaired before winter , and that the town’s council would pay for the work in full,"
        " while the province covers the cost of the new road to the harbour and the station ."
    )
    a_text = "Some other news first. " + base + " Sports follow."
    b_text = "Weather: rain.\n\n" + variant + "\nAds."
    [al] = align_pair(a_text, b_text)
    assert a_text[al.a_start : al.a_end] == base[:-1]  # the final period is not a token
    assert b_text[al.b_start : al.b_end] == variant[:-2]
    assert al.similarity == 1.0 and al.edits == []


def test_short_shared_phrase_is_not_reported():
    phrase = "Collective Security Treaty Organization (CSTO) Secretary-General"
    a_text = " ".join(words(4, 50, "a")) + f" {phrase} " + " ".join(words(4, 50, "c"))
    b_text = " ".join(words(4, 50, "b")) + f" {phrase} " + " ".join(words(4, 50, "d"))
    assert align_pair(a_text, b_text) == []


def test_two_passages_give_two_alignments():
    p1, p2 = words(5, 50, "p"), words(5, 50, "q")
    a_text = " ".join(words(5, 30, "a") + p1 + words(5, 40, "c") + p2)
    b_text = " ".join(p2 + words(5, 60, "b") + p1)
    found = align_pair(a_text, b_text)
    assert [(a_text[al.a_start : al.a_end], b_text[al.b_start : al.b_end]) for al in found] == [
        (" ".join(p1), " ".join(p1)),
        (" ".join(p2), " ".join(p2)),
    ]


def test_runs_chain_across_many_chance_matches_in_between():
    """In a long document a common phrase matches on many diagonals; more such runs than the
    look-back between two runs of a passage must not cut it in two."""
    passage = [[0, 10, 5000, 5010], [14, 24, 5016, 5026]]
    chance = [[11 + k % 3, 14 + k % 3, 300 * k, 300 * k + 3] for k in range(2 * CHAIN_LOOKBACK)]
    labels = _chain(np.array(passage + chance), max_gap=20, tolerance=3)
    assert labels[0] == labels[1]
    assert len(set(labels[2:].tolist()) & {labels[0]}) == 0


def test_chance_match_past_the_end_in_b_is_trimmed():
    """Runs ``a0, a1, b0, b1``: a passage, a common trigram matching 15 tokens past its end in
    b only, and one just past its end in both. In order of a the first is not at an end; in
    order of b it is, and without it the second is too far off to stay."""
    passage, past_in_b, past_in_both = [0, 50, 0, 50], [50, 53, 65, 68], [54, 57, 51, 54]
    group = np.array([passage, past_in_b, past_in_both])
    assert _trim(group).tolist() == [passage]


def _passage_then(a_after: list[str], b_after: list[str], a_tail: list[str]):
    """A 60-word passage, then different words after it in a and in b, then ``a_tail`` in a
    and unrelated words in b; returns the texts and the passage's end in a and in b."""
    passage = words(11, 60, "p")
    a_text = " ".join(passage + a_after + a_tail)
    b_text = " ".join(passage + b_after + words(12, 30, "z"))
    end = len(" ".join(passage))
    return a_text, b_text, end


def test_common_words_matching_after_a_mismatch_do_not_extend_a_passage():
    """Past the passage end the documents differ in one word, then two of a's commonest words
    match by chance (together about a quarter of a): a count of matching words would carry
    the passage across the mismatch, the chance of such a match does not."""
    a_text, b_text, end = _passage_then(["xa", "the", "of"], ["xb", "the", "of"],
                                        ["the", "of", "a"] * 25)
    for found in (align_pair(a_text, b_text, LEXICAL),
                  align_batch([a_text], [b_text], LEXICAL)[0]):
        [al] = found
        assert (al.a_end, al.b_end) == (end, end)


def test_words_unlikely_to_match_by_chance_carry_a_passage_across_an_edit():
    """After the edit one word matches that occurs twice in a 1,100-word document (a share of
    0.2%): not occurring once, it would not have been enough for a count of once-words; its
    share makes a chance match unlikely, so the passage takes it in."""
    tail = [*words(13, 1000, "t"), "kept"]
    a_text, b_text, end = _passage_then(["xa", "kept"], ["xb", "kept"], tail)
    assert a_text.count("kept") == 2
    for found in (align_pair(a_text, b_text, LEXICAL),
                  align_batch([a_text], [b_text], LEXICAL)[0]):
        [al] = found
        assert (al.a_end, al.b_end) == (end + len(" xa kept"), end + len(" xb kept"))


def test_a_phrase_aligned_twice_is_dropped_unless_it_is_the_longest():
    passage = [10, 60, 12, 62]
    twice = np.array([[7, 10, 2, 5], [7, 10, 3, 6], passage])
    assert _drop_repeats(twice).tolist() == [passage]
    longest = np.array([[0, 30, 0, 30], [0, 30, 40, 70]])
    assert _drop_repeats(longest).tolist() == longest.tolist()


def test_precomputed_tokens_give_the_same_result():
    a_text, b_text, _, _ = planted(6, edits=2)
    assert align_pair(a_text, b_text) == align_pair(
        a_text, b_text, a_tokens=tokenize(a_text), b_tokens=tokenize(b_text)
    )


def test_empty_documents():
    assert align_pair("", "anything at all") == []
    assert align_pair("...", "!!!") == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ngram", 0, r"The 'ngram' parameter of AlignConfig must be an int in \[1, 64\]. "
                     r"Got 0 instead."),
        ("min_density", 1.5, r"The 'min_density' parameter of AlignConfig must be a float in "
                             r"\[0.0, 1.0\]. Got 1.5 instead."),
        ("paraphrase", "yes", r"The 'paraphrase' parameter of AlignConfig must be a bool. "
                              r"Got 'yes' instead."),
    ],
)
def test_config_validation_messages(field, value, message):
    with pytest.raises(ConfigError, match=message):
        align_pair("a b c", "a b c", AlignConfig(**{field: value}))


def test_alignments_frame_follows_the_schema():
    a_text, b_text, _, _ = planted(7, edits=1)
    [al] = align_pair(a_text, b_text)
    frame = alignments_frame([("doc-a", "doc-b", al)])
    assert list(frame.columns) == list(TABLES["alignments"])
    row = frame.iloc[0]
    assert (row.a_id, row.b_id, row.method) == ("doc-a", "doc-b", "lexical")
    assert json.loads(row.edits) == [list(e) for e in al.edits]
    assert str(frame.dtypes["a_start"]) == "int64"
    assert alignments_frame([]).columns.tolist() == list(TABLES["alignments"])
    # A run keeps its alignments as rows (edits already JSON): the same table.
    as_row = alignments_frame([("doc-a", "doc-b", alignment_row(al))])
    pd.testing.assert_frame_equal(as_row, frame)
    assert alignment_row(al).a_end == al.a_end and alignment_row(al).edits == row.edits


# --------------------------------------------------------------------- properties (Hypothesis)

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßçøéñ", min_size=4, max_size=9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.text(max_size=80),
    suffix=st.text(max_size=80),
    other_prefix=st.text(max_size=80),
    other_suffix=st.text(max_size=80),
    passage=st.lists(_word, min_size=30, max_size=60, unique=True),
)
def test_planted_passage_is_found_and_spans_are_valid_slices(
    prefix, suffix, other_prefix, other_suffix, passage
):
    body = " ".join(passage)
    a_text = f"{prefix}\n{body}\n{suffix}"
    b_text = f"{other_prefix}\n{body}\n{other_suffix}"
    found = align_pair(a_text, b_text)
    for al in found:
        assert 0 <= al.a_start < al.a_end <= len(a_text)
        assert 0 <= al.b_start < al.b_end <= len(b_text)
        assert 0 <= al.matched_tokens <= min(al.a_tokens, al.b_tokens)
        assert 0.0 <= al.similarity <= 1.0
        for _, a_s, a_e, b_s, b_e in al.edits:
            assert al.a_start <= a_s <= a_e <= al.a_end
            assert al.b_start <= b_s <= b_e <= al.b_end
    a_lo, b_lo = len(prefix) + 1, len(other_prefix) + 1
    covering = [
        al for al in found
        if al.a_start <= a_lo and al.a_end >= a_lo + len(body)
        and al.b_start <= b_lo and al.b_end >= b_lo + len(body)
    ]
    assert len(covering) == 1


def _lcs(a: list[int], b: list[int]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        previous_diagonal = 0
        for j, y in enumerate(b, 1):
            previous_diagonal, row[j] = row[j], (
                previous_diagonal + 1 if x == y else max(row[j], row[j - 1])
            )
    return row[-1]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_differential_against_difflib_on_small_token_sequences(data):
    """A planted copy with a few edits, among filler from a disjoint vocabulary: the alignment
    spans exactly what difflib's matching blocks span, and matched_tokens is the LCS length."""
    n = data.draw(st.integers(30, 60))
    passage = [f"p{k}" for k in data.draw(st.lists(st.integers(0, 10**6), min_size=n,
                                                    max_size=n, unique=True))]
    copy = list(passage)
    for k in data.draw(st.lists(st.integers(6, n - 7), max_size=2, unique=True)):
        copy[k] = "zz" + copy[k]
    a_words = [f"a{k}" for k in range(data.draw(st.integers(0, 30)))] + passage + ["tail"]
    b_words = ["head"] + copy + [f"b{k}" for k in range(data.draw(st.integers(0, 30)))]
    a_text, b_text = " ".join(a_words), " ".join(b_words)
    [al] = align_pair(a_text, b_text, LEXICAL)
    blocks = [m for m in difflib.SequenceMatcher(None, a_words, b_words, autojunk=False)
              .get_matching_blocks() if m.size]
    first, last = blocks[0], blocks[-1]
    a_tokens, b_tokens = tokenize(a_text), tokenize(b_text)
    assert al.a_start == a_tokens.starts[first.a]
    assert al.a_end == a_tokens.ends[last.a + last.size - 1]
    assert al.b_start == b_tokens.starts[first.b]
    assert al.b_end == b_tokens.ends[last.b + last.size - 1]
    a_hashes = a_tokens.hashes[first.a : last.a + last.size].tolist()
    b_hashes = b_tokens.hashes[first.b : last.b + last.size].tolist()
    assert al.matched_tokens == _lcs(a_hashes, b_hashes) == sum(m.size for m in blocks)


# ------------------------------------------------------------------------------- seeds corpus

_PARAGRAPH_FIRST = "The regional security organization was initially formed in 1992"
_PARAGRAPH_LAST = "General Assembly"


def _seeds(seeds_dir: Path) -> dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))}


def _paragraph(text: str) -> tuple[int, int]:
    start = text.index(_PARAGRAPH_FIRST)
    return start, text.index(_PARAGRAPH_LAST, start) + len(_PARAGRAPH_LAST)


@pytest.mark.parametrize(("a", "b"), [("000", "002"), ("000", "003"), ("001", "002"),
                                      ("001", "003"), ("002", "003")])
def test_seeds_background_paragraph_has_exact_boundaries(seeds_dir, a, b):
    texts = _seeds(seeds_dir)
    lexical = [al for al in align_pair(texts[a], texts[b]) if al.method == "lexical"]
    assert [(al.a_start, al.a_end, al.b_start, al.b_end) for al in lexical] == [
        (*_paragraph(texts[a]), *_paragraph(texts[b]))
    ]


def test_seeds_000_001_also_cover_the_tashkent_lead_in(seeds_dir):
    texts = _seeds(seeds_dir)
    [al] = align_pair(texts["000"], texts["001"])
    a_text, b_text = texts["000"], texts["001"]
    assert a_text[al.a_start :].startswith("was initially set up in 1992 at a meeting in Tashkent")
    assert b_text[al.b_start :].startswith("was initially set up in 1992 in a meeting in Tashkent")
    assert al.a_end == _paragraph(a_text)[1] and al.b_end == _paragraph(b_text)[1]
    assert al.a_start < _paragraph(a_text)[0] and al.b_start < _paragraph(b_text)[0]
    # The paragraph's dashes differ ("--" and "—") without costing a match.
    assert al.matched_tokens == al.b_tokens - 1  # "at a meeting" / "in a meeting"


def test_seeds_004_shares_no_passage(seeds_dir):
    texts = _seeds(seeds_dir)
    for other in ("000", "001", "002", "003"):
        assert align_pair(texts["004"], texts[other]) == []
        assert align_pair(texts[other], texts["004"]) == []


def test_alignment_type_documents_its_offsets():
    assert "half-open code-point offsets into the raw text" in (Alignment.__doc__ or "")


def test_reworded_passage_is_found_as_one_paraphrase_alignment():
    rng = random.Random(11)
    sentences = [words(20 + k, 12, "s") for k in range(5)]
    reworded = [rng.sample(s, len(s)) for s in sentences]  # same words, new order
    filler_a = " ".join(words(30, 60, "a")) + "."
    filler_b = " ".join(words(31, 60, "b")) + "."
    a_text = filler_a + " " + " ".join(" ".join(s) + "." for s in sentences) + " " + filler_a
    b_text = filler_b + " " + " ".join(" ".join(s) + "." for s in reworded) + " " + filler_b
    assert align_pair(a_text, b_text, LEXICAL) == []
    [al] = align_pair(a_text, b_text)
    assert al.method == "paraphrase"
    assert a_text[al.a_start : al.a_end] == " ".join(" ".join(s) + "." for s in sentences)[:-1]
    assert b_text[al.b_start : al.b_end] == " ".join(" ".join(s) + "." for s in reworded)[:-1]
    assert al.matched_tokens < al.a_tokens == al.b_tokens == 60


def test_text_without_spaces_aligns_on_character_tokens():
    passage = (
        "区域安全组织最初于一九九二年成立为期五年"
        "成员包括亚美尼亚哈萨克斯坦吉尔吉斯斯坦俄罗斯塔吉克斯坦和乌兹别克斯坦"
    )
    a_text = "今天天气很好，我们去公园散步。" + passage + "。其他新闻。"
    b_text = "完全不同的开头。" + passage + "，以及别的内容。"
    [al] = align_pair(a_text, b_text)
    assert a_text[al.a_start : al.a_end] == passage
    assert b_text[al.b_start : al.b_end] == passage


def test_two_versions_of_a_whole_book_give_one_passage_in_verse_order():
    """Genesis in the King James and the American Standard versions: a long revision with light
    edits throughout is one passage, not a string of fragments, and the words it matches sit in
    the same verse on both sides (verse ids are the external truth)."""
    bible = need_shared("bible-en")
    texts, verses = [], []
    for version in ("KJV", "ASV"):
        path = next((bible / version).glob("1 Genesis*.txt"))
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()[1:] if line]
        keys = [line[1:line.index("]")] for line in lines]
        bodies = [line[line.index("]") + 2:] for line in lines]
        text = "\n".join(bodies)
        starts = np.cumsum([0] + [len(body) + 1 for body in bodies[:-1]])
        tokens = tokenize(text)
        texts.append((text, tokens))
        verses.append(np.asarray(keys)[np.searchsorted(starts, tokens.starts, "right") - 1])
    (a_text, a_tokens), (b_text, b_tokens) = texts
    found = align_pair(a_text, b_text, AlignConfig(paraphrase=False), a_tokens=a_tokens,
                       b_tokens=b_tokens)
    assert len(found) <= 3
    assert sum(al.matched_tokens for al in found) >= 0.9 * len(a_tokens)
    # Matched tokens: those of a passage outside its edits, paired in order.
    same_verse = []
    for al in found:
        outside = []
        for tokens, start, end, column in ((a_tokens, al.a_start, al.a_end, 1),
                                           (b_tokens, al.b_start, al.b_end, 3)):
            lo, hi = np.searchsorted(tokens.starts, [start, end])
            keep = np.ones(hi - lo, dtype=bool)
            for edit in al.edits:
                e_lo, e_hi = np.searchsorted(tokens.starts, [edit[column], edit[column + 1]])
                keep[e_lo - lo:e_hi - lo] = False
            outside.append(lo + np.flatnonzero(keep))
        i, j = outside
        assert len(i) == len(j) == al.matched_tokens
        same_verse.append(verses[0][i] == verses[1][j])
    assert np.concatenate(same_verse).mean() > 0.999


def _copy_and_rewording(a_between: int, b_between: int) -> tuple[str, str, str, str]:
    """Two texts sharing a verbatim copy of 60 words and, after it, five sentences reworded
    (their words shuffled), with ``a_between`` and ``b_between`` words of unrelated text (in
    sentences of 10 words) between the two. Returns both texts, and the copy and the reworded
    sentences as they stand in a."""
    rng = random.Random(12)
    copy = " ".join(words(40, 60, "c")) + "."
    sentences = [words(50 + k, 12, "s") for k in range(5)]
    reworded = [rng.sample(s, len(s)) for s in sentences]
    original = " ".join(" ".join(s) + "." for s in sentences)

    def text(side: str, between: int, passage: str) -> str:
        filler = [" ".join(words(seed, 60, side + str(seed))) + "." for seed in (60, 61, 62)]
        unrelated = words(63, between, side + "m")
        middle = " ".join(" ".join(unrelated[k : k + 10]) + "." for k in range(0, between, 10))
        return " ".join(part for part in (filler[0], copy, middle, passage, filler[1], filler[2])
                        if part)

    b_passage = " ".join(" ".join(s) + "." for s in reworded)
    return text("a", a_between, original), text("b", b_between, b_passage), copy, original


def test_paraphrase_far_from_a_verbatim_copy_of_the_pair_is_dropped():
    a_text, b_text, copy, _ = _copy_and_rewording(100, 100)
    found = align_pair(a_text, b_text, AlignConfig(copy_reach=10**9))
    assert [al.method for al in found] == ["lexical", "paraphrase"]
    [al] = align_pair(a_text, b_text)
    assert al.method == "lexical"
    assert a_text[al.a_start : al.a_end] == copy[:-1]
    assert align_batch([a_text], [b_text]) == [[al]]


def test_paraphrase_next_to_a_verbatim_copy_in_a_is_kept_and_merged_with_it():
    """The reworded sentences follow the copy in a but lie far from it in b (as a summary
    gathers its source's sentences): one passage of a, one alignment."""
    a_text, b_text, copy, original = _copy_and_rewording(0, 100)
    found = align_pair(a_text, b_text, AlignConfig(merge_gap=-1))
    assert [al.method for al in found] == ["lexical", "paraphrase"]
    [al] = align_pair(a_text, b_text)
    assert al.method == "paraphrase"
    assert a_text[al.a_start : al.a_end] == (copy + " " + original)[:-1]
    assert (al.b_start, al.b_end) == (found[0].b_start, found[1].b_end)
    assert align_batch([a_text], [b_text]) == [[al]]


def test_merge_gap_copy_reach_and_summary_whole_source_are_validated():
    with pytest.raises(ConfigError, match=r"The 'merge_gap' parameter of AlignConfig must be an "
                                          r"int in \[-1, 1000000000\]. Got -2 instead."):
        align_pair("a b c", "a b c", AlignConfig(merge_gap=-2))
    with pytest.raises(ConfigError, match=r"The 'copy_reach' parameter of AlignConfig must be "
                                          r"an int in \[0, 1000000000\]. Got -1 instead."):
        align_pair("a b c", "a b c", AlignConfig(copy_reach=-1))
    with pytest.raises(ConfigError, match=r"The 'summary_whole_source' parameter of AlignConfig "
                                          r"must be a bool. Got 1 instead."):
        align_pair("a b c", "a b c", AlignConfig(summary_whole_source=1))


def _summary_pair() -> tuple[str, str, str]:
    """A text b of 24 sentences and a text a holding, between unrelated sentences, a summary of
    b's sentences 2 to 21: each of its five sentences takes three words from each of four of
    them. Returns a, b and the summary."""
    source = [words(100 + k, 10, f"t{k}_") for k in range(24)]
    summary = " ".join(
        " ".join(w for s in source[2 + 4 * k : 6 + 4 * k] for w in s[:3]) + "."
        for k in range(5)
    )
    filler = [" ".join(words(200 + k, 12, f"f{k}_")) + "." for k in range(8)]
    a_text = " ".join([*filler[:4], summary, *filler[4:]])
    b_text = " ".join(" ".join(s) + "." for s in source)
    return a_text, b_text, summary


def test_a_summary_takes_the_whole_source_document():
    a_text, b_text, summary = _summary_pair()
    [seeded] = align_pair(a_text, b_text, AlignConfig(summary_whole_source=False))
    assert a_text[seeded.a_start : seeded.a_end] == summary[:-1]
    assert seeded.b_start > 0 and seeded.b_end < len(b_text) - 1
    [al] = align_pair(a_text, b_text)
    assert (al.a_start, al.a_end) == (seeded.a_start, seeded.a_end)
    assert (al.b_start, al.b_end) == (0, len(b_text) - 1)  # the last word, without its period
    assert align_batch([a_text], [b_text]) == [[al]]


_EDIT = st.tuples(st.sampled_from(["replace", "insert", "delete"]),
                  *[st.integers(0, 2**62)] * 4)


@given(st.lists(_EDIT, max_size=30))
def test_edits_are_written_as_json_would_write_them(edits):
    assert edits_json(edits) == json.dumps([list(e) for e in edits], separators=(",", ":"))
