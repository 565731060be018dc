"""Hostile input: memory while skipping millions of bad records, and one record too long to hold.

Each scenario is generated into a temporary folder and ``reuse dedup`` runs on it as a user runs
it (``python -m reuse``, cold start, tables written), in a subprocess whose own peak RSS is read
from ``/proc`` (``peak_rss.py``). Each scenario runs at several sizes, so memory that grows with
the input shows as a rising peak.

* ``no_ids``: a ``.jsonl.gz`` of N MB (uncompressed) of records without an id field, read with
  ``--on-error skip``: every record is skipped, counted and listed in the ``skipped`` table.
* ``long_record``: a JSONL whose one record holds a text of N MB, read with
  ``--max-doc-chars 1000000 --on-error skip`` beside ten ordinary records: the long record must
  be skipped as ``too_long`` without being held whole.

    .venv/bin/python benchmarks/bench_hostile.py              # writes results_hostile.md
    .venv/bin/python benchmarks/bench_hostile.py --quick --no-write
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from peak_rss import run_measured

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results_hostile.md"
SIZES = {"no_ids": [50, 100, 200], "long_record": [100, 400]}
QUICK = {"no_ids": [10, 20], "long_record": [20]}
NO_ID_LINE = b'{"text": "a record without any id field at all"}\n'


def make_no_ids(folder: Path, megabytes: int) -> tuple[Path, int]:
    path = folder / f"no_ids_{megabytes}.jsonl.gz"
    lines = megabytes * 1_000_000 // len(NO_ID_LINE)
    block = NO_ID_LINE * 10_000
    with gzip.open(path, "wb", compresslevel=1) as handle:
        for _ in range(lines // 10_000):
            handle.write(block)
        handle.write(NO_ID_LINE * (lines % 10_000))
    return path, lines


def make_long_record(folder: Path, megabytes: int) -> tuple[Path, int]:
    path = folder / f"long_{megabytes}.jsonl"
    word = "lorem ipsum dolor sit amet "
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(5):
            handle.write(json.dumps({"id": f"before-{i}", "text": f"ordinary text {i} " * 20}) + "\n")
        handle.write('{"id": "long", "text": "')
        chunk = word * (1_000_000 // len(word))
        for _ in range(megabytes):
            handle.write(chunk)
        handle.write('"}\n')
        for i in range(5):
            handle.write(json.dumps({"id": f"after-{i}", "text": f"ordinary text {i} " * 20}) + "\n")
    return path, 11


def run_reuse(source: Path, out: Path, *extra: str) -> tuple[dict, float, float]:
    command = [sys.executable, "-m", "reuse", "dedup", str(source), "--out", str(out), "-q",
               "--on-error", "skip", *extra]
    done, seconds, peak = run_measured(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    counts = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    return counts, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    args = parser.parse_args()
    sizes = QUICK if args.quick else SIZES
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for scenario, make, extra in (
            ("no_ids", make_no_ids, ()),
            ("long_record", make_long_record, ("--max-doc-chars", "1000000")),
        ):
            for megabytes in sizes[scenario]:
                source, records = make(folder, megabytes)
                out = folder / f"out_{scenario}_{megabytes}"
                counts, seconds, peak = run_reuse(source, out, *extra)
                if counts["read"] != records:
                    raise SystemExit(f"{scenario} {megabytes} MB: read {counts['read']} of {records}")
                rows.append({
                    "scenario": scenario, "input MB": megabytes, "records": records,
                    "skipped": counts["skipped"], "seconds": round(seconds, 1),
                    "peak RSS MiB": round(peak),
                })
                source.unlink()
                print(rows[-1], flush=True)
    header = list(rows[0])
    table = "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                      + ["| " + " | ".join(str(row[k]) for k in header) + " |" for row in rows])
    command = "benchmarks/bench_hostile.py" + (" --quick" if args.quick else "")
    text = (
        "# Hostile input: bad records skipped, a record too long to hold\n\n"
        f"`{command}` on {platform.node()} ({platform.processor() or platform.machine()}), "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Whole process (`python -m reuse dedup`, tables "
        "written), peak RSS is the process's own VmHWM.\n\n"
        f"{table}\n\n"
        "`no_ids`: a `.jsonl.gz` of records without an id, `--on-error skip`; every record is a "
        "counted skip listed in the `skipped` table. `long_record`: one record with an N MB text "
        "among 10 ordinary ones, `--max-doc-chars 1000000 --on-error skip`: skipped as "
        "`too_long`.\n"
    )
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
