"""dedup's stages in bounded memory and on every core: the tables are those of the in-memory
code they replaced (digests pinned from it), whatever the number of workers and the memory
budget."""

from __future__ import annotations

import hashlib
import json

import pytest
from near_dup_corpus import make_corpus

import reuse
from reuse.ingest import Corpus

# SHA-256 of the documents, near_duplicates and clusters tables (as CSV) and the counts, as the
# in-memory dedup of main (6ca90e0) computed them, before the stages spilled to disk.
PINNED = {
    "estimate-0.8": "5698988acf78c315d0e8319d1e928c742a9e4cc4c92bbad9cdb7423b5fa9aa20",
    "exact-0.8": "925dd3383728cf268f73c75c43ad099b212b5828c676c522448f30698c06516d",
    "exact-0.5-min20": "6593a906aaaf1afe019a159ea9debdf5ccee7dec19d5f05a2a100269feca998c",
    "estimate-0.3-ngram3": "a49a11133b980e96b412cf902f17820632f44b5a4ef8f3827e8cf6c72f5d83fe",
}
CASES = {
    "estimate-0.8": {"threshold": 0.8},
    "exact-0.8": {"threshold": 0.8, "verify": "exact"},
    "exact-0.5-min20": {"threshold": 0.5, "verify": "exact", "min_tokens": 20},
    "estimate-0.3-ngram3": {"threshold": 0.3, "ngram": 3, "num_perm": 64},
}
PINNED_SEEDS = {
    "exact": "13b4f398665ff1b09a0c7157fdf58b0e9e40d1e03df1eabd58a96354f9d25295",
    "estimate": "e7cac66b6a5cce649540702e7921de2208d92bd9536186d8ff487fcee8961726",
}


def planted_corpus() -> Corpus:
    """Planted near-duplicates, 1,100 copies of one text (a bucket larger than max_bucket,
    1,000, in every band), too-short documents, and dates on two thirds of the documents."""
    synthetic = make_corpus(n_docs=600, n_copies=150, seed=11)
    ids, texts = list(synthetic.ids), list(synthetic.texts)
    ids += [f"copy{k:04d}" for k in range(1100)]
    texts += [synthetic.texts[5]] * 1100
    ids += [f"short{k}" for k in range(20)]
    texts += ["a few words only"] * 20
    metadata = [{"date": str(1900 + (i * 37) % 120)} if i % 3 else {} for i in range(len(ids))]
    return Corpus(ids=ids, texts=texts, metadata=metadata, origins=list(ids),
                  input_format="jsonl")


def digest(result: reuse.DedupResult) -> str:
    sha = hashlib.sha256()
    for name in ("documents", "near_duplicates", "clusters"):
        sha.update(getattr(result, name).to_csv(index=False).encode())
    sha.update(json.dumps(result.counts, sort_keys=True).encode())
    return sha.hexdigest()


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return planted_corpus()


@pytest.mark.parametrize("case", sorted(CASES))
def test_tables_equal_the_in_memory_dedup(corpus, case):
    assert digest(reuse.dedup(corpus, **CASES[case], workers=1)) == PINNED[case]


@pytest.mark.parametrize("verify", ["exact", "estimate"])
def test_seed_tables_equal_the_in_memory_dedup(seeds_dir, verify):
    result = reuse.dedup(seeds_dir, threshold=0.5, verify=verify, workers=1)
    assert digest(result) == PINNED_SEEDS[verify]
