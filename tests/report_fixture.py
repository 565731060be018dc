"""A complete run folder (near-duplicates, alignments, passages) of the sample corpus, with
``source``/``date`` metadata and a hostile document, for the report tests."""

from __future__ import annotations

import json
import random
from pathlib import Path

from reuse import pipeline

XSS_ID = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
XSS_PREFIX = '<script>alert(1)</script> and "><img src=x onerror=alert(2)> say: '

SOURCES = ["wire", "daily", "daily", "weekly", "wire"]


def sample_jsonl(seeds_dir: Path, target: Path, *, with_xss: bool = True) -> Path:
    """The seeds as JSONL with ``source`` and ``date`` metadata, plus an XSS document."""
    records = []
    for k, path in enumerate(sorted(seeds_dir.glob("*.txt"))):
        records.append({"id": path.name, "text": path.read_text(encoding="utf-8"),
                        "source": SOURCES[k % len(SOURCES)], "date": f"2021-08-{20 + k:02d}"})
    if with_xss:
        # Reuses the opening of the first seed so that it has a pair page; its id, text and
        # metadata all hold markup that must be shown, not run.
        records.append({"id": XSS_ID, "text": XSS_PREFIX + records[0]["text"][:1200],
                        "source": "<b>blog</b>", "date": "2021-09-01"})
    with open(target, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


def build_run_folder(source: Path, out: Path, fmt: str = "parquet") -> Path:
    """``reuse run`` on ``source`` into ``out``, without the report."""
    result = pipeline.run(source, threshold=0.5)
    return pipeline.write_run(result, out, fmt=fmt, source=source, command="run")


def large_pair(chars: int, seed: int = 7) -> list[dict]:
    """Two documents of about ``chars`` characters each: 3,000-character passages shared with a
    word changed every 60 words, between 2,000-character stretches of their own."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9)))
             for _ in range(20000)]

    def words(n_chars: int) -> list[str]:
        return rng.choices(vocab, k=n_chars // 6)

    a, b = [], []
    while sum(map(len, a)) < chars:
        shared = words(3000)
        edited = [rng.choice(vocab) if i % 60 == 0 else w for i, w in enumerate(shared)]
        a += [" ".join(shared), " ".join(words(2000))]
        b += [" ".join(edited), " ".join(words(2000))]
    return [{"id": "big-a", "text": "\n\n".join(a)}, {"id": "big-b", "text": "\n\n".join(b)}]


def words(rng: random.Random, n: int, vocabulary: int = 5000) -> str:
    """``n`` made-up words from a seeded vocabulary, unrelated to any other call's."""
    return " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 8)))
                    for _ in range(n))


def chain_corpus(n_docs: int, seed: int = 11) -> list[dict]:
    """``n_docs`` documents, each sharing one paragraph with the next (so every document reuses
    and is reused), with ``source`` and ``date`` metadata: a corpus for the report at scale."""
    rng = random.Random(seed)
    shared = [words(rng, 40) for _ in range(n_docs - 1)]
    records = []
    for k in range(n_docs):
        parts = [words(rng, 30)]
        if k > 0:
            parts.append(shared[k - 1])
        parts.append(words(rng, 20))
        if k < n_docs - 1:
            parts.append(shared[k])
        records.append({"id": f"doc-{k:04d}", "text": ".\n\n".join(parts) + ".",
                        "source": SOURCES[k % len(SOURCES)],
                        "date": f"{2000 + k // 12}-{1 + k % 12:02d}-15"})
    return records


def multi_passage_pair(seed: int = 5) -> list[dict]:
    """Two documents sharing three separate paragraphs (the third with a word changed), far
    apart, with text of their own between them: a pair page with three passages."""
    rng = random.Random(seed)
    shared = [words(rng, 60) for _ in range(3)]
    edited = shared[2].split()
    edited[30] = "changed"
    own_a = [words(rng, 400) for _ in range(4)]
    own_b = [words(rng, 250) for _ in range(4)]
    a = [own_a[0], shared[0], own_a[1], shared[1], own_a[2], shared[2], own_a[3]]
    b = [own_b[0], own_b[1], shared[0], own_b[2], shared[1], " ".join(edited), own_b[3]]
    return [{"id": "left.txt", "text": ".\n\n".join(a) + ".", "date": "2020-05-01"},
            {"id": "right.txt", "text": ".\n\n".join(b) + ".", "date": "2021-05-01",
             "source": "=1+1"}]
