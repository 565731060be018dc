"""How much faster two processes get through work than one, on this machine: the ceiling of
``--workers 2`` against ``--workers 1``, whatever reuse does.

Each workload runs in a cold Python process that loads what it needs, waits for a start time
given to it, then times its own work (``time.perf_counter``). A round runs it alone, then two
copies at once (same start time); the speed-up of the round is ``2 * alone / slower of the
two``: what two workers that shared nothing and waited for nothing would gain. Rounds
alternate, so a slow spell of the shared machine falls on both. Workloads:

- ``python``: a pure-Python loop of 40M steps (the interpreter only, nothing from memory);
- ``numpy``: multiply and sort 4M random 64-bit numbers, 24 times (memory-bound vector
  passes);
- ``tokenize``: reuse's tokenizer and shingling (``tokenize_batch`` and ``shingle_batch``) over
  the first 4,000 documents (about 10 MB) of ``generate_text_corpus.py``'s corpus, 12 times,
  400 documents a call, as the workers of ``reuse dedup`` and ``run`` tokenize it;
- ``dedup``: the whole command ``reuse dedup <100k corpus> --verify exact --threshold 0.8
  --workers 1``, as a user runs it (cold start, input read, tables written; each copy writes
  its own run folder), timed from its start to its exit by this script: what two one-worker
  dedups running side by side get through, against which ``--workers 2`` is measured;
- ``run``: the same for ``reuse run ... --no-report`` (not run unless asked for, with
  ``--workloads``: ``bench_speedup_bound.py`` runs it).

    .venv/bin/python benchmarks/bench_parallel_ceiling.py --rounds 8 \\
        --out benchmarks/results_parallel_ceiling.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / "data" / "text_100000.jsonl"
TOKENIZE_DOCUMENTS = 4000

WORKLOADS = {
    "python": """
def work():
    x = 0
    for i in range(40_000_000):
        x += i * i
""",
    "numpy": """
import numpy as np
values = np.random.default_rng(0).integers(0, 2**63, size=4_000_000, dtype=np.uint64)
def work():
    for _ in range(24):
        np.sort(values * np.uint64(0x9E3779B97F4A7C15))
""",
    "tokenize": f"""
import itertools, json
from reuse.text.shingle import shingle_batch
from reuse.text.tokenize import tokenize_batch
with open({str(CORPUS)!r}, encoding="utf-8") as handle:
    texts = [json.loads(line)["text"] for line in itertools.islice(handle, {TOKENIZE_DOCUMENTS})]
def work():
    for _ in range(12):
        for lo in range(0, len(texts), 400):
            shingle_batch(tokenize_batch(texts[lo:lo + 400]), 5)
""",
}

# Whole processes, timed from outside: the arguments after ``python -m reuse``, with ``{out}``
# standing for the run folder of each copy and ``{corpus}`` for the input.
COMMANDS = {
    "dedup": ["dedup", "{corpus}", "--verify", "exact", "--threshold", "0.8", "--workers", "1",
              "--quiet", "--out", "{out}"],
    "run": ["run", "{corpus}", "--verify", "exact", "--threshold", "0.8", "--workers", "1",
            "--quiet", "--no-report", "--out", "{out}"],
}

TIMED = """
import sys, time
start_at = float(sys.argv[1])
time.sleep(max(0.0, start_at - time.time()))
began = time.perf_counter()
work()
print(time.perf_counter() - began)
"""


def timed_commands(workload: str, copies: int, corpus: Path = CORPUS) -> list[float]:
    """Start ``copies`` processes of the command ``workload`` on ``corpus`` together; the wall
    seconds of each, from the common start to its exit."""
    with tempfile.TemporaryDirectory(prefix="reuse-ceiling-") as scratch:
        commands = [[sys.executable, "-m", "reuse",
                     *(arg.format(out=os.path.join(scratch, f"run{copy}"), corpus=corpus)
                       for arg in COMMANDS[workload])] for copy in range(copies)]
        seconds = [0.0] * copies
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        began = time.perf_counter()
        processes = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
                     for command in commands]

        def wait(copy: int) -> None:
            processes[copy].wait()
            seconds[copy] = time.perf_counter() - began

        waiters = [threading.Thread(target=wait, args=(copy,)) for copy in range(copies)]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
        for process in processes:
            if process.returncode:
                raise SystemExit(f"the {workload} command failed (exit {process.returncode})")
    return seconds


def timed_processes(workload: str, copies: int, corpus: Path = CORPUS) -> list[float]:
    """Start ``copies`` processes of ``workload`` together; the seconds of work of each (a
    command's on ``corpus``)."""
    if workload in COMMANDS:
        return timed_commands(workload, copies, corpus)
    code = WORKLOADS[workload] + TIMED
    # Time enough for every process to load numpy (and reuse) before the common start.
    start_at = time.time() + 2.0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", code, str(start_at)],
                                  stdout=subprocess.PIPE, text=True, env=env)
                 for _ in range(copies)]
    seconds = []
    for process in processes:
        out, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"the {workload} workload failed (exit {process.returncode})")
        seconds.append(float(out))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--workloads", nargs="+", default=[*WORKLOADS, "dedup"],
                        choices=[*WORKLOADS, *COMMANDS])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if {"tokenize", *COMMANDS} & set(args.workloads) and not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is missing: run benchmarks/generate_text_corpus.py first")
    rows = []
    for workload in args.workloads:
        speedups, alone_all, two_all = [], [], []
        for number in range(args.rounds):
            (alone,) = timed_processes(workload, 1)
            two = timed_processes(workload, 2)
            speedups.append(2 * alone / max(two))
            alone_all.append(alone)
            two_all.append(max(two))
            print(f"{workload} round {number + 1}: alone {alone:.2f} s, two at once "
                  f"{two[0]:.2f} and {two[1]:.2f} s, speed-up {speedups[-1]:.2f}", flush=True)
        rows.append({"workload": workload, "alone": statistics.median(alone_all),
                     "two": statistics.median(two_all),
                     "median": statistics.median(speedups), "min": min(speedups),
                     "max": max(speedups), "load": os.getloadavg()[0]})
    lines = [
        "# Two processes against one on this machine: the ceiling of `--workers 2`",
        "",
        f"Written by `python benchmarks/bench_parallel_ceiling.py {' '.join(sys.argv[1:])}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}.",
        "",
        "Each workload runs in a cold process that times its own work after a common start "
        "(`dedup`, `run`: the whole command, timed from its start to its exit); a "
        "round runs it alone, then two copies at once. Speed-up of a round = 2 x (alone) / "
        "(slower of the two). Medians over the rounds; 'load' is the 1-minute load average "
        "after the workload's last round.",
        "",
        "| workload | rounds | alone s (median) | two at once s (median) | speed-up median | "
        "min | max | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row['workload']} | {args.rounds} | {row['alone']:.2f} | "
                     f"{row['two']:.2f} | {row['median']:.2f} | {row['min']:.2f} | "
                     f"{row['max']:.2f} | {row['load']:.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
