"""What the aligner returns: :class:`Alignment`, and the alignments table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import msgspec
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


class AlignmentRow(NamedTuple):
    """An :class:`Alignment` as the alignments table holds it: its edits already the table's
    JSON text. A corpus run keeps every alignment until the table is written; as rows they
    take about a fifth of the memory (a list of edit tuples is ~200 bytes per edit)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_tokens: int
    b_tokens: int
    matched_tokens: int
    similarity: float
    method: str
    edits: str


def alignment_row(al: Alignment | AlignmentRow) -> AlignmentRow:
    """``al`` as a row of the alignments table (a row is returned as it is)."""
    if isinstance(al, AlignmentRow):
        return al
    return AlignmentRow(al.a_start, al.a_end, al.b_start, al.b_end, al.a_tokens, al.b_tokens,
                        al.matched_tokens, al.similarity, al.method,
                        edits_json(al.edits))


def edits_json(edits: list[tuple[str, int, int, int, int]]) -> str:
    """The edits as the table holds them: a compact JSON array of arrays (what
    ``json.dumps(..., separators=(",", ":"))`` gives, made by msgspec in a tenth of the time)."""
    return msgspec.json.encode(edits).decode()


def alignments_frame(rows: Iterable[tuple[str, str, Alignment | AlignmentRow]]) -> pd.DataFrame:
    """``(a_id, b_id, alignment)`` rows → a DataFrame with the "alignments" table's columns."""
    from ..runfolder.schema import TABLES

    columns = list(TABLES["alignments"])
    records = []
    for a_id, b_id, al in rows:
        row = alignment_row(al)
        records.append((a_id, row.a_start, row.a_end, b_id, *row[2:]))
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype(
        {"a_start": "int64", "a_end": "int64", "b_start": "int64", "b_end": "int64",
         "a_tokens": "int64", "b_tokens": "int64", "matched_tokens": "int64",
         "similarity": "float64"}
    )
