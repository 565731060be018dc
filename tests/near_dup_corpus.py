"""A seeded synthetic corpus with planted near-duplicates, shared by the dedup tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EDIT_RATES = (0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.4)


@dataclass(frozen=True)
class SyntheticCorpus:
    ids: list[str]
    texts: list[str]
    planted: list[tuple[int, int, float]]  # (original, edited copy, edit rate)


def _vocabulary(rng: np.random.Generator, size: int) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzéöß"))
    words = set()
    while len(words) < size:
        length = int(rng.integers(2, 10))
        words.add("".join(rng.choice(letters, size=length)))
    return sorted(words)


def _edit(words: list[str], rate: float, vocabulary: list[str], rng: np.random.Generator):
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            continue  # deletion
        if roll < 2 * rate / 3:
            out.append(vocabulary[int(rng.integers(len(vocabulary)))])  # substitution
            continue
        out.append(word)
        if roll < rate:
            out.append(vocabulary[int(rng.integers(len(vocabulary)))])  # insertion
    return out


def make_corpus(n_docs: int = 300, n_copies: int = 60, seed: int = 7) -> SyntheticCorpus:
    """``n_docs - n_copies`` independent documents, then ``n_copies`` edited copies of some of
    them, with edit rates cycling through :data:`EDIT_RATES`."""
    rng = np.random.default_rng(seed)
    vocabulary = _vocabulary(rng, 3000)
    weights = 1.0 / np.arange(1, len(vocabulary) + 1) ** 0.8
    weights /= weights.sum()
    n_original = n_docs - n_copies
    documents: list[list[str]] = []
    for _ in range(n_original):
        length = int(rng.integers(60, 160))
        documents.append([vocabulary[k] for k in rng.choice(len(vocabulary), length, p=weights)])
    planted = []
    sources = rng.choice(n_original, size=n_copies, replace=False)
    for k, source in enumerate(sources.tolist()):
        rate = EDIT_RATES[k % len(EDIT_RATES)]
        documents.append(_edit(documents[source], rate, vocabulary, rng))
        planted.append((source, n_original + k, rate))
    texts = []
    for words in documents:
        sentences = [" ".join(words[i : i + 12]).capitalize() + "." for i in range(0, len(words), 12)]
        texts.append(" ".join(sentences))
    ids = [f"doc{i:04d}" for i in range(n_docs)]
    return SyntheticCorpus(ids, texts, planted)
