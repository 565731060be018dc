"""Alignment of whole books of the Bible across English versions, checked against verse ids.

    taskset -c 1 .venv/bin/python benchmarks/bench_bible.py     # writes results_bible.md
    .venv/bin/python benchmarks/bench_bible.py --books 5 --no-write

KJV → ASV (1901) → WEB is a real revision lineage (``../shared/data/README.md``): long verbatim
runs with light edits in KJV/ASV, a modernised text with footnotes in WEB. Each book of one
version is aligned with the same book of another, whole (not verse by verse), and every pair of
words the alignment matches is checked against the verse ids, which nobody on the team made:

* *precision*: the share of matched word pairs whose two words lie in the same verse;
* *recall*: matched pairs in the same verse over the words the two texts of each verse have in
  common (their longest common subsequence of tokens, verse by verse: the most any alignment
  could match without crossing a verse);
* *repeats*: pairs that place a word in another verse while the word is also matched in its own
  verse. Books repeat passages (Exodus describes the tabernacle twice), and an alignment of
  passages finds each repeat; these pairs are counted apart, not as errors. Every other pair
  that crosses verses counts against precision.

Methods, all on the same token hashes (tokenizing is not timed):

* ``reuse lexical (align_batch)``: :func:`reuse.align.aligner.align_batch`, ``paraphrase=False``; its
  matched pairs are the passage tokens outside the edits of each alignment;
* ``reuse default (align_batch)``: the same with sentence TF-IDF seeds;
* ``reuse run path (bands)``: what ``reuse run`` does with the two versions: passage-window
  fingerprints and candidates (:func:`reuse.pipeline.sketch_corpus`,
  :func:`reuse.sketch.windows.passage_candidates`), then :func:`reuse.pipeline.align_documents` on
  the seed bands (:mod:`reuse.align.bands`), ``paraphrase=False``; only the alignments of the same
  book are scored (the run also aligns the parallels between books). Timed from the texts.
* ``rapidfuzz Indel``: ``Indel.opcodes`` on the two whole token sequences, every ``equal`` block.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Indel

from reuse.align.aligner import align_batch
from reuse.align.alignment import Alignment
from reuse.align.config import AlignConfig
from reuse.config import DedupConfig, PassageConfig, TokenizeConfig
from reuse.ingest import Corpus
from reuse.pipeline import align_documents, sketch_corpus
from reuse.sketch.windows import passage_candidates
from reuse.text.tokenize import Tokens, tokenize, tokenize_batch

ROOT = Path(__file__).resolve().parent.parent
BIBLE = Path(os.environ.get("REUSE_BIBLE", ROOT.parent / "shared" / "data" / "bible-en"))
VERSE = re.compile(r"^\[(\d+):(\d+)\] ?(.*)$")


@dataclass
class Book:
    name: str
    text: str
    tokens: Tokens
    verse_of_token: np.ndarray  # verse key (chapter * 1000 + verse) of each token


def read_book(path: Path) -> Book:
    """The verses of one book file joined by newlines, and the verse of each token."""
    parts, keys, starts = [], [], []
    offset = 0
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        match = VERSE.match(line)
        if not match:
            continue
        chapter, verse, text = int(match[1]), int(match[2]), match[3]
        parts.append(text)
        keys.append(chapter * 1000 + verse)
        starts.append(offset)
        offset += len(text) + 1
    text = "\n".join(parts)
    tokens = tokenize(text)
    verse_index = np.searchsorted(np.asarray(starts), tokens.starts, "right") - 1
    return Book(path.name.split(" - ")[0], text, tokens, np.asarray(keys)[verse_index])


def read_version(version: str, books: int) -> list[Book]:
    files = sorted((BIBLE / version).glob("*.txt"), key=lambda p: int(p.name.split()[0]))
    return [read_book(path) for path in files[:books]]


def verse_lcs(a: Book, b: Book) -> int:
    """Tokens the two books have in common verse by verse (longest common subsequence)."""
    total = 0
    a_keys, b_keys = a.verse_of_token, b.verse_of_token
    a_hashes, b_hashes = a.tokens.hashes, b.tokens.hashes
    for key in np.intersect1d(a_keys, b_keys).tolist():
        x = a_hashes[a_keys == key].tolist()
        y = b_hashes[b_keys == key].tolist()
        total += (len(x) + len(y) - Indel.distance(x, y)) // 2
    return total


def matched_pairs(alignments: list[Alignment], a: Tokens, b: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Token indices ``(i, j)`` matched by the alignments: passage tokens outside the edits,
    paired in order (they are equal, one for one)."""
    def outside_edits(tokens: Tokens, start: int, end: int, edits: list[tuple[int, int]]) -> np.ndarray:
        lo, hi = np.searchsorted(tokens.starts, [start, end])
        inside = np.ones(hi - lo, dtype=bool)
        for e_start, e_end in edits:
            e_lo, e_hi = np.searchsorted(tokens.starts, [e_start, e_end])
            inside[max(e_lo - lo, 0):max(e_hi - lo, 0)] = False
        return lo + np.flatnonzero(inside)

    i_parts, j_parts = [], []
    for al in alignments:
        i = outside_edits(a, al.a_start, al.a_end, [(e[1], e[2]) for e in al.edits])
        j = outside_edits(b, al.b_start, al.b_end, [(e[3], e[4]) for e in al.edits])
        if len(i) != len(j) or len(i) != al.matched_tokens:
            raise AssertionError(f"alignment {al.a_start}-{al.a_end}: {len(i)} vs {len(j)} tokens")
        i_parts.append(i)
        j_parts.append(j)
    if not i_parts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(i_parts), np.concatenate(j_parts)


def indel_pairs(a: Tokens, b: Tokens) -> tuple[np.ndarray, np.ndarray]:
    blocks = [(i1, j1, i2 - i1) for tag, i1, i2, j1, _ in
              Indel.opcodes(a.hashes.tolist(), b.hashes.tolist()).as_list() if tag == "equal"]
    if not blocks:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    i = np.concatenate([np.arange(s, s + n) for s, _, n in blocks])
    j = np.concatenate([np.arange(s, s + n) for _, s, n in blocks])
    return i, j


def run_path(a_books: list[Book], b_books: list[Book]) -> list[list[Alignment]]:
    """The alignments ``reuse run`` finds between the same books of two versions (see the
    module docstring), as one list per book."""
    texts = [book.text for book in a_books] + [book.text for book in b_books]
    n = len(a_books)
    corpus = Corpus(ids=[str(k) for k in range(2 * n)], texts=texts,
                    metadata=[{} for _ in texts], origins=["" for _ in texts])
    passage_config = PassageConfig()
    sketches = sketch_corpus(texts, TokenizeConfig(), DedupConfig(), passage_config)
    candidates = passage_candidates(sketches.fingerprints, passage_config)
    table = align_documents(corpus, candidates.a, candidates.b, AlignConfig(paraphrase=False),
                            TokenizeConfig(), candidates=candidates)
    found: list[list[Alignment]] = [[] for _ in range(n)]
    for row in table.itertuples(index=False):
        a, b = int(row.a_id), int(row.b_id)
        if b == a + n:
            edits = [tuple(e) for e in json.loads(row.edits)]
            found[a].append(Alignment(row.a_start, row.a_end, row.b_start, row.b_end,
                                      row.a_tokens, row.b_tokens, row.matched_tokens,
                                      row.similarity, row.method, edits))
    return found


def score(pairs: list[tuple[np.ndarray, np.ndarray]], a_books: list[Book], b_books: list[Book],
          common: int) -> tuple[float, float, float]:
    """Precision, recall and the share of matched pairs that are repeats (see the docstring)."""
    correct = wrong = repeats = 0
    for (i, j), a, b in zip(pairs, a_books, b_books, strict=True):
        same = a.verse_of_token[i] == b.verse_of_token[j]
        a_placed = np.zeros(len(a.tokens), dtype=bool)
        b_placed = np.zeros(len(b.tokens), dtype=bool)
        a_placed[i[same]] = True
        b_placed[j[same]] = True
        repeat = ~same & (a_placed[i] | b_placed[j])
        correct += int(same.sum())
        repeats += int(repeat.sum())
        wrong += int((~same & ~repeat).sum())
    matched = correct + wrong + repeats
    return correct / max(correct + wrong, 1), correct / max(common, 1), repeats / max(matched, 1)


def run_version_pair(a_name: str, b_name: str, books: int, repeat: int) -> list[tuple]:
    a_books, b_books = read_version(a_name, books), read_version(b_name, books)
    common = sum(verse_lcs(a, b) for a, b in zip(a_books, b_books, strict=True))
    a_batch = tokenize_batch([a.text for a in a_books])
    b_batch = tokenize_batch([b.text for b in b_books])
    a_texts, b_texts = [a.text for a in a_books], [b.text for b in b_books]
    words = sum(len(a.tokens) + len(b.tokens) for a, b in zip(a_books, b_books, strict=True))
    methods = {
        "reuse lexical (align_batch, paraphrase=False)": lambda: align_batch(
            a_texts, b_texts, AlignConfig(paraphrase=False), a_tokens=a_batch, b_tokens=b_batch),
        "reuse default (align_batch, paraphrase=True)": lambda: align_batch(
            a_texts, b_texts, AlignConfig(), a_tokens=a_batch, b_tokens=b_batch),
        "reuse run path (bands, paraphrase=False)": lambda: run_path(a_books, b_books),
        "rapidfuzz Indel.opcodes": lambda: [
            indel_pairs(a.tokens, b.tokens) for a, b in zip(a_books, b_books, strict=True)],
    }
    rows = []
    for name, method in methods.items():
        seconds = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            found = method()
            seconds = min(seconds, time.perf_counter() - start)
        if name.startswith("reuse"):
            found = [matched_pairs(al, a.tokens, b.tokens)
                     for al, a, b in zip(found, a_books, b_books, strict=True)]
        precision, recall, repeats = score(found, a_books, b_books, common)
        rows.append((f"{a_name} → {b_name}", name, words / seconds, precision, recall, repeats))
        print(f"{a_name}->{b_name} {name:48s} {words / seconds:10,.0f} words/s  "
              f"precision {precision:.4f}  recall {recall:.4f}  repeats {repeats:.4f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=66, help="the first N books of each version")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not BIBLE.is_dir():
        raise SystemExit(f"needs the Bible versions at {BIBLE}")
    rows = []
    for a_name, b_name in (("KJV", "ASV"), ("ASV", "WEB"), ("KJV", "WEB")):
        rows += run_version_pair(a_name, b_name, args.books, args.repeat)
    if args.no_write:
        return
    lines = [
        "# Whole books across Bible versions, checked against verse ids",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_bible.py` (--books {args.books} "
        f"--repeat {args.repeat}); each speed is the fastest of {args.repeat} runs, in words "
        "of both books per second.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, one "
        f"process allowed on CPU(s) {sorted(os.sched_getaffinity(0))}; the machine is shared, "
        "so compare speeds within a run.",
        "",
        "| versions | method | words/s | precision | recall | repeats |",
        "|---|---|---|---|---|---|",
    ]
    for versions, name, speed, precision, recall, repeats in rows:
        lines.append(f"| {versions} | {name} | {speed:,.0f} | {precision:.4f} | {recall:.4f} "
                     f"| {repeats:.4f} |")
    lines += [
        "",
        "Precision: matched word pairs whose words are in the same verse, over those and the "
        "pairs that place a word in another verse. Recall: pairs in the same verse over the "
        "tokens each verse's two texts have in common. Repeats: the share of matched pairs that "
        "place a word in another verse while it is also matched in its own: a passage the book "
        "repeats (Exodus 25-31 and 35-40 describe the tabernacle twice), found in both places. "
        "Indel aligns the whole books one to one, so it finds no repeats.",
    ]
    (ROOT / "benchmarks" / "results_bible.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    from reuse.engine.allocator import reusable_heap

    with reusable_heap():  # as the reuse command runs; the API leaves malloc alone
        main()
