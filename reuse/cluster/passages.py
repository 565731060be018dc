"""Alignments → passage clusters: "this paragraph occurs in these documents, here".

1. **Mapping.** Each alignment maps positions of its span in one document to positions of its
   span in the other, piecewise linearly between anchor points: the two span starts, the two
   span ends, and both ends of every edit (the ``edits`` column, when the table has one). Between
   edits the two texts are equal, so the mapping is exact there up to punctuation and case.
2. **Occurrences.** In each document, the spans of all its alignments are cut at every span
   boundary, and every boundary inside a span is also carried through that span's alignment
   into the other document (moved to the nearest word boundary when the texts are given). So a
   paragraph shared by four documents and a longer passage (the same paragraph plus a lead-in)
   shared by two become two occurrences in every document that holds them, cut at corresponding
   places. Segments shorter than ``min_chars`` are merged into a neighbour.
3. **Links.** An alignment links an occurrence to the occurrence of the other document that
   holds the midpoint of its mapped image, and only when the two *correspond*: the occurrence
   lies mostly inside the aligned span, and its image and the occurrence it lands in overlap
   by at least ``_MUTUAL_OVERLAP`` (3/4) of each. A partial overlap links nothing.
4. **Clusters.** Each connected component of links is cut into stars: its first occurrence
   (earliest document, then position) is the cluster's coordinate, and only the occurrences
   within two links of it join it; the rest of the component is split the same way. So every
   occurrence of a cluster corresponds to the coordinate occurrence through at most one
   intermediate occurrence, each link covering 3/4 of both sides, and a cluster cannot chain
   from one passage to the next through occurrences that merely touch. An occurrence two links
   away stays out when an alignment of its own document with the coordinate's document carries
   it elsewhere (it was reached through a local alignment of a formula said twice, while its
   own version says it is another stretch of text). Clusters that continue one another in
   every document (cut apart only because another document's alignment ended there) are
   joined back into one passage.
5. **Boilerplate** is text repeated across many *unrelated* documents. Two documents of a
   passage are related when, outside this passage's occurrences, their alignments with each
   other cover at least ``related_share`` of one of them (versions of one book, rewrites of one
   article), or when those alignments cover ``_COPY_SHARE`` of both (copies of one text, even
   if the passage is all there is). The documents of a passage are grouped by that relation
   (connected components), and the passage is boilerplate when the groups number at least
   ``max(3, min(boilerplate_docs, ceil(boilerplate_share * n_documents)))``. Five versions of
   one book are one group, so a passage of that book is not boilerplate however often the book
   is revised; a disclaimer pasted into 30 unrelated articles is.
6. Where documents carry a ``date``, the occurrence in the earliest-dated document is marked as
   the likely source (ties: the first in input order).

Every step is a handful of numpy passes over the alignments, the cut points and the
(occurrence, alignment) incidences; nothing is quadratic in the number of alignments.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..common.ranges import expand_ranges
from ..common.sequences import values_at
from ..errors import InputError
from .documents import parse_dates

PASSAGE_COLUMNS = ["passage_id", "doc_id", "start", "end", "n_docs", "boilerplate", "is_source"]

# An occurrence and the occurrence its alignment maps it onto must overlap by at least this share
# of each (after mapping) to be linked: the same stretch of text, give or take its edges.
_MUTUAL_OVERLAP = 0.75
# Two documents whose alignments with each other cover this share of both are copies of one
# text (versions, near-duplicates): related, even when the passage is all they share.
_COPY_SHARE = 0.8
# A cut carried into another document moves to a word boundary at most this many characters away.
_SNAP_CHARS = 24
# Alignments whose edits _edit_anchors parses at a time.
_ANCHOR_ROWS = 20_000
_DIGITS_ONLY = bytes(c if 48 <= c <= 57 else 32 for c in range(256))


class _Mapping:
    """Piecewise-linear position maps of many alignments at once, one direction."""

    def __init__(self, alignment: np.ndarray, source: np.ndarray, target: np.ndarray,
                 n_alignments: int, scale: int) -> None:
        self.key = alignment * scale + source
        order = np.argsort(self.key, kind="stable")
        self.key = self.key[order]
        self.source = source[order]
        self.target = target[order]
        self.scale = scale
        bounds = np.searchsorted(self.key, np.arange(n_alignments + 1) * scale)
        self.first = bounds[:-1]
        self.last = bounds[1:] - 1

    def __call__(self, alignment: np.ndarray, position: np.ndarray) -> np.ndarray:
        if not len(alignment):
            return np.empty(0, dtype=np.float64)
        i = _search(self.key, alignment * self.scale + position, side="right") - 1
        i = np.clip(i, self.first[alignment], self.last[alignment] - 1)
        x0, x1 = self.source[i], self.source[i + 1]
        y0, y1 = self.target[i], self.target[i + 1]
        width = np.maximum(x1 - x0, 1)
        fraction = np.clip((position - x0) / width, 0.0, 1.0)
        return y0 + fraction * (y1 - y0)


def _edit_anchors(edits: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``(alignment index, [a_start, a_end, b_start, b_end])`` of every edit, or None when the
    column cannot be read as lists of ``[op, a_start, a_end, b_start, b_end]``.

    The numbers are parsed in one pass over the JSON texts with their letters and brackets
    blanked out (a whole-book alignment has thousands of edits; the Bible versions hold more
    than a million), ``_ANCHOR_ROWS`` rows at a time: the joined text of a corpus run's
    alignments would be hundreds of megabytes, three times over.
    """
    pieces = edits.fillna("[]").astype(str).tolist()
    per_row = np.maximum(np.array([p.count("[") for p in pieces], dtype=np.int64) - 1, 0)
    if not per_row.sum():
        return None
    parts = []
    for lo in range(0, len(pieces), _ANCHOR_ROWS):
        hi = lo + _ANCHOR_ROWS
        try:
            raw = "".join(pieces[lo:hi]).encode("ascii")
        except UnicodeEncodeError:
            return None
        numbers = np.fromstring(raw.translate(_DIGITS_ONLY), dtype=np.int64, sep=" ")
        if len(numbers) != 4 * int(per_row[lo:hi].sum()):
            return None
        parts.append(numbers)
    return np.repeat(np.arange(len(pieces)), per_row), np.concatenate(parts).reshape(-1, 4)


def _mappings(edits: pd.Series | None, a_start: np.ndarray, a_end: np.ndarray,
              b_start: np.ndarray, b_end: np.ndarray, scale: int) -> tuple[_Mapping, _Mapping]:
    anchor_k, anchor_a, anchor_b = _anchors(edits, a_start, a_end, b_start, b_end)
    return (_Mapping(anchor_k, anchor_a, anchor_b, len(a_start), scale),
            _Mapping(anchor_k, anchor_b, anchor_a, len(a_start), scale))


def _anchors(edits: pd.Series | None, a_start: np.ndarray, a_end: np.ndarray,
             b_start: np.ndarray, b_end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(alignment, a position, b position)`` of the points the position maps go through:
    both ends of every alignment and of every edit inside it. (A function of its own, so that
    the parsed edits are freed before the maps are sorted: at a million documents they are
    hundreds of megabytes.)"""
    index = np.arange(len(a_start))
    parts_k, parts_a, parts_b = [index, index], [a_start, a_end], [b_start, b_end]
    anchors = _edit_anchors(edits) if edits is not None else None
    if anchors is not None:
        k, values = anchors
        inside = ((values[:, 0] >= a_start[k]) & (values[:, 1] <= a_end[k])
                  & (values[:, 2] >= b_start[k]) & (values[:, 3] <= b_end[k]))
        k, values = k[inside], values[inside]
        parts_k += [k, k]
        parts_a += [values[:, 0], values[:, 1]]
        parts_b += [values[:, 2], values[:, 3]]
    return (np.concatenate(parts_k), np.concatenate(parts_a).astype(np.int64),
            np.concatenate(parts_b).astype(np.int64))


def _search(sorted_keys: np.ndarray, queries: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted`` with the queries visited in sorted order: each search then starts
    where the last one ended, instead of a cache miss per step on large arrays (several times
    faster on millions of queries)."""
    if len(queries) < 4096:
        return np.searchsorted(sorted_keys, queries, side=side)
    order = np.argsort(queries, kind="stable")
    found = np.empty(len(queries), dtype=np.int64)
    found[order] = np.searchsorted(sorted_keys, queries[order], side=side)
    return found


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: numpy's hash-based ``unique`` is several times
    slower on these large position keys)."""
    keys = np.sort(keys)
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def _snap_to_words(docs: np.ndarray, positions: np.ndarray, texts: _Texts) -> np.ndarray:
    """Move positions that fall inside a word to the nearest word boundary (within a few
    characters; scripts without spaces keep their position)."""
    snapped = positions.copy()
    for i, text in _each_text(texts, docs):
        p = int(positions[i])
        if p <= 0 or p >= len(text) or text[p - 1].isspace() or text[p].isspace():
            continue
        window = max(0, p - _SNAP_CHARS)
        left = max(text.rfind(" ", window, p), text.rfind("\n", window, p))
        right = [q for q in (text.find(" ", p, p + _SNAP_CHARS),
                             text.find("\n", p, p + _SNAP_CHARS)) if q >= 0]
        candidates = ([left + 1] if left >= 0 else []) + ([min(right)] if right else [])
        if candidates:
            snapped[i] = min(candidates, key=lambda q: abs(q - p))
    return snapped


class _Placed:
    """The ids that some columns name and their positions in the corpus's ``doc_ids``, found
    by one pass over ``doc_ids`` (a chunk at a time when it is on disk, a read corpus's ids):
    only the ids the columns name are held, never every id of the corpus."""

    def __init__(self, doc_ids: Sequence[str], *columns: pd.Series) -> None:
        self.columns = [column.to_numpy(dtype=object) for column in columns]
        self.number = {doc_id: k for k, doc_id in enumerate(dict.fromkeys(
            doc_id for column in self.columns for doc_id in column.tolist()))}
        found = np.full(len(self.number), -1, dtype=np.int64)
        chunks = doc_ids.chunks() if hasattr(doc_ids, "chunks") else [(0, doc_ids)]
        for first, chunk in chunks:
            at = np.fromiter((self.number.get(doc_id, -1) for doc_id in chunk), dtype=np.int64,
                             count=len(chunk))
            hit = np.flatnonzero(at >= 0)
            found[at[hit]] = first + hit
        self.ids = np.array(list(self.number), dtype=object)
        if (found < 0).any():
            missing = self.ids[np.flatnonzero(found < 0)[0]]
            raise InputError(f"an alignment names document {missing!r}, which is not in the "
                             "corpus")
        self.found = found

    def positions(self) -> list[np.ndarray]:
        """The position of every id of each column."""
        return [self.found[np.fromiter((self.number[doc_id] for doc_id in column.tolist()),
                                       dtype=np.int64, count=len(column))]
                for column in self.columns]

    def ids_at(self, positions: np.ndarray) -> np.ndarray:
        """The ids at ``positions`` (positions of ids the columns name)."""
        order = np.argsort(self.found)
        return self.ids[order[np.searchsorted(self.found[order], positions)]]


@dataclass(frozen=True)
class _Lengths:
    """The lengths of some documents' texts: ``values[k]`` of document ``docs[k]`` (sorted
    corpus positions)."""

    docs: np.ndarray
    values: np.ndarray

    def of(self, docs: np.ndarray) -> np.ndarray:
        return self.values[np.searchsorted(self.docs, docs)]


@dataclass(frozen=True)
class _Texts:
    """The texts of a part's documents, read from ``column`` by corpus position, and their
    lengths (only the part's: a corpus's are 8 bytes a document)."""

    column: Sequence[str]
    lengths: _Lengths


def _each_text(texts: _Texts, docs: np.ndarray) -> Iterator[tuple[int, str]]:
    """``(row, text of docs[row])`` for every row, in document order, each text read once (a
    read corpus's texts are on disk: nearby ones are read together, about
    ``_TEXT_CHARS_AT_ONCE`` characters at a time)."""
    order = np.argsort(docs, kind="stable")
    sorted_docs = docs[order]
    unique, first = np.unique(sorted_docs, return_index=True)
    sizes = texts.lengths.of(unique)
    # A new read where the characters read so far pass another multiple of the budget.
    cuts = np.flatnonzero(np.diff(np.cumsum(sizes) // _TEXT_CHARS_AT_ONCE)) + 1
    bounds = [0, *cuts.tolist(), len(unique)]
    ends = [*first.tolist()[1:], len(docs)]
    rows, first = order.tolist(), first.tolist()
    for lo, hi in itertools.pairwise(bounds):
        for k, text in enumerate(values_at(texts.column, unique[lo:hi]), start=lo):
            for row in rows[first[k]:ends[k]]:
                yield row, text


# Characters of texts read at once by _each_text.
_TEXT_CHARS_AT_ONCE = 1 << 22


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` without the whitespace at its ends (as ``str.strip`` drops it),
    unchanged when it is all whitespace; only the characters at the ends are looked at."""
    lo, hi = start, end
    while lo < hi and text[lo].isspace():
        lo += 1
    if lo == hi:
        return start, end
    while text[hi - 1].isspace():
        hi -= 1
    return lo, hi


class _Sides:
    """Both directions of every alignment: rows ``k`` (a → b) and ``n + k`` (b → a)."""

    def __init__(self, a_doc: np.ndarray, b_doc: np.ndarray, a_start: np.ndarray,
                 a_end: np.ndarray, b_start: np.ndarray, b_end: np.ndarray,
                 mappings: tuple[_Mapping, _Mapping]) -> None:
        n = len(a_doc)
        self.doc = np.concatenate((a_doc, b_doc))
        self.start = np.concatenate((a_start, b_start))
        self.end = np.concatenate((a_end, b_end))
        self.other_doc = np.concatenate((b_doc, a_doc))
        self.alignment = np.concatenate((np.arange(n), np.arange(n)))
        self.forward = np.concatenate((np.ones(n, dtype=bool), np.zeros(n, dtype=bool)))
        self.mappings = mappings

    def map(self, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Positions in the span of side ``rows`` → positions in the other document."""
        out = np.empty(len(rows), dtype=np.float64)
        forward = self.forward[rows]
        for mapping, chosen in ((self.mappings[0], forward), (self.mappings[1], ~forward)):
            out[chosen] = mapping(self.alignment[rows[chosen]], positions[chosen])
        return out


def _cut_points(sides: _Sides, scale: int, min_chars: int,
                texts: _Texts | None) -> np.ndarray:
    """Sorted keys ``doc * scale + position`` of every cut: span boundaries, and the
    boundaries inside each span carried through its alignment to the other document.

    Only the first boundary of every ``min_chars`` stretch of a document is carried (closer
    ones would make slivers, merged away anyway), so a span carries at most its length over
    ``min_chars`` cuts however many alignments end inside it.
    """
    own = _distinct(np.concatenate((sides.doc * scale + sides.start,
                                    sides.doc * scale + sides.end)))
    width = max(min_chars, 1)
    bucket = (own // scale) * (scale // width + 1) + (own % scale) // width
    first_in_bucket = np.ones(len(own), dtype=bool)
    first_in_bucket[1:] = bucket[1:] != bucket[:-1]  # own is sorted, so buckets are too
    carriable = own[first_in_bucket]
    lo = _search(carriable, sides.doc * scale + sides.start, side="right")
    hi = _search(carriable, sides.doc * scale + sides.end, side="left")
    row, index = expand_ranges(lo, hi)
    mapped = np.rint(sides.map(row, carriable[index] % scale)).astype(np.int64)
    target_doc = sides.other_doc[row]
    carried = _distinct(target_doc * scale + mapped)
    at = np.minimum(np.searchsorted(own, carried), len(own) - 1)  # carried is sorted
    carried = carried[own[at] != carried]
    if texts is not None and len(carried):
        docs, positions = carried // scale, carried % scale
        carried = docs * scale + _snap_to_words(docs, positions, texts)
    return _distinct(np.concatenate((own, carried)))


def _segments(cuts: np.ndarray, sides: _Sides, scale: int,
              min_chars: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end keys of the occurrences: covered stretches between cuts, with segments
    shorter than ``min_chars`` merged into the covered neighbour before them (else after)."""
    coverage = np.zeros(len(cuts) + 1, dtype=np.int64)
    np.add.at(coverage, _search(cuts, sides.doc * scale + sides.start), 1)
    np.add.at(coverage, _search(cuts, sides.doc * scale + sides.end), -1)
    depth = np.cumsum(coverage)[:-1]
    # Elementary segment i runs from cuts[i] to cuts[i + 1].
    same_doc = np.zeros(len(cuts), dtype=bool)
    same_doc[:-1] = cuts[1:] // scale == cuts[:-1] // scale
    covered = (depth > 0) & same_doc
    length = np.zeros(len(cuts), dtype=np.int64)
    length[:-1] = np.diff(cuts)
    covered_before = np.zeros(len(cuts), dtype=bool)
    covered_before[1:] = covered[:-1]
    covered_after = np.zeros(len(cuts), dtype=bool)
    covered_after[:-1] = covered[1:]
    short = covered & (length < min_chars)
    joins_previous = short & covered_before  # drop the cut at the start of segment i
    joins_next = short & ~covered_before & covered_after  # drop the cut at its end
    dropped = joins_previous.copy()
    dropped[1:] |= joins_next[:-1]
    new_segment = covered & ~(covered_before & dropped)
    segment_of = np.cumsum(new_segment) - 1
    first = np.flatnonzero(new_segment)
    last_elementary = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(last_elementary, segment_of[covered], np.flatnonzero(covered))
    return cuts[first], cuts[last_elementary + 1]


class _Images:
    """Where the alignments carry each occurrence: ``segment`` is an occurrence lying mostly
    inside an aligned span, ``start`` and ``end`` the keys of its mapped image in the other
    document (one row per such occurrence and alignment side)."""

    def __init__(self, segment: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        self.segment, self.start, self.end = segment, start, end


def _links(seg_start: np.ndarray, seg_end: np.ndarray, sides: _Sides,
           scale: int) -> tuple[np.ndarray, np.ndarray, _Images]:
    """``(occurrence, occurrence)`` for every pair of corresponding occurrences, and the images
    of the occurrences in the documents they are aligned with."""
    span_start = sides.doc * scale + sides.start
    span_end = sides.doc * scale + sides.end
    lo = _search(seg_end, span_start, side="right")
    hi = _search(seg_start, span_end, side="left")
    row, segment = expand_ranges(lo, hi)
    clip_start = np.maximum(seg_start[segment], span_start[row])
    clip_end = np.minimum(seg_end[segment], span_end[row])
    inside = (clip_end - clip_start) >= _MUTUAL_OVERLAP * (seg_end[segment] - seg_start[segment])
    row, segment = row[inside], segment[inside]
    clip_start, clip_end = clip_start[inside], clip_end[inside]
    image_start = sides.map(row, clip_start % scale)
    image_end = sides.map(row, clip_end % scale)
    base = sides.other_doc[row] * scale
    middle = base + np.floor((image_start + image_end) / 2).astype(np.int64)
    target = np.clip(_search(seg_start, middle, side="right") - 1, 0, len(seg_start) - 1)
    overlap = (np.minimum(seg_end[target], base + image_end)
               - np.maximum(seg_start[target], base + image_start))
    corresponds = (
        (seg_start[target] // scale == sides.other_doc[row])
        & (image_end > image_start)
        & (overlap >= _MUTUAL_OVERLAP * (image_end - image_start))
        & (overlap >= _MUTUAL_OVERLAP * (seg_end[target] - seg_start[target]))
    )
    images = _Images(segment, base + np.floor(image_start).astype(np.int64),
                     base + np.ceil(image_end).astype(np.int64))
    return segment[corresponds], target[corresponds], images


def _contradicted(candidates: np.ndarray, centre: np.ndarray, seg_start: np.ndarray,
                  seg_end: np.ndarray, images: _Images, scale: int) -> np.ndarray:
    """For each candidate node (joining ``centre`` through an intermediate occurrence): whether an
    alignment of its own document with the centre's document carries it somewhere else, i.e.
    it has images in the centre's document and none of them overlaps the centre by half of
    the shorter of the two."""
    position = np.full(len(seg_start), -1, dtype=np.int64)
    position[candidates] = np.arange(len(candidates))
    at = position[images.segment]
    rows = np.flatnonzero(at >= 0)
    at = at[rows]
    centre_of_row = centre[at]
    in_centre_doc = images.start[rows] // scale == seg_start[centre_of_row] // scale
    rows, at, centre_of_row = rows[in_centre_doc], at[in_centre_doc], centre_of_row[in_centre_doc]
    image_start, image_end = images.start[rows], images.end[rows]
    overlap = (np.minimum(image_end, seg_end[centre_of_row])
               - np.maximum(image_start, seg_start[centre_of_row]))
    shorter = np.minimum(image_end - image_start, seg_end[centre_of_row] - seg_start[centre_of_row])
    agrees = overlap >= 0.5 * shorter
    has_image = np.zeros(len(candidates), dtype=bool)
    has_image[at] = True
    agreeing = np.zeros(len(candidates), dtype=bool)
    agreeing[at[agrees]] = True
    return has_image & ~agreeing


def _star_split(n_nodes: int, left: np.ndarray, right: np.ndarray, seg_start: np.ndarray,
                seg_end: np.ndarray, images: _Images, scale: int) -> np.ndarray:
    """Cluster label of every node: connected components cut into stars around a centre.

    The centre of a component is its first occurrence (earliest document, then position). The
    occurrences linked to it join it, and so do the occurrences linked to those: a third
    document aligned only with the second still holds the centre's text. Every link is a
    correspondence of at least ``_MUTUAL_OVERLAP`` (3/4) both ways, so every member shares
    at least half of a direct neighbour's text with the centre's counterpart there, and no
    cluster chains further than two links. An occurrence two links away does not join when
    an alignment of its own document with the centre's document carries it elsewhere: that
    direct alignment says it is another stretch of text, and the chain through the
    intermediate went through a wrong (local, formulaic) alignment. The rest of the component
    is split the same way, round after round, until every node is placed. Each round is a few
    sparse-matrix passes over what is left; components that need more than one round are rare.
    """
    label = np.arange(n_nodes, dtype=np.int64)
    if not len(left):
        return label
    # int32: a product below counts linked neighbours, which int8 would wrap past 127
    ones = np.ones(2 * len(left), dtype=np.int32)
    rows = np.concatenate((left, right))
    cols = np.concatenate((right, left))
    graph = coo_matrix((ones, (rows, cols)), shape=(n_nodes, n_nodes)).tocsr()
    order_key = seg_start  # document, then position
    remaining = _distinct(rows)  # unlinked nodes keep their own label
    while len(remaining):
        subgraph = graph[remaining][:, remaining]
        _, component = connected_components(subgraph, directed=False)
        ranked = np.lexsort((order_key[remaining], component))
        is_first = np.ones(len(ranked), dtype=bool)
        is_first[1:] = component[ranked[1:]] != component[ranked[:-1]]
        centre_of_component = ranked[is_first]  # by component number
        is_centre = np.zeros(len(remaining), dtype=bool)
        is_centre[centre_of_component] = True
        # Links never leave a component, so a node linked to a centre is linked to its own,
        # and a node linked to such a node reaches its own centre in two links.
        near = is_centre | ((subgraph @ is_centre.astype(np.int32)) > 0)
        second = ~near & ((subgraph @ near.astype(np.int32)) > 0)
        centre = remaining[centre_of_component[component]]
        chosen = np.flatnonzero(second)
        if len(chosen):
            second[chosen[_contradicted(remaining[chosen], centre[chosen], seg_start, seg_end,
                                        images, scale)]] = False
        placed = near | second
        label[remaining[placed]] = centre[placed]
        remaining = remaining[~placed]
    return label


def _join_continuations(label: np.ndarray, seg_start: np.ndarray,
                        seg_end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join clusters that continue one another: when every occurrence of cluster P is
    immediately followed, in its document, by an occurrence of cluster Q and every occurrence
    of Q immediately preceded by one of P, the two are one longer passage (cut only because
    some other document's alignment ended there), and each pair of occurrences becomes one.

    Returns the labels, starts and ends of the joined occurrences (keys as given).
    """
    n = len(label)
    follows = np.zeros(n, dtype=bool)  # occurrence i + 1 starts where occurrence i ends
    follows[:-1] = seg_start[1:] == seg_end[:-1]
    size = np.bincount(label, minlength=n)
    i = np.flatnonzero(follows)
    pairs = pd.DataFrame({"p": label[i], "q": label[i + 1]})
    pairs = pairs[pairs["p"] != pairs["q"]]
    counts = pairs.value_counts().reset_index(name="n")
    whole = counts[(counts["n"] == size[counts["p"]]) & (counts["n"] == size[counts["q"]])]
    if not whole.empty:
        graph = coo_matrix((np.ones(len(whole)), (whole["p"], whole["q"])), shape=(n, n))
        _, joined = connected_components(graph, directed=False)
        # Name each joined cluster by its smallest old label (the old labels are node indices).
        first_label = np.full(joined.max() + 1, n, dtype=np.int64)
        np.minimum.at(first_label, joined[label], label)
        label = first_label[joined[label]]
    # Fuse consecutive occurrences of one cluster in one document (joined or not: whether a
    # document's occurrences are fused must not depend on other documents' clusters).
    fused = np.zeros(n, dtype=bool)
    fused[1:] = follows[:-1] & (label[1:] == label[:-1])
    keep = ~fused
    run = np.cumsum(keep) - 1
    end = np.zeros(int(keep.sum()), dtype=seg_end.dtype)
    np.maximum.at(end, run, seg_end)
    return label[keep], seg_start[keep], end


def _number_passages(label: np.ndarray, node_doc: np.ndarray,
                     n_documents: int) -> tuple[np.ndarray, np.ndarray]:
    """Passage id of every node (-1 for a cluster in one document only) and its cluster's
    number of documents. Nodes come in (document, start) order, and passages are numbered in
    the order of their first occurrence."""
    n, n_labels = len(label), int(label.max(initial=-1)) + 1
    distinct_pairs = _distinct(label * n_documents + node_doc)
    n_docs_of_label = np.bincount(distinct_pairs // n_documents, minlength=n_labels)
    first_node = np.full(n_labels, n, dtype=np.int64)
    np.minimum.at(first_node, label, np.arange(n))
    shared = np.flatnonzero(n_docs_of_label >= 2)  # labels of passages
    numbering = np.full(n_labels, -1, dtype=np.int64)
    numbering[shared[np.argsort(first_node[shared], kind="stable")]] = np.arange(len(shared))
    return numbering[label], n_docs_of_label[label]


def _pair_coverage(a_doc: np.ndarray, b_doc: np.ndarray, a_start: np.ndarray,
                   a_end: np.ndarray, b_start: np.ndarray, b_end: np.ndarray,
                   scale: int) -> pd.DataFrame:
    """Characters of each document covered by its alignments with the other, per ordered pair
    ``(doc, other)`` (overlapping spans counted once)."""
    doc = np.concatenate((a_doc, b_doc))
    other = np.concatenate((b_doc, a_doc))
    start = np.concatenate((a_start, b_start))
    end = np.concatenate((a_end, b_end))
    pair_key = doc * scale + other
    order = np.lexsort((start, pair_key))
    pair_key, start, end = pair_key[order], start[order], end[order]
    # Running maximum of the ends within each pair: offset every pair so one pass suffices.
    new_pair = np.ones(len(pair_key), dtype=bool)
    new_pair[1:] = pair_key[1:] != pair_key[:-1]
    offset = (np.cumsum(new_pair) - 1) * scale
    reach = np.maximum.accumulate(end + offset) - offset
    previous_reach = np.empty_like(reach)
    previous_reach[0] = 0
    previous_reach[1:] = reach[:-1]
    previous_reach[new_pair] = 0
    added = np.maximum(end - np.maximum(start, previous_reach), 0)
    frame = pd.DataFrame({"doc": pair_key // scale, "other": pair_key % scale, "covered": added})
    return frame.groupby(["doc", "other"], as_index=False)["covered"].sum()


def _independent_groups(frame: pd.DataFrame, candidates: np.ndarray, coverage: pd.DataFrame,
                        doc_length: _Lengths, related_share: float) -> pd.Series:
    """For each candidate passage, the number of groups of related documents among its
    documents (see the module doc)."""
    occurrences = (frame[frame["passage_id"].isin(candidates)]
                   .assign(chars=lambda f: f["end"] - f["start"])
                   .groupby(["passage_id", "doc"], as_index=False)["chars"].sum())
    occurrences["node"] = np.arange(len(occurrences))
    left = coverage.merge(occurrences, on="doc")
    both = left.merge(occurrences.rename(columns={"doc": "other", "chars": "other_chars",
                                                  "node": "other_node"}),
                      on=["passage_id", "other"])
    # Coverage of "doc" by the pair, less this passage's characters there (an upper bound on
    # what the passage covers of the pair's spans), against doc's length.
    length = doc_length.of(both["doc"].to_numpy())
    other_length = doc_length.of(both["other"].to_numpy())
    outside = both["covered"].to_numpy() - both["chars"].to_numpy()
    back = both.merge(coverage.rename(columns={"doc": "other", "other": "doc",
                                               "covered": "covered_back"}),
                      on=["doc", "other"], how="left")["covered_back"].fillna(0).to_numpy()
    related = ((outside >= related_share * length)
               | ((both["covered"].to_numpy() >= _COPY_SHARE * length)
                  & (back >= _COPY_SHARE * other_length)))
    edges = both[related]
    n = len(occurrences)
    graph = coo_matrix((np.ones(len(edges)), (edges["node"], edges["other_node"])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    occurrences["group"] = component
    return occurrences.groupby("passage_id")["group"].nunique()


PartMap = Callable[[Callable[[Any], pd.DataFrame], Iterable[Any]], Iterable[pd.DataFrame]]

# Alignments per part of passage_clusters (a group of linked documents is never split, so a
# part may hold more).
_PART_ALIGNMENTS = 10_000


@dataclass(frozen=True)
class _PartSettings:
    n_documents: int
    boilerplate_limit: int
    min_chars: int
    related_share: float
    texts: Sequence[str] | None


@dataclass(frozen=True)
class _Part:
    """Alignments of whole groups of linked documents, by corpus position."""

    a_doc: np.ndarray
    b_doc: np.ndarray
    a_start: np.ndarray
    a_end: np.ndarray
    b_start: np.ndarray
    b_end: np.ndarray
    edits: pd.Series | None
    settings: _PartSettings
    # The texts' lengths of the part's documents (sorted corpus positions), None without texts.
    doc_lengths: _Lengths | None


def _text_lengths(texts: Sequence[str] | None) -> np.ndarray | None:
    """Every text's length (a corpus read from a file knows them without reading a text)."""
    if texts is None:
        return None
    known = getattr(texts, "lengths", None)
    if known is not None:
        return np.asarray(known, dtype=np.int64)
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _lengths_of(lengths: np.ndarray | None, a_doc: np.ndarray, b_doc: np.ndarray
                ) -> _Lengths | None:
    if lengths is None:
        return None
    docs = np.unique(np.concatenate((a_doc, b_doc)))
    return _Lengths(docs, lengths[docs])


def _linked_parts(a_doc: np.ndarray, b_doc: np.ndarray, size: int) -> list[np.ndarray]:
    """Rows of the alignments in parts of whole connected components of their documents, about
    ``size`` rows each (in row order within a part)."""
    docs, linked = np.unique(np.concatenate((a_doc, b_doc)), return_inverse=True)
    n = len(a_doc)
    graph = coo_matrix((np.ones(n, dtype=np.int32), (linked[:n], linked[n:])),
                       shape=(len(docs), len(docs)))
    _, component = connected_components(graph, directed=False)
    row_component = component[linked[:n]]
    order = np.argsort(row_component, kind="stable")
    per_component = np.bincount(row_component)
    # A part closes at the first component end that reaches another multiple of ``size``.
    ends = np.cumsum(per_component[per_component > 0])
    cuts = ends[np.flatnonzero(np.diff(np.concatenate(([0], ends)) // size))]
    bounds = [0, *cuts.tolist()]
    if bounds[-1] != n:
        bounds.append(n)
    return [np.sort(order[lo:hi]) for lo, hi in itertools.pairwise(bounds)]


def _part_passages(part: _Part) -> pd.DataFrame:
    """The occurrences of the passages of one part: passage ids numbered within the part (in
    the order of their first occurrences), ``doc`` as corpus positions, no ``is_source``."""
    settings = part.settings
    a_doc, b_doc, a_start, a_end = part.a_doc, part.b_doc, part.a_start, part.a_end
    b_start, b_end = part.b_start, part.b_end
    texts = (None if settings.texts is None or part.doc_lengths is None
             else _Texts(settings.texts, part.doc_lengths))
    scale = int(max(a_end.max(), b_end.max(), settings.n_documents, len(a_doc))) + 2
    mappings = _mappings(part.edits, a_start, a_end, b_start, b_end, scale)
    sides = _Sides(a_doc, b_doc, a_start, a_end, b_start, b_end, mappings)

    cuts = _cut_points(sides, scale, settings.min_chars, texts)
    seg_start, seg_end = _segments(cuts, sides, scale, settings.min_chars)
    left, right, images = _links(seg_start, seg_end, sides, scale)
    label = _star_split(len(seg_start), left, right, seg_start, seg_end, images, scale)
    label, seg_start, seg_end = _join_continuations(label, seg_start, seg_end)
    node_doc = seg_start // scale

    passage_id, n_docs = _number_passages(label, node_doc, settings.n_documents)
    kept = passage_id >= 0
    # Occurrences are in (document, start) order; the passage ids follow first occurrences.
    order = np.lexsort((seg_start[kept], passage_id[kept]))
    frame = pd.DataFrame({
        "passage_id": passage_id[kept][order],
        "doc": node_doc[kept][order],
        "start": (seg_start % scale)[kept][order],
        "end": (seg_end % scale)[kept][order],
        "n_docs": n_docs[kept][order],
    })

    limit = settings.boilerplate_limit
    frame["boilerplate"] = False
    candidates = frame.loc[frame["n_docs"] >= limit, "passage_id"].unique()
    if len(candidates):
        if texts is not None:
            doc_length = texts.lengths
        else:  # the furthest aligned position stands in
            docs, at = np.unique(np.concatenate((a_doc, b_doc)), return_inverse=True)
            reach = np.zeros(len(docs), dtype=np.int64)
            np.maximum.at(reach, at, np.concatenate((a_end, b_end)))
            doc_length = _Lengths(docs, reach)
        coverage = _pair_coverage(a_doc, b_doc, a_start, a_end, b_start, b_end, scale)
        groups = _independent_groups(frame, candidates, coverage, doc_length,
                                     settings.related_share)
        boilerplate = groups.index[groups.to_numpy() >= limit]
        frame["boilerplate"] = frame["passage_id"].isin(boilerplate)

    if texts is not None:
        starts, ends = frame["start"].to_numpy(np.int64), frame["end"].to_numpy(np.int64)
        trimmed_starts, trimmed_ends = starts.copy(), ends.copy()
        for row, text in _each_text(texts, frame["doc"].to_numpy()):
            trimmed_starts[row], trimmed_ends[row] = _strip_span(text, int(starts[row]),
                                                                 int(ends[row]))
        frame["start"], frame["end"] = trimmed_starts, trimmed_ends
    return frame


def _numbered(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The occurrences of all parts, their passages numbered in the order of their first
    occurrences (document, then start) across the parts, in (passage, start) order.

    Within a part the passages are numbered that way already, and a passage's rows come in
    order with its first occurrence first. Trimming whitespace moves no occurrence past another
    of its document (they are disjoint), so the trimmed starts order them as before.
    """
    frame = pd.concat(parts, ignore_index=True)
    local = frame["passage_id"].to_numpy()
    sizes = [int(part["passage_id"].to_numpy().max(initial=-1)) + 1 for part in parts]
    offsets = np.repeat(np.cumsum([0, *sizes[:-1]]), [len(part) for part in parts])
    passage = local + offsets
    first = np.flatnonzero(np.diff(passage, prepend=-1))  # rows run by passage in each part
    ranked = np.lexsort((frame["start"].to_numpy()[first], frame["doc"].to_numpy()[first]))
    number = np.empty(len(first), dtype=np.int64)
    number[ranked] = np.arange(len(first))
    passage_id = number[passage]
    order = np.argsort(passage_id, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    frame["passage_id"] = passage_id[order]
    return frame


def passage_clusters(
    alignments: pd.DataFrame,
    doc_ids: Sequence[str],
    *,
    dates: Sequence[object] | None = None,
    boilerplate_docs: int = 20,
    boilerplate_share: float = 0.5,
    min_chars: int = 40,
    related_share: float = 0.25,
    texts: Sequence[str] | None = None,
    map_parts: PartMap = map,
) -> pd.DataFrame:
    """The ``passages`` table (see reuse.runfolder.schema) from the ``alignments`` table.

    ``alignments`` needs the columns a_id, a_start, a_end, b_id, b_start, b_end; an ``edits``
    column (as in the alignments table) makes the mapping between the two spans exact. With
    ``texts``, occurrences are trimmed of the whitespace that a cut can leave at their ends,
    cuts carried into another document land on word boundaries, and document lengths for the
    boilerplate test are exact (without them, the furthest aligned position stands in).

    No passage reaches beyond a group of documents linked by alignments (directly or through
    other documents), so the groups are clustered apart, whole groups of about
    ``_PART_ALIGNMENTS`` alignments at a time, the parts by ``map_parts(function, parts)``
    when there are several (the builtin ``map`` by default). A map that runs them in worker
    processes gives the same table; every part carries ``texts``, so such a map wants a
    document store's column (which travels as a handle to the store), not a list.
    """
    if alignments.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            PASSAGE_COLUMNS, ["int64", "object", "int64", "int64", "int64", "bool", "bool"],
            strict=True)})
    placed = _Placed(doc_ids, alignments["a_id"], alignments["b_id"])
    a_doc, b_doc = placed.positions()
    columns = [alignments[name].to_numpy().astype(np.int64)
               for name in ("a_start", "a_end", "b_start", "b_end")]
    edits = alignments["edits"] if "edits" in alignments.columns else None
    lengths = _text_lengths(texts)
    settings = _PartSettings(
        n_documents=len(doc_ids),
        boilerplate_limit=max(3, min(boilerplate_docs,
                                     math.ceil(boilerplate_share * len(doc_ids)))),
        min_chars=min_chars, related_share=related_share, texts=texts)
    part_rows = _linked_parts(a_doc, b_doc, _PART_ALIGNMENTS)
    parts = (_Part(a_doc[rows], b_doc[rows], *(column[rows] for column in columns),
                   None if edits is None else edits.iloc[rows], settings,
                   _lengths_of(lengths, a_doc[rows], b_doc[rows]))
             for rows in part_rows)
    # One part is clustered here: a worker would only add the trip.
    frame = _numbered(list(map_parts(_part_passages, parts) if len(part_rows) > 1
                           else map(_part_passages, parts)))

    frame["is_source"] = False
    if dates is not None:
        stamps = parse_dates(dates)
        frame["date"] = stamps.iloc[frame["doc"].to_numpy()].to_numpy()
        dated = frame.dropna(subset=["date"]).sort_values(["passage_id", "date", "doc", "start"])
        source_rows = dated.groupby("passage_id").head(1).index
        frame.loc[source_rows, "is_source"] = True
    frame["doc_id"] = placed.ids_at(frame["doc"].to_numpy())
    return frame[PASSAGE_COLUMNS].reset_index(drop=True)
