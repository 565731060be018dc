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
