"""Composes the stages: ingest → tokenize → shingle → sketch → candidates → cluster → report.

This is the Python API behind the CLI: :func:`dedup` returns pandas DataFrames, and
``reuse dedup`` only parses arguments, calls it, and writes the run folder.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import __version__
from .candidates import candidate_pairs
from .cluster import representative_priority, star_clusters
from .config import Config, DedupConfig, TokenizeConfig
from .ingest import Corpus, read_corpus, write_corpus
from .report import tables
from .shingle import shingle_batch
from .sketch import MinHasher, estimated_jaccard
from .tokenize import tokenize_batch

_BATCH_CHARS = 4_000_000


class Timings(dict):
    """Seconds spent per stage, in the order the stages ran."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = round(self.get(name, 0.0) + time.perf_counter() - start, 4)


def progress(total: int, desc: str, quiet: bool, unit: str = "doc") -> tqdm:
    """A progress bar on stderr, shown only on a terminal and when not quiet."""
    return tqdm(
        total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr, leave=False,
        disable=quiet or not sys.stderr.isatty(),
    )


def batches(texts: list[str], budget: int = _BATCH_CHARS) -> Iterator[tuple[int, int]]:
    """Consecutive ``[start, stop)`` document ranges of about ``budget`` characters each."""
    start, size = 0, 0
    for i, text in enumerate(texts):
        size += len(text)
        if size >= budget:
            yield start, i + 1
            start, size = i + 1, 0
    if start < len(texts):
        yield start, len(texts)


@dataclass
class Sketches:
    """Per-document token counts and MinHash signatures of a corpus."""

    n_tokens: np.ndarray
    signatures: np.ndarray
    compared: np.ndarray  # bool: has at least min_tokens tokens


def sketch_corpus(
    texts: list[str], tokenize_config: TokenizeConfig, config: DedupConfig, quiet: bool = True
) -> Sketches:
    """Tokenize, shingle and sketch every document, batch by batch."""
    hasher = MinHasher(config.num_perm, config.seed)
    n_tokens = np.zeros(len(texts), dtype=np.int64)
    signatures = np.empty((len(texts), config.num_perm), dtype=np.uint32)
    with progress(len(texts), "sketch", quiet) as bar:
        for lo, hi in batches(texts):
            tokens = tokenize_batch(texts[lo:hi], tokenize_config.strip_diacritics)
            n_tokens[lo:hi] = tokens.counts()
            shingles, bounds = shingle_batch(tokens, config.ngram)
            signatures[lo:hi] = hasher.signatures(shingles, bounds)
            bar.update(hi - lo)
    compared = n_tokens >= config.effective_min_tokens
    return Sketches(n_tokens, signatures, compared)


def exact_jaccard(
    texts: list[str], left: np.ndarray, right: np.ndarray, tokenize_config: TokenizeConfig,
    ngram: int,
) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair; only the documents in pairs are read."""
    involved = np.unique(np.concatenate((left, right)))
    sets: dict[int, np.ndarray] = {}
    for lo in range(0, len(involved), 2000):
        chunk = involved[lo : lo + 2000]
        tokens = tokenize_batch([texts[i] for i in chunk], tokenize_config.strip_diacritics)
        shingles, bounds = shingle_batch(tokens, ngram)
        for k, doc in enumerate(chunk):
            sets[int(doc)] = np.unique(shingles[bounds[k] : bounds[k + 1]])
    out = np.empty(len(left), dtype=np.float64)
    for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        sa, sb = sets[a], sets[b]
        shared = len(np.intersect1d(sa, sb, assume_unique=True))
        union = len(sa) + len(sb) - shared
        out[k] = shared / union if union else 1.0
    return out


@dataclass
class DedupResult:
    """The near-duplicate tables of a corpus, as pandas DataFrames, and the run's bookkeeping."""

    corpus: Corpus
    config: Config
    documents: pd.DataFrame
    near_duplicates: pd.DataFrame
    clusters: pd.DataFrame
    counts: dict[str, int]
    timings: Timings = field(default_factory=Timings)
    candidate_pairs: int = 0

    @property
    def skipped(self) -> pd.DataFrame:
        return self.corpus.skipped_frame()

    def keep_mask(self) -> list[bool]:
        return self.clusters["keep"].tolist()


def _load(
    source: str | os.PathLike[str] | Corpus, id_field: str, text_field: str, on_error: str
) -> Corpus:
    if isinstance(source, Corpus):
        return source
    return read_corpus(source, id_field=id_field, text_field=text_field, on_error=on_error)


def dedup(
    source: str | os.PathLike[str] | Corpus,
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    verify: str = "estimate",
    min_tokens: int = 0,
    strip_diacritics: bool = False,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quiet: bool = True,
) -> DedupResult:
    """Find near-duplicate documents, cluster them, and decide which to keep.

    ``source`` is a path (folder of .txt, JSONL, CSV/TSV, Parquet) or a :class:`Corpus`.
    Pairs whose MinHash estimate (or exact Jaccard, with ``verify="exact"``) reaches
    ``threshold`` are near-duplicates.
    """
    config = Config(
        tokenize=TokenizeConfig(strip_diacritics=strip_diacritics),
        dedup=DedupConfig(
            threshold=threshold, num_perm=num_perm, ngram=ngram, seed=seed, verify=verify,
            min_tokens=min_tokens,
        ),
    ).validate()
    timings = Timings()
    with timings.stage("ingest"):
        corpus = _load(source, id_field, text_field, on_error)
    with timings.stage("sketch"):
        sketches = sketch_corpus(corpus.texts, config.tokenize, config.dedup, quiet)
    lengths = np.fromiter((len(t) for t in corpus.texts), dtype=np.int64, count=len(corpus))
    dates = [m.get("date") for m in corpus.metadata] if any(
        "date" in m for m in corpus.metadata) else None
    priority = representative_priority(lengths, dates)
    compared_idx = np.flatnonzero(sketches.compared)
    with timings.stage("candidates"):
        collisions = candidate_pairs(
            sketches.signatures[compared_idx], threshold,
            false_positive_weight=config.dedup.false_positive_weight,
            false_negative_weight=config.dedup.false_negative_weight,
            order=priority[compared_idx],
        )
        left, right = compared_idx[collisions.left], compared_idx[collisions.right]
    with timings.stage("verify"):
        estimate = estimated_jaccard(sketches.signatures, left, right)
        if verify == "exact":
            exact = exact_jaccard(corpus.texts, left, right, config.tokenize, ngram)
            accepted = exact >= threshold
        else:
            exact = np.full(len(left), np.nan)
            accepted = estimate >= threshold
        left, right = left[accepted], right[accepted]
        estimate, exact = estimate[accepted], exact[accepted]
    with timings.stage("cluster"):
        clusters = star_clusters(len(corpus), left, right, priority)

    ids = np.array(corpus.ids, dtype=object)
    order = np.lexsort((right, left))
    near_duplicates = pd.DataFrame({
        "a_id": ids[left[order]], "b_id": ids[right[order]],
        "jaccard_estimate": estimate[order], "jaccard": exact[order],
    })
    cluster_frame = pd.DataFrame({
        "doc_id": ids, "cluster_id": clusters.cluster,
        "representative_id": ids[clusters.representative], "keep": clusters.keep,
    })
    documents = pd.DataFrame({
        "doc_id": ids, "n_chars": lengths, "n_tokens": sketches.n_tokens,
        "status": np.where(sketches.compared, "compared", "too_short"),
    })
    counts = {
        "read": corpus.n_read,
        "compared": int(sketches.compared.sum()),
        "too_short": int((~sketches.compared).sum()),
        "skipped": len(corpus.skipped),
        "candidate_pairs": len(collisions.left),
        "near_duplicate_pairs": len(near_duplicates),
        "clusters": int(clusters.cluster.max() + 1) if len(corpus) else 0,
        "dropped": int((~clusters.keep).sum()),
    }
    return DedupResult(
        corpus, config, documents, near_duplicates, cluster_frame, counts, timings,
        len(collisions.left),
    )


def write_dedup(
    result: DedupResult,
    out: str | os.PathLike[str],
    *,
    fmt: str = "parquet",
    source: str | os.PathLike[str] | None = None,
    write_kept: str | os.PathLike[str] | None = None,
    command: str = "dedup",
) -> Path:
    """Write a dedup result as a run folder (tables first, ``manifest.json`` last)."""
    folder = tables.start_run_folder(out)
    written = {}
    with result.timings.stage("write"):
        for name, frame in (
            ("documents", result.documents),
            ("near_duplicates", result.near_duplicates),
            ("clusters", result.clusters),
            ("skipped", result.skipped),
        ):
            written[name] = tables.write_table(folder, name, frame, fmt)
        if write_kept is not None:
            result.counts["kept_written"] = write_corpus(
                result.corpus, result.keep_mask(), write_kept
            )
    tables.write_manifest(folder, manifest_body(result, source, written, command))
    return folder


def manifest_body(
    result: DedupResult, source: Any, written: dict[str, str], command: str
) -> dict[str, Any]:
    corpus = result.corpus
    return {
        "reuse_version": __version__,
        "command": command,
        "config": result.config.to_dict(),
        "input": {
            "path": None if source is None else str(source),
            "format": corpus.input_format,
            "id_field": corpus.id_field,
            "text_field": corpus.text_field,
            "fingerprint": "sha256:" + corpus.fingerprint(),
        },
        "counts": result.counts,
        "timings": dict(result.timings),
        "tables": written,
    }
