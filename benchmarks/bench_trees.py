"""This tree against other source trees of reuse, command by command, in alternated rounds.

A before/after measurement on a shared machine: each round runs every tree once, in a rotated
order, for each command and ``--workers`` value, so that a slow spell of the machine falls on
all of them. Each run is a cold process as a user starts it, timed as by
``bench_dedup_scale.py`` (wall clock from ``/usr/bin/time -v``; CPU = user + system time of
every process of the tree, the workers included, sampled from ``/proc``; peak RSS = the largest
process)::

    python -m reuse dedup IN --verify exact --threshold 0.8 --workers W --out DIR --quiet
    python -m reuse run IN --verify exact --threshold 0.8 --workers W --out DIR --quiet --no-report

with the tree first on ``PYTHONPATH`` (a tree from before ``reuse/__main__.py`` is started
through ``reuse.cli.main``). A tree whose command has no ``--workers`` runs without it (one
process), in the rows of one worker. The corpus is ``generate_text_corpus.py``'s.

    .venv/bin/python benchmarks/bench_trees.py --trees /tmp/before --commands dedup run \\
        --workers 1 2 --rounds 3 --out benchmarks/results_trees.md

With ``--stages``, a second table gives each stage's median seconds from the runs' manifests.
Prints the tables, and writes them to ``--out`` when given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
from bench_dedup_process import (  # noqa: E402
    compile_bytecode,
    entry,
    git_revision,
    takes_workers,
)
from bench_dedup_scale import THRESHOLD, time_process  # noqa: E402
from generate_text_corpus import generate  # noqa: E402


def measure(corpus: Path, tree: Path, workers: int | None, scratch: Path, command: str,
            stage_timings: bool = False) -> dict[str, Any]:
    """One cold run of ``command`` by ``tree`` (see the module text); with ``stage_timings``,
    also the ``timings`` of its manifest (seconds per stage)."""
    out, temporary = scratch / "out", scratch / "tmp"
    for folder in (out, temporary):
        shutil.rmtree(folder, ignore_errors=True)
    temporary.mkdir()
    argv = [*entry(tree), command, str(corpus), "--verify", "exact", "--threshold",
            str(THRESHOLD), "--out", str(out), "--quiet"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    if command == "run":
        argv.append("--no-report")
    figures: dict[str, Any] = time_process(argv, tree, temporary, out)
    if stage_timings:  # a tree from before the manifest's timings has none
        figures["timings"] = json.loads((out / "manifest.json").read_text()).get("timings", {})
    for folder in (out, temporary):
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trees", type=Path, nargs="+", required=True,
                        help="other source trees of reuse (worktrees of earlier commits)")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--commands", nargs="+", choices=["dedup", "run"], default=["dedup"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--stages", action="store_true",
                        help="also a table of each stage's median seconds (the manifests' "
                             "timings)")
    args = parser.parse_args()
    corpus = generate(args.docs)
    trees = [ROOT, *(tree.resolve() for tree in args.trees)]
    names = {tree: f"`{git_revision(tree)}`" + (" (this tree)" if tree == ROOT else "")
             for tree in trees}
    options = {tree: takes_workers(tree) for tree in trees}
    for tree in trees:
        compile_bytecode(tree)
    runs: dict[tuple[str, int, Path], list[dict[str, float]]] = {}
    loads = []
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            for command in args.commands:
                for workers in args.workers:
                    shift = round_ % len(trees)
                    for tree in trees[shift:] + trees[:shift]:
                        has_option = options[tree]
                        if workers > 1 and not has_option:
                            continue
                        figures = measure(corpus, tree, workers if has_option else None,
                                          Path(scratch), command, stage_timings=args.stages)
                        runs.setdefault((command, workers, tree), []).append(figures)
                        loads.append(os.getloadavg()[0])
                        print(command, workers, names[tree], figures, flush=True)
    lines = ["| command | workers | tree | wall s (median) | wall s (min-max) | CPU s (median) "
             "| peak RSS MB | speed vs this tree | speed vs 1 worker |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for command in args.commands:
        for workers in args.workers:
            ours = runs.get((command, workers, ROOT))
            for tree in trees:
                rows = runs.get((command, workers, tree))
                if not rows:
                    continue
                wall = statistics.median(r["wall"] for r in rows)
                one = runs.get((command, 1, tree))
                vs_one = (f"{statistics.median(r['wall'] for r in one) / wall:.2f}x"
                          if one and workers > 1 else "")
                vs_ours = (f"{statistics.median(r['wall'] for r in ours) / wall:.2f}x"
                           if ours else "")
                lines.append(
                    f"| {command} | {workers} | {names[tree]} | {wall:.2f} | "
                    f"{min(r['wall'] for r in rows):.2f}-{max(r['wall'] for r in rows):.2f} | "
                    f"{statistics.median(r['cpu'] for r in rows):.2f} | "
                    f"{statistics.median(r['rss_mb'] for r in rows):.0f} | {vs_ours} | "
                    f"{vs_one} |")
    if args.stages:
        lines += ["", *_stage_table(runs, args.commands, args.workers, trees, names)]
    command_line = "python benchmarks/bench_trees.py " + " ".join(
        str(a) for a in sys.argv[1:])
    text = "\n".join([
        "# This tree against other trees of reuse, alternated rounds",
        "",
        f"Written by `{command_line}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{min(loads):.1f}-{max(loads):.1f} after the runs; {args.docs:,} documents of "
        f"`generate_text_corpus.py`, {args.rounds} rounds, each running every tree once in a "
        "rotated order. Wall time from `/usr/bin/time -v`; CPU time of the whole process tree "
        "(workers included) from `/proc`; peak RSS of the largest process. 'speed vs this "
        "tree': this tree's median wall time over the row's; 'speed vs 1 worker': the same "
        "tree's one-worker median over the row's. `run` is `run --no-report`.",
        "",
        *lines,
    ]) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")


def _stage_table(runs: dict[tuple[str, int, Path], list[dict[str, Any]]], commands: list[str],
                 workers_values: list[int], trees: list[Path], names: dict[Path, str]
                 ) -> list[str]:
    """Each stage's median seconds (wall clock, as the manifest times it) per command, workers
    and tree; a tree without the manifest's timings is left out."""
    stages: list[str] = []
    for rows in runs.values():
        for row in rows:
            stages += [stage for stage in row.get("timings", {}) if stage not in stages]
    lines = ["Median seconds of each stage (the manifests' `timings`):", "",
             "| command | workers | tree | " + " | ".join(stages) + " |",
             "|---|---:|---|" + "---:|" * len(stages)]
    for command in commands:
        for workers in workers_values:
            for tree in trees:
                rows = [row for row in runs.get((command, workers, tree), [])
                        if row.get("timings")]
                if not rows:
                    continue
                cells = [f"{statistics.median(row['timings'][stage] for row in rows):.2f}"
                         if all(stage in row["timings"] for row in rows) else ""
                         for stage in stages]
                lines.append(f"| {command} | {workers} | {names[tree]} | " + " | ".join(cells)
                             + " |")
    return lines


if __name__ == "__main__":
    main()
