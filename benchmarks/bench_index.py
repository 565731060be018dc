"""``reuse index add`` against ``reuse dedup`` on the same documents, ``reuse index query`` of
1,000 new documents, and datasketch ``MinHashLSH`` on the same signatures.

Every command is one cold process, as a user runs it, under ``/usr/bin/time -v`` (wall clock and
maximum resident set), with ``--workers W`` (default 1, so that the one process's peak is the
whole peak: worker processes are children of a fork server that ``time`` does not count):

    python -m reuse dedup DOCS.jsonl --out RUN --quiet --workers W
    python -m reuse index create INDEX
    python -m reuse index add INDEX DOCS.jsonl --quiet --workers W
    python -m reuse index query INDEX QUERIES.jsonl --out RUN --quiet --no-report --workers W
    python -m reuse index query INDEX QUERIES.jsonl --out RUN --quiet --workers W   # + report

DOCS are the first N documents of ``generate_text_corpus.py``'s corpus of N + 1,000 (or of
``--corpus FILE``), QUERIES the last 1,000; with ``--corpus``, MORE (the 1,000 after DOCS) are
added after DOCS, to show an add's memory apart from the index's size (20% of that corpus
are edited copies, so queries find near-duplicates and
passages in the index). datasketch: ``MinHashLSH(threshold=0.8, num_perm=128)`` in memory, the
index's own signatures (read from its segments, as ``LeanMinHash``), inserted one by one and
then queried with the 1,000 query signatures, timed in this process; datasketch's other
storage (Redis, Cassandra) needs a server, so it is not measured. Its query finds candidates
only (no verification, no passages).

    .venv/bin/python benchmarks/bench_index.py --docs 100000

Writes ``benchmarks/results_index.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results_index.md"
QUERIES = 1000
sys.path.insert(0, str(HERE))
from generate_text_corpus import generate  # noqa: E402


def timed(command: list[str], cwd: Path) -> dict[str, float]:
    """Run ``command`` under /usr/bin/time -v: wall seconds and peak RSS (MB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                          cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    assert wall and rss
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return {"wall": seconds, "rss": int(rss.group(1)) / 1024}


def split_corpus(source: Path, n_docs: int, folder: Path) -> tuple[Path, Path, Path]:
    """The first ``n_docs`` documents, the last ``QUERIES``, and ``QUERIES`` more to add."""
    with open(source, "rb") as handle:
        total = sum(1 for _ in handle)
    assert total >= n_docs + 2 * QUERIES or total == n_docs + QUERIES
    docs, queries, more = (folder / "docs.jsonl", folder / "queries.jsonl",
                           folder / "more.jsonl")
    with open(source, encoding="utf-8") as lines, open(docs, "w", encoding="utf-8") as a, \
            open(queries, "w", encoding="utf-8") as b, open(more, "w", encoding="utf-8") as c:
        for number, line in enumerate(lines):
            if number < n_docs:
                a.write(line)
            elif number >= total - QUERIES:
                b.write(line)
            elif number < n_docs + QUERIES:
                c.write(line)
    return docs, queries, more


def datasketch_times(index: Path, queries: Path) -> dict[str, float]:
    """Insert the index's signatures into datasketch's MinHashLSH, query the query
    documents' signatures (computed as the index computes them)."""
    from datasketch import MinHashLSH

    from reuse import Index
    from reuse.index.query import sketch_query
    from reuse.index.segments import Segments
    from reuse.ingest import read_corpus
    from reuse.sketch.minhash import lean_minhash

    opened = Index.open(index)
    config = opened.config
    segments = Segments(index, opened.manifest.segments, config.dedup.num_perm)
    seed = config.dedup.seed
    signatures = [(int(key), reader.signatures(np.arange(len(reader.keys))))
                  for reader in segments.readers for key in [reader.keys[0]]]
    lsh = MinHashLSH(threshold=config.dedup.threshold, num_perm=config.dedup.num_perm)
    started = time.perf_counter()
    count = 0
    for first, block in signatures:
        for row, values in enumerate(block):
            lsh.insert(first + row, lean_minhash(seed, values))
            count += 1
    insert_s = time.perf_counter() - started
    query_corpus = read_corpus(queries)
    query_signatures = sketch_query(query_corpus, config, 1).signatures
    started = time.perf_counter()
    found = sum(len(lsh.query(lean_minhash(seed, values))) for values in query_signatures)
    query_s = time.perf_counter() - started
    segments.close()
    return {"insert": insert_s, "query": query_s, "count": count, "found": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="A JSONL corpus of generate_text_corpus.py's kind to use instead "
                        "of generating one: its first --docs documents are indexed, its last "
                        "1,000 queried.")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--results", default=RESULTS.name,
                        help="The results file to write, in benchmarks/.")
    args = parser.parse_args()
    source = args.corpus or generate(args.docs + QUERIES)
    python = sys.executable
    workers = ["--workers", str(args.workers)]
    with tempfile.TemporaryDirectory(prefix="bench-index-") as scratch:
        folder = Path(scratch)
        docs, queries, more = split_corpus(source, args.docs, folder)
        rows = {}
        rows["dedup"] = timed([python, "-m", "reuse", "dedup", str(docs), "--out",
                               str(folder / "dedup"), "--quiet", *workers], folder)
        index = folder / "index"
        timed([python, "-m", "reuse", "index", "create", str(index)], folder)
        rows["add"] = timed([python, "-m", "reuse", "index", "add", str(index), str(docs),
                             "--quiet", *workers], folder)
        size = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
        if more.stat().st_size:
            rows["add_more"] = timed([python, "-m", "reuse", "index", "add", str(index),
                                      str(more), "--quiet", *workers], folder)
        rows["query"] = timed([python, "-m", "reuse", "index", "query", str(index), str(queries),
                               "--out", str(folder / "answer"), "--quiet", "--no-report",
                               *workers], folder)
        rows["query_report"] = timed([python, "-m", "reuse", "index", "query", str(index),
                                      str(queries), "--out", str(folder / "answer2"), "--quiet",
                                      *workers], folder)
        counts = json.loads((folder / "answer" / "manifest.json").read_text())["counts"]
        sketch = datasketch_times(index, queries)
        shutil.rmtree(index)
    dedup_wall = rows["dedup"]["wall"]
    lines = [
        "# reuse index: add, query, and datasketch MinHashLSH",
        "",
        f"Written by `python benchmarks/bench_index.py --docs {args.docs} --workers "
        f"{args.workers}{' --corpus ' + str(args.corpus.name) if args.corpus else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} CPUs shared with other jobs (load average "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} at the end), Python "
        f"{platform.python_version()}.",
        "",
        f"{args.docs:,} documents of `generate_text_corpus.py` (~2.6 KB each"
        f"{', ' + args.corpus.name if args.corpus else ''}) indexed; "
        f"{QUERIES:,} new documents of the same corpus queried. One cold process per row, "
        "wall and peak RSS from `/usr/bin/time -v`. Timings move with the machine's load: the "
        "ratios are measured in the same run.",
        "",
        "| command | wall s | peak RSS MB | docs/s | vs dedup |",
        "|---|---:|---:|---:|---:|",
        f"| `reuse dedup DOCS` | {dedup_wall:.1f} | {rows['dedup']['rss']:.0f} | "
        f"{args.docs / dedup_wall:,.0f} | 1.00x |",
        f"| `reuse index add INDEX DOCS` (empty index) | {rows['add']['wall']:.1f} | "
        f"{rows['add']['rss']:.0f} | {args.docs / rows['add']['wall']:,.0f} | "
        f"{dedup_wall / rows['add']['wall']:.2f}x speed |",
        *([f"| `reuse index add INDEX MORE` ({QUERIES:,} more documents, to the "
           f"{args.docs:,}) | {rows['add_more']['wall']:.1f} | {rows['add_more']['rss']:.0f} "
           "| | |"] if "add_more" in rows else []),
        f"| `reuse index query INDEX QUERIES --no-report` | {rows['query']['wall']:.1f} | "
        f"{rows['query']['rss']:.0f} | | |",
        f"| `reuse index query INDEX QUERIES` (with the HTML report) | "
        f"{rows['query_report']['wall']:.1f} | {rows['query_report']['rss']:.0f} | | |",
        "",
        f"Index on disk: {size / 1e6:.0f} MB (the texts {args.docs:,} documents included). The "
        f"query's answer: {counts['near_duplicate_pairs']:,} near-duplicate pairs, "
        f"{counts['alignments']:,} passage pairs with spans, {counts['index_documents']:,} "
        "indexed documents involved.",
        "",
        "datasketch 2.0 `MinHashLSH` (in memory; its Redis and Cassandra storage need a server "
        "and are not measured), the same signatures, timed in one process:",
        "",
        "| datasketch | seconds | per document |",
        "|---|---:|---:|",
        f"| insert {sketch['count']:,} signatures | {sketch['insert']:.1f} | "
        f"{sketch['insert'] / sketch['count'] * 1e6:.0f} µs |",
        f"| query {QUERIES:,} signatures ({sketch['found']:,} candidates, not verified, no "
        f"passages) | {sketch['query']:.2f} | {sketch['query'] / QUERIES * 1e3:.2f} ms |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (HERE / args.results).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
