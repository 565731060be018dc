"""A seeded synthetic corpus with planted near-duplicate groups, for the dedup benchmarks.

Each document is 300–500 words (about 400, ~2.6 KB) drawn from a Zipfian vocabulary of made-up
lowercase words (3–8 letters a–z, so ~6.5 bytes per word with its space). With a vocabulary of
200k words, two unrelated documents share almost no word 5-gram.

About ``duplicate_share`` of the documents sit in planted groups: a base document and 1–4
copies of it, each copy with its own word-edit rate drawn from ``edit_rates``. An edit at rate
``r`` deletes a word with probability ``r/3``, substitutes it with ``r/3``, or inserts a random
word after it with ``r/3``. Documents are shuffled, so group members are spread over the file.

The ground truth lists every pair inside a group (base–copy and copy–copy) with the exact
Jaccard of the two documents' sets of word 5-gram shingles, computed on word ids. For this text
(lowercase a–z words separated by single spaces) the words of ``text.split()`` are exactly the
tokens of :func:`reuse.text.tokenize.tokenize`; :func:`check_against_reuse` verifies that, and the
truth Jaccard values against reuse's own shingle hashes, on a sample.

    .venv/bin/python benchmarks/generate_corpus.py --docs 100000
    # writes benchmarks/data/dedup_100000.jsonl and benchmarks/data/dedup_100000_truth.csv

From Python: ``ensure_corpus(100_000)`` returns the paths, generating the files if missing.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

EDIT_RATES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
_RENDER_CHUNK_TOKENS = 4_000_000


class CorpusCheckError(RuntimeError):
    """The generated corpus does not mean what the benchmark assumes it means."""


@dataclass(frozen=True)
class CorpusSpec:
    """Everything that determines the corpus; the same spec gives byte-identical files."""

    n_docs: int
    seed: int = 0
    vocab_size: int = 200_000
    zipf_exponent: float = 1.0
    min_words: int = 300
    max_words: int = 500
    duplicate_share: float = 0.1
    max_copies: int = 4
    ngram: int = 5
    edit_rates: tuple[float, ...] = EDIT_RATES

    def stem(self) -> str:
        return f"dedup_{self.n_docs}" + ("" if self.seed == 0 else f"_seed{self.seed}")


@dataclass
class Corpus:
    """Word-id documents (``words[bounds[d]:bounds[d + 1]]``) and the planted truth."""

    spec: CorpusSpec
    vocabulary: list[str]
    words: np.ndarray  # int32 word ids, all documents in output order
    bounds: np.ndarray  # int64, len n_docs + 1
    truth: list[tuple[int, int, float, float, float, int]]  # (a, b, jaccard, a_rate, b_rate, group)

    def ids(self) -> list[str]:
        return [f"doc{d:07d}" for d in range(self.spec.n_docs)]

    def texts(self) -> list[str]:
        return render(self.vocabulary, self.words, self.bounds)


def make_vocabulary(rng: np.random.Generator, size: int) -> list[str]:
    """``size`` distinct made-up lowercase words of 3–8 letters, in random (rank) order."""
    draw = int(size * 1.2) + 1000
    letters = rng.integers(ord("a"), ord("z") + 1, size=(draw, 8), dtype=np.uint8)
    lengths = rng.integers(3, 9, size=draw)
    letters[np.arange(8)[None, :] >= lengths[:, None]] = 0
    unique = np.unique(letters.view("S8").ravel())
    if len(unique) < size:
        raise CorpusCheckError(f"only {len(unique)} distinct words drawn for a vocabulary of {size}")
    chosen = unique[rng.permutation(len(unique))[:size]]
    return [w.decode("ascii") for w in chosen.tolist()]


_GUIDE_BUCKETS = 1 << 22


@functools.cache
def _zipf_tables(vocab_size: int, exponent: float) -> tuple[np.ndarray, np.ndarray]:
    """The CDF over ranks and a guide table: the first id whose CDF exceeds ``g / buckets``."""
    cdf = np.cumsum(1.0 / np.arange(1, vocab_size + 1, dtype=np.float64) ** exponent)
    cdf /= cdf[-1]
    cdf[-1] = np.inf  # so that the fix-up loop below always stops at the last id
    guide = np.searchsorted(cdf, np.arange(_GUIDE_BUCKETS) / _GUIDE_BUCKETS, side="right")
    return cdf, guide


def zipf_sample(rng: np.random.Generator, vocab_size: int, exponent: float, count: int) -> np.ndarray:
    """``count`` word ids with ``P(rank k) ∝ 1 / k**exponent`` (id = rank - 1).

    Inverse-CDF sampling: the guide table gives a start at most a few ids below the answer,
    which a few vectorized steps reach (a plain searchsorted over 40M draws is cache-bound).
    """
    cdf, guide = _zipf_tables(vocab_size, exponent)
    uniform = rng.random(count)
    out = guide[(uniform * _GUIDE_BUCKETS).astype(np.int64)]
    behind = np.flatnonzero(cdf[out] <= uniform)
    while len(behind):
        out[behind] += 1
        behind = behind[cdf[out[behind]] <= uniform[behind]]
    return out.astype(np.int32)


def edit_words(
    rng: np.random.Generator, words: np.ndarray, rate: float, spec: CorpusSpec
) -> np.ndarray:
    """A copy of ``words`` with deletions, substitutions and insertions at ``rate`` (thirds each)."""
    roll = rng.random(len(words))
    deleted = roll < rate / 3
    substituted = (roll >= rate / 3) & (roll < 2 * rate / 3)
    inserted = (roll >= 2 * rate / 3) & (roll < rate)
    out = words.copy()
    out[substituted] = zipf_sample(rng, spec.vocab_size, spec.zipf_exponent, int(substituted.sum()))
    # Each kept word is followed by its insertion, if any: interleave, then drop the deletions.
    extra = np.full(len(words), -1, dtype=np.int32)
    extra[inserted] = zipf_sample(rng, spec.vocab_size, spec.zipf_exponent, int(inserted.sum()))
    pairs = np.stack((np.where(deleted, -1, out), extra), axis=1).ravel()
    return pairs[pairs >= 0]


def shingle_jaccard(group_docs: list[np.ndarray], ngram: int) -> np.ndarray:
    """Exact Jaccard of the word-``ngram`` sets of every pair of documents in one group.

    Returns a ``(k, k)`` matrix. Shingles are compared as exact word-id tuples.
    """
    rows = [np.lib.stride_tricks.sliding_window_view(doc, ngram) for doc in group_docs]
    counts = [len(r) for r in rows]
    _, codes = np.unique(np.concatenate(rows), axis=0, return_inverse=True)
    codes = codes.ravel()
    sets, start = [], 0
    for count in counts:
        sets.append(np.unique(codes[start : start + count]))
        start += count
    k = len(sets)
    out = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            shared = len(np.intersect1d(sets[i], sets[j], assume_unique=True))
            union = len(sets[i]) + len(sets[j]) - shared
            out[i, j] = out[j, i] = shared / union if union else 1.0
    return out


def generate(spec: CorpusSpec) -> Corpus:
    """Build the corpus in memory (word ids) with its truth; deterministic in ``spec``."""
    rng = np.random.default_rng(spec.seed)
    vocabulary = make_vocabulary(rng, spec.vocab_size)

    # Plan the groups: a base plus 1..max_copies copies, until duplicate_share of the corpus.
    planned = int(spec.n_docs * spec.duplicate_share)
    group_sizes: list[int] = []
    while sum(group_sizes) < planned:
        group_sizes.append(1 + int(rng.integers(1, spec.max_copies + 1)))
    if group_sizes and sum(group_sizes) > planned:
        group_sizes[-1] -= sum(group_sizes) - planned
        if group_sizes[-1] < 2:
            group_sizes.pop()
    n_bases = spec.n_docs - sum(group_sizes) + len(group_sizes)

    lengths = rng.integers(spec.min_words, spec.max_words + 1, size=n_bases)
    base_bounds = np.zeros(n_bases + 1, dtype=np.int64)
    np.cumsum(lengths, out=base_bounds[1:])
    base_words = zipf_sample(rng, spec.vocab_size, spec.zipf_exponent, int(base_bounds[-1]))

    # Documents in generation order: every base (the first len(group_sizes) bases own a group),
    # then the copies. `docs` holds the copies' word arrays; bases are slices of base_words.
    copies: list[np.ndarray] = []
    members: list[list[tuple[int, float]]] = []  # per group: (generation index, edit rate)
    for g, size in enumerate(group_sizes):
        base = base_words[base_bounds[g] : base_bounds[g + 1]]
        group = [(g, -1.0)]
        for _ in range(size - 1):
            rate = float(spec.edit_rates[int(rng.integers(len(spec.edit_rates)))])
            copies.append(edit_words(rng, base, rate, spec))
            group.append((n_bases + len(copies) - 1, rate))
        members.append(group)

    # Shuffle into output order: position[generation index] = output index.
    position = rng.permutation(spec.n_docs)
    order = np.argsort(position)  # generation index of each output slot
    gen_lengths = np.concatenate((lengths, [len(c) for c in copies])).astype(np.int64)
    bounds = np.zeros(spec.n_docs + 1, dtype=np.int64)
    np.cumsum(gen_lengths[order], out=bounds[1:])
    words = np.empty(int(bounds[-1]), dtype=np.int32)
    base_slots = position[:n_bases]
    # Bases: one vectorized scatter; copies: one slice each (they are ~duplicate_share of docs).
    starts_out = bounds[base_slots]
    idx = np.repeat(starts_out - base_bounds[:-1], lengths) + np.arange(int(base_bounds[-1]))
    words[idx] = base_words
    for k, copy in enumerate(copies):
        slot = position[n_bases + k]
        words[bounds[slot] : bounds[slot + 1]] = copy

    truth = []
    for g, group in enumerate(members):
        docs = [words[bounds[position[i]] : bounds[position[i] + 1]] for i, _ in group]
        jaccard = shingle_jaccard(docs, spec.ngram)
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                a, b = int(position[group[i][0]]), int(position[group[j][0]])
                rate_a, rate_b = group[i][1], group[j][1]
                if a > b:
                    a, b, rate_a, rate_b = b, a, rate_b, rate_a
                truth.append((a, b, float(jaccard[i, j]), rate_a, rate_b, g))
    truth.sort()
    return Corpus(spec, vocabulary, words, bounds, truth)


def render(vocabulary: list[str], words: np.ndarray, bounds: np.ndarray) -> list[str]:
    """Documents as text: words joined by single spaces, gathered with numpy in chunks."""
    encoded = [w.encode("ascii") + b" " for w in vocabulary]
    word_len = np.array([len(w) for w in encoded], dtype=np.int64)
    word_start = np.zeros(len(encoded), dtype=np.int64)
    np.cumsum(word_len[:-1], out=word_start[1:])
    flat = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    texts: list[str] = []
    n_docs = len(bounds) - 1
    doc = 0
    while doc < n_docs:
        last = int(np.searchsorted(bounds, bounds[doc] + _RENDER_CHUNK_TOKENS, side="right")) - 1
        last = min(max(last, doc + 1), n_docs)
        chunk = words[bounds[doc] : bounds[last]]
        lens = word_len[chunk]
        byte_ends = np.cumsum(lens)
        offsets = np.arange(int(byte_ends[-1]) if len(chunk) else 0) - np.repeat(byte_ends - lens, lens)
        data = flat[np.repeat(word_start[chunk], lens) + offsets].tobytes()
        ends = np.concatenate(([0], byte_ends))[bounds[doc + 1 : last + 1] - bounds[doc]]
        start = 0
        for end in ends.tolist():
            texts.append(data[start : end - 1].decode("ascii") if end > start else "")
            start = end
        doc = last
    return texts


def check_against_reuse(corpus: Corpus, texts: list[str], sample: int = 200) -> None:
    """Raise :class:`CorpusCheckError` unless, on a sample, ``text.split()`` gives reuse's
    tokens and the truth Jaccard equals the Jaccard of reuse's shingle-hash sets."""
    from reuse.text.shingle import shingle_batch
    from reuse.text.tokenize import tokenize_batch

    rng = np.random.default_rng(12345)
    picked = rng.choice(len(texts), size=min(sample, len(texts)), replace=False)
    batch = tokenize_batch([texts[d] for d in picked])
    for k, d in enumerate(picked.tolist()):
        doc = batch.doc(k)
        reuse_words = [texts[d][s:e] for s, e in zip(doc.starts.tolist(), doc.ends.tolist(), strict=True)]
        if reuse_words != texts[d].lower().split():
            raise CorpusCheckError(f"document {d}: reuse.text.tokenize disagrees with str.split()")

    truth = corpus.truth
    chosen = [truth[i] for i in rng.choice(len(truth), size=min(sample, len(truth)), replace=False)]
    involved = sorted({d for row in chosen for d in row[:2]})
    batch = tokenize_batch([texts[d] for d in involved])
    shingles, bounds = shingle_batch(batch, corpus.spec.ngram)
    sets = {d: set(shingles[bounds[k] : bounds[k + 1]].tolist()) for k, d in enumerate(involved)}
    for a, b, jaccard, *_ in chosen:
        shared = len(sets[a] & sets[b])
        reuse_jaccard = shared / (len(sets[a]) + len(sets[b]) - shared)
        if abs(reuse_jaccard - jaccard) > 1e-12:
            raise CorpusCheckError(
                f"pair ({a}, {b}): truth Jaccard {jaccard} but reuse's shingles give {reuse_jaccard}"
            )


def paths_for(spec: CorpusSpec, folder: Path = DATA) -> tuple[Path, Path, Path]:
    stem = spec.stem()
    return folder / f"{stem}.jsonl", folder / f"{stem}_truth.csv", folder / f"{stem}_spec.json"


def write(corpus: Corpus, texts: list[str], folder: Path = DATA) -> tuple[Path, Path]:
    """Write ``<stem>.jsonl`` (id, text), ``<stem>_truth.csv`` and ``<stem>_spec.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus_path, truth_path, spec_path = paths_for(corpus.spec, folder)
    with open(corpus_path, "w", encoding="utf-8") as handle:
        for doc_id, text in zip(corpus.ids(), texts, strict=True):
            handle.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    ids = corpus.ids()
    with open(truth_path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["a_id", "b_id", "jaccard", "a_edit_rate", "b_edit_rate", "group"])
        for a, b, jaccard, rate_a, rate_b, group in corpus.truth:
            out.writerow([ids[a], ids[b], repr(jaccard), rate_a, rate_b, group])
    # Written last: its presence means the other two files are complete.
    spec_path.write_text(json.dumps(asdict(corpus.spec), indent=1) + "\n", encoding="utf-8")
    return corpus_path, truth_path


def ensure_corpus(n_docs: int, seed: int = 0, folder: Path = DATA, quiet: bool = False) -> tuple[Path, Path]:
    """Paths of the corpus and truth files for ``n_docs``, generated (and checked) if missing."""
    spec = CorpusSpec(n_docs=n_docs, seed=seed)
    corpus_path, truth_path, spec_path = paths_for(spec, folder)
    if spec_path.exists() and corpus_path.exists() and truth_path.exists():
        stored = json.loads(spec_path.read_text(encoding="utf-8"))
        if stored == json.loads(json.dumps(asdict(spec))):
            return corpus_path, truth_path
    start = time.perf_counter()
    corpus = generate(spec)
    texts = corpus.texts()
    generated = time.perf_counter() - start
    check_against_reuse(corpus, texts)
    write(corpus, texts, folder)
    if not quiet:
        size = corpus_path.stat().st_size
        print(
            f"generated {n_docs} docs ({size / 1e6:.1f} MB, {len(corpus.truth)} planted pairs) "
            f"in {generated:.1f} s, written in {time.perf_counter() - start - generated:.1f} s "
            f"-> {corpus_path}",
            file=sys.stderr,
        )
    return corpus_path, truth_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DATA, help="output folder (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="regenerate even if the files exist")
    args = parser.parse_args(argv)
    for n_docs in args.docs:
        if args.force:
            for path in paths_for(CorpusSpec(n_docs=n_docs, seed=args.seed), args.out):
                path.unlink(missing_ok=True)
        ensure_corpus(n_docs, args.seed, args.out)


if __name__ == "__main__":
    main()
