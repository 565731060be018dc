"""Alignments → passage clusters: "this paragraph occurs in these documents, here".

1. **Occurrences.** In each document, the spans of all its alignments are cut at every span
   boundary into elementary segments, so that a passage shared with one document and a longer
   passage shared with another (the same paragraph, plus a lead-in) become two occurrences rather
   than one blurred one. Segments shorter than ``min_chars`` are merged into a neighbour.
2. **Links.** Each alignment links every segment inside its span in one document to the segment
   at the corresponding relative position of its span in the other document (both directions).
3. **Clusters.** Connected components of linked segments are passage clusters. A cluster that
   occurs in at least ``max(3, min(boilerplate_docs, ceil(boilerplate_share * n_documents)))``
   documents is flagged as boilerplate. Where documents carry a ``date``, the occurrence in the
   earliest-dated document is marked as the likely source (ties: the first in input order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .cluster import parse_dates

PASSAGE_COLUMNS = ["passage_id", "doc_id", "start", "end", "n_docs", "boilerplate", "is_source"]


def _segments(spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Elementary covered segments of one document's spans, slivers merged into neighbours."""
    cuts = sorted({p for span in spans for p in span})
    coverage = np.zeros(len(cuts), dtype=np.int64)
    index = {p: i for i, p in enumerate(cuts)}
    for start, end in spans:
        coverage[index[start]] += 1
        coverage[index[end]] -= 1
    covered = np.cumsum(coverage)
    segments = [
        [cuts[i], cuts[i + 1]] for i in range(len(cuts) - 1) if covered[i] > 0
    ]
    merged: list[list[int]] = []
    for segment in segments:
        contiguous = merged and merged[-1][1] == segment[0]
        if contiguous and (
            segment[1] - segment[0] < min_chars or merged[-1][1] - merged[-1][0] < min_chars
        ):
            merged[-1][1] = segment[1]
        else:
            merged.append(segment)
    return [(s, e) for s, e in merged]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    if not piece.strip():
        return start, end
    return start + len(piece) - len(piece.lstrip()), end - (len(piece) - len(piece.rstrip()))


def _segment_at(segments: list[tuple[int, int]], starts: np.ndarray, position: float) -> int:
    k = int(np.searchsorted(starts, position, side="right")) - 1
    return max(0, min(k, len(segments) - 1))


def passage_clusters(
    alignments: pd.DataFrame,
    doc_ids: Sequence[str],
    *,
    dates: Sequence[object] | None = None,
    boilerplate_docs: int = 20,
    boilerplate_share: float = 0.5,
    min_chars: int = 40,
    texts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The ``passages`` table (see reuse.report.schema) from the ``alignments`` table.

    With ``texts``, occurrences are trimmed of the whitespace that a cut between two spans can
    leave at their ends.
    """
    if alignments.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            PASSAGE_COLUMNS, ["int64", "object", "int64", "int64", "int64", "bool", "bool"],
            strict=True)})
    position = {doc: i for i, doc in enumerate(doc_ids)}
    a_doc = alignments["a_id"].map(position).to_numpy()
    b_doc = alignments["b_id"].map(position).to_numpy()
    sides = [
        (a_doc, alignments["a_start"].to_numpy(), alignments["a_end"].to_numpy()),
        (b_doc, alignments["b_start"].to_numpy(), alignments["b_end"].to_numpy()),
    ]
    spans_of: dict[int, list[tuple[int, int]]] = {}
    for docs, starts, ends in sides:
        for d, s, e in zip(docs.tolist(), starts.tolist(), ends.tolist(), strict=True):
            spans_of.setdefault(d, []).append((s, e))

    node_doc: list[int] = []
    node_span: list[tuple[int, int]] = []
    first_node: dict[int, int] = {}
    seg_of: dict[int, list[tuple[int, int]]] = {}
    seg_starts: dict[int, np.ndarray] = {}
    for d in sorted(spans_of):
        segments = _segments(spans_of[d], min_chars)
        first_node[d] = len(node_doc)
        seg_of[d] = segments
        seg_starts[d] = np.array([s for s, _ in segments], dtype=np.int64)
        node_doc.extend([d] * len(segments))
        node_span.extend(segments)

    rows, cols = [], []
    for k in range(len(alignments)):
        for this, other in ((0, 1), (1, 0)):
            d, s, e = (int(x[k]) for x in sides[this])
            od, os_, oe = (int(x[k]) for x in sides[other])
            segments = seg_of[d]
            lo = int(np.searchsorted(seg_starts[d], s, side="left"))
            for j in range(max(0, lo - 1), len(segments)):
                seg_s, seg_e = segments[j]
                if seg_s >= e:
                    break
                if seg_e <= s:
                    continue
                middle = ((max(seg_s, s) + min(seg_e, e)) / 2 - s) / max(e - s, 1)
                target = os_ + middle * (oe - os_)
                rows.append(first_node[d] + j)
                cols.append(first_node[od] + _segment_at(seg_of[od], seg_starts[od], target))
    n_nodes = len(node_doc)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_nodes, n_nodes))
    _, component = connected_components(graph, directed=False)

    node_doc_arr = np.array(node_doc, dtype=np.int64)
    frame = pd.DataFrame({
        "component": component,
        "doc": node_doc_arr,
        "start": [s for s, _ in node_span],
        "end": [e for _, e in node_span],
    })
    n_docs = frame.groupby("component")["doc"].nunique()
    frame["n_docs"] = frame["component"].map(n_docs).astype(np.int64)
    frame = frame[frame["n_docs"] >= 2].copy()
    # Number passages by their first occurrence in input order.
    first = frame.sort_values(["doc", "start"]).groupby("component", sort=False).head(1)
    numbering = {c: i for i, c in enumerate(first["component"])}
    frame["passage_id"] = frame["component"].map(numbering).astype(np.int64)
    limit = max(3, min(boilerplate_docs, math.ceil(boilerplate_share * len(doc_ids))))
    frame["boilerplate"] = frame["n_docs"] >= limit
    frame["is_source"] = False
    if dates is not None:
        stamps = parse_dates(dates)
        frame["date"] = stamps.iloc[frame["doc"].to_numpy()].to_numpy()
        dated = frame.dropna(subset=["date"]).sort_values(["passage_id", "date", "doc", "start"])
        source_rows = dated.groupby("passage_id").head(1).index
        frame.loc[source_rows, "is_source"] = True
    if texts is not None:
        trimmed = [
            _strip_span(texts[d], s, e)
            for d, s, e in zip(frame["doc"].tolist(), frame["start"].tolist(),
                               frame["end"].tolist(), strict=True)
        ]
        frame["start"] = np.array([s for s, _ in trimmed], dtype=np.int64)
        frame["end"] = np.array([e for _, e in trimmed], dtype=np.int64)
    frame["doc_id"] = np.asarray(doc_ids, dtype=object)[frame["doc"].to_numpy()]
    frame = frame.sort_values(["passage_id", "doc", "start"])
    return frame[PASSAGE_COLUMNS].reset_index(drop=True)
