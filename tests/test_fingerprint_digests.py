"""The documents' digests (reuse.ingest.fingerprint.document_digests): the compiled pass
(reuse.ingest.compiled_digests, C) against the Python code, byte for byte; each digest is the
document's SHA-256 (document_digest); the pass's refusals of bad arguments; and the fingerprints
of read corpora pinned from before the pass."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import build_portable
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.common import compiled
from reuse.ingest import Corpus, read_corpus
from reuse.ingest import fingerprint as fingerprint_module
from reuse.ingest.fingerprint import document_digest, document_digests

compiled_digests = pytest.importorskip(
    "reuse.ingest.compiled_digests", reason="the package was built without its C extensions")

# Every kind of str CPython keeps: ASCII, one byte (Latin-1), two bytes (lone surrogates
# included) and four bytes; runs of ASCII long enough to cross the pass's blocks of eight.
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="ab é\u00ff", max_size=60),
    st.text(alphabet="abc dé—’\ud800\udfff", max_size=60),
    st.text(alphabet=st.sampled_from("abcdefgh \u07ff\u0800\uffff\U00010000\U0010ffff"),
            max_size=60),
    st.builds(lambda run, tail: run + tail, st.text(alphabet="xyzé ", min_size=7, max_size=40),
              st.sampled_from(["", "é", "—", "😀", "\udc80"])),
)
batches = st.lists(st.tuples(st.binary(max_size=12), texts, st.binary(max_size=12)),
                   max_size=8)


def _python_digests(ids, values, metadata, keep_texts):
    compiled.ENABLED = False
    try:
        return document_digests(ids, values, metadata, keep_texts)
    finally:
        compiled.ENABLED = True


@settings(max_examples=300, deadline=None)
@given(batch=batches, keep_texts=st.booleans())
def test_the_pass_gives_the_python_codes_digests_and_bytes(batch, keep_texts):
    ids, values, metadata = (list(column) for column in zip(*batch, strict=True)) if batch \
        else ([], [], [])
    digests, kept, text_ends = document_digests(ids, values, metadata, keep_texts)
    expected = _python_digests(ids, values, metadata, keep_texts)
    assert digests == expected[0]
    assert kept == expected[1]
    assert text_ends.dtype == np.int64
    assert text_ends.tolist() == expected[2].tolist()
    encoded = [value.encode("utf-8", "surrogatepass") for value in values]
    if keep_texts:
        assert kept == b"".join(encoded)
    else:
        assert kept is None
    assert text_ends.tolist() == np.cumsum([len(text) for text in encoded]).tolist()
    assert digests == b"".join(map(document_digest, ids, encoded, metadata))


def test_a_long_two_byte_text_with_ascii_runs_of_every_length():
    values = ["—" + "a" * run + "’" + "bé" * (run % 9) for run in range(40)]
    ids, metadata = [b"%d" % k for k in range(40)], [b"{}"] * 40
    for keep_texts in (False, True):
        found = document_digests(ids, values, metadata, keep_texts)
        assert found[:2] == _python_digests(ids, values, metadata, keep_texts)[:2]


def _ends(n: int) -> np.ndarray:
    return np.empty(n, dtype=np.int64)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    (((b"a",), ["x"], [b""]), TypeError, "ids: a list, not tuple"),
    (([b"a"], ("x",), [b""]), TypeError, "texts: a list, not tuple"),
    (([b"a", b"b"], ["x"], [b""]), ValueError, "ids: 2 values for 1 texts"),
    (([b"a"], ["x"], []), ValueError, "metadata: 0 values for 1 texts"),
    ((["a"], ["x"], [b""]), TypeError, "ids[0]: bytes, not str"),
    (([b"a"], [b"x"], [b""]), TypeError, "texts[0]: str, not bytes"),
    (([b"a"], ["x"], [None]), TypeError, "metadata[0]: bytes, not NoneType"),
])
def test_the_pass_refuses_bad_arguments(arguments, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        compiled_digests.digest_documents(*arguments, _ends(1), False)


def test_the_pass_refuses_too_little_room():
    with pytest.raises(ValueError, match=r"^text_ends: 8 bytes, fewer than the 16 needed$"):
        compiled_digests.digest_documents([b"a", b"b"], ["x", "y"], [b"", b""], _ends(1),
                                          False)


def _write_jsonl(path: Path) -> Path:
    records = [{"id": "a", "text": "Ça va — l’été 😀 ok", "source": "x"},
               {"id": "bé", "text": "plain " * 40}, {"id": "c", "text": ""},
               {"id": "d", "text": "naïve café " * 20, "n": 3}]
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n"
                            for record in records), encoding="utf-8")
    return path


# Computed before the compiled pass (at f0227fa): the scheme, and so every fingerprint, stays.
SEEDS_FINGERPRINT = "8da579a6bfc08f50c3a04dbb5c1d6abfec8d050a7b34f184d4d79291e7b568e9"
MIXED_FINGERPRINT = "e70e1e1fbeddabcedca361bc58c79151892dfd77e0dc04d49dfadbb4ecbdfc65"


def test_read_corpora_keep_their_fingerprints(seeds_dir, tmp_path):
    assert read_corpus(seeds_dir).fingerprint() == SEEDS_FINGERPRINT
    mixed = read_corpus(_write_jsonl(tmp_path / "mixed.jsonl"))
    assert mixed.fingerprint() == MIXED_FINGERPRINT
    # A corpus built in memory digests each document on its own, without the pass.
    in_memory = Corpus(ids=list(mixed.ids), texts=list(mixed.texts),
                       metadata=list(mixed.metadata), origins=list(mixed.origins))
    assert in_memory.fingerprint() == MIXED_FINGERPRINT


def test_without_the_extension_the_python_code_runs(tmp_path):
    """Built without a C compiler: the same fingerprint, without a warning."""
    path = _write_jsonl(tmp_path / "mixed.jsonl")
    code = ("import sys; sys.modules['reuse.ingest.compiled_digests'] = None  # the import fails\n"
            "from reuse.ingest import fingerprint, read_corpus\n"
            f"print(fingerprint.compiled_digest_documents is None, "
            f"read_corpus({str(path)!r}).fingerprint())")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["True", MIXED_FINGERPRINT]


def test_the_portable_build_gives_the_same_digests_and_bytes(tmp_path):
    """The pass built without SSE2 (two-byte characters four at a time through a 64-bit word,
    as on a machine that is not x86) gives the Python code's digests and bytes too."""
    source = Path(fingerprint_module.__file__).with_name("compiled_digests.c")
    built = build_portable(source, tmp_path, libraries=["crypto"])
    values = ["—" + "a" * run + "’\ud800" + "b" * (run % 9) for run in range(24)] + [
        "Ça va 😀", "", "naïve " * 9]
    compare = (
        "import importlib.util\n"
        "import reuse.ingest.fingerprint as f\n"
        "from reuse.common import compiled\n"
        f"spec = importlib.util.spec_from_file_location('compiled_digests', {str(built)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"values = {values!r}; ids = [b'%d' % k for k in range(len(values))]\n"
        "metadata = [b'{}'] * len(values)\n"
        "f.compiled_digest_documents = module.digest_documents\n"
        "for keep in (False, True):\n"
        "    compiled.ENABLED = False; expected = f.document_digests(ids, values, metadata, keep)\n"
        "    compiled.ENABLED = True; found = f.document_digests(ids, values, metadata, keep)\n"
        "    print(found[0] == expected[0], found[1] == expected[1], "
        "found[2].tolist() == expected[2].tolist())\n")
    done = subprocess.run([sys.executable, "-c", compare], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["True"] * 6
