"""`reuse run` on the five English Bible versions, whole process as a user runs it, and the verse
recall of its alignments.

    .venv/bin/python benchmarks/bench_bible_run.py               # writes results_bible_run.md
    .venv/bin/python benchmarks/bench_bible_run.py --skip-runs --run-dir DIR --no-write

Each configuration runs ``reuse run ../shared/data/bible-en --out DIR ...`` under
``/usr/bin/time -v`` (wall seconds and peak RSS from its report), one process. The alignments
table of each run folder is then scored against the verse ids, which nobody on the team made.

**Verse recall.** Only the alignments between the same book of two versions count. Every
alignment maps each token of its span in one document to a token of the other: a token outside
the alignment's edits to its partner (the matched tokens pair up in order), a token inside an
edit to the token at the same relative place of the edit's other side (a deletion: the token
where the other side's empty edit sits). A verse of one version is *aligned* when at least half
of its words (its line's tokens after the ``[chapter:verse]`` marker) are mapped, by the
alignments of its book with the other version, to words of the verse with the same id there.
The verse recall of a version pair is the share of the verses of both versions (all 66 books)
that are aligned. *Verse precision* is the share of covered verses (at least half of the words
mapped somewhere in the other version's same book) whose words map mostly to the same verse.
*Word precision* is the share of matched word pairs (outside edits) of those alignments whose
two words are in the same verse. *Word boundaries*: the share of alignment ends, over all
alignments of the run, that fall on a token boundary (an alignment never starts or ends
mid-word).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reuse.ingest import read_corpus
from reuse.text.tokenize import Tokens, tokenize

ROOT = Path(__file__).resolve().parent.parent
BIBLE = Path(os.environ.get("REUSE_BIBLE", ROOT.parent / "shared" / "data" / "bible-en"))
VERSIONS = ("KJV", "ASV", "WEB", "YLT", "BBE")
MARKER = re.compile(r"^\[(\d+):(\d+)\] ?", re.MULTILINE)
PASSIM = {("KJV", "WEB"): 0.980, ("BBE", "WEB"): 0.659, ("ASV", "BBE"): 0.583,
          ("BBE", "KJV"): 0.541}
REUSE_IN_ISSUE = {("KJV", "WEB"): 0.957, ("BBE", "WEB"): 0.577, ("ASV", "BBE"): 0.550,
                  ("BBE", "KJV"): 0.498}


@dataclass
class Document:
    version: str
    book: int
    tokens: Tokens
    verse: np.ndarray  # verse id (chapter * 1000 + verse) of each token; -1: marker or header


def read_documents() -> dict[str, Document]:
    corpus = read_corpus(BIBLE)
    documents = {}
    for doc_id, text in zip(corpus.ids, corpus.texts, strict=True):
        version, name = doc_id.split("/", 1)
        tokens = tokenize(text)
        markers = list(MARKER.finditer(text))
        text_starts = np.array([m.end() for m in markers], dtype=np.int64)
        line_starts = np.array([m.start() for m in markers], dtype=np.int64)
        keys = np.array([int(m[1]) * 1000 + int(m[2]) for m in markers], dtype=np.int64)
        line = np.searchsorted(line_starts, tokens.starts, "right") - 1
        verse = np.where(line >= 0, keys[np.maximum(line, 0)], -1)
        verse[(line < 0) | (tokens.starts < text_starts[np.maximum(line, 0)])] = -1
        documents[doc_id] = Document(version, int(name.split()[0]), tokens, verse)
    return documents


def _ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(lo[k], hi[k])`` and the ``k`` of each element."""
    lengths = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), lengths)
    first = np.cumsum(lengths) - lengths
    return lo[owner] + np.arange(int(lengths.sum())) - first[owner], owner


def token_map(row: pd.Series, a: Tokens, b: Tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The a tokens of one alignment, the b token each maps to, and whether it is matched."""
    a_lo, a_hi = np.searchsorted(a.starts, [row.a_start, row.a_end])
    b_lo, b_hi = np.searchsorted(b.starts, [row.b_start, row.b_end])
    edits = json.loads(row.edits)
    if edits:
        e = np.array([x[1:] for x in edits], dtype=np.int64)
        ea_lo, ea_hi = np.searchsorted(a.starts, e[:, 0]), np.searchsorted(a.starts, e[:, 1])
        eb_lo, eb_hi = np.searchsorted(b.starts, e[:, 2]), np.searchsorted(b.starts, e[:, 3])
    else:
        ea_lo = ea_hi = eb_lo = eb_hi = np.empty(0, dtype=np.int64)
    a_in = np.zeros(a_hi - a_lo, dtype=bool)
    b_in = np.zeros(b_hi - b_lo, dtype=bool)
    inside_a, _ = _ranges(ea_lo - a_lo, ea_hi - a_lo)
    inside_b, _ = _ranges(eb_lo - b_lo, eb_hi - b_lo)
    a_in[inside_a] = True
    b_in[inside_b] = True
    matched_a = a_lo + np.flatnonzero(~a_in)
    matched_b = b_lo + np.flatnonzero(~b_in)
    if len(matched_a) != len(matched_b):
        raise AssertionError(f"alignment {row.a_id} {row.a_start}: unequal matched tokens")
    edit_a, k = _ranges(ea_lo, ea_hi)
    width_a = np.maximum(ea_hi - ea_lo, 1)[k]
    width_b = (eb_hi - eb_lo)[k]
    edit_b = np.minimum(eb_lo[k] + (edit_a - ea_lo[k]) * width_b // width_a, max(b_hi - 1, 0))
    tokens_a = np.concatenate((matched_a, edit_a))
    tokens_b = np.concatenate((matched_b, edit_b))
    matched = np.concatenate((np.ones(len(matched_a), bool), np.zeros(len(edit_a), bool)))
    return tokens_a, tokens_b, matched


def swapped(row: pd.Series) -> pd.Series:
    out = row.copy()
    for x in ("id", "start", "end"):
        out[f"a_{x}"], out[f"b_{x}"] = row[f"b_{x}"], row[f"a_{x}"]
    out.edits = json.dumps([[op, c, d, a, b] for op, a, b, c, d in json.loads(row.edits)])
    return out


def verse_scores(alignments: pd.DataFrame, documents: dict[str, Document]) -> pd.DataFrame:
    """Verse recall and precision per version pair (see the module docstring)."""
    frame = alignments.copy()
    frame["a_version"] = frame.a_id.map(lambda d: documents[d].version)
    frame["b_version"] = frame.b_id.map(lambda d: documents[d].version)
    frame["a_book"] = frame.a_id.map(lambda d: documents[d].book)
    frame["b_book"] = frame.b_id.map(lambda d: documents[d].book)
    same_book = frame[(frame.a_book == frame.b_book) & (frame.a_version != frame.b_version)]
    rows = []
    for x, y in itertools.combinations(VERSIONS, 2):
        pair = tuple(sorted((x, y)))
        verses = aligned = covered = same_words = matched_words = 0
        for book in range(1, 67):
            docs = {v: next(d for d, doc in documents.items()
                            if doc.version == v and doc.book == book) for v in pair}
            chosen = same_book[(same_book.a_book == book)
                               & same_book.a_version.isin(pair) & same_book.b_version.isin(pair)]
            for v, w in (pair, pair[::-1]):
                here, there = documents[docs[v]], documents[docs[w]]
                maps = []
                for row in chosen.itertuples(index=False):
                    row = pd.Series(row._asdict())
                    if row.a_version == v:
                        maps.append(token_map(row, here.tokens, there.tokens))
                    else:
                        maps.append(token_map(swapped(row), here.tokens, there.tokens))
                words = here.verse >= 0
                ids, per_verse = np.unique(here.verse[words], return_counts=True)
                verses += len(ids)
                if not maps:
                    continue
                ta = np.concatenate([m[0] for m in maps])
                tb = np.concatenate([m[1] for m in maps])
                matched = np.concatenate([m[2] for m in maps])
                ta, first = np.unique(ta, return_index=True)  # a word mapped once
                tb, matched = tb[first], matched[first]
                keep = here.verse[ta] >= 0
                ta, tb, matched = ta[keep], tb[keep], matched[keep]
                same = here.verse[ta] == there.verse[tb]
                same_words += int((same & matched).sum())
                matched_words += int(matched.sum())
                at = np.searchsorted(ids, here.verse[ta])
                mapped = np.bincount(at, minlength=len(ids))
                correct = np.bincount(at[same], minlength=len(ids))
                aligned += int((correct * 2 >= per_verse).sum())
                covered += int((mapped * 2 >= per_verse).sum())
        rows.append({"versions": f"{pair[0]}–{pair[1]}", "verses": verses,
                     "verse_recall": aligned / max(verses, 1),
                     "verse_precision": aligned / max(covered, 1),
                     "word_precision": same_words / max(matched_words, 1),
                     "passim": PASSIM.get(pair), "reuse_in_issue": REUSE_IN_ISSUE.get(pair)})
    return pd.DataFrame(rows)


def word_boundaries(alignments: pd.DataFrame, documents: dict[str, Document]) -> float:
    """Share of alignment ends (four per alignment) on token boundaries."""
    good = total = 0
    for doc_id, group in itertools.chain(alignments.groupby("a_id"), alignments.groupby("b_id")):
        side = "a" if group.a_id.iloc[0] == doc_id else "b"
        tokens = documents[doc_id].tokens
        good += int(np.isin(group[f"{side}_start"], tokens.starts).sum())
        good += int(np.isin(group[f"{side}_end"], tokens.ends).sum())
        total += 2 * len(group)
    return good / max(total, 1)


def run_once(out: Path, options: list[str]) -> dict[str, object]:
    command = [sys.executable, "-m", "reuse", "run", str(BIBLE), "--out", str(out), *options]
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    report = dict(line.strip().split(": ", 1) for line in done.stderr.splitlines()
                  if ": " in line and line.startswith("\t"))
    wall = report["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    seconds = sum(float(part) * 60 ** k for k, part in enumerate(reversed(wall)))
    manifest = json.loads((out / "manifest.json").read_text())
    return {"options": " ".join(options), "seconds": seconds,
            "peak_rss_mb": int(report["Maximum resident set size (kbytes)"]) / 1024,
            "user_seconds": float(report["User time (seconds)"]),
            "timings": manifest["timings"], "counts": manifest["counts"], "out": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-runs", action="store_true", help="only score --run-dir")
    parser.add_argument("--run-dir", action="append", default=[],
                        help="also score this existing run folder (label=DIR or DIR)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not BIBLE.is_dir():
        raise SystemExit(f"needs the Bible versions at {BIBLE}")
    documents = read_documents()
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        if not args.skip_runs:
            for name, options in (("no report", ["--no-report"]),
                                  ("no report, --paraphrase", ["--no-report", "--paraphrase"]),
                                  ("with report", [])):
                print(f"reuse run {' '.join(options)} ...", flush=True)
                result = run_once(Path(scratch) / name.replace(" ", "_").replace(",", ""),
                                  options)
                print(f"  {result['seconds']:.1f} s, {result['peak_rss_mb']:.0f} MB", flush=True)
                runs.append((name, result))
        scored = [(name, Path(result["out"])) for name, result in runs
                  if "report" not in name or name.startswith("no report")]
        scored += [tuple(x.split("=", 1)) if "=" in x else (x, x) for x in args.run_dir]
        scores = []
        for name, folder in scored:
            alignments = pd.read_parquet(Path(folder) / "alignments.parquet")
            table = verse_scores(alignments, documents)
            table.insert(0, "run", name)
            boundaries = word_boundaries(alignments, documents)
            scores.append((name, table, boundaries, len(alignments)))
            print(table.to_string(index=False), f"\nword boundaries {boundaries:.4f}")
    if args.no_write:
        return
    write_results(runs, scores, args)


def write_results(runs, scores, args) -> None:
    lines = [
        "# `reuse run` on the Bible versions: whole process, and verse recall",
        "",
        "Command: `.venv/bin/python benchmarks/bench_bible_run.py"
        + "".join(f" --run-dir {x}" for x in args.run_dir) + "`; each run is "
        "`/usr/bin/time -v python -m reuse run ../shared/data/bible-en --out DIR OPTIONS` "
        "(one process).",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; the "
        "machine is shared with other jobs, so wall seconds vary from run to run (user seconds "
        "less so).",
        "",
        "| run | options | wall s | user s | peak RSS MB | candidate pairs | alignments |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in runs:
        counts = result["counts"]
        lines.append(f"| {name} | `{result['options']}` | {result['seconds']:.1f} | "
                     f"{result['user_seconds']:.1f} | {result['peak_rss_mb']:.0f} | "
                     f"{counts['passage_candidate_pairs']:,} | {counts['alignments']:,} |")
    if runs:
        stages = list(dict.fromkeys(k for _, r in runs for k in r["timings"]))
        lines += ["", "Seconds per stage (the run summary's `timings`):", "",
                  "| run | " + " | ".join(stages) + " |",
                  "|---|" + "---|" * len(stages)]
        for name, result in runs:
            lines.append(f"| {name} | " + " | ".join(
                f"{result['timings'].get(s, 0):.2f}" for s in stages) + " |")
    lines += ["", "## Verse recall", "",
              "| run | versions | verses | verse recall | passim 2.0.1 | reuse in the issue | "
              "verse precision | word precision |", "|---|---|---|---|---|---|---|---|"]
    for _, table, _, _ in scores:
        for row in table.itertuples(index=False):
            passim = f"{row.passim:.3f}" if row.passim == row.passim and row.passim else "–"
            before = (f"{row.reuse_in_issue:.3f}"
                      if row.reuse_in_issue == row.reuse_in_issue and row.reuse_in_issue
                      else "–")
            lines.append(f"| {row.run} | {row.versions} | {row.verses:,} | "
                         f"{row.verse_recall:.3f} | {passim} | {before} | "
                         f"{row.verse_precision:.4f} | {row.word_precision:.4f} |")
    lines += ["", "| run | alignments | alignment ends on word boundaries |", "|---|---|---|"]
    for name, _, boundaries, n in scores:
        lines.append(f"| {name} | {n:,} | {boundaries:.4f} |")
    lines += ["", __doc__.split("\n\n", 2)[2].strip()]
    (ROOT / "benchmarks" / "results_bible_run.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
