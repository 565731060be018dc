"""``reuse dedup --verify exact`` as a user runs it, against its peers, whole process.

Every tool is its own process started cold (interpreter, imports, reading the JSONL, sketching,
LSH, verification, writing its pairs out), timed by ``/usr/bin/time -v``: CPU seconds are user +
system time, peak RSS is its "Maximum resident set size". Each runs single-threaded
(``RAYON_NUM_THREADS``, ``OMP_NUM_THREADS`` (Arrow's pool too), ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``, ``NUMEXPR_NUM_THREADS`` = 1). The repeats are interleaved (each repeat runs
every tool once, in a rotated order), and the ratios are between medians of the same run.

- ``reuse``: ``python -m reuse dedup IN --verify exact --threshold T --out DIR --quiet
  --workers 1`` (parquet tables and the manifest written, as by default; one process).
- ``reuse-baseline`` (with ``--baseline TREE``): the same command with another source tree of
  reuse first on ``PYTHONPATH``, for a before/after in the same run (``--workers 1`` too when
  that tree's command has the option).
- Each reuse tree's bytecode is written first (``compileall``), as installing the package does:
  with ``PYTHONDONTWRITEBYTECODE`` set (CI, containers), every timed process would otherwise
  compile reuse's modules.
- ``datasketch``, ``rensa``, ``gaoya``: ``benchmarks/dedup_peers.py`` (MinHash 128 over word
  5-grams, the library's LSH at the threshold, pairs kept on the MinHash estimate, written as
  TSV). The peers verify on the estimate, which costs less than reuse's exact Jaccard.

The corpus is ``generate_text_corpus.py``'s (prose-like text with punctuation, casing, Unicode
letters, numbers and line breaks; 20% near-duplicates; ~2.6 KB per document), or with
``--corpus`` one of real text from ``../shared/data``, written as JSONL to a temporary folder
for the run (nobody on the team wrote these; the engine issue's targets are set on the
generator's corpus, so no target is marked for them):

- ``pan13``: the 5,057 documents (3,230 sources and 1,827 suspicious documents, excerpts of
  books) of PAN 2013's training corpus, one document per file; the reuse there is of
  passages, so whole-document near-duplicates are few.
- ``bible-verses``: every verse of the five English Bible versions, a document each (155,511
  short documents); KJV, ASV and WEB, a revision lineage, share many verses word for word or
  nearly.

    .venv/bin/python benchmarks/bench_dedup_process.py --sizes 10000 100000 --repeat 3
    .venv/bin/python benchmarks/bench_dedup_process.py --sizes 10000 --repeat 1 --no-write
    .venv/bin/python benchmarks/bench_dedup_process.py --corpus pan13 bible-verses --repeat 5 \\
        --out benchmarks/results_dedup_process_real.md

Writes ``benchmarks/results_dedup_process.md`` (or ``--out``) unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results_dedup_process.md"
SHARED_DATA = ROOT.parent / "shared" / "data"
REAL_CORPORA = ("pan13", "bible-verses")
PEERS = ("datasketch", "rensa", "gaoya")
TOOLS = ("reuse", *PEERS)
# Targets at 100k documents (the engine issue): CPU-time ratios of each peer to reuse, and
# reuse's peak RSS at most rensa's.
TARGET_RATIOS = {"datasketch": 20.0, "rensa": 4.0, "gaoya": 4.0}
SINGLE_THREAD = {name: "1" for name in (
    "RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS")}

sys.path.insert(0, str(HERE))
from dedup_peers import shingles as peer_shingles  # noqa: E402
from generate_text_corpus import generate  # noqa: E402


def command_for(tool: str, corpus: Path, out: Path, threshold: float,
                baseline: Path | None = None) -> list[str]:
    if tool.startswith("reuse"):
        command = [sys.executable, "-m", "reuse", "dedup", str(corpus), "--verify", "exact",
                   "--threshold", str(threshold), "--out", str(out), "--quiet"]
        # One process, as the peers: a baseline that predates --workers ran one anyway, one
        # that has it would use every core, whose workers /usr/bin/time does not count.
        if tool == "reuse" or (baseline is not None and takes_workers(baseline)):
            command += ["--workers", "1"]
        return command
    return [sys.executable, str(HERE / "dedup_peers.py"), tool, str(corpus), str(out),
            "--threshold", str(threshold)]


def parse_time(report: str) -> dict[str, float]:
    fields = {}
    for line in report.splitlines():
        name, _, value = line.strip().rpartition(": ")
        fields[name] = value
    wall = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    seconds = sum(float(part) * 60**k for k, part in enumerate(reversed(wall)))
    user, system = float(fields["User time (seconds)"]), float(fields["System time (seconds)"])
    return {
        "cpu": user + system,
        "user": user,
        "sys": system,
        "wall": seconds,
        "rss_mb": int(fields["Maximum resident set size (kbytes)"]) / 1024,
    }


def pairs_of(tool: str, out: Path) -> set[tuple[str, str]]:
    if tool.startswith("reuse"):
        import pyarrow.parquet as pq

        table = pq.read_table(out / "near_duplicates.parquet", columns=["a_id", "b_id"])
        return {tuple(sorted(pair)) for pair in zip(table["a_id"].to_pylist(),
                                                    table["b_id"].to_pylist(), strict=True)}
    with open(out, encoding="utf-8") as handle:
        return {tuple(line.rstrip("\n").split("\t")) for line in handle}


def entry(tree: Path) -> list[str]:
    """How to start the command of source tree ``tree``: ``python -m reuse``, or for a tree from
    before ``reuse/__main__.py`` (its command a function of ``reuse.cli``), that function."""
    if (tree / "reuse" / "__main__.py").exists():
        return [sys.executable, "-m", "reuse"]
    return [sys.executable, "-c", "import sys; from reuse.cli import main; sys.exit(main())"]


@functools.lru_cache
def compile_bytecode(tree: Path) -> None:
    """Write the bytecode of source tree ``tree``'s package, as installing it does (pip compiles
    a package's modules at install). Without it, an interpreter that writes no bytecode (with
    ``PYTHONDONTWRITEBYTECODE``, as CI and some containers set) compiles every module of reuse
    in every process of every timed run: about 0.1-0.2 CPU-s a process, which the peers, whose
    modules are compiled, do not pay."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "reuse")], check=True,
                   capture_output=True)


@functools.lru_cache
def takes_workers(tree: Path) -> bool:
    """Whether the ``reuse dedup`` of source tree ``tree`` takes ``--workers``."""
    done = subprocess.run([*entry(tree), "dedup", "--help"], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(tree)},
                          cwd=tempfile.gettempdir())
    return "--workers" in done.stdout


def run_once(tool: str, corpus: Path, threshold: float, baseline: Path | None) -> dict:
    env = {**os.environ, **SINGLE_THREAD}
    tree = baseline if tool == "reuse-baseline" else ROOT
    env["PYTHONPATH"] = str(tree)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / ("run" if tool.startswith("reuse") else "pairs.tsv")
        report = Path(tmp) / "time.txt"
        command = ["/usr/bin/time", "-v", "-o", str(report),
                   *command_for(tool, corpus, out, threshold, baseline)]
        subprocess.run(command, env=env, cwd=tree, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        measured = parse_time(report.read_text())
        measured["load"] = os.getloadavg()[0]
        measured["pairs"] = pairs_of(tool, out)
    return measured


def git_revision(tree: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def real_records(name: str) -> Iterator[dict[str, str]]:
    """The documents of the real corpus ``name`` (see the module text), read from
    ``../shared/data``."""
    if name == "pan13":
        folder = SHARED_DATA / "pan13-train"
        for kind in ("src", "susp"):
            for path in sorted((folder / kind).glob("*.txt")):
                with open(path, encoding="utf-8", newline="") as handle:
                    yield {"id": f"{kind}/{path.name}", "text": handle.read()}
        return
    for version in sorted((SHARED_DATA / "bible-en").iterdir()):
        for path in sorted(version.glob("*.txt")):
            lines = path.read_text(encoding="utf-8").splitlines()[1:]  # after the title line
            for line in lines:
                verse, _, text = line.partition("] ")
                if verse.startswith("[") and text:
                    yield {"id": f"{version.name}/{path.stem}/{verse[1:]}", "text": text}


def real_corpus(name: str, folder: Path) -> tuple[Path, int]:
    """The real corpus ``name`` as a JSONL file in ``folder``, and its number of documents."""
    path = folder / f"{name}.jsonl"
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for record in real_records(name):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    if count == 0:
        sys.exit(f"no documents read for {name} under {SHARED_DATA}")
    return path, count


def extra_pairs(corpus: Path, extra: set[tuple[str, str]], threshold: float) -> dict[str, int]:
    """Why a peer reports pairs that reuse does not, judged with the peers' own shingles
    (:func:`dedup_peers.shingles`: the words of ``\\w+`` in the lowercased text, five to a
    shingle):
    'short', pairs with a document of fewer than five words (no shingle: every such document has
    the same empty MinHash, so the peers pair them all; reuse counts them too short to compare);
    'below', pairs whose exact Jaccard is under the threshold (kept on the estimate); 'above',
    the rest (pairs that reuse's tokenizer or LSH missed)."""
    wanted = {doc for pair in extra for doc in pair}
    shingles: dict[str, set[str]] = {}
    with open(corpus, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                shingles[record["id"]] = set(peer_shingles(record["text"]))
    counts = {"short": 0, "below": 0, "above": 0}
    for a, b in extra:
        left, right = shingles[a], shingles[b]
        if not left or not right:
            counts["short"] += 1
        elif len(left & right) / len(left | right) < threshold:
            counts["below"] += 1
        else:
            counts["above"] += 1
    return counts


def bench(corpora: Iterator[tuple[str, Path, int]], tools: list[str], repeat: int,
          threshold: float, baseline: Path | None, datasketch_repeat: int) -> list[dict]:
    """``corpora``: (label, JSONL file, documents) of each corpus to run every tool on."""
    rows = []
    for label, corpus, n_docs in corpora:
        runs: dict[str, list[dict]] = {tool: [] for tool in tools}
        for r in range(repeat):
            order = tools[r % len(tools):] + tools[:r % len(tools)]
            for tool in order:
                if tool == "datasketch" and r >= datasketch_repeat:
                    continue
                measured = run_once(tool, corpus, threshold, baseline)
                runs[tool].append(measured)
                print(f"{label:>12} {tool:<15} run {r + 1}: {measured['cpu']:7.2f} CPU s "
                      f"{measured['wall']:7.2f} s {measured['rss_mb']:7.0f} MB "
                      f"{len(measured['pairs'])} pairs", flush=True)
        reference = runs["reuse"][0]["pairs"] if "reuse" in runs else set()
        for tool in tools:
            found = runs[tool][0]["pairs"]
            rows.append({
                "corpus": label, "docs": n_docs, "generated": label == "generated",
                "mb": corpus.stat().st_size / 1e6, "tool": tool,
                "cpu": statistics.median(m["cpu"] for m in runs[tool]),
                "cpu_min": min(m["cpu"] for m in runs[tool]),
                "wall": statistics.median(m["wall"] for m in runs[tool]),
                "rss_mb": statistics.median(m["rss_mb"] for m in runs[tool]),
                "pairs": len(found), "shared": len(found & reference),
                "extra": (extra_pairs(corpus, found - reference, threshold)
                          if tool in PEERS and reference else None),
                "load": statistics.median(m["load"] for m in runs[tool]),
            })
    return rows


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| corpus | docs | MB | tool | CPU s (median) | CPU s (min) | wall s | peak RSS MB | "
        "pairs | shared with reuse | not reported by reuse: short / below / above | "
        "peer CPU / reuse CPU | target | load |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        ours = next((r for r in rows if (r["corpus"], r["docs"]) == (row["corpus"], row["docs"])
                     and r["tool"] == "reuse"), None)
        ratio = f"{row['cpu'] / ours['cpu']:.2f}x" if ours and row["tool"] != "reuse" else ""
        target = ""
        if row["tool"] in TARGET_RATIOS and row["generated"] and row["docs"] >= 100_000 and ours:
            goal = TARGET_RATIOS[row["tool"]]
            met = row["cpu"] / ours["cpu"] >= goal
            target = f">= {goal:g}x: {'met' if met else 'not met'}"
            if row["tool"] == "rensa":
                rss_met = ours["rss_mb"] <= row["rss_mb"]
                target += f"; reuse RSS <= rensa's: {'met' if rss_met else 'not met'}"
        extra = ("" if row["extra"] is None else
                 " / ".join(f"{row['extra'][kind]:,}" for kind in ("short", "below", "above")))
        lines.append(
            f"| {row['corpus']} | {row['docs']:,} | {row['mb']:.0f} | {row['tool']} | {row['cpu']:.2f} | "
            f"{row['cpu_min']:.2f} | {row['wall']:.1f} | {row['rss_mb']:.0f} | "
            f"{row['pairs']:,} | {row['shared']:,} | {extra} | {ratio} | {target} | "
            f"{row['load']:.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--datasketch-repeat", type=int, default=None,
                        help="runs of datasketch, the slowest by far (default: --repeat)")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another reuse source tree, run as 'reuse-baseline'")
    parser.add_argument("--corpus", nargs="+", choices=REAL_CORPORA, default=None,
                        help="real corpora from ../shared/data instead of --sizes")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if shutil.which("/usr/bin/time") is None:
        sys.exit("needs GNU time at /usr/bin/time (apt-get install time)")
    tools = list(args.tools)
    compile_bytecode(ROOT)
    if args.baseline is not None:
        tools.append("reuse-baseline")
        compile_bytecode(args.baseline)
    datasketch_repeat = args.repeat if args.datasketch_repeat is None else args.datasketch_repeat
    with tempfile.TemporaryDirectory(prefix="reuse-real-") as scratch:
        if args.corpus:
            corpora = ((name, *real_corpus(name, Path(scratch))) for name in args.corpus)
        else:
            corpora = (("generated", generate(n_docs), n_docs) for n_docs in args.sizes)
        rows = bench(corpora, tools, args.repeat, args.threshold, args.baseline,
                     max(1, min(datasketch_repeat, args.repeat)))
    command = "python benchmarks/bench_dedup_process.py " + " ".join(sys.argv[1:])
    load = os.getloadavg()
    header = [
        "# `reuse dedup --verify exact` against its peers, whole process",
        "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end, Python "
        f"{platform.python_version()}; reuse at `{git_revision(ROOT)}`"
        + (f", reuse-baseline at `{git_revision(args.baseline)}`" if args.baseline else "")
        + ".",
        "",
        "Each tool is a separate process started cold, single-threaded, timed by "
        "`/usr/bin/time -v` (CPU s = user + system; peak RSS = maximum resident set size), "
        f"{args.repeat} interleaved repeats (datasketch: "
        f"{max(1, min(datasketch_repeat, args.repeat))}); medians. Threshold {args.threshold}, 128 "
        "permutations, word 5-grams; corpus 'generated': `generate_text_corpus.py`'s, else real "
        "text from `../shared/data` (see the script). reuse verifies "
        "every candidate on exact Jaccard; the peers keep candidates on the MinHash estimate. "
        "'shared with reuse': pairs the tool and reuse both report (the tokenizers differ, so "
        "the pair sets differ a little). 'not reported by reuse': the peer's other pairs, judged "
        "with the peer's own word 5-grams: 'short', a document of fewer than five words in the "
        "pair (no shingle: the peers pair every such document with every other; reuse counts "
        "them too short to compare); 'below', exact Jaccard under the threshold (kept on the "
        "MinHash estimate); 'above', at or over it (missed by reuse). 'load': the median "
        "1-minute load average as the tool's runs ended. The machine is shared: compare CPU "
        "s, not wall s (a loaded machine inflates CPU s too, through shared caches and memory "
        "bandwidth).",
        "",
    ]
    text = "\n".join(header + table(rows)) + "\n"
    print(text)
    if not args.no_write:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
