"""Arrow's memory pool under ``reuse dedup``: its bundled mimalloc against glibc's heap.

The ``reuse`` command has pyarrow allocate from glibc (``ARROW_DEFAULT_MEMORY_POOL=system``)
unless the user set the variable, since it tunes glibc's heap to keep freed memory
(``reuse.engine.allocator``). This times the whole command with each pool, as a user runs it:

    python -m reuse dedup IN --verify exact --threshold 0.8 --out DIR --quiet --workers W

with ``ARROW_DEFAULT_MEMORY_POOL`` set to each pool in turn, ``--repeat`` interleaved rounds
(rotated order), each a cold process timed by ``/usr/bin/time -v``: user and system CPU seconds,
wall seconds, peak RSS of the main process. With ``--workers 2`` the CPU time of the workers is
not counted (they are children of the fork server, which /usr/bin/time does not wait for), so
compare wall time there. The corpus is ``generate_text_corpus.py``'s.

    .venv/bin/python benchmarks/bench_arrow_pool.py --docs 100000 --repeat 5

Writes ``benchmarks/results_arrow_pool.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
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
RESULTS = HERE / "results_arrow_pool.md"
POOLS = ("mimalloc", "system")

sys.path.insert(0, str(HERE))
from bench_dedup_process import git_revision, parse_time  # noqa: E402
from generate_text_corpus import generate  # noqa: E402


def run_once(corpus: Path, pool: str, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "time.txt"
        command = ["/usr/bin/time", "-v", "-o", str(report), sys.executable, "-m", "reuse",
                   "dedup", str(corpus), "--verify", "exact", "--threshold", "0.8",
                   "--out", str(Path(tmp) / "run"), "--quiet", "--workers", str(workers)]
        env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": pool, "PYTHONPATH": str(ROOT)}
        subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return parse_time(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    corpus = generate(args.docs)
    runs: dict[tuple[int, str], list[dict[str, float]]] = {}
    for round_ in range(args.repeat):
        for workers in args.workers:
            order = POOLS[round_ % 2:] + POOLS[:round_ % 2]
            for pool in order:
                runs.setdefault((workers, pool), []).append(run_once(corpus, pool, workers))
                print(workers, pool, runs[workers, pool][-1], flush=True)
    lines = ["| workers | pool | user s | sys s | CPU s (main process) | wall s | peak RSS MB "
             "| wall vs mimalloc |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for workers in args.workers:
        base = statistics.median(r["wall"] for r in runs[workers, "mimalloc"])
        for pool in POOLS:
            rows = runs[workers, pool]

            def median(key: str, rows: list[dict[str, float]] = rows) -> float:
                return statistics.median(r[key] for r in rows)

            cpu = median("cpu")
            lines.append(f"| {workers} | {pool} | {median('user'):.2f} | {median('sys'):.2f} | "
                         f"{cpu:.2f} | {median('wall'):.2f} | {median('rss_mb'):.0f} | "
                         f"{base / median('wall'):.2f}x |")
    load = os.getloadavg()
    command = "python benchmarks/bench_arrow_pool.py " + " ".join(sys.argv[1:])
    text = "\n".join([
        "# Arrow's memory pool under `reuse dedup`: mimalloc against glibc's heap",
        "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} / "
        f"{load[1]:.1f} / {load[2]:.1f} at the end; reuse at `{git_revision(ROOT)}`.",
        "",
        f"`python -m reuse dedup` of {args.docs:,} documents of `generate_text_corpus.py`, "
        "`--verify exact --threshold 0.8`, tables written, with `ARROW_DEFAULT_MEMORY_POOL` "
        f"set to each pool; {args.repeat} interleaved rounds, medians. Each run is a cold "
        "process timed by `/usr/bin/time -v`. With two workers only the main process's CPU "
        "time is counted: compare the wall time there. `system` is what the command now "
        "chooses when the variable is not set.",
        "",
        *lines,
    ]) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
