"""The start of ``dedup`` and ``run``: read the corpus and sketch it (the sketching overlapping
the reading with several workers), with the ``sketch`` stage as a checkpoint when asked; or, on
Spark, start the session and read the corpus there."""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..candidates.lsh import SpilledBuckets, band_keys
from ..cluster.documents import representative_priority
from ..common.inputs import input_bytes
from ..config import Config, DedupConfig, PassageConfig
from ..engine.spill import DEFAULT_MEMORY_BUDGET, RowFile, Workspace
from ..errors import ConfigError
from ..ingest import Corpus, PartStage, read_corpus, read_in_parts
from ..runfolder import folder as runfolder
from ..runfolder.checkpoints import (
    StageLedger,
    check_resumable,
    remove_checkpoints,
    save_arrays,
    wait_for_flushes,
)
from ..sketch.feed import BATCH_CHARS, BatchFeed, expected_documents
from ..sketch.minhash import sketch_texts
from ..sketch.windows import SpilledFingerprints
from .sketching import (
    KEEP_SHINGLES_BYTES,
    SIGNATURES_FILE,
    Sketcher,
    Sketches,
    keeps_shingles,
    lsh_bands,
    sketch_corpus,
)
from .timings import Timings


def load_corpus(source: str | os.PathLike[str] | Corpus | Any, read: dict[str, Any], quiet: bool,
                workers: int = 1) -> Corpus:
    """The corpus of ``source``: a :class:`Corpus` as it is (checked), else what
    :func:`reuse.ingest.read_corpus` reads from it: a path, or documents in memory (a pandas
    DataFrame, a pyarrow Table, RecordBatchReader or Dataset, an iterable of dict records)."""
    if isinstance(source, Corpus):
        return source.check()
    return read_corpus(source, **read, quiet=quiet, workers=workers)


@dataclass(frozen=True)
class Checkpointing:
    """Where a run keeps its stage checkpoints: the run folder ``folder`` (its
    ``checkpoints/``, see :mod:`reuse.runfolder.checkpoints`), whether the run continues the
    killed run there (``resume``), and whether the checkpoints stay once the run is written
    (``keep``)."""

    folder: Path
    resume: bool = False
    keep: bool = False
    engine: str = "local"
    # The Spark engine's --spark-dir: its stages' files go into a stage root made there.
    stages_in: Path | None = None

    @classmethod
    def of(cls, checkpoint: str | os.PathLike[str] | None, resume: bool, keep: bool,
           owner: str, engine: str = "local",
           spark_dir: str | os.PathLike[str] | None = None) -> Checkpointing | None:
        """The checkpointing of a call of ``owner``; a resumed run's checkpoints are checked
        here (:func:`~reuse.runfolder.checkpoints.check_resumable`), before the input is
        read."""
        if checkpoint is None:
            if resume or keep:
                raise ConfigError(
                    f"The 'resume' and 'keep_checkpoints' parameters of {owner} need "
                    "'checkpoint': the run folder that holds the checkpoints.")
            return None
        if resume:
            check_resumable(checkpoint, owner, engine)
        if spark_dir is not None:
            from ..spark.dedup import check_spark_dir

            check_spark_dir(spark_dir)
        return cls(Path(checkpoint), bool(resume), bool(keep), engine,
                   Path(spark_dir) if spark_dir is not None else None)

    def open(self, command: str, corpus: Corpus, config: Config
             ) -> tuple[StageLedger, dict[str, Any]]:
        """The stage ledger of this run (new, or the killed run's checked against this one),
        and the input's fingerprints (for the manifest, which then need not compute them)."""
        fingerprints = _input_fingerprints(corpus)
        depends_on = {"input": fingerprints, "config": _recorded_config(config)}
        if self.resume:
            ledger = StageLedger.resume(self.folder, command, depends_on, self.engine)
        else:
            ledger = StageLedger.start(self.folder, command, depends_on, self.engine,
                                       self.stages_in)
        ledger.keep = self.keep
        return ledger, fingerprints

    def start_before_input(self, command: str, config: Config) -> StageLedger:
        """New checkpoints for a run whose input is still being read; :meth:`record_input`
        records the input once it is."""
        ledger = StageLedger.start(self.folder, command, {"config": _recorded_config(config)})
        ledger.keep = self.keep
        return ledger

    def record_input(self, ledger: StageLedger, corpus: Corpus) -> dict[str, Any]:
        """Record the input the checkpoints of ``ledger`` depend on; its fingerprints."""
        fingerprints = _input_fingerprints(corpus)
        ledger.record_input(fingerprints)
        return fingerprints


def _input_fingerprints(corpus: Corpus) -> dict[str, Any]:
    return {"fingerprint": "sha256:" + corpus.fingerprint(),
            "order_fingerprint": "sha256:" + corpus.order_fingerprint(),
            "documents": len(corpus)}


def _recorded_config(config: Config) -> dict[str, Any]:
    # As JSON reads it back: the ledger records it so.
    return json.loads(json.dumps(config.to_dict()))


@dataclass
class Started:
    """What the start of ``dedup`` and ``run`` gives the next stages."""

    corpus: Corpus
    sketches: Sketches
    ledger: StageLedger | None = None
    fingerprints: dict[str, Any] | None = None


def read_and_sketch(
    source: str | os.PathLike[str] | Corpus, read: dict[str, Any], config: Config,
    passage_config: PassageConfig | None, timings: Timings, owner: str, quiet: bool,
    workers: int = 1, memory_budget: int = DEFAULT_MEMORY_BUDGET,
    checkpointing: Checkpointing | None = None, keep_texts: bool = True,
) -> Started:
    """The start of ``dedup`` and ``run``: read the corpus (checking the date field) and sketch
    it, with the passage-window fingerprints when ``passage_config`` is given. The sketching of
    what was read overlaps the reading (:class:`BatchFeed`) with several workers, and with one
    when the input is sketched part by part as it is read (a plain JSONL file,
    :func:`reuse.ingest.read_in_parts`), except when a killed run is resumed or the corpus is
    in memory already. With ``checkpointing``, the sketches are the ``sketch`` checkpoint
    (restored when the killed run completed that stage). Without ``keep_texts``, texts sketched
    as they are read are not kept (see :func:`reuse.ingest.read_corpus`)."""
    # One process sketching from the store in a thread of its own while it reads costs more
    # than reading, then sketching: GIL contention.
    if (workers > 1 or read_in_parts(source)) and not isinstance(source, Corpus) and not (
            checkpointing is not None and checkpointing.resume):
        return _read_while_sketching(source, read, config, passage_config, timings, owner,
                                     quiet, workers, memory_budget, checkpointing, keep_texts)
    with timings.stage("ingest", own_bar=True):
        corpus = load_corpus(source, read, quiet, workers)
        check_date_field(corpus, config.date_field, owner)
    if checkpointing is None:
        with timings.stage("sketch", own_bar=True):
            sketches = sketch_corpus(corpus.texts, config.tokenize, config.dedup, passage_config,
                                     quiet, workers=workers, memory_budget=memory_budget)
        return Started(corpus, sketches)
    ledger, fingerprints = checkpointing.open(owner, corpus, config)
    with timings.stage("sketch", own_bar=True):
        if ledger.done("sketch"):
            sketches = _restored_sketches(ledger, config, passage_config is not None)
        else:
            sketches = _checkpointed_sketches(ledger, corpus, config, passage_config, quiet,
                                              workers, memory_budget)
    return Started(corpus, sketches, ledger, fingerprints)


def _checkpointed_sketches(
    ledger: StageLedger, corpus: Corpus, config: Config, passage_config: PassageConfig | None,
    quiet: bool, workers: int, memory_budget: int,
) -> Sketches:
    """Sketch the corpus into the ``sketch`` checkpoint: the signatures, the token counts and
    the passage-window fingerprints."""
    with ledger.writing("sketch") as folder:
        sketches = sketch_corpus(corpus.texts, config.tokenize, config.dedup, passage_config,
                                 quiet, workers=workers, memory_budget=memory_budget,
                                 directory=folder)
        _complete_sketch_checkpoint(ledger, folder, sketches)
    return sketches


def _complete_sketch_checkpoint(ledger: StageLedger, folder: Path, sketches: Sketches) -> None:
    """Save what the ``sketch`` checkpoint holds besides the files ``sketch_corpus`` wrote into
    ``folder`` (token counts, fingerprints), and record the stage complete."""
    spilled = sketches.fingerprints
    runs = None if spilled is None else spilled.filed_runs
    try:
        save_arrays(folder, n_tokens=sketches.n_tokens)
        if spilled is not None:
            save_arrays(folder, fingerprint_counts=spilled.counts)
        if runs is not None:
            save_arrays(folder, fingerprint_run_counts=runs[1])
    except BaseException:
        sketches.close()
        raise
    ledger.complete("sketch", {
        "fingerprint_files": None if spilled is None else [path.name for path in spilled.paths],
        "fingerprint_run_files": None if runs is None else [path.name for path in runs[0]],
    })


def _restored_sketches(ledger: StageLedger, config: Config, with_fingerprints: bool) -> Sketches:
    """The sketches of the ``sketch`` checkpoint: no band keys (the candidate pairs of
    :mod:`.near_duplicates` compute them again from the signatures if the candidates are not
    checkpointed), and the fingerprints only if the passage candidates are not."""
    values = ledger.values("sketch")
    (n_tokens,) = ledger.arrays("sketch", "n_tokens")
    signatures = RowFile(ledger.file("sketch", SIGNATURES_FILE), config.dedup.num_perm, np.uint32)
    signatures.n_rows = len(n_tokens)
    fingerprints = None
    if with_fingerprints and not ledger.done("passage_candidates"):
        (counts,) = ledger.arrays("sketch", "fingerprint_counts")
        runs = None
        if values.get("fingerprint_run_files") is not None:
            runs = ([ledger.file("sketch", name) for name in values["fingerprint_run_files"]],
                    ledger.arrays("sketch", "fingerprint_run_counts")[0])
        fingerprints = SpilledFingerprints.reopened(
            [ledger.file("sketch", name) for name in values["fingerprint_files"]], counts,
            runs)
    return Sketches(n_tokens, signatures, n_tokens >= config.dedup.effective_min_tokens,
                    fingerprints)


def rebuilt_buckets(sketches: Sketches, config: DedupConfig, memory_budget: int
                     ) -> SpilledBuckets:
    """The LSH band keys of the compared documents, from their signatures (a block at a time):
    what the sketching pass spilled, in the same order."""
    bands, rows = lsh_bands(config)
    n_docs = len(sketches.n_tokens)
    sketches.workspace = Workspace()
    buckets = SpilledBuckets(sketches.workspace, bands, rows, n_docs, memory_budget)
    for lo, block in sketches.signatures.blocks(_SIGNATURE_BLOCK_ROWS):
        compared = np.flatnonzero(sketches.compared[lo:lo + len(block)])
        buckets.add(band_keys(block, bands, rows)[:, compared], lo + compared)
    return buckets


# Signatures read at a time when the band keys are computed again (8 MB with 128 of them).
_SIGNATURE_BLOCK_ROWS = 1 << 14


def _read_while_sketching(
    source: str | os.PathLike[str] | Any, read: dict[str, Any], config: Config,
    passage_config: PassageConfig | None, timings: Timings, owner: str, quiet: bool,
    workers: int, memory_budget: int, checkpointing: Checkpointing | None,
    keep_texts: bool = True,
) -> Started:
    """:func:`read_and_sketch` with the sketching in a thread of its own fed by the reading:
    the workers sketch each batch as soon as it is written to the document store (on a
    terminal, the 'sketch' bar advances under the 'ingest' bar). 'ingest' times the reading
    (sketching meanwhile), 'sketch' what is left of the sketching after. With
    ``checkpointing`` (a new run), the sketches go straight into the ``sketch`` checkpoint,
    recorded complete once the input is read and its fingerprint known."""
    feed = BatchFeed(BATCH_CHARS)
    outcome: dict[str, Any] = {}
    ledger = directory = None
    if checkpointing is not None:
        ledger = checkpointing.start_before_input(owner, config)
        directory = ledger.empty_folder("sketch")
    sketcher = Sketcher(config.tokenize, config.dedup, passage_config,
                        memory_budget=memory_budget, directory=directory,
                        expected_documents=expected_documents(source),
                        keep_shingles=keeps_shingles(
                            config.dedup, input_bytes(source, KEEP_SHINGLES_BYTES + 1)))
    # A JSONL file read in parts by the workers is sketched by them too, part by part, and filed
    # here as each part is added (the feed then stays empty); other inputs go through the feed.
    part_stage = PartStage(functools.partial(sketch_texts, sketcher.template),
                           lambda first, batch: sketcher.add(batch.numbered_from(first)))

    def sketch() -> None:
        try:
            outcome["sketches"] = sketcher.sketch(feed, workers, quiet)
        except BaseException as exc:
            feed.error = exc

    thread = threading.Thread(target=sketch, name="reuse-sketch", daemon=True)
    thread.start()
    try:
        with timings.stage("ingest", own_bar=True):
            corpus = read_corpus(source, **read, quiet=quiet, on_flush=feed.flushed,
                                 workers=workers, part_stage=part_stage, keep_texts=keep_texts)
            check_date_field(corpus, config.date_field, owner)
    except BaseException:  # a bad input, or the sketching's own error (raised by the feed)
        feed.close(abandon=True)
        thread.join()
        if "sketches" in outcome:
            outcome["sketches"].close()
        if checkpointing is not None:  # nothing was recorded to resume from
            remove_checkpoints(checkpointing.folder)
        raise
    feed.close()
    with timings.stage("sketch", own_bar=True):
        thread.join()
    if feed.error is not None:
        corpus.close()
        if checkpointing is not None:
            remove_checkpoints(checkpointing.folder)
        raise feed.error
    sketches = outcome["sketches"]
    if checkpointing is None:
        return Started(corpus, sketches)
    assert ledger is not None and directory is not None  # made with the checkpointing above
    try:
        fingerprints = checkpointing.record_input(ledger, corpus)
    except BaseException:
        sketches.close()
        corpus.close()
        raise
    _complete_sketch_checkpoint(ledger, directory, sketches)
    return Started(corpus, sketches, ledger, fingerprints)


def check_date_field(corpus: Corpus, date_field: str | None, owner: str) -> None:
    """A date field named by the user must be in some document's metadata (a typo would
    silently leave every document undated)."""
    if date_field is None or corpus.has_field(date_field):
        return
    fields = sorted({key for meta in corpus.metadata for key in meta})
    raise ConfigError(
        f"The 'date_field' parameter of {owner} names {date_field!r}, which is in no document's "
        f"metadata. Fields present: {', '.join(map(repr, fields)) if fields else 'none'}."
    )


@contextmanager
def claimed_for_checkpoints(source: Any, checkpointing: Checkpointing | None
                             ) -> Iterator[None]:
    """Hold the run folder of the checkpoints (claimed, locked) while the stages run; the
    command line holds it already (a claim is re-entrant)."""
    if checkpointing is None:
        yield
        return
    runfolder.check_output_paths(source if isinstance(source, str | os.PathLike) else None,
                                 checkpointing.folder)
    with runfolder.claim(checkpointing.folder):
        try:
            yield
        finally:
            wait_for_flushes()  # a run that failed has its checkpoints recorded all the same


ENGINES = ("local", "spark")


def checked_engine(engine: str, owner: str) -> str:
    from ..common.validation import OneOf, check_parameter

    check_parameter("engine", engine, OneOf(ENGINES), owner)
    return engine


def spark_start(source: str | os.PathLike[str] | Corpus, read: dict[str, Any], config: Config,
                 spark_dir: str | os.PathLike[str] | None, quiet: bool, owner: str
                 ) -> tuple[Any, Corpus, list[object] | None, Any]:
    """The start of ``dedup`` and ``run`` on Spark: the Spark session, the corpus
    (read through Spark where Spark reads the input, else here), its dates and the plan of the
    Spark stages (which carries the timings)."""
    from ..spark.dedup import SparkPlan
    from ..spark.read import read_input
    from ..spark.session import spark_session

    timings = Timings(quiet=quiet)
    with timings.stage("spark_start"):  # before reading: a missing pyspark or Java fails at once
        spark = spark_session()
    with timings.stage("ingest", own_bar=True):
        corpus = read_input(spark, source, read, spark_dir) or load_corpus(source, read, quiet)
        check_date_field(corpus, config.date_field, owner)
    dates = corpus_dates(corpus, config)
    plan = SparkPlan(config, lsh_bands(config.dedup),
                     representative_priority(corpus.lengths, dates), timings)
    return spark, corpus, dates, plan


def corpus_dates(corpus: Corpus, config: Config) -> list[object] | None:
    """Each document's value of the date field (``config.date_field``, else ``date``), or None
    when no document has the field."""
    name = config.dates_from
    if not corpus.has_field(name):
        return None
    return [m.get(name) for m in corpus.metadata]
