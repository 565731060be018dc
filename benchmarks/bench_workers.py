"""`reuse run --workers N`: whole-process wall time and peak memory, 1 worker against 2.

For each corpus (the Bible versions, and a synthetic corpus with planted passages, from
``bench_passages.generate``) and each mode (``--no-report``, and with the report), runs back to
back, each as a user starts it (``/usr/bin/time -v python -m reuse run INPUT --out DIR -q``):

- ``before``: the code of ``--before`` (a worktree of an earlier commit), which has no
  ``--workers`` option (one process);
- ``--workers 1`` and ``--workers 2`` on this tree.

Reports wall and CPU seconds, the peak RSS of the main process (``/usr/bin/time -v``) and of
all its processes together (the fork server and the workers are not its children as
``time`` counts them: their resident memory is summed from ``/proc`` every 50 ms), the speed
ratios, whether the tables (and the report's files) are byte-identical across the three, and
the machine's load average before each group (the machine is shared).

    .venv/bin/python benchmarks/bench_workers.py --before ../before-tree
    .venv/bin/python benchmarks/bench_workers.py --before ../before-tree --docs 20000 --no-bible

Writes ``benchmarks/results_workers.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from bench_passages import char_offsets, generate

HERE = Path(__file__).resolve().parent
TREE = HERE.parent
DATA = HERE / "data"
BIBLE = TREE.parent / "shared" / "data" / "bible-en"
if not BIBLE.exists():  # a worktree of the project sits one level deeper
    BIBLE = TREE.parent.parent / "shared" / "data" / "bible-en"


def synthetic_corpus(docs: int, planted: int) -> Path:
    """``docs`` documents with ``planted`` passages copied with 2% word edits (and 500
    documents sharing a boilerplate paragraph), as JSONL; written once."""
    path = DATA / f"workers_passages_{docs}_{planted}.jsonl"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    vocab, words, _, _ = generate(docs, planted, 0.02, 500, 7)
    with open(path, "w", encoding="utf-8") as handle:
        for i, w in enumerate(words):
            handle.write(json.dumps({"id": f"d{i:06d}", "text": char_offsets(vocab, w)[0]})
                         + "\n")
    return path


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(parents.get(pid, []))
    return found


def _tree_rss_mb(root: int) -> float:
    total = 0
    for pid in _descendants(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def measured(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run ``command`` under ``/usr/bin/time -v``: wall, user and system seconds, the main
    process's peak RSS and the peak of the summed RSS of all its processes (MB)."""
    child = subprocess.Popen(["/usr/bin/time", "-v", *command], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    output: list[tuple[str, str]] = []
    reader = threading.Thread(target=lambda: output.append(child.communicate()))
    reader.start()
    while reader.is_alive():
        peak[0] = max(peak[0], _tree_rss_mb(child.pid))
        reader.join(0.05)
    _, stderr = output[0]
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")

    def field(name: str) -> str:
        match = re.search(rf"^\s*{re.escape(name)}: (.+)$", stderr, re.MULTILINE)
        assert match, name
        return match.group(1)

    clock = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(x * 60 ** k for k, x in enumerate(reversed(clock)))
    return {"wall": wall, "user": float(field("User time (seconds)")),
            "system": float(field("System time (seconds)")),
            "rss": int(field("Maximum resident set size (kbytes)")) / 1024,
            "tree_rss": peak[0]}


def folder_files(folder: Path) -> dict[str, bytes]:
    """The run folder's files but the manifest (which holds timings) and the folder's marker
    (which names the run)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in ("manifest.json", ".reuse-run")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="a worktree of the commit to compare with (no --workers option)")
    parser.add_argument("--docs", type=int, default=20_000, help="synthetic corpus documents")
    parser.add_argument("--planted", type=int, default=2_000)
    parser.add_argument("--no-bible", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_workers"))
    parser.add_argument("--results", default="results_workers.md",
                        help="file of benchmarks/ to write the tables to")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    corpora = [] if args.no_bible else [("bible-en", BIBLE)]
    corpora.append((f"planted passages, {args.docs:,} docs",
                    synthetic_corpus(args.docs, args.planted)))
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    rows, notes = [], []
    for corpus_name, path in corpora:
        for mode, extra in (("--no-report", ["--no-report"]), ("with report", [])):
            load = os.getloadavg()
            group = []
            for label, tree, workers in (("before", args.before, None),
                                         ("--workers 1", TREE, 1), ("--workers 2", TREE, 2)):
                out = args.work / f"{len(rows)}"
                command = [sys.executable, "-m", "reuse", "run", str(path), "--out", str(out),
                           "-q", *extra, *(["--workers", str(workers)] if workers else [])]
                env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
                result = measured(command, env)
                result.update(corpus=corpus_name, mode=mode, label=label, out=out)
                print(json.dumps({k: v for k, v in result.items() if k != "out"}, default=str),
                      file=sys.stderr)
                rows.append(result)
                group.append(result)
            files = [folder_files(r["out"]) for r in group]
            same_before = files[0] == files[1]
            same_workers = files[1] == files[2]
            notes.append((corpus_name, mode, load, same_before, same_workers, len(files[1])))
            for r in group:
                shutil.rmtree(r["out"])

    header = (f"`{Path(sys.executable).name} benchmarks/bench_workers.py --before BEFORE "
              f"--docs {args.docs} --planted {args.planted}{' --no-bible' if args.no_bible else ''}"
              f"{'' if args.results == 'results_workers.md' else ' --results ' + args.results}`"
              f" on {platform.machine()}, Python {platform.python_version()}, "
              f"{os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
              "Each run: `/usr/bin/time -v python -m reuse run INPUT --out DIR -q [--no-report] "
              "[--workers N]`, one after the other (before, 1 worker, 2 workers) for each line "
              "group.")
    lines = ["# `reuse run --workers N`: whole process, 1 worker against 2", "", header, "",
             "| corpus | mode | run | wall s | user+sys s | peak RSS MB (main) | "
             "peak RSS MB (all processes) | speed vs 1 worker | speed vs before |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for k, r in enumerate(rows):
        group = rows[k - k % 3: k - k % 3 + 3]
        one, before = group[1]["wall"], group[0]["wall"]
        lines.append(
            f"| {r['corpus']} | {r['mode']} | {r['label']} | {r['wall']:.1f} | "
            f"{r['user'] + r['system']:.1f} | {r['rss']:.0f} | {r['tree_rss']:.0f} | "
            f"{one / r['wall']:.2f}x | {before / r['wall']:.2f}x |")
    lines += ["", "| corpus | mode | load average before (1, 5, 15 min) | files | "
              "same files as before | same files, 1 and 2 workers |", "|---|---|---|---:|---|---|"]
    for corpus_name, mode, load, same_before, same_workers, n_files in notes:
        lines.append(f"| {corpus_name} | {mode} | {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} | "
                     f"{n_files} | {'yes' if same_before else 'no'} | "
                     f"{'yes' if same_workers else 'no'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (HERE / args.results).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
