"""The tokenizer alone on a JSONL corpus: its numpy code against its compiled pass
(:mod:`reuse.text.compiled_narrow`, the package's C extension), in one process, alternated.

    .venv/bin/python benchmarks/bench_tokenize.py benchmarks/data/text_100000.jsonl

(the corpus of ``generate_text_corpus.py --docs 100000``).

The texts are read first and joined into batches of about ``--batch-chars`` characters (1M, the
sketching feed's batch), each as :func:`reuse.text.tokenize.tokenize_joined` takes it: texts end
to end with a NUL between each two. Then, ``--rounds`` times (3), every batch is tokenized by the
numpy code (``reuse.common.compiled.ENABLED`` off) and then with the compiled pass, and the
process's CPU time of each pass over all batches is summed per method. Before that, every batch
is tokenized both ways and the two compared field by field (hashes, starts, ends, bounds,
dtypes).

With ``--dedup-rounds N`` (3), it then runs the whole process, ``reuse dedup CORPUS --verify
exact --threshold 0.8 --workers 1 -q``, N times each way in turn, timed by ``/usr/bin/time``
(CPU s = user + system, peak RSS): as is (the compiled passes: the tokenizer's, and the
shingles' and MinHash's of the sketching) and with ``compiled.ENABLED`` off (the numpy code of
all three), and checks that the two runs' Parquet tables are byte-identical. Writes
``results_tokenize.md`` (``--no-write``: print only).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import reuse.text.tokenize as tokenize_mod
from reuse.common import compiled
from reuse.text.tokenize import TokenBatch, tokenize_joined

HERE = Path(__file__).resolve().parent


def batches(path: Path, batch_chars: int, limit: int | None) -> list[tuple[str, np.ndarray]]:
    out: list[tuple[str, np.ndarray]] = []
    texts: list[str] = []
    chars = 0
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                break
            texts.append(json.loads(line)["text"])
            chars += len(texts[-1])
            if chars >= batch_chars:
                out.append(_joined(texts))
                texts, chars = [], 0
    if texts:
        out.append(_joined(texts))
    return out


def _joined(texts: list[str]) -> tuple[str, np.ndarray]:
    return "\x00".join(texts), np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def tokenize_all(parts: list[tuple[str, np.ndarray]], compiled_pass: bool) -> float:
    compiled.ENABLED = compiled_pass
    start = time.process_time()
    for joined, lengths in parts:
        tokenize_joined(joined, lengths)
    return time.process_time() - start


def same(a: TokenBatch, b: TokenBatch) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype
               == getattr(b, f).dtype for f in ("hashes", "starts", "ends", "bounds"))


# The whole process as the CLI runs it, with the compiled pass switched off first (or not).
_DEDUP = ("import sys, reuse.common.compiled as c; {setting}from reuse.cli.command import main; "
          "sys.argv[0] = 'reuse'; main()")
_TABLES = ("near_duplicates", "clusters", "documents", "signatures")


def dedup_once(corpus: Path, out: Path, compiled_pass: bool) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS (MB) of one ``reuse dedup`` process."""
    setting = "" if compiled_pass else "c.ENABLED = False; "
    report = out.with_suffix(".time")
    subprocess.run(["/usr/bin/time", "-o", str(report), "-f", "%U %S %M", sys.executable, "-c",
                    _DEDUP.format(setting=setting), "dedup", str(corpus), "--verify", "exact",
                    "--threshold", "0.8", "--out", str(out), "--workers", "1", "-q"],
                   check=True, cwd=out.parent)
    user, system, rss = report.read_text().split()[-3:]
    return float(user) + float(system), int(rss) / 1024


def whole_process(corpus: Path, rounds: int) -> list[str]:
    runs: dict[str, list[tuple[float, float]]] = {"compiled (as is)": [], "numpy code": []}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {}
        for round_ in range(rounds):
            for method in runs:
                out = Path(tmp) / f"{method.split()[0]}{round_}"
                runs[method].append(dedup_once(corpus.resolve(), out, method.startswith("c")))
                outs.setdefault(method, out)
        first, second = outs.values()
        identical = all(filecmp.cmp(first / f"{t}.parquet", second / f"{t}.parquet",
                                    shallow=False) for t in _TABLES)
    if not identical:
        sys.exit("the runs' tables differ")
    lines = ["", f"Whole process, `reuse dedup {corpus} --verify exact --threshold 0.8 "
             f"--workers 1 -q`, {rounds} runs each way in turn (load average "
             f"{os.getloadavg()[0]:.2f} at the end); the Parquet tables "
             f"({', '.join(_TABLES)}) byte-identical:", "",
             "| sketching passes | median CPU s | all runs (s) | median peak RSS (MB) |",
             "|---|---:|---|---:|"]
    for method, values in runs.items():
        cpu = [v[0] for v in values]
        lines.append(f"| {method} | {statistics.median(cpu):.2f} | "
                     f"{', '.join(f'{v:.2f}' for v in cpu)} | "
                     f"{statistics.median(v[1] for v in values):.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--batch-chars", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="read the first N documents")
    parser.add_argument("--dedup-rounds", type=int, default=3,
                        help="whole-process runs each way (0: none)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    parts = batches(args.corpus, args.batch_chars, args.limit)
    chars = sum(len(joined) for joined, _ in parts)
    docs = sum(len(lengths) for _, lengths in parts)
    if tokenize_mod.compiled_narrow is None:
        sys.exit("reuse was built without its C extension: nothing to compare")
    tokenize_mod.tokenize_joined("", np.zeros(1, dtype=np.int64))  # the numpy code's set-up
    for joined, lengths in parts:
        compiled.ENABLED = False
        expected = tokenize_joined(joined, lengths)
        compiled.ENABLED = True
        if not same(expected, tokenize_joined(joined, lengths)):
            sys.exit("the compiled pass's tokens differ from the numpy code's")
    times: dict[str, list[float]] = {"numpy": [], "compiled": []}
    for _ in range(args.rounds):
        times["numpy"].append(tokenize_all(parts, compiled_pass=False))
        times["compiled"].append(tokenize_all(parts, compiled_pass=True))
    load = os.getloadavg()[0]
    numpy_median = statistics.median(times["numpy"])
    lines = [
        "# The tokenizer alone: numpy code vs the compiled pass (C)",
        "",
        f"`{' '.join(['.venv/bin/python', 'benchmarks/bench_tokenize.py', *sys.argv[1:]])}`",
        "",
        f"{docs:,} documents, {chars:,} characters in {len(parts)} batches of about "
        f"{args.batch_chars:,} characters; `tokenize_joined` on every batch, process CPU time "
        f"of all batches, {args.rounds} rounds alternated in one process (load average "
        f"{load:.2f} at the end). Outputs equal field by field.",
        "",
        "| method | median CPU s | all rounds (s) | Mchars/CPU-s | speed-up |",
        "|---|---:|---|---:|---:|",
    ]
    for method, values in times.items():
        median = statistics.median(values)
        lines.append(f"| {method} | {median:.2f} | {', '.join(f'{v:.2f}' for v in values)} | "
                     f"{chars / median / 1e6:.0f} | {numpy_median / median:.2f}x |")
    if args.dedup_rounds:
        del parts
        lines += whole_process(args.corpus, args.dedup_rounds)
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (HERE / "results_tokenize.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
