"""The paraphrase seeds computed for many pairs at once against the per-pair path."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

import reuse.align.paraphrase
import reuse.evaluate
from reuse.align.aligner import align_pair, align_token_batch
from reuse.align.config import AlignConfig
from reuse.align.paraphrase import (
    _passage_cosine,
    _seed_clusters,
    _split_by_gaps,
    _validated_clusters,
    sentence_model,
    sentence_models,
    split_sentences,
)
from reuse.evaluate import _detect_many, _spans, read_text
from reuse.text.tokenize import tokenize_batch

CONFIG = AlignConfig()
_STOP = ["the", "of", "and", "a", "to", "in", "is", "it", "that", "was"]


def _sentence(rng: random.Random, vocabulary: list[str], size: int) -> str:
    picked = [rng.choice(vocabulary) for _ in range(size)]
    for _ in range(size // 3):
        picked.insert(rng.randrange(len(picked) + 1), rng.choice(_STOP))
    return " ".join(picked).capitalize() + "."


def _corpus(seed: int) -> list[str]:
    """Documents of sentences over a small shared vocabulary (so that many sentence pairs share
    terms), with reworded and summarised copies of each other's sentences, a document of stop
    words only and an empty one."""
    rng = random.Random(seed)
    vocabulary = [f"term{k}x" for k in range(60)]
    base = [[_sentence(rng, vocabulary, rng.randrange(6, 16)) for _ in range(rng.randrange(8, 40))]
            for _ in range(6)]
    docs = [" ".join(sentences) for sentences in base]
    for sentences in base[:3]:
        # Reworded: the same words in another order, inside unrelated sentences.
        reworded = [" ".join(rng.sample(s[:-1].split(), len(s[:-1].split()))) + "."
                    for s in sentences[2:12]]
        filler = [_sentence(rng, vocabulary, 10) for _ in range(5)]
        docs.append(" ".join(filler + reworded + filler[:2]))
        # Summarised: each sentence takes words from several source sentences far apart.
        summary = [" ".join(w for s in sentences[k::4] for w in s[:-1].split()[:3]) + "."
                   for k in range(4)]
        docs.append(" ".join(summary))
    docs += ["The of and a to in. It is that was the.", ""]
    return docs


def _pairs(n_docs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    pairs = [(a, b) for a in range(n_docs) for b in range(n_docs)]
    rng.shuffle(pairs)
    left, right = zip(*pairs, strict=True)
    return np.array(left), np.array(right)


def _seeds_something(model) -> bool:
    summary = model.similar(CONFIG.summary_similarity, CONFIG.summary_similarity)
    return len(model.seeds) > 0 or len(summary) >= reuse.align.paraphrase._SUMMARY_MIN_SEEDS


def _assert_same_model(got, expected) -> None:
    for name in ("a_bounds", "b_bounds", "pair_keys", "cosine", "dice", "seeds"):
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name
    for name in ("a_weights", "b_weights"):
        x, y = getattr(got, name), getattr(expected, name)
        assert x.width == y.width
        assert np.array_equal(x.indptr, y.indptr)
        assert np.array_equal(x.indices, y.indices)
        assert np.array_equal(x.data, y.data)  # bit for bit: same operations, same order


@pytest.mark.parametrize("budget", [None, (300, 40)])
def test_sentence_models_match_the_per_pair_model(monkeypatch, budget):
    """Every pair's batched model equals its per-pair model exactly, also when the pairs are
    modelled in many small groups (and pairs larger than a group's budget alone); a pair whose
    model seeds nothing gets None."""
    if budget is not None:
        monkeypatch.setattr(reuse.align.paraphrase, "_MODEL_ENTRIES", budget[0])
        monkeypatch.setattr(reuse.align.paraphrase, "_MODEL_CELLS", budget[1])
    texts = _corpus(3)
    batch = tokenize_batch(texts)
    sentences = [split_sentences(text, batch.doc(d)) for d, text in enumerate(texts)]
    left, right = _pairs(len(texts), 4)
    found = list(sentence_models(sentences, left, right, CONFIG))
    assert [k for k, _ in found] == sorted({k for k, _ in found})  # in order, once each
    models = dict(found)
    live = 0
    for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        expected = sentence_model(sentences[a], sentences[b], CONFIG)
        model = models.get(k)
        if model is None:
            assert expected is None or not _seeds_something(expected)
            continue
        live += 1
        _assert_same_model(model, expected)
    assert 20 < live < len(left)  # the corpus exercises both outcomes


def test_sentence_models_of_no_pairs_and_no_content():
    texts = ["The of and. A to in.", "", "Rivers flood valleys. Farmers plant barley fields."]
    batch = tokenize_batch(texts)
    sentences = [split_sentences(text, batch.doc(d)) for d, text in enumerate(texts)]
    assert list(sentence_models(sentences, np.array([], dtype=np.int64),
                                 np.array([], dtype=np.int64), CONFIG)) == []
    assert list(sentence_models(sentences, np.array([0, 1, 2]), np.array([2, 2, 0]),
                                 CONFIG)) == []
    [(k, model)] = sentence_models(sentences, np.array([0, 2]), np.array([1, 2]), CONFIG)
    assert k == 1 and len(model.seeds) == 2  # a document against itself


def _csr(weights) -> csr_matrix:
    return csr_matrix((weights.data, weights.indices, weights.indptr),
                      shape=(len(weights.indptr) - 1, weights.width))


def test_passage_cosine_sums_rows_as_scipy_does():
    texts = _corpus(5)
    batch = tokenize_batch(texts)
    model = sentence_model(split_sentences(texts[0], batch.doc(0)), split_sentences(texts[6], batch.doc(6)),
                            CONFIG)
    rng = random.Random(6)
    for _ in range(200):
        a0, a1 = sorted(rng.sample(range(model.n_a + 1), 2))
        b0, b1 = sorted(rng.sample(range(model.n_b + 1), 2))
        a = np.asarray(_csr(model.a_weights)[a0:a1].sum(axis=0)).ravel()
        b = np.asarray(_csr(model.b_weights)[b0:b1].sum(axis=0)).ravel()
        norm = float(np.linalg.norm(a) * np.linalg.norm(b))
        expected = float(a @ b) / norm if norm else 0.0
        assert _passage_cosine(model, (a0, a1, b0, b1)) == expected


def _cluster(boxes: np.ndarray, a_gap: int, b_gap: int) -> list[np.ndarray]:
    """Reference: split boxes ``(a0, a1, b0, b1)`` alternately by gaps in a and in b, with numpy,
    until neither splits."""
    pending = [(np.arange(len(boxes)), 0, False)]
    done: list[np.ndarray] = []
    while pending:
        members, axis, other_axis_settled = pending.pop()
        lo, hi, gap = (0, 1, a_gap) if axis == 0 else (2, 3, b_gap)
        parts = _split_by_gaps(boxes[members, lo], boxes[members, hi], gap)
        if len(parts) == 1:
            if other_axis_settled:
                done.append(members)
            else:
                pending.append((members, 1 - axis, True))
            continue
        pending.extend((members[part], 1 - axis, False) for part in parts)
    return done


@pytest.mark.parametrize("numpy_split", [256, 3])
def test_seed_clusters_match_cluster(monkeypatch, numpy_split):
    """Clustering seeds on Python lists (numpy for large splits) gives the reference's groups,
    in its order, with the members in its order (ties in position included)."""
    monkeypatch.setattr(reuse.align.paraphrase, "_NUMPY_SPLIT", numpy_split)
    rng = random.Random(13)
    for _ in range(300):
        n = rng.randrange(1, 120)
        span = rng.randrange(1, 60)
        seeds = [[rng.randrange(span), rng.randrange(span)] for _ in range(n)]
        boxes = np.array([(a, a + 1, b, b + 1) for a, b in seeds])
        a_gap, b_gap = rng.randrange(0, 6), rng.randrange(0, 30)
        expected = [m.tolist() for m in _cluster(boxes, a_gap, b_gap)]
        found = _seed_clusters(np.array(seeds, dtype=np.int64), a_gap, b_gap)
        assert [members.tolist() for members in found] == expected


def test_summary_clusters_are_pruned_without_losing_any():
    """Validating only clusters with enough seeds and enough of b keeps exactly the summary
    candidates that validating all of them and filtering afterwards keeps."""
    texts = _corpus(7)
    batch = tokenize_batch(texts)
    sentences = [split_sentences(text, batch.doc(d)) for d, text in enumerate(texts)]
    checked = 0
    for a in range(len(texts)):
        for b in range(len(texts)):
            model = sentence_model(sentences[a], sentences[b], CONFIG)
            if model is None:
                continue
            seeds = model.similar(CONFIG.summary_similarity, CONFIG.summary_similarity)
            n_b_tokens = int(model.b_bounds[-1])
            least = math.ceil(reuse.align.paraphrase._SUMMARY_SHARE * n_b_tokens)
            every = _validated_clusters(model, seeds, CONFIG.sentence_gap, CONFIG.summary_gap,
                                        CONFIG)
            expected = [c for c in every if c.seeds >= reuse.align.paraphrase._SUMMARY_MIN_SEEDS
                        and model.b_bounds[c.box[3]] - model.b_bounds[c.box[2]] >= least]
            pruned = _validated_clusters(model, seeds, CONFIG.sentence_gap, CONFIG.summary_gap,
                                         CONFIG, reuse.align.paraphrase._SUMMARY_MIN_SEEDS, least)
            assert pruned == expected
            checked += len(expected)
    assert checked > 0


def test_token_batch_with_paraphrase_matches_align_pair():
    """align_token_batch (documents shared by many pairs, sentence models batched) gives what
    align_pair gives pair by pair, paraphrase passages included."""
    texts = _corpus(9)
    left, right = _pairs(len(texts), 10)
    found = align_token_batch(tokenize_batch(texts), left, right, CONFIG, texts)
    expected = [align_pair(texts[a], texts[b], CONFIG) for a, b in zip(left, right, strict=True)]
    assert found == expected
    assert sum(al.method == "paraphrase" for pair in found for al in pair) >= 5


def test_detect_many_reads_each_document_once_and_matches_align_pair(tmp_path, monkeypatch):
    texts = _corpus(11)
    (tmp_path / "susp").mkdir()
    (tmp_path / "src").mkdir()
    for k, text in enumerate(texts):
        for folder in ("susp", "src"):
            (tmp_path / folder / f"d{k:02}.txt").write_text(text, encoding="utf-8")
    rng = random.Random(12)
    pairs = [(f"d{rng.randrange(len(texts)):02}.txt", f"d{rng.randrange(len(texts)):02}.txt")
             for _ in range(60)]
    reads: list[Path] = []

    def counted(path: Path) -> str:
        reads.append(path)
        return read_text(path)

    monkeypatch.setattr(reuse.evaluate, "read_text", counted)
    monkeypatch.setattr(reuse.evaluate, "_BATCH_PAIRS", 25)
    found = _detect_many(tmp_path, pairs, CONFIG)
    expected = [
        _spans(susp, src, align_pair(read_text(tmp_path / "susp" / susp),
                                     read_text(tmp_path / "src" / src), CONFIG))
        for susp, src in pairs
    ]
    assert found == expected
    assert any(found)
    # Three batches of at most 25 pairs: each reads its distinct documents once.
    batches = [pairs[lo : lo + 25] for lo in range(0, len(pairs), 25)]
    assert len(reads) == sum(len({s for s, _ in b}) + len({s for _, s in b}) for b in batches)
