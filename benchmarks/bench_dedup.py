"""Document-level near-duplicate detection: reuse vs datasketch vs rensa, side by side.

Every tool reads the same synthetic JSONL corpus (see ``generate_corpus.py``) and returns the
list of document pairs it calls near-duplicates at ``--threshold``, with 128 permutations and
word 5-gram shingles:

- ``reuse``: ``reuse.pipeline.dedup(path, threshold=T)`` (MinHash-estimate verification), and
  ``reuse-exact``: the same with ``verify="exact"``.
- ``datasketch``: ``MinHash.bulk`` over the byte shingles, ``MinHashLSH`` insert + query at the
  same threshold (datasketch picks the same bands as reuse), candidates kept when the MinHash
  estimate reaches the threshold.
- ``rensa``: ``RMinHash.from_token_sets`` (its bulk Rust path; ``CMinHash`` sketches cannot go
  into ``RMinHashLSH``), ``RMinHashLSH.insert_many`` + ``query_all`` with the band count that
  minimises the same error as datasketch among the divisors of 128 (rensa needs one), and the
  same estimate filter.

The baselines shingle in Python the fastest way we found: ``text.lower().encode().split()`` and
``b" ".join`` over 5 consecutive words, 1,000 documents at a time (the same shingles as reuse
for this corpus, which the generator checks). Each tool runs in its own subprocess, pinned to one CPU with
``RAYON_NUM_THREADS=1`` and one BLAS thread, so peak RSS (``ru_maxrss`` of that process) and
throughput are per tool and single-core. Wall time runs from opening the JSONL to the final list
of pairs; interpreter start-up and imports are excluded and reported separately.

Precision and recall are against the truth "exact Jaccard of the word 5-gram sets >= threshold":
the planted pairs from the generator's truth file, plus any reported pair outside it whose exact
Jaccard (computed here) reaches the threshold.

    .venv/bin/python benchmarks/bench_dedup.py                      # 10k and 100k docs
    .venv/bin/python benchmarks/bench_dedup.py --sizes 10000 --no-write   # quick look

Writes ``benchmarks/results_dedup.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results_dedup.md"
TOOLS = ("reuse", "reuse-exact", "datasketch", "rensa")
NUM_PERM = 128
NGRAM = 5
SEED = 1
# The baselines shingle and sketch this many documents at a time, so that only one chunk's
# shingle objects are alive (holding all of them costs GBs and slows Python's GC to a crawl).
_CHUNK = 1000

# Targets at 100k documents, from the issue.
TARGET_MBPS = 50.0
TARGET_VS_DATASKETCH = 10.0
TARGET_VS_RENSA = 2.5
TARGET_RSS_MB = 1536.0
TARGET_QUALITY = 0.98


# ---------------------------------------------------------------- workers (one per subprocess)


def read_jsonl(path: Path) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    with open(path, "rb") as handle:
        for line in handle:
            record = json.loads(line)
            ids.append(record["id"])
            texts.append(record["text"])
    return ids, texts


def byte_shingles(text: str) -> list[bytes]:
    """Word 5-grams as bytes: lowercase, split on whitespace, joined by one space."""
    words = text.lower().encode("utf-8").split()
    return list(map(b" ".join, zip(*(words[k:] for k in range(NGRAM)), strict=False)))


def run_reuse(path: Path, threshold: float, verify: str) -> tuple[list[tuple[str, str]], dict]:
    from reuse.pipeline import dedup

    result = dedup(path, threshold=threshold, num_perm=NUM_PERM, ngram=NGRAM, verify=verify)
    frame = result.near_duplicates
    pairs = list(zip(frame["a_id"].tolist(), frame["b_id"].tolist(), strict=True))
    extra = {"candidates": result.candidate_pairs}
    return pairs, {"stages": dict(result.timings), **extra}


class Laps:
    """Adds the seconds since the previous lap to ``stages[name]``."""

    def __init__(self, stages: dict[str, float]) -> None:
        self.stages = stages
        self.clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(self.stages.get(name, 0.0) + now - self.clock, 4)
        self.clock = now


def run_datasketch(path: Path, threshold: float) -> tuple[list[tuple[str, str]], dict]:
    from datasketch import MinHash, MinHashLSH

    stages: dict[str, float] = {}
    lap = Laps(stages)

    ids, texts = read_jsonl(path)
    lap("read")
    sketches = []
    for lo in range(0, len(texts), _CHUNK):
        shingles = [byte_shingles(t) for t in texts[lo : lo + _CHUNK]]
        lap("shingle")
        sketches.extend(MinHash.bulk(shingles, num_perm=NUM_PERM, seed=SEED))
        lap("minhash")
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, sketch in enumerate(sketches):
            session.insert(i, sketch, check_duplication=False)
    lap("lsh_insert")
    candidates = 0
    pairs = []
    for i, sketch in enumerate(sketches):
        for j in lsh.query(sketch):
            if j > i:
                candidates += 1
                if sketch.jaccard(sketches[j]) >= threshold:
                    pairs.append((ids[i], ids[j]))
    lap("query_verify")
    return pairs, {"stages": stages, "candidates": candidates}


def run_rensa(path: Path, threshold: float, bands: int) -> tuple[list[tuple[str, str]], dict]:
    import rensa

    stages: dict[str, float] = {}
    lap = Laps(stages)

    ids, texts = read_jsonl(path)
    lap("read")
    sketches = []
    for lo in range(0, len(texts), _CHUNK):
        shingles = [byte_shingles(t) for t in texts[lo : lo + _CHUNK]]
        lap("shingle")
        sketches.extend(rensa.RMinHash.from_token_sets(shingles, NUM_PERM, SEED))
        lap("minhash")
    lsh = rensa.RMinHashLSH(threshold, NUM_PERM, bands)
    lsh.insert_many(sketches)
    lap("lsh_insert")
    candidates = 0
    pairs = []
    for i, found in enumerate(lsh.query_all(sketches)):
        for j in found:
            if j > i:
                candidates += 1
                if sketches[i].jaccard(sketches[j]) >= threshold:
                    pairs.append((ids[i], ids[j]))
    lap("query_verify")
    return pairs, {"stages": stages, "candidates": candidates}


def worker(tool: str, path: Path, threshold: float, rensa_bands: int, out: Path) -> None:
    """Run one tool, timed from opening the JSONL to the list of pairs; write a JSON result."""
    started = time.perf_counter()
    if tool.startswith("reuse"):
        import reuse.pipeline  # noqa: F401  (imports are start-up, not part of the run)
    elif tool == "datasketch":
        import datasketch  # noqa: F401
    else:
        import rensa  # noqa: F401
    imported = time.perf_counter()
    cpu_before = os.times()
    if tool == "reuse":
        pairs, info = run_reuse(path, threshold, "estimate")
    elif tool == "reuse-exact":
        pairs, info = run_reuse(path, threshold, "exact")
    elif tool == "datasketch":
        pairs, info = run_datasketch(path, threshold)
    else:
        pairs, info = run_rensa(path, threshold, rensa_bands)
    seconds = time.perf_counter() - imported
    cpu_after = os.times()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "tool": tool,
        "seconds": seconds,
        "cpu_seconds": (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system),
        "import_seconds": imported - started,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux reports KiB
        "pairs": pairs,
        **info,
    }
    out.write_text(json.dumps(result), encoding="utf-8")


# ------------------------------------------------------------------------- parent: orchestrate


def rensa_band_count(threshold: float, num_perm: int = NUM_PERM) -> int:
    """The band count among the divisors of ``num_perm`` minimising datasketch's error."""
    from scipy.integrate import quad

    best, best_error = 1, float("inf")
    for bands in (b for b in range(1, num_perm + 1) if num_perm % b == 0):
        rows = num_perm // bands
        fp, _ = quad(lambda s, b=bands, r=rows: 1 - (1 - s**r) ** b, 0.0, threshold)
        fn, _ = quad(lambda s, b=bands, r=rows: (1 - s**r) ** b, threshold, 1.0)
        if 0.5 * fp + 0.5 * fn < best_error:
            best, best_error = bands, 0.5 * fp + 0.5 * fn
    return best


def run_tool(tool: str, path: Path, threshold: float, rensa_bands: int, cpu: int) -> dict:
    env = dict(os.environ)
    env.update({
        "RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
    })
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [
            sys.executable, str(Path(__file__).resolve()), "--worker", tool, "--input", str(path),
            "--threshold", str(threshold), "--rensa-bands", str(rensa_bands), "--result", str(out),
        ]
        wall = time.perf_counter()
        subprocess.run(
            command, env=env, check=True, cwd=ROOT,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu >= 0 else None,
        )
        result = json.loads(out.read_text(encoding="utf-8"))
        result["process_seconds"] = time.perf_counter() - wall
    return result


def load_truth(truth_path: Path, threshold: float) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(pairs in the truth file, pairs with exact Jaccard >= threshold)."""
    listed, positive = set(), set()
    with open(truth_path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pair = (row["a_id"], row["b_id"])
            listed.add(pair)
            if float(row["jaccard"]) >= threshold:
                positive.add(pair)
    return listed, positive


def exact_jaccard_of(texts: dict[str, str], a: str, b: str) -> float:
    sa, sb = set(byte_shingles(texts[a])), set(byte_shingles(texts[b]))
    union = len(sa | sb)
    return len(sa & sb) / union if union else 1.0


def score(
    results: list[dict], corpus_path: Path, truth_path: Path, threshold: float
) -> dict[str, dict]:
    """Precision and recall of every tool against the same (possibly extended) truth."""
    listed, positive = load_truth(truth_path, threshold)
    reported = {r["tool"]: {tuple(sorted(p)) for p in r["pairs"]} for r in results}
    unlisted = set().union(*reported.values()) - listed
    if unlisted:
        wanted = {d for pair in unlisted for d in pair}
        texts = {}
        with open(corpus_path, "rb") as handle:
            for line in handle:
                record = json.loads(line)
                if record["id"] in wanted:
                    texts[record["id"]] = record["text"]
        for a, b in unlisted:
            if exact_jaccard_of(texts, a, b) >= threshold:
                positive.add((a, b))
    scores = {}
    for tool, pairs in reported.items():
        hits = len(pairs & positive)
        scores[tool] = {
            "reported": len(pairs),
            "true_positives": hits,
            "positives": len(positive),
            "unlisted_reported": len(pairs - listed),
            "precision": hits / len(pairs) if pairs else 1.0,
            "recall": hits / len(positive) if positive else 1.0,
        }
    return scores


def text_bytes(corpus_path: Path) -> tuple[int, int]:
    """(number of documents, UTF-8 bytes of their texts)."""
    docs = size = 0
    with open(corpus_path, "rb") as handle:
        for line in handle:
            docs += 1
            size += len(json.loads(line)["text"].encode("utf-8"))
    return docs, size


def machine_info() -> dict[str, str]:
    import datasketch
    import numpy
    import rensa  # noqa: F401

    import reuse

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        memory = "unknown"
    from importlib.metadata import version

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{cpu}, {os.cpu_count()} logical CPUs, {memory} RAM, {platform.system()} "
        f"{platform.release()}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "versions": f"reuse {reuse.__version__}, numpy {numpy.__version__}, datasketch "
        f"{datasketch.__version__}, rensa {version('rensa')}",
    }


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def markdown(
    runs: list[dict], info: dict[str, str], command: str, threshold: float, bands: int, repeat: int
) -> str:
    lines = [
        "# Document dedup benchmark: reuse vs datasketch vs rensa",
        "",
        "Produced by `benchmarks/bench_dedup.py`; do not edit by hand.",
        "",
        f"- Command: `{command}`",
        *(f"- {key.capitalize()}: {value}" for key, value in info.items()),
        f"- Settings: threshold {threshold}, num_perm {NUM_PERM}, word {NGRAM}-gram shingles; "
        f"datasketch and reuse pick their LSH bands the same way; rensa uses {bands} bands of "
        f"{NUM_PERM // bands} rows (it needs a divisor of {NUM_PERM}).",
        "- Each tool runs in its own process pinned to one CPU. Wall time: from opening the JSONL "
        f"to the list of pairs (imports excluded), the fastest of {repeat} run(s) per tool. "
        "MB/s = text bytes (UTF-8) / wall time. Peak RSS = `ru_maxrss` of the tool's process. "
        "Truth: exact Jaccard >= threshold.",
        "- `vs datasketch` / `vs rensa` = this tool's MB/s divided by theirs on the same corpus.",
        "- CPU s = user + system CPU time of the run; on a shared machine wall time above CPU time "
        "means the process waited for the CPU, and MB/CPU s (text bytes / CPU s) is the steadier "
        "measure.",
        "",
        "## Results",
        "",
        "| docs | tool | wall s | docs/s | MB/s | vs datasketch | vs rensa | peak RSS MB | "
        "CPU s | MB/CPU s | candidates | pairs | precision | recall |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        by_tool = {r["tool"]: r for r in run["results"]}
        for r in run["results"]:
            mbps = run["bytes"] / r["seconds"] / 1e6
            ratios = []
            for other in ("datasketch", "rensa"):
                o = by_tool.get(other)
                ratios.append(None if o is None or r["tool"] == other else o["seconds"] / r["seconds"])
            s = run["scores"][r["tool"]]
            lines.append(
                f"| {run['docs']:,} | {r['tool']} | {r['seconds']:.2f} | "
                f"{run['docs'] / r['seconds']:,.0f} | {mbps:.1f} | {fmt_ratio(ratios[0])} | "
                f"{fmt_ratio(ratios[1])} | {r['peak_rss_mb']:,.0f} | {r['cpu_seconds']:.2f} | "
                f"{run['bytes'] / r['cpu_seconds'] / 1e6:.1f} | "
                f"{r['candidates']:,} | {s['reported']:,} | {s['precision']:.4f} | {s['recall']:.4f} |"
            )
    lines += [
        "",
        "True near-duplicate pairs per corpus: "
        + ", ".join(
            f"{run['docs']:,} docs: {next(iter(run['scores'].values()))['positives']:,}"
            for run in runs
        )
        + ".",
        "",
        "## Where the time goes (seconds per stage)",
        "",
        "reuse stages come from `DedupResult.timings` (`ingest` is reading and parsing the JSONL); "
        "`other` is the rest of the wall time (building the result tables).",
        "",
        "| docs | tool | stages | import s |",
        "|---:|---|---|---:|",
    ]
    for run in runs:
        for r in run["results"]:
            stages = dict(r["stages"])
            stages["other"] = max(0.0, r["seconds"] - sum(stages.values()))
            text = ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
            lines.append(f"| {run['docs']:,} | {r['tool']} | {text} | {r['import_seconds']:.2f} |")

    target_runs = [run for run in runs if run["docs"] >= 100_000]
    if target_runs:
        run = target_runs[-1]
        by_tool = {r["tool"]: r for r in run["results"]}
        lines += [
            "",
            f"## Targets at {run['docs']:,} documents",
            "",
            "| target | " + " | ".join(t for t in ("reuse", "reuse-exact") if t in by_tool) + " |",
            "|---|" + "---|" * sum(t in by_tool for t in ("reuse", "reuse-exact")),
        ]

        def row(label: str, check) -> str:
            cells = []
            for tool in ("reuse", "reuse-exact"):
                if tool in by_tool:
                    value, ok = check(by_tool[tool], run["scores"][tool])
                    cells.append(f"{value} {'PASS' if ok else 'FAIL'}")
            return f"| {label} | " + " | ".join(cells) + " |"

        def speed(r, s):
            mbps = run["bytes"] / r["seconds"] / 1e6
            return f"{mbps:.1f} MB/s", mbps >= TARGET_MBPS

        def versus(other: str, target: float):
            def check(r, s):
                if other not in by_tool:
                    return "not run", False
                ratio = by_tool[other]["seconds"] / r["seconds"]
                return f"{ratio:.2f}×", ratio >= target
            return check

        lines += [
            row(f">= {TARGET_MBPS:.0f} MB/s end to end, one core", speed),
            row(f">= {TARGET_VS_DATASKETCH:.0f}× datasketch", versus("datasketch", TARGET_VS_DATASKETCH)),
            row(f">= {TARGET_VS_RENSA}× rensa", versus("rensa", TARGET_VS_RENSA)),
            row(f"peak RSS <= {TARGET_RSS_MB / 1024:.1f} GB",
                lambda r, s: (f"{r['peak_rss_mb']:,.0f} MB", r["peak_rss_mb"] <= TARGET_RSS_MB)),
            row(f"precision >= {TARGET_QUALITY}",
                lambda r, s: (f"{s['precision']:.4f}", s["precision"] >= TARGET_QUALITY)),
            row(f"recall >= {TARGET_QUALITY}",
                lambda r, s: (f"{s['recall']:.4f}", s["recall"] >= TARGET_QUALITY)),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin each tool to; -1: no pinning")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per tool; the fastest is reported (default: 1)"
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    parser.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rensa-bands", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.input, args.threshold, args.rensa_bands, args.result)
        return

    sys.path.insert(0, str(HERE))
    from generate_corpus import ensure_corpus

    bands = rensa_band_count(args.threshold)
    info = machine_info()
    runs = []
    for size in args.sizes:
        corpus_path, truth_path = ensure_corpus(size)
        docs, size_bytes = text_bytes(corpus_path)
        best: dict[str, dict] = {}
        for repeat in range(args.repeat):
            # Tools take turns within each repeat, so a burst of load on a shared machine does
            # not fall on one tool's runs only.
            for tool in args.tools:
                print(f"[{size:,} docs] {tool} (run {repeat + 1}) ...", file=sys.stderr, flush=True)
                result = run_tool(tool, corpus_path, args.threshold, bands, args.cpu)
                print(
                    f"[{size:,} docs] {tool}: {result['seconds']:.2f} s, "
                    f"{size_bytes / result['seconds'] / 1e6:.1f} MB/s, "
                    f"peak RSS {result['peak_rss_mb']:,.0f} MB, stages {result['stages']}",
                    file=sys.stderr, flush=True,
                )
                if tool not in best or result["seconds"] < best[tool]["seconds"]:
                    best[tool] = result
        results = [best[tool] for tool in args.tools]
        scores = score(results, corpus_path, truth_path, args.threshold)
        for r in results:
            print(f"[{size:,} docs] {r['tool']}: {scores[r['tool']]}", file=sys.stderr)
            r.pop("pairs")
        runs.append({"docs": docs, "bytes": size_bytes, "results": results, "scores": scores})

    command = "python benchmarks/bench_dedup.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(runs, info, command.strip(), args.threshold, bands, args.repeat)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    from reuse.engine.allocator import reusable_heap

    with reusable_heap():  # as the reuse command runs; the API leaves malloc alone
        main()
