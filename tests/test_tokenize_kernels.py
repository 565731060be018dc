"""The tokenizer's compiled kernels (reuse.text.kernels) against its numpy code: the same
TokenBatch, field for field (hashes, starts, ends, bounds, and their dtypes), on the ASCII and
the narrow path, on batches that leave them for the general path, and without numba."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from token_checks import assert_batch_equals_reference

import reuse.text.tokenize as tokenize_module
from reuse.common import compiled
from reuse.text.tokenize import TokenBatch, tokenize_batch, tokenize_joined

kernels = pytest.importorskip("reuse.text.kernels", reason="the compiled kernels need numba")

# The fixture is shared by the examples on purpose: only its last call is looked at.
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

ASCII = "aZ9q '\n\t.-,!\x00'"
# Narrow: Latin-1 letters, the curly apostrophe (a connector), dashes and quotes (separators),
# and characters whose tokens the slow path hashes (ß and ﬁ expand; a combining acute).
NARROW = "aé'’Ü—“ ß\u0301ﬁ\xa0½"
# Characters that send the whole batch the general way: v = 255 (þ), 16 bits (ж, Œ), a
# character token (東), an astral letter, a lone surrogate.
WIDE = "þжŒ東\U00010428\ud800"


def _fields(batch: TokenBatch) -> list[tuple[str, list[int]]]:
    return [(str(getattr(batch, f).dtype), getattr(batch, f).tolist())
            for f in ("hashes", "starts", "ends", "bounds")]


@pytest.fixture
def both(monkeypatch: pytest.MonkeyPatch):
    """Tokenize with the kernels (whatever the size) and with the numpy code; return both, and
    how many batches the kernel tokenized."""
    calls: list[bool] = []
    tokenize_narrow = kernels.tokenize_narrow

    def counted(*args):
        found = tokenize_narrow(*args)
        calls.append(bool(found[-1]))
        return found

    monkeypatch.setattr(kernels, "tokenize_narrow", counted)
    monkeypatch.setattr(tokenize_module, "MIN_COMPILED_CHARACTERS", 0)

    def run(texts: list[str], strip: bool = False) -> tuple[TokenBatch, TokenBatch]:
        tokenize_batch(texts, strip)  # describes the code points: the next call may be narrow
        compiled.ENABLED = False
        try:
            expected = tokenize_batch(texts, strip)
        finally:
            compiled.ENABLED = True
        found = tokenize_batch(texts, strip)
        assert _fields(found) == _fields(expected)
        return found, expected

    run.calls = calls
    return run


@FAST
@given(texts=st.lists(st.text(alphabet=ASCII, max_size=60), max_size=12), strip=st.booleans())
def test_ascii_batches_equal_the_numpy_path(both, texts, strip):
    found, _ = both(texts, strip)
    assert both.calls[-1] is True
    assert_batch_equals_reference(found, texts, strip)


@FAST
@given(texts=st.lists(st.text(alphabet=ASCII + NARROW, max_size=80), max_size=12),
       strip=st.booleans())
def test_narrow_batches_equal_the_numpy_path(both, texts, strip):
    found, _ = both(texts, strip)
    assert both.calls[-1] is True
    assert_batch_equals_reference(found, texts, strip)


@FAST
@given(texts=st.lists(st.text(alphabet=ASCII + NARROW + WIDE, max_size=60), min_size=1,
                      max_size=8))
def test_batches_the_kernel_gives_up_on_equal_the_numpy_path(both, texts):
    found, _ = both(texts)
    assert both.calls[-1] is (not any(c in WIDE for c in "".join(texts)))
    assert_batch_equals_reference(found, texts)


@FAST
@given(sizes=st.lists(st.integers(0, 3000), min_size=1, max_size=6),
       letter=st.sampled_from("ké"), apostrophes=st.booleans())
def test_long_tokens_equal_the_numpy_path(both, sizes, letter, apostrophes):
    """Tokens of every word count, past the numpy code's _MAX_WORD_ROUNDS words and the
    1024-entry power cycle; with an apostrophe inside them, or around them."""
    glue = "'" if apostrophes else ""
    texts = [f"{glue}{letter * size}{glue}{letter * (size // 3)} x{glue}" for size in sizes]
    found, _ = both(texts)
    assert both.calls[-1] is True
    assert_batch_equals_reference(found, texts)


@pytest.mark.parametrize("texts", [
    [], [""], ["", "", ""], ["\x00"], ["'"], ["a"], ["", "a", "", "b b", ""], ["a'", "'b"],
    ["a\x00b", "\x00c\x00"], ["a''b", "a'''b c'' d ''e f'g'h i'"], ["x'", "'", "y''"],
    # Past the 1024-word power cycle (8,192 characters).
    ["k" * 8200 + " é" + "é" * 8300, "a" * 8192 + "'" + "b" * 7],
    # Blocks of 64 characters: tokens and apostrophes across their edges.
    ["a" * 63 + "'" + "b" * 64 + " " + "c" * 64, " " * 63 + "'" + "d" * 65, "e" * 64 + "'",
     "x" * 127 + "'" + "y", "é" * 64 + "ß" + "z" * 70],
    ["ß ßß aß ﬁn \u0301a a\u0301"] * 3, ["x " * 500] * 10,
])
def test_edge_batches_equal_the_numpy_path(both, texts):
    found, _ = both(texts)
    assert both.calls == [True, True]  # the describing call and the compared one
    assert_batch_equals_reference(found, texts)


def test_tokenize_joined_equals_the_numpy_path(both, monkeypatch):
    """A batch given end to end with NULs, as the sketching stage reads it; documents that hold
    NULs themselves keep their tokens."""
    texts = ["Ça va\x00l’été", "", "don't stop\x00", "\x00\x00ab"] * 50
    joined, lengths = "\x00".join(texts), np.array([len(t) for t in texts])
    found = tokenize_joined(joined, lengths)
    monkeypatch.setattr(compiled, "ENABLED", False)
    assert _fields(found) == _fields(tokenize_joined(joined, lengths))
    assert _fields(found) == _fields(tokenize_batch(texts))


def test_scratch_space_is_reused_and_outgrown(both, monkeypatch):
    """Batches smaller and larger than the kept scratch space, in turn."""
    monkeypatch.setattr(tokenize_module, "_MAX_KEPT_SCRATCH", 100)
    for texts in (["a b c"], ["w " * 300], ["q"], ["é " * 150, "z"], ["a b"]):
        both(texts)
    assert all(both.calls)


def test_without_numba_the_numpy_code_runs(monkeypatch):
    """No numba: no kernels, and the same tokens from the numpy code, without a warning."""
    texts = ["Ça va — l’été don't", "plain ascii text", ""]
    monkeypatch.setattr(tokenize_module, "MIN_COMPILED_CHARACTERS", 0)
    expected = _fields(tokenize_batch(texts))
    monkeypatch.setitem(sys.modules, "numba", None)  # 'import numba' raises ImportError
    monkeypatch.delitem(sys.modules, "reuse.text.kernels")
    monkeypatch.delattr(sys.modules["reuse.text"], "kernels")
    assert compiled.load("reuse.text.kernels", None, 0) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _fields(tokenize_batch(texts)) == expected


@pytest.mark.parametrize("min_characters,loaded", [(None, False), (0, True)])
def test_a_small_job_does_not_load_numba(seeds_dir, min_characters, loaded):
    """Tokenizing the sample corpus stays on the numpy code unless the size rule is lowered."""
    texts = [path.read_text() for path in sorted(seeds_dir.glob("*.txt"))]
    code = ("import sys, reuse.text.tokenize as t; texts = " + repr(texts) + "; "
            + ("" if min_characters is None else f"t.MIN_COMPILED_CHARACTERS = {min_characters}; ")
            + "batch = t.tokenize_batch(texts); "
            "print(len(batch.hashes) > 1000, 'numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", str(loaded)]


@FAST
@given(texts=st.lists(st.text(alphabet="ab’ ßﬁ\u0301é", max_size=40), max_size=6))
def test_only_tokens_with_a_complex_character_go_the_slow_way(both, texts):
    """The kernel flags exactly the tokens that hold a character the slow path normalizes:
    flagging more would give the same hashes, only slower."""
    found, _ = both(texts)
    flagged: list[int] = []
    tokenize_narrow = kernels.tokenize_narrow

    def recorded(*args):
        result = tokenize_narrow(*args)
        flagged.extend(result[4].tolist())
        return result

    kernels.tokenize_narrow = recorded
    try:
        tokenize_batch(texts)
    finally:
        kernels.tokenize_narrow = tokenize_narrow
    expected = [t for t, (d, start, end) in enumerate(
        (d, int(s), int(e)) for d in range(len(texts)) for s, e in
        zip(found.doc(d).starts, found.doc(d).ends, strict=True))
        if any(c in "ßﬁ\u0301" for c in texts[d][start:end])]
    assert flagged == expected
