"""Python's garbage collector under the one-worker ``reuse run``: CPython's default young
threshold (700 new containers) against the command's (``reuse.engine.collector``).

Each run is a cold process that starts the ``reuse`` command as the console script does
(``reuse.cli.command.main``), after setting ``reuse.engine.collector.YOUNG_THRESHOLD`` (700
is CPython's own, so the command then changes nothing) and registering a ``gc.callbacks``
hook that times every collection of the process:

    reuse run IN --verify exact --threshold 0.8 --workers 1 --out DIR --quiet --no-report

Rounds alternate the settings (rotated order). Reports, medians over the rounds: the
collector's seconds (all, and the full collections'), the number of collections, the
process's CPU seconds (``time.process_time`` at exit) and wall seconds (from its start), and
its peak RSS. The corpus is ``generate_text_corpus.py``'s.

    .venv/bin/python benchmarks/bench_collector.py --docs 100000 --rounds 3

Writes ``benchmarks/results_collector.md`` unless ``--no-write``.
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
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results_collector.md"
CPYTHON_DEFAULT = 700

sys.path.insert(0, str(HERE))
from bench_dedup_process import git_revision  # noqa: E402
from generate_text_corpus import generate  # noqa: E402

# Runs in the measured process: the hook, the threshold, then the command itself.
_PROBE = """
import gc, json, resource, sys, time
start = time.perf_counter()
import reuse.engine.collector as collector
collector.YOUNG_THRESHOLD = int(sys.argv[1])
figures = {"seconds": 0.0, "full_seconds": 0.0, "collections": 0}
began = [0.0]

def timed(phase, info):
    if phase == "start":
        began[0] = time.perf_counter()
        return
    elapsed = time.perf_counter() - began[0]
    figures["seconds"] += elapsed
    figures["collections"] += 1
    if info["generation"] == 2:
        figures["full_seconds"] += elapsed

gc.callbacks.append(timed)
out = sys.argv[2]
sys.argv = ["reuse", *sys.argv[3:]]
from reuse.cli.command import main
try:
    main()
except SystemExit as exit:
    if exit.code:
        raise
figures["cpu"] = time.process_time()
figures["wall"] = time.perf_counter() - start
figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with open(out, "w") as handle:
    json.dump(figures, handle)
"""


def run_once(corpus: Path, threshold: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.json"
        command = [sys.executable, "-c", _PROBE, str(threshold), str(figures), "run",
                   str(corpus), "--verify", "exact", "--threshold", "0.8", "--workers", "1",
                   "--out", str(Path(tmp) / "run"), "--quiet", "--no-report"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(command, env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        return json.loads(figures.read_text())


def main() -> None:
    from reuse.engine.collector import YOUNG_THRESHOLD

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    corpus = generate(args.docs)
    settings = (CPYTHON_DEFAULT, YOUNG_THRESHOLD)
    runs: dict[int, list[dict[str, float]]] = {setting: [] for setting in settings}
    for round_ in range(args.rounds):
        for setting in settings[round_ % 2:] + settings[:round_ % 2]:
            runs[setting].append(run_once(corpus, setting))
            print(setting, runs[setting][-1], flush=True)
    lines = ["| young threshold | collector s | of which full collections s | collections "
             "| CPU s | wall s | peak RSS MB |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for setting in settings:
        rows = runs[setting]

        def median(key: str, rows: list[dict[str, float]] = rows) -> float:
            return statistics.median(r[key] for r in rows)

        label = f"{setting:,}" + (" (CPython's default)" if setting == CPYTHON_DEFAULT
                                  else " (the command's)")
        lines.append(f"| {label} | {median('seconds'):.2f} | {median('full_seconds'):.2f} | "
                     f"{median('collections'):.0f} | {median('cpu'):.2f} | {median('wall'):.2f} "
                     f"| {median('rss_mb'):.0f} |")
    text = "\n".join([
        "# The garbage collector under `reuse run --workers 1`",
        "",
        f"Written by `python benchmarks/bench_collector.py --docs {args.docs} --rounds "
        f"{args.rounds}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at `{git_revision(ROOT)}`, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{args.docs:,} documents of `generate_text_corpus.py`.",
        "",
        "Each run is a cold `reuse run IN --verify exact --threshold 0.8 --workers 1 --quiet "
        "--no-report` process whose collections are timed with `gc.callbacks`; CPU and wall "
        "seconds of the same process (from its start, imports included). Medians over "
        f"{args.rounds} alternated rounds.",
        "",
        *lines,
        "",
    ])
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
