"""mark_alignment compares all the stretches of an alignment at once: the marks must be those of
comparing each stretch on its own, as compare_stretch did before it was batched."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reuse.report import highlight
from reuse.text.tokenize import tokenize


def _stretch_one_by_one(text_a, text_b, tokens_a, tokens_b, a_range, b_range, side_a, side_b):
    """compare_stretch as it was before the batched version: one stretch, numpy per call."""
    quote = highlight._quote
    (x, y), (u, v) = a_range, b_range
    if text_a[x:y] == text_b[u:v]:
        return
    ia, ja = np.searchsorted(tokens_a.starts, x), np.searchsorted(tokens_a.ends, y, side="right")
    ib, jb = np.searchsorted(tokens_b.starts, u), np.searchsorted(tokens_b.ends, v, side="right")
    if ja - ia != jb - ib or ja <= ia:
        return
    sa, ea = tokens_a.starts[ia:ja].tolist(), tokens_a.ends[ia:ja].tolist()
    sb, eb = tokens_b.starts[ib:jb].tolist(), tokens_b.ends[ib:jb].tolist()
    for t in range(len(sa)):
        word_a, word_b = text_a[sa[t]:ea[t]], text_b[sb[t]:eb[t]]
        if word_a != word_b:
            side_a.marks.append(highlight.Mark(sa[t], ea[t], "pun", f"B has {quote(word_b)}"))
            side_b.marks.append(highlight.Mark(sb[t], eb[t], "pun", f"A has {quote(word_a)}"))
        if t + 1 == len(sa):
            continue
        gap_a, gap_b = text_a[ea[t]:sa[t + 1]], text_b[eb[t]:sb[t + 1]]
        if gap_a == gap_b or " ".join(gap_a.split()) == " ".join(gap_b.split()):
            continue
        for gap, other, side, at, end, letter in ((gap_a, gap_b, side_a, ea[t], sa[t + 1], "B"),
                                                  (gap_b, gap_a, side_b, eb[t], sb[t + 1], "A")):
            if gap:
                side.marks.append(highlight.Mark(at, end, "pun", f"{letter} has {quote(other)}"))
            else:
                side.points.append((at, f"{letter} has {quote(other)} here"))


def _mark_alignment_one_by_one(k, row, text_a, text_b, tokens, side_a, side_b):
    """mark_alignment as it was: the edits, then compare_stretch for each stretch between."""
    side_a.passages.append((k, row["a_start"], row["a_end"]))
    side_b.passages.append((k, row["b_start"], row["b_end"]))
    edits = sorted(row["edits"], key=lambda e: (e[1], e[3]))
    quote = highlight._quote
    for op, a_start, a_end, b_start, b_end in edits:
        if op == "replace":
            side_a.marks.append(highlight.Mark(a_start, a_end, "sub",
                                               f"B has {quote(text_b[b_start:b_end])}"))
            side_b.marks.append(highlight.Mark(b_start, b_end, "sub",
                                               f"A has {quote(text_a[a_start:a_end])}"))
        elif op == "delete":
            side_a.marks.append(highlight.Mark(a_start, a_end, "del", "not in B"))
            side_b.points.append((b_start, f"A has {quote(text_a[a_start:a_end])} here"))
        elif op == "insert":
            side_b.marks.append(highlight.Mark(b_start, b_end, "ins", "not in A"))
            side_a.points.append((a_start, f"B has {quote(text_b[b_start:b_end])} here"))
    a_pos, b_pos = row["a_start"], row["b_start"]
    for _op, a_start, a_end, b_start, b_end in [*edits, (None, row["a_end"], row["a_end"],
                                                         row["b_end"], row["b_end"])]:
        if a_start >= a_pos and b_start >= b_pos:
            _stretch_one_by_one(text_a, text_b, tokens[0], tokens[1], (a_pos, a_start),
                                (b_pos, b_start), side_a, side_b)
        a_pos, b_pos = max(a_pos, a_end), max(b_pos, b_end)


WORDS = ["word", "Word", "WORD", "café", "naïve", "𝔘ni", "don't", "don’t", "x"]
SEPARATORS = [" ", ", ", " -- ", "  ", "\n", " — ", "; ", "\t", ""]


def _text(draw, n_words):
    return "".join(draw(st.sampled_from(WORDS)) + draw(st.sampled_from(SEPARATORS))
                   for _ in range(n_words))


@st.composite
def aligned_texts(draw):
    """Two texts, mostly the same words with case and punctuation changed, and an alignment
    between them whose edits fall anywhere (token boundaries or not, in order or not)."""
    n_words = draw(st.integers(1, 30))
    text_a = _text(draw, n_words)
    if draw(st.booleans()):  # the same words, some changed in case or punctuation
        text_b = "".join(
            (word.upper() if draw(st.booleans()) else word) + draw(st.sampled_from(SEPARATORS))
            for word in [text_a[s:e] for s, e in zip(tokenize(text_a).starts.tolist(),
                                                     tokenize(text_a).ends.tolist(),
                                                     strict=True)])
    else:
        text_b = _text(draw, n_words)
    tokens = tokenize(text_a), tokenize(text_b)

    def bounds(text, tokens_of_text):
        offsets = sorted({0, len(text), *tokens_of_text.starts.tolist(),
                          *tokens_of_text.ends.tolist()})
        at_tokens = st.sampled_from(offsets)
        anywhere = st.integers(0, len(text))
        start = draw(st.one_of(at_tokens, anywhere))
        end = draw(st.one_of(at_tokens, anywhere))
        return min(start, end), max(start, end)

    if len(tokens[0]) == len(tokens[1]) and draw(st.booleans()):
        # an alignment as the aligner makes them: token i of A against token i of B, the
        # edits over whole tokens in order, so that most stretches between them are compared
        return text_a, text_b, tokens, _token_alignment(draw, tokens)
    a_start, a_end = bounds(text_a, tokens[0])
    b_start, b_end = bounds(text_b, tokens[1])
    edits = []
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["replace", "delete", "insert"]))
        a_s, a_e = bounds(text_a, tokens[0])
        b_s, b_e = bounds(text_b, tokens[1])
        if op == "delete":
            b_e = b_s
        elif op == "insert":
            a_e = a_s
        edits.append([op, a_s, a_e, b_s, b_e])
    row = {"a_start": a_start, "a_end": a_end, "b_start": b_start, "b_end": b_end,
           "edits": edits}
    return text_a, text_b, tokens, row


def _token_alignment(draw, tokens):
    (starts_a, ends_a), (starts_b, ends_b) = ((t.starts.tolist(), t.ends.tolist()) for t in tokens)
    n = len(starts_a)
    first, last = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2)))
    cuts = sorted(set(draw(st.lists(st.integers(first, last + 1), max_size=10))))
    edits = []
    for i, j in zip(cuts[0::2], cuts[1::2], strict=False):
        op = draw(st.sampled_from(["replace", "delete", "insert"]))
        if j == i:
            continue
        a_s, a_e, b_s, b_e = starts_a[i], ends_a[j - 1], starts_b[i], ends_b[j - 1]
        if op == "delete":
            b_e = b_s
        elif op == "insert":
            a_e = a_s
        edits.append([op, a_s, a_e, b_s, b_e])
    return {"a_start": starts_a[first], "a_end": ends_a[last], "b_start": starts_b[first],
            "b_end": ends_b[last], "edits": edits}


@settings(max_examples=400, deadline=None)
@given(aligned_texts())
def test_mark_alignment_marks_what_comparing_each_stretch_alone_marks(case):
    text_a, text_b, tokens, row = case
    found = highlight.SideMarks(), highlight.SideMarks()
    expected = highlight.SideMarks(), highlight.SideMarks()
    highlight.mark_alignment(3, row, text_a, text_b, tokens, *found)
    _mark_alignment_one_by_one(3, row, text_a, text_b, tokens, *expected)
    assert found == expected


@settings(max_examples=300, deadline=None)
@given(aligned_texts())
def test_compare_stretch_marks_what_it_marked_one_stretch_at_a_time(case):
    text_a, text_b, tokens, row = case
    a_range, b_range = (row["a_start"], row["a_end"]), (row["b_start"], row["b_end"])
    found = highlight.SideMarks(), highlight.SideMarks()
    expected = highlight.SideMarks(), highlight.SideMarks()
    highlight.compare_stretch(text_a, text_b, *tokens, a_range, b_range, *found)
    _stretch_one_by_one(text_a, text_b, *tokens, a_range, b_range, *expected)
    assert found == expected


def test_an_alignment_of_many_stretches_marks_each_difference_in_text_order():
    text_a = "The Lord said -- unto Moses, Go in; and the people don't fear."
    text_b = "the Lord spake — unto Moses, go in: and the people don’t fear."
    tokens = tokenize(text_a), tokenize(text_b)
    said, spake = text_a.index("said"), text_b.index("spake")
    row = {"a_start": 0, "a_end": len(text_a), "b_start": 0, "b_end": len(text_b),
           "edits": [["replace", said, said + 4, spake, spake + 5]]}
    side_a, side_b = highlight.SideMarks(), highlight.SideMarks()
    highlight.mark_alignment(0, row, text_a, text_b, tokens, side_a, side_b)
    assert [(text_a[m.start:m.end], m.css, m.title) for m in side_a.marks] == [
        ("said", "sub", "B has “\u2068spake\u2069”"),
        ("The", "pun", "B has “\u2068the\u2069”"),
        # " -- " against " — " borders the edit, between no two tokens of one stretch
        ("Go", "pun", "B has “\u2068go\u2069”"),
        ("; ", "pun", "B has “\u2068: \u2069”"),
        ("don't", "pun", "B has “\u2068don’t\u2069”"),
    ]
    assert side_a.points == side_b.points == []


@settings(max_examples=200, deadline=None)
@given(aligned_texts(), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400),
                                           st.integers(0, 400), st.integers(0, 400)),
                                 max_size=12))
def test_compare_stretches_marks_what_compare_stretch_marks_for_each_in_turn(case, ranges):
    text_a, text_b, tokens, _row = case
    a_ranges = [(x % (len(text_a) + 1), y % (len(text_a) + 1)) for x, y, _, _ in ranges]
    b_ranges = [(u % (len(text_b) + 1), v % (len(text_b) + 1)) for _, _, u, v in ranges]
    found = highlight.SideMarks(), highlight.SideMarks()
    expected = highlight.SideMarks(), highlight.SideMarks()
    highlight.compare_stretches(text_a, text_b, *tokens, a_ranges, b_ranges, *found)
    for a_range, b_range in zip(a_ranges, b_ranges, strict=True):
        _stretch_one_by_one(text_a, text_b, *tokens, a_range, b_range, *expected)
    assert found == expected
