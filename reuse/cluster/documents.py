"""Verified pairs → near-duplicate clusters with one kept representative each.

Chaining guard: clusters are stars around their representative. Documents are visited in
representative-priority order; an unassigned document becomes a representative, and every
still-unassigned document with a *verified pair to it* joins its cluster. So A~B and B~C put C in
A's cluster only if C~A was verified too; otherwise C stays with B's neighbourhood or on its own.
Every member of a cluster is a near-duplicate of the document that is kept.

Representative priority, best first: earliest ``date`` (documents without a parseable date come
after dated ones), then the longest text, then the first seen in the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def parse_dates(dates: Sequence[object]) -> pd.Series:
    """Parse ``date`` metadata into UTC timestamps; unparseable or missing values become NaT.

    Values are parsed as text, one by one (``format="mixed"``): pandas would otherwise infer one
    format from the first value and turn other formats into NaT, and would read an integer
    ``1999`` as nanoseconds since 1970 rather than as a year.
    """
    import pandas as pd

    as_text = pd.Series([None if d is None else str(d) for d in dates], dtype=object)
    return pd.to_datetime(as_text, errors="coerce", utc=True, format="mixed")


def representative_priority(
    lengths: Sequence[int], dates: Sequence[object] | None = None
) -> np.ndarray:
    """Rank of each document as a representative (0 = best): earliest date, longest, first."""
    n = len(lengths)
    order_key_length = -np.asarray(lengths, dtype=np.int64)
    position = np.arange(n)
    if dates is not None:
        parsed = parse_dates(dates)
        missing = parsed.isna().to_numpy()
        # Integers in the parsed resolution; NaT rows are ordered by `missing` first anyway.
        instants = parsed.dt.tz_localize(None).to_numpy().astype(np.int64)
        stamp = np.where(missing, 0, instants)
        sort = np.lexsort((position, order_key_length, stamp, missing))
    else:
        sort = np.lexsort((position, order_key_length))
    rank = np.empty(n, dtype=np.int64)
    rank[sort] = position
    return rank


@dataclass(frozen=True)
class Clusters:
    """``cluster[i]`` and ``representative[i]`` (document indices) for each document ``i``."""

    cluster: np.ndarray
    representative: np.ndarray

    @property
    def keep(self) -> np.ndarray:
        return self.representative == np.arange(len(self.representative))


def star_clusters(
    n_docs: int, left: np.ndarray, right: np.ndarray, priority: np.ndarray
) -> Clusters:
    """Group documents into star clusters around their best-priority member (see module doc)."""
    representative = np.arange(n_docs, dtype=np.int64)
    if len(left):
        rows = np.concatenate((left, right))
        cols = np.concatenate((right, left))
        # Each document's neighbours, as a CSR adjacency list (numpy only: importing
        # scipy.sparse cost a cold start more than this whole step).
        neighbours_of = cols[np.argsort(rows, kind="stable")]
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        assigned = np.zeros(n_docs, dtype=bool)
        linked = np.unique(rows)
        for doc in linked[np.argsort(priority[linked], kind="stable")]:
            if assigned[doc]:
                continue
            assigned[doc] = True
            neighbours = neighbours_of[indptr[doc] : indptr[doc + 1]]
            free = neighbours[~assigned[neighbours]]
            assigned[free] = True
            representative[free] = doc
    # Number clusters in order of their representative's position in the input.
    _, cluster = np.unique(representative, return_inverse=True)
    return Clusters(cluster.astype(np.int64), representative)
