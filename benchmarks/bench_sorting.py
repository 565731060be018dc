"""The stable sort order of 64-bit keys alone (``reuse.common.sorting.stable_order``): the
compiled radix sort of the packed words against ``np.sort`` of them, and both against numpy's
own ``argsort(kind="stable")``, in one process.

The keys are random 64-bit hashes with a fifth of them repeated (as the passage fingerprints
of a bucket partition, whose repeats pair documents), at the size of one partition of the 100k
corpus's passage fingerprints (about 460k) and of all of them (7.3M); and the same numbers of
small keys (positions below 2**20, whose high bits every key shares). Each is timed
``--repeat`` times each way, alternated; the best time of each, in nanoseconds per key. The
orders are checked equal to numpy's.

    .venv/bin/python benchmarks/bench_sorting.py --repeat 5

Writes ``benchmarks/results_sorting.md`` unless ``--no-write``.
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
RESULTS = HERE / "results_sorting.md"
SIZES = (460_000, 7_300_000)

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from bench_dedup_process import git_revision  # noqa: E402

from reuse.common import compiled  # noqa: E402
from reuse.common.sorting import compiled_sorting, stable_order  # noqa: E402


def keys_of(kind: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(11)
    if kind == "hashes":
        keys = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    else:
        keys = rng.integers(0, 2**20, size=n, dtype=np.uint64)
    repeated = rng.random(n) < 0.2
    keys[repeated] = keys[rng.integers(0, n, size=int(repeated.sum()))]
    return keys


def best_seconds(call, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def timed_order(keys: np.ndarray, way: str) -> np.ndarray:
    if way == "argsort":
        return np.argsort(keys, kind="stable")
    compiled.ENABLED = way == "compiled"
    try:
        return stable_order(keys)
    finally:
        compiled.ENABLED = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if compiled_sorting is None:
        raise SystemExit("reuse.common.compiled_sorting is not built (no C compiler?)")
    ways = ("compiled", "numpy", "argsort")
    lines = ["| keys | n | compiled ns/key | np.sort of the words ns/key | argsort ns/key | "
             "compiled vs np.sort |", "|---|---:|---:|---:|---:|---:|"]
    for kind in ("hashes", "small"):
        for n in SIZES:
            keys = keys_of(kind, n)
            expected = np.argsort(keys, kind="stable")
            for way in ways:
                if not np.array_equal(timed_order(keys, way), expected):
                    raise SystemExit(f"{kind}, {n}: {way} gives another order")
            best = dict.fromkeys(ways, float("inf"))
            for _ in range(3):  # alternated groups of repeats
                for way in ways:
                    best[way] = min(best[way], best_seconds(
                        lambda way=way, keys=keys: timed_order(keys, way), args.repeat))
            fast, words, argsort = (best[way] / n * 1e9 for way in ways)
            lines.append(f"| {kind} | {n:,} | {fast:.1f} | {words:.1f} | {argsort:.1f} | "
                         f"{words / fast:.1f}x |")
            print(lines[-1], flush=True)
    text = "\n".join([
        "# The stable sort order of 64-bit keys, compiled against numpy",
        "",
        f"Written by `python benchmarks/bench_sorting.py --repeat {args.repeat}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC at `{git_revision(ROOT)}`, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}.",
        "",
        "`stable_order` alone, in one process: 'compiled' sorts the packed words (key above "
        "index) with the radix sort of `reuse.common.compiled_sorting`, 'np.sort of the "
        "words' is the same function with `compiled.ENABLED = False`, 'argsort' is "
        f"`np.argsort(keys, kind='stable')`. The best of {3 * args.repeat} calls each way "
        "(three alternated groups), in nanoseconds per key; the orders are equal. Keys: random "
        "64-bit hashes, or numbers below 2**20, a fifth of each repeated.",
        "",
        *lines,
        "",
    ])
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
