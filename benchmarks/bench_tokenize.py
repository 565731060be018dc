"""The tokenizer alone on a JSONL corpus: its numpy code against its compiled kernels
(:mod:`reuse.text.kernels`), in one process, alternated.

    .venv/bin/python benchmarks/bench_tokenize.py benchmarks/data/text_100000.jsonl

(the corpus of ``generate_text_corpus.py --docs 100000``).

The texts are read first and joined into batches of about ``--batch-chars`` characters (1M, the
sketching feed's batch), each as :func:`reuse.text.tokenize.tokenize_joined` takes it: texts end
to end with a NUL between each two. Then, ``--rounds`` times (3), every batch is tokenized by the
numpy code (the kernels switched off) and then by the kernels, and the process's CPU time of
each pass over all batches is summed per method. Before that, the first call of the kernels is
timed on its own (numba's import and loading the kernels from their cache, or compiling them
on a first run: what a process pays once), and every batch is tokenized by both and the two
compared field by field (hashes, starts, ends, bounds, dtypes). Writes ``results_tokenize.md``
(``--no-write``: print only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
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


def tokenize_all(parts: list[tuple[str, np.ndarray]], kernels: bool) -> float:
    compiled.ENABLED = kernels
    start = time.process_time()
    for joined, lengths in parts:
        tokenize_joined(joined, lengths)
    return time.process_time() - start


def same(a: TokenBatch, b: TokenBatch) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype
               == getattr(b, f).dtype for f in ("hashes", "starts", "ends", "bounds"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--batch-chars", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="read the first N documents")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    parts = batches(args.corpus, args.batch_chars, args.limit)
    chars = sum(len(joined) for joined, _ in parts)
    docs = sum(len(lengths) for _, lengths in parts)
    tokenize_mod.tokenize_joined("", np.zeros(1, dtype=np.int64))  # the numpy code's set-up
    tokenize_mod.MIN_COMPILED_CHARACTERS = 0
    start = time.process_time()
    tokenize_all(parts[:1], kernels=True)  # numba's import and the kernels' load or compile
    first_call = time.process_time() - start
    for joined, lengths in parts:
        compiled.ENABLED = False
        expected = tokenize_joined(joined, lengths)
        compiled.ENABLED = True
        if not same(expected, tokenize_joined(joined, lengths)):
            sys.exit("the kernels' tokens differ from the numpy code's")
    times: dict[str, list[float]] = {"numpy": [], "compiled": []}
    for _ in range(args.rounds):
        times["numpy"].append(tokenize_all(parts, kernels=False))
        times["compiled"].append(tokenize_all(parts, kernels=True))
    load = os.getloadavg()[0]
    numpy_median = statistics.median(times["numpy"])
    lines = [
        "# The tokenizer alone: numpy code vs compiled kernels",
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
    saved = (numpy_median - statistics.median(times["compiled"])) / chars
    lines += ["", f"The first call of the kernels (numba's import and the kernels' load, in a "
              f"process that had not loaded numba) took {first_call:.2f} CPU s; at "
              f"{saved * 1e9:.1f} ns saved per character, a process wins it back after "
              + (f"{first_call / saved / 1e6:,.0f}M characters." if saved > 0 else "never.")]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (HERE / "results_tokenize.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
