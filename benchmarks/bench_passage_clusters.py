"""Passage clusters on the five English Bible versions, checked against the verse ids.

    .venv/bin/python benchmarks/bench_passage_clusters.py     # reuse run + check + scaling, writes results
    .venv/bin/python benchmarks/bench_passage_clusters.py --run-folder DIR --stored-label "before"
    .venv/bin/python benchmarks/bench_passage_clusters.py --run-folder DIR --scaling --no-write

Without ``--run-folder`` the script runs ``python -m reuse run ../shared/data/bible-en --out DIR
--no-report`` (DIR a temporary folder, or ``--out``) and checks its passages. With
``--run-folder`` it reuses a finished run folder of that corpus instead: its ``passages`` table is
checked as stored, and its ``alignments`` table is clustered again by this checkout's
:func:`reuse.cluster.passages.passage_clusters` (timed) and checked too. ``--baseline-folder`` adds the
stored passages of another run folder (e.g. one made by an earlier version) as a "before" row.
``--scaling N ...`` times ``passage_clusters`` on synthetic alignment tables of N rows (default
10^5 and 10^6; ``--scaling`` alone skips it).

Gold: every book file has a header line, then ``[chapter:verse] text`` lines; verse ids are the
same in the five versions. Each occurrence of a passage cluster is mapped to the verses it touches
(book, first verse .. last verse, after ``EDGE_SHARE`` of its length is left out at either end so
that an occurrence does not count the verse it merely ends in; verses are numbered by their rank
in the book). Two occurrences
*correspond* when

* **same verses**: they are in the same book and their verse ranges overlap by at least half of
  the shorter range;
* **known parallel**: their books hold a parallel passage of ``PARALLELS`` (standard synoptic
  references: Samuel/Kings ↔ Chronicles, 2 Kings 18–20 ↔ Isaiah 36–39, 2 Kings 25 ↔ Jeremiah
  52, Ezra 2 ↔ Nehemiah 7, Genesis ↔ 1 Chronicles 1, 2 Samuel 22 ↔ Psalm 18, the doubled
  Psalms, Psalms ↔ 1 Chronicles 16, the two Decalogues, the two tabernacle accounts, the twelve
  identical offerings of Numbers 7), each occurrence lies at least half inside its side of it,
  and the second occurrence's range, carried linearly onto the first side and widened by
  ``SLACK_VERSES``, overlaps the first's by at least half of the shorter;
* **same text**: otherwise, the King James texts of the two verse ranges (at most
  ``MAX_TEXT_VERSES`` verses each) have a longest common subsequence of words of at least
  ``TEXT_SHARED`` of the shorter — a repeat the table does not list (a formula such as "O give
  thanks unto the LORD; for he is good", the regnal formulae of Kings, a synoptic parallel of
  the gospels). The table gives coherence with and without this rule.

A cluster is *coherent* when every occurrence corresponds to the cluster's first occurrence (the
first document in input order, then the earliest position). The table gives the share of
clusters and of clustered characters (the summed lengths of the occurrences) in coherent
clusters, the share of characters in occurrences that correspond to their cluster's first one,
and the number of distinct books of the largest clusters.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz.distance import Indel

from reuse.cluster.passages import passage_clusters
from reuse.ingest.read import read_corpus
from reuse.runfolder.tables import read_manifest, read_table

ROOT = Path(__file__).resolve().parent.parent
BIBLE = ROOT.parent / "shared" / "data" / "bible-en"
RESULTS = Path(__file__).resolve().parent / "results_passage_clusters.md"
VERSE = re.compile(r"\[(\d+):(\d+)\]")
WORD = re.compile(r"\w+")
SLACK_VERSES = 2
MAX_TEXT_VERSES = 200
TEXT_SHARED = 0.6
EDGE_SHARE = 0.1
GOSPELS = {40, 41, 42}  # Matthew, Mark, Luke: their parallels are not in PARALLELS

# (book, verses, book, verses): "c:v-c:v", "c:v-v", "c" (a chapter) or "c-c" (chapters).
PARALLELS: list[tuple[str, str, str, str]] = [
    # Genealogies: 1 Chronicles 1-2 from Genesis and Ruth.
    ("1 Chronicles", "1:1-4", "Genesis", "5:1-32"),
    ("1 Chronicles", "1:5-23", "Genesis", "10:2-29"),
    ("1 Chronicles", "1:24-27", "Genesis", "11:10-26"),
    ("1 Chronicles", "1:28-31", "Genesis", "25:12-16"),
    ("1 Chronicles", "1:32-33", "Genesis", "25:1-4"),
    ("1 Chronicles", "1:34-54", "Genesis", "36:10-43"),
    ("1 Chronicles", "2:1-2", "Genesis", "35:22-26"),
    ("1 Chronicles", "2:10-15", "Ruth", "4:19-22"),
    ("1 Chronicles", "3:1-4", "2 Samuel", "3:2-5"),
    ("1 Chronicles", "3:5-8", "2 Samuel", "5:14-16"),
    ("1 Chronicles", "14:4-7", "2 Samuel", "5:14-16"),
    ("1 Chronicles", "3:5-8", "1 Chronicles", "14:4-7"),
    ("1 Chronicles", "6:54-81", "Joshua", "21:4-39"),
    ("1 Chronicles", "9:1-17", "Nehemiah", "11:3-19"),
    ("1 Chronicles", "8:29-38", "1 Chronicles", "9:35-44"),
    # Samuel ↔ Chronicles.
    ("1 Chronicles", "10:1-12", "1 Samuel", "31:1-13"),
    ("1 Chronicles", "11:1-9", "2 Samuel", "5:1-10"),
    ("1 Chronicles", "11:10-47", "2 Samuel", "23:8-39"),
    ("1 Chronicles", "13:1-14", "2 Samuel", "6:1-11"),
    ("1 Chronicles", "14:1-17", "2 Samuel", "5:11-25"),
    ("1 Chronicles", "15:25-16:3", "2 Samuel", "6:12-19"),
    ("1 Chronicles", "16:43", "2 Samuel", "6:19-20"),
    ("1 Chronicles", "17:1-27", "2 Samuel", "7:1-29"),
    ("1 Chronicles", "18:1-17", "2 Samuel", "8:1-18"),
    ("1 Chronicles", "19:1-19", "2 Samuel", "10:1-19"),
    ("1 Chronicles", "20:1", "2 Samuel", "11:1"),
    ("1 Chronicles", "20:2-3", "2 Samuel", "12:30-31"),
    ("1 Chronicles", "20:4-8", "2 Samuel", "21:18-22"),
    ("1 Chronicles", "21:1-27", "2 Samuel", "24:1-25"),
    ("1 Chronicles", "29:26-28", "1 Kings", "2:10-12"),
    # Kings ↔ Chronicles.
    ("2 Chronicles", "1:2-13", "1 Kings", "3:4-15"),
    ("2 Chronicles", "1:14-17", "1 Kings", "10:26-29"),
    ("2 Chronicles", "9:25-28", "1 Kings", "10:26-29"),
    ("2 Chronicles", "1:14-17", "2 Chronicles", "9:25-28"),
    ("2 Chronicles", "2:1-18", "1 Kings", "5:1-18"),
    ("2 Chronicles", "3:1-4", "1 Kings", "6:1-3"),
    ("2 Chronicles", "3:8-13", "1 Kings", "6:20-28"),
    ("2 Chronicles", "3:15-17", "1 Kings", "7:15-22"),
    ("2 Chronicles", "4:2-5", "1 Kings", "7:23-26"),
    ("2 Chronicles", "4:6-18", "1 Kings", "7:38-47"),
    ("2 Chronicles", "4:19-5:1", "1 Kings", "7:48-51"),
    ("2 Chronicles", "5:2-7:10", "1 Kings", "8:1-66"),
    ("2 Chronicles", "7:11-22", "1 Kings", "9:1-9"),
    ("2 Chronicles", "8:1-18", "1 Kings", "9:10-28"),
    ("2 Chronicles", "9:1-24", "1 Kings", "10:1-25"),
    ("2 Chronicles", "9:29-31", "1 Kings", "11:41-43"),
    ("2 Chronicles", "10:1-11:4", "1 Kings", "12:1-24"),
    ("2 Chronicles", "12:1-16", "1 Kings", "14:21-31"),
    ("2 Chronicles", "13:1-23", "1 Kings", "15:1-8"),
    ("2 Chronicles", "14:1-5", "1 Kings", "15:9-12"),
    ("2 Chronicles", "15:16-18", "1 Kings", "15:13-15"),
    ("2 Chronicles", "16:1-6", "1 Kings", "15:16-22"),
    ("2 Chronicles", "16:11-14", "1 Kings", "15:23-24"),
    ("2 Chronicles", "18:1-34", "1 Kings", "22:1-35"),
    ("2 Chronicles", "20:31-21:1", "1 Kings", "22:41-50"),
    ("2 Chronicles", "21:5-20", "2 Kings", "8:17-24"),
    ("2 Chronicles", "22:1-6", "2 Kings", "8:24-29"),
    ("2 Chronicles", "22:7-9", "2 Kings", "9:21-28"),
    ("2 Chronicles", "22:10-23:21", "2 Kings", "11:1-21"),
    ("2 Chronicles", "24:1-27", "2 Kings", "12:1-21"),
    ("2 Chronicles", "25:1-28", "2 Kings", "14:1-20"),
    ("2 Chronicles", "26:1-2", "2 Kings", "14:21-22"),
    ("2 Chronicles", "26:3-23", "2 Kings", "15:2-7"),
    ("2 Chronicles", "27:1-9", "2 Kings", "15:33-38"),
    ("2 Chronicles", "28:1-27", "2 Kings", "16:1-20"),
    ("2 Chronicles", "29:1-2", "2 Kings", "18:1-3"),
    ("2 Chronicles", "32:1-8", "2 Kings", "18:13-16"),
    ("2 Chronicles", "32:9-19", "2 Kings", "18:17-37"),
    ("2 Chronicles", "32:20-23", "2 Kings", "19:1-37"),
    ("2 Chronicles", "32:24-26", "2 Kings", "20:1-11"),
    ("2 Chronicles", "32:27-31", "2 Kings", "20:12-19"),
    ("2 Chronicles", "32:32-33", "2 Kings", "20:20-21"),
    ("2 Chronicles", "33:1-20", "2 Kings", "21:1-18"),
    ("2 Chronicles", "33:21-25", "2 Kings", "21:19-26"),
    ("2 Chronicles", "34:1-2", "2 Kings", "22:1-2"),
    ("2 Chronicles", "34:3-7", "2 Kings", "23:4-20"),
    ("2 Chronicles", "34:8-28", "2 Kings", "22:3-20"),
    ("2 Chronicles", "34:29-33", "2 Kings", "23:1-3"),
    ("2 Chronicles", "35:1-19", "2 Kings", "23:21-23"),
    ("2 Chronicles", "35:20-27", "2 Kings", "23:28-30"),
    ("2 Chronicles", "36:1-13", "2 Kings", "23:30-24:20"),
    ("2 Chronicles", "36:22-23", "Ezra", "1:1-3"),
    # Kings ↔ prophets, Ezra ↔ Nehemiah.
    ("2 Kings", "18:13-20:19", "Isaiah", "36:1-39:8"),
    ("2 Kings", "24:18-25:30", "Jeremiah", "52:1-34"),
    ("2 Kings", "25:1-12", "Jeremiah", "39:1-10"),
    ("2 Kings", "25:22-26", "Jeremiah", "40:7-41:18"),
    ("Jeremiah", "39:1-10", "Jeremiah", "52:4-16"),
    ("Isaiah", "2:2-4", "Micah", "4:1-3"),
    ("Ezra", "2:1-70", "Nehemiah", "7:6-73"),
    # Psalms.
    ("2 Samuel", "22:1-51", "Psalms", "18:1-50"),
    ("Psalms", "14:1-7", "Psalms", "53:1-6"),
    ("Psalms", "40:13-17", "Psalms", "70:1-5"),
    ("Psalms", "57:7-11", "Psalms", "108:1-5"),
    ("Psalms", "60:5-12", "Psalms", "108:6-13"),
    ("Psalms", "31:1-3", "Psalms", "71:1-3"),
    ("Psalms", "115:4-8", "Psalms", "135:15-18"),
    ("1 Chronicles", "16:8-22", "Psalms", "105:1-15"),
    ("1 Chronicles", "16:23-33", "Psalms", "96:1-13"),
    ("1 Chronicles", "16:34", "Psalms", "106:1"),
    ("1 Chronicles", "16:35-36", "Psalms", "106:47-48"),
    # Law and history: the sons of Levi, the daughters of Zelophehad, the Decalogue, clean
    # animals, the tabernacle ordered (Exodus 25-31) and made (35-40).
    ("Exodus", "6:16-25", "1 Chronicles", "6:1-3"),
    ("Exodus", "6:16-19", "1 Chronicles", "6:16-19"),
    ("Exodus", "6:16-19", "Numbers", "3:17-20"),
    ("Numbers", "3:17-20", "1 Chronicles", "6:16-19"),
    ("Numbers", "27:1-11", "Joshua", "17:3-6"),
    ("Exodus", "20:2-17", "Deuteronomy", "5:6-21"),
    ("Exodus", "29:1-37", "Leviticus", "8:1-36"),
    ("Leviticus", "23:4-8", "Numbers", "28:16-25"),
    ("Leviticus", "23:23-25", "Numbers", "29:1-6"),
    ("Leviticus", "23:26-32", "Numbers", "29:7-11"),
    ("Leviticus", "23:33-36", "Numbers", "29:12-38"),
    ("Joshua", "15:13-19", "Judges", "1:10-15"),
    ("Joshua", "17:11-13", "Judges", "1:27-28"),
    ("Joshua", "15:63", "Judges", "1:21"),
    ("Joshua", "16:10", "Judges", "1:29"),
    ("Leviticus", "11:2-23", "Deuteronomy", "14:3-20"),
    ("Exodus", "25:10-40", "Exodus", "37:1-24"),
    ("Exodus", "26:1-37", "Exodus", "36:8-38"),
    ("Exodus", "27:1-8", "Exodus", "38:1-7"),
    ("Exodus", "27:9-19", "Exodus", "38:9-20"),
    ("Exodus", "28:1-43", "Exodus", "39:1-31"),
    ("Exodus", "30:1-10", "Exodus", "37:25-28"),
    ("Exodus", "30:22-38", "Exodus", "37:29"),
    ("Exodus", "31:1-11", "Exodus", "35:30-36:1"),
    ("Exodus", "31:12-17", "Exodus", "35:1-3"),
]
# Passages repeated word for word inside one book: each range is parallel to every other.
REPEATS: list[tuple[str, list[str]]] = [
    ("Numbers", [f"7:{12 + 6 * day}-{17 + 6 * day}" for day in range(12)]),
]


@dataclass
class Book:
    number: int
    name: str
    keys: np.ndarray  # King James verse keys (chapter * 1000 + verse) of the book, in order


@dataclass
class Gold:
    """Verse coordinates of every document of the corpus."""

    doc_book: dict[str, int]
    line_starts: dict[str, np.ndarray]
    line_ordinal: dict[str, np.ndarray]  # verse ordinal (rank in the file) of each line
    books: dict[int, Book]
    kjv_verses: dict[int, list[str]]  # King James text of each canonical verse
    parallels: dict[tuple[int, int], list[tuple[int, int, int, int]]] = field(default_factory=dict)


def _book_of(doc_id: str) -> tuple[int, str]:
    name = doc_id.split("/")[-1].split(" - ")[0]
    number, _, title = name.partition(" ")
    return int(number), title


def read_gold(ids: list[str], texts: list[str]) -> Gold:
    """Verse coordinates of every document. A verse's ordinal is its rank in its own file:
    BBE numbers some verses differently (Hebrew chapter breaks: Joel 2:28 is its 3:1), but
    every version has the same verses in the same order (3 John aside, where BBE has one
    verse more at the end), so ranks match across versions and the King James verse ids name
    them."""
    names: dict[int, str] = {}
    kjv_keys: dict[int, np.ndarray] = {}
    line_starts: dict[str, np.ndarray] = {}
    line_ordinal: dict[str, np.ndarray] = {}
    doc_book: dict[str, int] = {}
    for doc_id, text in zip(ids, texts, strict=True):
        number, title = _book_of(doc_id)
        names[number] = title
        doc_book[doc_id] = number
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        keys = []
        for start in starts:
            match = VERSE.match(text, start)
            keys.append(int(match[1]) * 1000 + int(match[2]) if match else -1)
        is_verse = np.asarray(keys) >= 0
        # The header line belongs to the first verse; a line that is no verse to the one before.
        line_ordinal[doc_id] = np.maximum(np.cumsum(is_verse) - 1, 0)
        line_starts[doc_id] = np.asarray(starts, dtype=np.int64)
        if doc_id.startswith("KJV/"):
            kjv_keys[number] = np.asarray(keys)[is_verse]
    books = {n: Book(n, names[n], kjv_keys[n]) for n in names}
    kjv_verses: dict[int, list[str]] = {}
    for doc_id, text in zip(ids, texts, strict=True):
        if doc_id.startswith("KJV/"):
            book = books[doc_book[doc_id]]
            verses = [""] * len(book.keys)
            lines = text.split("\n")
            for line, ordinal in zip(lines[1:], line_ordinal[doc_id][1:].tolist(), strict=True):
                verses[ordinal] += " " + VERSE.sub("", line, count=1)
            kjv_verses[doc_book[doc_id]] = verses
    gold = Gold(doc_book, line_starts, line_ordinal, books, kjv_verses)
    by_name = {b.name: b for b in books.values()}
    entries = list(PARALLELS)
    for name, ranges in REPEATS:
        entries += [(name, x, name, y) for i, x in enumerate(ranges) for y in ranges[i + 1:]]
    for name_a, verses_a, name_b, verses_b in entries:
        a, b = by_name[name_a], by_name[name_b]
        lo_a, hi_a = _ordinals(a, verses_a)
        lo_b, hi_b = _ordinals(b, verses_b)
        gold.parallels.setdefault((a.number, b.number), []).append((lo_a, hi_a, lo_b, hi_b))
        gold.parallels.setdefault((b.number, a.number), []).append((lo_b, hi_b, lo_a, hi_a))
    return gold


def _ordinals(book: Book, verses: str) -> tuple[int, int]:
    """Canonical ordinals (inclusive) of "c:v-c:v", "c:v-v", "c:v", "c" or "c-c"."""
    first, _, last = verses.partition("-")
    if ":" in first:
        chapter, verse = map(int, first.split(":"))
        start = chapter * 1000 + verse
        if not last:
            end = start
        elif ":" in last:
            c, v = map(int, last.split(":"))
            end = c * 1000 + v
        else:
            end = chapter * 1000 + int(last)
    else:
        start = int(first) * 1000
        end = int(last or first) * 1000 + 999
    lo = int(np.searchsorted(book.keys, start))
    hi = int(np.searchsorted(book.keys, end, side="right")) - 1
    if hi < lo:
        raise ValueError(f"{book.name} {verses}: no such verses")
    return lo, hi


def _overlaps(lo1: float, hi1: float, lo2: float, hi2: float, shorter: float) -> bool:
    return min(hi1, hi2) - max(lo1, lo2) + 1 >= 0.5 * shorter


def _words(gold: Gold, book: int, lo: int, hi: int) -> list[str]:
    return WORD.findall(" ".join(gold.kjv_verses[book][lo:hi + 1]).lower())


def correspondence(gold: Gold, one: tuple[int, int, int], two: tuple[int, int, int]) -> str | None:
    """How two occurrences (book, first verse, last verse) correspond: 'verses', 'parallel',
    'text', or None."""
    (b1, lo1, hi1), (b2, lo2, hi2) = one, two
    len1, len2 = hi1 - lo1 + 1, hi2 - lo2 + 1
    if b1 == b2 and _overlaps(lo1, hi1, lo2, hi2, min(len1, len2)):
        return "verses"
    for p_lo, p_hi, q_lo, q_hi in gold.parallels.get((b1, b2), []):
        c1_lo, c1_hi = max(lo1, p_lo), min(hi1, p_hi)
        c2_lo, c2_hi = max(lo2, q_lo), min(hi2, q_hi)
        if c1_hi - c1_lo + 1 < 0.5 * len1 or c2_hi - c2_lo + 1 < 0.5 * len2:
            continue
        ratio = (p_hi - p_lo + 1) / (q_hi - q_lo + 1)
        m_lo = p_lo + (c2_lo - q_lo) * ratio
        m_hi = p_lo + (c2_hi + 1 - q_lo) * ratio - 1
        shorter = min(c1_hi - c1_lo + 1, max(m_hi - m_lo + 1, 1))
        if _overlaps(c1_lo, c1_hi, m_lo - SLACK_VERSES, m_hi + SLACK_VERSES, shorter):
            return "parallel"
    if len1 <= MAX_TEXT_VERSES and len2 <= MAX_TEXT_VERSES:
        words1, words2 = _words(gold, b1, lo1, hi1), _words(gold, b2, lo2, hi2)
        common = (len(words1) + len(words2) - Indel.distance(words1, words2)) // 2
        if common >= TEXT_SHARED * min(len(words1), len(words2)):
            return "text"
    return None


def verse_ranges(gold: Gold, passages: pd.DataFrame) -> pd.DataFrame:
    """Book, first and last verse ordinal of every occurrence."""
    books, firsts, lasts = [], [], []
    for doc_id, group in passages.groupby("doc_id", sort=False):
        starts = gold.line_starts[doc_id]
        ordinal = gold.line_ordinal[doc_id]
        start, end = group["start"].to_numpy(), group["end"].to_numpy()
        edge = ((end - start) * EDGE_SHARE).astype(np.int64)
        first = ordinal[np.searchsorted(starts, start + edge, side="right") - 1]
        last = ordinal[np.searchsorted(starts, end - 1 - edge, side="right") - 1]
        books.append(pd.Series(gold.doc_book[doc_id], index=group.index))
        firsts.append(pd.Series(first, index=group.index))
        lasts.append(pd.Series(last, index=group.index))
    out = passages.copy()
    out["book"] = pd.concat(books)
    out["first"] = pd.concat(firsts)
    out["last"] = pd.concat(lasts)
    return out


@dataclass
class Check:
    label: str
    clusters: int
    boilerplate: int
    coherent_clusters: float
    coherent_chars: float
    strict_clusters: float
    strict_chars: float
    corresponding_chars: float
    gospel_share_of_strict_gap: float
    max_books: int
    max_books_incoherent: int
    max_occurrences: int
    max_docs: int
    seconds: float | None
    largest: list[str]


def check(label: str, gold: Gold, passages: pd.DataFrame, seconds: float | None) -> Check:
    ranged = verse_ranges(gold, passages)
    ranged["chars"] = ranged["end"] - ranged["start"]
    ranged = ranged.sort_values(["passage_id", "doc_id", "start"], kind="stable")
    memo: dict[tuple[tuple[int, int, int], tuple[int, int, int]], str | None] = {}
    kinds = []
    # The first occurrence of each cluster: the first document in input order (the table is
    # ordered by passage, then document position), then the earliest start.
    first_rows = passages.groupby("passage_id").head(1).set_index("passage_id")
    reference_doc = first_rows["doc_id"]
    reference_start = first_rows["start"]
    reference_of: dict[int, tuple[int, int, int]] = {}
    for row in ranged.itertuples():
        if row.doc_id == reference_doc[row.passage_id] and row.start == reference_start[row.passage_id]:
            reference_of[row.passage_id] = (row.book, row.first, row.last)
    for row in ranged.itertuples():
        key = (reference_of[row.passage_id], (row.book, row.first, row.last))
        if key not in memo:
            memo[key] = correspondence(gold, *key)
        kinds.append(memo[key])
    ranged["kind"] = kinds
    ranged["corresponds"] = ranged["kind"].notna()
    ranged["strict"] = ranged["kind"].isin(["verses", "parallel"])
    per_cluster = ranged.groupby("passage_id").agg(
        coherent=("corresponds", "all"), strict=("strict", "all"), chars=("chars", "sum"),
        books=("book", "nunique"), occurrences=("doc_id", "size"), docs=("doc_id", "nunique"),
        boilerplate=("boilerplate", "any"),
        gospels=("book", lambda b: bool(set(b.tolist()) & GOSPELS)),
    )
    total_chars = per_cluster["chars"].sum()
    incoherent = per_cluster[~per_cluster["coherent"]]
    strict_gap = per_cluster[~per_cluster["strict"]]
    largest = []
    for pid, row in per_cluster.sort_values(["books", "chars"], ascending=False).head(5).iterrows():
        names = sorted({gold.books[b].name for b in ranged.loc[ranged["passage_id"] == pid, "book"]})
        largest.append(f"#{pid}: {row['occurrences']} occurrences, {row['docs']} documents, "
                       f"{row['chars']:,} characters, {'coherent' if row['coherent'] else 'NOT coherent'}"
                       f": {', '.join(names)}")
    coherent = per_cluster[per_cluster["coherent"]]
    return Check(
        label=label,
        clusters=len(per_cluster),
        boilerplate=int(per_cluster["boilerplate"].sum()),
        coherent_clusters=float(per_cluster["coherent"].mean()),
        coherent_chars=float(coherent["chars"].sum() / total_chars),
        strict_clusters=float(per_cluster["strict"].mean()),
        strict_chars=float(per_cluster.loc[per_cluster["strict"], "chars"].sum() / total_chars),
        corresponding_chars=float(ranged.loc[ranged["corresponds"], "chars"].sum() / ranged["chars"].sum()),
        gospel_share_of_strict_gap=float(
            strict_gap.loc[strict_gap["gospels"], "chars"].sum() / max(strict_gap["chars"].sum(), 1)),
        max_books=int(per_cluster["books"].max()),
        max_books_incoherent=int(incoherent["books"].max()) if len(incoherent) else 0,
        max_occurrences=int(per_cluster["occurrences"].max()),
        max_docs=int(per_cluster["docs"].max()),
        seconds=seconds,
        largest=largest,
    )


def run_from_scratch(corpus: Path, out: Path) -> float:
    command = [sys.executable, "-m", "reuse", "run", str(corpus), "--out", str(out), "--no-report"]
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - started


def recluster(folder: Path, ids: list[str], texts: list[str]) -> tuple[pd.DataFrame, float, int]:
    alignments = read_table(folder, "alignments")
    manifest = read_manifest(folder)
    passages_config = manifest["config"]["passages"]
    started = time.perf_counter()
    passages = passage_clusters(
        alignments, ids, boilerplate_docs=passages_config["boilerplate_docs"],
        boilerplate_share=passages_config["boilerplate_share"], texts=texts,
    )
    return passages, time.perf_counter() - started, len(alignments)


def synthetic_alignments(n_alignments: int, kind: str, seed: int = 1) -> tuple[pd.DataFrame, list[str]]:
    """A table of ``n_alignments`` random alignments with three edits each.

    ``scattered``: spans of 100-2,000 characters between random pairs of one document per ten
    alignments (50,000 characters each). ``hub``: one 2,000-character passage of document 0
    aligned with every other document, its ends jittered by up to 200 characters, so that its
    span holds hundreds of distinct cuts (boilerplate found with slightly different bounds).
    """
    rng = np.random.default_rng(seed)
    n_docs = max(n_alignments // 10, 2) if kind == "scattered" else n_alignments + 1
    if kind == "scattered":
        a = rng.integers(0, n_docs, n_alignments)
        b = (a + rng.integers(1, n_docs, n_alignments)) % n_docs
        length = rng.integers(100, 2000, n_alignments)
        a_start = rng.integers(0, 48_000, n_alignments)
        b_start = rng.integers(0, 48_000, n_alignments)
        a_end, b_end = a_start + length, b_start + length + rng.integers(-50, 50, n_alignments)
    else:
        a = np.zeros(n_alignments, dtype=np.int64)
        b = np.arange(1, n_alignments + 1)
        a_start = 10_000 + rng.integers(0, 200, n_alignments)
        a_end = 12_000 - rng.integers(0, 200, n_alignments)
        b_start = rng.integers(0, 5_000, n_alignments)
        b_end = b_start + (a_end - a_start)
    quarter_a = a_start + (a_end - a_start) // 4
    quarter_b = b_start + (b_end - b_start) // 4
    edits = [f'[["replace",{x},{x + 5},{y},{y + 6}],["delete",{x + 40},{x + 44},{y + 41},{y + 41}],'
             f'["insert",{x + 90},{x + 90},{y + 87},{y + 95}]]'
             for x, y in zip(quarter_a.tolist(), quarter_b.tolist(), strict=True)]
    ids = [f"doc{i:07d}" for i in range(n_docs)]
    frame = pd.DataFrame({"a_id": np.asarray(ids)[a], "a_start": a_start, "a_end": a_end,
                          "b_id": np.asarray(ids)[b], "b_start": b_start, "b_end": b_end,
                          "edits": edits})
    return frame, ids


def scaling(sizes: list[int]) -> list[str]:
    lines = ["", "## Scaling: synthetic alignment tables", "",
             "`passage_clusters` alone (no texts), on tables made by `synthetic_alignments` "
             "(see the script). Seconds are wall time in this process, load average "
             f"{os.getloadavg()[0]:.1f} at the start.", "",
             "| layout | alignments | documents | occurrences | clusters | seconds |",
             "|---|---|---|---|---|---|"]
    for kind in ("scattered", "hub"):
        for n in sizes:
            frame, ids = synthetic_alignments(n, kind)
            started = time.perf_counter()
            passages = passage_clusters(frame, ids)
            seconds = time.perf_counter() - started
            lines.append(f"| {kind} | {n:,} | {len(ids):,} | {len(passages):,} | "
                         f"{passages['passage_id'].nunique():,} | {seconds:.1f} |")
            print(lines[-1], flush=True)
    return lines


def render(checks: Iterable[Check], command: str, n_alignments: int, run_seconds: float | None) -> str:
    checks = list(checks)
    lines = [
        "# Passage clusters on the five English Bible versions, checked against verse ids",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} when the table was written (other jobs share "
        "the cores; times are wall clock). "
        f"Corpus: `../shared/data/bible-en` (330 books). Alignments clustered: {n_alignments:,}."
        + (f" `reuse run --no-report` took {run_seconds:.0f} s." if run_seconds else ""),
        "",
        "How a cluster is checked (the verse ids are the gold; see the script's docstring): a "
        "cluster is coherent when every occurrence covers the same verses as the cluster's first "
        "occurrence (overlap of at least half), or their parallel in a table of standard synoptic "
        "parallels, or the same King James text (a longest common subsequence of at least 0.6 of "
        "the shorter's words; a column apart).",
        "",
        "| passages | clusters | boilerplate | coherent clusters (verses + table) | characters in "
        "coherent clusters (verses + table) | coherent clusters (+ same text) | characters in "
        "coherent clusters (+ same text) | characters corresponding to their cluster's first "
        "occurrence | most books in a cluster | most books in an incoherent cluster "
        "| most occurrences | most documents | seconds to cluster |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        seconds = f"{c.seconds:.1f}" if c.seconds is not None else "–"
        lines.append(
            f"| {c.label} | {c.clusters:,} | {c.boilerplate} | {c.strict_clusters:.4f} | "
            f"{c.strict_chars:.4f} | {c.coherent_clusters:.4f} | {c.coherent_chars:.4f} | "
            f"{c.corresponding_chars:.4f} | {c.max_books} | {c.max_books_incoherent} | "
            f"{c.max_occurrences:,} | {c.max_docs} | {seconds} |")
    lines += ["", "Share of the characters of clusters incoherent under verses + table that lie in "
              "clusters touching Matthew, Mark or Luke (synoptic parallels, not in the table): "
              + ", ".join(f"{c.label} {c.gospel_share_of_strict_gap:.2f}" for c in checks) + "."]
    for c in checks:
        lines += ["", f"Clusters spanning the most books, {c.label}:", ""]
        lines += [f"- {line}" for line in c.largest]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-folder", type=Path,
                        help="a finished `reuse run` folder of bible-en to reuse")
    parser.add_argument("--stored-label", default="stored in the run folder",
                        help="how to name the run folder's own passages in the table")
    parser.add_argument("--baseline-folder", type=Path,
                        help="another run folder whose stored passages are checked as 'before'")
    parser.add_argument("--out", type=Path, help="where to run `reuse run` (default: a temporary folder)")
    parser.add_argument("--corpus", type=Path, default=BIBLE,
                        help="the bible-en folder (default: ../shared/data/bible-en)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--scaling", type=int, nargs="*", default=[100_000, 1_000_000],
                        help="synthetic alignment-table sizes to time (none: skip)")
    args = parser.parse_args()

    command = "python " + shlex.join(["benchmarks/bench_passage_clusters.py", *sys.argv[1:]])
    run_seconds = None
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.run_folder
        if folder is None:
            folder = args.out or Path(scratch) / "bible"
            run_seconds = run_from_scratch(args.corpus, folder)
        corpus = read_corpus(args.corpus)
        gold = read_gold(corpus.ids, corpus.texts)
        checks = []
        if args.baseline_folder is not None:
            checks.append(check(f"stored in {args.baseline_folder.name} (before)", gold,
                                read_table(args.baseline_folder, "passages"), None))
        if args.run_folder is not None:
            checks.append(check(args.stored_label, gold, read_table(folder, "passages"), None))
        passages, seconds, n_alignments = recluster(folder, corpus.ids, corpus.texts)
        checks.append(check("this checkout's passage_clusters", gold, passages, seconds))
    report = render(checks, command, n_alignments, run_seconds)
    print(report)
    if args.scaling:
        report += "\n".join(scaling(args.scaling)) + "\n"
    if not args.no_write:
        args.results.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    from reuse.engine.allocator import reusable_heap

    with reusable_heap():  # as the reuse command runs; the API leaves malloc alone
        main()
