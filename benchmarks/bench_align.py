"""Passage alignment on planted pairs: speed and boundary accuracy, ours vs difflib and rapidfuzz.

    .venv/bin/python benchmarks/bench_align.py            # 1,000 pairs, writes results_align.md
    .venv/bin/python benchmarks/bench_align.py --pairs 200 --no-write

Each pair is two generated documents of 200-500 words drawn from a Zipf vocabulary (so common
words recur, as in real text), sharing one planted passage of 50-300 words. The copy gets ~2%
word edits (substitution, insertion or deletion, one third each) away from its first and last
word: an edited boundary word is not reused text, so no aligner could place that boundary.

Every method gets the same token hashes (tokenizing is a separate stage and is not timed):

* ``reuse lexical``: :func:`reuse.align.align_pair` with ``paraphrase=False``;
* ``reuse default``: :func:`reuse.align.align_pair` with the default config (adds the sentence
  TF-IDF seeds, which need the raw text);
* ``difflib``: ``SequenceMatcher(autojunk=False).get_matching_blocks()`` on the whole documents;
* ``rapidfuzz Indel``: ``Indel.opcodes`` on the whole documents.

difflib and rapidfuzz return matching blocks, not passages: their passage is the span from the
first to the last matching block of at least ``--min-block`` tokens (3, the aligner's n-gram), so
stray common words outside the passage do not count against them.

A passage is *exact* when its four token boundaries equal the planted ones, and *within ±2* when
each is at most 2 tokens off. A pair with no passage, or with more than one, counts as wrong.
"""

from __future__ import annotations

import argparse
import difflib
import os
import platform
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Indel

from reuse.align import AlignConfig, align_pair
from reuse.tokenize import Tokens, tokenize

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Pair:
    a_text: str
    b_text: str
    a_tokens: Tokens
    b_tokens: Tokens
    truth: tuple[int, int, int, int]  # planted token ranges a0, a1, b0, b1


def make_pairs(count: int, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    vocabulary = [f"w{k}" for k in range(20_000)]
    weights = 1.0 / np.arange(1, len(vocabulary) + 1) ** 1.1
    np_rng = np.random.default_rng(seed)

    def text(n: int) -> list[str]:
        return list(np_rng.choice(vocabulary, size=n, p=weights / weights.sum()))

    pairs = []
    for _ in range(count):
        passage = text(rng.randint(50, 300))
        copy = list(passage)
        for _ in range(max(1, round(0.02 * len(passage)))):
            k = rng.randrange(1, len(copy) - 1)
            kind = rng.choice(("substitute", "insert", "delete"))
            if kind == "substitute":
                copy[k] = f"s{rng.randrange(10**6)}"
            elif kind == "insert":
                copy.insert(k, f"i{rng.randrange(10**6)}")
            elif len(copy) > 3:
                del copy[k]
        a_pre, a_post = text(rng.randint(0, 200)), text(rng.randint(0, 200))
        b_pre, b_post = text(rng.randint(0, 200)), text(rng.randint(0, 200))
        a_words = a_pre + passage + a_post
        b_words = b_pre + copy + b_post
        a_text, b_text = " ".join(a_words), " ".join(b_words)
        # Words next to the passage that happen to be equal in both documents extend it: the
        # longest shared passage is the right answer.
        a0, a1, b0, b1 = len(a_pre), len(a_pre) + len(passage), len(b_pre), len(b_pre) + len(copy)
        while a0 and b0 and a_words[a0 - 1] == b_words[b0 - 1]:
            a0, b0 = a0 - 1, b0 - 1
        while a1 < len(a_words) and b1 < len(b_words) and a_words[a1] == b_words[b1]:
            a1, b1 = a1 + 1, b1 + 1
        truth = (a0, a1, b0, b1)
        pairs.append(Pair(a_text, b_text, tokenize(a_text), tokenize(b_text), truth))
    return pairs


def to_token_range(tokens: Tokens, start: int, end: int) -> tuple[int, int]:
    first = int(np.searchsorted(tokens.starts, start, "left"))
    last = int(np.searchsorted(tokens.ends, end, "left"))
    return first, last + 1


def run_reuse(pairs: list[Pair], config: AlignConfig) -> list[list[tuple[int, int, int, int]]]:
    out = []
    for p in pairs:
        found = align_pair(p.a_text, p.b_text, config, a_tokens=p.a_tokens, b_tokens=p.b_tokens)
        out.append([
            (*to_token_range(p.a_tokens, al.a_start, al.a_end),
             *to_token_range(p.b_tokens, al.b_start, al.b_end))
            for al in found
        ])
    return out


def blocks_to_passage(blocks: list[tuple[int, int, int]], min_block: int) -> list[tuple]:
    kept = [(i, j, n) for i, j, n in blocks if n >= min_block]
    if not kept:
        return []
    first, last = kept[0], kept[-1]
    return [(first[0], last[0] + last[2], first[1], last[1] + last[2])]


def run_difflib(pairs: list[Pair], min_block: int) -> list[list[tuple]]:
    out = []
    for p in pairs:
        matcher = difflib.SequenceMatcher(
            None, p.a_tokens.hashes.tolist(), p.b_tokens.hashes.tolist(), autojunk=False
        )
        blocks = [(m.a, m.b, m.size) for m in matcher.get_matching_blocks() if m.size]
        out.append(blocks_to_passage(blocks, min_block))
    return out


def run_indel(pairs: list[Pair], min_block: int) -> list[list[tuple]]:
    out = []
    for p in pairs:
        ops = Indel.opcodes(p.a_tokens.hashes.tolist(), p.b_tokens.hashes.tolist()).as_list()
        blocks = [(i1, j1, i2 - i1) for tag, i1, i2, j1, _ in ops if tag == "equal"]
        out.append(blocks_to_passage(blocks, min_block))
    return out


def accuracy(pairs: list[Pair], found: list[list[tuple]]) -> tuple[float, float]:
    exact = near = 0
    for p, passages in zip(pairs, found, strict=True):
        if len(passages) != 1:
            continue
        diffs = [abs(x - y) for x, y in zip(passages[0], p.truth, strict=True)]
        exact += max(diffs) == 0
        near += max(diffs) <= 2
    return exact / len(pairs), near / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-block", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    pairs = make_pairs(args.pairs, args.seed)
    methods = {
        "reuse lexical (align_pair, paraphrase=False)": lambda: run_reuse(
            pairs, AlignConfig(paraphrase=False)
        ),
        "reuse default (align_pair)": lambda: run_reuse(pairs, AlignConfig()),
        "difflib SequenceMatcher": lambda: run_difflib(pairs, args.min_block),
        "rapidfuzz Indel.opcodes": lambda: run_indel(pairs, args.min_block),
    }
    run_reuse(pairs[:20], AlignConfig())  # warm caches (stop-word hashes, imports)
    rows = []
    for name, run in methods.items():
        start = time.perf_counter()
        found = run()
        seconds = time.perf_counter() - start
        exact, near = accuracy(pairs, found)
        rows.append((name, len(pairs) / seconds, exact, near))
        print(f"{name:48s} {len(pairs) / seconds:9.0f} pairs/s  exact {exact:6.1%}  "
              f"±2 words {near:6.1%}")
    if args.no_write:
        return
    words = [len(p.a_tokens) + len(p.b_tokens) for p in pairs]
    lines = [
        "# Passage alignment on planted pairs",
        "",
        "Command: `.venv/bin/python benchmarks/bench_align.py` "
        f"(--pairs {args.pairs} --seed {args.seed} --min-block {args.min_block})",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, one "
        "process; the machine was shared with other benchmarks, so speeds vary by ~±20%.",
        f"{len(pairs)} pairs, {np.mean(words) / 2:.0f} tokens per document on average, one "
        "planted passage of 50-300 words with ~2% word edits per pair (see the script's "
        "docstring). Tokenizing is not timed.",
        "",
        "| method | pairs/s | exact boundaries | within ±2 words |",
        "|---|---|---|---|",
    ]
    for name, speed, exact, near in rows:
        lines.append(f"| {name} | {speed:,.0f} | {exact:.1%} | {near:.1%} |")
    lines += [
        "",
        "Target: 20k pairs/s with exact boundaries on >= 99%. **Not reached.** The aligner",
        "costs ~0.4 ms per pair whatever the document size: a few dozen numpy calls (hash join,",
        "diagonal runs, chaining) plus small Python loops per passage (boundary extension, edit",
        "script), each call a few microseconds. 20k pairs/s would need a batched aligner that",
        "joins the seeds of many pairs in one numpy pass, or a compiled core. The paraphrase",
        "seeds (sentence TF-IDF with scipy.sparse) cost another ~1 ms per pair.",
        "",
        "Boundaries that are not exact are edits right next to a passage end followed only by",
        "common words: crossing such an edit would be a guess, and the extension declines it",
        "(it crosses an edit when a word occurring once in the document, or two words, match",
        "after it). difflib and Indel align whole documents; their passage here runs from the",
        "first to the last common block of >= 3 tokens, so a stray shared phrase outside the",
        "passage widens it, which is why they score low on exactness.",
    ]
    (ROOT / "benchmarks" / "results_align.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
