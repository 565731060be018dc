"""Paraphrase seeds of long documents: the sentence similarities computed by blocks of rows in
bounded memory, bit-identical to the whole product; pairs repeating the same lines capped; the
passage bookkeeping that ran in time quadratic in the passages."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import resource
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.sparse import csr_matrix

import reuse.align.paraphrase
from reuse.align.aligner import align_pair, align_token_batch
from reuse.align.config import AlignConfig
from reuse.align.paraphrase import (
    _a_hits,
    _a_overlap,
    _a_union,
    _Cluster,
    _most_similar_in_a,
    sentence_model,
    sentence_models,
    split_sentences,
)
from reuse.cli.commands import main
from reuse.report.summary import count_rows
from reuse.runfolder.tables import read_manifest
from reuse.text.tokenize import tokenize_batch

ROOT = Path(__file__).resolve().parent.parent
CONFIG = AlignConfig()
# Looser thresholds than the defaults, in another order (grow above the seed thresholds, a Dice
# threshold of zero), so that each of the three tests of _passes decides some pairs.
LOOSE = AlignConfig(sentence_cosine=0.1, sentence_dice=0.0, grow_similarity=0.3,
                    summary_similarity=0.15)


def _texts(seed: int) -> list[str]:
    """Short documents over a small vocabulary, so that most sentence pairs share a term, with
    reworded copies of one another's sentences, one document of stop words, one empty."""
    rng = random.Random(seed)
    vocabulary = [f"word{k}x" for k in range(rng.randrange(8, 40))]
    stop = ["the", "of", "and", "a", "to", "in"]

    def sentence() -> str:
        words = [rng.choice(vocabulary) for _ in range(rng.randrange(1, 12))]
        words += rng.sample(stop, rng.randrange(3))
        rng.shuffle(words)
        return " ".join(words).capitalize() + rng.choice(".!?;")

    docs = [[sentence() for _ in range(rng.randrange(1, 30))] for _ in range(5)]
    for source in docs[:2]:
        copy = [" ".join(rng.sample(s[:-1].split(), len(s[:-1].split()))) + "." for s in source]
        docs.append([sentence() for _ in range(3)] + copy)
    return [" ".join(d) for d in docs] + ["The of and. A to in.", ""]


def _some_pairs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """30 of the ``n * n`` pairs (a document against itself included), in random order."""
    pairs = random.Random(seed).sample([(a, b) for a in range(n) for b in range(n)], 30)
    left, right = zip(*pairs, strict=True)
    return np.array(left), np.array(right)


def _same_model(got, expected) -> bool:
    arrays = ("a_bounds", "b_bounds", "pair_keys", "cosine", "dice", "seeds")
    if not all(np.array_equal(getattr(got, n), getattr(expected, n)) for n in arrays):
        return False
    return all(
        getattr(got, side).width == getattr(expected, side).width
        and all(np.array_equal(getattr(getattr(got, side), f), getattr(getattr(expected, side), f))
                for f in ("indptr", "indices", "data"))
        for side in ("a_weights", "b_weights")
    )


def _whole_product(model, config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: the pair keys, cosine and Dice of the sentence pairs passing a threshold,
    from the whole sentence-by-sentence products of the model's TF-IDF matrices (the counts of
    shared terms and the cosines), as they were computed before blocks."""

    def matrix(weights, data):
        return csr_matrix((data, weights.indices, weights.indptr),
                          shape=(len(weights.indptr) - 1, weights.width))

    def unit(weights):
        row = np.repeat(np.arange(len(weights.indptr) - 1), np.diff(weights.indptr))
        norms = np.sqrt(np.bincount(row, weights=weights.data**2, minlength=len(weights.indptr) - 1))
        norms[norms == 0] = 1.0
        return weights.data / norms[row]

    def entries(product):
        coo = product.tocoo()
        keys = coo.row.astype(np.int64) * model.n_b + coo.col
        order = np.argsort(keys, kind="stable")
        return keys[order], coo.data[order]

    a, b = model.a_weights, model.b_weights
    keys, common = entries(matrix(a, np.ones(len(a.data))) @ matrix(b, np.ones(len(b.data))).T)
    cosine_keys, cosine_values = entries(matrix(a, unit(a)) @ matrix(b, unit(b)).T)
    cosine = dict(zip(cosine_keys.tolist(), cosine_values.tolist(), strict=True))
    cosine = np.array([cosine.get(key, 0.0) for key in keys.tolist()])
    sizes = np.diff(a.indptr)[keys // model.n_b] + np.diff(b.indptr)[keys % model.n_b]
    dice = 2 * common / sizes
    kept = (((cosine > config.sentence_cosine) & (dice > config.sentence_dice))
            | ((cosine > config.summary_similarity) & (dice > config.summary_similarity))
            | ((cosine > config.grow_similarity) & (dice > config.grow_similarity)))
    return keys[kept], cosine[kept], dice[kept]


@pytest.mark.parametrize(("seed", "budget"), [(0, 1), (1, 2), (2, 5), (3, 30)])
def test_blocked_sentence_models_equal_the_whole_product(monkeypatch, seed, budget):
    """Differential: the models computed a few sentence pairs at a time (blocks of one row,
    shared terms looked up one entry at a time) equal those of one block for the whole group
    and the per-pair models, bit for bit, and keep what the whole products give; so do the
    alignments."""
    texts = _texts(seed)
    batch = tokenize_batch(texts)
    sentences = [split_sentences(text, batch.doc(d)) for d, text in enumerate(texts)]
    left, right = _some_pairs(len(texts), seed)
    for config in (CONFIG, LOOSE):
        monkeypatch.setattr(reuse.align.paraphrase, "_PRODUCT_ENTRIES", 10**9)
        whole = list(sentence_models(sentences, left, right, config))
        aligned = align_token_batch(batch, left, right, config, texts)
        monkeypatch.setattr(reuse.align.paraphrase, "_PRODUCT_ENTRIES", budget)
        blocked = list(sentence_models(sentences, left, right, config))
        assert [k for k, _ in blocked] == [k for k, _ in whole]
        assert all(_same_model(got, expected)
                   for (_, got), (_, expected) in zip(blocked, whole, strict=True))
        for k, model in blocked:
            assert _same_model(model, sentence_model(sentences[left[k]], sentences[right[k]],
                                                      config))
            keys, cosine, dice = _whole_product(model, config)
            assert np.array_equal(model.pair_keys, keys)
            assert np.array_equal(model.cosine, cosine)
            assert np.array_equal(model.dice, dice)
        assert align_token_batch(batch, left, right, config, texts) == aligned
    assert any(len(model.seeds) for _, model in blocked)


def test_models_keep_the_sentence_pairs_that_pass_a_threshold():
    """A model keeps exactly the sentence pairs that pass the seed, summary or grow thresholds,
    with the cosine and Dice that the whole product gives them: a pair left out is one that no
    comparison of :meth:`similar` or the growing of a passage could take."""
    texts = _texts(11)
    batch = tokenize_batch(texts)
    a, b = (split_sentences(texts[d], batch.doc(d)) for d in (0, 5))
    for config in (CONFIG, LOOSE):
        model = sentence_model(a, b, config)
        everything = sentence_model(a, b, dataclasses.replace(
            config, sentence_cosine=0.0, sentence_dice=0.0, grow_similarity=0.0,
            summary_similarity=0.0))
        cosine, dice = everything.cosine, everything.dice
        kept = (((cosine > config.sentence_cosine) & (dice > config.sentence_dice))
                | ((cosine > config.summary_similarity) & (dice > config.summary_similarity))
                | ((cosine > config.grow_similarity) & (dice > config.grow_similarity)))
        assert 0 < kept.sum() < len(kept)
        assert np.array_equal(model.pair_keys, everything.pair_keys[kept])
        assert np.array_equal(model.cosine, cosine[kept])
        assert np.array_equal(model.dice, dice[kept])


def _word(k: int) -> str:
    """A distinct lower-case word for each ``k`` (no stop word: three letters or more)."""
    out, k = "", k + 26 * 27
    while k:
        k, r = divmod(k, 26)
        out += string.ascii_lowercase[r]
    return out


ADDRESS_SPACE = 3 << 29  # 1.5 GiB; the run needs well under 1 GiB


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def test_long_pair_aligns_with_paraphrase_in_bounded_memory(tmp_path):
    """Two documents of 17,000 sentences, every sentence of both holding "zebra": all
    289 million sentence pairs share a term. The whole product asked for 1.08 GiB for its
    indices alone and died with a numpy MemoryError traceback under a 1.5 GiB address space;
    computed by blocks of rows it fits, and the run succeeds."""
    n = 17_000
    a = " ".join(f"Zebra {_word(2 * k)} {_word(2 * k + 1)}." for k in range(n))
    b = " ".join(f"Zebra {_word(2 * n + 2 * k)} {_word(2 * n + 2 * k + 1)}." for k in range(n))
    corpus = tmp_path / "long.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": a}) + "\n"
                      + json.dumps({"id": "b", "text": b}) + "\n", encoding="utf-8")
    (tmp_path / "pairs.txt").write_text("a b\n", encoding="utf-8")
    out = tmp_path / "run"
    # One thread each: a BLAS thread pool reserves address space per core.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "reuse", "align", str(corpus), "--pairs",
         str(tmp_path / "pairs.txt"), "--out", str(out), "-q"],
        cwd=ROOT, capture_output=True, text=True, preexec_fn=_limit_address_space, timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(pd.read_parquet(out / "alignments.parquet")) == 0


def test_align_pair_of_many_short_sentences_in_bounded_memory():
    """align_pair models pairs of up to 10,000 tokens on its own (the reference path): 9,000
    one-word sentences against themselves are 81 million sentence pairs sharing a term, whose
    whole product died with a numpy MemoryError under a 1.5 GiB address space."""
    code = (
        "from reuse.align.config import AlignConfig\nfrom reuse.align.aligner import align_pair\n"
        "text = 'Zebra. ' * 9000\n"
        "found = align_pair(text, text, AlignConfig())\n"
        "assert found == align_pair(text, text, AlignConfig(paraphrase=False)), found\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          preexec_fn=_limit_address_space, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]


def _repeating(n: int) -> tuple[str, str]:
    """Two documents of ``n`` sentences alternating between two sentences: every sentence is
    the same as half of the other document's, n * n / 2 similar sentence pairs."""
    x = "Rivers flood the valleys every spring season."
    y = "Farmers plant barley fields near the old mill."
    return (" ".join(x if k % 2 == 0 else y for k in range(n)),
            " ".join(y if k % 2 == 0 else x for k in range(n)))


def test_pair_repeating_the_same_lines_gets_no_paraphrase_seeds():
    """1,500 sentences each, 1.1 million similar sentence pairs: more than the 1,000,000 (and
    32 per sentence) allowed, so the pair gets its lexical passages only (none: every n-gram
    is too common to seed), where it got one paraphrase passage over everything (its seeds'
    memory grows as the square of the text)."""
    a, b = _repeating(1500)
    found = align_pair(a, b, CONFIG)
    assert found == align_pair(a, b, AlignConfig(paraphrase=False))
    assert not any(al.method == "paraphrase" for al in found)


def test_capped_pair_is_told_apart_and_its_neighbours_are_not(monkeypatch):
    """A pair over the limit gives ``(k, None)``; the pairs around it in the same group keep
    their models, equal to those computed without any limit."""
    texts = _texts(3)
    rep_a, rep_b = _repeating(40)
    texts += [rep_a, rep_b]
    batch = tokenize_batch(texts)
    sentences = [split_sentences(text, batch.doc(d)) for d, text in enumerate(texts)]
    n = len(texts)
    left = np.array([0, n - 2, 5, n - 2, 1])
    right = np.array([5, n - 1, 0, 6, 6])
    free = dict(sentence_models(sentences, left, right, CONFIG))
    assert len(free[1].pair_keys) == 40 * 40 // 2
    monkeypatch.setattr(reuse.align.paraphrase, "_MAX_SIMILAR", 799)
    monkeypatch.setattr(reuse.align.paraphrase, "_SIMILAR_PER_SENTENCE", 1)
    monkeypatch.setattr(reuse.align.paraphrase, "_PRODUCT_ENTRIES", 7)
    capped = dict(sentence_models(sentences, left, right, CONFIG))
    assert capped.keys() == free.keys() and capped[1] is None
    assert all(_same_model(capped[k], free[k]) for k in free if k != 1)
    found = align_token_batch(batch, left, right, CONFIG, texts)
    assert found[1] == align_token_batch(batch, left[1:2], right[1:2],
                                         AlignConfig(paraphrase=False))[0]


def _random_clusters(rng: random.Random) -> list[_Cluster]:
    clusters = []
    for _ in range(rng.randrange(0, 60)):
        a0 = rng.randrange(0, 200)
        a1 = a0 + rng.choice([0, 1, rng.randrange(1, 40)])
        b0 = rng.randrange(0, 200)
        clusters.append(_Cluster((a0, a1, b0, b0 + rng.randrange(0, 40)),
                                 rng.choice([0.3, 0.5, rng.random()]), 1))
    return clusters


def test_most_similar_in_a_is_the_quadratic_scan():
    """Keeping the most similar of passages overlapping in a against sorted disjoint ranges
    keeps what checking every kept passage kept (ties in similarity, empty ranges included)."""
    rng = random.Random(17)
    for _ in range(500):
        passages = _random_clusters(rng)
        expected: list[tuple[int, int, int, int]] = []
        for p in sorted(passages, key=lambda p: -p.similarity):
            if not any(_a_overlap(p.box, other) for other in expected):
                expected.append(p.box)
        assert _most_similar_in_a(passages) == expected


def test_a_union_is_hit_as_its_boxes_are():
    rng = random.Random(19)
    for _ in range(500):
        boxes = [c.box for c in _random_clusters(rng)]
        union = _a_union(boxes)
        for probe in _random_clusters(rng):
            expected = any(_a_overlap(probe.box, box) for box in boxes)
            assert _a_hits(union, probe.box) == expected


def test_skipped_pairs_are_counted_in_the_manifest_and_the_summary(tmp_path):
    """`reuse align` says how many pairs got no paraphrase seeds, in the manifest's counts and
    in its summary; a run without such pairs has no such count."""
    a, b = _repeating(1500)
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "text": t}) + "\n"
                              for i, t in (("a", a), ("b", b), ("c", "Barley grows. " * 40))),
                      encoding="utf-8")
    pairs = tmp_path / "pairs.txt"
    for listed, skipped in (("a b\na c\n", 1), ("a c\n", None)):
        pairs.write_text(listed, encoding="utf-8")
        out = tmp_path / f"run{skipped}"
        result = CliRunner().invoke(main, ["align", str(corpus), "--pairs", str(pairs),
                                           "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        counts = read_manifest(out)["counts"]
        assert counts.get("paraphrase_skipped_pairs") == skipped
        if skipped:
            [(_, label, _, _)] = [row for row in count_rows(counts)
                                  if row[0] == "paraphrase_skipped_pairs"]
            assert re.search(rf"^  {re.escape(label.strip())}\s+1$", result.stdout, re.M)
