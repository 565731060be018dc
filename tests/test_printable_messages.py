"""Names from the input reach the terminal as text, never as terminal control sequences."""

from __future__ import annotations

import subprocess
import sys

from reuse.errors import printable


def test_printable_escapes_controls_bidi_and_undecodable_bytes():
    assert printable("plain é 日本 text") == "plain é 日本 text"
    assert printable("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"
    assert printable("tab\there\nnew\rline\x7f\x9b") == "tab\\x09here\\x0anew\\x0dline\\x7f\\x9b"
    assert printable("abc\u202edef\u2066") == "abc\\u202edef\\u2066"
    assert printable("bad\udcffbyte") == "bad\\xffbyte"


def test_an_error_naming_a_file_with_escape_sequences_prints_them_escaped(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name = "evil\x1b]0;title\x07\u202e.txt"
    (corpus / name).write_bytes(b"a\x00b")
    done = subprocess.run(
        [sys.executable, "-m", "reuse", "dedup", str(corpus), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 3
    assert done.stderr == (
        f"reuse: error: {corpus}/evil\\x1b]0;title\\x07\\u202e.txt: binary file (contains NUL "
        "bytes), not text (use --on-error skip to skip such records)\n")
