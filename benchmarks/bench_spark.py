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
worker, and the peak of the tree's sum. "Spark start" is the manifest's ``spark_start``
timing (JVM and SparkContext start); "shuffle" is the sum of every task's "Shuffle Bytes
Written" in Spark's event log, against the corpus's size on disk. The stage breakdown is the
manifest's timings.

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
        for process in processes:
            try:
                rss = process.memory_info().rss / 2**20
                name = process.name()
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
    # Spark 4 writes rolling event logs: a folder per application, of events_* files.
    for log in sorted(path for path in event_dir.rglob("*") if path.is_file()):
        with open(log, encoding="utf-8") as handle:
            for line in handle:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                metrics = json.loads(line).get("Task Metrics") or {}
                total += (metrics.get("Shuffle Write Metrics") or {}).get(
                    "Shuffle Bytes Written", 0)
    return total


def run_one(corpus: Path, engine: str, cores: int, scratch: Path, reuse_command: str,
            driver_memory: str = "1g") -> dict:
    out = scratch / f"out-{engine}-{cores}"
    command = [sys.executable, "-m", "reuse", reuse_command, str(corpus), "--out", str(out),
               "-q", "--verify", "exact", *(["--no-report"] if reuse_command == "run" else [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    events = scratch / f"events-{engine}-{cores}"
    if engine == "spark":
        events.mkdir()
        command += ["--engine", "spark", "--spark-dir", str(scratch / "work")]
        env["PYSPARK_PYTHON"] = sys.executable
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--master local[{cores}] --driver-memory {driver_memory} --conf spark.ui.enabled=false "
            f"--conf spark.ui.showConsoleProgress=false --conf spark.eventLog.enabled=true "
            f"--conf spark.eventLog.compress=false --conf spark.eventLog.dir=file://{events} "
            "pyspark-shell")
    else:
        command += ["--workers", str(cores)]
    started = time.perf_counter()
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
            "shuffle": shuffle_bytes(events) if engine == "spark" else None}


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
    rows, stage_rows = [], []
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
    text = "\n".join(header + rows + growth_rows(shuffles) + stages + stage_rows) + "\n"
    print(text)
    if not args.no_write:
        (args.results or RESULTS[args.command]).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
