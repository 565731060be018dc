"""Whole books in other scripts: versions of one text link, other languages do not, and the
work grows linearly with the length of the books.

The texts are made here: for each script a vocabulary of made-up words over its alphabet
(Cyrillic, Greek, Hebrew) or of characters (Chinese ideographs; Japanese kanji with hiragana
and katakana), drawn with Zipf's law as words are, so that common words and common character
n-grams recur as in real text. Chinese and Japanese are written without spaces, so each of
their characters is a token (see :mod:`reuse.text.tokenize`). A *version* of a book has about 4% of
its words substituted, deleted or doubled; a second *language* in the same script has its own
vocabulary over the same alphabet.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from reuse.config import DedupConfig, PassageConfig, TokenizeConfig
from reuse.ingest import Corpus
from reuse.pipeline import run, sketch_corpus
from reuse.sketch.windows import passage_candidates
from reuse.text.tokenize import tokenize


def _alphabet(first: int, last: int) -> list[str]:
    return [chr(c) for c in range(first, last + 1)]


SCRIPTS = {
    "cyrillic": (_alphabet(0x0430, 0x044F), True),
    "greek": (_alphabet(0x03B1, 0x03C9), True),
    "hebrew": (_alphabet(0x05D0, 0x05EA), True),
    "chinese": (_alphabet(0x4E00, 0x9FA5), False),
    "japanese": (_alphabet(0x3041, 0x3093) + _alphabet(0x30A1, 0x30F3)
                 + _alphabet(0x4E00, 0x5DFF), False),
}


def _vocabulary(rng: np.random.Generator, alphabet: list[str], spaced: bool, size: int
                ) -> np.ndarray:
    if not spaced:  # a "word" is a character
        return np.array(rng.choice(alphabet, size=min(size, len(alphabet)), replace=False))
    letters = np.array(alphabet)
    words = {"".join(rng.choice(letters, size=int(rng.integers(2, 9)))) for _ in range(size)}
    return np.array(sorted(words))


def _book(rng: np.random.Generator, vocabulary: np.ndarray, n: int) -> list[str]:
    ranks = np.arange(1, len(vocabulary) + 1)
    weights = 1.0 / ranks
    return list(rng.choice(vocabulary, size=n, p=weights / weights.sum()))


def _version(rng: np.random.Generator, words: list[str], vocabulary: np.ndarray,
             rate: float = 0.04) -> list[str]:
    out = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            out.append(str(rng.choice(vocabulary)))
        elif roll < 2 * rate / 3:
            continue
        elif roll < rate:
            out += [word, str(rng.choice(vocabulary))]
        else:
            out.append(word)
    return out


def _text(words: list[str], spaced: bool) -> str:
    if spaced:
        return " ".join(w + ("." if k % 17 == 16 else "") for k, w in enumerate(words))
    return "".join(w + ("。" if k % 23 == 22 else "") for k, w in enumerate(words))


def _corpus(named: dict[str, str]) -> Corpus:
    return Corpus(ids=list(named), texts=list(named.values()), metadata=[{} for _ in named],
                  origins=["" for _ in named])


def _books(script: str, n: int, seed: int) -> dict[str, str]:
    """Two versions of a book in one language, and a book in another language of the same
    script."""
    alphabet, spaced = SCRIPTS[script]
    rng = np.random.default_rng(seed)
    first = _vocabulary(rng, alphabet, spaced, 6000)
    second = _vocabulary(rng, alphabet, spaced, 6000)
    original = _book(rng, first, n)
    return {
        f"{script}/original": _text(original, spaced),
        f"{script}/version": _text(_version(rng, original, first), spaced),
        f"{script}/other-language": _text(_book(rng, second, n), spaced),
    }


def test_cjk_is_tokenized_one_character_a_token():
    tokens = tokenize("天地玄黄。宇宙洪荒 ひらがな カタカナ")
    assert len(tokens) == 8 + 4 + 4


@pytest.fixture(scope="module")
def five_scripts():
    books: dict[str, str] = {}
    for k, script in enumerate(SCRIPTS):
        books.update(_books(script, 15_000, seed=k))
    return books, run(_corpus(books), paraphrase=False)


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_versions_link_and_other_languages_do_not(five_scripts, script):
    books, result = five_scripts
    alignments = result.alignments
    scripts_of = alignments["a_id"].str.split("/").str[0], alignments["b_id"].str.split("/").str[0]
    # Nothing links across scripts or across languages of one script.
    assert (scripts_of[0] == scripts_of[1]).all()
    mine = alignments[scripts_of[0] == script]
    assert set(zip(mine["a_id"], mine["b_id"], strict=True)) == {
        (f"{script}/original", f"{script}/version")}
    # The two versions are one or two alignments covering the book.
    assert len(mine) <= 2
    covered = (mine["a_end"] - mine["a_start"]).sum()
    assert covered >= 0.95 * len(books[f"{script}/original"])
    assert mine["similarity"].min() > 0.85


def _band_tokens(texts: list[str]) -> int:
    """Tokens of the boxes aligned for the candidate pairs of ``texts``."""
    from reuse.align.bands import BandConfig, band_windows, seed_bands

    config = PassageConfig()
    sketches = sketch_corpus(texts, TokenizeConfig(), DedupConfig(), config)
    candidates = passage_candidates(sketches.fingerprints, config)
    bands = seed_bands(candidates.seed_pair, candidates.seed_a, candidates.seed_b, config.ngram)
    boxes = band_windows(bands, sketches.n_tokens[candidates.a], sketches.n_tokens[candidates.b],
                         BandConfig().margin)
    return int((boxes.a_hi - boxes.a_lo + boxes.b_hi - boxes.b_lo).sum())


@pytest.mark.parametrize("script", ["chinese", "cyrillic"])
def test_the_work_grows_linearly_with_the_books(script):
    def cost(n: int) -> tuple[int, float]:
        books = _books(script, n, seed=42)
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            result = run(_corpus(books), paraphrase=False)
            best = min(best, time.process_time() - start)
        assert len(result.alignments) >= 1
        return _band_tokens(list(books.values())), best

    small_tokens, small_seconds = cost(10_000)
    large_tokens, large_seconds = cost(40_000)
    # The boxes aligned grow as the books (four times), the seconds far from sixteen times.
    assert 3.5 <= large_tokens / small_tokens <= 4.5
    assert large_seconds / small_seconds < 8
