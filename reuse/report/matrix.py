"""Alignments → how much of each document is reused in each other document.

The reuse matrix is asymmetric: cell ``[i][j]`` is the share of document *i*'s characters that lie
in a span aligned with document *j* — the union of those spans (overlaps counted once) divided by
``len(text_i)``. A short article quoted whole in a long one is 100% reused in the long one, while
the long one is only a little reused in the short one.

Everything here is a pure function over pandas DataFrames (the ``alignments`` and ``documents``
tables of a run folder), vectorized with numpy; :mod:`reuse.report.html` does the I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

NO_GROUP = "(none)"

PAIR_COLUMNS = [
    "a_id", "b_id", "n_alignments", "a_reused_chars", "a_share", "b_reused_chars", "b_share",
    "matched_tokens", "similarity",
]


@dataclass
class ReuseMatrix:
    """The long-format pair table and a dense, labelled matrix over a chosen set of labels.

    ``pairs`` has one row per document pair with at least one alignment (see the
    ``pair_reuse`` schema). ``dense`` is square: ``dense.loc[i, j]`` is the share of ``i``'s text
    reused in ``j``; the diagonal is NaN (a document is not compared with itself). With groups,
    the labels are the group values and the diagonal is the reuse between different documents of
    the same group.
    """

    pairs: pd.DataFrame
    dense: pd.DataFrame


def union_lengths(keys: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pd.Series:
    """Total length of the union of the intervals ``[start, end)`` sharing each key.

    Sorted by start within a key, an interval adds whatever of it lies beyond the furthest end
    seen so far in that key; summing those contributions counts overlaps once.
    """
    if len(keys) == 0:
        return pd.Series([], dtype=np.int64)
    order = np.lexsort((starts, keys))
    k, s, e = keys[order], starts[order].astype(np.int64), ends[order].astype(np.int64)
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    furthest = pd.Series(e).groupby(k).cummax().to_numpy()
    covered_before = np.empty_like(furthest)
    covered_before[1:] = furthest[:-1]
    covered_before[first] = s[first]
    contribution = np.maximum(0, e - np.maximum(s, covered_before))
    group_starts = np.flatnonzero(first)
    return pd.Series(np.add.reduceat(contribution, group_starts), index=k[group_starts])


def _directed(alignments: pd.DataFrame) -> pd.DataFrame:
    """Each alignment as two rows: the span in ``doc`` that is reused in ``other``."""
    a = alignments
    return pd.DataFrame({
        "doc": np.concatenate((a["a_id"].to_numpy(object), a["b_id"].to_numpy(object))),
        "other": np.concatenate((a["b_id"].to_numpy(object), a["a_id"].to_numpy(object))),
        "start": np.concatenate((a["a_start"].to_numpy(np.int64), a["b_start"].to_numpy(np.int64))),
        "end": np.concatenate((a["a_end"].to_numpy(np.int64), a["b_end"].to_numpy(np.int64))),
    })


def directed_reuse(alignments: pd.DataFrame, other_key: pd.Series | None = None) -> pd.DataFrame:
    """Characters of each document reused in each other document (or group, via ``other_key``).

    Returns columns ``doc``, ``other``, ``reused_chars``; ``other_key`` maps a document id to the
    label the spans are pooled under (a metadata value), so a span aligned with two documents of
    the same group counts once.
    """
    directed = _directed(alignments)
    if other_key is not None:
        directed["other"] = directed["other"].map(other_key).fillna(NO_GROUP).astype(object)
    keys = pd.MultiIndex.from_arrays([directed["doc"], directed["other"]])
    codes, uniques = pd.factorize(keys)
    lengths = union_lengths(codes, directed["start"].to_numpy(), directed["end"].to_numpy())
    pairs = uniques[lengths.index.to_numpy()]
    return pd.DataFrame({
        "doc": pairs.get_level_values(0).to_numpy(object),
        "other": pairs.get_level_values(1).to_numpy(object),
        "reused_chars": lengths.to_numpy(np.int64),
    })


def pair_reuse(alignments: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """The ``pair_reuse`` table: one row per document pair that has at least one alignment.

    ``a_id`` is the pair's document that comes first in the ``documents`` table (input order).
    Rows are sorted by the larger of the two shares, largest first, then by ids.
    """
    if alignments.empty:
        return pd.DataFrame({c: pd.Series(dtype=_PAIR_DTYPES[c]) for c in PAIR_COLUMNS})
    position = pd.Series(np.arange(len(documents)), index=documents["doc_id"].to_numpy(object))
    n_chars = pd.Series(documents["n_chars"].to_numpy(np.int64),
                        index=documents["doc_id"].to_numpy(object))
    a_pos = alignments["a_id"].map(position).to_numpy()
    b_pos = alignments["b_id"].map(position).to_numpy()
    swap = b_pos < a_pos
    first = np.where(swap, alignments["b_id"], alignments["a_id"]).astype(object)
    second = np.where(swap, alignments["a_id"], alignments["b_id"]).astype(object)
    grouped = pd.DataFrame({
        "a_id": first, "b_id": second,
        "matched_tokens": alignments["matched_tokens"].to_numpy(np.int64),
        "tokens": (alignments["a_tokens"] + alignments["b_tokens"]).to_numpy(np.int64),
    }).groupby(["a_id", "b_id"], sort=False).agg(
        n_alignments=("tokens", "size"), matched_tokens=("matched_tokens", "sum"),
        tokens=("tokens", "sum"),
    ).reset_index()
    reused = directed_reuse(alignments).set_index(["doc", "other"])["reused_chars"]
    forward = pd.MultiIndex.from_arrays([grouped["a_id"], grouped["b_id"]])
    backward = pd.MultiIndex.from_arrays([grouped["b_id"], grouped["a_id"]])
    grouped["a_reused_chars"] = reused.reindex(forward).to_numpy(np.int64)
    grouped["b_reused_chars"] = reused.reindex(backward).to_numpy(np.int64)
    grouped["a_share"] = _share(grouped["a_reused_chars"], grouped["a_id"].map(n_chars))
    grouped["b_share"] = _share(grouped["b_reused_chars"], grouped["b_id"].map(n_chars))
    grouped["similarity"] = np.where(
        grouped["tokens"] > 0, 2 * grouped["matched_tokens"] / grouped["tokens"].clip(lower=1), 0.0
    )
    grouped["_top"] = np.maximum(grouped["a_share"], grouped["b_share"])
    grouped = grouped.sort_values(["_top", "a_id", "b_id"], ascending=[False, True, True],
                                  kind="stable")
    return grouped[PAIR_COLUMNS].reset_index(drop=True)


_PAIR_DTYPES = {
    "a_id": object, "b_id": object, "n_alignments": np.int64, "a_reused_chars": np.int64,
    "a_share": np.float64, "b_reused_chars": np.int64, "b_share": np.float64,
    "matched_tokens": np.int64, "similarity": np.float64,
}


def _share(reused: pd.Series, n_chars: pd.Series) -> np.ndarray:
    chars = n_chars.to_numpy(np.float64)
    return np.where(chars > 0, reused.to_numpy(np.float64) / np.maximum(chars, 1.0), 0.0)


def document_reuse(alignments: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Per document (in the order of ``documents``): ``reused_chars``, the characters inside a
    span aligned with any other document (overlaps counted once); ``share``, that over its
    length; and ``partners``, the number of documents it shares a passage with."""
    doc_ids = documents["doc_id"].to_numpy(object)
    n_chars = documents["n_chars"].to_numpy(np.float64)
    reused = np.zeros(len(doc_ids), dtype=np.int64)
    partners = np.zeros(len(doc_ids), dtype=np.int64)
    if not alignments.empty:
        position = pd.Series(np.arange(len(doc_ids)), index=doc_ids)
        directed = _directed(alignments)
        rows = directed["doc"].map(position).to_numpy()
        known = ~pd.isna(rows)
        rows = rows[known].astype(np.int64)
        lengths = union_lengths(rows, directed["start"].to_numpy()[known],
                                directed["end"].to_numpy()[known])
        reused[lengths.index.to_numpy(np.int64)] = lengths.to_numpy(np.int64)
        others = directed.loc[known, ["doc", "other"]].drop_duplicates()
        counts = others["doc"].map(position).value_counts()
        partners[counts.index.to_numpy(np.int64)] = counts.to_numpy(np.int64)
    share = np.where(n_chars > 0, reused / np.maximum(n_chars, 1.0), 0.0)
    return pd.DataFrame({"doc_id": doc_ids, "reused_chars": reused, "share": share,
                         "partners": partners})


def most_reusing(pairs: pd.DataFrame, limit: int) -> list[str]:
    """Up to ``limit`` document ids, largest summed shares (given and taken) first."""
    if pairs.empty or limit <= 0:
        return []
    score = pd.concat([
        pd.Series(pairs["a_share"].to_numpy() + pairs["b_share"].to_numpy(), index=pairs["a_id"]),
        pd.Series(pairs["a_share"].to_numpy() + pairs["b_share"].to_numpy(), index=pairs["b_id"]),
    ]).groupby(level=0).sum()
    ranked = score.reset_index().set_axis(["doc", "score"], axis=1).sort_values(
        ["score", "doc"], ascending=[False, True], kind="stable")
    return ranked["doc"].head(limit).tolist()


def reuse_matrix(
    alignments: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    labels: Sequence[str] | None = None,
    groups: pd.Series | None = None,
) -> ReuseMatrix:
    """The pair table and the dense reuse matrix of a run.

    ``documents`` needs ``doc_id`` and ``n_chars``. Without ``groups`` the matrix is over
    documents: ``labels`` chooses which (default: all, in table order). With ``groups`` (a Series
    mapping document id → group value, e.g. the ``source`` metadata), cell ``[g][h]`` is the
    share of all the characters of group ``g``'s documents that are reused in some document of
    group ``h``; documents without a value fall into the group ``"(none)"``.
    """
    pairs = pair_reuse(alignments, documents)
    doc_ids = documents["doc_id"].to_numpy(object)
    n_chars = pd.Series(documents["n_chars"].to_numpy(np.int64), index=doc_ids)
    if groups is None:
        directed = directed_reuse(alignments) if not alignments.empty else None
        names = list(doc_ids) if labels is None else list(labels)
        denominator = n_chars.reindex(names).fillna(0).to_numpy(np.float64)
        row_of = pd.Series(np.arange(len(names)), index=pd.Index(names, dtype=object))
    else:
        group_of = groups.reindex(doc_ids).fillna(NO_GROUP).astype(str)
        group_chars = n_chars.groupby(group_of.to_numpy()).sum()
        names = sorted(group_chars.index) if labels is None else list(labels)
        denominator = group_chars.reindex(names).fillna(0).to_numpy(np.float64)
        row_of = pd.Series(np.arange(len(names)), index=pd.Index(names, dtype=object))
        directed = None
        if not alignments.empty:
            per_doc = directed_reuse(alignments, other_key=group_of)
            per_doc["doc"] = per_doc["doc"].map(group_of).fillna(NO_GROUP)
            directed = per_doc.groupby(["doc", "other"], as_index=False)["reused_chars"].sum()
    values = np.zeros((len(names), len(names)), dtype=np.float64)
    if directed is not None and len(directed):
        rows = directed["doc"].map(row_of).to_numpy(np.float64)
        cols = directed["other"].map(row_of).to_numpy(np.float64)
        inside = ~(np.isnan(rows) | np.isnan(cols))
        r, c = rows[inside].astype(np.int64), cols[inside].astype(np.int64)
        values[r, c] = directed["reused_chars"].to_numpy(np.float64)[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(denominator[:, None] > 0, values / np.maximum(denominator, 1)[:, None],
                          0.0)
    if groups is None:
        np.fill_diagonal(values, np.nan)
    return ReuseMatrix(pairs, pd.DataFrame(values, index=names, columns=names))


def cluster_order(values: np.ndarray) -> np.ndarray:
    """Row order that puts blocks of mutual reuse next to each other.

    Average-linkage hierarchical clustering on the distance ``1 - max(M[i][j], M[j][i])``, with
    the leaves optimally ordered so that neighbours are similar.
    """
    n = len(values)
    if n < 3:
        return np.arange(n)
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    similarity = np.nan_to_num(np.maximum(values, values.T), nan=0.0)
    distance = np.clip(1.0 - similarity, 0.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    condensed = squareform(distance, checks=False)
    tree = linkage(condensed, method="average")
    if n <= 400:
        tree = optimal_leaf_ordering(tree, condensed)
    return leaves_list(tree)
