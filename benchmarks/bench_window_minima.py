"""The passage windows' minima alone (``reuse.sketch.windows.window_minima``): the compiled pass
against the numpy code, in one process.

The values are 200k random 64-bit hashes (the shingles of a sketching batch of about 1M
characters, mixed as ``window_fingerprints`` mixes them), and sorted runs of as many (rising:
every window's minimum leaves it at once, the compiled scan's worst case). Each width is timed
``--repeat`` times each way, alternated; the best time of each, in nanoseconds per value. The
outputs are checked equal.

    .venv/bin/python benchmarks/bench_window_minima.py --repeat 20

Writes ``benchmarks/results_window_minima.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results_window_minima.md"
VALUES = 200_000
WIDTHS = (10, 16, 17, 200)

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from bench_dedup_process import git_revision  # noqa: E402

from reuse.common import compiled  # noqa: E402
from reuse.sketch.windows import window_minima  # noqa: E402


def best_seconds(values: np.ndarray, width: int, use_compiled: bool, repeat: int) -> float:
    compiled.ENABLED = use_compiled
    try:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            window_minima(values, width)
            best = min(best, time.perf_counter() - start)
        return best
    finally:
        compiled.ENABLED = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    inputs = {
        "random hashes": np.random.default_rng(7).integers(0, 2**64, size=VALUES,
                                                           dtype=np.uint64),
        "rising": np.arange(VALUES, dtype=np.uint64),
    }
    lines = ["| values | width | compiled ns/value | numpy ns/value | speed-up |",
             "|---|---:|---:|---:|---:|"]
    for label, values in inputs.items():
        for width in WIDTHS:
            compiled.ENABLED = False
            expected = window_minima(values, width)
            compiled.ENABLED = True
            if not np.array_equal(window_minima(values, width), expected):
                raise SystemExit(f"{label}, width {width}: the two ways differ")
            timed = {True: float("inf"), False: float("inf")}
            for _ in range(3):  # alternated groups of repeats
                for way in (True, False):
                    timed[way] = min(timed[way], best_seconds(values, width, way, args.repeat))
            fast, slow = (timed[way] / VALUES * 1e9 for way in (True, False))
            lines.append(f"| {label} | {width} | {fast:.2f} | {slow:.2f} | {slow / fast:.1f}x |")
            print(lines[-1], flush=True)
    text = "\n".join([
        "# The passage windows' minima, compiled against numpy",
        "",
        f"Written by `python benchmarks/bench_window_minima.py --repeat {args.repeat}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC at `{git_revision(ROOT)}`, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        f"`window_minima` alone on {VALUES:,} values, in one process; the best of "
        f"{3 * args.repeat} calls each way (three alternated groups), in nanoseconds per value. "
        "The outputs are equal.",
        "",
        *lines,
        "",
    ])
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
