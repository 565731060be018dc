"""``reuse dedup`` (``--verify exact``, or ``--verify estimate``) at 100k, 1M and 10M documents:
wall, CPU and peak RSS.

Each run is one process started cold, as a user runs it, under ``/usr/bin/time -v`` (wall
clock). Worker processes are children of multiprocessing's fork server, which the main process
does not wait for, so ``time``'s CPU and peak figures miss them; the process tree is therefore
sampled from ``/proc`` every 0.1 s: CPU s = the sum over every process of the tree of its own
user + system time (last sample), peak RSS = the largest resident set of the tree summed over
its processes at one sample, and the largest ``VmHWM`` of one process. Peak scratch = the
largest disk space (allocated blocks) of the run's temporary folder (``TMPDIR``, set to a new
folder of its own: the document store, the spill partitions) plus its run folder (the stage
checkpoints and the tables), sampled about every 0.5 s:

    python -m reuse dedup IN --verify exact --threshold 0.8 --workers W --out DIR --quiet

for each size, each ``--workers`` value, with this tree first on ``PYTHONPATH`` (``reuse``) and,
with ``--baseline TREE``, another source tree of reuse (``reuse-baseline``: the in-memory code
before the engine, which has no ``--workers`` and runs single-process). ``--stages`` also runs
the dedup in-process on the corpus already read and reports the peak of memory allocated
(``tracemalloc``, numpy's arrays included) by the stages after ingest, so that the engine's
share of the peak is visible apart from the corpus's own lists.

The corpus is ``generate_text_corpus.py``'s (prose-like, 20% near-duplicates, ~2.6 KB per
document), generated if missing: up to 300k documents drawn whole
(``data/text_N.jsonl``), above that written shard by shard in bounded memory
(``data/text_stream_N.jsonl``, ``--stream``; the same distribution, see
``generate_streamed``). ``--commands dedup run`` also times ``reuse run --no-report`` (the
passage stages too) with the same options.

    .venv/bin/python benchmarks/bench_dedup_scale.py --sizes 100000 1000000 --workers 1 2 \\
        --baseline /tmp/reuse-main --stages
    .venv/bin/python benchmarks/bench_dedup_scale.py --sizes 10000000 --workers 2 --keep  # 10M

``--verify estimate`` times the MinHash-estimate mode (the command's default), which keeps
no shingle hashes on disk: the 10M point of this machine, whose disk holds the 26 GB corpus
and the run's scratch files of that mode but not the shingle hashes of ``--verify exact``
(about 33 GB more). ``--copies 10`` with ``--sizes 1000000`` makes that corpus.

``--keep`` adds the new rows to those of the last results (``results_dedup_scale.json``),
replacing rows of the same size, tool, command, workers and verify mode.

Writes ``benchmarks/results_dedup_scale.md`` and the curves of wall time and peak RSS against
the number of documents, ``benchmarks/results_dedup_scale.png``, unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results_dedup_scale.md"
PLOT = HERE / "results_dedup_scale.png"
ROWS = HERE / "results_dedup_scale.json"  # the rows of RESULTS, for --keep
THRESHOLD = 0.8

sys.path.insert(0, str(HERE))
from bench_dedup_process import compile_bytecode  # noqa: E402
from generate_text_corpus import generate, generate_replicated, generate_streamed  # noqa: E402

# Above this many documents the corpus is written shard by shard (generate_streamed): the
# whole-corpus generator holds about 16 KB per document in memory.
LARGEST_WHOLE = 300_000

_STAGES_SCRIPT = """
import json, sys, time, tracemalloc
from reuse.ingest import read_corpus
from reuse.pipeline import dedup
started = time.perf_counter()
corpus = read_corpus(sys.argv[1])
read_s = time.perf_counter() - started
tracemalloc.start()
engine = {"workers": int(sys.argv[3])} if sys.argv[3] != "none" else {}  # none: the baseline
result = dedup(corpus, verify="exact", threshold=float(sys.argv[2]), **engine)
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"read_s": read_s, "stages_peak_mb": peak / 2**20,
                  "pairs": result.counts["near_duplicate_pairs"]}))
"""


def _git_head(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> dict[int, tuple[float, int, int]]:
    """Every live process descending from ``root`` (included): its own CPU seconds, resident
    KiB and high-water mark KiB."""
    parents, found = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            parents[int(entry.name)] = int(fields[1])
            memory = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+)", status, flags=re.MULTILINE))
            found[int(entry.name)] = ((int(fields[11]) + int(fields[12])) / _TICKS,
                                      int(memory.get("VmRSS", 0)), int(memory.get("VmHWM", 0)))
    inside = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in inside and pid not in inside:
                inside.add(pid)
                changed = True
    return {pid: found[pid] for pid in inside if pid in found}


def _disk_bytes(folders: list[Path]) -> int:
    """The disk space allocated to the files under ``folders``."""
    total = 0
    for folder in folders:
        for parent, _, files in os.walk(folder):
            for name in files:
                with contextlib.suppress(OSError):  # removed meanwhile
                    total += os.lstat(os.path.join(parent, name)).st_blocks * 512
    return total


def time_process(command: list[str], tree: Path, temporary: Path, out: Path) -> dict[str, float]:
    """Run ``command`` under ``/usr/bin/time -v`` with ``tree`` first on PYTHONPATH and
    ``temporary`` as its TMPDIR, sampling its process tree, and the disk space of
    ``temporary`` and ``out``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "TMPDIR": str(temporary)}
    # Started outside any source tree: `python -m` puts the working directory first on sys.path.
    child = subprocess.Popen(["/usr/bin/time", "-v", *command], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=tempfile.gettempdir())
    cpu: dict[int, float] = {}
    peak_sum = peak_one = peak_disk = 0
    next_disk = 0.0
    while child.poll() is None:
        resident = 0
        for pid, (seconds, rss, hwm) in _tree(child.pid).items():
            if pid != child.pid:  # /usr/bin/time itself
                cpu[pid] = seconds
                peak_one = max(peak_one, hwm)
                resident += rss
        peak_sum = max(peak_sum, resident)
        if time.monotonic() >= next_disk:
            peak_disk = max(peak_disk, _disk_bytes([temporary, out]))
            next_disk = time.monotonic() + 0.5
        time.sleep(0.1)
    _, stderr = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    fields = dict(re.findall(r"^\s*(.+?): (.+)$", stderr, flags=re.MULTILINE))
    wall = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    return {
        "wall": sum(float(part) * 60**k for k, part in enumerate(reversed(wall))),
        "cpu": sum(cpu.values()),
        "rss_mb": max(peak_one, int(fields["Maximum resident set size (kbytes)"])) / 1024,
        "rss_sum_mb": peak_sum / 1024,
        "scratch_gb": peak_disk / 1e9,
    }


def _pairs(out: Path) -> int:
    return json.loads((out / "manifest.json").read_text())["counts"]["near_duplicate_pairs"]


def drop_page_cache() -> None:
    """Write dirty pages out and drop the kernel's page cache (root only): the run that follows
    reads its input from disk, as a corpus larger than memory always is."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError as exc:
        raise SystemExit(f"--cold drops the page cache, which needs root ({exc})") from exc


def measure(corpus: Path, tree: Path, workers: int | None, scratch: Path,
            subcommand: str = "dedup", verify: str = "exact", cold: bool = False
            ) -> dict[str, float]:
    out, temporary = scratch / "out", scratch / "tmp"
    for folder in (out, temporary):
        shutil.rmtree(folder, ignore_errors=True)
    temporary.mkdir()
    if cold:
        drop_page_cache()
    command = [sys.executable, "-m", "reuse", subcommand, str(corpus), "--verify", verify,
               "--threshold", str(THRESHOLD), "--out", str(out), "--quiet"]
    if workers is not None:
        command[-3:-3] = ["--workers", str(workers)]
    if subcommand == "run":
        command.append("--no-report")
    figures = time_process(command, tree, temporary, out)
    figures["pairs"] = _pairs(out)
    for folder in (out, temporary):
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def stages_peak(corpus: Path, tree: Path, workers: int | None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", _STAGES_SCRIPT, str(corpus), str(THRESHOLD),
                           "none" if workers is None else str(workers)],
                          capture_output=True, text=True, env=env, check=True,
                          cwd=tempfile.gettempdir())
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another source tree of reuse, run single-process")
    parser.add_argument("--stages", action="store_true",
                        help="also the stages' own peak (tracemalloc), after ingest")
    parser.add_argument("--tools", nargs="+", default=["reuse", "reuse-baseline"],
                        help="which of reuse and reuse-baseline to run")
    parser.add_argument("--commands", nargs="+", choices=["dedup", "run"], default=["dedup"],
                        help="reuse subcommands to time (run: with --no-report)")
    parser.add_argument("--stream", action="store_true",
                        help="the streamed corpus at every size (else above 300k documents)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="processes generating a streamed corpus")
    parser.add_argument("--copies", type=int, default=1,
                        help="run on K enciphered copies of the streamed corpus of each size "
                             "(K times the documents; generate_replicated)")
    parser.add_argument("--verify", choices=["exact", "estimate"], default="exact",
                        help="reuse's --verify")
    parser.add_argument("--cold", action="store_true",
                        help="drop the page cache before each run (root): every size then "
                             "reads its input from disk, as the 10M corpus (26 GB) always does")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--keep", action="store_true",
                        help="keep the rows of the last results (another size, measured before)")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: write the table and the plot again from the "
                             "rows of the last results")
    args = parser.parse_args()

    rows = json.loads(ROWS.read_text()) if (args.keep or args.render) and ROWS.exists() else []
    if args.render:
        write_results(rows, args)
        plot(rows)
        return
    command = "python benchmarks/bench_dedup_scale.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch_name:
        scratch = Path(scratch_name)
        for size in args.sizes:
            streamed = args.stream or size > LARGEST_WHOLE
            if args.copies > 1:
                corpus = generate_replicated(size, args.copies, args.jobs)
            else:
                corpus = generate_streamed(size, args.jobs) if streamed else generate(size)
            mb = corpus.stat().st_size / 1e6
            runs: list[tuple[str, Path, int | None, str]] = [
                ("reuse", ROOT, workers, subcommand) for subcommand in args.commands
                for workers in args.workers if "reuse" in args.tools]
            if args.baseline is not None and "reuse-baseline" in args.tools:
                runs.append(("reuse-baseline", args.baseline, None, "dedup"))
            for name, tree, workers, subcommand in runs:
                compile_bytecode(tree)
                figures = measure(corpus, tree, workers, scratch, subcommand, args.verify,
                                  args.cold)
                if args.stages:
                    figures.update(stages_peak(corpus, tree, workers))
                row = {"docs": size * args.copies, "mb": mb, "tool": name, "subcommand": subcommand,
                       "verify": args.verify, "corpus": corpus.name, "workers": workers or 1,
                       "cache": "cold" if args.cold else "warm",
                       **figures,
                       "command": command, "head": _git_head(tree),
                       "load": os.getloadavg()[0]}
                print(json.dumps(row), flush=True)
                rows = [old for old in rows if _key(old) != _key(row)] + [row]
    if not args.no_write:
        rows.sort(key=lambda row: (row.get("subcommand", "dedup"), row.get("verify", "exact"),
                                   row["docs"], row["tool"], row["workers"]))
        ROWS.write_text(json.dumps(rows, indent=1) + "\n")
        write_results(rows, args)
        plot(rows)


def _key(row: dict) -> tuple:
    return (row["docs"], row["tool"], row.get("subcommand", "dedup"), row["workers"],
            row.get("verify", "exact"), row.get("cache", "warm"))


def write_results(rows: list[dict], args: argparse.Namespace) -> None:
    commands = "; ".join(f"`{command}`" for command in dict.fromkeys(
        row["command"] for row in rows))
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    heads = ", ".join(f"{tool} at `{head}`" for tool, head in dict.fromkeys(
        (row["tool"], row["head"]) for row in rows))
    lines = [
        "# `reuse dedup` at scale, whole process",
        "",
        f"Written by {commands} (the last on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC), "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load} at the end, "
        f"Python {platform.python_version()}; {heads}.",
        "",
        "One cold process per row: wall from `/usr/bin/time -v`; CPU s = user + system summed "
        "over the process tree (main process, fork server, workers: sampled from /proc every "
        "0.1 s, so the last 0.1 s of a process may be missed); 'peak RSS' = the largest resident "
        "set of one process (VmHWM); 'tree RSS' = the largest sum of the tree's resident sets "
        "at one sample. Threshold 0.8, 128 permutations, word 5-grams, `--verify` as the "
        "'verify' column says (exact: each candidate's exact Jaccard from shingle hashes; over "
        "512 MiB of input, from `6b6190a` on, those of the documents in candidate pairs, "
        "tokenized again once the candidates are known, where the sketching pass used to keep "
        "every document's on disk, as it still does for a smaller input; estimate: the MinHash "
        "estimate); 'run' is "
        "`reuse run --no-report` with the same options. Corpus from `generate_text_corpus.py`: "
        "`text_N` drawn whole, `text_stream_N` written shard by shard (same distribution), "
        "`text_stream_NxK` K copies of `text_stream_N`, each after the first with its ids "
        "prefixed and its letters enciphered (no near-duplicates across copies). "
        "'stages peak': the peak of memory "
        "allocated by dedup's stages on the corpus already read (tracemalloc; not the corpus "
        "itself). 'speed-up': wall of `--workers 1` / this row's wall, same size and command. "
        "'load': the 1-minute load average when the row finished. 'scratch GB': the peak disk "
        "space of the run's TMPDIR and run folder, sampled every 0.5 s (rows without it were "
        "measured before it was). 'cache': cold rows ran right after the kernel's page cache "
        "was dropped (`--cold`), so they read the input from disk; warm rows ran with whatever "
        "the cache held (a corpus smaller than memory, read recently, is read from memory, "
        "while the 10M one never fits). The machine is shared: wall figures move with its load; CPU s "
        "less so.",
        "",
        "| command | verify | docs | MB | corpus | tool | commit | workers | cache | wall s "
        "| CPU s | peak RSS MB | tree RSS MB | stages peak MB | scratch GB | pairs | speed-up "
        "| load |",
        "|---|---|---:|---:|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    single = {(row.get("subcommand", "dedup"), row.get("verify", "exact"), row["docs"],
               row.get("cache", "warm")): row["wall"]
              for row in rows if row["tool"] == "reuse" and row["workers"] == 1}
    for row in rows:
        subcommand = row.get("subcommand", "dedup")
        verify = row.get("verify", "exact")
        cache = row.get("cache", "warm")
        speed = ""
        if row["tool"] == "reuse" and (subcommand, verify, row["docs"], cache) in single:
            speed = f"{single[(subcommand, verify, row['docs'], cache)] / row['wall']:.2f}x"
        stages = f"{row['stages_peak_mb']:.0f}" if "stages_peak_mb" in row else ""
        load_at = f"{row['load']:.1f}" if "load" in row else ""
        lines.append(
            f"| {subcommand} | {verify} | {row['docs']:,} | {row['mb']:.0f} | "
            f"{row.get('corpus', '').removesuffix('.jsonl')} | {row['tool']} | `{row['head']}` | "
            f"{row['workers']} | {cache} | {row['wall']:.1f} | {row['cpu']:.1f} | {row['rss_mb']:.0f} | "
            f"{row['rss_sum_mb']:.0f} | {stages} | "
            f"{format(row['scratch_gb'], '.2f') if 'scratch_gb' in row else ''} | "
            f"{row['pairs']:,} | {speed} | {load_at} |")
    lines += ["", *growth(rows)]
    if PLOT.exists():
        lines += ["", f"![wall time and peak RSS against documents]({PLOT.name})"]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


def growth(rows: list[dict]) -> list[str]:
    """Each size against the one before (reuse dedup, same workers): how time and memory grow
    (linear time: the time ratio equals the size ratio)."""
    lines = ["Growth (`reuse dedup`, same workers, verify and cache, each size against the "
             "previous one, and the largest against the smallest):", "",
             "| verify | workers | cache | docs | size ratio | wall ratio | CPU ratio | "
             "peak RSS MB | under 2 GB | same commit |",
             "|---|---:|---|---|---:|---:|---:|---:|---|---|"]
    for verify, workers, cache in sorted({(row.get("verify", "exact"), row["workers"],
                                           row.get("cache", "warm")) for row in rows}):
        series = sorted((row for row in rows if row["tool"] == "reuse"
                         and row.get("subcommand", "dedup") == "dedup"
                         and row.get("verify", "exact") == verify
                         and row["workers"] == workers
                         and row.get("cache", "warm") == cache), key=lambda row: row["docs"])
        # Consecutive sizes, and the smallest against the largest when there are more.
        spans = list(itertools.pairwise(series))
        if len(series) > 2:
            spans.append((series[0], series[-1]))
        for before, after in spans:
            lines.append(
                f"| {verify} | {workers} | {cache} | {before['docs']:,} → {after['docs']:,} | "
                f"{after['docs'] / before['docs']:.0f} | {after['wall'] / before['wall']:.2f} | "
                f"{after['cpu'] / before['cpu']:.2f} | {after['rss_mb']:.0f} | "
                f"{'yes' if after['rss_mb'] < 2048 else 'NO'} | "
                f"{'yes' if after['head'] == before['head'] else 'no'} |")
    return lines


def plot(rows: list[dict]) -> None:
    """Wall time and peak RSS against documents (log-log), one line per command and workers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(10, 4))
    series: dict[tuple[str, str, int, str], list[dict]] = {}
    for row in rows:
        if row["tool"] == "reuse":
            series.setdefault((row.get("subcommand", "dedup"), row.get("verify", "exact"),
                               row["workers"], row.get("cache", "warm")), []).append(row)
    for (subcommand, verify, workers, cache), points in sorted(series.items()):
        points.sort(key=lambda row: row["docs"])
        docs = [row["docs"] for row in points]
        label = f"reuse {subcommand} --verify {verify}, --workers {workers}, {cache}"
        line, = time_axis.plot(docs, [row["cpu"] for row in points], marker="o",
                               label=f"{label}: CPU s")
        time_axis.plot(docs, [row["wall"] for row in points], marker="x", ls="--",
                       color=line.get_color(), label=f"{label}: wall s")
        memory_axis.plot(docs, [row["rss_mb"] for row in points], marker="o", label=label)
    if series:
        low = min(row["docs"] for points in series.values() for row in points)
        high = max(row["docs"] for points in series.values() for row in points)
        first = min(series.values(), key=lambda points: points[0]["docs"])[0]
        time_axis.plot([low, high], [first["cpu"], first["cpu"] * high / low], ls=":",
                       color="grey", label="linear from the smallest (CPU s)")
    memory_axis.axhline(2048, ls="--", color="red", label="2 GB")
    for axis, title in ((time_axis, "CPU s (solid) and wall s (dashed)"),
                        (memory_axis, "peak RSS MB (largest process)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("documents")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.suptitle("reuse dedup, whole process (results_dedup_scale.md)")
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)
    plt.close(figure)
    print(f"wrote {PLOT}")


if __name__ == "__main__":
    main()
