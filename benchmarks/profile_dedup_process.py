"""cProfile of the whole ``reuse dedup`` command, imports included, on CPU time.

    .venv/bin/python benchmarks/profile_dedup_process.py --docs 100000 [--top 40] [-- EXTRA ARGS]

Runs ``reuse dedup data/text_N.jsonl --verify exact --threshold 0.8 --out TMP --quiet`` (the
corpus of ``generate_text_corpus.py``) in this process under cProfile with a CPU-time clock
(``time.process_time``, so that other jobs on a shared machine do not count), from before
``import reuse`` to the manifest written, and prints the functions by cumulative and by own
time. Extra arguments after ``--`` go to ``reuse dedup``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_text_corpus import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    corpus = generate(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        sys.argv = ["reuse", "dedup", str(corpus), "--verify", "exact", "--threshold", "0.8",
                    "--out", str(Path(tmp) / "run"), "--quiet", *args.extra]
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        try:
            from reuse.cli.command import main as reuse_main

            reuse_main()
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                raise
        finally:
            profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
