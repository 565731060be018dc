"""The tokenizer's compiled pass (reuse.text.compiled_narrow, C) against its numpy code: the
same TokenBatch, field for field (hashes, starts, ends, bounds, and their dtypes), on the ASCII
and the narrow path, for strs of one and of two bytes a character, on batches that leave them
for the general path, and without the extension."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import build_portable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from token_checks import assert_batch_equals_reference

import reuse.text.tokenize as tokenize_module
from reuse.common import compiled
from reuse.text.tokenize import TokenBatch, token_hashes_joined, tokenize_batch, tokenize_joined

compiled_narrow = pytest.importorskip(
    "reuse.text.compiled_narrow", reason="the package was built without its C extension")

# The fixture is shared by the examples on purpose: only its last call is looked at.
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

ASCII = "aZ9q '\n\t.-,!\x00'"
# Latin-1 only (a str of one byte a character that is not ASCII): letters, ß (the slow path), a
# no-break space and ½ (separators).
LATIN_1 = "éÜß\xa0½ñ"
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
    """Tokenize with the compiled pass and with the numpy code; return both, and for each
    batch whether the compiled pass tokenized it."""
    calls: list[bool] = []

    def counted(*args):
        found = compiled_narrow.tokenize_narrow(*args)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(tokenize_module, "compiled_narrow",
                        types.SimpleNamespace(tokenize_narrow=counted))

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


@pytest.mark.parametrize("alphabet", [ASCII, ASCII + LATIN_1, ASCII + NARROW],
                         ids=["ascii", "latin-1", "narrow"])
@FAST
@given(data=st.data(), strip=st.booleans())
def test_ascii_latin_1_and_narrow_batches_equal_the_numpy_path(both, alphabet, data, strip):
    """Strs of one byte a character (ASCII, Latin-1) and of two (the narrow alphabet)."""
    texts = data.draw(st.lists(st.text(alphabet=alphabet, max_size=80), max_size=12))
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


@FAST
@given(texts=st.lists(st.text(alphabet=ASCII + NARROW + WIDE, max_size=60), max_size=8),
       strip=st.booleans())
def test_token_hashes_are_the_batchs_without_offsets(both, texts, strip):
    """What sketching tokenizes: the hashes and bounds of tokenize_joined, without the offsets
    (the pass then writes only the slow tokens', in the joined text), compiled or not."""
    joined = "\x00".join(texts)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    tokenize_joined(joined, lengths, strip)  # describes the code points
    expected = tokenize_joined(joined, lengths, strip)
    for enabled in (True, False):
        compiled.ENABLED = enabled
        try:
            found = token_hashes_joined(joined, lengths, strip)
        finally:
            compiled.ENABLED = True
        assert found.hashes.dtype == np.uint64
        assert found.hashes.tolist() == expected.hashes.tolist()
        assert found.bounds.tolist() == expected.bounds.tolist()
        assert found.counts().tolist() == [len(expected.doc(d)) for d in range(len(texts))]


def test_scratch_space_is_reused_and_outgrown(both, monkeypatch):
    """Batches smaller and larger than the kept scratch space, in turn."""
    monkeypatch.setattr(tokenize_module, "_MAX_KEPT_SCRATCH", 100)
    for texts in (["a b c"], ["w " * 300], ["q"], ["é " * 150, "z"], ["a b"]):
        both(texts)
    assert all(both.calls)


def test_without_the_extension_the_numpy_code_runs():
    """Built without a C compiler: the same tokens from the numpy code, without a warning."""
    texts = ["Ça va — l’été don't", "plain ascii text", "", "naïve ½"]
    code = ("import sys; sys.modules['reuse.text.compiled_narrow'] = None  # the import fails\n"
            "import reuse.text.tokenize as t\n"
            f"batch = t.tokenize_batch({texts!r})\n"
            "print(t.compiled_narrow is None, [(str(getattr(batch, f).dtype), "
            "getattr(batch, f).tolist()) for f in ('hashes', 'starts', 'ends', 'bounds')])\n")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, check=True)
    missing, fields = done.stdout.split(" ", 1)
    assert missing == "True"
    assert fields.strip() == repr(_fields(tokenize_batch(texts)))




_ROOM_TYPES = {"hashes": np.uint64, "values": np.uint8, "masks": np.uint64}


def _arguments(text: str, **sizes: int) -> list:
    """tokenize_narrow's arguments for ``text`` as one document, with room of ``sizes`` (in
    elements) instead of what it needs for some of them."""
    tables = tokenize_module._tables(False)
    n = len(text)
    blocks = (n + 63) // 64
    room = {"hashes": n // 2 + 1, "starts": n // 2 + 1, "ends": n // 2 + 1, "bounds": 2,
            "slow": n // 2 + 1, "values": 64 * blocks + 16, "masks": 2 * blocks + 2} | sizes
    return [text, tables.narrow, tokenize_module._power_table(),
            int(tokenize_module._LENGTH_SALT), np.zeros(1, dtype=np.int64),
            tokenize_module._APOSTROPHE, tokenize_module._COMPLEX_WORD,
            tokenize_module._NOT_NARROW,
            *(np.zeros(room[name], dtype=_ROOM_TYPES.get(name, np.int64))
              for name in ("hashes", "starts", "ends", "bounds", "slow", "values", "masks")),
            True]


@pytest.mark.parametrize("name", ["hashes", "starts", "ends", "bounds", "slow", "values",
                                  "masks"])
def test_the_pass_refuses_too_little_room(name):
    text = "a b c d e f g h i j k l m n o p"
    needed = {"bounds": 2, "values": 64 + 16, "masks": 4}.get(name, len(text) // 2 + 1)
    size = np.dtype(_ROOM_TYPES.get(name, np.int64)).itemsize
    with pytest.raises(ValueError, match=f"^{name}: {(needed - 1) * size} bytes, fewer than "
                                         f"the {needed * size} needed$"):
        compiled_narrow.tokenize_narrow(*_arguments(text, **{name: needed - 1}))
    assert compiled_narrow.tokenize_narrow(*_arguments(text)) == (16, 0)


def test_the_pass_gives_up_on_four_byte_strs_and_refuses_a_short_table():
    assert compiled_narrow.tokenize_narrow(*_arguments("a \U00010428 b")) is None
    arguments = _arguments("é b")
    arguments[1] = arguments[1][:256]  # enough for a str of one byte a character only
    with pytest.raises(ValueError, match=r"^table: 256 bytes, fewer than the 65536 needed$"):
        compiled_narrow.tokenize_narrow(*_arguments("’ b")[:1], *arguments[1:])
    assert compiled_narrow.tokenize_narrow(*arguments) is not None


@FAST
@given(texts=st.lists(st.text(alphabet="ab’ ßﬁ\u0301é", max_size=40), max_size=6))
def test_only_tokens_with_a_complex_character_go_the_slow_way(both, texts):
    """The pass flags exactly the tokens that hold a character the slow path normalizes:
    flagging more would give the same hashes, only slower."""
    found, _ = both(texts)
    flagged: list[int] = []

    def recorded(*args):
        result = compiled_narrow.tokenize_narrow(*args)
        if result is not None:
            flagged.extend(args[12][:result[1]].tolist())  # the slow tokens' room
        return result

    tokenize_module.compiled_narrow = types.SimpleNamespace(tokenize_narrow=recorded)
    try:
        tokenize_batch(texts)
    finally:
        tokenize_module.compiled_narrow = compiled_narrow
    expected = [t for t, (d, start, end) in enumerate(
        (d, int(s), int(e)) for d in range(len(texts)) for s, e in
        zip(found.doc(d).starts, found.doc(d).ends, strict=True))
        if any(c in "ßﬁ\u0301" for c in texts[d][start:end])]
    assert flagged == expected


def test_the_portable_build_gives_the_same_tokens(tmp_path):
    """The pass built without SSE2 (its masks computed a character at a time, as on a machine
    that is not x86) gives the numpy code's tokens too."""
    source = Path(tokenize_module.__file__).with_name("compiled_narrow.c")
    built = build_portable(source, tmp_path)
    texts = ["Ça va — l’été don't " * 30, "plain ascii text", "", "naïve ½ ß x" * 20,
             "a" * 63 + "'" + "b" * 64 + " " + "c" * 130, "x'", "'y", "ﬁn ß \u0301a"]
    compare = (
        "import importlib.util, sys\n"
        "import reuse.text.tokenize as t\n"
        "from reuse.common import compiled\n"
        f"spec = importlib.util.spec_from_file_location('compiled_narrow', {str(built)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"texts = {texts!r}\n"
        "t.tokenize_batch(texts)  # describes the code points\n"
        "compiled.ENABLED = False; expected = t.tokenize_batch(texts); compiled.ENABLED = True\n"
        "calls = []\n"
        "class Counted:\n"
        "    def tokenize_narrow(self, *args):\n"
        "        found = module.tokenize_narrow(*args); calls.append(found is not None)\n"
        "        return found\n"
        "t.compiled_narrow = Counted()\n"
        "found = t.tokenize_batch(texts)\n"
        "print(calls, all((getattr(found, f) == getattr(expected, f)).all() "
        "for f in ('hashes', 'starts', 'ends', 'bounds')))\n")
    done = subprocess.run([sys.executable, "-c", compare], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["[True]", "True"]
