"""Two workers against one, and the most that two workers could gain on this machine.

Each round runs, for each command, ``--workers 1`` and ``--workers 2`` (in alternating order)
as a user runs them (cold processes, tables written), then the same command with one worker
alone and as two copies at once (the ``dedup`` and ``run`` workloads of
``bench_parallel_ceiling.py``)::

    python -m reuse dedup IN --verify exact --threshold 0.8 --workers W --out DIR --quiet
    python -m reuse run IN --verify exact --threshold 0.8 --workers W --out DIR --quiet --no-report

The one-worker run's manifest says how long each stage took. The stages that run in worker
processes with ``--workers 2`` (``ingest``, which sketches as it reads, ``candidates``,
``verify``, ``passage_candidates``, ``align``, ``passages``) are its parallel part ``p``; the
rest of its wall time, ``s``, runs in the main process alone whatever the number of workers:
start-up and imports (the wall time no stage counts), ``cluster`` and ``write``. Amdahl's law
bounds the speed-up of two workers at

- ``wall / (s + p / 2)`` if the parallel part ran twice as fast, and
- ``wall / (s + p / c)`` at the speed-up ``c`` that two independent one-worker copies of the
  same command, started together, reach on this machine in the same round (the ceiling: two
  workers that shared nothing and waited for nothing would get as far; see
  ``bench_parallel_ceiling.py``), and
- ``wall / (t + (wall - t) / c)``, with ``t`` the start-up alone: what even a run whose every
  stage were parallel would reach at the ceiling.

    .venv/bin/python benchmarks/bench_speedup_bound.py --rounds 4 \\
        --out benchmarks/results_speedup_bound.md

Medians over the rounds. Prints the table, and writes it to ``--out`` when given.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
from bench_dedup_process import compile_bytecode, git_revision  # noqa: E402
from bench_parallel_ceiling import timed_processes  # noqa: E402
from bench_trees import measure as run_tree  # noqa: E402
from generate_text_corpus import generate  # noqa: E402

PARALLEL_STAGES = ("ingest", "sketch", "candidates", "verify", "passage_candidates", "align",
                   "passages")


def measure(corpus: Path, command: str, workers: int, scratch: Path) -> dict[str, float]:
    """Wall time of one cold run, and its parallel and serial parts (see the module text)."""
    figures = run_tree(corpus, ROOT, workers, scratch, command, stage_timings=True)
    timings = figures["timings"]
    parallel = sum(seconds for stage, seconds in timings.items() if stage in PARALLEL_STAGES)
    return {"wall": figures["wall"], "parallel": parallel,
            "serial": figures["wall"] - parallel,
            "startup": figures["wall"] - sum(timings.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--commands", nargs="+", choices=["dedup", "run"],
                        default=["dedup", "run"])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    corpus = generate(args.docs)
    compile_bytecode(ROOT)
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    ceilings: dict[str, list[float]] = {command: [] for command in args.commands}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            for command in args.commands:
                for workers in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                    figures = measure(corpus, command, workers, Path(scratch))
                    runs.setdefault((command, workers), []).append(figures)
                    print(command, workers, {k: round(v, 2) for k, v in figures.items()},
                          flush=True)
            for command in args.commands:
                (alone,) = timed_processes(command, 1, corpus)
                ceilings[command].append(2 * alone / max(timed_processes(command, 2, corpus)))
                print(f"round {round_ + 1}: {command} ceiling {ceilings[command][-1]:.2f}",
                      flush=True)
            loads.append(os.getloadavg()[0])
    lines = ["| command | wall s, 1 worker | wall s, 2 workers | speed-up measured | "
             "serial s (start-up s) | start-up s, 2 workers | parallel s | "
             "bound, parallel part 2x | ceiling (rounds) | bound at the ceiling | "
             "bound at the ceiling, only start-up serial | target |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    for command in args.commands:
        one, two = runs[(command, 1)], runs[(command, 2)]
        wall = statistics.median(r["wall"] for r in one)
        serial = statistics.median(r["serial"] for r in one)
        parallel = wall - serial
        startup = statistics.median(r["startup"] for r in one)
        measured = wall / statistics.median(r["wall"] for r in two)
        perfect = wall / (serial + parallel / 2)
        ceiling = statistics.median(ceilings[command])
        at_ceiling = wall / (serial + parallel / ceiling)
        startup_only = wall / (startup + (wall - startup) / ceiling)
        each = ", ".join(f"{value:.2f}" for value in ceilings[command])
        lines.append(
            f"| {command} | {wall:.2f} | {statistics.median(r['wall'] for r in two):.2f} | "
            f"{measured:.2f}x | {serial:.2f} ({startup:.2f}) | "
            f"{statistics.median(r['startup'] for r in two):.2f} | {parallel:.2f} | "
            f"{perfect:.2f}x | {ceiling:.2f}x ({each}) | {at_ceiling:.2f}x | "
            f"{startup_only:.2f}x | >= 1.8x: "
            f"{'met' if measured >= 1.8 else 'not met'} |")
    command_line = "python benchmarks/bench_speedup_bound.py " + " ".join(sys.argv[1:])
    text = "\n".join([
        "# Two workers against one, and what bounds it on this machine",
        "",
        f"Written by `{command_line}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, reuse at "
        f"`{git_revision(ROOT)}`, {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {min(loads):.1f}-{max(loads):.1f} after the "
        f"rounds; {args.docs:,} documents of `generate_text_corpus.py`, {args.rounds} rounds. "
        "`run` is `run --no-report`. Wall times from `/usr/bin/time -v`, medians over the "
        "rounds. 'serial s': the one-worker run's wall time outside the stages that run in "
        "worker processes (start-up s: outside every stage, shown for the two-worker run too); "
        "'parallel s': the rest. Bounds "
        "(Amdahl's law): one-worker wall / (serial + parallel / k), for k = 2 and for k = the "
        "ceiling: the median speed-up of two one-worker copies of the same command on the same "
        "corpus started together against one alone (2 x alone / slower of the two), measured "
        "in every round. The last bound counts only the start-up as serial: one-worker wall / "
        "(start-up + rest / ceiling).",
        "",
        *lines,
    ]) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
