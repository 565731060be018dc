"""Where paraphrase passages begin and end, and which are reported (issue 17): mutual best
sentence matches bound a passage, unshared edge stretches are cut, edited lexical copies are
absorbed, a passage shortened by rewording is long enough when its source is, and a summary
needs several sentences of its own."""

from __future__ import annotations

import random

from reuse.align.aligner import align_batch, align_pair
from reuse.align.config import AlignConfig

LETTERS = "abcdefghijklmnop"


def words(seed: int, count: int, prefix: str) -> list[str]:
    rng = random.Random(seed)
    return [f"{prefix}{rng.randrange(10**6)}" for _ in range(count)]


def sentence(tokens: list[str]) -> str:
    return " ".join(tokens) + "."


def filler(seed: int, prefix: str, sentences: int = 4) -> str:
    return " ".join(sentence(words(seed + k, 12, prefix)) for k in range(sentences))


def shuffled(tokens: list[str], seed: int) -> list[str]:
    return random.Random(seed).sample(tokens, len(tokens))


def test_a_sentence_resembling_the_first_reused_one_does_not_stretch_the_source():
    """b holds, three sentences before the source of a reworded passage, a sentence sharing
    most words with its first sentence: a seed, but not that sentence's best match."""
    source = [words(10 + k, 12, f"s{LETTERS[k]}") for k in range(5)]
    lookalike = source[0][:8] + words(40, 4, "l")
    between = [words(50 + k, 12, f"u{LETTERS[k]}") for k in range(3)]
    reused = " ".join(sentence(shuffled(s, k)) for k, s in enumerate(source))
    a_text = " ".join([filler(1, "a"), reused, filler(2, "c")])
    b_source = " ".join(sentence(s) for s in source)
    b_text = " ".join([filler(3, "b"), sentence(lookalike), *map(sentence, between), b_source,
                       filler(4, "d")])
    [al] = align_pair(a_text, b_text)
    assert al.method == "paraphrase"
    assert a_text[al.a_start : al.a_end] == reused[:-1]
    assert b_text[al.b_start : al.b_end] == b_source[:-1]
    assert align_batch([a_text], [b_text]) == [[al]]


def test_a_long_unpunctuated_stretch_before_a_reworded_passage_is_cut():
    """Thirty words without punctuation run into the first reworded sentence, making one
    sentence of them: the passage starts at the reworded words."""
    source = [words(60 + k, 12, f"s{LETTERS[k]}") for k in range(5)]
    run_in = " ".join(words(90, 30, "r"))
    reworded = [sentence(shuffled(s, k)) for k, s in enumerate(source)]
    reused = " ".join(reworded)
    a_text = " ".join([filler(5, "a"), run_in, reused, filler(6, "c")])
    b_source = " ".join(sentence(s) for s in source)
    b_text = " ".join([filler(7, "b"), b_source, filler(8, "d")])
    [al] = align_pair(a_text, b_text)
    assert al.method == "paraphrase"
    assert a_text[al.a_start : al.a_end] == reused[:-1]
    assert b_text[al.b_start : al.b_end] == b_source[:-1]
    assert align_batch([a_text], [b_text]) == [[al]]


def test_an_edited_copy_with_reworded_ends_is_one_passage_to_its_ends():
    """The middle ten sentences are copied with one word in six replaced (a lexical passage
    of similarity about 0.83), the first and last reworded (8 of their 12 words kept, in
    another order): the paraphrase passage, not the lexical one, gives the boundaries."""
    source = [words(100 + k, 12, f"s{LETTERS[k]}") for k in range(12)]
    rng = random.Random(7)
    edited = []
    for k, s in enumerate(source):
        if k in (0, 11):
            edited.append(shuffled(s[:8] + words(200 + k, 4, "n"), k))
        else:
            edited.append([f"x{rng.randrange(10**6)}" if i % 6 == 3 else w
                           for i, w in enumerate(s)])
    reused = " ".join(sentence(s) for s in edited)
    b_source = " ".join(sentence(s) for s in source)
    a_text = " ".join([filler(9, "a"), reused, filler(10, "c")])
    b_text = " ".join([filler(11, "b"), b_source, filler(12, "d")])
    [lexical] = align_pair(a_text, b_text, AlignConfig(paraphrase=False))
    assert lexical.similarity < 0.9
    assert len(a_text[lexical.a_start : lexical.a_end]) < len(reused) - 60
    [al] = align_pair(a_text, b_text)
    assert al.method == "paraphrase"
    assert a_text[al.a_start : al.a_end] == reused[:-1]
    assert b_text[al.b_start : al.b_end] == b_source[:-1]
    assert align_batch([a_text], [b_text]) == [[al]]


def test_a_passage_shortened_by_rewording_counts_its_source_length():
    """Three sentences keep 7 of the 12 words of their source sentences: 21 tokens against 36,
    under min_length (25) on the shorter side but 57 on both."""
    source = [words(120 + k, 12, f"s{LETTERS[k]}") for k in range(3)]
    short = " ".join(sentence(shuffled(s[:7], k)) for k, s in enumerate(source))
    b_source = " ".join(sentence(s) for s in source)
    a_text = " ".join([filler(13, "a"), short, filler(14, "c")])
    b_text = " ".join([filler(15, "b"), b_source, filler(16, "d")])
    [al] = align_pair(a_text, b_text)
    assert (al.a_tokens, al.b_tokens) == (21, 36)
    assert a_text[al.a_start : al.a_end] == short[:-1]
    assert b_text[al.b_start : al.b_end] == b_source[:-1]
    assert align_batch([a_text], [b_text]) == [[al]]
    # The same reworded sentences with sources as short: 42 tokens together, too few.
    b_short = " ".join([filler(15, "b"), " ".join(sentence(s[:7]) for s in source),
                        filler(16, "d")])
    assert align_pair(a_text, b_short) == []


def test_two_sentences_matching_all_over_a_text_are_no_summary():
    """A summary condenses its source in several sentences: two sentences taking words from
    three source sentences each (30 tokens against 96) are reported with a third, not alone."""
    source = [words(140 + k, 16, f"t{LETTERS[k]}") for k in range(11)]
    b_text = " ".join(sentence(s) for s in source)

    def summary(count: int) -> str:
        return " ".join(sentence([w for s in source[1 + 3 * k : 4 + 3 * k] for w in s[:5]])
                        for k in range(count))

    a_two = " ".join([filler(17, "a"), summary(2), filler(18, "c")])
    assert align_pair(a_two, b_text) == []
    a_three = " ".join([filler(17, "a"), summary(3), filler(18, "c")])
    [al] = align_pair(a_three, b_text)
    assert a_three[al.a_start : al.a_end] == summary(3)[:-1]
    assert (al.b_start, al.b_end) == (0, len(b_text) - 1)
