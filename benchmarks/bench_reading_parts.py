"""The main process's share of reading a JSONL file in parts, this tree against others.

With ``workers`` > 1, worker processes parse and encode the parts of a JSONL file, and the main
process adds them to the document store in order: the share of the reading that does not grow
with the workers. Each round runs, for every tree in a rotated order, a cold process that reads
the corpus with the API as a pipeline would::

    reuse.ingest.read_corpus(PATH, workers=W)

with the tree first on ``PYTHONPATH``, and reports the call's wall time and the main process's
CPU time (user + system, its threads included, from ``getrusage``) during the call: the
interpreter's start and the imports are in neither, and the workers' CPU is not in it (their
start is, in the wall time). The corpus is ``generate_text_corpus.py``'s.

    .venv/bin/python benchmarks/bench_reading_parts.py --trees /tmp/before --rounds 5 \\
        --out benchmarks/results_reading_parts.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
from bench_dedup_process import git_revision  # noqa: E402
from generate_text_corpus import generate  # noqa: E402

_READ = """
import json, resource, sys, time
if __name__ == "__main__":
    from reuse.ingest import read_corpus

    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    start, cpu_start = time.perf_counter(), cpu()
    corpus = read_corpus(sys.argv[1], workers=int(sys.argv[2]))
    print(json.dumps({"documents": len(corpus.ids), "wall": time.perf_counter() - start,
                      "main_cpu": cpu() - cpu_start}))
"""


def measure(tree: Path, corpus: Path, workers: int) -> dict[str, float]:
    """One cold process of ``tree`` reading ``corpus`` (see the module text)."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", _READ, str(corpus), str(workers)], cwd=tree,
                          env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trees", type=Path, nargs="+", required=True,
                        help="other source trees of reuse (worktrees of earlier commits)")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    corpus = generate(args.docs)
    trees = [ROOT, *(tree.resolve() for tree in args.trees)]
    runs: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
    for round_number in range(args.rounds):
        shift = round_number % len(trees)
        for tree in trees[shift:] + trees[:shift]:
            figures = measure(tree, corpus, args.workers)
            runs[tree].append(figures)
            print(git_revision(tree), figures, flush=True)
    load = os.getloadavg()[0]
    lines = [
        "# The main process's share of reading a JSONL file in parts",
        "",
        f"Written by `python benchmarks/bench_reading_parts.py "
        f"{' '.join(sys.argv[1:])}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f} after the runs; "
        f"{args.docs:,} documents of `generate_text_corpus.py`, `read_corpus(PATH, "
        f"workers={args.workers})` in a cold process per run, {args.rounds} rounds, each "
        "running every tree once in a rotated order. Wall time of the call (the worker "
        "processes' start included; the interpreter's start and the imports not); CPU time "
        "(user + system, threads included) of the main process during the call, from "
        "`getrusage` (the workers' is not in it).",
        "",
        "| tree | documents | wall s (median) | wall s (min-max) | main-process CPU s (median) "
        "| main-process CPU s (min-max) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for tree in trees:
        walls = [run["wall"] for run in runs[tree]]
        cpus = [run["main_cpu"] for run in runs[tree]]
        name = f"`{git_revision(tree)}`" + (" (this tree)" if tree == ROOT else "")
        lines.append(
            f"| {name} | {int(runs[tree][0]['documents']):,} | {statistics.median(walls):.2f} "
            f"| {min(walls):.2f}-{max(walls):.2f} | {statistics.median(cpus):.2f} "
            f"| {min(cpus):.2f}-{max(cpus):.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
