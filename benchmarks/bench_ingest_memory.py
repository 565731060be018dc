"""Reading a corpus (``reuse.ingest.read_corpus``) as a user runs it: whole-process peak RSS
and time, per input format and size, against another source tree of reuse in the same run.

Each measurement is its own Python process, started cold in an empty folder, that reads one
file and prints how many documents it read:

    python -c "import sys; from reuse.ingest import read_corpus; print(len(read_corpus(sys.argv[1])))" FILE

timed by ``/usr/bin/time -v`` (CPU s = user + system, peak RSS = maximum resident set size),
with ``PYTHONPATH`` set to the tree measured (``reuse``: this tree; ``reuse-baseline``: the
tree given with ``--baseline``). The memory per document is (peak RSS − the peak RSS of reading
a one-document file of the same format) / documents: the process's imports and fixed buffers
are left out, what grows with the corpus is not. The growth between the two largest sizes is
given too.

The corpus is ``generate_text_corpus.py``'s 100k documents (prose-like, ~2.6 KB each); a size
above 100k repeats them with the ids suffixed ``-r1``, ``-r2``, ...; a size below takes the
first documents. Each size is written as JSONL, CSV (RFC 4180, quoted where needed) and
Parquet (row groups of 100k rows) under ``benchmarks/data/``. A baseline run whose peak RSS,
predicted from its memory per document at the smallest size, would pass ``--baseline-max-gb``
is not run, and the table says so.

    .venv/bin/python benchmarks/bench_ingest_memory.py --sizes 100000 1000000 --baseline ../main

Writes ``benchmarks/results_ingest_memory.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results_ingest_memory.md"
FORMATS = ("jsonl", "csv", "parquet")
BASE_DOCS = 100_000
ROW_GROUP = 100_000
READ = "import sys; from reuse.ingest import read_corpus; print(len(read_corpus(sys.argv[1])))"

sys.path.insert(0, str(HERE))
from bench_dedup_process import git_revision, parse_time  # noqa: E402
from generate_text_corpus import generate  # noqa: E402


def _records(n_docs: int):
    """The first ``n_docs`` records of the benchmark corpus (repeated beyond 100k)."""
    base = generate(BASE_DOCS)
    made = 0
    repeat = 0
    while made < n_docs:
        with open(base, encoding="utf-8") as handle:
            for line in handle:
                if made == n_docs:
                    return
                record = json.loads(line)
                if repeat:
                    record["id"] = f"{record['id']}-r{repeat}"
                yield record
                made += 1
        repeat += 1


def corpus_files(n_docs: int) -> dict[str, Path]:
    """The corpus of ``n_docs`` documents in every format, written once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    DATA.mkdir(exist_ok=True)
    paths = {fmt: DATA / f"ingest_{n_docs}.{fmt}" for fmt in FORMATS}
    if all(path.exists() for path in paths.values()):
        return paths
    temporary = {fmt: path.with_name(path.name + ".tmp") for fmt, path in paths.items()}
    schema = pa.schema([("id", pa.string()), ("text", pa.string())])
    with open(temporary["jsonl"], "w", encoding="utf-8") as jsonl, \
            open(temporary["csv"], "w", encoding="utf-8", newline="") as delimited, \
            pq.ParquetWriter(temporary["parquet"], schema) as parquet:
        writer = csv.writer(delimited)
        writer.writerow(["id", "text"])
        chunk: list[dict] = []

        def flush() -> None:
            parquet.write_table(pa.Table.from_pylist(chunk, schema), row_group_size=ROW_GROUP)
            chunk.clear()

        for record in _records(n_docs):
            jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
            writer.writerow([record["id"], record["text"]])
            chunk.append(record)
            if len(chunk) == ROW_GROUP:
                flush()
        if chunk:
            flush()
    for fmt, path in temporary.items():
        path.replace(paths[fmt])
    return paths


def measure(tree: Path, path: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "time.txt"
        done = subprocess.run(
            ["/usr/bin/time", "-v", "-o", str(report), sys.executable, "-c", READ, str(path)],
            env={**os.environ, "PYTHONPATH": str(tree)}, cwd=folder, capture_output=True,
            text=True, check=True)
        measured = parse_time(report.read_text())
    measured["docs_read"] = int(done.stdout.strip())
    return measured


def bench(sizes: list[int], formats: list[str], baseline: Path | None, max_gb: float
          ) -> list[dict]:
    trees = {"reuse": ROOT, **({"reuse-baseline": baseline} if baseline is not None else {})}
    one = corpus_files(1)
    empty = {(tool, fmt): measure(tree, one[fmt]) for tool, tree in trees.items()
             for fmt in formats}
    rows = []
    per_doc_at_first: dict[tuple[str, str], float] = {}
    for n_docs in sizes:
        files = corpus_files(n_docs)
        for fmt in formats:
            for tool, tree in trees.items():
                fixed = empty[(tool, fmt)]["rss_mb"]
                known = per_doc_at_first.get((tool, fmt))
                if tool != "reuse" and known is not None and (
                        fixed * 2**20 + known * n_docs) / 2**30 > max_gb:
                    predicted = (fixed * 2**20 + known * n_docs) / 2**30
                    rows.append({"docs": n_docs, "format": fmt, "tool": tool,
                                 "skipped": f"not run: predicted {predicted:.1f} GB > "
                                            f"--baseline-max-gb {max_gb:g}"})
                    print(f"{n_docs:>9} {fmt:<8} {tool:<15} {rows[-1]['skipped']}", flush=True)
                    continue
                measured = measure(tree, files[fmt])
                if measured["docs_read"] != n_docs:
                    raise SystemExit(f"{tool} read {measured['docs_read']} of {n_docs} documents "
                                     f"from {files[fmt]}")
                per_doc = (measured["rss_mb"] - fixed) * 2**20 / n_docs
                per_doc_at_first.setdefault((tool, fmt), per_doc)
                rows.append({"docs": n_docs, "format": fmt, "tool": tool, "fixed_mb": fixed,
                             "bytes": files[fmt].stat().st_size, "per_doc": per_doc,
                             **measured})
                print(f"{n_docs:>9} {fmt:<8} {tool:<15} {measured['wall']:7.1f} s "
                      f"{measured['cpu']:7.1f} CPU s {measured['rss_mb']:8.0f} MB "
                      f"{per_doc:8.0f} B/doc", flush=True)
    return rows


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| docs | format | file MB | tool | wall s | CPU s | peak RSS MB | one-document "
        "RSS MB | RSS per document (B) | RSS / reuse's | time / reuse's |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "skipped" in row:
            lines.append(f"| {row['docs']:,} | {row['format']} | | {row['tool']} | "
                         f"{row['skipped']} | | | | | | |")
            continue
        ours = next(r for r in rows if r["docs"] == row["docs"] and r["format"] == row["format"]
                    and r["tool"] == "reuse")
        ratios = ("", "") if row["tool"] == "reuse" else (
            f"{row['rss_mb'] / ours['rss_mb']:.1f}x", f"{row['wall'] / ours['wall']:.2f}x")
        lines.append(
            f"| {row['docs']:,} | {row['format']} | {row['bytes'] / 1e6:,.0f} | {row['tool']} | "
            f"{row['wall']:.1f} | {row['cpu']:.1f} | {row['rss_mb']:,.0f} | "
            f"{row['fixed_mb']:.0f} | {row['per_doc']:,.0f} | {ratios[0]} | {ratios[1]} |")
    return lines


def growth(rows: list[dict], sizes: list[int]) -> list[str]:
    """Peak RSS growth per document between the two largest sizes, per format and tool."""
    if len(sizes) < 2:
        return []
    small, large = sorted(sizes)[-2:]
    lines = ["", f"Growth of peak RSS from {small:,} to {large:,} documents, per added document:",
             ""]
    measured = {(r["docs"], r["format"], r["tool"]): r for r in rows if "skipped" not in r}
    for (docs, fmt, tool), row in measured.items():
        if docs != large or (small, fmt, tool) not in measured:
            continue
        before = measured[(small, fmt, tool)]
        slope = (row["rss_mb"] - before["rss_mb"]) * 2**20 / (large - small)
        lines.append(f"- {fmt}, {tool}: {slope:,.0f} bytes")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another reuse source tree, measured as 'reuse-baseline'")
    parser.add_argument("--baseline-max-gb", type=float, default=6.0,
                        help="skip a baseline run predicted to need more memory than this")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if shutil.which("/usr/bin/time") is None:
        sys.exit("needs GNU time at /usr/bin/time (apt-get install time)")
    from reuse.ingest import records

    sizes = sorted(args.sizes)
    rows = bench(sizes, args.formats, args.baseline, args.baseline_max_gb)
    command = "python benchmarks/bench_ingest_memory.py " + " ".join(sys.argv[1:])
    load = os.getloadavg()
    lines = [
        "# Reading a corpus: whole-process peak RSS and time",
        "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared), load "
        f"average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end, Python "
        f"{platform.python_version()}; reuse at `{git_revision(ROOT)}`"
        + (f", reuse-baseline at `{git_revision(args.baseline)}`" if args.baseline else "")
        + ".",
        "",
        "Each row is one process, started cold, that runs `read_corpus(FILE)` and prints the "
        "number of documents (see the script's docstring), timed by `/usr/bin/time -v`. RSS per "
        "document = (peak RSS − peak RSS of reading a one-document file of the same format) / "
        f"documents. reuse writes the documents to disk in batches of at most "
        f"{records.BATCH_RECORDS:,} records or {records.BATCH_CHARS >> 20} MiB of text "
        "(`reuse.ingest.records.BATCH_RECORDS`, `BATCH_CHARS`) and keeps 8 bytes per document "
        "(the hash of its id) while reading.",
        "",
        *table(rows),
        *growth(rows, sizes),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
