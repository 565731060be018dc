"""How long the report takes at scale: ``render_report`` on a synthetic run folder.

Builds, without running the pipeline, a complete run folder for ``--docs`` documents of about 400
words in which passage families (one passage of ~60 words copied into ``--family`` documents,
some copies with a substituted word) give about ``--pairs`` aligned document pairs, with their
alignments (edits included), passage clusters and a few near-duplicate pairs. Then times
``render_report`` on it and reports the size of what it wrote.

    .venv/bin/python benchmarks/bench_report.py                 # 10k docs, ~20k pairs
    .venv/bin/python benchmarks/bench_report.py --docs 1000 --pairs 2000 --no-write

Writes ``benchmarks/results_report.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from reuse.ingest import read_corpus
from reuse.report.html import render_report
from reuse.runfolder import tables

HERE = Path(__file__).resolve().parent


def make_words(rng: np.random.Generator, size: int = 20_000) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 10, size=size)
    chars = rng.choice(letters, size=(size, 10))
    return np.array(sorted({"".join(row[:n]) for row, n in zip(chars, lengths, strict=True)}),
                    dtype=object)


def build(folder: Path, n_docs: int, n_pairs: int, family: int, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    words = make_words(rng)
    pairs_per_family = family * (family - 1) // 2
    n_families = max(1, n_pairs // pairs_per_family)
    # each family's passage lands in `family` distinct documents
    members = [rng.choice(n_docs, size=family, replace=False) for _ in range(n_families)]
    passages_of: dict[int, list[int]] = {}
    for f, docs in enumerate(members):
        for d in docs.tolist():
            passages_of.setdefault(d, []).append(f)
    passage_words = [list(rng.choice(words, size=60)) for _ in range(n_families)]

    texts, spans, subs = [], {}, {}  # spans[(f, d)] = (start, end); subs[(f, d)] = (word, s, e)
    for d in range(n_docs):
        parts, length = [], 0
        filler = " ".join(rng.choice(words, size=340 - 60 * min(3, len(passages_of.get(d, [])))))
        pieces = [("filler", filler)]
        for f in passages_of.get(d, []):
            copy = list(passage_words[f])
            substituted = None
            if rng.random() < 0.3:
                k = int(rng.integers(5, 55))
                copy[k] = str(rng.choice(words)) + "x"
                substituted = k
            pieces.append((f, copy, substituted))
        for piece in pieces:
            if piece[0] == "filler":
                text = piece[1] + ". "
            else:
                f, copy, substituted = piece
                start = length
                text_words = []
                offset = start
                for k, w in enumerate(copy):
                    if k == substituted:
                        subs[(f, d)] = (k, offset, offset + len(w))
                    text_words.append(w)
                    offset += len(w) + 1
                text = " ".join(text_words)
                spans[(f, d)] = (start, start + len(text))
                text += ". "
            parts.append(text)
            length += len(text)
        texts.append("".join(parts).rstrip())
    ids = [f"doc-{d:06d}" for d in range(n_docs)]
    source = folder.parent / "bench_report_input.jsonl"
    with open(source, "w", encoding="utf-8") as handle:
        for d in range(n_docs):
            handle.write(json.dumps({"id": ids[d], "text": texts[d],
                                     "source": f"outlet-{d % 12}",
                                     "date": f"2024-{1 + d % 12:02d}-{1 + d % 28:02d}"}) + "\n")

    rows = []
    for f, docs in enumerate(members):
        for a, b in combinations(sorted(docs.tolist()), 2):
            (a_s, a_e), (b_s, b_e) = spans[(f, a)], spans[(f, b)]
            edits = []
            ka, kb = subs.get((f, a)), subs.get((f, b))
            for k in sorted({x[0] for x in (ka, kb) if x is not None}):
                # the k-th word differs on at least one side: replace word with word
                wa = ka if ka is not None and ka[0] == k else None
                wb = kb if kb is not None and kb[0] == k else None
                if wa is None:
                    wa = (k, *word_span(texts[a], a_s, k))
                if wb is None:
                    wb = (k, *word_span(texts[b], b_s, k))
                edits.append(["replace", wa[1], wa[2], wb[1], wb[2]])
            matched = 60 - len(edits)
            rows.append({"a_id": ids[a], "a_start": a_s, "a_end": a_e, "b_id": ids[b],
                         "b_start": b_s, "b_end": b_e, "a_tokens": 60, "b_tokens": 60,
                         "matched_tokens": matched, "similarity": matched / 60,
                         "method": "lexical", "edits": json.dumps(edits)})
    alignments = pd.DataFrame(rows, columns=list(tables.TABLES["alignments"]))
    occurrences = [{"passage_id": f, "doc_id": ids[d], "start": spans[(f, d)][0],
                    "end": spans[(f, d)][1], "n_docs": family, "boilerplate": False,
                    "is_source": k == 0}
                   for f, docs in enumerate(members) for k, d in enumerate(sorted(docs.tolist()))]
    passages = pd.DataFrame(occurrences, columns=list(tables.TABLES["passages"]))
    near = pd.DataFrame({"a_id": ids[0:200:2], "b_id": ids[1:200:2],
                         "jaccard_estimate": 0.9, "jaccard": np.nan})
    documents = pd.DataFrame({"doc_id": ids, "n_chars": [len(t) for t in texts],
                              "n_tokens": 400, "status": "compared"})
    clusters = pd.DataFrame({"doc_id": ids, "cluster_id": np.arange(n_docs),
                             "representative_id": ids, "keep": True})
    for k in range(0, 200, 2):
        clusters.loc[k + 1, ["cluster_id", "representative_id", "keep"]] = [k, ids[k], False]
    skipped = pd.DataFrame(columns=list(tables.TABLES["skipped"]))

    tables.start_run_folder(folder)
    written = {name: tables.write_table(folder, name, frame) for name, frame in (
        ("documents", documents), ("near_duplicates", near), ("clusters", clusters),
        ("alignments", alignments), ("passages", passages), ("skipped", skipped))}
    corpus = read_corpus(source)
    tables.write_manifest(folder, {
        "reuse_version": "bench", "command": "run", "config": {},
        "input": {"path": str(source), "format": "jsonl", "id_field": "id",
                  "text_field": "text", "fingerprint": "sha256:" + corpus.fingerprint()},
        "counts": {"read": n_docs, "compared": n_docs, "too_short": 0, "skipped": 0,
                   "alignments": len(alignments)},
        "timings": {}, "tables": written,
    })
    return {"docs": n_docs, "alignments": len(alignments),
            "pairs": len(alignments.groupby(["a_id", "b_id"])), "passages": n_families,
            "input_mb": round(source.stat().st_size / 1e6, 1)}


def word_span(text: str, start: int, k: int) -> tuple[int, int]:
    """Offsets of the k-th space-separated word of the passage starting at ``start``."""
    position = start
    for _ in range(k):
        position = text.index(" ", position) + 1
    return position, text.index(" ", position)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--family", type=int, default=3, help="documents per passage family")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        folder = Path(tmp) / "run"
        started = time.perf_counter()
        sizes = build(folder, args.docs, args.pairs, args.family, args.seed)
        built = time.perf_counter() - started
        started = time.perf_counter()
        index = render_report(folder, group_by="source")
        seconds = time.perf_counter() - started
        site = folder / "html"
        pages = list(site.rglob("*.html"))
        total_mb = sum(p.stat().st_size for p in pages) / 1e6
        index_kb = index.stat().st_size / 1e3
        largest_kb = max(p.stat().st_size for p in pages) / 1e3
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        stages = tables.read_manifest(folder)["report"]["timings"]
    line = (f"| {sizes['docs']} | {sizes['pairs']} | {sizes['alignments']} | "
            f"{sizes['passages']} | {seconds:.1f} | {len(pages)} | {total_mb:.0f} | "
            f"{index_kb:.0f} | {largest_kb:.0f} | {peak_mb:.0f} |")
    header = ("| docs | aligned pairs | alignments | passage clusters | render s | pages | "
              "site MB | index.html KB | largest page KB | peak RSS MB |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    stage_line = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
    print(f"built the run folder in {built:.1f} s; render stages: {stage_line}")
    print(header)
    print(line)
    if not args.no_write:
        (HERE / "results_report.md").write_text(
            "# render_report at scale\n\n"
            f"`{' '.join(['.venv/bin/python', 'benchmarks/bench_report.py', *sys.argv[1:]])}` on "
            f"{platform.machine()} Python {platform.python_version()}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; one process, group_by=source.\n\n"
            f"{header}\n{line}\n\nStages: {stage_line}.\n", encoding="utf-8")


if __name__ == "__main__":
    from reuse.engine.allocator import reusable_heap

    with reusable_heap():  # as the reuse command runs; the API leaves malloc alone
        main()
