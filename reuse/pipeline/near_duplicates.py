"""``reuse dedup``: the near-duplicate track. Candidate pairs from the LSH buckets, verified,
then clustered with a kept representative per cluster."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from ..cluster.documents import Clusters, representative_priority, star_clusters
from ..common.arrow import from_numpy
from ..common.validation import check_bool
from ..config import Config, DedupConfig
from ..engine import (
    DEDUP_STAGES,
    ordered_map,
    resolve_workers,
    start_worker_server,
    worker_pool,
)
from ..engine.spill import DEFAULT_MEMORY_BUDGET, RowFile, Workspace, parse_memory_budget
from ..ingest import DEFAULT_MAX_DOC_CHARS, Corpus
from ..runfolder.checkpoints import StageLedger, save_arrays
from ..verify import VerifyTask, candidate_shingles, verify_pairs
from .arguments import call_arguments
from .output import input_counts
from .results import (
    ColumnarDedupResult,
    DedupResult,
    DocumentColumns,
    Signatures,
    StoredDedupResult,
)
from .sketching import Sketches
from .start import (
    Checkpointing,
    Started,
    checked_engine,
    claimed_for_checkpoints,
    corpus_dates,
    read_and_sketch,
    rebuilt_buckets,
    spark_start,
)
from .timings import Timings


def dedup(
    source: str | os.PathLike[str] | Corpus,
    *,
    config: Config | None = None,
    threshold: float | None = None,
    num_perm: int | None = None,
    ngram: int | None = None,
    seed: int | None = None,
    verify: str | None = None,
    min_tokens: int | None = None,
    strip_diacritics: bool | None = None,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    encoding: str = "utf-8",
    metadata_file: str | os.PathLike[str] | None = None,
    date_field: str | None = None,
    workers: int | None = None,
    memory_budget: int | str | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    keep_checkpoints: bool = False,
    engine: str = "local",
    spark_dir: str | os.PathLike[str] | None = None,
    keep_texts: bool = True,
    quiet: bool = True,
) -> DedupResult:
    """Find near-duplicate documents, cluster them, and decide which to keep.

    ``source`` is a path (folder of .txt, JSONL, CSV/TSV, Parquet) or a :class:`Corpus`.
    ``config`` (a :class:`reuse.Config`, default ``Config()``) holds every parameter; each
    keyword that is not None overrides it (``threshold`` is ``config.dedup.threshold``, and so
    on; see :data:`reuse.config.KEYWORDS`). Pairs whose MinHash estimate (or exact Jaccard,
    with ``verify="exact"``) reaches ``threshold`` (default 0.8) are near-duplicates. The read
    options (``id_field`` to ``metadata_file``) are those of :func:`reuse.ingest.read_corpus`
    (the config holds no read options: they describe the input, not the analysis).
    ``date_field`` names the metadata field holding each document's date (default: ``date``),
    which decides the kept representative.
    ``workers`` processes (default: every core) sketch and verify; the tables do not depend on
    it. ``memory_budget`` (bytes, or a size such as ``"512MB"``, ``"2GB"``; default 1 GiB)
    bounds the memory of the grouping stages, which spill to temporary files beyond it.
    ``checkpoint`` names a run folder in which each stage's output is kept as it completes
    (see :mod:`reuse.runfolder.checkpoints`); with ``resume=True`` the run continues the
    killed run there from its last complete stage, on the same input with the same settings
    (else a RunFolderError names what differs), and its tables are the same.
    :func:`write_run` into that folder removes the checkpoints, unless ``keep_checkpoints``.
    ``quiet=False`` shows progress bars on a terminal. ``engine="spark"`` runs the stages on
    Spark (the active SparkSession, else a new local one; ``pip install 'reuse-detect[spark]'``)
    with the same tables, its stages written under ``spark_dir`` (default: a temporary folder;
    on a cluster, shared storage every executor reaches). The Spark engine checkpoints its
    stages too, as Parquet, in ``checkpoint``'s ``checkpoints/`` or, with ``spark_dir``, in a
    folder ``reuse-checkpoints-<hex>/`` made there; a run resumes only the checkpoints of its
    own engine.
    ``keep_texts=False`` (local engine) spares the disk a copy of the texts where each text is
    sketched as it is read (a plain JSONL file): the result's ``corpus.texts`` then cannot be
    read, the rest of the corpus can. ``reuse dedup`` keeps them only for ``--write-kept``.
    """
    read, options, config = call_arguments(dedup, locals(), "dedup")
    check_bool("keep_texts", keep_texts, "dedup")
    if checked_engine(engine, "dedup") == "spark":
        checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "dedup", engine,
                                         spark_dir)
        with claimed_for_checkpoints(source, checkpointing):
            return _spark_dedup(source, read, options, config, spark_dir, quiet, checkpointing)
    n_workers = resolve_workers(workers, "dedup")
    start_worker_server(n_workers, DEDUP_STAGES)
    budget = parse_memory_budget(memory_budget, "dedup")
    checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "dedup", engine)
    timings = Timings(quiet=quiet)
    with claimed_for_checkpoints(source, checkpointing), worker_pool(n_workers):
        started = read_and_sketch(source, read, config, None, timings, "dedup", quiet,
                                   n_workers, budget, checkpointing, keep_texts)
        try:
            result = near_duplicate_stages(started, config, timings, n_workers, budget)
        except BaseException:
            started.sketches.close()
            raise
    result.options = options
    return result


def _spark_dedup(source: str | os.PathLike[str] | Corpus, read: dict[str, Any],
                 options: dict[str, Any], config: Config,
                 spark_dir: str | os.PathLike[str] | None, quiet: bool,
                 checkpointing: Checkpointing | None = None) -> StoredDedupResult:
    """:func:`dedup` on Spark (:mod:`reuse.spark`): a JSONL file or a folder of .txt files at any
    path Spark reads is read and checked by Spark (:mod:`reuse.spark.read`), other inputs here,
    as the local engine reads them; every stage after that runs on Spark (with
    ``checkpointing``, each a checkpoint)."""
    from ..spark.dedup import dedup as spark_dedup

    spark, corpus, dates, plan = spark_start(source, read, config, spark_dir, quiet, "dedup")
    timings = plan.timings
    ledger, fingerprints = (checkpointing.open("dedup", corpus, config)
                            if checkpointing is not None else (None, None))
    stored = spark_dedup(corpus, plan, spark=spark, spark_dir=spark_dir, ledger=ledger)
    counts = {"read": corpus.n_read, **stored.counts, "skipped": len(corpus.skipped),
              **input_counts(corpus, dates)}
    order = ("read", "compared", "too_short", "skipped", "candidate_pairs", "capped_buckets",
             "near_duplicate_pairs", "clusters", "dropped")
    counts = {**{key: counts[key] for key in order}, **counts}
    result = StoredDedupResult(corpus, config, stored, counts, timings, options)
    result.checkpoints, result.input_fingerprints = ledger, fingerprints
    return result


# Candidate pairs per verification task: enough work to outweigh sending it to a worker.
_VERIFY_PAIRS_PER_TASK = 1 << 11


class _CandidatePairs:
    """The candidate pairs of a dedup, read chunk by chunk: from the spilled buckets as they are
    deduplicated, or from the ``candidates`` checkpoint (a row file of ``(left, right)``)."""

    def __init__(self, spilled: Any = None, stored: RowFile | None = None, count: int = 0,
                 capped_buckets: int = 0) -> None:
        self.spilled, self.stored = spilled, stored
        self._count, self.capped_buckets = count, capped_buckets

    @property
    def count(self) -> int:
        """The number of unique candidate pairs (known once the chunks were read)."""
        return self.spilled.count if self.spilled is not None else self._count

    def on_disk(self, workspace: Workspace) -> _CandidatePairs:
        """These pairs in a row file (in ``workspace`` unless they are already), so that
        :meth:`chunks` can be read more than once."""
        if self.stored is not None:
            return self
        stored = RowFile(workspace.file("candidates"), 2, np.int64)
        for left, right in self.chunks(_CANDIDATE_BLOCK_PAIRS):
            stored.append(np.column_stack((left, right)))
        stored.finish()
        return _CandidatePairs(stored=stored, count=stored.n_rows,
                               capped_buckets=self.capped_buckets)

    def chunks(self, pairs_per_chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self.spilled is not None:
            yield from self.spilled.chunks(pairs_per_chunk)
            return
        assert self.stored is not None
        for _, block in self.stored.blocks(pairs_per_chunk):
            yield block[:, 0].copy(), block[:, 1].copy()


def _candidate_pairs(sketches: Sketches, config: DedupConfig, priority: np.ndarray,
                     memory_budget: int, ledger: StageLedger | None, workers: int = 1
                     ) -> _CandidatePairs:
    """The candidate pairs of the LSH buckets (grouped in ``workers`` processes), and with a
    ledger, the ``candidates`` checkpoint (restored when the killed run completed it)."""
    if ledger is not None and ledger.done("candidates"):
        values = ledger.values("candidates")
        stored = RowFile(ledger.file("candidates", _PAIRS_FILE), 2, np.int64)
        stored.n_rows = int(values["candidate_pairs"])
        return _CandidatePairs(stored=stored, count=stored.n_rows,
                               capped_buckets=int(values["capped_buckets"]))
    buckets = sketches.buckets
    if buckets is None:  # restored sketches: the band keys again, from the signatures
        buckets = rebuilt_buckets(sketches, config, memory_budget)
    spilled = buckets.pairs(priority, config.max_bucket, workers)
    if ledger is None:
        return _CandidatePairs(spilled, capped_buckets=buckets.oversized_buckets)
    with ledger.writing("candidates") as folder:
        stored = RowFile(folder / _PAIRS_FILE, 2, np.int64)
        for left, right in spilled.chunks(_CANDIDATE_BLOCK_PAIRS):
            stored.append(np.column_stack((left, right)))
        stored.finish()
    if sketches.workspace is not None:
        sketches.workspace.close()  # the band keys' spill; the signatures are the checkpoint's
        sketches.workspace = None
    ledger.complete("candidates", {"candidate_pairs": stored.n_rows,
                                   "capped_buckets": buckets.oversized_buckets})
    return _CandidatePairs(stored=stored, count=stored.n_rows,
                           capped_buckets=buckets.oversized_buckets)


_PAIRS_FILE = "pairs.i64"


_CANDIDATE_BLOCK_PAIRS = 1 << 16


def _verified_pairs(corpus: Corpus, sketches: Sketches, pairs: _CandidatePairs,
                    config: Config, workers: int, ledger: StageLedger | None
                    ) -> tuple[np.ndarray, ...]:
    """The candidate pairs that reach the threshold (``left``, ``right``, the MinHash estimate
    and the exact Jaccard), verified in ``workers`` processes; with a ledger, the ``verify``
    checkpoint. Exact verification reads the shingle hashes the sketching pass kept, or for
    a large input first tokenizes the documents in a candidate pair, each once
    (:func:`reuse.verify.candidate_shingles`)."""
    names = ("left", "right", "estimate", "exact")
    if ledger is not None and ledger.done("verify"):
        return tuple(ledger.arrays("verify", *names))
    with contextlib.ExitStack() as stack:
        reader = None
        if sketches.shingles is not None:  # kept by the sketching pass (a small input)
            stack.enter_context(sketches.shingles)
            reader = sketches.shingles.reader()
            sketches.shingles = None
        elif config.dedup.verify == "exact":
            workspace = stack.enter_context(Workspace())
            pairs = pairs.on_disk(workspace)  # read twice
            involved = np.zeros(len(corpus), dtype=bool)
            for left, right in pairs.chunks(_VERIFY_PAIRS_PER_TASK):
                involved[left] = involved[right] = True
            # A corpus built in Python is tokenized here: a task would carry its texts.
            reader = stack.enter_context(candidate_shingles(
                corpus.texts_reader(), involved, corpus.lengths,
                config.tokenize.strip_diacritics, config.dedup.ngram,
                workers if corpus.store is not None else 1, workspace.path)).reader()
        tasks = (VerifyTask(sketches.signatures, reader, left, right, config.dedup.threshold)
                 for left, right in pairs.chunks(_VERIFY_PAIRS_PER_TASK))
        verified = list(ordered_map(verify_pairs, tasks, workers))
    arrays = (np.concatenate([v.left for v in verified] or [np.empty(0, np.int64)]),
              np.concatenate([v.right for v in verified] or [np.empty(0, np.int64)]),
              np.concatenate([v.estimate for v in verified] or [np.empty(0)]),
              np.concatenate([v.exact for v in verified] or [np.empty(0)]))
    del verified
    if ledger is not None:
        with ledger.writing("verify") as folder:
            save_arrays(folder, **dict(zip(names, arrays, strict=True)))
        ledger.complete("verify", {"near_duplicate_pairs": len(arrays[0])})
    return arrays


def _clusters(n_docs: int, left: np.ndarray, right: np.ndarray, priority: np.ndarray,
              ledger: StageLedger | None) -> Clusters:
    """The star clusters of the near-duplicate pairs; with a ledger, the ``cluster``
    checkpoint."""
    if ledger is not None and ledger.done("cluster"):
        return Clusters(*ledger.arrays("cluster", "cluster", "representative"))
    clusters = star_clusters(n_docs, left, right, priority)
    if ledger is not None:
        with ledger.writing("cluster") as folder:
            save_arrays(folder, cluster=clusters.cluster, representative=clusters.representative)
        ledger.complete("cluster")
    return clusters


def near_duplicate_stages(
    started: Started, config: Config, timings: Timings, workers: int = 1,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> ColumnarDedupResult:
    """Candidate pairs from the spilled LSH buckets, verified in ``workers`` processes, then
    clustered; with a ledger, each of the three stages is a checkpoint. Memory: a few int64
    per document (lengths, priority, token counts), one spill partition at a time, a few
    verification chunks, and the accepted pairs."""
    corpus, sketches, ledger = started.corpus, started.sketches, started.ledger
    lengths = corpus.lengths
    dates = corpus_dates(corpus, config)
    priority = representative_priority(lengths, dates)
    with timings.stage("candidates"):
        pairs = _candidate_pairs(sketches, config.dedup, priority, memory_budget, ledger,
                                 workers)
    with timings.stage("verify"):
        left, right, estimate, exact = _verified_pairs(corpus, sketches, pairs, config,
                                                       workers, ledger)
    with timings.stage("cluster"):
        clusters = _clusters(len(corpus), left, right, priority, ledger)

    columns = DocumentColumns(
        corpus.arrow_ids(), lengths, sketches.n_tokens, sketches.compared, clusters.cluster,
        clusters.representative, clusters.keep)
    order = np.lexsort((right, left))
    near_duplicates = pa.Table.from_arrays(
        [columns.ids_at(left[order]), columns.ids_at(right[order]),
         from_numpy(estimate[order], pa.float64()),
         from_numpy(exact[order], pa.float64(), nulls=np.isnan(exact[order]))],
        names=["a_id", "b_id", "jaccard_estimate", "jaccard"])
    counts = {
        "read": corpus.n_read,
        "compared": int(sketches.compared.sum()),
        "too_short": int((~sketches.compared).sum()),
        "skipped": len(corpus.skipped),
        "candidate_pairs": pairs.count,
        "capped_buckets": pairs.capped_buckets,
        "near_duplicate_pairs": len(near_duplicates),
        "clusters": int(clusters.cluster.max() + 1) if len(corpus) else 0,
        "dropped": int((~clusters.keep).sum()),
        **input_counts(corpus, dates),
    }
    return ColumnarDedupResult(
        corpus, config, columns, near_duplicates, counts, timings, pairs.count,
        signatures=Signatures(sketches.signatures, config.dedup.seed, sketches.workspace),
        checkpoints=ledger, input_fingerprints=started.fingerprints,
    )
