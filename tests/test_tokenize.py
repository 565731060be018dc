"""tokenize: offsets into the raw text, the fast path against the plain-Python definition,
normalization, and hash values pinned across versions and processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata

import numpy as np
import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reuse.text.tokenize import (
    CHARACTER_TOKEN,
    CONNECTOR,
    SEPARATOR,
    WORD,
    Tokens,
    char_class,
    normalize_token,
    token_hash_reference,
    tokenize,
    tokenize_batch,
    tokenize_reference,
)

# Characters that stress the tokenizer: combining marks, Hangul jamo (compose with neighbours),
# ligatures and ß (expand), astral letters and digits, CJK and Thai, Arabic, emoji with ZWJ and
# skin tones, RTL/LTR marks, NUL, apostrophes, dashes and quotes.
TRICKY = [
    "a", "Z", "é", "e", "\u0301", "\u0308", "\u0327", "\u0345", "ß", "ẞ", "İ", "ı", "ﬁ", "ﬀ",
    "Ω", "Å", "½", "²", "Ⅻ", "ǅ", "ŉ", "ΐ", "ᾀ", "\u1100", "\u1161", "\u11a8", "가", "ㄱ", "ㅏ",
    "\uffa1", "東", "京", "\u3042", "\u30ab", "\u3099", "ｶ", "\uff9e", "\u0e2a", "\u0e31", "\u0e35",
    "ม", "\u0645", "\u0631", "\u064e", "\u0627", "\u05d0", "\u05b7", "\ufdfa", "\U0001f600",
    "\U0001f468", "\u200d", "\U0001f469", "\U0001f3fb", "\u200f", "\u200e", "\x00", "'", "\u2019",
    "\u02bc", "\u2018", "\uff07", "-", "\u2013", "\u2014", "\u2212", '"', "\u201c", "«", " ",
    "\t", "\n", "\u00a0", "\u3000", ".", ",", "\U00010400", "\U0001d400", "\U0001d7d8",
    "\U00020000", "\U0002f800", "\U000e0041", "\u0130", "\u1e9e", "\u2126", "\u212b", "\ufb2c",
    "Д", "ё", "й", "\u0439", "\u0418\u0306", "1", "٣", "\u0f73", "\u0cc0", "\u0b4b",
]

unicode_text = st.lists(
    st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from(TRICKY),
    ),
    max_size=40,
).map("".join)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _spans(tokens: Tokens) -> list[tuple[int, int]]:
    return list(zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True))


def _assert_same_tokens(fast: Tokens, reference: Tokens) -> None:
    assert _spans(fast) == _spans(reference)
    assert fast.hashes.tolist() == reference.hashes.tolist()
    assert fast.hashes.dtype == np.uint64


def _expected_spans(text: str) -> list[tuple[int, int]]:
    """Token spans straight from char_class, written independently of both tokenizers."""
    classes = [char_class(c) for c in text]
    wordlike = [
        cls == WORD
        or (cls == CONNECTOR and 0 < k < len(text) - 1
            and classes[k - 1] == WORD and classes[k + 1] == WORD)
        for k, cls in enumerate(classes)
    ]
    spans, run_start = [], None
    for k in range(len(text) + 1):
        if k < len(text) and wordlike[k]:
            if run_start is None:
                run_start = k
            continue
        if run_start is not None:
            spans.append((run_start, k))
            run_start = None
        if k < len(text) and classes[k] == CHARACTER_TOKEN:
            spans.append((k, k + 1))
    return spans


# --- properties of the offsets -------------------------------------------------------------


@FAST
@given(unicode_text)
def test_offsets_are_ordered_half_open_spans_of_the_raw_text(text):
    tokens = tokenize(text)
    spans = _spans(tokens)
    previous_end = 0
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        assert start >= previous_end
        previous_end = end
    assert tokens.starts.dtype == np.int64
    assert len(tokens.hashes) == len(spans)


@FAST
@given(unicode_text)
def test_every_span_is_a_token_by_the_char_class_rules(text):
    tokens = tokenize(text)
    assert _spans(tokens) == _expected_spans(text)
    for start, end in _spans(tokens):
        piece = text[start:end]
        if char_class(piece[0]) == CHARACTER_TOKEN:
            assert end - start == 1
        else:
            assert char_class(piece[0]) == WORD and char_class(piece[-1]) == WORD
            assert all(char_class(c) in (WORD, CONNECTOR) for c in piece)
    # Nothing that belongs in a token is dropped: outside the spans there are only separators
    # and apostrophes that do not sit between two word characters.
    covered = np.zeros(len(text), dtype=bool)
    for start, end in _spans(tokens):
        covered[start:end] = True
    for k in np.flatnonzero(~covered):
        assert char_class(text[k]) in (SEPARATOR, CONNECTOR)


@FAST
@given(unicode_text)
def test_hash_is_the_reference_hash_of_the_normalized_raw_token(text):
    tokens = tokenize(text)
    for (start, end), value in zip(_spans(tokens), tokens.hashes.tolist(), strict=True):
        assert value == token_hash_reference(normalize_token(text[start:end]))


# --- the fast path against the plain-Python definition -------------------------------------


@FAST
@given(unicode_text, st.booleans())
def test_tokenize_matches_reference(text, strip):
    _assert_same_tokens(tokenize(text, strip), tokenize_reference(text, strip))


@FAST
@given(st.lists(unicode_text, max_size=6), st.booleans())
def test_tokenize_batch_matches_reference_per_document(texts, strip):
    batch = tokenize_batch(texts, strip)
    assert len(batch) == len(texts)
    assert batch.bounds.tolist()[0] == 0
    assert batch.bounds.tolist()[-1] == len(batch.hashes)
    for d, text in enumerate(texts):
        _assert_same_tokens(batch.doc(d), tokenize_reference(text, strip))
    assert batch.counts().tolist() == [len(tokenize_reference(t, strip)) for t in texts]


def test_batch_offsets_are_relative_to_each_document():
    texts = ["it", "", "'s a test", "\x00\x00", "x\x00y", "東京", "don’", "t"]
    batch = tokenize_batch(texts)
    assert batch.counts().tolist() == [1, 0, 3, 0, 2, 2, 1, 1]
    assert [(texts[2][s:e]) for s, e in _spans(batch.doc(2))] == ["s", "a", "test"]
    assert _spans(batch.doc(4)) == [(0, 1), (2, 3)]
    assert _spans(batch.doc(5)) == [(0, 1), (1, 2)]
    # A trailing apostrophe does not join the first word of the next document.
    assert _spans(batch.doc(6)) == [(0, 3)]
    assert batch.doc(7).hashes.tolist() == tokenize("t").hashes.tolist()


def test_empty_batch_and_empty_text():
    assert len(tokenize_batch([])) == 0
    assert tokenize_batch([]).bounds.tolist() == [0]
    assert len(tokenize("")) == 0
    assert len(tokenize(" \n\t—")) == 0


def test_astral_and_combining_heavy_text_matches_reference():
    text = (
        "𝐇𝐞𝐥𝐥𝐨 𐐀𐐨 𠀀𠀁 Z\u0351\u036b\u0343a\u0346l\u0344g\u0310o 👩\u200d👩\u200d👧 "
        "\u1100\u1161\u11a8 ㄱㅏ ﬁne ǅemal ΐ ᾀ İstanbul ½ \u0418\u0306"
    )
    for strip in (False, True):
        _assert_same_tokens(tokenize(text, strip), tokenize_reference(text, strip))


# --- scripts --------------------------------------------------------------------------------


def _words(text: str, strip: bool = False) -> list[str]:
    tokens = tokenize(text, strip)
    return [text[s:e] for s, e in _spans(tokens)]


def test_latin_words_and_punctuation():
    assert _words("Hello, world! It's 2024.") == ["Hello", "world", "It's", "2024"]


def test_russian_seed_text_tokenizes_into_words():
    path = next(SEEDS.glob("004_*.txt"))
    text = path.read_text(encoding="utf-8")
    russian = text[text.index("Авторизуйтесь") :]
    assert _words(russian) == ["Авторизуйтесь", "пожалуйста"]
    _assert_same_tokens(tokenize(text), tokenize_reference(text))


def test_cyrillic_greek_arabic_words():
    assert _words("Привет, мир! Ёлка") == ["Привет", "мир", "Ёлка"]
    assert _words("Καλημέρα κόσμε.") == ["Καλημέρα", "κόσμε"]
    # Harakat (combining marks) stay inside the Arabic word.
    assert _words("مَرحبا بالعالم") == ["مَرحبا", "بالعالم"]


def test_scripts_without_spaces_fall_back_to_characters():
    # ー (U+30FC) is a letter (Lm) of the kana block, so a token; 。 is punctuation.
    assert _words("東京タワー。") == ["東", "京", "タ", "ワ", "ー"]
    assert _words("สวัสดี") == ["ส", "ว", "ั", "ส", "ด", "ี"]
    assert _words("東京 abc 大阪") == ["東", "京", "abc", "大", "阪"]
    assert _words("漢字abc") == ["漢", "字", "abc"]


# --- normalization ------------------------------------------------------------------------


def _hashes(text: str, strip: bool = False) -> list[int]:
    return tokenize(text, strip).hashes.tolist()


def test_nfkc_and_casefold():
    assert _hashes("Straße") == _hashes("STRASSE") == _hashes("strasse")
    assert _hashes("e\u0301cole") == _hashes("école") == _hashes("ÉCOLE")
    assert _hashes("ﬁne") == _hashes("fine")
    assert _hashes("Straße") != _hashes("Strase")


def test_apostrophes_hash_alike():
    assert _hashes("don’t") == _hashes("don't") == _hashes("donʼt")
    assert len(_hashes("don’t")) == 1


def test_dashes_separate_tokens():
    expected = _hashes("a b")
    assert len(expected) == 2
    for text in ("a -- b", "a — b", "a – b", "a—b", "a-b", "a − b"):
        assert _hashes(text) == expected, text


def test_strip_diacritics_only_when_enabled():
    assert _hashes("café") != _hashes("cafe")
    assert _hashes("café", strip=True) == _hashes("cafe", strip=True)
    assert _hashes("Ångström", strip=True) == _hashes("angstrom", strip=True)
    # Stripping does not change tokens that have no diacritics.
    assert _hashes("cafe", strip=True) == _hashes("cafe")


def test_normalize_token_examples():
    assert normalize_token("Straße") == "strasse"
    assert normalize_token("DON’T") == "don't"
    assert normalize_token("Café", strip_diacritics=True) == "cafe"
    assert normalize_token("e\u0301") == "é"
    assert unicodedata.is_normalized("NFKC", normalize_token("ﬁ½"))


# --- golden values ----------------------------------------------------------------------------

GOLDEN_TEXT = "Hello, wörld — 東京"
GOLDEN = [
    (4064918147734662086, 0, 5),
    (13521810608636229388, 7, 12),
    (14942354233709064308, 15, 16),
    (5004315176934069380, 16, 17),
]


def test_golden_token_hashes():
    tokens = tokenize(GOLDEN_TEXT)
    got = zip(tokens.hashes.tolist(), tokens.starts.tolist(), tokens.ends.tolist(), strict=True)
    assert list(got) == GOLDEN
    assert [token_hash_reference(normalize_token(GOLDEN_TEXT[s:e])) for _, s, e in GOLDEN] == [
        h for h, _, _ in GOLDEN
    ]
    assert token_hash_reference("") == 0
    assert token_hash_reference("a") == 0xF0EEA8C8A0607D15


_CHILD = (
    "import json, sys; from reuse.text.tokenize import tokenize; "
    "print(json.dumps(tokenize(sys.argv[1], sys.argv[2] == '1').hashes.tolist()))"
)


def test_hashes_do_not_depend_on_pythonhashseed():
    text = GOLDEN_TEXT + " Straße café don’t 𝐇𝐢"
    outputs = []
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, text, "0"], env=env, capture_output=True, text=True,
            check=True, timeout=120,
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0][:4] == [h for h, _, _ in GOLDEN]
    assert outputs[0] == tokenize(text).hashes.tolist()


@pytest.mark.parametrize(
    ("ch", "expected"),
    [
        ("a", WORD), ("\u0301", WORD), ("\u1161", WORD), ("ß", WORD), ("ﬁ", WORD),
        ("\U0001d400", WORD), ("٣", WORD), ("東", CHARACTER_TOKEN), ("\u0e31", CHARACTER_TOKEN),
        ("\U00020000", CHARACTER_TOKEN), ("’", CONNECTOR), ("'", CONNECTOR), ("—", SEPARATOR),
        ("-", SEPARATOR), ("\U0001f600", SEPARATOR), ("\u200d", SEPARATOR), ("\x00", SEPARATOR),
        ("。", SEPARATOR), (" ", SEPARATOR),
    ],
)
def test_char_class(ch, expected):
    assert char_class(ch) == expected


@pytest.mark.parametrize("strip", [False, True])
def test_long_tokens_match_reference(strip):
    # The hash cycles its position powers every 1024 characters: tokens around that length.
    texts = [
        "a" * 1023, "b" * 1024, "c" * 1025, "x" * 3000 + "é" + "y" * 50,
        "Straße" * 400, "don't" * 300, " ".join(["z" * 2050, "東" * 3, "w" * 1100 + "\u0301"]),
    ]
    batch = tokenize_batch(texts, strip)
    for d, text in enumerate(texts):
        _assert_same_tokens(batch.doc(d), tokenize_reference(text, strip))
        _assert_same_tokens(tokenize(text, strip), tokenize_reference(text, strip))


@pytest.mark.parametrize("alphabet", ["ascii", "unicode"])
def test_batches_longer_than_two_million_characters(alphabet):
    rng = np.random.default_rng(8)
    letters = list("abcdefghij'") if alphabet == "ascii" else list("abcdéfghïj'東")
    words = ["".join(rng.choice(letters, size=int(rng.integers(1, 9)))) for _ in range(5000)]
    if alphabet == "unicode":
        words[:2] = ["Straße", "e\u0301cole"]  # a few tokens take the per-token path
    texts = [
        " ".join(rng.choice(words, size=14_000)) for _ in range(30)
    ]  # about 2.5 million characters in one batch
    assert sum(map(len, texts)) > 1 << 21
    batch = tokenize_batch(texts)
    # Each document alone is short enough for the default path, which the tests above check
    # against the reference; the long batch must give the same tokens.
    for d in range(len(texts)):
        _assert_same_tokens(batch.doc(d), tokenize(texts[d]))


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(alphabet="ab .", max_size=30), min_size=1, max_size=6),
       data=st.data())
def test_token_batch_search_is_searchsorted_in_each_document(texts, data):
    batch = tokenize_batch(texts)
    index = st.integers(0, len(texts) - 1)
    queries = data.draw(st.lists(st.tuples(index, st.integers(0, 40)), max_size=20))
    docs = np.array([d for d, _ in queries], dtype=np.int64)
    offsets = np.array([o for _, o in queries], dtype=np.int64)
    for side in ("starts", "ends"):
        expected = [int(np.searchsorted(getattr(batch.doc(d), side), o, "left"))
                    for d, o in queries]
        assert batch.search(docs, offsets, side).tolist() == expected
