"""``reuse run``: the near-duplicate track, then the passage track (window fingerprints, passage
candidates, alignment, passage clusters)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import Config, PassageConfig
from ..engine import (
    PIPELINE_STAGES,
    import_in_background,
    ordered_map,
    resolve_workers,
    start_worker_server,
    worker_pool,
)
from ..engine.spill import parse_memory_budget
from ..ingest import DEFAULT_MAX_DOC_CHARS, Corpus
from ..ingest.store import TextColumn
from ..runfolder.checkpoints import StageLedger, save_arrays, save_frame
from ..sketch.windows import PassageCandidates, passage_candidates
from .arguments import call_arguments
from .documents import AlignParts, align_documents
from .near_duplicates import near_duplicate_stages
from .output import input_counts
from .results import ColumnarDedupResult, ColumnarRunResult, RunResult, StoredRunResult
from .sketching import Sketches
from .start import (
    Checkpointing,
    Started,
    checked_engine,
    claimed_for_checkpoints,
    corpus_dates,
    read_and_sketch,
    spark_start,
)
from .timings import Timings

if TYPE_CHECKING:
    import pandas as pd

# What this process imports for its own part of the stages after the reading (the aligner's
# and the passage clusters' tables and graphs).
LATER_IMPORTS = ("pandas", "scipy.sparse.csgraph")


def _spark_run(source: str | os.PathLike[str] | Corpus, read: dict[str, Any],
               options: dict[str, Any], config: Config,
               spark_dir: str | os.PathLike[str] | None, quiet: bool,
               checkpointing: Checkpointing | None = None) -> StoredRunResult:
    """:func:`run` on Spark: the stages of ``dedup`` on Spark, then the passage candidates
    and their alignment on Spark (:mod:`reuse.spark.passages`); the passage clusters are made
    here, on the driver, from the ``alignments`` table, which is bounded by the output (it is
    one of the run's tables), as the local engine makes them."""
    from ..spark.passages import run as spark_run

    spark, corpus, dates, plan = spark_start(source, read, config, spark_dir, quiet, "run")
    timings = plan.timings
    ledger, fingerprints = (checkpointing.open("run", corpus, config)
                            if checkpointing is not None else (None, None))
    stored = spark_run(corpus, plan, align_documents, spark=spark, spark_dir=spark_dir,
                       ledger=ledger)
    try:
        result = StoredRunResult(corpus, config, stored, stored.counts, timings, options)
        result.checkpoints, result.input_fingerprints = ledger, fingerprints
        alignments = result.alignments
        with timings.stage("passages"):
            result.passages = passage_clusters_for(corpus, alignments, config)
    except BaseException:
        stored.close()
        raise
    passages = result.passages
    passage_keys = ("passage_candidate_pairs", "capped_fingerprints", "docs_in_capped_buckets")
    spark_counts = dict(stored.counts)
    paraphrase_skipped = spark_counts.pop("paraphrase_skipped_pairs")
    passage_counts = {key: spark_counts.pop(key) for key in passage_keys}
    counts = {"read": corpus.n_read, **spark_counts, "skipped": len(corpus.skipped),
              **input_counts(corpus, dates)}
    order = ("read", "compared", "too_short", "skipped", "candidate_pairs", "capped_buckets",
             "near_duplicate_pairs", "clusters", "dropped")
    counts = {**{key: counts[key] for key in order}, **counts, **passage_counts}
    counts.update({
        "alignments": len(alignments),
        "passage_clusters": int(passages["passage_id"].nunique()) if len(passages) else 0,
        "boilerplate_passages": int(passages.loc[passages["boilerplate"], "passage_id"].nunique())
        if len(passages) else 0,
    })
    if paraphrase_skipped:
        counts["paraphrase_skipped_pairs"] = paraphrase_skipped
    result.counts = counts
    return result


def passage_clusters_for(corpus: Corpus, alignments: pd.DataFrame, config: Config,
                         workers: int = 1) -> pd.DataFrame:
    """The passage clusters of ``alignments``, their parts (groups of linked documents) in
    ``workers`` processes when the texts are in the document store (a worker reads them there).
    Texts held in memory are clustered here: sending each part with its own documents' texts
    was slower than clustering them in this process (100k documents of our generator, two
    workers: 0.91-1.27 s for the stage, against 0.54-0.55 s here)."""
    from ..cluster.passages import passage_clusters  # scipy.sparse.csgraph: not needed by dedup

    map_parts: Any = map
    if workers > 1 and isinstance(corpus.texts, TextColumn):
        map_parts = functools.partial(ordered_map, workers=workers)
    return passage_clusters(
        alignments, corpus.ids, dates=corpus_dates(corpus, config),
        boilerplate_docs=config.passages.boilerplate_docs,
        boilerplate_share=config.passages.boilerplate_share, texts=corpus.texts,
        map_parts=map_parts,
    )


def run(
    source: str | os.PathLike[str] | Corpus,
    *,
    config: Config | None = None,
    threshold: float | None = None,
    num_perm: int | None = None,
    ngram: int | None = None,
    seed: int | None = None,
    verify: str | None = None,
    min_tokens: int | None = None,
    min_length: int | None = None,
    paraphrase: bool | None = None,
    window: int | None = None,
    passage_ngram: int | None = None,
    max_bucket: int | None = None,
    max_pairs_per_doc: int | None = None,
    boilerplate_docs: int | None = None,
    boilerplate_share: float | None = None,
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
    quiet: bool = True,
) -> RunResult:
    """Near-duplicates and passage reuse in one pass over the corpus.

    Passage candidates come from passage-window MinHash fingerprints (see
    :mod:`reuse.sketch.windows`); each candidate pair is aligned
    (:func:`reuse.align.aligner.align_pair`) where its seeds form diagonal bands
    (:mod:`reuse.align.bands`), and the alignments are clustered into passages
    (:func:`reuse.cluster.passages.passage_clusters`). ``paraphrase`` adds sentence TF-IDF seeds
    to the alignment (about four times slower; off by default here, on in pairs mode). The
    aligner's settings are ``config.align`` (:class:`reuse.align.config.AlignConfig`; those left
    None take the corpus run's values, :data:`reuse.align.config.CORPUS_RUN_MODE`), and which
    slices of a candidate pair it aligns, ``config.bands``. The other parameters are those of
    :func:`dedup`; ``date_field`` also marks the earliest occurrence of each passage as its
    likely source. ``workers`` processes (default: every core) sketch, verify and align the
    candidate pairs; ``memory_budget`` bounds the grouping stages (see :func:`dedup`). The
    tables are the same for any number of workers. ``checkpoint``, ``resume`` and
    ``keep_checkpoints`` are those of :func:`dedup` (the passage candidates, the alignments and
    the passages are checkpoints too). ``engine="spark"`` and ``spark_dir`` are those of
    :func:`dedup`: every stage but the passage clusters runs on Spark, with the same tables.
    """
    # Every parameter is validated here, before the corpus is read (which may take minutes).
    read, options, config = call_arguments(run, locals(), "run", corpus_run=True)
    if checked_engine(engine, "run") == "spark":
        checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "run", engine,
                                         spark_dir)
        with claimed_for_checkpoints(source, checkpointing):
            return _spark_run(source, read, options, config, spark_dir, quiet, checkpointing)
    n_workers = resolve_workers(workers, "run")
    start_worker_server(n_workers, PIPELINE_STAGES)
    if n_workers > 1:
        import_in_background(LATER_IMPORTS)
    budget = parse_memory_budget(memory_budget, "run")
    checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "run", engine)
    timings = Timings(quiet=quiet)
    with claimed_for_checkpoints(source, checkpointing), worker_pool(n_workers):
        started = read_and_sketch(source, read, config, config.passages, timings, "run",
                                   quiet, n_workers, budget, checkpointing)
        try:
            result = near_duplicate_stages(started, config, timings, n_workers, budget)
        except BaseException:
            started.sketches.close()
            raise
        return _passage_reuse(started, result, config, options, timings, quiet, n_workers,
                              budget)


_CANDIDATE_ARRAYS = ("a", "b", "shared", "a_first", "a_last", "b_first", "b_last", "capped_docs",
                     "seed_pair", "seed_a", "seed_b")


def _passage_candidates(sketches: Sketches, passage_config: PassageConfig,
                        ledger: StageLedger | None, workers: int, memory_budget: int
                        ) -> PassageCandidates:
    """The passage candidates of the window fingerprints; with a ledger, the
    ``passage_candidates`` checkpoint."""
    if ledger is not None and ledger.done("passage_candidates"):
        arrays = dict(zip(_CANDIDATE_ARRAYS, ledger.arrays("passage_candidates",
                                                            *_CANDIDATE_ARRAYS), strict=True))
        capped = int(ledger.values("passage_candidates")["capped_fingerprints"])
        return PassageCandidates(**arrays, capped_fingerprints=capped)
    if sketches.fingerprints is None:
        raise ValueError("_passage_candidates needs the fingerprints of sketch_corpus")
    candidates = passage_candidates(sketches.fingerprints, passage_config, workers=workers,
                                    memory_budget=memory_budget)
    sketches.fingerprints = None
    if ledger is not None:
        with ledger.writing("passage_candidates") as folder:
            save_arrays(folder, **{name: getattr(candidates, name) for name in _CANDIDATE_ARRAYS})
        ledger.complete("passage_candidates",
                        {"capped_fingerprints": int(candidates.capped_fingerprints)})
    return candidates


def _aligned(started: Started, candidates: PassageCandidates, config: Config, quiet: bool,
             workers: int) -> tuple[pd.DataFrame, list[int]]:
    """The alignments of the passage candidates, and the pairs left without paraphrase seeds;
    with a ledger, the ``align`` checkpoint."""
    ledger = started.ledger
    if ledger is not None and ledger.done("align"):
        (skipped,) = ledger.arrays("align", "paraphrase_skipped")
        return ledger.frame("align", "alignments"), skipped.tolist()
    paraphrase_skipped: list[int] = []
    alignments = align_documents(started.corpus, candidates.a, candidates.b, config.align,
                                 config.tokenize, quiet, paraphrase_skipped,
                                 candidates=candidates, seed_length=config.passages.ngram,
                                 band_config=config.bands, workers=workers,
                                 parts=None if ledger is None else AlignParts(ledger))
    if ledger is not None:
        with ledger.writing("align") as folder:
            save_frame(folder, "alignments", alignments)
            save_arrays(folder, paraphrase_skipped=np.array(paraphrase_skipped, dtype=np.int64))
        ledger.complete("align", {"alignments": len(alignments)})
    return alignments, paraphrase_skipped


def _passages(started: Started, alignments: pd.DataFrame, config: Config,
              workers: int) -> pd.DataFrame:
    """The passage clusters of the alignments; with a ledger, the ``passages`` checkpoint."""
    ledger = started.ledger
    if ledger is not None and ledger.done("passages"):
        return ledger.frame("passages", "passages")
    passages = passage_clusters_for(started.corpus, alignments, config, workers)
    if ledger is not None:
        with ledger.writing("passages") as folder:
            save_frame(folder, "passages", passages)
        ledger.complete("passages", {"passages": len(passages)})
    return passages


def _passage_reuse(started: Started, result: ColumnarDedupResult, config: Config,
                   options: dict[str, Any], timings: Timings, quiet: bool, workers: int,
                   memory_budget: int) -> RunResult:
    """The passage stages of ``run`` after its near-duplicates: candidates, alignments,
    passage clusters."""
    with timings.stage("passage_candidates"):
        candidates = _passage_candidates(started.sketches, config.passages, started.ledger,
                                         workers, memory_budget)
    with timings.stage("align", own_bar=True):
        alignments, paraphrase_skipped = _aligned(started, candidates, config, quiet, workers)
    with timings.stage("passages"):
        passages = _passages(started, alignments, config, workers)
    align_config = config.align
    counts = dict(result.counts)
    counts.update({
        "passage_candidate_pairs": len(candidates),
        "capped_fingerprints": candidates.capped_fingerprints,
        "docs_in_capped_buckets": len(candidates.capped_docs),
        "alignments": len(alignments),
        "passage_clusters": int(passages["passage_id"].nunique()) if len(passages) else 0,
        "boilerplate_passages": int(passages.loc[passages["boilerplate"], "passage_id"].nunique())
        if len(passages) else 0,
    })
    if paraphrase_skipped:
        counts["paraphrase_skipped_pairs"] = len(paraphrase_skipped)
    return ColumnarRunResult(result, counts, options, alignments, passages, align_config)
