"""``reuse dedup`` or ``reuse run`` on Spark (``--engine spark``) against the local engine,
whole process, as a user runs it.

Each configuration is one cold process, ``python -m reuse dedup IN --out DIR --quiet
--verify exact`` (with ``--command run``: ``python -m reuse run IN --out DIR --quiet --verify
exact --no-report``) on the same corpus:

- ``local, 1 worker`` and ``local, 2 workers``: ``--workers 1`` / ``--workers 2``;
- ``spark local[1]`` and ``spark local[2]``: ``--engine spark``, the session started by reuse
  with ``PYSPARK_SUBMIT_ARGS="--master local[K] --driver-memory 1g --conf
  spark.eventLog.enabled=true ... pyspark-shell"`` (an uncompressed event log; in local mode
  the driver JVM is also the executor; the Python workers are its children).

Memory is sampled every 50 ms over the whole process tree (psutil): the peak RSS of the
driver's Python process, of the JVM (driver and executor in local mode), of the largest Python
worker, and the peak of the tree's sum. Only Python processes and the JVM count: a command the
JVM starts (Hadoop's ``chmod`` of the files it writes) shares the JVM's memory until it execs,
so sampled in that moment it showed the JVM's RSS under the name of the JVM thread that started
it; counted as a "worker" it made the worker peak ~1-2 GB (the real workers stay near 200-500
MiB) and counted the JVM twice in the tree. "Spark start" is the manifest's ``spark_start``
timing (JVM and SparkContext start); "shuffle" is the sum of every task's "Shuffle Bytes
Written" in Spark's event log, against the corpus's size on disk. The stage breakdown is the
manifest's timings.

Where a Spark run's wall time goes (:func:`time_shares`): the run sets ``REUSE_SPARK_TIMINGS``
so that reuse's functions in the Python workers record, per task, the time in reuse's code and
the time waiting for Arrow input and output (:mod:`reuse.spark.timing`); laid on a timeline
with the event log's task launch and finish times, each moment of the wall time counts once:
in reuse's code, in the JVM<->Python exchange, in tasks whose rows are pickled through Python,
in other tasks of stages running reuse's functions, in JVM-only tasks, or in none (the driver).

The corpus is ``generate_text_corpus.py``'s (prose-like, 20% near-duplicates, ~2.6 KB per
document) with passages planted in it (:func:`plant_passages`): ``--planted`` (default 5%) of
the documents get a run of 3-8 consecutive sentences of another document inserted at a
paragraph break, and one paragraph is appended to 0.5% of them as boilerplate.

``--configs`` runs only some of the configurations (the local engine with one worker, the
reference of "same tables", always runs unless ``--no-reference``). With several ``--sizes``, a
second table shows how the shuffle volume grows with the corpus. ``--corpus FILE`` takes the
first N documents of an existing JSONL corpus (e.g. ``generate_text_corpus.py --stream``'s) for
each size instead of generating one; ``--driver-memory`` is Spark's (default 1g: in local mode
the driver JVM is the executor, so this is the executor memory too); ``--keep`` keeps the run
folders and Spark's work and event logs, and prints where.

    .venv/bin/python benchmarks/bench_spark.py --sizes 2000 5000 20000
    .venv/bin/python benchmarks/bench_spark.py --command run --sizes 2000 5000 20000
    .venv/bin/python benchmarks/bench_spark.py --sizes 1000000 --no-reference --keep \
        --corpus benchmarks/data/text_stream_1000000.jsonl --configs 'spark local[2]' \
        --driver-memory 2g --planted 0 --results benchmarks/results_spark_1m.md

Writes ``benchmarks/results_spark.md`` (``results_spark_run.md`` for ``run``) unless
``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = {"dedup": HERE / "results_spark.md", "run": HERE / "results_spark_run.md"}
# The tables compared with the local engine's, per command.
COMPARED = {"dedup": ("documents", "near_duplicates", "clusters"),
            "run": ("documents", "near_duplicates", "clusters", "alignments", "passages")}
sys.path.insert(0, str(HERE))

from generate_text_corpus import generate  # noqa: E402

from reuse.spark.timing import TIMINGS_ENV  # noqa: E402

CONFIGS = {
    "local, 1 worker": ("local", 1),
    "local, 2 workers": ("local", 2),
    "spark local[1]": ("spark", 1),
    "spark local[2]": ("spark", 2),
}


def first_documents(corpus: Path, n_docs: int) -> Path:
    """The first ``n_docs`` lines of the JSONL ``corpus`` (the file itself when it has no
    more), written next to it once."""
    with open(corpus, "rb") as handle:
        for count, _ in enumerate(handle, 1):
            if count > n_docs:
                break
        else:
            return corpus
    sliced = corpus.with_name(f"{corpus.stem}_first{n_docs}.jsonl")
    if sliced.exists() and sliced.stat().st_mtime >= corpus.stat().st_mtime:
        return sliced
    temporary = sliced.with_suffix(".tmp")
    with open(corpus, "rb") as source, open(temporary, "wb") as target:
        for _, line in zip(range(n_docs), source, strict=False):
            target.write(line)
    temporary.replace(sliced)
    return sliced


def plant_passages(corpus: Path, share: float, seed: int = 13) -> Path:
    """A copy of the JSONL corpus with passages planted in ``share`` of its documents: 3-8
    consecutive sentences of a random other document inserted at one of the receiver's
    paragraph breaks; and a boilerplate paragraph (one document's first sentences) appended to
    0.5% of the documents. Written next to ``corpus``; the same inputs give the same file."""
    planted = corpus.with_name(f"{corpus.stem}_planted{share:g}.jsonl")
    if planted.exists() and planted.stat().st_mtime >= corpus.stat().st_mtime:
        return planted
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    n_docs = len(records)

    def sentences(text: str) -> list[str]:
        return [part for part in text.replace("\n", " ").split(". ") if part]

    for receiver in rng.sample(range(n_docs), round(share * n_docs)):
        donor = sentences(records[rng.randrange(n_docs)]["text"])
        length = rng.randint(3, 8)
        start = rng.randrange(max(1, len(donor) - length))
        passage = ". ".join(donor[start:start + length]) + "."
        text = records[receiver]["text"]
        breaks = [match.start() for match in re.finditer("\n", text)] or [len(text)]
        at = rng.choice(breaks)
        records[receiver]["text"] = text[:at] + "\n" + passage + "\n" + text[at:]
    boilerplate = ". ".join(sentences(records[0]["text"])[:4]) + "."
    for receiver in rng.sample(range(1, n_docs), max(2, n_docs // 200)):
        records[receiver]["text"] += "\n\n" + boilerplate
    temporary = planted.with_suffix(".tmp")
    temporary.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n"
                                 for record in records), encoding="utf-8")
    temporary.replace(planted)
    return planted


def sample_tree(root: psutil.Process, stop: threading.Event, peaks: dict[str, float]) -> None:
    """Peak RSS (MiB) of the driver's Python, the JVM, the largest Python worker and the
    whole tree, and the CPU seconds (user and system) of the tree's processes as last seen
    (``cpu``), until ``stop``."""
    cpu: dict[int, float] = {}
    while not stop.is_set():
        total = 0.0
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        pids = {process.pid: process for process in processes}
        for process in processes:
            try:
                name = process.name()
                parent = pids.get(process.ppid())
                # The JVM starts commands (Hadoop's chmod of every file it writes) through a
                # child that shares its memory until it execs: its RSS is the JVM's, so
                # sampling it would count the JVM twice (and, once it has exec'd, as a
                # "worker"). Only Python processes and a JVM not started by a JVM count.
                if not name.startswith("python") and not (
                        name == "java" and (parent is None or parent.name() != "java")):
                    continue
                rss = process.memory_info().rss / 2**20
                if process.name() != name:
                    continue
                times = process.cpu_times()
                cpu[process.pid] = times.user + times.system
            except psutil.Error:
                continue
            total += rss
            kind = ("driver" if process.pid == root.pid else "jvm" if name == "java"
                    else "worker")
            peaks[kind] = max(peaks.get(kind, 0.0), rss)
        peaks["tree"] = max(peaks.get("tree", 0.0), total)
        peaks["cpu"] = sum(cpu.values())
        stop.wait(0.05)


def shuffle_bytes(event_dir: Path) -> int:
    total = 0
    for event in event_log(event_dir):
        if event["Event"] == "SparkListenerTaskEnd":
            metrics = event.get("Task Metrics") or {}
            total += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
    return total


# The parts of a Spark run's wall time (time_shares), in the order that a moment counts for
# the first of them going on at that moment.
SHARES = ("reuse", "exchange", "pickled", "python_tasks", "jvm_tasks")


def event_log(event_dir: Path) -> Iterator[dict]:
    # Spark 4 writes rolling event logs: a folder per application, of events_* files.
    for log in sorted(path for path in event_dir.rglob("*") if path.is_file()
                      and not path.name.startswith((".", "appstatus"))):
        with open(log, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def exclusive_seconds(layers: list[list[tuple[float, float]]]) -> list[float]:
    """For each list of intervals, the seconds it covers that no earlier list covers."""
    edges = sorted((point, kind, layer) for layer, intervals in enumerate(layers)
                   for start, end in intervals if end > start
                   for point, kind in ((start, 1), (end, -1)))
    covered = [0.0] * len(layers)
    active = [0] * len(layers)
    previous = None
    for point, kind, layer in edges:
        if previous is not None and point > previous:
            first = next((k for k, count in enumerate(active) if count > 0), None)
            if first is not None:
                covered[first] += point - previous
        active[layer] += kind
        previous = point
    return covered


def time_shares(event_dir: Path, timings_dir: Path, started: float, wall: float,
                spark_start: float) -> dict:
    """Where a Spark run's wall time went, each moment counted once, for the first of these
    going on then: a Python worker in reuse's code (``reuse``, from the timings that
    ``REUSE_SPARK_TIMINGS`` has reuse's functions write); a Python worker in one of reuse's
    functions' tasks but waiting for its next Arrow batch or for the JVM to take its result
    (``exchange``: Arrow serialization both ways, the transfer, and the JVM operators that feed
    the function in the same task); a task of a stage whose rows go through Python pickled
    (``pickled``: a ``PythonRDD``: ``createDataFrame`` of a driver's list, RDD code); another
    moment of a task of a stage that runs reuse's functions (``python_tasks``: starting a
    worker, unpickling the function and importing its modules, the JVM's side); any other task
    (``jvm_tasks``: scans, shuffles, sorts, Parquet writes); the JVM's start (``spark_start``,
    the manifest's timing); the rest (``driver``: no task running: the driver's own work and
    Spark's scheduling). Also the Python workers' CPU seconds in reuse's code and in the
    exchange (their half of the Arrow serialization), and the bytes sent to and received from
    the Python workers (Spark's SQL metrics), and the largest peak RSS (MiB) a worker reports
    at the end of one of reuse's tasks. ``timed``, the sum of the timed tasks' durations, is
    Spark's own "time to execute Python code" (``python_code``) split into reuse's code and
    the exchange: the two agree to a few hundredths of a second."""
    reuse, exchange, worker_cpu = [], [], {"reuse": 0.0, "exchange": 0.0}
    worker_peak = 0.0
    for path in sorted(timings_dir.glob("*.jsonl")) if timings_dir.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            task = json.loads(line)
            reuse += [tuple(interval) for interval in task["reuse_intervals"]]
            exchange.append((task["start"], task["end"]))
            worker_cpu["reuse"] += task["cpu"]["reuse"]
            worker_cpu["exchange"] += task["cpu"]["input"] + task["cpu"]["output"]
            worker_peak = max(worker_peak, task["rss_peak"])
    tasks: dict[int, list[tuple[float, float]]] = {}
    python_stages: set[int] = set()
    pickled_stages: set[int] = set()
    sent = received = python_code = 0
    for event in event_log(event_dir):
        kind = event["Event"]
        if kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            if any(rdd["Name"] == "PythonRDD" for rdd in info["RDD Info"]):
                pickled_stages.add(info["Stage ID"])
        elif kind == "SparkListenerTaskEnd":
            info = event["Task Info"]
            tasks.setdefault(event["Stage ID"], []).append(
                (info["Launch Time"] / 1000, info["Finish Time"] / 1000))
            for metric in info["Accumulables"]:
                if metric["Name"] == "time to run Python workers":
                    python_stages.add(event["Stage ID"])
                elif metric["Name"] == "data sent to Python workers":
                    sent += int(metric["Update"])
                elif metric["Name"] == "data returned from Python workers":
                    received += int(metric["Update"])
                elif metric["Name"] == "time to execute Python code":
                    python_code += int(metric["Update"])
    pickled = [span for stage in pickled_stages for span in tasks.get(stage, [])]
    in_python = [span for stage in python_stages for span in tasks.get(stage, [])]
    others = [span for stage, spans in tasks.items()
              if stage not in python_stages | pickled_stages for span in spans]
    run = (started, started + wall)
    clipped = [[(max(a, run[0]), min(b, run[1])) for a, b in layer]
               for layer in (reuse, exchange, pickled, in_python, others)]
    seconds = dict(zip(SHARES, exclusive_seconds(clipped), strict=True))
    seconds["spark_start"] = spark_start
    seconds["driver"] = max(0.0, wall - sum(seconds.values()))
    return {"seconds": seconds, "worker_cpu": worker_cpu, "sent": sent,
            "received": received, "worker_peak": worker_peak, "python_code": python_code / 1000,
            "timed": sum(end - start for start, end in exchange)}


def run_one(corpus: Path, engine: str, cores: int, scratch: Path, reuse_command: str,
            driver_memory: str = "1g") -> dict:
    out = scratch / f"out-{engine}-{cores}"
    command = [sys.executable, "-m", "reuse", reuse_command, str(corpus), "--out", str(out),
               "-q", "--verify", "exact", *(["--no-report"] if reuse_command == "run" else [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    events = scratch / f"events-{engine}-{cores}"
    python_timings = scratch / f"timings-{engine}-{cores}"
    if engine == "spark":
        events.mkdir()
        env[TIMINGS_ENV] = str(python_timings)
        command += ["--engine", "spark", "--spark-dir", str(scratch / "work")]
        env["PYSPARK_PYTHON"] = sys.executable
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--master local[{cores}] --driver-memory {driver_memory} --conf spark.ui.enabled=false "
            f"--conf spark.ui.showConsoleProgress=false --conf spark.eventLog.enabled=true "
            f"--conf spark.eventLog.compress=false --conf spark.eventLog.dir=file://{events} "
            "pyspark-shell")
    else:
        command += ["--workers", str(cores)]
    started, started_epoch = time.perf_counter(), time.time()
    child = psutil.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peaks: dict[str, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=sample_tree, args=(child, stop, peaks))
    sampler.start()
    _, stderr = child.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    return {"wall": wall, "peaks": peaks, "timings": manifest["timings"],
            "counts": manifest["counts"], "out": out,
            "shuffle": shuffle_bytes(events) if engine == "spark" else None,
            "shares": (time_shares(events, python_timings, started_epoch, wall,
                                   manifest["timings"].get("spark_start", 0.0))
                       if engine == "spark" else None)}


def same_tables(first: Path, second: Path, names: tuple[str, ...]) -> bool:
    from reuse.runfolder.tables import read_table

    return all(read_table(first, name).equals(read_table(second, name)) for name in names)


def growth_rows(shuffles: dict[str, list[tuple[int, float, int, int]]]) -> list[str]:
    """How the shuffle volume grows with the corpus, per Spark configuration: bytes per
    document and per corpus byte, and the growth from the smallest size against the corpus's
    and against the candidate pairs' (near-duplicate and passage candidates: what the joins
    of the grouping stages produce)."""
    if not any(len(points) > 1 for points in shuffles.values()):
        return []
    rows = ["", "Shuffle volume against corpus size (from the table above):", "",
            "| configuration | documents | corpus MB | shuffle MB | shuffle / corpus | "
            "shuffle KB / document | candidate pairs | growth since smallest: corpus | "
            "candidate pairs | shuffle |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for label, points in shuffles.items():
        _, first_mb, first_shuffle, first_pairs = points[0]
        for size, corpus_mb, shuffle, pairs in points:
            rows.append(
                f"| {label} | {size:,} | {corpus_mb:.1f} | {shuffle / 2**20:.1f} | "
                f"{shuffle / 2**20 / corpus_mb:.2f}x | {shuffle / 1024 / size:.2f} | "
                f"{pairs:,} | {corpus_mb / first_mb:.1f}x | {pairs / max(1, first_pairs):.1f}x | "
                f"{shuffle / max(1, first_shuffle):.1f}x |")
    return rows


def shares_row(size: int, label: str, result: dict) -> str:
    """A row of the wall-time shares table (see :func:`time_shares`)."""
    shares, wall = result["shares"], result["wall"]
    seconds = shares["seconds"]
    cells = [f"{seconds[name]:.1f} ({seconds[name] / wall:.0%})"
             for name in ("spark_start", *SHARES, "driver")]
    cpu = shares["worker_cpu"]
    return (f"| {size:,} | {label} | {wall:.1f} | " + " | ".join(cells)
            + f" | {cpu['reuse']:.1f} / {cpu['exchange']:.1f} | "
            f"{shares['sent'] / 2**20:.0f} / {shares['received'] / 2**20:.0f} | "
            f"{shares['worker_peak']:.0f} | {shares['timed']:.1f} / {shares['python_code']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--command", choices=("dedup", "run"), default="dedup")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 20000])
    parser.add_argument("--planted", type=float, default=0.05,
                        help="share of the documents that get a planted passage")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--results", type=Path,
                        help="write the results here instead of results_spark[_run].md")
    parser.add_argument("--corpus", type=Path,
                        help="take the first N documents of this JSONL file for each size")
    parser.add_argument("--driver-memory", default="1g",
                        help="Spark's driver memory (local mode: the executor's too)")
    parser.add_argument("--no-reference", action="store_true",
                        help="do not run the local engine (no 'same tables' check)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the run folders, Spark's work folder and event logs")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    configs = {label: CONFIGS[label] for label in CONFIGS
               if label in args.configs or (label == "local, 1 worker" and not args.no_reference)}
    rows, stage_rows, share_rows = [], [], []
    shuffles: dict[str, list[tuple[int, float, int, int]]] = {}
    for size in args.sizes:
        base = first_documents(args.corpus, size) if args.corpus else generate(size)
        corpus = plant_passages(base, args.planted) if args.planted else base
        corpus_mb = corpus.stat().st_size / 2**20
        with tempfile.TemporaryDirectory(prefix="bench-spark-") as scratch_name:
            scratch = Path(tempfile.mkdtemp(prefix=f"bench-spark-{size}-")) if args.keep \
                else Path(scratch_name)
            results = {}
            for label, (engine, cores) in configs.items():
                results[label] = result = run_one(corpus, engine, cores, scratch,
                                                  args.command, args.driver_memory)
                print(size, label, f"{result['wall']:.1f}s", result["peaks"],
                      f"shuffle {result['shuffle']}", result["timings"], flush=True)
            if args.keep:
                print(f"kept: {scratch}", flush=True)
            reference = results.get("local, 1 worker")
            for label, result in results.items():
                peaks = result["peaks"]
                start = result["timings"].get("spark_start")
                shuffle = result["shuffle"]
                if shuffle is not None:
                    pairs = sum(result["counts"].get(key, 0) for key in
                                ("candidate_pairs", "passage_candidate_pairs"))
                    shuffles.setdefault(label, []).append((size, corpus_mb, shuffle, pairs))
                rows.append(
                    f"| {size:,} ({corpus_mb:.0f} MB) | {label} | {result['wall']:.1f} | "
                    + (f"{result['wall'] / reference['wall']:.2f}x | " if reference else "- | ")
                    + f"{peaks.get('cpu', 0):.0f} | "
                    + f"{peaks.get('driver', 0):.0f} | "
                    + (f"{peaks.get('jvm', 0):.0f} | {peaks.get('worker', 0):.0f} | "
                       if start is not None else
                       f"- | {peaks.get('worker', 0):.0f} | ")
                    + f"{peaks.get('tree', 0):.0f} | "
                    + (f"{start:.1f} ({start / result['wall']:.0%})" if start is not None
                       else "-") + " | "
                    + (f"{shuffle / 2**20:.0f} MB ({shuffle / 2**20 / corpus_mb:.1f}x)"
                       if shuffle is not None else "-") + " | "
                    + ("not checked" if reference is None
                       else "yes" if same_tables(reference["out"], result["out"],
                                                 COMPARED[args.command]) else "**no**")
                    + " |")
                if result["shares"] is not None:
                    share_rows.append(shares_row(size, label, result))
                stage_rows.append(
                    f"| {size:,} | {label} | " + ", ".join(
                        f"{name} {seconds:.1f}" for name, seconds in result["timings"].items()
                        if name != "write") + " |")
    invocation = (f"`reuse {args.command} --verify exact"
                  + (" --no-report`" if args.command == "run" else "`"))
    header = [
        f"# Spark engine against the local engine: {invocation}, whole process",
        "",
        "Command: `.venv/bin/python benchmarks/bench_spark.py "
        + ("--command run " if args.command == "run" else "") + "--sizes "
        + " ".join(map(str, args.sizes))
        + (f" --planted {args.planted:g}" if args.planted != 0.05 else "")
        + (" --configs " + " ".join(f"'{label}'" for label in args.configs)
           if set(args.configs) != set(CONFIGS) else "")
        + (f" --corpus {args.corpus}" if args.corpus else "")
        + (f" --driver-memory {args.driver_memory}" if args.driver_memory != "1g" else "")
        + (" --no-reference" if args.no_reference else "") + "`",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}, "
        f"{os.cpu_count()} cores (shared with other jobs: the load average was "
        f"{os.getloadavg()[0]:.1f} at the end), Python {platform.python_version()}. "
        "One run per configuration. Wall: seconds, and the ratio to the local engine with one "
        "worker in the same run. CPU: user and system seconds of the whole process tree (less "
        "sensitive to the other jobs than the wall time). Memory: peak RSS in MiB of the "
        "driver's Python process, the JVM (driver and executor in local mode), the largest "
        "Python worker (local: the "
        "largest worker process), and the whole process tree. Spark start: the JVM and "
        "SparkContext, and its share of the wall time. Shuffle: bytes written by every "
        "shuffle, and the ratio to the corpus's JSONL size. The corpus: "
        + (f"the first N documents of {args.corpus.name} (generate_text_corpus.py's)"
           if args.corpus else "generate_text_corpus.py's")
        + (f", passages planted in {args.planted:.0%} of the documents "
           "and a boilerplate paragraph in 0.5%" if args.planted else "")
        + f". Spark's driver memory (in local mode the executor's too): {args.driver_memory}."
        " Same tables: the "
        + ", ".join(COMPARED[args.command]) + " tables equal the local engine's.",
        "",
        "| documents | configuration | wall s | vs local 1 | CPU s | driver MiB | JVM MiB | "
        "worker MiB | tree MiB | Spark start s | shuffle | same tables |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    stages = ["", "Stage seconds (the manifest's timings):", "",
              "| documents | configuration | stages |", "|---|---|---|"]
    shares = [
        "", "Where the Spark runs' wall time goes (seconds, share of the wall time; each moment "
        "counted once, for the first column going on then, JVM start aside): **reuse's "
        "functions**: a Python worker in reuse's code (the stage functions Spark ships, timed "
        "inside the workers with `REUSE_SPARK_TIMINGS`); **JVM<->Python exchange**: a Python "
        "worker in one of those functions' tasks waiting for its next Arrow batch or for the "
        "JVM to take its result (Arrow serialization both ways, the transfer, and the JVM "
        "operators feeding the function in the same task); **pickled rows**: tasks of stages "
        "whose rows go through a Python worker pickled (a `PythonRDD`: `createDataFrame` of a "
        "list on the driver, the RDD code of `grouping.numbered`); **other Python tasks**: the "
        "rest of the tasks of stages running reuse's functions (a worker's start, the "
        "function's unpickling and its imports, the JVM's side of those tasks); **JVM "
        "tasks**: every other task (scans, "
        "shuffles, sorts, Parquet writes); **JVM start**: the manifest's `spark_start`; "
        "**driver, no task**: no task running (the driver's Python: reading the parsed input, "
        "staging the corpus, writing the run folder; and Spark's planning and scheduling of "
        "each job). Task times are the event log's launch and finish times. Python CPU: the "
        "workers' CPU seconds in reuse's code and in the exchange (their half of the Arrow "
        "serialization; the JVM's half is in its task time). Sent / returned: Spark's "
        "\"data sent to Python workers\" and \"data returned from Python workers\". Worker "
        "peak: the largest peak RSS a Python worker reports itself at the end of one of "
        "reuse's tasks (its own measure, against the sampled worker column above). Timed / "
        "Spark's Python code: the summed task seconds of the timed functions (reuse's code and "
        "exchange, overlapping tasks added) against the sum of Spark's own SQL metric \"time "
        "to execute Python code\" of the same tasks: what the timing splits is what Spark "
        "counts as the workers' processing.", "",
        "| documents | configuration | wall s | JVM start | reuse's functions | "
        "JVM<->Python exchange | pickled rows | other Python tasks | JVM tasks | "
        "driver, no task | Python CPU s: reuse / exchange | sent / returned MB | "
        "worker peak MiB | timed / Spark's Python code s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ] if share_rows else []
    text = "\n".join(header + rows + growth_rows(shuffles) + shares + share_rows + stages
                     + stage_rows) + "\n"
    print(text)
    if not args.no_write:
        (args.results or RESULTS[args.command]).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
