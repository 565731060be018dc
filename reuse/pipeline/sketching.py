"""The sketching pass: tokenize, shingle and MinHash every document, batch by batch, in
worker processes; the signatures, LSH band keys and passage fingerprints go to files as the
batches come back, and (exact verification of a small input) the workers write the shingle
hashes to files themselves."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..candidates.lsh import SpilledBuckets, optimal_bands, recall_bands
from ..common.progress import progress
from ..config import DedupConfig, PassageConfig, TokenizeConfig
from ..engine import ordered_map
from ..engine.spill import DEFAULT_MEMORY_BUDGET, RowFile, Workspace
from ..ingest.corpus import TextsAt
from ..ingest.store import TextColumn
from ..sketch.feed import BatchFeed, batches
from ..sketch.minhash import BatchSketch, SketchTask, StoredTexts, sketch_batch
from ..sketch.windows import Fingerprints, SpilledFingerprints
from ..verify import ShingleStore, candidate_shingles, pair_jaccard


@dataclass
class Sketches:
    """Per-document token counts, and on disk in a :class:`~reuse.engine.Workspace`: the
    MinHash signatures (a row file), the LSH band keys (a partitioned spill) and, for exact
    verification of a small input (:func:`keeps_shingles`), every document's shingle hashes;
    with a passage config, the passage fingerprints (a :class:`SpilledFingerprints`, or in
    memory)."""

    n_tokens: np.ndarray
    signatures: RowFile
    compared: np.ndarray  # bool: has at least min_tokens tokens
    fingerprints: Fingerprints | SpilledFingerprints | None = None
    buckets: SpilledBuckets | None = None
    workspace: Workspace | None = None
    shingles: ShingleStore | None = None

    def close(self) -> None:
        """Remove the files (the signatures go with them)."""
        if self.shingles is not None:
            self.shingles.close()
        if self.workspace is not None:
            self.workspace.close()


# Exact verification needs the shingle hashes of the documents in candidate pairs (about a
# fifth of them in our generator's corpora). Up to this much input, the sketching pass keeps
# every document's (about 1.4 bytes of scratch per byte of input, written as the batches come
# back) and verification reads the candidates' back; beyond it, the workers tokenize the
# documents of the candidate pairs again once they are known, which costs less than writing
# them all. Measured (one run each way): at 100k documents (264 MB, one worker) tokenizing
# again took the verify stage from 0.7 to 2.1 s; at 1M (2.6 GB, two workers) it saved 5-8 s
# of wall time and 3.1 GB of scratch, and at 10M 32 GB of scratch (README, "Performance").
KEEP_SHINGLES_BYTES = 512 << 20


def keeps_shingles(config: DedupConfig, input_size: int) -> bool:
    """Whether the sketching pass keeps every document's shingle hashes, for an input of
    ``input_size`` bytes (or characters): exact verification of an input of at most
    :data:`KEEP_SHINGLES_BYTES` (the tables are the same either way)."""
    return config.verify == "exact" and input_size <= KEEP_SHINGLES_BYTES


def lsh_bands(config: DedupConfig) -> tuple[int, int]:
    """The LSH ``(bands, rows)`` of a dedup: favouring recall when pairs are verified exactly
    (see :func:`reuse.candidates.recall_bands`), else as datasketch picks them."""
    if config.verify == "exact":
        return recall_bands(float(config.threshold), config.num_perm)
    return optimal_bands(float(config.threshold), config.num_perm,
                         config.false_positive_weight, config.false_negative_weight)


class Sketcher:
    """The sketching pass: its settings, and the files its results go to as the batches come
    back (:meth:`add`), until :meth:`finish` hands them over as :class:`Sketches` (or
    :meth:`close` removes them). See :func:`sketch_corpus`."""

    def __init__(self, tokenize_config: TokenizeConfig, config: DedupConfig,
                 passage_config: PassageConfig | None = None, *,
                 memory_budget: int = DEFAULT_MEMORY_BUDGET, directory: Path | None = None,
                 expected_documents: int = 1, keep_shingles: bool = False) -> None:
        self.bands, self.rows = lsh_bands(config)
        self.min_tokens = config.effective_min_tokens
        self.workspace = Workspace()
        self.token_counts: list[np.ndarray] = []
        self.signatures = RowFile(directory / SIGNATURES_FILE if directory is not None
                                  else self.workspace.file("signatures"), config.num_perm,
                                  np.uint32)
        self.buckets = SpilledBuckets(self.workspace, self.bands, self.rows,
                                      max(expected_documents, 1), memory_budget)
        # A folder of its own: the workspace goes once the candidates are found.
        self.shingles = ShingleStore() if keep_shingles else None
        self.fingerprints = None
        if passage_config is not None:
            self.fingerprints = SpilledFingerprints(
                directory if directory is not None else self.workspace,
                max(expected_documents, 1), memory_budget)
        # A task without its texts: the settings every batch is sketched with. The processes
        # that sketch the batches write their fingerprints (as their shingles) to files of their
        # own: the main process, which files every batch, would otherwise receive and write
        # them all (176 MB for 100k documents of our generator).
        self.template = SketchTask(
            [], None, 0, tokenize_config.strip_diacritics, config.ngram, config.num_perm,
            config.seed, self.bands, self.rows, passage_config,
            shingle_sink=None if self.shingles is None else self.shingles.sink(),
            fingerprint_sink=None if self.fingerprints is None else self.fingerprints.sink(),
            min_tokens=self.min_tokens)

    def _tasks(self, ranges: Iterable[tuple[Any, int, int]], packed: bool
               ) -> Iterator[SketchTask]:
        for texts, lo, hi in ranges:
            if isinstance(texts, TextColumn):  # on disk: the worker reads its batch itself
                payload, lengths = StoredTexts(texts, lo, hi), None
            elif packed:
                payload, lengths = SketchTask.pack(texts[lo:hi])
            else:
                payload, lengths = texts[lo:hi], None
            yield dataclasses.replace(self.template, payload=payload, lengths=lengths, first=lo)

    def sketched(self, ranges: Iterable[tuple[Any, int, int]], workers: int
                 ) -> Iterator[BatchSketch]:
        """The sketch of each ``(texts, lo, hi)`` range, computed in ``workers`` processes, in
        order."""
        return ordered_map(sketch_batch, self._tasks(ranges, workers > 1), workers)

    def sketch(self, ranges: Iterable[tuple[Any, int, int]], workers: int, quiet: bool,
               total: int | None = None) -> Sketches:
        """Sketch every range and hand the sketches over (:meth:`finish`); on an error, remove
        the files (:meth:`close`). ``total``: the documents, for the progress bar."""
        try:
            with progress(total, "sketch", quiet) as bar:
                for batch in self.sketched(ranges, workers):
                    self.add(batch)
                    bar.update(len(batch.n_tokens))
            return self.finish()
        except BaseException:
            self.close()
            raise

    def add(self, batch: BatchSketch) -> None:
        """File the sketches of the next batch of documents."""
        lo, hi = batch.first, batch.first + len(batch.n_tokens)
        self.token_counts.append(batch.n_tokens)
        self.signatures.append(batch.signatures)
        compared = np.flatnonzero(batch.n_tokens >= self.min_tokens)
        self.buckets.add(batch.band_keys[:, compared], lo + compared)
        if self.shingles is not None and batch.shingle_segment is not None:
            self.shingles.add(*batch.shingle_segment)
        # The template's fingerprint sink files every batch's fingerprints where it is sketched.
        if self.fingerprints is not None and batch.filed_fingerprints is not None:
            self.fingerprints.add_filed(*batch.filed_fingerprints, hi - lo, lo)

    def finish(self) -> Sketches:
        """The sketches of every batch added."""
        self.signatures.finish()
        n_tokens = np.concatenate([*self.token_counts, np.zeros(0, dtype=np.int64)]
                                  ).astype(np.int64)
        self.buckets.n_docs = max(len(n_tokens), 1)
        return Sketches(n_tokens, self.signatures, n_tokens >= self.min_tokens,
                        self.fingerprints, self.buckets, self.workspace, self.shingles)

    def close(self) -> None:
        """Remove the files written so far."""
        if self.shingles is not None:
            self.shingles.close()
        self.workspace.close()


def sketch_corpus(
    texts: list[str] | None,
    tokenize_config: TokenizeConfig,
    config: DedupConfig,
    passage_config: PassageConfig | None = None,
    quiet: bool = True,
    *,
    workers: int = 1,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    directory: Path | None = None,
    feed: BatchFeed | None = None,
    expected_documents: int | None = None,
) -> Sketches:
    """Tokenize, shingle and sketch every document, batch by batch, in one pass, the batches in
    ``workers`` processes (:func:`reuse.engine.ordered_map`: the output does not depend on it).

    Signatures, band keys and (:func:`keeps_shingles`) shingle hashes go to files in a new
    :class:`~reuse.engine.Workspace` as the batches come back; memory holds a few
    batches and a few numbers per document. With a ``passage_config``, the same pass also
    computes the passage-window fingerprints. With a ``feed`` (and ``texts`` None), the batches
    come from it while the corpus is being read (``expected_documents``: a guess at its size).
    The caller closes the result (:meth:`Sketches.close`). With a ``directory`` (a stage
    checkpoint's), the signatures (``signatures.u32``) are written there instead, and outlive
    the result.
    """
    if feed is None:
        expected_documents = len(texts)
        ranges: Iterable[tuple[Any, int, int]] = ((texts, lo, hi) for lo, hi in batches(texts))
    else:
        ranges = feed
    # The size of fed texts is not known yet: their candidates are shingled again.
    lengths = getattr(texts, "lengths", None)
    size = (KEEP_SHINGLES_BYTES + 1 if texts is None else
            int(lengths.sum()) if lengths is not None else sum(map(len, texts)))
    sketcher = Sketcher(tokenize_config, config, passage_config, memory_budget=memory_budget,
                        directory=directory, expected_documents=expected_documents or 1,
                        keep_shingles=keeps_shingles(config, size))
    return sketcher.sketch(ranges, workers, quiet, len(texts) if feed is None else None)


def exact_jaccard(
    texts: list[str], left: np.ndarray, right: np.ndarray, tokenize_config: TokenizeConfig,
    ngram: int,
) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair; only the documents in pairs are read.

    The pipeline does the same in worker processes for texts that may be on disk
    (:func:`reuse.verify.candidate_shingles`, then :func:`reuse.verify.pair_jaccard`).
    """
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    involved, inverse = np.unique(np.concatenate((left, right)), return_inverse=True)
    involved_texts = [texts[i] for i in involved]
    lengths = np.fromiter(map(len, involved_texts), dtype=np.int64, count=len(involved_texts))
    with candidate_shingles(TextsAt(involved_texts), np.ones(len(involved), dtype=bool), lengths,
                            tokenize_config.strip_diacritics, ngram) as store:
        return pair_jaccard(store, inverse[:len(left)], inverse[len(left):])


SIGNATURES_FILE = "signatures.u32"
