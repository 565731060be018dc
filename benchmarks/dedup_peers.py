"""The peers of ``reuse dedup`` as a user would run them: one small program per library.

    python benchmarks/dedup_peers.py {datasketch,rensa,gaoya} IN.jsonl OUT.tsv [--threshold T]

Each reads the JSONL (``id`` and ``text`` per line), sketches every document with 128-value
MinHash over word 5-gram shingles, finds candidates with the library's LSH index at the
threshold, keeps the candidates whose MinHash estimate reaches it, and writes the pairs
(``a_id<TAB>b_id``, sorted) to OUT. Nothing but the library and the standard library is
imported, so a cold start costs what the library costs.

Shingles: datasketch and rensa get the words of ``re.findall(r"\\w+", text.lower())`` (a
Unicode-aware word tokenizer, as reuse's is), joined five at a time by a space (rensa takes the
strings, the fastest way we found to feed it; datasketch hashes bytes, so they are encoded as
UTF-8); gaoya tokenizes in Rust
(``analyzer="word"``, ``lowercase=True``, ``ngram_range=(5, 5)``). Band counts: datasketch
chooses its own; rensa and gaoya get the band count among the divisors of 128 that minimises
datasketch's error (equal weights), as their APIs need one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

NUM_PERM = 128
NGRAM = 5
SEED = 1
CHUNK = 1000  # documents shingled at a time: only one chunk's shingle objects are alive
WORD = re.compile(r"\w+")


def read_jsonl(path: str) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    with open(path, "rb") as handle:
        for line in handle:
            record = json.loads(line)
            ids.append(record["id"])
            texts.append(record["text"])
    return ids, texts


def shingles(text: str) -> list[str]:
    words = WORD.findall(text.lower())
    return list(map(" ".join, zip(*(words[k:] for k in range(NGRAM)), strict=False)))


def byte_shingles(text: str) -> list[bytes]:
    return [shingle.encode("utf-8") for shingle in shingles(text)]


def band_count(threshold: float, num_perm: int = NUM_PERM) -> int:
    """The divisor of ``num_perm`` minimising datasketch's weighted false positive and negative
    areas (midpoint rule on 2,000 steps, ample for a choice among eight band counts)."""
    steps = 2000

    def area(function, low: float, high: float) -> float:
        width = (high - low) / steps
        return sum(function(low + (k + 0.5) * width) for k in range(steps)) * width

    best, best_error = 1, float("inf")
    for bands in (b for b in range(1, num_perm + 1) if num_perm % b == 0):
        rows = num_perm // bands
        false_positive = area(lambda s, b=bands, r=rows: 1 - (1 - s**r) ** b, 0.0, threshold)
        false_negative = area(lambda s, b=bands, r=rows: (1 - s**r) ** b, threshold, 1.0)
        if 0.5 * false_positive + 0.5 * false_negative < best_error:
            best, best_error = bands, 0.5 * false_positive + 0.5 * false_negative
    return best


def run_datasketch(ids: list[str], texts: list[str], threshold: float) -> list[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    sketches = []
    for lo in range(0, len(texts), CHUNK):
        sketches.extend(MinHash.bulk([byte_shingles(t) for t in texts[lo:lo + CHUNK]],
                                     num_perm=NUM_PERM, seed=SEED))
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, sketch in enumerate(sketches):
            session.insert(i, sketch, check_duplication=False)
    pairs = []
    for i, sketch in enumerate(sketches):
        for j in lsh.query(sketch):
            if j > i and sketch.jaccard(sketches[j]) >= threshold:
                pairs.append((i, j))
    return pairs


def run_rensa(ids: list[str], texts: list[str], threshold: float) -> list[tuple[int, int]]:
    import rensa

    sketches = []
    for lo in range(0, len(texts), CHUNK):
        sketches.extend(rensa.RMinHash.from_token_sets(
            [shingles(t) for t in texts[lo:lo + CHUNK]], NUM_PERM, SEED))
    lsh = rensa.RMinHashLSH(threshold, NUM_PERM, band_count(threshold))
    lsh.insert_many(sketches)
    pairs = []
    for i, found in enumerate(lsh.query_all(sketches)):
        for j in found:
            if j > i and sketches[i].jaccard(sketches[j]) >= threshold:
                pairs.append((i, j))
    return pairs


def run_gaoya(ids: list[str], texts: list[str], threshold: float) -> list[tuple[int, int]]:
    from gaoya.minhash import MinHashStringIndex

    bands = band_count(threshold)
    index = MinHashStringIndex(
        hash_size=32, jaccard_threshold=threshold, num_bands=bands, band_size=NUM_PERM // bands,
        analyzer="word", lowercase=True, ngram_range=(NGRAM, NGRAM), id_container="vec")
    index.par_bulk_insert_docs(list(range(len(texts))), texts)
    pairs = []
    for lo in range(0, len(texts), CHUNK):
        found = index.par_bulk_query(texts[lo:lo + CHUNK])
        for offset, matches in enumerate(found):
            i = lo + offset
            pairs.extend((i, j) for j in matches if j > i)
    return pairs


RUNNERS = {"datasketch": run_datasketch, "rensa": run_rensa, "gaoya": run_gaoya}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tool", choices=sorted(RUNNERS))
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    ids, texts = read_jsonl(args.input)
    pairs = RUNNERS[args.tool](ids, texts, args.threshold)
    rows = sorted(tuple(sorted((ids[i], ids[j]))) for i, j in pairs)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.writelines(f"{a}\t{b}\n" for a, b in rows)
    print(json.dumps({"pairs": len(rows)}), file=sys.stderr)


if __name__ == "__main__":
    main()
