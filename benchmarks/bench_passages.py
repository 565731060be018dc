"""End-to-end passage reuse on a synthetic corpus with planted passages.

Generates ``--docs`` documents of about 400 words from a Zipfian vocabulary of made-up words,
plants ``--planted`` passages of 50–300 words (copied from one document into another with
``--edit-rate`` word edits: substitutions, insertions and deletions), and a boilerplate paragraph
shared by ``--boilerplate`` documents. Then runs ``reuse.pipeline.run`` on the JSONL file and
reports throughput and peak RSS of the `reuse run` process, candidate pairs per document, and
passage recall and precision against the planted truth.

    .venv/bin/python benchmarks/bench_passages.py --docs 100000
    .venv/bin/python benchmarks/bench_passages.py --docs 10000 --no-write   # quick look

Writes ``benchmarks/results_passages.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from peak_rss import run_measured

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def vocabulary(rng: np.random.Generator, size: int) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 10, size=size)
    chars = rng.choice(letters, size=(size, 10))
    words = ["".join(row[:n]) for row, n in zip(chars, lengths, strict=True)]
    return np.array(sorted(set(words)), dtype=object)


def zipf_words(rng: np.random.Generator, vocab_size: int, count: int) -> np.ndarray:
    ranks = np.arange(1, vocab_size + 1)
    weights = 1.0 / ranks**1.07
    return rng.choice(vocab_size, size=count, p=weights / weights.sum())


def edit(rng: np.random.Generator, words: list[int], rate: float, vocab_size: int) -> list[int]:
    out: list[int] = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            out.append(int(rng.integers(vocab_size)))
        elif roll < 2 * rate / 3:
            continue
        elif roll < rate:
            out.extend((word, int(rng.integers(vocab_size))))
        else:
            out.append(word)
    return out


def generate(docs: int, planted: int, edit_rate: float, boilerplate: int, seed: int):
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng, 60_000)
    lengths = rng.integers(300, 500, size=docs)
    stream = zipf_words(rng, len(vocab), int(lengths.sum()))
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    words = [stream[bounds[i] : bounds[i + 1]].tolist() for i in range(docs)]
    truth = []
    # Every document takes part in at most one plant, so no later insertion shifts the truth.
    chosen = rng.choice(docs, size=2 * planted, replace=False)
    sources, targets = chosen[:planted], chosen[planted:]
    for src, dst in zip(sources.tolist(), targets.tolist(), strict=True):
        length = int(rng.integers(50, 301))
        length = min(length, len(words[src]) - 1)
        start = int(rng.integers(0, len(words[src]) - length + 1))
        passage = words[src][start : start + length]
        copied = edit(rng, passage, edit_rate, len(vocab))
        at = int(rng.integers(0, len(words[dst]) + 1))
        words[dst] = words[dst][:at] + copied + words[dst][at:]
        truth.append((src, start, start + length, dst, at, at + len(copied)))
    # The boilerplate goes at the end of its documents: it shifts no planted passage.
    boiler = zipf_words(rng, len(vocab), 80).tolist()
    boiler_docs = rng.choice(docs, size=boilerplate, replace=False).tolist()
    for d in boiler_docs:
        words[d] = words[d] + boiler
    return vocab, words, truth, set(boiler_docs)


def char_offsets(vocab: np.ndarray, word_ids: list[int]) -> tuple[str, np.ndarray]:
    tokens = vocab[word_ids]
    text = " ".join(tokens.tolist())
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    return text, starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=2_000)
    parser.add_argument("--edit-rate", type=float, default=0.02)
    parser.add_argument("--boilerplate", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--paraphrase", action="store_true", help="run with --paraphrase")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    vocab, words, truth, _ = generate(
        args.docs, args.planted, args.edit_rate, args.boilerplate, args.seed
    )
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"passages_{args.docs}.jsonl"
    texts, starts = [], []
    with open(path, "w", encoding="utf-8") as handle:
        for i, w in enumerate(words):
            text, offsets = char_offsets(vocab, w)
            texts.append(text)
            starts.append(offsets)
            handle.write(json.dumps({"id": f"d{i:06d}", "text": text}) + "\n")
    megabytes = path.stat().st_size / 1e6
    print(f"generated {args.docs} docs ({megabytes:.0f} MB) in {time.perf_counter() - started:.1f}s",
          file=sys.stderr)

    # reuse runs the way a user starts it, in its own process, so its time and peak RSS are its own.
    out = DATA / f"passages_{args.docs}_run"
    command = [str(Path(sys.executable).parent / "reuse"), "run", str(path), "--out", str(out),
               "--no-report", "--quiet", *(["--paraphrase"] if args.paraphrase else [])]
    done, seconds, peak_mb = run_measured(command)
    done.check_returncode()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counts, timings = manifest["counts"], manifest["timings"]

    # Truth in character offsets. A planted passage is found when one alignment covers at least
    # half of it in both documents; an alignment is correct when it overlaps a planted passage
    # or the boilerplate paragraph (which is real reuse too).
    alignments = pd.read_parquet(out / "alignments.parquet")
    index = {f"d{i:06d}": i for i in range(args.docs)}
    a_doc = alignments["a_id"].map(index).to_numpy()
    b_doc = alignments["b_id"].map(index).to_numpy()
    by_pair: dict[tuple[int, int], list[int]] = {}
    for k, (a, b) in enumerate(zip(a_doc.tolist(), b_doc.tolist(), strict=True)):
        by_pair.setdefault((a, b), []).append(k)
    a_start, a_end = alignments["a_start"].to_numpy(), alignments["a_end"].to_numpy()
    b_start, b_end = alignments["b_start"].to_numpy(), alignments["b_end"].to_numpy()
    used = np.zeros(len(alignments), dtype=bool)
    found = 0
    aligned_pairs = set(zip(a_doc.tolist(), b_doc.tolist(), strict=True))
    for src, s0, s1, dst, d0, d1 in truth:
        cs = (starts[src][s0], starts[src][s1 - 1] + len(vocab[words[src][s1 - 1]]))
        cd = (starts[dst][d0], starts[dst][d1 - 1] + len(vocab[words[dst][d1 - 1]]))
        a, b, ca, cb = (src, dst, cs, cd) if src < dst else (dst, src, cd, cs)
        hit = False
        for k in by_pair.get((a, b), []):
            over_a = min(a_end[k], ca[1]) - max(a_start[k], ca[0])
            over_b = min(b_end[k], cb[1]) - max(b_start[k], cb[0])
            if over_a > 0 and over_b > 0:
                used[k] = True
                if over_a >= 0.5 * (ca[1] - ca[0]) and over_b >= 0.5 * (cb[1] - cb[0]):
                    hit = True
        found += hit
    boiler_len = None
    for k in np.flatnonzero(~used):
        # The boilerplate paragraph sits at the end of its documents.
        la, lb = len(texts[a_doc[k]]), len(texts[b_doc[k]])
        if a_end[k] == la and b_end[k] == lb:
            used[k] = True
            boiler_len = boiler_len or (a_end[k] - a_start[k])
    recall = found / len(truth)
    candidate_recall = sum(
        (min(t[0], t[3]), max(t[0], t[3])) in aligned_pairs for t in truth
    ) / len(truth)
    precision = used.mean() if len(used) else 1.0
    pairs_per_doc = 2 * counts["passage_candidate_pairs"] / args.docs
    rows = [
        ("documents", f"{args.docs:,}"),
        ("input", f"{megabytes:.0f} MB"),
        ("planted passages (50-300 words, edit rate)", f"{len(truth)} ({args.edit_rate:.0%})"),
        ("boilerplate documents", f"{args.boilerplate}"),
        ("wall time, reuse run (no HTML)", f"{seconds:.1f} s"),
        ("throughput", f"{megabytes / seconds:.1f} MB/s, {args.docs / seconds:,.0f} docs/s"),
        ("peak RSS", f"{peak_mb:,.0f} MB"),
        ("alignment seeds", "lexical + paraphrase" if args.paraphrase else "lexical"),
        ("passage candidate pairs", f"{counts['passage_candidate_pairs']:,}"),
        ("candidate pairs per document", f"{pairs_per_doc:.2f}"),
        ("capped common windows", f"{counts['capped_fingerprints']:,}"),
        ("alignments", f"{len(alignments):,}"),
        ("planted passage recall", f"{recall:.4f}"),
        ("alignment precision", f"{precision:.4f}"),
        ("planted pairs with any alignment", f"{candidate_recall:.4f}"),
        ("stage seconds", ", ".join(f"{k} {v:.1f}" for k, v in timings.items())),
    ]
    table = "\n".join(["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows])
    print(table)
    if not args.no_write:
        header = (
            "# Passage reuse, end to end\n\n"
            f"Produced by `{' '.join(['python', 'benchmarks/bench_passages.py', *sys.argv[1:]])}` "
            f"on {datetime.now(UTC):%Y-%m-%d} ({platform.machine()}, Python "
            f"{platform.python_version()}, one process).\n\n"
        )
        (HERE / "results_passages.md").write_text(header + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    from reuse.engine.allocator import reusable_heap

    with reusable_heap():  # as the reuse command runs; the API leaves malloc alone
        main()
