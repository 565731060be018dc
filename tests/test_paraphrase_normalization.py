"""One normalization for every track: the paraphrase stems (the first five code points of a
token) are normalized as the token hashes are (NFKC, casefold, one apostrophe, diacritics
stripped when asked), not lower-cased A-Z only. Issue 12, item 6."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from reuse.align.aligner import align_pair
from reuse.align.config import AlignConfig
from reuse.text.tokenize import (
    normalize_token,
    prefix_hash_reference,
    prefix_hashes,
    tokenize,
)

STEM = 5


def stems_and_hashes(word: str, strip_diacritics: bool = False) -> tuple[int, int]:
    tokens = tokenize(word, strip_diacritics)
    assert len(tokens) == 1, word
    stem = prefix_hashes(word, tokens, STEM, strip_diacritics)
    return int(stem[0]), int(tokens.hashes[0])


@pytest.mark.parametrize(("left", "right"), [
    ("Über", "über"),  # German umlaut, upper and lower case
    ("ÜBERALL", "überall"),
    ("STRASSE", "Straße"),  # sharp s folds to ss
    ("Maße", "MASSE"),
    ("ΣΟΦΟΣ", "σοφος"),  # Greek final sigma folds to σ
    ("ΛΌΓΟΣ", "λόγος"),
    ("İSTANBUL", "i\u0307stanbul"),  # Turkish dotted capital I folds to i + combining dot
    ("ﬁsch", "fisch"),  # ligature, NFKC
    ("don’t", "don't"),  # apostrophes
    ("cafe\u0301", "café"),  # decomposed and composed
    ("ＡＢＣＤＥ", "abcde"),  # fullwidth
])
def test_a_word_written_two_ways_has_one_stem_as_it_has_one_token_hash(left, right):
    left_stem, left_hash = stems_and_hashes(left)
    right_stem, right_hash = stems_and_hashes(right)
    assert left_hash == right_hash
    assert left_stem == right_stem


def test_words_the_tokens_tell_apart_get_different_stems():
    # Turkish dotless ı is no i, for the token hashes as for the stems.
    assert stems_and_hashes("ıstanbul")[0] != stems_and_hashes("istanbul")[0]
    assert stems_and_hashes("ıstanbul")[1] != stems_and_hashes("istanbul")[1]
    # The stem is the first five code points: a longer word shares it, not its hash.
    assert stems_and_hashes("Überall")[0] == stems_and_hashes("überallhin")[0]
    assert stems_and_hashes("Überall")[1] != stems_and_hashes("überallhin")[1]


def test_diacritics_are_stripped_from_the_stems_when_the_tokens_strip_them():
    assert stems_and_hashes("café")[0] != stems_and_hashes("cafe")[0]
    assert stems_and_hashes("café", True) == stems_and_hashes("cafe", True)
    assert stems_and_hashes("ΛΌΓΟΣ", True) == stems_and_hashes("λογος", True)


@pytest.mark.parametrize("strip_diacritics", [False, True])
def test_the_vectorized_stems_match_the_definition(strip_diacritics):
    text = ("Über die STRASSE gehen Maße; ΣΟΦΟΣ und σοφός λόγος. İstanbul ıstanbul "
            "ﬁsch don’t cafe\u0301 café ＡＢＣＤＥ 東京タワー 𝐇𝐞𝐥𝐥𝐨 x y2 plain ascii words")
    tokens = tokenize(text, strip_diacritics)
    expected = [prefix_hash_reference(normalize_token(text[s:e], strip_diacritics), STEM)
                for s, e in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True)]
    got = prefix_hashes(text, tokens, STEM, strip_diacritics)
    assert got.dtype == np.uint64
    assert got.tolist() == expected
    ascii_text = "Plain ASCII text, with Capitals and it's apostrophes"
    ascii_tokens = tokenize(ascii_text)
    assert prefix_hashes(ascii_text, ascii_tokens, STEM).tolist() == [
        prefix_hash_reference(ascii_text[s:e].lower(), STEM)
        for s, e in zip(ascii_tokens.starts.tolist(), ascii_tokens.ends.tolist(), strict=True)]


# Sentences of Greek words; the other document has each sentence's words in reverse order (no
# word n-gram survives), in capitals: only sentence similarity over the stems can find it.
WORDS = ["λόγος", "ποταμός", "θάλασσα", "ουρανός", "άνθρωπος", "πόλεμος", "ειρήνη", "σοφία",
         "δύναμις", "καρδιά", "φιλόσοφος", "ήλιος", "σελήνη", "ψυχή", "ελπίδα", "θεός", "νόμος",
         "χρόνος", "φύσις", "τέχνη"]
SENTENCES = [" ".join(WORDS[(k * 7 + i * 3) % len(WORDS)] for i in range(10)) for k in range(5)]
A_TEXT = "Αρχή κειμένου χωρίς σχέση με το άλλο. " + ". ".join(SENTENCES) + ". Τέλος εδώ."
B_START = "ΑΛΛΟ ΚΕΙΜΕΝΟ ΕΝΤΕΛΩΣ ΔΙΑΦΟΡΕΤΙΚΟ. "


def reversed_capitals(strip_accents: bool) -> str:
    text = ". ".join(" ".join(reversed(s.split())).upper() for s in SENTENCES) + "."
    if strip_accents:
        text = "".join(c for c in unicodedata.normalize("NFD", text)
                       if not unicodedata.combining(c))
    return B_START + unicodedata.normalize("NFC", text)


def test_a_paraphrase_in_greek_capitals_is_found():
    b_text = reversed_capitals(strip_accents=False)
    [found] = align_pair(A_TEXT, b_text, AlignConfig(paraphrase=True))
    assert found.method == "paraphrase"
    assert A_TEXT[found.a_start:found.a_end] == ". ".join(SENTENCES)
    assert b_text[found.b_start:found.b_end] == b_text[len(B_START):-1]


def test_capitals_without_accents_match_only_when_diacritics_are_stripped():
    b_text = reversed_capitals(strip_accents=True)
    assert align_pair(A_TEXT, b_text, AlignConfig(paraphrase=True)) == []
    found = align_pair(A_TEXT, b_text, AlignConfig(paraphrase=True), strip_diacritics=True)
    assert [al.method for al in found] == ["paraphrase"]
