"""Profile ``reuse.pipeline.dedup`` on a benchmark corpus: stage timings and the hottest calls.

    .venv/bin/python benchmarks/profile_dedup.py --docs 100000            # cProfile, top 25
    .venv/bin/python benchmarks/profile_dedup.py --docs 100000 --no-profile   # timings only

Prints ``DedupResult.timings`` (the manifest's stage timings), then a split of the ``sketch``
stage into tokenize / shingle / MinHash measured on the same batches the pipeline uses, then
(unless ``--no-profile``) the cProfile functions sorted by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sketch_split(texts: list[str], ngram: int = 5, num_perm: int = 128) -> dict[str, float]:
    """Seconds spent in tokenize, shingle and MinHash over the pipeline's batches."""
    from reuse.pipeline import batches
    from reuse.sketch.minhash import MinHasher
    from reuse.text.shingle import shingle_batch
    from reuse.text.tokenize import tokenize_batch

    hasher = MinHasher(num_perm, 1)
    spent = {"tokenize": 0.0, "shingle": 0.0, "minhash": 0.0}
    for lo, hi in batches(texts):
        t0 = time.perf_counter()
        tokens = tokenize_batch(texts[lo:hi])
        t1 = time.perf_counter()
        shingles, bounds = shingle_batch(tokens, ngram)
        t2 = time.perf_counter()
        hasher.signatures(shingles, bounds)
        t3 = time.perf_counter()
        spent["tokenize"] += t1 - t0
        spent["shingle"] += t2 - t1
        spent["minhash"] += t3 - t2
    return {k: round(v, 3) for k, v in spent.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--verify", choices=("estimate", "exact"), default="exact")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    from generate_corpus import ensure_corpus

    from reuse.ingest import read_corpus
    from reuse.pipeline import dedup

    corpus_path, _ = ensure_corpus(args.docs)
    size = corpus_path.stat().st_size
    profiler = None if args.no_profile else cProfile.Profile()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = dedup(corpus_path, threshold=0.8, verify=args.verify)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - start
    print(f"dedup({corpus_path.name}, verify={args.verify!r}): {wall:.2f} s, "
          f"{size / wall / 1e6:.1f} MB/s (file bytes){' under cProfile' if profiler else ''}")
    print("timings:", dict(result.timings))
    print("counts:", result.counts)

    texts = read_corpus(corpus_path).texts
    print("sketch split (separate run, no profiler):", sketch_split(texts))

    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    from reuse.engine.allocator import reusable_heap

    with reusable_heap():  # as the reuse command runs; the API leaves malloc alone
        main()
