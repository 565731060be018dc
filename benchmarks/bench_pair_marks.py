"""The pair pages of a report: their writing time with the differences inside alignments found
stretch by stretch (before) and all stretches of an alignment at once (after), and proof that
the pages are the same bytes.

    .venv/bin/python benchmarks/bench_pair_marks.py --run-folder RUN --before-src OLD_CHECKOUT

RUN is a run folder (``reuse run ../shared/data/bible-en --out RUN``); it is not modified:
each measurement copies its tables to a fresh folder. OLD_CHECKOUT is a checkout of the code
to compare with (e.g. ``git worktree add /tmp/old main``). Each report is one whole process,
``render_report(COPY)`` as ``reuse report COPY --quiet`` runs it, under ``/usr/bin/time -v``,
with ``PYTHONPATH`` set to the checkout measured and timers around ``mark_alignment`` and
``render_side``; before and after alternate, ``--repeat`` times each. The seconds spent
writing pair pages are the report's own ``pair_pages`` timing in ``manifest.json``. The pair
pages of the two checkouts are compared by sha256.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# `reuse report RUN --quiet` (the CLI's defaults) in one process, with the seconds spent in
# mark_alignment and render_side summed by timers around them (166 calls on the Bible run)
TIMED_REPORT = """
import json, sys, time
from reuse.report import html
spent = {"mark_alignment": 0.0, "render_side": 0.0}
def timed(name):
    function = getattr(html, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
    setattr(html, name, wrapper)
timed("mark_alignment")
timed("render_side")
html.render_report(sys.argv[1], quiet=True)
print(json.dumps(spent))
"""

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent


def report_once(src: Path, run_folder: Path, work: Path) -> dict:
    copy = work / "run"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(run_folder, copy, ignore=shutil.ignore_patterns("html"))
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", TIMED_REPORT, str(copy)],
                          env=env, capture_output=True, text=True, check=True)
    timers = json.loads(done.stdout.strip().splitlines()[-1])
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)",
                     done.stderr)
    hours, minutes, seconds = int(wall.group(1) or 0), int(wall.group(2)), float(wall.group(3))
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    manifest = json.loads((copy / "manifest.json").read_text())
    pages = sorted((copy / "html" / "pairs").iterdir())
    digest = hashlib.sha256()
    for page in pages:
        digest.update(page.name.encode() + b"\0" + hashlib.sha256(page.read_bytes()).digest())
    return {"wall": hours * 3600 + minutes * 60 + seconds, "rss_mb": rss_kb / 1024,
            "pair_pages": manifest["report"]["timings"]["pair_pages"], "n_pages": len(pages),
            "mark_alignment": timers["mark_alignment"], "render_side": timers["render_side"],
            "sha256": digest.hexdigest()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-folder", type=Path, required=True)
    parser.add_argument("--before-src", type=Path, required=True,
                        help="checkout of the code to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, src in (("before", args.before_src), ("after", PROJECT)):
                runs[name].append(report_once(src.resolve(), args.run_folder, Path(tmp)))
                print(name, runs[name][-1], file=sys.stderr)
    rows = []
    for name in ("before", "after"):
        measured = runs[name]
        rows.append((name, statistics.median(r["pair_pages"] for r in measured),
                     statistics.median(r["mark_alignment"] for r in measured),
                     statistics.median(r["render_side"] for r in measured),
                     statistics.median(r["wall"] for r in measured),
                     max(r["rss_mb"] for r in measured), measured[0]["n_pages"],
                     {r["sha256"] for r in measured}))
    identical = len(rows[0][-1] | rows[1][-1]) == 1
    ratio, marking_ratio = rows[0][1] / rows[1][1], rows[0][2] / rows[1][2]
    command = (f"python benchmarks/bench_pair_marks.py --run-folder {args.run_folder} "
               f"--before-src {args.before_src} --repeat {args.repeat}")
    lines = [
        "# Pair pages: differences inside alignments compared stretch by stretch, or at once",
        "",
        f"`{command}` on {platform.machine()} Python {platform.python_version()}, "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "Each row: `render_report(COPY)` as `reuse report COPY --quiet` runs it, one whole "
        "process under `/usr/bin/time -v`, on a fresh copy of the run folder's tables; medians "
        f"of {args.repeat} runs, before and after alternating. *pair pages s* is the report's "
        "own `pair_pages` timing (manifest.json); *mark_alignment s* and *render_side s* are "
        "the seconds spent in those two functions (timers around them), part of the pair pages. "
        "The machine is shared with other jobs: wall seconds vary from run to run.",
        "",
        "| code | pair pages s | mark_alignment s | render_side s | report wall s | peak RSS MB "
        "| pair pages | sha256 of the pages |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, pair_s, marking_s, render_s, wall, rss, n_pages, digests in rows:
        label = {"before": f"before (`{args.before_src}`: one `compare_stretch` per stretch)",
                 "after": "after (this tree: `compare_stretches`, all stretches at once)"}[name]
        lines.append(f"| {label} | {pair_s:.1f} | {marking_s:.2f} | {render_s:.2f} | {wall:.1f} "
                     f"| {rss:.0f} | {n_pages} | "
                     f"{', '.join(d[:16] for d in sorted(digests))} |")
    lines += ["", f"mark_alignment {marking_ratio:.1f}x faster, pair pages {ratio:.1f}x; the pages are "
              f"{'byte-identical' if identical else 'NOT identical'} before and after.", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        (HERE / "results_pair_marks.md").write_text(text)


if __name__ == "__main__":
    main()
