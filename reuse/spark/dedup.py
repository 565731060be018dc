"""``reuse dedup`` on Spark: the corpus staged as Parquet, sketched by ``mapInArrow`` with the
local sketching function, candidate pairs from LSH band buckets by DataFrame joins, verified by
``mapInArrow`` with the local verification functions, star-clustered per connected component,
and every table written by Spark as Parquet parts in document order.

Every stage writes its output under the work folder (``input``, ``sketch``, ``candidates``,
``verify``, ``cluster``, ``tables/*``), which the next stage reads: the plan of a stage never
holds the plan of the ones before it, and the driver never holds a table that grows with the
corpus (only counts, and the corpus's ids, lengths and dates, as the local engine does). With a
stage ledger (:class:`SparkOutputs`), these folders are the run's stage checkpoints.
"""

from __future__ import annotations

import os
import re
import shutil
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import Config
from ..engine.scratch import scratch_folder
from ..errors import ConfigError
from ..ingest import Corpus
from ..runfolder.checkpoints import StageLedger
from ..sketch.feed import char_batches
from .grouping import band_pairs, numbered, star_representatives
from .session import spark_session
from .stages import (
    SKETCH_CHARS,
    SKETCH_SCHEMA,
    VERIFY_SCHEMA,
    SketchSettings,
    sketcher,
    verifier,
)

# Characters of text per staged input file: files, not rows, are what Spark splits a read by.
_FILE_CHARS = 32_000_000
_MIN_FILE_CHARS = 1_000_000
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def check_spark_dir(path: str | os.PathLike[str] | None) -> None:
    """Refuse a ``spark_dir`` that is a URI (a ConfigError saying why)."""
    if path is not None and _URI.match(os.fspath(path)) and not Path(path).exists():
        raise ConfigError(
            f"The 'spark_dir' parameter must be a folder of the driver's file system that "
            f"every executor reads too (local, NFS, a mounted bucket), not a URI: the driver "
            f"writes the staged corpus and reads the tables there. Got {os.fspath(path)!r}.")


class WorkFolder:
    """Where a Spark run writes its stages: a folder every executor can read and write (on a
    cluster, shared storage: ``--spark-dir``), or a new temporary folder, removed with the
    result; with a stage ``ledger``, the ledger's stage folder (its checkpoints, which the
    ledger removes once the run folder is written)."""

    def __init__(self, path: str | os.PathLike[str] | None = None,
                 ledger: StageLedger | None = None) -> None:
        if ledger is not None:  # the stage checkpoints' folder, which the ledger removes
            self.path = ledger.stage_path
            self._finalizer: weakref.finalize | None = None
            return
        check_spark_dir(path)
        if path is None:
            self.path = scratch_folder("spark")
            self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, True)
        else:
            self.path = Path(path).absolute() / f"reuse-{os.getpid()}-{os.urandom(4).hex()}"
            self.path.mkdir(parents=True)
            self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, True)

    def __truediv__(self, name: str) -> str:
        return str(self.path / name)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


class SparkOutputs:
    """The outputs of the Spark stages in a work folder: each stage's DataFrames written as
    Parquet into the stage's folder, and read back from there by the next stages. With a stage
    ledger (:mod:`reuse.runfolder.checkpoints`), a stage is a checkpoint: :meth:`begin` says
    whether it still has to run (else its folder is read back, as a resumed run does), and
    :meth:`complete` records it once its files are written."""

    def __init__(self, spark: Any, work: WorkFolder, ledger: StageLedger | None = None) -> None:
        self.spark, self.work, self.ledger = spark, work, ledger
        self._values: dict[str, dict[str, Any]] = {}  # without a ledger

    def begin(self, stage: str) -> bool:
        """Whether ``stage`` runs: not when the ledger has it complete. Its folder is emptied
        first (what a run cut short in it wrote)."""
        if self.ledger is None:
            return True
        if self.ledger.done(stage):
            return False
        self.ledger.empty_folder(stage)
        return True

    def path(self, stage: str, name: str | None = None) -> str:
        """The folder of ``stage``'s output ``name`` (default: the stage's only output)."""
        return self.work / (stage if name is None else f"{stage}/{name}")

    def write(self, stage: str, frame: Any, name: str | None = None) -> None:
        frame.write.mode("overwrite").parquet(self.path(stage, name))

    def read(self, stage: str, name: str | None = None) -> Any:
        return self.spark.read.parquet(self.path(stage, name))

    def complete(self, stage: str, values: dict[str, Any] | None = None) -> None:
        """Record ``stage`` complete (with its ``values``, small counts) in the ledger."""
        if self.ledger is not None:
            self.ledger.complete(stage, values)
        elif values:
            self._values[stage] = values

    def values(self, stage: str) -> dict[str, Any]:
        """The values recorded with ``stage``."""
        return self.ledger.values(stage) if self.ledger is not None else self._values[stage]


def stage_corpus(corpus: Corpus, priority: np.ndarray, folder: str, parallelism: int) -> None:
    """Write the documents (``doc``: position, ``doc_id``, ``text`` as UTF-8, ``n_chars``,
    ``rank``: priority as representative) as Parquet files of consecutive documents, enough of
    them that every core of the cluster gets some."""
    schema = pa.schema([("doc", pa.int64()), ("doc_id", pa.string()), ("text", pa.binary()),
                        ("n_chars", pa.int64()), ("rank", pa.int64())])
    lengths = corpus.lengths
    total = int(lengths.sum())
    per_file = min(_FILE_CHARS, max(_MIN_FILE_CHARS, total // max(1, 4 * parallelism)))
    Path(folder).mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    written, files = 0, 0
    try:
        for lo, hi in char_batches(lengths, SKETCH_CHARS):
            if writer is None or written >= per_file:
                if writer is not None:
                    writer.close()
                writer = pq.ParquetWriter(Path(folder) / f"part-{files:05d}.parquet", schema)
                files, written = files + 1, 0
            texts = [text.encode("utf-8", "surrogatepass") for text in corpus.texts[lo:hi]]
            writer.write_batch(pa.RecordBatch.from_pydict({
                "doc": pa.array(np.arange(lo, hi), type=pa.int64()),
                "doc_id": pa.array(list(corpus.ids[lo:hi]), type=pa.string()),
                "text": pa.array(texts, type=pa.binary()),
                "n_chars": pa.array(lengths[lo:hi], type=pa.int64()),
                "rank": pa.array(priority[lo:hi], type=pa.int64()),
            }, schema=schema))
            written += int(lengths[lo:hi].sum())
        if writer is None:
            pq.write_table(schema.empty_table(), Path(folder) / "part-00000.parquet")
    finally:
        if writer is not None:
            writer.close()


@dataclass
class SparkStages:
    """The DataFrames of a Spark dedup that a Spark ``run`` goes on from."""

    spark: Any
    work: WorkFolder
    outputs: SparkOutputs
    documents: Any  # doc, doc_id, text, n_chars, rank
    sketches: Any  # doc, n_tokens, signature, bands, shingles, fp_hashes, fp_positions
    min_tokens: int


def sketch_stage(spark: Any, corpus: Corpus, plan: SparkPlan, outputs: SparkOutputs,
                 with_passages: bool) -> SparkStages:
    """Stage the corpus and sketch it (with passage fingerprints when ``with_passages``)."""
    config, timings, priority = plan.config, plan.timings, plan.priority
    with timings.stage("stage_input"):
        if outputs.begin("input"):
            stage_corpus(corpus, priority, outputs.path("input"),
                         spark.sparkContext.defaultParallelism)
            outputs.complete("input")
        documents = outputs.read("input")
    bands, rows = plan.bands
    settings = SketchSettings(config.tokenize.strip_diacritics, config.dedup.ngram,
                              config.dedup.num_perm, config.dedup.seed, bands, rows,
                              config.dedup.verify == "exact",
                              config.passages if with_passages else None)
    with timings.stage("sketch"):
        if outputs.begin("sketch"):
            outputs.write("sketch", documents.select("doc", "text")
                          .mapInArrow(sketcher(settings), SKETCH_SCHEMA))
            outputs.complete("sketch")
    sketches = outputs.read("sketch")
    return SparkStages(spark, outputs.work, outputs, documents, sketches,
                       config.dedup.effective_min_tokens)


def dedup_stages(stages: SparkStages, n_docs: int, plan: SparkPlan
                 ) -> tuple[dict[str, str], dict[str, int]]:
    """Candidates, verification, clusters and the tables of a dedup; returns the folder of
    each table's parts and the counts of the stages."""
    from pyspark.sql import functions as F

    config, timings = plan.config, plan.timings

    outputs, documents, sketches = stages.outputs, stages.documents, stages.sketches
    compared = F.col("n_tokens") >= stages.min_tokens
    ranks = documents.select("doc", "rank")
    with timings.stage("candidates"):
        if outputs.begin("candidates"):
            pairs, oversized = band_pairs(sketches.filter(compared).select("doc", "bands")
                                          .join(ranks, "doc"), config.dedup.max_bucket)
            outputs.write("candidates", pairs)
            outputs.complete("candidates", {"capped_buckets": oversized.count()})
        candidates = outputs.read("candidates")
        capped_buckets = outputs.values("candidates")["capped_buckets"]
    with timings.stage("verify"):
        exact = config.dedup.verify == "exact"
        columns = ["doc", "signature", *(["shingles"] if exact else [])]
        side = sketches.select(*columns)

        def renamed(prefix: str) -> Any:
            return side.select(*[F.col(c).alias(f"{prefix}_{c}" if c != "doc" else prefix)
                                 for c in columns])

        with_sketches = candidates.join(renamed("left"), "left").join(renamed("right"), "right")
        if outputs.begin("verify"):
            outputs.write("verify", with_sketches.mapInArrow(
                verifier(config.dedup.num_perm, config.dedup.threshold, exact), VERIFY_SCHEMA))
            outputs.complete("verify")
        verified = outputs.read("verify")
        n_verified = verified.count()
    with timings.stage("cluster"):
        if outputs.begin("cluster"):
            outputs.write("cluster", star_representatives(verified, ranks, n_verified))
            outputs.complete("cluster")
        stars = outputs.read("cluster")
        assigned = (documents.select("doc", "doc_id").join(stars, "doc", "left")
                    .withColumn("representative", F.coalesce("representative", "doc")))
        kept = assigned.filter(F.col("representative") == F.col("doc")).select("doc")
        cluster_numbers = numbered(kept, "doc", "cluster_id").withColumnRenamed(
            "doc", "representative")
        ids = documents.select(F.col("doc").alias("representative"),
                               F.col("doc_id").alias("representative_id"))
        clusters = (assigned.join(cluster_numbers, "representative").join(ids, "representative")
                    .withColumn("keep", F.col("representative") == F.col("doc")))
    tables = {name: outputs.path("tables", name) for name in
              ("documents", "near_duplicates", "clusters", "signatures")}
    with timings.stage("tables"):
        if outputs.begin("tables"):
            (documents.select("doc", "doc_id", "n_chars")
             .join(sketches.select("doc", "n_tokens"), "doc")
             .withColumn("status", F.when(compared, "compared").otherwise("too_short"))
             .orderBy("doc").select("doc_id", "n_chars", "n_tokens", "status")
             .write.mode("overwrite").parquet(tables["documents"]))
            left_ids = documents.select(F.col("doc").alias("left"),
                                        F.col("doc_id").alias("a_id"))
            right_ids = documents.select(F.col("doc").alias("right"),
                                         F.col("doc_id").alias("b_id"))
            (verified.join(left_ids, "left").join(right_ids, "right").orderBy("left", "right")
             .select("a_id", "b_id", "jaccard_estimate", "jaccard")
             .write.mode("overwrite").parquet(tables["near_duplicates"]))
            (clusters.orderBy("doc").select("doc_id", "cluster_id", "representative_id", "keep")
             .write.mode("overwrite").parquet(tables["clusters"]))
            (documents.select("doc", "doc_id").join(sketches.select("doc", "signature"), "doc")
             .orderBy("doc").select("doc_id", "signature")
             .write.mode("overwrite").parquet(tables["signatures"]))
            outputs.complete("tables")
    with timings.stage("counts"):
        n_compared = sketches.filter(compared).count()
        n_clusters = kept.count()
        counts = {
            "compared": n_compared,
            "too_short": n_docs - n_compared,
            "candidate_pairs": candidates.count(),
            "capped_buckets": capped_buckets,
            "near_duplicate_pairs": n_verified,
            "clusters": n_clusters,
            "dropped": n_docs - n_clusters,
        }
    return tables, counts


@dataclass(frozen=True)
class SparkPlan:
    """What the caller decided before the Spark stages run: the config, the LSH
    ``(bands, rows)``, each document's priority as representative, and the timings to add to."""

    config: Config
    bands: tuple[int, int]
    priority: np.ndarray
    timings: Any


@dataclass
class SparkTables:
    """What a Spark run leaves: the folder of each table's parts (in order), the counts of its
    stages, and its work folder (removed by :meth:`close`)."""

    tables: dict[str, str]
    counts: dict[str, int]
    work: WorkFolder

    def close(self) -> None:
        self.work.close()


def dedup(corpus: Corpus, plan: SparkPlan, *, spark: Any = None,
          spark_dir: str | os.PathLike[str] | None = None,
          ledger: StageLedger | None = None) -> SparkTables:
    """The near-duplicate tables of ``corpus`` (read and checked by the caller) on Spark:
    ``documents``, ``near_duplicates``, ``clusters`` and ``signatures``, as those of
    :func:`reuse.dedup`. With a stage ``ledger``, the stages are its checkpoints (in its stage
    folder, not under ``spark_dir``), those it has complete are read back, not run."""
    spark = spark_session(spark)
    work = WorkFolder(spark_dir, ledger)
    try:
        stages = sketch_stage(spark, corpus, plan, SparkOutputs(spark, work, ledger),
                              with_passages=False)
        tables, counts = dedup_stages(stages, len(corpus), plan)
    except BaseException:
        work.close()
        raise
    return SparkTables(tables, counts, work)
