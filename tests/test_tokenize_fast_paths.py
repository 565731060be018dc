"""tokenize_batch's fast paths against the plain-Python definition: the ASCII path, narrow and
wide tokens of every word count (packed loads and the character-by-character sums), tokens longer
than the 1024-entry power cycle, and the lazily filled code-point tables."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from token_checks import assert_batch_equals_reference

import reuse.text.tokenize as tokenize_module
from reuse.common import compiled
from reuse.text.tokenize import _describe, _tables, tokenize_batch, tokenize_reference

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ascii_text = st.text(alphabet="aZ9 '\n-.x'", max_size=40)


def _assert_batch_matches_reference(texts: list[str], strip: bool = False) -> None:
    assert_batch_equals_reference(tokenize_batch(texts, strip), texts, strip)


@FAST
@given(st.lists(ascii_text, max_size=6), st.booleans())
def test_ascii_batches_match_reference(texts, strip):
    _assert_batch_matches_reference(texts, strip)


@pytest.mark.parametrize("text", [
    "a" * 1024, "b" * 1025, "c" * 2049 + " d", "x " + "é" * 1030 + " y", "'" + "k" * 1500 + "'",
])
def test_tokens_longer_than_the_power_cycle(text):
    _assert_batch_matches_reference([text, "short one", text[::-1]])


@pytest.mark.parametrize("length", [1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 66, 200])
# 8-bit (k, é), 16-bit (ж, and 𝐤, which NFKC makes k) and 32-bit (Deseret 𐐨) packings.
@pytest.mark.parametrize("letter", ["k", "é", "ж", "𝐤", "\U00010428"])
def test_every_word_count_of_every_packing(length, letter):
    token = letter * length
    # Alone, next to tokens of the other width, and at the very end of the batch.
    _assert_batch_matches_reference([token, f"ab {token} жж", f"x {token}"])


@FAST
@given(st.lists(st.text(alphabet="aé'ж東 -\u0301ﬁ\U00010428", max_size=90), min_size=1, max_size=5))
def test_mixed_width_batches_match_reference(texts):
    _assert_batch_matches_reference(texts)


def test_word_rounds_limit_hands_long_tokens_to_the_character_path(monkeypatch):
    monkeypatch.setattr(tokenize_module, "_MAX_WORD_ROUNDS", 1)
    _assert_batch_matches_reference(
        ["abcdefghij kl", "жжжжжж ab", "é" * 20 + " x", "\U00010428" * 5 + " жж"]
    )


def test_lone_surrogate_separates_tokens():
    batch = tokenize_batch(["a\ud800b", "c"])
    assert batch.doc(0).starts.tolist() == [0, 2]
    assert batch.doc(0).hashes.tolist() == tokenize_reference("a b").hashes.tolist()


def test_lazily_described_code_points_equal_the_definition():
    sample = np.random.default_rng(3).choice(0x10000, size=300, replace=False)
    sample = sample[(sample < 0xD800) | (sample > 0xDFFF)]
    tokenize_batch(["".join(chr(cp) for cp in sample.tolist())])
    tables = _tables(False)
    for cp in sample.tolist():
        described = _describe(cp, False)
        assert (
            int(tables.char_class[cp]), int(tables.normalized[cp]), bool(tables.complex[cp])
        ) == described


@pytest.mark.parametrize("strip", [False, True])
def test_ascii_text_takes_the_one_table_path(strip):
    # The value of an ASCII character tells its class; if that ever broke, the fast path
    # would be skipped without a sound.
    table = tokenize_module._ascii_table(strip)
    assert table is not None
    assert table[ord("'")] == tokenize_module._APOSTROPHE
    assert table[ord("A")] == table[ord("a")] == ord("a") + 1 and table[ord(" ")] == 0


def _narrow_calls(monkeypatch) -> list[bool]:
    """Counts the numpy narrow path's calls (the compiled passes, which skip it, switched off)."""
    monkeypatch.setattr(compiled, "ENABLED", False)
    taken: list[bool] = []
    narrow_values = tokenize_module._narrow_values

    def counted(joined, strip):
        found = narrow_values(joined, strip)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(tokenize_module, "_narrow_values", counted)
    return taken


@pytest.mark.parametrize("strip", [False, True])
def test_latin_text_with_dashes_and_quotes_takes_the_narrow_path(monkeypatch, strip):
    texts = ["Ça va — l’été “chaud” DÉJÀ… ﬁn Straße e\u0301te don't 'x' 3½", "naïve-ish Øresund",
             "\u0301a ß’s ’a a’"]
    tokenize_batch(texts, strip)  # describes the code points
    taken = _narrow_calls(monkeypatch)
    _assert_batch_matches_reference(texts, strip)
    assert taken == [True]


@pytest.mark.parametrize("text", [
    "ab þ cd",  # v = 255: the complex marker's value
    "ab ÿ cd",  # v = 256: needs 16 bits
    "ab жж cd", "ab 東京 cd", "ab \U00010428 cd", "ab \ud800 cd", "Œuvre",
])
def test_characters_the_narrow_path_cannot_take_go_the_general_way(monkeypatch, text):
    tokenize_batch([text])
    taken = _narrow_calls(monkeypatch)
    _assert_batch_matches_reference(["é " + text, "ok"])
    assert taken == [False]


def test_narrow_values_tell_the_class_of_every_described_code_point():
    sample = np.random.default_rng(5).choice(0x10000, size=400, replace=False)
    tokenize_batch(["".join(chr(cp) for cp in sample.tolist()), "aé’—"])
    tables = _tables(False)
    described = np.flatnonzero(tables.char_class != 255)
    for cp in described.tolist():
        value, cls = int(tables.narrow[cp]), int(tables.char_class[cp])
        if value == tokenize_module._NOT_NARROW:
            continue
        if value == 0:
            assert cls == tokenize_module.SEPARATOR
        elif value == tokenize_module._APOSTROPHE:
            assert cls == tokenize_module.CONNECTOR
        elif value == tokenize_module._COMPLEX_WORD:
            assert cls == tokenize_module.WORD and tables.complex[cp]
        else:
            assert cls == tokenize_module.WORD and not tables.complex[cp]
            assert value == int(tables.normalized[cp]) + 1 > tokenize_module._APOSTROPHE


def test_surrogate_units_are_never_narrow():
    tokenize_batch(["a\ud800b \U00010428 \U0001d400x"])  # lone and paired surrogates described
    narrow = _tables(False).narrow
    assert (narrow[0xD800:0xE000] == tokenize_module._NOT_NARROW).all()
