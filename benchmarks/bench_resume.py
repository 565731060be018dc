"""What the stage checkpoints cost a whole `reuse run`, and what `--resume` saves after a kill.

    .venv/bin/python benchmarks/bench_resume.py --before DIR   # writes results_resume.md
    .venv/bin/python benchmarks/bench_resume.py --engine spark  # writes results_resume_spark.md

``DIR`` is a checkout of reuse without checkpoints (e.g. ``git worktree add /tmp/before
<commit>``); without ``--before`` that row is left out. Every run is one process as a user runs
it, ``/usr/bin/time -v python -m reuse run CORPUS --out OUT --no-report --workers N`` (default
corpus: the five English Bible versions in ../shared/data/bible-en), with a TMPDIR of its own.
While it runs, the bytes in its run folder plus its TMPDIR are summed every 50 ms: the peak is
the disk the run needed at once (the document store, the spill files, the checkpoints, the
tables).

Rows:

* **before**: the code of ``--before``: no checkpoints;
* **checkpointed**: this tree, checkpoints written and removed at the end;
* **kept**: with ``--keep-checkpoints``: the size of each stage's checkpoint (from the ledger);
* **killed in align, resumed**: the run is killed (SIGKILL) half way through its align stage
  (the ledger has recorded ``passage_candidates``; then half the checkpointed run's align
  seconds pass), and ``--resume`` finishes it: its wall time against the checkpointed run's is
  what resuming saves (the align stage restarts from its beginning: a stage is the unit);
* **killed after align, resumed**: killed right after the align checkpoint
  (``REUSE_TEST_DIE_AFTER=align``), then resumed.

Every resumed run's tables are compared byte for byte with the checkpointed run's (and, where
the bytes differ, row for row after sorting).

With ``--engine spark`` every run is ``--engine spark --spark-dir SCRATCH`` on Spark
``local[2]`` (``PYSPARK_SUBMIT_ARGS``: driver memory 1 GB, no UI), whose stages are Parquet
checkpoints in a stage root under ``--spark-dir``; the default corpus is then bench_spark.py's
(``generate_text_corpus.py``'s prose with 5% planted passages) of ``--documents`` documents
(default 2,000). The Spark engine keeps no parts of a stage in progress: a run killed in align
resumes after ``passage_candidates``. The ``before`` row is not run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIBLE = ROOT.parent / "shared" / "data" / "bible-en"


def folder_bytes(*folders: Path) -> int:
    total = 0
    for folder in folders:
        for directory, _, names in os.walk(folder):
            for name in names:
                with contextlib.suppress(OSError):  # removed while it was being summed
                    total += os.lstat(os.path.join(directory, name)).st_size
    return total


class DiskWatch:
    """The peak of the bytes under some folders, sampled every 50 ms in a thread."""

    def __init__(self, *folders: Path) -> None:
        self.folders, self.peak = folders, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, folder_bytes(*self.folders))
            time.sleep(0.05)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def time_report(stderr: str) -> dict[str, float]:
    def field(name: str) -> str:
        found = re.search(rf"^\s*{re.escape(name)}: (.+)$", stderr, re.MULTILINE)
        if found is None:
            raise SystemExit(f"no {name!r} in the output of /usr/bin/time:\n{stderr[-2000:]}")
        return found[1]

    clock = [float(part) for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(value * 60 ** k for k, value in enumerate(reversed(clock)))
    return {"wall": wall, "user": float(field("User time (seconds)")),
            "system": float(field("System time (seconds)")),
            "rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024}


class Runner:
    def __init__(self, corpus: Path, workers: int, base: Path, engine: str = "local") -> None:
        self.corpus, self.workers, self.base, self.engine = corpus, workers, base, engine

    def command(self, tree: Path, out: Path, *extra: str) -> tuple[list[str], dict[str, str]]:
        scratch = self.base / f"tmp-{out.name}"
        scratch.mkdir(exist_ok=True)
        environment = {**os.environ, "PYTHONPATH": str(tree), "TMPDIR": str(scratch)}
        environment.pop("REUSE_TEST_DIE_AFTER", None)
        if self.engine == "spark":
            environment["PYSPARK_PYTHON"] = sys.executable
            environment["PYSPARK_SUBMIT_ARGS"] = (
                "--master local[2] --driver-memory 1g --conf spark.ui.enabled=false "
                "--conf spark.ui.showConsoleProgress=false pyspark-shell")
            engine = ["--engine", "spark", "--spark-dir", str(self.spark_dir(out))]
        else:
            engine = ["--workers", str(self.workers)]
        return ([sys.executable, "-m", "reuse", "run", str(self.corpus), "--out", str(out),
                 "--no-report", "--quiet", *engine, *extra], environment)

    def spark_dir(self, out: Path) -> Path:
        return self.base / f"spark-{out.name}"

    def measured(self, tree: Path, out: Path, *extra: str,
                 die_after: str | None = None) -> dict[str, Any]:
        command, environment = self.command(tree, out, *extra)
        if die_after is not None:
            environment["REUSE_TEST_DIE_AFTER"] = die_after
        with DiskWatch(out, Path(environment["TMPDIR"]), self.spark_dir(out)) as watch:
            done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True,
                                  text=True, cwd=tree, env=environment)
        if done.returncode and die_after is None:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
        figures: dict[str, Any] = {**time_report(done.stderr), "peak_disk_mb": watch.peak / 2**20,
                                   "folder_mb": folder_bytes(out) / 2**20, "read_back": "–"}
        if (out / "manifest.json").exists():
            manifest = json.loads((out / "manifest.json").read_text())
            block = manifest.get("checkpoints") or {}
            if block.get("resumed_after"):
                kept = (block.get("resumed_parts") or {}).get("align")
                figures["read_back"] = f"stages to {block['resumed_after']}" + (
                    f", {kept} align chunks" if kept else "")
        return figures

    def killed_in_align(self, out: Path, align_seconds: float) -> tuple[float, str]:
        """Start a run, kill it half way through its align stage (on Spark, whose align time
        varies most with the load, one second into it); its wall seconds until then and the
        last stage the ledger had recorded complete."""
        command, environment = self.command(ROOT, out)
        ledger = out / "checkpoints" / "stages.json"
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            if process.poll() is not None:
                raise SystemExit("the run ended before its align stage began")
            try:
                stages = [s["name"] for s in json.loads(ledger.read_text())["stages"]]
            except (OSError, ValueError):
                stages = []
            if "passage_candidates" in stages:
                break
            time.sleep(0.02)
        time.sleep(1.0 if self.engine == "spark" else align_seconds / 2)
        process.send_signal(signal.SIGKILL)
        process.wait()
        return time.perf_counter() - started, json.loads(ledger.read_text())["stages"][-1]["name"]


def tables(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def compared(folder: Path, whole: Path) -> str:
    """The tables of ``folder`` against ``whole``'s: byte for byte, else row for row after
    sorting every column."""
    if tables(folder) == tables(whole):
        return "identical"
    import pandas as pd

    for name in tables(whole):
        mine, theirs = (pd.read_parquet(side / name) for side in (folder, whole))
        if list(mine.columns) != list(theirs.columns) or len(mine) != len(theirs):
            return "DIFFERENT"
        keys = [c for c in mine.columns if mine[c].map(type).isin([str, int, float, bool]).all()]
        mine, theirs = (frame.sort_values(keys).reset_index(drop=True).astype(str)
                        for frame in (mine, theirs))
        if not mine.equals(theirs):
            return "DIFFERENT"
    return "equal row for row (bytes differ)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, default=None,
                        help="a checkout of reuse without checkpoints")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="default: ../shared/data/bible-en; with --engine spark, "
                        "bench_spark.py's corpus of --documents documents")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--engine", choices=("local", "spark"), default="local")
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None,
                        help="default: benchmarks/results_resume.md (results_resume_spark.md "
                        "with --engine spark)")
    args = parser.parse_args()
    spark = args.engine == "spark"
    if args.out is None:
        args.out = ROOT / "benchmarks" / f"results_resume{'_spark' if spark else ''}.md"
    if args.corpus is None:
        if spark:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from bench_spark import plant_passages
            from generate_text_corpus import generate

            args.corpus = plant_passages(generate(args.documents), 0.05)
        else:
            args.corpus = BIBLE
    if spark and args.before is not None:
        raise SystemExit("--before compares the local engine only")

    load_at_start = f"{os.getloadavg()[0]:.1f}"
    base = Path(tempfile.mkdtemp(prefix="bench-resume-"))
    runner = Runner(args.corpus, args.workers, base, args.engine)
    rows: list[tuple[str, dict[str, Any], str]] = []
    try:
        if args.before is not None:
            rows.append(("before (no checkpoints)", runner.measured(args.before, base / "before"),
                         ""))
        whole = runner.measured(ROOT, base / "whole")
        rows.append(("checkpointed", whole, ""))
        kept = runner.measured(ROOT, base / "kept", "--keep-checkpoints")
        rows.append(("checkpointed, --keep-checkpoints", kept, ""))
        ledger = json.loads((base / "kept" / "checkpoints" / "stages.json").read_text())
        manifest = json.loads((base / "whole" / "manifest.json").read_text())
        align_seconds = float(manifest["timings"]["align"])

        killed_after, last_stage = runner.killed_in_align(base / "resumed", align_seconds)
        where = "in align" if last_stage == "passage_candidates" else f"after {last_stage}"
        resumed = runner.measured(ROOT, base / "resumed", "--resume")
        rows.append((f"killed {where} after {killed_after:.1f} s, resumed", resumed,
                     compared(base / "resumed", base / "whole")))

        runner.measured(ROOT, base / "late", die_after="align")
        late = runner.measured(ROOT, base / "late", "--resume")
        rows.append(("killed after align, resumed", late, compared(base / "late", base / "whole")))
        left_behind = {folder.name.removeprefix("spark-"): sorted(p.name for p in folder.iterdir())
                       for folder in sorted(base.glob("spark-*"))}
    finally:
        shutil.rmtree(base, ignore_errors=True)

    corpus_name = (args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT)
                   else f"../{args.corpus.relative_to(ROOT.parent)}"
                   if args.corpus.is_relative_to(ROOT.parent) else args.corpus)
    how = ("--engine spark --spark-dir SCRATCH` on Spark local[2], driver memory 1 GB"
           if spark else f"--workers {args.workers}`")
    lines = [
        "# Stage checkpoints: their cost on a whole `reuse run`"
        f"{' --engine spark' if spark else ''}, and what `--resume` saves",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_resume.py"
        f"{' --before DIR' if args.before else ''}"
        f"{f' --engine spark --documents {args.documents}' if spark else ''} "
        f"--workers {args.workers}`; each run is "
        f"`/usr/bin/time -v python -m reuse run {corpus_name} --out OUT --no-report "
        f"{how} (one process, a TMPDIR of its own). Peak disk: the bytes in the run folder, "
        f"the TMPDIR{' and --spark-dir' if spark else ''}, sampled every 50 ms."
        + (" User seconds are what `/usr/bin/time` counts (the process and the children it "
           "waited for, which may leave out the JVM's): compare the wall seconds." if spark
           else ""),
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, shared with other jobs (wall "
        f"seconds vary from run to run); load average at the start {load_at_start}, at the end "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        "| run | wall s | user s | peak RSS MB | peak disk MB | run folder at the end MB | "
        "read back | tables vs. checkpointed run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, figures, same in rows:
        lines.append(f"| {name} | {figures['wall']:.1f} | {figures['user']:.1f} | "
                     f"{figures['rss_mb']:.0f} | {figures['peak_disk_mb']:.1f} | "
                     f"{figures['folder_mb']:.1f} | {figures['read_back']} | {same or '–'} |")
    if args.before is not None:
        before = rows[0][1]
        lines += ["", f"Checkpointing costs {whole['wall'] / before['wall']:.2f}x the wall time "
                  f"and {whole['user'] / before['user']:.2f}x the user time of the run without "
                  f"it, and {whole['peak_disk_mb'] - before['peak_disk_mb']:+.1f} MB of peak "
                  "disk."]
    lines += ["", f"Resumed after the kill {where}: {resumed['wall']:.1f} s wall, "
              f"{resumed['user']:.1f} s user against {whole['wall']:.1f} s and "
              f"{whole['user']:.1f} s for the whole run ({whole['user'] - resumed['user']:.1f} "
              f"user s saved); after a kill right after align: {late['wall']:.1f} s wall, "
              f"{late['user']:.1f} s user ({whole['user'] - late['user']:.1f} user s saved). The "
              f"align stage of the whole run took {align_seconds:.1f} s; "
              + ("the Spark engine restarts a stage cut short from its beginning."
                 if spark else "a killed run keeps its aligned chunks every 10 s of wall time."),
              *(["", "Left in each run's --spark-dir once it was written (the stage root of "
                 "the --keep-checkpoints run stays, as asked): " + "; ".join(
                     f"{run}: {', '.join(names) or 'nothing'}"
                     for run, names in left_behind.items()) + "."] if spark else []), "",
              "Checkpoint of each stage (`--keep-checkpoints`; removed at the end by default):",
              "", "| stage | files | MB |", "|---|---|---|"]
    for stage in ledger["stages"]:
        lines.append(f"| {stage['name']} | {len(stage['files'])} | "
                     f"{sum(stage['files'].values()) / 2**20:.2f} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
