"""The documents' encoding for the store (``reuse.ingest.store.encode_documents``: the UTF-8
of the ids, texts and origins, and each document's SHA-256 for the input fingerprint) with the
compiled digests (``reuse.ingest.compiled_digests``) against the Python code, in one process.

The documents are the 100k corpus of ``generate_text_corpus.py`` (made if missing), parsed
once with msgspec, then encoded in batches of 400 documents (a reading part's worth), without
the texts (what ``dedup`` stores) and with them (``run``). Each way runs ``--repeat`` times,
alternated; the best CPU time of each. The outputs are checked equal, field by field.

    .venv/bin/python benchmarks/bench_frames.py --repeat 5

Writes ``benchmarks/results_frames.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results_frames.md"
DOCS = 100_000
BATCH = 400

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from bench_dedup_process import git_revision  # noqa: E402
from generate_text_corpus import generate  # noqa: E402

from reuse.common import compiled  # noqa: E402
from reuse.ingest.store import encode_documents  # noqa: E402


def encode_all(columns: tuple[list, ...], keep_texts: bool) -> list:
    ids, texts, metadata, origins = columns
    return [encode_documents(ids[lo:lo + BATCH], texts[lo:lo + BATCH], metadata[lo:lo + BATCH],
                             origins[lo:lo + BATCH], keep_texts=keep_texts)
            for lo in range(0, len(ids), BATCH)]


def cpu_seconds(columns: tuple[list, ...], keep_texts: bool, use_compiled: bool) -> float:
    compiled.ENABLED = use_compiled
    try:
        start = time.process_time()
        encode_all(columns, keep_texts)
        return time.process_time() - start
    finally:
        compiled.ENABLED = True


def same(a: list, b: list) -> bool:
    def fields(encoded: object) -> list:
        return [value.tolist() if isinstance(value, np.ndarray) else value
                for value in dataclasses.astuple(encoded)]
    return len(a) == len(b) and all(fields(x) == fields(y) for x, y in zip(a, b, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    corpus = generate(DOCS)
    with open(corpus, "rb") as handle:
        records = msgspec.json.Decoder().decode_lines(handle.read())
    columns = ([r["id"] for r in records], [r["text"] for r in records], [{}] * len(records),
               [f"{corpus.name}:{n}" for n in range(1, len(records) + 1)])
    characters = sum(map(len, columns[1]))
    lines = ["| texts kept | compiled CPU s | Python CPU s | speed-up |", "|---|---:|---:|---:|"]
    for keep_texts in (False, True):
        compiled.ENABLED = False
        expected = encode_all(columns, keep_texts)
        compiled.ENABLED = True
        if not same(encode_all(columns, keep_texts), expected):
            raise SystemExit(f"keep_texts={keep_texts}: the two ways differ")
        del expected
        best = {True: float("inf"), False: float("inf")}
        for _ in range(args.repeat):
            for way in (True, False):
                best[way] = min(best[way], cpu_seconds(columns, keep_texts, way))
        lines.append(f"| {'yes (run)' if keep_texts else 'no (dedup)'} | {best[True]:.3f} | "
                     f"{best[False]:.3f} | {best[False] / best[True]:.2f}x |")
        print(lines[-1], flush=True)
    text = "\n".join([
        "# The documents' encoding for the store, compiled digests against Python",
        "",
        f"Written by `python benchmarks/bench_frames.py --repeat {args.repeat}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC at `{git_revision(ROOT)}`, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        f"`encode_documents` of the {len(records):,} documents ({characters:,} characters) of "
        f"`generate_text_corpus.py --docs {DOCS}`, in batches of {BATCH}, in one process: the "
        f"best CPU time of {args.repeat} alternated runs each way. The outputs are equal. Both "
        "ways include what the compiled pass leaves to Python: "
        "the ids and origins.",
        "",
        *lines,
        "",
    ])
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
