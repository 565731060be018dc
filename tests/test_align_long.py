"""Edit scripts of passages too long for Indel at once.

Indel's edit operations backtrack through len(a) * len(b) / 8 bytes, so an alignment's edit
script over more than ``reuse.align.edits._WHOLE_BOX_CELLS`` token pairs is computed piecewise between
anchors. The property tests lower that limit so that the piecewise path runs on small inputs and
hold it to the whole-box result; the last test aligns two long near-duplicates in a subprocess
whose address space could not hold the whole-box bit matrix.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import Indel, LCSseq

import reuse.align.aligner
import reuse.align.edits
from reuse.align.aligner import align_batch, align_pair
from reuse.align.alignment import Alignment
from reuse.align.config import AlignConfig
from reuse.text.tokenize import Tokens, tokenize

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------------- helpers


def apply_editops(a: list[int], b: list[int], ops: list[tuple[str, int, int]]) -> list[int]:
    """``a`` with Indel-style edit operations applied; checks that every operation is where the
    tokens matched so far put it. The result is ``b`` exactly when the script is valid."""
    out: list[int] = []
    i = j = 0
    for tag, op_i, op_j in ops:
        assert op_i >= i and op_j >= j, "edit operations out of order"
        while i < op_i:  # tokens between operations are kept (matched)
            out.append(a[i])
            i, j = i + 1, j + 1
        assert (i, j) == (op_i, op_j), "edit operation not where the kept tokens lead"
        if tag == "delete":
            i += 1
        else:
            assert tag == "insert"
            out.append(b[j])
            j += 1
    return out + a[i:]


def kept_tokens(tokens: Tokens, start: int, end: int, spans: list[tuple[int, int]]
                ) -> list[tuple[int, int]]:
    """``(segment, hash)`` of the tokens of ``text[start:end]`` outside every edit span, where
    ``segment`` counts the edits before the token. Checks that the spans lie in order inside the
    passage and cut no token."""
    previous = start
    for s, e in spans:
        assert previous <= s <= e <= end, "edits out of order or outside the passage"
        previous = e
    kept = []
    for t in range(len(tokens)):
        t_start, t_end = int(tokens.starts[t]), int(tokens.ends[t])
        if t_start < start or t_end > end:
            continue
        inside = [t_start >= s and t_end <= e for s, e in spans]
        cut = [s < t_end and t_start < e for s, e in spans]
        assert inside == cut, "an edit span cuts a token"
        if not any(inside):
            kept.append((sum(s <= t_start for s, _ in spans), int(tokens.hashes[t])))
    return kept


def check_alignment(al: Alignment, a: Tokens, b: Tokens) -> None:
    """The alignment's edits turn its passage in a into its passage in b: the tokens outside the
    edits are the same on both sides, segment by segment, and they are ``matched_tokens``."""
    kept_a = kept_tokens(a, al.a_start, al.a_end, [(e[1], e[2]) for e in al.edits])
    kept_b = kept_tokens(b, al.b_start, al.b_end, [(e[3], e[4]) for e in al.edits])
    assert kept_a == kept_b
    assert al.matched_tokens == len(kept_a)
    segments = {segment for segment, _ in kept_a}
    assert segments >= set(range(1, len(al.edits))), "two edits with no matched token between"
    for op, a0, a1, b0, b1 in al.edits:
        assert op == {(True, False): "delete", (False, True): "insert",
                      (True, True): "replace"}[(a1 > a0, b1 > b0)]


# ---------------------------------------------------------------- piecewise vs the whole box


def edited(draw, base: list[int], alphabet: int) -> list[int]:
    """``base`` with a few random token edits."""
    out = list(base)
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["delete", "insert", "replace"]))
        token = draw(st.integers(0, alphabet - 1))
        if kind == "insert":
            out.insert(at, token)
        elif at < len(out):
            if kind == "delete":
                del out[at]
            else:
                out[at] = token
    return out


@st.composite
def token_pairs(draw) -> tuple[list[int], list[int]]:
    alphabet = draw(st.integers(1, 40))
    a = draw(st.lists(st.integers(0, alphabet - 1), max_size=150))
    if draw(st.booleans()):
        b = edited(draw, a, alphabet)
    else:
        b = draw(st.lists(st.integers(0, alphabet - 1), max_size=150))
    return a, b


@given(pair=token_pairs(), cells=st.sampled_from([0, 1, 10, 100, 1000]),
       as_string=st.booleans())
def test_piecewise_edit_operations_turn_a_into_b(pair, cells, as_string):
    """Valid scripts, never more matched tokens than a longest common subsequence (the anchors
    are held fixed, and an exact match of a shingle unique on both sides need not lie on one),
    and the whole-box script itself up to the limit."""
    a, b = pair
    a_seq = "".join(chr(0x41 + x) for x in a) if as_string else a
    b_seq = "".join(chr(0x41 + x) for x in b) if as_string else b
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reuse.align.edits, "_WHOLE_BOX_CELLS", cells)
        ops = reuse.align.edits._editops(a_seq, b_seq)
    assert apply_editops(a, b, ops) == b
    matched = len(a) - sum(tag == "delete" for tag, _, _ in ops)
    assert matched <= LCSseq.similarity(a, b)
    if len(a) * len(b) <= cells:
        assert ops == Indel.editops(a_seq, b_seq).as_list()


def test_piecewise_keeps_a_near_duplicate_optimal():
    """On a near-duplicate with rare edits, the anchors lie on a longest common subsequence."""
    rng = np.random.default_rng(3)
    a = rng.integers(0, 500, size=3000).tolist()
    b = list(a)
    for at in sorted(rng.choice(len(a) - 1, size=60, replace=False).tolist(), reverse=True):
        b[at:at + 1] = [] if at % 3 == 0 else [1000 + at] if at % 3 == 1 else [b[at], 1000 + at]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reuse.align.edits, "_WHOLE_BOX_CELLS", 10_000)
        ops = reuse.align.edits._editops(a, b)
    assert apply_editops(a, b, ops) == b
    assert len(a) - sum(tag == "delete" for tag, _, _ in ops) == LCSseq.similarity(a, b)


def test_a_text_repeated_in_both_documents_still_anchors():
    """A chapter given three times in both documents has no shingle that occurs once (the
    unique anchors alone left only the 499 tokens before the first edit and after the last
    matched): a shingle's k-th occurrence in a anchors with its k-th in b, and every unedited
    token stays matched."""
    rng = np.random.default_rng(5)
    chapter = rng.integers(0, 300, size=1000).tolist()
    a = chapter * 3
    b = list(a)
    for at in (100, 900, 1700, 2600):
        b[at] = 1000 + at
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reuse.align.edits, "_WHOLE_BOX_CELLS", 10_000)
        ops = reuse.align.edits._editops(a, b)
    assert apply_editops(a, b, ops) == b
    assert len(a) - sum(tag == "delete" for tag, _, _ in ops) == len(a) - 4


def test_a_stretch_without_anchors_is_one_replacement():
    """Beyond the limit, a stretch with no token in common is replaced whole (there is nothing
    to match), and its common prefix and suffix stay matched."""
    a, b = [7, 8, *range(10, 40), 9], [7, 8, *range(50, 90), 9]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reuse.align.edits, "_WHOLE_BOX_CELLS", 100)
        ops = reuse.align.edits._editops(a, b)
    assert ops == [("delete", i, 2) for i in range(2, 32)] + [("insert", 32, j)
                                                               for j in range(2, 42)]


WORDS = ["the", "of", "and", "a", "to", "in", "is", "was", "he", "for", "it", "with", "as", "his",
         "on", "be", "at", "by", "had", "are", "but", "from"]


def text_pair(rng: random.Random) -> tuple[str, str]:
    """Two texts sharing a passage with a few word edits, from a small vocabulary (so that
    words and short shingles repeat and anchors are scarce)."""
    vocabulary = WORDS[: rng.randint(3, len(WORDS))] + [f"w{k}" for k in range(40)]

    def words(lo: int, hi: int) -> list[str]:
        return rng.choices(vocabulary, k=rng.randint(lo, hi))

    passage = words(30, 120)
    copy = list(passage)
    for _ in range(rng.randint(0, 8)):
        at = rng.randint(0, len(copy) - 1)
        copy[at:at + 1] = rng.choice([[], [rng.choice(vocabulary)], [copy[at], "inserted"]])
    a = words(0, 20) + passage + words(0, 20)
    b = words(0, 20) + copy + words(0, 20)
    return " ".join(a), " ".join(b)


@given(rng=st.randoms(use_true_random=False), n_pairs=st.integers(1, 3),
       cells=st.sampled_from([0, 20, 300]))
def test_piecewise_alignments_match_the_whole_box(rng, n_pairs, cells):
    """align_pair and align_batch with a low limit: the same passages as with the whole box,
    edits that turn one passage into the other, and matched tokens at most the whole box's."""
    pairs = [text_pair(rng) for _ in range(n_pairs)]
    config = AlignConfig(paraphrase=False, min_length=10)
    a_texts, b_texts = [a for a, _ in pairs], [b for _, b in pairs]
    whole_batch = align_batch(a_texts, b_texts, config)
    whole_pairs = [align_pair(a, b, config) for a, b in pairs]
    calls = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reuse.align.edits, "_WHOLE_BOX_CELLS", cells)
        real = reuse.align.edits._piecewise_editops
        patch.setattr(reuse.align.edits, "_piecewise_editops",
                      lambda a, b: calls.append(1) or real(a, b))
        pieces_batch = align_batch(a_texts, b_texts, config)
        pieces_pairs = [align_pair(a, b, config) for a, b in pairs]
    too_large = 0
    for (a, b), whole, pieces in [*zip(pairs, whole_batch, pieces_batch, strict=True),
                                  *zip(pairs, whole_pairs, pieces_pairs, strict=True)]:
        a_tokens, b_tokens = tokenize(a), tokenize(b)
        assert [(x.a_start, x.a_end, x.b_start, x.b_end, x.a_tokens, x.b_tokens) for x in pieces
                ] == [(x.a_start, x.a_end, x.b_start, x.b_end, x.a_tokens, x.b_tokens)
                      for x in whole]
        for piecewise, box in zip(pieces, whole, strict=True):
            check_alignment(piecewise, a_tokens, b_tokens)
            check_alignment(box, a_tokens, b_tokens)
            assert piecewise.matched_tokens <= box.matched_tokens
            too_large += box.a_tokens * box.b_tokens > cells
    # every alignment with more token pairs than the limit went through the piecewise path
    assert len(calls) == too_large


# ------------------------------------------------------------------- long documents, for real


def near_duplicates(n_words: int, seed: int = 0) -> tuple[str, str, int]:
    """Two texts of ``n_words`` made-up words (Zipfian), the second with a word deleted,
    replaced or inserted once every 50 words; and how many words it deleted or replaced."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlucmfwypvbgk"))
    spellings = letters[rng.integers(0, len(letters), size=(30000, 8))].tolist()
    vocabulary = ["".join(word[:n]) for word, n in
                  zip(spellings, rng.integers(2, 9, size=30000).tolist(), strict=True)]
    ranks = rng.zipf(1.2, size=3 * n_words)
    words = [vocabulary[r - 1] for r in ranks[ranks <= len(vocabulary)][:n_words].tolist()]
    copy, lost = [], 0
    for k, word in enumerate(words):
        kind = int(rng.integers(0, 3)) if k % 50 == 25 else -1
        if kind == 0:
            lost += 1
        elif kind == 1:
            copy.append(vocabulary[int(rng.integers(len(vocabulary)))])
            lost += 1
        else:
            copy.append(word)
            if kind == 2:
                copy.append(vocabulary[int(rng.integers(len(vocabulary)))])
    return " ".join(words), " ".join(copy), lost


@pytest.mark.parametrize("paraphrase", [False, True])
def test_align_pair_hands_long_documents_to_the_batch(monkeypatch, paraphrase):
    """align_pair aligns documents of more than _REFERENCE_TOKENS tokens as align_batch does, not
    with the step-by-step reference, whose _drop_repeats compares every two runs of a passage
    (two 10 MB near-duplicates: killed by the OOM killer at 24 GB). Same alignments."""
    a, b, _ = near_duplicates(3000)
    config = AlignConfig(paraphrase=paraphrase)
    monkeypatch.setattr(reuse.align.aligner, "_REFERENCE_TOKENS", 10**9)
    reference = align_pair(a, b, config)
    monkeypatch.setattr(reuse.align.aligner, "_REFERENCE_TOKENS", 2999)

    def refuse(*args):
        raise AssertionError("the reference aligned a long pair")

    monkeypatch.setattr(reuse.align.aligner, "lexical_boxes_reference", refuse)
    assert align_pair(a, b, config) == reference == align_batch([a], [b], config)[0]
    assert len(reference) == 1


ADDRESS_SPACE = 3 << 30


def limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def test_long_near_duplicates_align_in_bounded_memory(tmp_path):
    """Two ~1 MB near-duplicates (150,000 words each) are one passage: Indel on the whole of it
    would need 150,000² / 8 bytes = 2.8 GB for its bit matrix (it raised MemoryError:
    std::bad_alloc here), more than the 3 GiB address space given to the run, which needs
    about 1.7 GiB of address space itself."""
    n_words = 150_000
    a, b, lost = near_duplicates(n_words)
    corpus = tmp_path / "long.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": a}) + "\n"
                      + json.dumps({"id": "b", "text": b}) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "reuse", "run", str(corpus), "--out", str(out), "--no-report",
         "-q"],
        cwd=ROOT, capture_output=True, text=True, preexec_fn=limit_address_space, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_parquet(out / "alignments.parquet")
    assert len(table) == 1
    row = table.iloc[0]
    a_tokens, b_tokens = tokenize(a), tokenize(b)
    assert (row.a_start, row.a_end, row.b_start, row.b_end) == (0, len(a), 0, len(b))
    assert row.a_tokens == len(a_tokens) == n_words
    al = Alignment(**{**{f: row[f] for f in Alignment.__dataclass_fields__},
                      "edits": [tuple(e) for e in json.loads(row.edits)]})
    check_alignment_fast(al, a_tokens, b_tokens)
    # every word neither deleted nor replaced can be matched, and is
    assert al.matched_tokens >= n_words - lost


def check_alignment_fast(al: Alignment, a: Tokens, b: Tokens) -> None:
    """:func:`check_alignment` with numpy, for long passages."""
    kept = []
    for tokens, start, end, lo, hi in ((a, al.a_start, al.a_end, 1, 2),
                                       (b, al.b_start, al.b_end, 3, 4)):
        s = np.array([e[lo] for e in al.edits], dtype=np.int64)
        e = np.array([e[hi] for e in al.edits], dtype=np.int64)
        assert (start <= s).all() and (s <= e).all() and (e <= end).all()
        assert (s[1:] >= e[:-1]).all()
        first = np.searchsorted(tokens.starts, s)  # first token at or after each span start
        last = np.searchsorted(tokens.ends, e, "right")  # one past the last token ending in it
        inside = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.add.at(inside, first, 1)
        np.add.at(inside, last, -1)
        outside = np.cumsum(inside)[:-1] == 0
        # a token straddling a span boundary would be outside every span but overlap one
        nearest = np.searchsorted(s, tokens.starts, "right") - 1
        overlaps = (nearest >= 0) & (tokens.starts < e[np.maximum(nearest, 0)])
        assert not (outside & overlaps).any(), "an edit span cuts a token"
        in_passage = (tokens.starts >= start) & (tokens.ends <= end)
        keep = outside & in_passage
        kept.append((np.searchsorted(s, tokens.starts[keep], "right"), tokens.hashes[keep]))
    (seg_a, hash_a), (seg_b, hash_b) = kept
    assert np.array_equal(seg_a, seg_b) and np.array_equal(hash_a, hash_b)
    assert al.matched_tokens == len(hash_a)
