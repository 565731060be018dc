"""What the aligner returns: :class:`Alignment`, and the alignments table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Alignment:
    """One reused passage: ``a_text[a_start:a_end]`` reuses ``b_text[b_start:b_end]``.

    All offsets are half-open code-point offsets into the raw text. ``a_tokens``/``b_tokens``
    count the tokens inside each span, ``matched_tokens`` those equal on both sides after
    normalization, and ``similarity = 2 * matched_tokens / (a_tokens + b_tokens)``. ``method``
    is ``'lexical'`` (found from shared n-grams) or ``'paraphrase'`` (sentence TF-IDF).
    ``edits`` lists ``(op, a_start, a_end, b_start, b_end)`` raw-text edits inside the passage
    (op ``'replace'``, ``'insert'`` or ``'delete'``); an empty side has ``start == end``.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_tokens: int
    b_tokens: int
    matched_tokens: int
    similarity: float
    method: str
    edits: list[tuple[str, int, int, int, int]]


_ALIGNMENT_FIELDS = tuple(f.name for f in fields(Alignment))


def alignments_from_columns(*columns: Iterable[Any]) -> list[Alignment]:
    """``Alignment(*row)`` for each row of the field ``columns``, without the dataclass
    ``__init__`` (which sets each field through ``object.__setattr__``, as frozen dataclasses
    do): the same objects, about twice as fast to make."""
    new = object.__new__
    out = []
    for row in zip(*columns, strict=True):
        alignment = new(Alignment)
        alignment.__dict__.update(zip(_ALIGNMENT_FIELDS, row, strict=True))
        out.append(alignment)
    return out


def alignments_frame(rows: list[tuple[str, str, Alignment]]) -> pd.DataFrame:
    """``(a_id, b_id, alignment)`` rows → a DataFrame with the "alignments" table's columns."""
    from ..runfolder.schema import TABLES

    columns = list(TABLES["alignments"])
    records = []
    for a_id, b_id, al in rows:
        record = {f.name: getattr(al, f.name) for f in fields(al)}
        record["edits"] = json.dumps([list(e) for e in al.edits], separators=(",", ":"))
        records.append({"a_id": a_id, "b_id": b_id, **record})
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype(
        {"a_start": "int64", "a_end": "int64", "b_start": "int64", "b_end": "int64",
         "a_tokens": "int64", "b_tokens": "int64", "matched_tokens": "int64",
         "similarity": "float64"}
    )
