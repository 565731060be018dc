"""The passage stages of ``reuse run`` on Spark, after the stages of its dedup: passage
candidate pairs from the window fingerprints (the semantics of
:func:`reuse.sketch.windows.passage_candidates`) by DataFrame joins and aggregations, and their
alignment by ``mapInArrow`` with the local aligner (:func:`reuse.pipeline.align_documents`) on
each batch of pairs. The passage clusters are made on the driver from the ``alignments`` table
(:func:`reuse.cluster.passages.passage_clusters`), by the caller.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..align.config import AlignConfig, BandConfig
from ..config import Config, PassageConfig, TokenizeConfig
from ..ingest import Corpus
from ..runfolder.checkpoints import StageLedger
from ..runfolder.schema import arrow_schema
from ..sketch.feed import char_batches
from ..sketch.windows import PassageCandidates
from .arrays import texts_of
from .dedup import (
    SparkOutputs,
    SparkPlan,
    SparkStages,
    SparkTables,
    WorkFolder,
    dedup_stages,
    sketch_stage,
)
from .session import spark_session
from .stages import ArrowMap
from .timing import timed


def window_entries(sketches: Any) -> Any:
    """One row per fingerprint and document (columns ``hash``, ``doc``, ``position``: its first
    token position in the document) of the documents (columns ``doc``, ``fp_hashes``,
    ``fp_positions``)."""
    from pyspark.sql import functions as F

    found = sketches.select("doc", F.explode(F.arrays_zip(
        F.col("fp_hashes").alias("hash"), F.col("fp_positions").alias("position"))).alias("fp"))
    return (found.select("doc", F.col("fp.hash").alias("hash"),
                         F.col("fp.position").alias("position"))
            .groupBy("hash", "doc").agg(F.min("position").alias("position")))


def passage_pairs(entries: Any, config: PassageConfig) -> tuple[Any, Any]:
    """The passage candidate pairs of the fingerprints' :func:`window_entries`, and the capped
    fingerprints (column ``hash``, one row each), as
    :func:`reuse.sketch.windows.passage_candidates` finds them: a fingerprint's bucket holds
    each document it occurs in once, at its first position; a bucket of at most
    ``max_bucket`` documents pairs all of them, a larger one (capped) pairs its least
    document with each other one. The pairs ``(a < b)`` sharing at least ``min_shared``
    fingerprints are kept when one of their documents counts them among its
    ``max_pairs_per_doc`` strongest (most shared fingerprints, then least ``(a, b)``).

    Columns of the pairs: ``a``, ``b``, ``shared``, ``a_first``, ``a_last``, ``b_first``,
    ``b_last`` and the seeds ``seed_a``, ``seed_b`` (the positions of every shared fingerprint
    in ``a`` and ``b``, in the order of ``seed_a``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    buckets = (entries.groupBy("hash")
               .agg(F.count("*").alias("size"), F.min("doc").alias("anchor"))
               .filter(F.col("size") > 1))
    shared = entries.join(buckets, "hash")
    small = shared.filter(F.col("size") <= config.max_bucket).select("hash", "doc", "position")
    within = (small.alias("x").join(small.alias("y"), "hash")
              .filter(F.col("x.doc") < F.col("y.doc"))
              .select(F.col("x.doc").alias("a"), F.col("y.doc").alias("b"),
                      F.col("x.position").alias("a_pos"), F.col("y.position").alias("b_pos")))
    big = shared.filter(F.col("size") > config.max_bucket)
    anchors = big.filter(F.col("doc") == F.col("anchor")).select(
        "hash", F.col("position").alias("a_pos"))
    anchored = (big.filter(F.col("doc") != F.col("anchor")).join(anchors, "hash")
                .select(F.col("anchor").alias("a"), F.col("doc").alias("b"), "a_pos",
                        F.col("position").alias("b_pos")))
    # Within a document each fingerprint has its own position, so sorting the seeds sorts
    # them by their position in a.
    pairs = (within.unionByName(anchored).groupBy("a", "b")
             .agg(F.count("*").alias("shared"),
                  F.min("a_pos").alias("a_first"), F.max("a_pos").alias("a_last"),
                  F.min("b_pos").alias("b_first"), F.max("b_pos").alias("b_last"),
                  F.sort_array(F.collect_list(F.struct("a_pos", "b_pos"))).alias("seeds"))
             .filter(F.col("shared") >= config.min_shared))
    strength = [F.col("shared").desc(), F.col("a"), F.col("b")]
    nominated = (pairs.select("a", "b", "shared", F.col("a").alias("owner"))
                 .unionByName(pairs.select("a", "b", "shared", F.col("b").alias("owner")))
                 .withColumn("rank", F.row_number().over(
                     Window.partitionBy("owner").orderBy(*strength)))
                 .filter(F.col("rank") <= config.max_pairs_per_doc)
                 .select("a", "b").distinct())
    kept = (pairs.join(nominated, ["a", "b"])
            .select("a", "b", "shared", "a_first", "a_last", "b_first", "b_last",
                    F.col("seeds.a_pos").alias("seed_a"), F.col("seeds.b_pos").alias("seed_b")))
    capped = buckets.filter(F.col("size") > config.max_bucket).select("hash")
    return kept, capped


def capped_documents(entries: Any, capped: Any) -> Any:
    """The documents (one row each, column ``doc``) of the :func:`window_entries` of the
    capped fingerprints."""
    return entries.join(capped, "hash").select("doc").distinct()


@dataclass(frozen=True)
class AlignSettings:
    """What :func:`aligner` needs of the run's configuration."""

    align: AlignConfig
    tokenize: TokenizeConfig
    bands: BandConfig
    seed_length: int

    @classmethod
    def of(cls, config: Config) -> AlignSettings:
        return cls(config.align, config.tokenize, config.bands, config.passages.ngram)


_ALIGNMENT_COLUMNS = [name for name in arrow_schema("alignments").names
                      if name not in ("a_id", "b_id")]
# Each alignment of pair (a, b) and its place ``seq`` in the pair's alignments; a pair left
# without paraphrase seeds also has a row with ``seq`` -1 and no alignment.
ALIGN_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("seq", pa.int64()),
                          *[arrow_schema("alignments").field(name)
                            for name in _ALIGNMENT_COLUMNS]])


# reuse.pipeline.align_documents, which the caller passes (reuse.pipeline imports this
# package, so this package does not import it); Spark ships it to its workers by name.
AlignDocuments = Callable[..., pd.DataFrame]


def aligner(settings: AlignSettings, align_documents: AlignDocuments) -> ArrowMap:
    """Align the candidate pairs of each batch (columns ``a``, ``b``, ``shared``, ``a_first``,
    ``a_last``, ``b_first``, ``b_last``, ``seed_a``, ``seed_b``, ``a_text``, ``b_text``) with
    ``align_documents`` (:func:`reuse.pipeline.align_documents`), the batch's documents as its
    corpus: a pair's alignments depend on its own texts and seeds only, so they are those of
    the local run."""

    def align(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            chars = (pc.binary_length(batch.column("a_text")).to_numpy(zero_copy_only=False)
                     + pc.binary_length(batch.column("b_text")).to_numpy(zero_copy_only=False))
            for lo, hi in char_batches(chars, ALIGN_CHARS):
                yield aligned_batch(batch.slice(lo, hi - lo), settings, align_documents)

    return timed("align", align)


def aligned_batch(batch: pa.RecordBatch, settings: AlignSettings,
                  align_documents: AlignDocuments) -> pa.RecordBatch:
    """The rows of :data:`ALIGN_SCHEMA` for one batch of candidate pairs (see :func:`aligner`)."""
    a = batch.column("a").to_numpy()
    b = batch.column("b").to_numpy()
    n = len(a)
    docs, first, inverse = np.unique(np.concatenate((a, b)), return_index=True,
                                     return_inverse=True)
    texts = texts_of(batch.column("a_text")) + texts_of(batch.column("b_text"))
    corpus = Corpus(ids=[str(doc) for doc in docs.tolist()],
                    texts=[texts[k] for k in first.tolist()])
    seed_a, seed_counts = _list_values(batch.column("seed_a"))
    seed_b, _ = _list_values(batch.column("seed_b"))
    local_a, local_b = inverse[:n].astype(np.int64), inverse[n:].astype(np.int64)

    def column(name: str) -> np.ndarray:
        return batch.column(name).to_numpy()

    candidates = PassageCandidates(
        local_a, local_b, column("shared"), column("a_first"), column("a_last"),
        column("b_first"), column("b_last"), 0, np.empty(0, dtype=np.int64),
        np.repeat(np.arange(n, dtype=np.int64), seed_counts), seed_a, seed_b)
    skipped: list[int] = []
    frame = align_documents(corpus, local_a, local_b, settings.align, settings.tokenize,
                            True, skipped, candidates=candidates,
                            seed_length=settings.seed_length, band_config=settings.bands,
                            workers=1)
    found_a = frame["a_id"].astype(np.int64).to_numpy()
    found_b = frame["b_id"].astype(np.int64).to_numpy()
    # align_documents lists a pair's alignments together, in their order in the table.
    seq = frame.groupby(["a_id", "b_id"], sort=False).cumcount().to_numpy(dtype=np.int64)
    aligned = pa.RecordBatch.from_pandas(frame[_ALIGNMENT_COLUMNS], preserve_index=False)
    skipped_pairs = np.asarray(skipped, dtype=np.int64)
    columns = {
        "a": np.concatenate((found_a, a[skipped_pairs])),
        "b": np.concatenate((found_b, b[skipped_pairs])),
        "seq": np.concatenate((seq, np.full(len(skipped_pairs), -1, dtype=np.int64))),
    }
    arrays = [pa.array(columns[name], type=pa.int64()) for name in ("a", "b", "seq")]
    for name in _ALIGNMENT_COLUMNS:
        values = aligned.column(name).cast(ALIGN_SCHEMA.field(name).type)
        arrays.append(pa.concat_arrays([values, pa.nulls(len(skipped_pairs), values.type)]))
    return pa.RecordBatch.from_arrays(arrays, schema=ALIGN_SCHEMA)


def _list_values(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The values of a list column of ``long`` as one flat array, and each row's count."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    offsets = column.offsets.to_numpy()
    values = column.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
    return values, np.diff(offsets).astype(np.int64)


def _spark_type(dtype: pa.DataType) -> str:
    return {pa.int64(): "long", pa.float64(): "double", pa.string(): "string"}[dtype]


ALIGN_DDL = ", ".join(f"{field.name} {_spark_type(field.type)}" for field in ALIGN_SCHEMA)

# Characters of text (both documents of each pair) aligned in one call of the aligner.
ALIGN_CHARS = 4_000_000


def passage_stages(stages: SparkStages, plan: SparkPlan, align_documents: AlignDocuments
                   ) -> tuple[dict[str, str], dict[str, int]]:
    """Passage candidates and their alignments after the stages of a dedup (whose sketches hold
    the window fingerprints); returns the folder of the ``alignments`` table's parts and the
    counts of the stages, those :func:`reuse.run` reports."""
    from pyspark.sql import functions as F

    config, timings = plan.config, plan.timings
    outputs, documents = stages.outputs, stages.documents
    # As the local engine, only the documents long enough to compare have fingerprints.
    fingerprints = (stages.sketches.filter(F.col("n_tokens") >= stages.min_tokens)
                    .select("doc", "fp_hashes", "fp_positions"))
    with timings.stage("passage_candidates"):
        if outputs.begin("passage_candidates"):
            _passage_candidates(outputs, fingerprints, config.passages)
        candidates = outputs.read("passage_candidates", "pairs")
        n_capped, docs_in_capped = (outputs.values("passage_candidates")[name] for name in
                                    ("capped_fingerprints", "docs_in_capped_buckets"))
    with timings.stage("align"):
        texts = documents.select("doc", "text")
        with_texts = (candidates
                      .join(texts.select(F.col("doc").alias("a"), F.col("text").alias("a_text")),
                            "a")
                      .join(texts.select(F.col("doc").alias("b"), F.col("text").alias("b_text")),
                            "b"))
        if outputs.begin("align"):
            outputs.write("align", with_texts.mapInArrow(
                aligner(AlignSettings.of(config), align_documents), ALIGN_DDL))
            outputs.complete("align")
        aligned = outputs.read("align")
    table = outputs.path("passage_tables", "alignments")
    with timings.stage("tables"):
        a_ids = documents.select(F.col("doc").alias("a"), F.col("doc_id").alias("a_id"))
        b_ids = documents.select(F.col("doc").alias("b"), F.col("doc_id").alias("b_id"))
        if outputs.begin("passage_tables"):
            outputs.write("passage_tables", aligned.filter(F.col("seq") >= 0).join(a_ids, "a")
                          .join(b_ids, "b").orderBy("a", "b", "seq")
                          .select(*arrow_schema("alignments").names), "alignments")
            outputs.complete("passage_tables")
    with timings.stage("counts"):
        counts = {
            "passage_candidate_pairs": candidates.count(),
            "capped_fingerprints": n_capped,
            "docs_in_capped_buckets": docs_in_capped,
            "paraphrase_skipped_pairs": aligned.filter(F.col("seq") < 0).count(),
        }
    return {"alignments": table}, counts


def _passage_candidates(outputs: SparkOutputs, fingerprints: Any, config: PassageConfig
                        ) -> None:
    """The ``passage_candidates`` stage: the window entries of the documents' ``fingerprints``,
    the candidate pairs and the capped fingerprints, with their counts as the stage's values."""
    outputs.write("passage_candidates", window_entries(fingerprints), "window_entries")
    entries = outputs.read("passage_candidates", "window_entries")
    pairs, capped = passage_pairs(entries, config)
    outputs.write("passage_candidates", pairs, "pairs")
    outputs.write("passage_candidates", capped, "capped_fingerprints")
    capped = outputs.read("passage_candidates", "capped_fingerprints")
    n_capped = capped.count()
    outputs.complete("passage_candidates", {
        "capped_fingerprints": n_capped,
        "docs_in_capped_buckets": capped_documents(entries, capped).count() if n_capped else 0})


def run(corpus: Corpus, plan: SparkPlan, align_documents: AlignDocuments, *, spark: Any = None,
        spark_dir: str | os.PathLike[str] | None = None,
        ledger: StageLedger | None = None) -> SparkTables:
    """The tables of :func:`dedup` and the ``alignments`` of ``corpus`` (read and checked by the
    caller) on Spark, as those of :func:`reuse.run`; ``align_documents`` is
    :func:`reuse.pipeline.align_documents`. ``ledger`` is that of :func:`dedup`."""
    spark = spark_session(spark)
    work = WorkFolder(spark_dir, ledger)
    try:
        stages = sketch_stage(spark, corpus, plan, SparkOutputs(spark, work, ledger),
                              with_passages=True)
        tables, counts = dedup_stages(stages, len(corpus), plan)
        passage_tables, passage_counts = passage_stages(stages, plan, align_documents)
    except BaseException:
        work.close()
        raise
    return SparkTables({**tables, **passage_tables}, {**counts, **passage_counts}, work)
