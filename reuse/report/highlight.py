"""The two texts of a pair page: reused passages and the differences inside them, as HTML.

Each alignment ``k`` becomes a run of ``<mark data-p="k">`` elements in both texts (several
passages on one run when spans overlap), so concatenating the runs of ``k`` in order gives
exactly ``text[start:end]``. Inside a passage the alignment's edit script marks substituted,
deleted and inserted words, and between aligned tokens the raw text is compared so that
punctuation, case and apostrophe differences (``--`` against ``—``) show too. All text is
escaped here; the result is safe to insert into a page as markup. A long text is shown in part
(the ends of its passages, with context), each hidden stretch a marker giving its offsets; the
page embeds the whole text and its marks (:func:`text_payload`, :func:`marks_payload`), from
which ``pair.js`` draws a hidden stretch on demand exactly as :func:`render_side` would.

Ids and metadata values are data: :func:`bdi` and :func:`isolate` show them so that the
right-to-left marks or overrides they may hold cannot reorder the text around them.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import html
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from markupsafe import Markup

from ..text.tokenize import Tokens

# A pair page must open quickly whatever the size of its documents (two 10 MB documents made
# a 24 MB page that took a minute to load in Chromium, about 2 s per MB, and the whole books of
# a Bible run made 1,500 pages of up to 3 MB). A text longer than LONG_TEXT_CHARS is collapsed:
# it shows the start and end of each of the first MAX_PASSAGES_SHOWN passages with
# `edge_chars` characters either side (at most LONG_TEXT_CONTEXT, at least MIN_EDGE, aiming at
# SHOWN_CHARS in all). No side of a page shows more than MAX_SHOWN_CHARS characters of text or
# holds more than MAX_SIDE_MARKUP characters of markup: the rest is one marker. Every hidden
# stretch can be shown in the page from the whole text embedded compressed (see
# :func:`side_payload`).
LONG_TEXT_CHARS = 20_000
LONG_TEXT_CONTEXT = 300
SHOWN_CHARS = 8_000
MIN_EDGE = 40
MAX_SHOWN_CHARS = 60_000
MAX_SIDE_MARKUP = 200_000
MAX_PASSAGES_SHOWN = 1000
PASSAGE_COLOURS = 64
DIFF_MAX_CELLS = 1_000_000_000  # token pairs: about 125 MB and half a second


FSI, PDI = "\u2068", "\u2069"
_OPEN_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def bidi_padding(text: str) -> tuple[int, int]:
    """How many PDIs in ``text`` close no isolate opened in it, and how many isolates it leaves
    open."""
    # four substring searches: much faster than testing every character (a page quotes
    # hundreds of thousands of words)
    if PDI not in text and "\u2066" not in text and "\u2067" not in text and FSI not in text:
        return 0, 0
    depth = stray = 0
    for char in text:
        if char in _OPEN_ISOLATES:
            depth += 1
        elif char == PDI:
            if depth:
                depth -= 1
            else:
                stray += 1
    return stray, depth


def bidi_balanced(text: str) -> str:
    """``text`` with its isolates balanced, so that an enclosing isolate contains it.

    A right-to-left override inside an isolate (``<bdi>``, or FSI … PDI) ends with it, but a
    PDI in the text that closes no isolate of its own would close the enclosing one and let the
    text's overrides run on into the rest of the line; an isolate the text leaves open would
    swallow the enclosing PDI. So a stray PDI gets an FSI at the start and an open isolate a PDI
    at the end. Every character of ``text`` is kept.
    """
    stray, unclosed = bidi_padding(text)
    return FSI * stray + text + PDI * unclosed


def isolate(text: str) -> str:
    """Plain text (an attribute value, a page title) that cannot change the direction of the
    text around it, whatever right-to-left marks or overrides it holds."""
    return FSI + bidi_balanced(text) + PDI


def bdi(text: Any, css: str = "") -> Markup:
    """``text`` escaped and isolated in a ``<bdi>`` element (the way to show an id or a metadata
    value in a page: its direction is its own and cannot leak into the text around it)."""
    attribute = f' class="{html.escape(css)}"' if css else ""
    return Markup(f"<bdi{attribute}>{html.escape(bidi_balanced(str(text)), quote=False)}</bdi>")


@dataclass
class Mark:
    start: int
    end: int
    css: str
    title: str


@dataclass
class SideMarks:
    passages: list[tuple[int, int, int]] = field(default_factory=list)  # (k, start, end)
    marks: list[Mark] = field(default_factory=list)
    points: list[tuple[int, str]] = field(default_factory=list)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _quote(text: str, width: int = 80) -> str:
    return "“" + isolate(_short(text, width)) + "”"


def compare_stretch(
    text_a: str, text_b: str, tokens_a: Tokens, tokens_b: Tokens,
    a_range: tuple[int, int], b_range: tuple[int, int], side_a: SideMarks, side_b: SideMarks,
) -> None:
    """Mark what differs inside an aligned stretch whose tokens are equal after normalization:
    tokens whose raw text differs (case, apostrophes) and the punctuation between tokens
    (``--`` against ``—``). Whitespace differences alone are not marked."""
    compare_stretches(text_a, text_b, tokens_a, tokens_b, [a_range], [b_range], side_a, side_b)


def _slice_bounds(starts: np.ndarray, ends: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The bounds of ``text[starts[i]:ends[i]]`` in a text of ``n`` characters, as Python's
    slicing takes them (negative offsets count from the end; ``ends`` not before ``starts``)."""
    starts = np.clip(np.where(starts < 0, starts + n, starts), 0, n)
    ends = np.clip(np.where(ends < 0, ends + n, ends), 0, n)
    return starts, np.maximum(ends, starts)


def compare_stretches(
    text_a: str, text_b: str, tokens_a: Tokens, tokens_b: Tokens,
    a_ranges: list[tuple[int, int]], b_ranges: list[tuple[int, int]],
    side_a: SideMarks, side_b: SideMarks,
) -> None:
    """:func:`compare_stretch` for each pair of ranges in turn, with the same marks in the same
    order, but comparing all the stretches at once (a page has up to tens of thousands)."""
    if not len(a_ranges):
        return
    a_bounds = np.asarray(a_ranges, dtype=np.int64).reshape(-1, 2)
    b_bounds = np.asarray(b_ranges, dtype=np.int64).reshape(-1, 2)
    x, y, u, v = a_bounds[:, 0], a_bounds[:, 1], b_bounds[:, 0], b_bounds[:, 1]
    # each stretch's tokens: those starting at or after its start and ending by its end
    first_a = np.searchsorted(tokens_a.starts, x)
    stop_a = np.searchsorted(tokens_a.ends, y, side="right")
    first_b = np.searchsorted(tokens_b.starts, u)
    stop_b = np.searchsorted(tokens_b.ends, v, side="right")
    counts = stop_a - first_a
    candidates = np.flatnonzero((counts == stop_b - first_b) & (counts > 0))
    if not len(candidates):
        return
    codes_a, codes_b = _codes(text_a), _codes(text_b)
    # a stretch whose raw text is the same on both sides has nothing to mark
    text_x, text_y = _slice_bounds(x[candidates], y[candidates], len(codes_a))
    text_u, text_v = _slice_bounds(u[candidates], v[candidates], len(codes_b))
    stretches = candidates[_unequal(codes_a, codes_b, text_x, text_y, text_u, text_v)]
    if not len(stretches):
        return
    counts = counts[stretches]
    # the stretches' tokens one after another; token i of the concatenation is token
    # `local[i]` of stretch `owner[i]`
    owner = np.repeat(np.arange(len(stretches)), counts)
    local = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    index_a = np.repeat(first_a[stretches], counts) + local
    index_b = np.repeat(first_b[stretches], counts) + local
    sa, ea = tokens_a.starts[index_a], tokens_a.ends[index_a]
    sb, eb = tokens_b.starts[index_b], tokens_b.ends[index_b]
    words = np.flatnonzero(_unequal(codes_a, codes_b, sa, ea, sb, eb))
    # the gap after token i, for every token but the last of its stretch
    with_gap = np.flatnonzero(local < np.repeat(counts, counts) - 1)
    gaps = with_gap[_unequal(codes_a, codes_b, ea[with_gap], sa[with_gap + 1], eb[with_gap],
                             sb[with_gap + 1])]
    # in the order of the stretches, and within one in the order of the text: token t, then
    # the gap after it (concatenation indices already follow both orders)
    positions = np.concatenate([words, gaps])
    is_gaps = np.concatenate([np.zeros(len(words), bool), np.ones(len(gaps), bool)])
    order = np.lexsort((is_gaps, positions))
    sa, ea, sb, eb = sa.tolist(), ea.tolist(), sb.tolist(), eb.tolist()
    for t, is_gap in zip(positions[order].tolist(), is_gaps[order].tolist(), strict=True):
        if not is_gap:
            word_a, word_b = text_a[sa[t]:ea[t]], text_b[sb[t]:eb[t]]
            side_a.marks.append(Mark(sa[t], ea[t], "pun", f"B has {_quote(word_b)}"))
            side_b.marks.append(Mark(sb[t], eb[t], "pun", f"A has {_quote(word_a)}"))
            continue
        gap_a, gap_b = text_a[ea[t]:sa[t + 1]], text_b[eb[t]:sb[t + 1]]
        if _collapse(gap_a) == _collapse(gap_b):
            continue
        if gap_a:
            side_a.marks.append(Mark(ea[t], sa[t + 1], "pun", f"B has {_quote(gap_b)}"))
        else:
            side_a.points.append((ea[t], f"B has {_quote(gap_b)} here"))
        if gap_b:
            side_b.marks.append(Mark(eb[t], sb[t + 1], "pun", f"A has {_quote(gap_a)}"))
        else:
            side_b.points.append((eb[t], f"A has {_quote(gap_a)} here"))


@lru_cache(maxsize=8)
def _codes(text: str) -> np.ndarray:
    """The text's code points as an array (cached: a pair page compares many stretches of the
    same two texts)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _unequal(codes_a: np.ndarray, codes_b: np.ndarray, starts_a: np.ndarray,
             ends_a: np.ndarray, starts_b: np.ndarray, ends_b: np.ndarray) -> np.ndarray:
    """Whether ``a[starts_a[i]:ends_a[i]] != b[starts_b[i]:ends_b[i]]``, for every i at once."""
    lengths = ends_a - starts_a
    unequal = lengths != ends_b - starts_b
    same = np.flatnonzero(~unequal & (lengths > 0))
    if len(same):
        sizes = lengths[same]
        firsts = np.cumsum(sizes) - sizes  # where each span begins in the concatenation
        within = np.arange(int(sizes.sum())) - np.repeat(firsts, sizes)
        differs = codes_a[np.repeat(starts_a[same], sizes) + within] != \
            codes_b[np.repeat(starts_b[same], sizes) + within]
        unequal[same] = np.logical_or.reduceat(differs, firsts)
    return unequal


def mark_alignment(
    k: int, row: dict[str, Any], text_a: str, text_b: str, tokens: tuple[Tokens, Tokens] | None,
    side_a: SideMarks, side_b: SideMarks,
) -> None:
    """Add alignment ``k`` (already oriented A → B) and its word-level differences."""
    side_a.passages.append((k, row["a_start"], row["a_end"]))
    side_b.passages.append((k, row["b_start"], row["b_end"]))
    edits = sorted(row["edits"], key=lambda e: (e[1], e[3]))
    for op, a_start, a_end, b_start, b_end in edits:
        if op == "replace":
            side_a.marks.append(Mark(a_start, a_end, "sub", f"B has {_quote(text_b[b_start:b_end])}"))
            side_b.marks.append(Mark(b_start, b_end, "sub", f"A has {_quote(text_a[a_start:a_end])}"))
        elif op == "delete":
            side_a.marks.append(Mark(a_start, a_end, "del", "not in B"))
            side_b.points.append((b_start, f"A has {_quote(text_a[a_start:a_end])} here"))
        elif op == "insert":
            side_b.marks.append(Mark(b_start, b_end, "ins", "not in A"))
            side_a.points.append((a_start, f"B has {_quote(text_b[b_start:b_end])} here"))
    if tokens is None:
        return
    a_pos, b_pos = row["a_start"], row["b_start"]
    a_ranges, b_ranges = [], []
    for _op, a_start, a_end, b_start, b_end in [*edits, (None, row["a_end"], row["a_end"],
                                                         row["b_end"], row["b_end"])]:
        if a_start >= a_pos and b_start >= b_pos:
            a_ranges.append((a_pos, a_start))
            b_ranges.append((b_pos, b_start))
        a_pos, b_pos = max(a_pos, a_end), max(b_pos, b_end)
    compare_stretches(text_a, text_b, tokens[0], tokens[1], a_ranges, b_ranges, side_a, side_b)


@dataclass
class RenderedText:
    """One side of a pair page: the markup and what of the text it shows.

    ``collapsed`` is True when the text is longer than ``LONG_TEXT_CHARS``: then only the
    beginning and end of each of the first ``MAX_PASSAGES_SHOWN`` passages are shown, ``edge``
    characters either side of each (``unwindowed`` passages are left out), and every stretch in
    between is one marker ``<span class="gap" data-start data-end>`` giving its half-open
    code-point offsets. ``cut_at`` is the offset from which nothing more is shown
    because the side reached ``MAX_SHOWN_CHARS`` characters of text or ``MAX_SIDE_MARKUP``
    characters of markup (None if it did not).
    """

    html: Markup
    collapsed: bool
    shown_chars: int
    edge: int
    cut_at: int | None
    unwindowed: int = 0


def render_text(text: str, side: SideMarks) -> Markup:
    """The escaped text with passages as ``<mark data-p="k ...">`` runs and differences inside
    (see :func:`render_side`)."""
    return render_side(text, side).html


def render_side(text: str, side: SideMarks) -> RenderedText:
    """The escaped text with passages as ``<mark data-p="k ...">`` runs and differences inside.

    The text is cut at every passage and mark boundary; each run carries the passages covering
    it in ``data-p`` (several when passages overlap), so the runs of passage ``k``, concatenated
    in order, are exactly its span. A text longer than ``LONG_TEXT_CHARS`` shows only the
    surroundings of its passages' ends, and no side shows more than ``MAX_SHOWN_CHARS``
    characters or holds more than ``MAX_SIDE_MARKUP`` characters of markup, so that a page
    opens quickly whatever the size of its documents.
    """
    n = len(text)
    opens: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    closes: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for k, start, end in side.passages:
        if end > start:
            opens[start].append(("p", k))
            closes[end].append(("p", k))
    for mark in side.marks:
        if mark.end > mark.start:
            opens[mark.start].append(("m", mark))
            closes[mark.end].append(("m", mark))
    points: dict[int, list[str]] = defaultdict(list)
    for position, title in side.points:
        points[position].append(title)
    windowed = [p for p in side.passages if p[0] < MAX_PASSAGES_SHOWN]
    edge = edge_chars(n, len(windowed))
    visible = visible_ranges(n, windowed, edge)
    cuts = sorted({0, n, *opens, *closes, *points, *(c for r in visible for c in r)})
    active_p: list[int] = []
    active_m: list[Mark] = []
    out: list[str] = []
    size = shown = 0
    gap_from: int | None = None  # start of the hidden stretch being collapsed
    gap_in: list[int] = []
    cut_at = None
    window = 0  # index of the first visible range that may hold the next run
    previous = 0
    for cut in cuts:
        if cut > previous:
            while window < len(visible) and visible[window][1] <= previous:
                window += 1
            if window < len(visible) and visible[window][0] <= previous <= cut \
                    <= visible[window][1]:
                piece = ("" if gap_from is None else _gap(gap_from, previous, gap_in)) \
                    + _run(text, previous, cut, active_p, active_m)
                if size + len(piece) > MAX_SIDE_MARKUP or shown + cut - previous > MAX_SHOWN_CHARS:
                    cut_at = previous if gap_from is None else gap_from
                    break
                out.append(piece)
                size += len(piece)
                shown += cut - previous
                gap_from = None
            elif gap_from is None:
                # the passages this stretch lies inside: only those with visible ends, as
                # the others may begin or end within it
                gap_in = sorted(k for k in active_p if k < MAX_PASSAGES_SHOWN)
                gap_from = previous
        for kind, item in closes.get(cut, ()):
            (active_p if kind == "p" else active_m).remove(item)
        for kind, item in opens.get(cut, ()):
            (active_p if kind == "p" else active_m).append(item)
        if cut in points and active_p and _shown_at(visible, cut):
            piece = ("" if gap_from is None else _gap(gap_from, cut, gap_in)) + "".join(
                f'<span class="at" title="{html.escape(title)}"></span>' for title in points[cut])
            if size + len(piece) > MAX_SIDE_MARKUP:
                cut_at = cut if gap_from is None else gap_from
                break
            out.append(piece)
            size += len(piece)
            gap_from = None
        previous = cut
    if cut_at is not None:
        out.append(_gap(cut_at, n, [], cut=True))
    elif gap_from is not None:
        out.append(_gap(gap_from, n, gap_in))
    collapsed = n > LONG_TEXT_CHARS
    return RenderedText(Markup("".join(out)), collapsed, shown, edge, cut_at,
                        len(side.passages) - len(windowed) if collapsed else 0)


def edge_chars(n: int, n_passages: int) -> int:
    """Characters shown either side of each passage boundary in a collapsed text: as many as
    keep the text shown near ``SHOWN_CHARS``, at least ``MIN_EDGE`` and at most
    ``LONG_TEXT_CONTEXT``."""
    if n <= LONG_TEXT_CHARS:
        return n
    return min(LONG_TEXT_CONTEXT, max(MIN_EDGE, SHOWN_CHARS // max(1, 4 * n_passages)))


def visible_ranges(n: int, passages: list[tuple[int, int, int]], edge: int | None = None
                   ) -> list[tuple[int, int]]:
    """Sorted, disjoint ranges of a text that its page shows: all of it up to
    ``LONG_TEXT_CHARS``, else ``edge`` characters either side of each passage's start and end
    (the opening of the text when it has no passage)."""
    if n <= LONG_TEXT_CHARS:
        return [(0, n)]
    if edge is None:
        edge = edge_chars(n, len(passages))
    ranges = sorted((max(0, at - edge), min(n, at + edge))
                    for _, s, e in passages for at in (s, e)) or [(0, min(n, edge))]
    merged = [ranges[0]]
    for start, end in ranges[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _shown_at(visible: list[tuple[int, int]], position: int) -> bool:
    """Whether ``position`` lies in (or at either end of) a visible range."""
    i = bisect.bisect_right(visible, (position, math.inf)) - 1
    return i >= 0 and visible[i][0] <= position <= visible[i][1]


def _gap(start: int, end: int, passages: list[int], *, cut: bool = False) -> str:
    """The marker of a stretch that is not shown, with its offsets. Inside a passage it takes
    the passage's colour and leads to its counterpart like the passage's own runs."""
    why = "; this page's size limit is reached" if cut else ""
    css, inside = "gap", ""
    if passages:
        css += f" c{colour_index(passages[0])}"
        inside = f' data-in="{" ".join(map(str, passages))}"'
    # pair.js gives it the tooltip "characters [start, end) are not shown"
    return (f'<span class="{css}" data-start="{start}" data-end="{end}"{inside}>'
            f"[… {end - start:,} characters not shown{why} …]</span>")


def excerpt(text: str, limit: int, offset: int = 0) -> Markup:
    """``text`` escaped, or, when longer than ``limit``, its first and last ``limit // 2``
    characters around a marker that gives the offsets (``offset`` is where ``text`` starts in
    its document)."""
    if len(text) <= limit:
        return Markup(html.escape(text))
    half = limit // 2
    return Markup(html.escape(text[:half]) + _gap(offset + half, offset + len(text) - half, [])
                  + html.escape(text[len(text) - half:]))


def _run(text: str, start: int, end: int, active_p: list[int], active_m: list[Mark]) -> str:
    body = html.escape(text[start:end])
    if not active_p:
        return body
    ks = sorted(active_p)
    css = f"p c{colour_index(ks[0])}"
    title = ""
    if active_m:
        mark = active_m[-1]
        css += f" {mark.css}"
        title = f' title="{html.escape(mark.title)}"'
    return f'<mark class="{css}" data-p="{" ".join(map(str, ks))}"{title}>{body}</mark>'


def packed(value: Any) -> str:
    """``value`` as JSON, gzip-compressed and base64-encoded: how a pair page embeds what it
    does not show (``pair.js`` unpacks it with the browser's ``DecompressionStream``, from the
    page itself: no request, so that the site works from ``file://``). Deterministic."""
    try:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: JSON's \uXXXX escape keeps it exactly
        data = json.dumps(value, separators=(",", ":")).encode("ascii")
    return base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode("ascii")


def astral_offsets(text: str) -> list[int]:
    """The offsets of the characters outside the Basic Multilingual Plane: JavaScript counts
    each as two UTF-16 units, and ``pair.js`` converts our code-point offsets with them."""
    if text.isascii():
        return []
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return np.flatnonzero(codes > 0xFFFF).tolist()


def text_payload(text: str) -> str:
    """A document's whole text for its pair pages, packed (:func:`packed`)."""
    return packed({"text": text, "astral": astral_offsets(text)})


def _deltas(values: list[int]) -> list[int]:
    """Each value less the one before it: small numbers, which compress to half the size."""
    return np.diff(np.asarray(values, dtype=np.int64), prepend=0).tolist()


def marks_payload(side: SideMarks) -> str:
    """Everything :func:`render_side` marks on a side, packed, so that ``pair.js`` can render
    any stretch of the text the page does not show as :func:`render_side` would: passages
    ``p`` as ``[k, start, end]``; the differences in their order, column by column (starts as
    differences from the one before, lengths, classes, titles); the points likewise."""
    marks, points = side.marks, side.points
    return packed({
        "p": [[k, s, e] for k, s, e in side.passages],
        "ms": _deltas([m.start for m in marks]), "ml": [m.end - m.start for m in marks],
        "mc": [m.css for m in marks], "mt": [m.title for m in marks],
        "ts": _deltas([at for at, _ in points]), "tt": [title for _, title in points],
    })


def colour_index(k: int) -> int:
    """The colour class of passage ``k``: ``PASSAGE_COLOURS`` colours, reused in turn."""
    return k % PASSAGE_COLOURS


def passage_colours(count: int) -> Markup:
    # golden-angle hues from yellow, so neighbouring passages differ and the first is yellow
    rules = [f".c{k}{{background:hsl({(52 + k * 137.508) % 360:.1f},90%,78%)}}"
             for k in range(min(count, PASSAGE_COLOURS))]
    return Markup("".join(rules))


def oriented_alignments(rows: list[dict[str, Any]], a_id: str, *, with_edits: bool = True
                        ) -> list[dict[str, Any]]:
    """The pair's alignments with ``a_id`` on the A side, sorted by position in A (with their
    edit scripts parsed and oriented too, unless ``with_edits`` is False)."""
    swap = {"insert": "delete", "delete": "insert", "replace": "replace"}
    out = []
    for row in rows:
        row = dict(row)
        swapped = row["a_id"] != a_id
        if swapped:
            row.update(a_id=row["b_id"], b_id=row["a_id"], a_start=row["b_start"],
                       a_end=row["b_end"], b_start=row["a_start"], b_end=row["a_end"])
        if with_edits:
            edits = json.loads(row["edits"]) if isinstance(row.get("edits"), str) \
                and row["edits"] else []
            if swapped:
                edits = [[swap.get(op, op), bs, be, as_, ae] for op, as_, ae, bs, be in edits]
            row["edits"] = edits
        out.append(row)
    return sorted(out, key=lambda r: (r["a_start"], r["b_start"], r["a_end"], r["b_end"]))


def too_long_to_diff(n_tokens_a: int, n_tokens_b: int) -> bool:
    """Whether a word diff of two documents would need more than ``DIFF_MAX_CELLS`` token pairs
    (its bit matrix takes one bit per pair: two 10 MB documents would need 360 GB)."""
    return n_tokens_a * n_tokens_b > DIFF_MAX_CELLS


def document_diff(text_a: str, text_b: str, tokens_a: Tokens, tokens_b: Tokens
                  ) -> dict[str, Any] | None:
    """A whole-document alignment for a near-duplicate pair without alignments in the run;
    None when the documents share no word or are too long to diff (see
    :func:`too_long_to_diff`)."""
    from rapidfuzz.distance import Indel

    if len(tokens_a) == 0 or len(tokens_b) == 0 or too_long_to_diff(len(tokens_a),
                                                                        len(tokens_b)):
        return None
    opcodes = Indel.opcodes(tokens_a.hashes.tolist(), tokens_b.hashes.tolist())
    equal = [op for op in opcodes if op.tag == "equal"]
    if not equal:
        return None
    i_lo, i_hi, j_lo, j_hi = equal[0].src_start, equal[-1].src_end, equal[0].dest_start, \
        equal[-1].dest_end
    edits = []
    for op in opcodes:
        if op.tag == "equal" or op.src_start < i_lo or op.src_end > i_hi or op.dest_end > j_hi \
                or op.dest_start < j_lo:
            continue
        a_s = int(tokens_a.starts[op.src_start]) if op.src_start < len(tokens_a) else len(text_a)
        b_s = int(tokens_b.starts[op.dest_start]) if op.dest_start < len(tokens_b) else len(text_b)
        a_e = int(tokens_a.ends[op.src_end - 1]) if op.src_end > op.src_start else a_s
        b_e = int(tokens_b.ends[op.dest_end - 1]) if op.dest_end > op.dest_start else b_s
        edits.append([op.tag, a_s, a_e, b_s, b_e])
    matched = sum(op.src_end - op.src_start for op in equal)
    return {"a_start": int(tokens_a.starts[i_lo]), "a_end": int(tokens_a.ends[i_hi - 1]),
            "b_start": int(tokens_b.starts[j_lo]), "b_end": int(tokens_b.ends[j_hi - 1]),
            "similarity": 2 * matched / (i_hi - i_lo + j_hi - j_lo), "method": "document diff",
            "edits": edits, "passage_id": None}
