"""Composes the stages: ingest → tokenize → shingle → sketch → candidates → cluster → report.

This is the Python API behind the CLI: :func:`dedup` returns pandas DataFrames, and
``reuse dedup`` only parses arguments, calls it, and writes the run folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import itertools
import json
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import __version__
from .candidates.lsh import SpilledBuckets, band_keys, optimal_bands, recall_bands
from .cluster.documents import Clusters, representative_priority, star_clusters
from .common.progress import progress, ticking
from .config import KEYWORDS, Config, DedupConfig, PassageConfig, TokenizeConfig
from .engine import ordered_map, resolve_workers, start_worker_server
from .engine.spill import DEFAULT_MEMORY_BUDGET, RowFile, Workspace, parse_memory_budget
from .errors import ConfigError, ReuseError, RunFolderError
from .ingest import (
    DEFAULT_MAX_DOC_CHARS,
    FINGERPRINT_COVERS,
    READ_OPTIONS,
    Corpus,
    check_fingerprint_scheme,
    check_read_options,
    decode_text,
    path_for_manifest,
    read_corpus,
    write_corpus,
)
from .ingest.store import TextColumn
from .runfolder import folder as runfolder
from .runfolder import tables
from .runfolder.checkpoints import (
    StageLedger,
    check_resumable,
    remove_checkpoints,
    save_arrays,
    save_frame,
)
from .sketch.feed import BATCH_CHARS, BatchFeed, batches, expected_documents
from .sketch.minhash import LEAN_MINHASH_SCHEME, SketchTask, StoredTexts, sketch_batch
from .sketch.windows import (
    Fingerprints,
    PassageCandidates,
    SpilledFingerprints,
    passage_candidates,
)
from .text.shingle import shingle_batch
from .text.tokenize import TokenBatch, tokenize_batch
from .verify import ShingleReader, ShingleStore, VerifyTask, pair_jaccard, verify_pairs

__all__ = ["DedupResult", "RunResult", "align_pairs", "batches", "dedup", "progress", "rerun",
           "run", "write_run"]

if TYPE_CHECKING:  # reuse.align.bands imports scipy.sparse.csgraph and the aligner: not for dedup
    from .align.bands import BandConfig, Boxes


class Timings(dict):
    """Seconds spent per stage, in the order the stages ran. A stage without a progress bar of
    its own shows its name and elapsed time on a terminal unless ``quiet``."""

    def __init__(self, *args: Any, quiet: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quiet = quiet

    @contextmanager
    def stage(self, name: str, own_bar: bool = False) -> Iterator[None]:
        start = time.perf_counter()
        try:
            with nullcontext() if own_bar else ticking(name, self.quiet):
                yield
        finally:
            self[name] = round(self.get(name, 0.0) + time.perf_counter() - start, 4)


@dataclass
class Sketches:
    """Per-document token counts, and on disk in a :class:`~reuse.engine.Workspace`: the
    MinHash signatures (a row file), the LSH band keys (a partitioned spill) and, with exact
    verification, each document's shingle hashes (see :class:`ShingleStore`);
    with a passage config, the passage fingerprints (a :class:`SpilledFingerprints`, or
    in memory)."""

    n_tokens: np.ndarray
    signatures: RowFile
    compared: np.ndarray  # bool: has at least min_tokens tokens
    fingerprints: Fingerprints | SpilledFingerprints | None = None
    shingles: ShingleStore | None = None
    buckets: SpilledBuckets | None = None
    workspace: Workspace | None = None
    # Restored from a checkpoint: the shingle hashes written by the run that was killed.
    shingles_reader: ShingleReader | None = None

    def shingle_reader(self) -> ShingleReader | None:
        """A reader of the shingle hashes (exact verification), else None."""
        if self.shingles is not None:
            return self.shingles.reader()
        return self.shingles_reader

    def close(self) -> None:
        """Remove the files (the signatures go with them)."""
        if self.shingles is not None:
            self.shingles.close()
        if self.workspace is not None:
            self.workspace.close()


def _sketch_tasks(ranges: Iterable[tuple[Any, int, int]], tokenize_config: TokenizeConfig,
                  config: DedupConfig, bands: int, rows: int,
                  passage_config: PassageConfig | None, packed: bool,
                  shingle_directory: str | None) -> Iterator[SketchTask]:
    def batch_texts(texts: Any, lo: int, hi: int) -> tuple[Any, np.ndarray | None]:
        if isinstance(texts, TextColumn):  # on disk: the worker reads its batch itself
            return StoredTexts(texts, lo, hi), None
        if not packed:
            return texts[lo:hi], None
        return SketchTask.pack(texts[lo:hi])

    for texts, lo, hi in ranges:
        yield SketchTask(*batch_texts(texts, lo, hi), lo,
                         tokenize_config.strip_diacritics, config.ngram,
                         config.num_perm, config.seed, bands, rows, shingle_directory,
                         passage_config)


def lsh_bands(config: DedupConfig) -> tuple[int, int]:
    """The LSH ``(bands, rows)`` of a dedup: favouring recall when pairs are verified exactly
    (see :func:`reuse.candidates.recall_bands`), else as datasketch picks them."""
    if config.verify == "exact":
        return recall_bands(float(config.threshold), config.num_perm)
    return optimal_bands(float(config.threshold), config.num_perm,
                         config.false_positive_weight, config.false_negative_weight)


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

    Signatures, band keys and (with ``config.verify == "exact"``) shingle hashes go to files in
    a new :class:`~reuse.engine.Workspace` as the batches come back; memory holds a few
    batches and a few numbers per document. With a ``passage_config``, the same pass also
    computes the passage-window fingerprints. With a ``feed`` (and ``texts`` None), the batches
    come from it while the corpus is being read (``expected_documents``: a guess at its size).
    The caller closes the result (:meth:`Sketches.close`). With a ``directory`` (a stage
    checkpoint's), the signatures (``signatures.u32``) and the shingle hashes are written there
    instead, and outlive the result.
    """
    bands, rows = lsh_bands(config)
    if feed is None:
        expected_documents = len(texts)
        ranges: Iterable[tuple[Any, int, int]] = (
            (texts, lo, hi) for lo, hi in batches(texts))
    else:
        ranges = feed
    workspace = Workspace()
    token_counts: list[np.ndarray] = []
    signatures = RowFile(directory / SIGNATURES_FILE if directory is not None
                         else workspace.file("signatures"), config.num_perm, np.uint32)
    buckets = SpilledBuckets(workspace, bands, rows, expected_documents or 1, memory_budget)
    store = None
    if config.verify == "exact":
        store = (ShingleStore(directory, keep_files=True) if directory is not None
                 else ShingleStore(workspace.path))
    min_tokens = config.effective_min_tokens
    fingerprints = None
    if passage_config is not None:
        fingerprints = SpilledFingerprints(directory if directory is not None else workspace,
                                           expected_documents or 1, memory_budget)
    try:
        with progress(len(texts) if feed is None else None, "sketch", quiet) as bar:
            tasks = _sketch_tasks(ranges, tokenize_config, config, bands, rows, passage_config,
                                  workers > 1, None if store is None else str(store.directory))
            for batch in ordered_map(sketch_batch, tasks, workers):
                lo, hi = batch.first, batch.first + len(batch.n_tokens)
                token_counts.append(batch.n_tokens)
                signatures.append(batch.signatures)
                compared = np.flatnonzero(batch.n_tokens >= min_tokens)
                buckets.add(batch.band_keys[:, compared], lo + compared)
                if store is not None and batch.shingles is not None:
                    store.add(*batch.shingles)
                if fingerprints is not None and batch.fingerprints is not None:
                    found = batch.fingerprints
                    fingerprints.add(found.take(batch.n_tokens[found.docs - lo] >= min_tokens),
                                     hi - lo)
                bar.update(hi - lo)
        signatures.finish()
    except BaseException:
        if store is not None:
            store.close()
        workspace.close()
        raise
    n_tokens = np.concatenate([*token_counts, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    buckets.n_docs = max(len(n_tokens), 1)
    compared = n_tokens >= min_tokens
    return Sketches(n_tokens, signatures, compared, fingerprints, store, buckets, workspace)


def exact_jaccard(
    texts: list[str], left: np.ndarray, right: np.ndarray, tokenize_config: TokenizeConfig,
    ngram: int,
) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair; only the documents in pairs are read.

    The pipeline does not call this: it keeps the shingles of its sketching pass and calls
    :func:`reuse.verify.pair_jaccard` on them. This tokenizes the documents of the pairs.
    """
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    involved, inverse = np.unique(np.concatenate((left, right)), return_inverse=True)
    involved_texts = [texts[i] for i in involved]
    with ShingleStore() as store:
        for lo, hi in batches(involved_texts):
            tokens = tokenize_batch(involved_texts[lo:hi], tokenize_config.strip_diacritics)
            store.append(*shingle_batch(tokens, ngram))
        return pair_jaccard(store, inverse[:len(left)], inverse[len(left):])


@dataclass(frozen=True)
class Signatures:
    """The MinHash signatures of a dedup, one row per document, in a file of the run's
    :class:`~reuse.engine.Workspace` (kept while this is referenced; removed with it)."""

    file: RowFile
    seed: int
    workspace: Workspace | None = None
    scheme: str = LEAN_MINHASH_SCHEME


@dataclass(repr=False)
class DedupResult:
    """The near-duplicate tables of a corpus, as pandas DataFrames, and the run's bookkeeping.

    ``options`` holds the keyword arguments of the call that made it, except the input and the
    read options (which the corpus records): what ``reuse rerun`` needs to repeat it.
    """

    corpus: Corpus
    config: Config
    documents: pd.DataFrame
    near_duplicates: pd.DataFrame
    clusters: pd.DataFrame
    counts: dict[str, int]
    timings: Timings = field(default_factory=Timings)
    candidate_pairs: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    # The signatures table's source, written by write_run (None: no table).
    signatures: Signatures | None = field(default=None, kw_only=True)
    # The stage checkpoints of the run (None: none), finished by write_run into their folder.
    checkpoints: StageLedger | None = field(default=None, kw_only=True)
    # The input's fingerprints, when the checkpoints computed them already.
    input_fingerprints: dict[str, Any] | None = field(default=None, kw_only=True)

    @property
    def skipped(self) -> pd.DataFrame:
        return self.corpus.skipped_frame()

    def keep_mask(self) -> list[bool]:
        return self.clusters["keep"].tolist()

    def table_data(self, name: str) -> Any:
        """Table ``name`` as the run folder writer takes it (here a DataFrame)."""
        return getattr(self, name)

    def close(self) -> None:
        """Remove the run's temporary files now (the signatures' workspace; else they go when
        the result is garbage-collected). The DataFrames stay usable; the signatures do not."""
        if self.signatures is not None and self.signatures.workspace is not None:
            self.signatures.workspace.close()

    def __repr__(self) -> str:
        # A summary, never the tables or the texts (a notebook prints the repr of a result).
        counts = ", ".join(f"{key}={value:,}" for key, value in self.counts.items())
        seconds = sum(self.timings.values())
        return f"<{type(self).__name__}: {counts}; {seconds:.2f} s>"


class StoredDedupResult(DedupResult):
    """A :class:`DedupResult` whose tables another engine (:mod:`reuse.spark`) wrote as
    Parquet parts: the DataFrames are read from them when first used, and the run folder
    writer streams the parts instead (a batch at a time). The parts are removed with the
    result, or by :meth:`close`."""

    def __init__(self, corpus: Corpus, config: Config, stored: Any, counts: dict[str, int],
                 timings: Timings, options: dict[str, Any]) -> None:
        from .spark.parts import PartSignatures

        self.corpus, self.config, self.counts, self.timings = corpus, config, counts, timings
        self.options = options
        self.candidate_pairs = counts["candidate_pairs"]
        self.stored = stored
        self._frames: dict[str, pd.DataFrame] = {}
        self.signatures = Signatures(
            PartSignatures(stored.tables["signatures"], len(corpus), config.dedup.num_perm),
            config.dedup.seed)

    def _frame(self, name: str) -> pd.DataFrame:
        from .runfolder.schema import arrow_schema
        from .spark.parts import frame

        if name not in self._frames:
            self._frames[name] = frame(self.stored.tables[name], arrow_schema(name))
        return self._frames[name]

    documents = property(lambda self: self._frame("documents"))  # type: ignore[assignment]
    near_duplicates = property(  # type: ignore[assignment]
        lambda self: self._frame("near_duplicates"))
    clusters = property(lambda self: self._frame("clusters"))  # type: ignore[assignment]

    def table_data(self, name: str) -> Any:
        from .runfolder.schema import arrow_schema
        from .spark.parts import batches as part_batches

        if name in self._frames:
            return self._frames[name]
        names = arrow_schema(name).names
        return (batch.select(names) for batch in part_batches(self.stored.tables[name]))

    def close(self) -> None:
        """Remove the parts the engine wrote (DataFrames read before stay usable)."""
        self.stored.close()


def _load(source: str | os.PathLike[str] | Corpus | Any, read: dict[str, Any], quiet: bool
          ) -> Corpus:
    """The corpus of ``source``: a :class:`Corpus` as it is (checked), else what
    :func:`reuse.ingest.read_corpus` reads from it: a path, or documents in memory (a pandas
    DataFrame, a pyarrow Table, RecordBatchReader or Dataset, an iterable of dict records)."""
    if isinstance(source, Corpus):
        return source.check()
    return read_corpus(source, **read, quiet=quiet)


# Keyword arguments that change how a run goes, never its tables: not in the manifest's options.
_NOT_RECORDED = ("quiet", "config", "workers", "memory_budget", "checkpoint", "resume",
                 "keep_checkpoints", "engine", "spark_dir")


def _arguments(function: Callable[..., Any], values: dict[str, Any], owner: str,
               corpus_run: bool = False) -> tuple[dict[str, Any], dict[str, Any], Config]:
    """The read options, the other options and the config of a call of ``function``, whose
    local variables are ``values`` (taken before any other is set).

    The config is ``values["config"]`` (default: :class:`Config`) with every keyword of
    :data:`reuse.config.KEYWORDS` that is not None written over it, and the aligner's
    command-dependent settings resolved (``corpus_run``: those of ``reuse run``); it is
    validated here, so that a bad value names ``owner`` and the keyword the user wrote. The
    options are every keyword-only parameter but those of ``_NOT_RECORDED``, the configured ones
    with the value they took: what ``reuse rerun`` passes again (with the config)."""
    names = [name for name, parameter in inspect.signature(function).parameters.items()
             if parameter.kind is parameter.KEYWORD_ONLY and name not in _NOT_RECORDED]
    read = {name: values[name] for name in names if name in READ_OPTIONS}
    read["encoding"] = check_read_options(
        read["on_error"], read["quoting"], read["max_doc_chars"], read["encoding"],
        read["metadata_file"], owner=owner)
    if read["metadata_file"] is not None:
        read["metadata_file"] = os.fspath(read["metadata_file"])
    config = values["config"]
    if config is None:
        config = Config()
    elif not isinstance(config, Config):
        raise ConfigError(f"The 'config' parameter of {owner} must be a reuse.Config or None. "
                          f"Got {config!r} instead.")
    keywords = {name: KEYWORDS[name] for name in names if name in KEYWORDS}
    config = config.with_changes({name: values[name] for name in keywords
                                  if values[name] is not None})
    config = dataclasses.replace(config, align=config.align.resolved(corpus_run))
    config.validate(owner, keywords)
    options = {name: _config_value(config, keywords[name][0]) if name in keywords
               else values[name] for name in names if name not in READ_OPTIONS}
    return read, options, config


def _config_value(config: Config, path: str) -> Any:
    """The value of ``config`` at a dotted ``path`` (``dedup.threshold``)."""
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


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
            from .spark.dedup import check_spark_dir

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
class _Started:
    """What the start of ``dedup`` and ``run`` gives the next stages."""

    corpus: Corpus
    sketches: Sketches
    ledger: StageLedger | None = None
    fingerprints: dict[str, Any] | None = None


def _read_and_sketch(
    source: str | os.PathLike[str] | Corpus, read: dict[str, Any], config: Config,
    passage_config: PassageConfig | None, timings: Timings, owner: str, quiet: bool,
    workers: int = 1, memory_budget: int = DEFAULT_MEMORY_BUDGET,
    checkpointing: Checkpointing | None = None,
) -> _Started:
    """The start of ``dedup`` and ``run``: read the corpus (checking the date field) and sketch
    it, with the passage-window fingerprints when ``passage_config`` is given. With several
    workers, the sketching of what was read overlaps the reading (:class:`BatchFeed`), except
    when a killed run is resumed. With ``checkpointing``, the sketches are the ``sketch``
    checkpoint (restored when the killed run completed that stage)."""
    if workers > 1 and not isinstance(source, Corpus) and not (
            checkpointing is not None and checkpointing.resume):
        return _read_while_sketching(source, read, config, passage_config, timings, owner,
                                     quiet, workers, memory_budget, checkpointing)
    with timings.stage("ingest", own_bar=True):
        corpus = _load(source, read, quiet)
        _check_date_field(corpus, config.date_field, owner)
    if checkpointing is None:
        with timings.stage("sketch", own_bar=True):
            sketches = sketch_corpus(corpus.texts, config.tokenize, config.dedup, passage_config,
                                     quiet, workers=workers, memory_budget=memory_budget)
        return _Started(corpus, sketches)
    ledger, fingerprints = checkpointing.open(owner, corpus, config)
    with timings.stage("sketch", own_bar=True):
        if ledger.done("sketch"):
            sketches = _restored_sketches(ledger, config, passage_config is not None)
        else:
            sketches = _checkpointed_sketches(ledger, corpus, config, passage_config, quiet,
                                              workers, memory_budget)
    return _Started(corpus, sketches, ledger, fingerprints)


SIGNATURES_FILE = "signatures.u32"


def _checkpointed_sketches(
    ledger: StageLedger, corpus: Corpus, config: Config, passage_config: PassageConfig | None,
    quiet: bool, workers: int, memory_budget: int,
) -> Sketches:
    """Sketch the corpus into the ``sketch`` checkpoint: the signatures, the token counts, the
    shingle hashes (exact verification) and the passage-window fingerprints."""
    with ledger.writing("sketch") as folder:
        sketches = sketch_corpus(corpus.texts, config.tokenize, config.dedup, passage_config,
                                 quiet, workers=workers, memory_budget=memory_budget,
                                 directory=folder)
        _complete_sketch_checkpoint(ledger, folder, sketches)
    return sketches


def _complete_sketch_checkpoint(ledger: StageLedger, folder: Path, sketches: Sketches) -> None:
    """Save what the ``sketch`` checkpoint holds besides the files ``sketch_corpus`` wrote into
    ``folder`` (token counts, fingerprints, where each document's shingle hashes are), and
    record the stage complete."""
    try:
        save_arrays(folder, n_tokens=sketches.n_tokens)
        if sketches.fingerprints is not None:
            save_arrays(folder, fingerprint_counts=sketches.fingerprints.counts)
        reader = sketches.shingle_reader()
        if reader is not None:
            save_arrays(folder, shingle_batches=reader.batches)
    except BaseException:
        sketches.close()
        raise
    # The shingle store's files are the checkpoint's: read through the reader from now on,
    # removed with the checkpoints.
    if sketches.shingles is not None:
        sketches.shingles.close()
    sketches.shingles, sketches.shingles_reader = None, reader
    spilled = sketches.fingerprints
    ledger.complete("sketch", {
        "fingerprint_files": None if spilled is None else [path.name for path in spilled.paths],
        "shingle_files": None if reader is None else list(reader.files),
        "shingle_offsets": None if reader is None else reader.offsets_path.name,
        "shingle_offset_count": None if reader is None else reader.n_offsets,
    })


def _restored_sketches(ledger: StageLedger, config: Config, with_fingerprints: bool) -> Sketches:
    """The sketches of the ``sketch`` checkpoint: no band keys (:func:`_candidate_pairs`
    computes them again from the signatures if the candidates are not checkpointed), and the
    fingerprints only if the passage candidates are not."""
    values = ledger.values("sketch")
    (n_tokens,) = ledger.arrays("sketch", "n_tokens")
    signatures = RowFile(ledger.file("sketch", SIGNATURES_FILE), config.dedup.num_perm, np.uint32)
    signatures.n_rows = len(n_tokens)
    fingerprints = None
    if with_fingerprints and not ledger.done("passage_candidates"):
        (counts,) = ledger.arrays("sketch", "fingerprint_counts")
        fingerprints = SpilledFingerprints.reopened(
            [ledger.file("sketch", name) for name in values["fingerprint_files"]], counts)
    reader = None
    if values.get("shingle_files") is not None:
        (shingle_batches,) = ledger.arrays("sketch", "shingle_batches")
        offsets = ledger.file("sketch", values["shingle_offsets"])
        reader = ShingleReader(offsets.parent, tuple(values["shingle_files"]), offsets,
                               int(values["shingle_offset_count"]), shingle_batches)
    return Sketches(n_tokens, signatures, n_tokens >= config.dedup.effective_min_tokens,
                    fingerprints, shingles_reader=reader)


def _rebuilt_buckets(sketches: Sketches, config: DedupConfig, memory_budget: int
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
) -> _Started:
    """:func:`_read_and_sketch` with the sketching in a thread of its own fed by the reading:
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

    def sketch() -> None:
        try:
            outcome["sketches"] = sketch_corpus(
                None, config.tokenize, config.dedup, passage_config, quiet, workers=workers,
                memory_budget=memory_budget, feed=feed,
                expected_documents=expected_documents(source), directory=directory)
        except BaseException as exc:
            feed.error = exc

    thread = threading.Thread(target=sketch, name="reuse-sketch", daemon=True)
    thread.start()
    try:
        with timings.stage("ingest", own_bar=True):
            corpus = read_corpus(source, **read, quiet=quiet, on_flush=feed.flushed)
            _check_date_field(corpus, config.date_field, owner)
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
        return _Started(corpus, sketches)
    assert ledger is not None and directory is not None  # made with the checkpointing above
    try:
        fingerprints = checkpointing.record_input(ledger, corpus)
    except BaseException:
        sketches.close()
        corpus.close()
        raise
    _complete_sketch_checkpoint(ledger, directory, sketches)
    return _Started(corpus, sketches, ledger, fingerprints)


def _check_date_field(corpus: Corpus, date_field: str | None, owner: str) -> None:
    """A date field named by the user must be in some document's metadata (a typo would
    silently leave every document undated)."""
    if date_field is None or any(date_field in meta for meta in corpus.metadata):
        return
    fields = sorted({key for meta in corpus.metadata for key in meta})
    raise ConfigError(
        f"The 'date_field' parameter of {owner} names {date_field!r}, which is in no document's "
        f"metadata. Fields present: {', '.join(map(repr, fields)) if fields else 'none'}."
    )


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
    """
    read, options, config = _arguments(dedup, locals(), "dedup")
    if _engine(engine, "dedup") == "spark":
        checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "dedup", engine,
                                         spark_dir)
        with _claimed_for_checkpoints(source, checkpointing):
            return _spark_dedup(source, read, options, config, spark_dir, quiet, checkpointing)
    n_workers = resolve_workers(workers, "dedup")
    start_worker_server(n_workers)
    budget = parse_memory_budget(memory_budget, "dedup")
    checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "dedup", engine)
    timings = Timings(quiet=quiet)
    with _claimed_for_checkpoints(source, checkpointing):
        started = _read_and_sketch(source, read, config, None, timings, "dedup", quiet,
                                   n_workers, budget, checkpointing)
        try:
            result = _near_duplicates(started, config, timings, n_workers, budget)
        except BaseException:
            started.sketches.close()
            raise
    result.options = options
    return result


@contextmanager
def _claimed_for_checkpoints(source: Any, checkpointing: Checkpointing | None
                             ) -> Iterator[None]:
    """Hold the run folder of the checkpoints (claimed, locked) while the stages run; the
    command line holds it already (a claim is re-entrant)."""
    if checkpointing is None:
        yield
        return
    runfolder.check_output_paths(source if isinstance(source, str | os.PathLike) else None,
                                 checkpointing.folder)
    with runfolder.claim(checkpointing.folder):
        yield


ENGINES = ("local", "spark")


def _engine(engine: str, owner: str) -> str:
    from .common.validation import OneOf, check_parameter

    check_parameter("engine", engine, OneOf(ENGINES), owner)
    return engine


def _spark_dedup(source: str | os.PathLike[str] | Corpus, read: dict[str, Any],
                 options: dict[str, Any], config: Config,
                 spark_dir: str | os.PathLike[str] | None, quiet: bool,
                 checkpointing: Checkpointing | None = None) -> StoredDedupResult:
    """:func:`dedup` on Spark (:mod:`reuse.spark`): a JSONL file or a folder of .txt files at any
    path Spark reads is read and checked by Spark (:mod:`reuse.spark.read`), other inputs here,
    as the local engine reads them; every stage after that runs on Spark (with
    ``checkpointing``, each a checkpoint)."""
    from .spark.dedup import dedup as spark_dedup

    spark, corpus, dates, plan = _spark_start(source, read, config, spark_dir, quiet, "dedup")
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


def _spark_start(source: str | os.PathLike[str] | Corpus, read: dict[str, Any], config: Config,
                 spark_dir: str | os.PathLike[str] | None, quiet: bool, owner: str
                 ) -> tuple[Any, Corpus, list[object] | None, Any]:
    """The start of :func:`_spark_dedup` and :func:`_spark_run`: the Spark session, the corpus
    (read through Spark where Spark reads the input, else here), its dates and the plan of the
    Spark stages (which carries the timings)."""
    from .spark.dedup import SparkPlan
    from .spark.read import read_input
    from .spark.session import spark_session

    timings = Timings(quiet=quiet)
    with timings.stage("spark_start"):  # before reading: a missing pyspark or Java fails at once
        spark = spark_session()
    with timings.stage("ingest", own_bar=True):
        corpus = read_input(spark, source, read, spark_dir) or _load(source, read, quiet)
        _check_date_field(corpus, config.date_field, owner)
    dates = _dates(corpus, config)
    plan = SparkPlan(config, lsh_bands(config.dedup),
                     representative_priority(corpus.lengths, dates), timings)
    return spark, corpus, dates, plan


def _spark_run(source: str | os.PathLike[str] | Corpus, read: dict[str, Any],
               options: dict[str, Any], config: Config,
               spark_dir: str | os.PathLike[str] | None, quiet: bool,
               checkpointing: Checkpointing | None = None) -> StoredRunResult:
    """:func:`run` on Spark: the stages of :func:`_spark_dedup`, then the passage candidates
    and their alignment on Spark (:mod:`reuse.spark.passages`); the passage clusters are made
    here, on the driver, from the ``alignments`` table, which is bounded by the output (it is
    one of the run's tables), as the local engine makes them."""
    from .spark.passages import run as spark_run

    spark, corpus, dates, plan = _spark_start(source, read, config, spark_dir, quiet, "run")
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
            result.passages = _passages_for(corpus, alignments, config)
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

    def chunks(self, pairs_per_chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self.spilled is not None:
            yield from self.spilled.chunks(pairs_per_chunk)
            return
        assert self.stored is not None
        for _, block in self.stored.blocks(pairs_per_chunk):
            yield block[:, 0].copy(), block[:, 1].copy()


def _candidate_pairs(sketches: Sketches, config: DedupConfig, priority: np.ndarray,
                     memory_budget: int, ledger: StageLedger | None) -> _CandidatePairs:
    """The candidate pairs of the LSH buckets, and with a ledger, the ``candidates``
    checkpoint (restored when the killed run completed it)."""
    if ledger is not None and ledger.done("candidates"):
        values = ledger.values("candidates")
        stored = RowFile(ledger.file("candidates", _PAIRS_FILE), 2, np.int64)
        stored.n_rows = int(values["candidate_pairs"])
        return _CandidatePairs(stored=stored, count=stored.n_rows,
                               capped_buckets=int(values["capped_buckets"]))
    buckets = sketches.buckets
    if buckets is None:  # restored sketches: the band keys again, from the signatures
        buckets = _rebuilt_buckets(sketches, config, memory_budget)
    spilled = buckets.pairs(priority)
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


def _verified_pairs(sketches: Sketches, pairs: _CandidatePairs, threshold: float, workers: int,
                    ledger: StageLedger | None) -> tuple[np.ndarray, ...]:
    """The candidate pairs that reach ``threshold`` (``left``, ``right``, the MinHash estimate
    and the exact Jaccard), verified in ``workers`` processes; with a ledger, the ``verify``
    checkpoint."""
    names = ("left", "right", "estimate", "exact")
    if ledger is not None and ledger.done("verify"):
        return tuple(ledger.arrays("verify", *names))
    reader = sketches.shingle_reader()
    tasks = (VerifyTask(sketches.signatures, reader, left, right, threshold)
             for left, right in pairs.chunks(_VERIFY_PAIRS_PER_TASK))
    verified = list(ordered_map(verify_pairs, tasks, workers))
    if sketches.shingles is not None:
        sketches.shingles.close()
        sketches.shingles = None
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


def _near_duplicates(
    started: _Started, config: Config, timings: Timings, workers: int = 1,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> DedupResult:
    """Candidate pairs from the spilled LSH buckets, verified in ``workers`` processes, then
    clustered; with a ledger, each of the three stages is a checkpoint. Memory: a few int64
    per document (lengths, priority, token counts), one spill partition at a time, a few
    verification chunks, and the accepted pairs."""
    corpus, sketches, ledger = started.corpus, started.sketches, started.ledger
    threshold = config.dedup.threshold
    lengths = corpus.lengths
    dates = _dates(corpus, config)
    priority = representative_priority(lengths, dates)
    with timings.stage("candidates"):
        pairs = _candidate_pairs(sketches, config.dedup, priority, memory_budget, ledger)
    with timings.stage("verify"):
        left, right, estimate, exact = _verified_pairs(sketches, pairs, threshold, workers,
                                                       ledger)
    with timings.stage("cluster"):
        clusters = _clusters(len(corpus), left, right, priority, ledger)

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
        # Two shared strings, referenced per row (np.where would make one string per row).
        "status": np.array(["too_short", "compared"], dtype=object)[sketches.compared.astype(
            np.intp)],
    })
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
    return DedupResult(
        corpus, config, documents, near_duplicates, cluster_frame, counts, timings,
        pairs.count,
        signatures=Signatures(sketches.signatures, config.dedup.seed, sketches.workspace),
        checkpoints=ledger, input_fingerprints=started.fingerprints,
    )


def input_counts(corpus: Corpus, dates: list[object] | None) -> dict[str, int]:
    """The counts about reading that only some runs have: documents decoded with the fallback
    (``encoding="auto"``), the metadata file's rows, and documents with a parseable date."""
    from .cluster.documents import parse_dates

    counts = {}
    if corpus.encoding == "auto":
        counts["decoded_with_fallback"] = len(corpus.decoded_with_fallback)
    if corpus.metadata_file is not None:
        counts["metadata_rows"] = corpus.metadata_rows
        counts["metadata_unmatched"] = len(corpus.metadata_unmatched)
        counts["no_metadata"] = corpus.no_metadata
    if dates is not None:
        counts["dated_documents"] = int(parse_dates(dates).notna().sum())
    return counts


def write_run(
    result: DedupResult,
    out: str | os.PathLike[str],
    *,
    fmt: str = "parquet",
    source: str | os.PathLike[str] | None = None,
    write_kept: str | os.PathLike[str] | None = None,
    command: str = "dedup",
    report_options: dict[str, Any] | None = None,
) -> Path:
    """Write a result as a run folder (tables first, ``manifest.json`` last).

    ``source`` is the input path recorded in the manifest (default: the path the corpus was
    read from, if any). ``out`` must be a new or empty folder or a run folder of reuse's (see
    :mod:`reuse.runfolder.folder`); its earlier run's outputs are removed first, and no other file in
    it is touched. An error
    while writing leaves the folder without a manifest, and an OSError (a full disk) is a
    RunFolderError naming the file. ``report_options`` (``render``, ``group_by``,
    ``max_matrix_docs``) says which report the caller renders next, for ``reuse rerun``.

    The result's stage checkpoints, when they are in ``out``, are removed once the manifest is
    written (kept, marked finished, if the run was asked to keep them); checkpoints of another
    run in ``out`` (a killed one, replaced by this result) are removed first.
    """
    tables.check_format(fmt)
    if source is None:
        source = result.corpus.source
    runfolder.check_output_paths(source, out, write_kept)
    with runfolder.claim(out) as folder:
        folder.clear()
        ledger = result.checkpoints
        own_checkpoints = ledger is not None and _same_folder(ledger.run_folder, folder.path)
        if not own_checkpoints:  # a killed run's, which this run replaces
            remove_checkpoints(folder.path)
        written = {}
        try:
            with result.timings.stage("write"):
                frames = {
                    "documents": result.table_data("documents"),
                    "near_duplicates": result.table_data("near_duplicates"),
                    "clusters": result.table_data("clusters"),
                    # record batches: millions of skipped records are never one frame
                    "skipped": result.corpus.skipped.batches(),
                }
                if isinstance(result, RunResult):
                    frames["alignments"] = result.table_data("alignments")
                    frames["passages"] = result.table_data("passages")
                for name, frame in frames.items():
                    written[name] = tables.write_table(folder.path, name, frame, fmt)
                if result.signatures is not None:
                    written["signatures"] = runfolder.write_signatures(
                        folder.path, result.corpus.ids, result.signatures.file)
                if write_kept is not None:
                    result.counts["kept_written"] = write_corpus(
                        result.corpus, result.keep_mask(), write_kept
                    )
            body = manifest_body(result, source, written, command, write_kept=write_kept,
                                 fmt=fmt, report_options=report_options)
            if result.signatures is not None:
                body["signatures"] = {"scheme": result.signatures.scheme,
                                      "seed": result.signatures.seed,
                                      "num_perm": result.signatures.file.width}
            tables.write_manifest(folder.path, body)
        except OSError as exc:
            where = exc.filename or folder.path
            raise runfolder.write_error(where, exc) from exc
        if own_checkpoints:
            assert ledger is not None
            ledger.finish(ledger.keep)
    return folder.path


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# Ids listed in the manifest's input block (all of them are counted).
MANIFEST_IDS = 1000


def manifest_body(
    result: DedupResult, source: Any, written: dict[str, str], command: str, *,
    write_kept: str | os.PathLike[str] | None = None, fmt: str = "parquet",
    report_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a run. ``report`` is null until a report is written into the folder;
    ``write_kept`` is the real path the kept documents were written to, so that the next run
    into the same folder may replace them. ``options`` holds what ``reuse rerun`` needs besides
    the input block: the call's other keyword arguments, the table format and the report's
    options."""
    return {
        "reuse_version": __version__,
        "command": command,
        "config": {
            **result.config.to_dict(),
            **({"align": dataclasses.asdict(result.align_config)}
               if getattr(result, "align_config", None) is not None else {}),
        },
        "options": {**result.options, "format": fmt, "report": report_options},
        "input": input_for_manifest(result, source),
        "counts": result.counts,
        "timings": dict(result.timings),
        "tables": written,
        **_checkpoints_for_manifest(result.checkpoints),
        **_kept_for_manifest(write_kept),
        "report": None,
    }


def input_for_manifest(result: DedupResult, source: Any) -> dict[str, Any]:
    """The manifest's input block: where the input is (an absolute path), how it was read, and
    its fingerprint (and what the fingerprint covers)."""
    corpus = result.corpus
    spec: dict[str, Any] = (
        {"path": None} if source is None else path_for_manifest(os.path.abspath(source)))
    spec.update({
        "format": corpus.input_format,
        "id_field": corpus.id_field,
        "text_field": corpus.text_field,
        "quoting": corpus.quoting,
        "max_doc_chars": corpus.max_doc_chars,
        "encoding": corpus.encoding,
        "on_error": corpus.on_error,
    })
    if spec["max_doc_chars"] is None:  # a corpus built in Python: no limit was applied
        del spec["max_doc_chars"]
    if corpus.metadata_file is not None:
        spec.update(path_for_manifest(os.path.abspath(corpus.metadata_file), "metadata_file"))
    pairs_file = getattr(result, "pairs_file", None)
    if pairs_file is not None:
        spec.update(path_for_manifest(pairs_file["path"], "pairs_file"))
        spec["pairs_fingerprint"] = pairs_file["fingerprint"]
    if corpus.decoded_with_fallback:
        spec["decoded_with_fallback"] = corpus.decoded_with_fallback[:MANIFEST_IDS]
    if corpus.metadata_unmatched:
        spec["metadata_unmatched"] = corpus.metadata_unmatched[:MANIFEST_IDS]
    known = result.input_fingerprints or {}
    spec["fingerprint"] = known.get("fingerprint") or "sha256:" + corpus.fingerprint()
    spec["order_fingerprint"] = (known.get("order_fingerprint")
                                 or "sha256:" + corpus.order_fingerprint())
    spec["fingerprint_covers"] = FINGERPRINT_COVERS
    return spec


def _checkpoints_for_manifest(ledger: StageLedger | None) -> dict[str, Any]:
    """``checkpoints``: whether the run was resumed (after which stage, and with how many units
    of a stage in progress: ``resumed_parts``) and whether its checkpoints were kept; absent for
    a run without checkpoints."""
    if ledger is None:
        return {}
    block: dict[str, Any] = {"resumed_after": ledger.resumed_after, "kept": ledger.keep}
    if ledger.resumed_parts:
        block["resumed_parts"] = ledger.resumed_parts
    return {"checkpoints": block}


def _kept_for_manifest(write_kept: str | os.PathLike[str] | None) -> dict[str, str | None]:
    """``write_kept``: the real path of the kept documents, spelt as the input path is (see
    :func:`reuse.ingest.path_for_manifest`), with ``write_kept_bytes`` when that spelling is not
    the name's bytes."""
    if write_kept is None:
        return {"write_kept": None}
    fields = path_for_manifest(os.path.realpath(write_kept))
    kept = {"write_kept": fields["path"]}
    if "path_bytes" in fields:
        kept["write_kept_bytes"] = fields["path_bytes"]
    return kept


@dataclass(repr=False)
class RunResult(DedupResult):
    """Near-duplicates plus passage reuse: alignments and passage clusters."""

    alignments: pd.DataFrame = field(default_factory=pd.DataFrame)
    passages: pd.DataFrame = field(default_factory=pd.DataFrame)
    align_config: Any = None
    # Pairs mode: the pairs file (absolute path) and the SHA-256 of its bytes.
    pairs_file: dict[str, str] | None = None


class StoredRunResult(StoredDedupResult, RunResult):
    """A :class:`RunResult` whose tables another engine (:mod:`reuse.spark`) wrote as Parquet
    parts (see :class:`StoredDedupResult`); ``alignments`` is read from them when first used,
    and ``passages`` is set by the caller."""

    def __init__(self, corpus: Corpus, config: Config, stored: Any, counts: dict[str, int],
                 timings: Timings, options: dict[str, Any]) -> None:
        super().__init__(corpus, config, stored, counts, timings, options)
        self.passages = pd.DataFrame()
        self.align_config = config.align
        self.pairs_file = None

    alignments = property(lambda self: self._frame("alignments"))  # type: ignore[assignment]

    def table_data(self, name: str) -> Any:
        if name == "passages":
            return self.passages
        return super().table_data(name)


def _dates(corpus: Corpus, config: Config) -> list[object] | None:
    """Each document's value of the date field (``config.date_field``, else ``date``), or None
    when no document has the field."""
    name = config.dates_from
    if not any(name in m for m in corpus.metadata):
        return None
    return [m.get(name) for m in corpus.metadata]


def align_documents(
    corpus: Corpus,
    left: np.ndarray,
    right: np.ndarray,
    align_config: Any,
    tokenize_config: TokenizeConfig,
    quiet: bool = True,
    paraphrase_skipped: list[int] | None = None,
    candidates: PassageCandidates | None = None,
    seed_length: int = PassageConfig.ngram,
    band_config: BandConfig | None = None,
    workers: int = 1,
    parts: _AlignParts | None = None,
) -> pd.DataFrame:
    """Align each document pair ``(left[k], right[k])``; returns the ``alignments`` table.
    The pairs ``k`` left without paraphrase seeds (see :func:`reuse.align.aligner.align_token_batch`)
    are appended to ``paraphrase_skipped``, when given.

    With ``candidates`` (whose pairs are ``left``/``right``), only the seed bands are aligned
    (see :mod:`reuse.align.bands`): each band's token box is cut out of both documents, aligned, and
    the alignments' offsets are shifted back. A passage that reaches the edge of its box may
    go on beyond it, so its box is widened on that side and aligned again, until the passage
    ends inside the box or the box reaches the document's end. Consecutive passages of a box
    that continue each other across a rewritten gap are joined (see
    :func:`reuse.align.bands.merge_along_bands`). Pairs whose seeds form no band are not aligned.
    Without ``candidates`` (pairs mode), each pair is aligned whole, and nothing is joined.

    The boxes are aligned in chunks of about ``_ALIGN_BATCH_TOKENS`` tokens, each chunk (with
    its widenings) a task of :func:`reuse.engine.ordered_map` in ``workers`` processes carrying
    the texts of its documents only; the chunks' alignments are merged in the order the boxes
    would be aligned one round of widening at a time, so the table is the same for any number
    of workers. The progress bar counts tokens aligned and moves after every chunk. With
    ``parts`` (a run's checkpoints), the chunks aligned by a killed run are read back instead
    of aligned again, and each chunk aligned now is handed to ``parts`` to keep.
    """
    from .align.alignment import alignments_frame
    from .align.bands import BandConfig, Boxes, band_windows, seed_bands

    def _position(al: Any) -> tuple[int, int, int, int]:
        return al.a_start, al.b_start, al.a_end, al.b_end

    # What the caller left unset takes the values of its mode (bands: the corpus run's).
    align_config = align_config.resolved(corpus_run=candidates is not None)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if candidates is None:
        whole = np.full(len(left), _WHOLE, dtype=np.int64)
        zero = np.zeros(len(left), dtype=np.int64)
        boxes = Boxes(np.arange(len(left), dtype=np.int64), zero, whole, zero, whole)
    else:
        band_config = band_config or BandConfig()
        bands = seed_bands(candidates.seed_pair, candidates.seed_a, candidates.seed_b,
                           seed_length, band_config)
        boxes = band_windows(bands, np.full(len(left), _WHOLE, dtype=np.int64),
                             np.full(len(left), _WHOLE, dtype=np.int64), band_config.margin)
    doc_chars = corpus.lengths
    a_docs, b_docs = left[boxes.pair], right[boxes.pair]
    costs = _box_costs(boxes, a_docs, b_docs, doc_chars)
    settings = _AlignSettings(align_config, tokenize_config.strip_diacritics, band_config)

    chunks = list(_align_batches(costs))
    workers = _useful_workers(workers, costs, chunks)
    # Worker processes read their chunks' documents from disk: a chunk of boxes may touch
    # hundreds of documents, and a pipe would carry them for every chunk. A corpus read from
    # files is in its document store already; one built in Python is written to a text file.
    stored = isinstance(corpus.texts, TextColumn)
    text_file = _TextFile(corpus.texts) if workers > 1 and not stored else None

    earlier = parts.resume(len(chunks)) if parts is not None else []

    def tasks() -> Iterator[_AlignChunk]:
        for lo, hi in chunks[len(earlier):]:
            index = np.arange(lo, hi)
            a_part, b_part = a_docs[lo:hi], b_docs[lo:hi]
            texts = _chunk_texts(corpus.texts, doc_chars, np.concatenate((a_part, b_part)),
                                 text_file)
            yield _AlignChunk(boxes.take(index), a_part, b_part, index, texts, settings)

    entries: list[tuple[int, int, int, list[Any]]] = []
    skipped: set[int] = set()
    widened: set[int] = set()
    try:
        with progress(int(costs.sum()), "align", quiet, unit="token") as bar:
            aligned = ordered_map(_align_chunk, tasks(), workers, initializer=_start_token_cache)
            for number, done in enumerate(itertools.chain(earlier, aligned)):
                entries.extend(done.entries)
                skipped.update(done.skipped)
                widened.update(done.widened)
                bar.total += done.widened_cost
                bar.update(done.cost)
                if parts is not None and number >= len(earlier):
                    parts.add(done)
    finally:
        if text_file is not None:
            text_file.remove()
    _start_token_cache()  # with one worker the cache was this process's: free it
    # As if every box were aligned one round of widening at a time, in the boxes' order.
    entries.sort(key=lambda entry: entry[:2])
    found: dict[int, list[Any]] = {}
    for _, _, pair, pair_alignments in entries:
        found.setdefault(pair, []).extend(pair_alignments)
    if paraphrase_skipped is not None:
        paraphrase_skipped.extend(sorted(skipped))
    rows = []
    for pair in sorted(found):
        pair_alignments = found[pair]
        if pair in widened:
            pair_alignments = _outermost(pair_alignments)
        pair_alignments = sorted(pair_alignments, key=_position)
        a_id, b_id = corpus.ids[int(left[pair])], corpus.ids[int(right[pair])]
        rows.extend((a_id, b_id, alignment) for alignment in pair_alignments)
    return alignments_frame(rows)


class _AlignParts:
    """The chunks of a run's align stage aligned so far, kept in its checkpoints
    (:meth:`reuse.runfolder.checkpoints.StageLedger.add_part`) every ``_ALIGN_PART_SECONDS``, so
    that a run killed in the middle of the stage resumes after the last chunks kept. A chunk's
    result depends only on its boxes, which the ``passage_candidates`` checkpoint fixes."""

    def __init__(self, ledger: StageLedger) -> None:
        self.ledger = ledger
        self.pending: list[_AlignedChunk] = []
        self.kept = 0
        self.chunks = 0
        self.flushed = time.monotonic()

    def resume(self, chunks: int) -> list[_AlignedChunk]:
        """The chunks aligned by the killed run (none if it cut the stage into other chunks)."""
        self.chunks = chunks
        earlier: list[_AlignedChunk] = []
        for part in self.ledger.parts("align", chunks):
            earlier.extend(pickle.loads(part.read_bytes()))
        self.kept = len(earlier)
        return earlier

    def add(self, chunk: _AlignedChunk) -> None:
        self.pending.append(chunk)
        if time.monotonic() - self.flushed >= _ALIGN_PART_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        data = pickle.dumps(self.pending, protocol=pickle.HIGHEST_PROTOCOL)
        self.kept += len(self.pending)
        self.ledger.add_part("align", data, self.kept, self.chunks)
        self.pending = []
        self.flushed = time.monotonic()


# Seconds of alignment between two parts kept by a checkpointed run (a killed run loses at most
# about this much of its align stage).
_ALIGN_PART_SECONDS = float(os.environ.get("REUSE_TEST_ALIGN_PART_SECONDS", 10.0))

# A box's end meaning "to the end of the document".
_WHOLE = np.iinfo(np.int64).max // 4
# Token boxes aligned together, at most, and their tokens: small enough that the progress bar
# moves every second or so, large enough that a batch's numpy passes are shared by many boxes.
_ALIGN_BATCH_PAIRS = 256
_ALIGN_BATCH_TOKENS = 400_000
# How often a box whose passage reaches its edge is widened and aligned again; the last time,
# the box reaches the documents' ends on that side.
_MAX_WIDENINGS = 4
# A passage ending this close (in tokens) to a box's inner edge may go on beyond it.
_EDGE_TOKENS = 8
# A box reaches a document's end when it is nearer than this share of the box's length.
_SNAP_SHARE = 8
# Tokens to align per worker process, at least (about two seconds of one core's work).
_TOKENS_PER_WORKER = 4_000_000
# Tokenized documents kept for the next boxes, in tokens (24 bytes each), per process.
_CACHED_TOKENS = 8_000_000


def _useful_workers(workers: int, costs: np.ndarray, chunks: list[tuple[int, int]]) -> int:
    """At most ``workers``, no more than the chunks, and one per ``_TOKENS_PER_WORKER``
    tokens to align: starting the worker processes takes a second or more (a fork server that
    imports the stages), which a small alignment would not win back."""
    return max(1, min(workers, len(chunks), int(costs.sum()) // _TOKENS_PER_WORKER + 1))


class _TextFile:
    """The corpus's texts one after another in a temporary file (UTF-8, lone surrogates
    kept), and where each begins, for worker processes to read their chunks' documents from."""

    def __init__(self, texts: list[str]) -> None:
        import tempfile

        self.bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        with tempfile.NamedTemporaryFile("wb", prefix="reuse-texts-", delete=False) as handle:
            self.path = handle.name
            for k, text in enumerate(texts):
                self.bounds[k + 1] = self.bounds[k] + handle.write(
                    text.encode("utf-8", "surrogatepass"))

    def remove(self) -> None:
        Path(self.path).unlink(missing_ok=True)


@dataclass(frozen=True)
class _ChunkTexts:
    """The texts of a chunk's documents (by corpus position): ``chars`` of each, and the
    texts themselves (``given``), the corpus's stored texts (``column``, which a worker
    process receives as a handle to the document store), or their byte ranges in a
    :class:`_TextFile`."""

    chars: dict[int, int]
    given: dict[int, str] | None = None
    column: TextColumn | None = None
    path: str = ""
    spans: dict[int, tuple[int, int]] | None = None

    def __getitem__(self, doc: int) -> str:
        if self.given is not None:
            return self.given[doc]
        if self.column is not None:
            return self.column[doc]
        assert self.spans is not None
        start, end = self.spans[doc]
        return _mapped(self.path)[start:end].decode("utf-8", "surrogatepass")


_MAPPED: dict[str, Any] = {}


def _mapped(path: str) -> Any:
    """The text file at ``path``, mapped into memory once per process."""
    if path not in _MAPPED:
        import mmap

        with open(path, "rb") as handle:
            _MAPPED[path] = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if (
                os.fstat(handle.fileno()).st_size) else b""
    return _MAPPED[path]


def _chunk_texts(texts: Sequence[str], lengths: np.ndarray, docs: np.ndarray,
                 text_file: _TextFile | None) -> _ChunkTexts:
    """The texts of the documents ``docs`` (corpus positions) that a chunk of boxes reads:
    the stored texts themselves (read where the chunk is aligned), the texts, or with a
    ``text_file``, where they are in it. ``lengths``: every text's length in characters."""
    unique = list(dict.fromkeys(docs.tolist()))
    chars = {d: int(lengths[d]) for d in unique}
    if isinstance(texts, TextColumn):
        return _ChunkTexts(chars, column=texts)
    if text_file is None:
        return _ChunkTexts(chars, given={d: texts[d] for d in unique})
    bounds = text_file.bounds
    return _ChunkTexts(chars, path=text_file.path,
                       spans={d: (int(bounds[d]), int(bounds[d + 1])) for d in unique})


@dataclass(frozen=True)
class _AlignSettings:
    align_config: Any
    strip_diacritics: bool
    band_config: BandConfig | None


@dataclass(frozen=True)
class _AlignChunk:
    """One task of :func:`align_documents`: consecutive boxes, each box's documents, each
    box's position among all boxes (its order), and the texts of those documents only."""

    boxes: Boxes
    a_docs: np.ndarray
    b_docs: np.ndarray
    order: np.ndarray
    texts: _ChunkTexts
    settings: _AlignSettings


@dataclass
class _AlignedChunk:
    """What a chunk found: ``(round, order, pair, alignment rows)`` per box that was not widened
    again, the pairs left without paraphrase seeds, the pairs with a widened box, and the
    tokens aligned (``cost``, of which ``widened_cost`` in widened boxes)."""

    entries: list[tuple[int, int, int, list[Any]]] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)
    widened: set[int] = field(default_factory=set)
    cost: int = 0
    widened_cost: int = 0


def _align_chunk(chunk: _AlignChunk) -> _AlignedChunk:
    """Align a chunk's boxes, widen those whose passages reach an inner edge and align them
    again (in batches of ``_ALIGN_BATCH_TOKENS``), up to ``_MAX_WIDENINGS`` times."""
    from .align.alignment import alignment_row
    from .align.bands import Boxes

    settings = chunk.settings
    cache = _token_cache(settings.strip_diacritics)
    done = _AlignedChunk()
    boxes, a_docs, b_docs, order = chunk.boxes, chunk.a_docs, chunk.b_docs, chunk.order
    chars = np.vectorize(chunk.texts.chars.__getitem__, otypes=[np.int64])
    for round_number in range(_MAX_WIDENINGS + 1):
        if not len(boxes):
            break
        costs = _box_costs(boxes, a_docs, b_docs, chars)
        done.cost += int(costs.sum())
        if round_number:
            done.widened.update(boxes.pair.tolist())
            done.widened_cost += int(costs.sum())
        retry: list[np.ndarray] = []
        wider: list[Boxes] = []
        for lo, hi in _align_batches(costs):
            index = np.arange(lo, hi)
            found, cut, again, part_skipped = _align_boxes(
                cache, boxes.take(index), a_docs[lo:hi], b_docs[lo:hi], settings.align_config,
                chunk.texts, round_number, settings.band_config)
            done.entries.extend((round_number, int(order[lo + k]), pair,
                                 [alignment_row(al) for al in alignments])
                                for k, pair, alignments in found)
            done.skipped.update(part_skipped)
            retry.append(lo + cut)
            wider.append(again)
        again_index = np.concatenate(retry)
        boxes = Boxes.concat(wider)
        a_docs, b_docs, order = a_docs[again_index], b_docs[again_index], order[again_index]
    return done


_TOKEN_CACHE: dict[str, _DocumentTokens] = {}


def _start_token_cache() -> None:
    """An empty token cache for this process (a worker's, or this one's with one worker), and
    no text file mapped."""
    _TOKEN_CACHE.clear()
    _MAPPED.clear()


def _token_cache(strip_diacritics: bool) -> _DocumentTokens:
    key = f"strip_diacritics={strip_diacritics}"
    if key not in _TOKEN_CACHE:
        _TOKEN_CACHE.clear()
        _TOKEN_CACHE[key] = _DocumentTokens(strip_diacritics)
    return _TOKEN_CACHE[key]


class _DocumentTokens:
    """The tokens of documents (by corpus position), tokenized when first needed and kept while
    they fit ``_CACHED_TOKENS`` (the oldest are dropped first)."""

    def __init__(self, strip_diacritics: bool) -> None:
        self.strip_diacritics = strip_diacritics
        self.kept: dict[int, Any] = {}
        self.size = 0

    def get(self, docs: list[int], texts: _ChunkTexts) -> dict[int, Any]:
        missing = [d for d in dict.fromkeys(docs) if d not in self.kept]
        texts_read = [texts[d] for d in missing]  # each read once
        for lo, hi in batches(texts_read):
            batch = tokenize_batch(texts_read[lo:hi], self.strip_diacritics)
            for k, d in enumerate(missing[lo:hi]):
                tokens = batch.doc(k)
                self.kept[d] = type(tokens)(tokens.hashes.copy(), tokens.starts.copy(),
                                            tokens.ends.copy())
                self.size += len(tokens)
        wanted = {d: self.kept[d] for d in docs}
        for d in list(self.kept):
            if self.size <= _CACHED_TOKENS:
                break
            if d not in wanted:
                self.size -= len(self.kept.pop(d))
        return wanted


def _box_costs(boxes: Boxes, a_docs: np.ndarray, b_docs: np.ndarray,
               doc_chars: Callable[[np.ndarray], np.ndarray] | np.ndarray) -> np.ndarray:
    """About how many tokens each box holds: its token ranges, or for a box that reaches a
    document's end, a guess from the document's characters (its tokens are not known yet).
    ``doc_chars`` gives the characters of documents: an array by corpus position, or a
    function of an array of positions."""
    def side(lo: np.ndarray, hi: np.ndarray, docs: np.ndarray) -> np.ndarray:
        if not len(docs):
            return np.zeros(0, dtype=np.int64)
        chars = doc_chars[docs] if isinstance(doc_chars, np.ndarray) else doc_chars(docs)
        return np.minimum(hi, lo + chars // 4 + 1) - lo

    return side(boxes.a_lo, boxes.a_hi, a_docs) + side(boxes.b_lo, boxes.b_hi, b_docs) + 1


def _align_batches(costs: np.ndarray) -> Iterator[tuple[int, int]]:
    """Consecutive ``[lo, hi)`` ranges of the boxes: at most ``_ALIGN_BATCH_PAIRS`` boxes, and
    no more once their ``costs`` (tokens) add up to ``_ALIGN_BATCH_TOKENS`` (each box is
    aligned on its own, so the batches change the speed, never the result)."""
    if not len(costs):
        return
    lo, total = 0, 0
    for k, cost in enumerate(costs.tolist()):
        if k > lo and (k - lo >= _ALIGN_BATCH_PAIRS or total + cost > _ALIGN_BATCH_TOKENS):
            yield lo, k
            lo, total = k, 0
        total += cost
    yield lo, len(costs)


def _align_boxes(
    cache: _DocumentTokens, boxes: Boxes, a_docs: np.ndarray, b_docs: np.ndarray,
    align_config: Any, texts: _ChunkTexts, round_number: int, band_config: BandConfig | None,
) -> tuple[list[tuple[int, int, list[Any]]], np.ndarray, Boxes, set[int]]:
    """Align the token boxes of one batch (box ``k`` of documents ``a_docs[k]``,
    ``b_docs[k]``). Returns each finished box's index, pair and alignments (offsets in the
    documents); the indexes of the boxes to align again wider (a passage reached an inner
    edge: each round doubles the box on that side, the last but one widens it to the
    document's end, and the last round keeps what it finds) and those wider boxes; and the
    pairs left without paraphrase seeds. With a ``band_config``, consecutive passages of a box
    that continue each other are joined (:func:`reuse.align.bands.merge_along_bands`)."""
    from .align.aligner import align_token_batch
    from .align.bands import Boxes, merge_along_bands

    tokens = cache.get([*a_docs.tolist(), *b_docs.tolist()], texts)
    a_count = np.fromiter((len(tokens[d]) for d in a_docs.tolist()), np.int64, len(boxes))
    b_count = np.fromiter((len(tokens[d]) for d in b_docs.tolist()), np.int64, len(boxes))
    boxes = Boxes(boxes.pair, *_snapped(boxes.a_lo, boxes.a_hi, a_count),
                  *_snapped(boxes.b_lo, boxes.b_hi, b_count))
    sides = [(tokens[d], lo, hi) for d, lo, hi in zip(
        [*a_docs.tolist(), *b_docs.tolist()],
        [*boxes.a_lo.tolist(), *boxes.b_lo.tolist()],
        [*boxes.a_hi.tolist(), *boxes.b_hi.tolist()], strict=True)]
    lengths = np.fromiter((hi - lo for _, lo, hi in sides), np.int64, len(sides))
    bounds = np.zeros(len(sides) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    char_start = np.fromiter((t.starts[lo] if hi > lo else 0 for t, lo, hi in sides),
                             np.int64, len(sides))
    char_end = np.fromiter((t.ends[hi - 1] if hi > lo else 0 for t, lo, hi in sides),
                           np.int64, len(sides))
    # Sentence and OCR seeds read the raw text, so they get each slice's text and offsets
    # relative to it (shifted back below); lexical seeds need no text, so their offsets stay
    # the documents' and nothing is shifted.
    with_texts = align_config.paraphrase or align_config.ocr_tolerant
    if not with_texts:
        char_start = np.zeros_like(char_start)
    shift = np.repeat(char_start, lengths)
    empty = np.empty(0, dtype=np.int64)
    batch = TokenBatch(
        np.concatenate([t.hashes[lo:hi] for t, lo, hi in sides] or [empty.astype(np.uint64)]),
        np.concatenate([t.starts[lo:hi] for t, lo, hi in sides] or [empty]) - shift,
        np.concatenate([t.ends[lo:hi] for t, lo, hi in sides] or [empty]) - shift,
        bounds,
    )
    slices = None
    if with_texts:
        docs = [*a_docs.tolist(), *b_docs.tolist()]
        slices = [texts[d][s:e] for d, s, e in zip(docs, char_start.tolist(), char_end.tolist(),
                                                   strict=True)]
    n = len(boxes)
    box_skipped: list[int] = []
    found = align_token_batch(batch, np.arange(n), np.arange(n, 2 * n), align_config, slices,
                              paraphrase_skipped=box_skipped,
                              strip_diacritics=cache.strip_diacritics)
    out = []
    cut_low_a, cut_high_a = np.zeros(n, bool), np.zeros(n, bool)
    cut_low_b, cut_high_b = np.zeros(n, bool), np.zeros(n, bool)
    for k, alignments in enumerate(found):
        if not alignments:
            continue
        a_tokens, b_tokens = batch.doc(k), batch.doc(n + k)
        a0, a1 = _token_span(a_tokens, alignments, "a")
        b0, b1 = _token_span(b_tokens, alignments, "b")
        cut_low_a[k] = boxes.a_lo[k] > 0 and a0 < _EDGE_TOKENS
        cut_high_a[k] = boxes.a_hi[k] < a_count[k] and a1 > len(a_tokens) - _EDGE_TOKENS
        cut_low_b[k] = boxes.b_lo[k] > 0 and b0 < _EDGE_TOKENS
        cut_high_b[k] = boxes.b_hi[k] < b_count[k] and b1 > len(b_tokens) - _EDGE_TOKENS
        if round_number >= _MAX_WIDENINGS:
            cut_low_a[k] = cut_high_a[k] = cut_low_b[k] = cut_high_b[k] = False
        if not (cut_low_a[k] or cut_high_a[k] or cut_low_b[k] or cut_high_b[k]):
            a_shift, b_shift = int(char_start[k]), int(char_start[n + k])
            if band_config is not None:
                alignments = merge_along_bands(alignments, a_tokens, b_tokens, band_config)
            out.append((k, int(boxes.pair[k]),
                        [_shifted(al, a_shift, b_shift) for al in alignments]))
    # A box whose passages reach an inner edge is aligned again, wider on that side (to the
    # document's end the last time); what it found this time is dropped.
    cut = cut_low_a | cut_high_a | cut_low_b | cut_high_b
    grow_a = np.maximum(boxes.a_hi - boxes.a_lo, _EDGE_TOKENS * 8)
    grow_b = np.maximum(boxes.b_hi - boxes.b_lo, _EDGE_TOKENS * 8)
    if round_number >= _MAX_WIDENINGS - 1:
        grow_a = grow_b = np.full(n, _WHOLE, dtype=np.int64)
    wider = Boxes(
        boxes.pair,
        np.where(cut_low_a, np.maximum(boxes.a_lo - grow_a, 0), boxes.a_lo),
        np.where(cut_high_a, np.minimum(boxes.a_hi + grow_a, _WHOLE), boxes.a_hi),
        np.where(cut_low_b, np.maximum(boxes.b_lo - grow_b, 0), boxes.b_lo),
        np.where(cut_high_b, np.minimum(boxes.b_hi + grow_b, _WHOLE), boxes.b_hi),
    )
    again = np.flatnonzero(cut)
    return out, again, wider.take(again), {int(boxes.pair[k]) for k in box_skipped}


def _snapped(lo: np.ndarray, hi: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Box ranges clipped to the documents' ``count`` tokens, and reaching a document's end
    when it is nearer than an eighth of the box: a long band (two versions of a book) is
    aligned to the ends at once instead of being widened and aligned again."""
    hi = np.minimum(hi, count)
    lo = np.minimum(lo, hi)
    reach = (hi - lo) // _SNAP_SHARE
    return np.where(lo <= reach, 0, lo), np.where(count - hi <= reach, count, hi)


def _token_span(tokens: Any, alignments: list[Any], side: str) -> tuple[int, int]:
    """The first and last-plus-one token of a box's alignments on one side (box tokens)."""
    starts = [getattr(al, f"{side}_start") for al in alignments]
    ends = [getattr(al, f"{side}_end") for al in alignments]
    first = int(np.searchsorted(tokens.starts, min(starts), "left"))
    last = int(np.searchsorted(tokens.ends, max(ends), "left")) + 1
    return first, last


def _shifted(alignment: Any, a_shift: int, b_shift: int) -> Any:
    """The alignment with its offsets (and its edits') moved by ``a_shift``/``b_shift``."""
    if not a_shift and not b_shift:
        return alignment
    return dataclasses.replace(
        alignment,
        a_start=alignment.a_start + a_shift, a_end=alignment.a_end + a_shift,
        b_start=alignment.b_start + b_shift, b_end=alignment.b_end + b_shift,
        edits=[(op, s + a_shift, e + a_shift, t + b_shift, f + b_shift)
               for op, s, e, t, f in alignment.edits],
    )


def _outermost(alignments: list[Any]) -> list[Any]:
    """A pair's alignments from boxes that overlap (a box widened into another): the same
    passage once, and none inside another one in both documents.

    In order of start, a passage found twice lies inside one of the last passages kept or
    inside the one reaching furthest so far, so only those are compared (never all pairs of
    a pair's passages, which grow with the length of the documents)."""
    unique = sorted({(al.a_start, al.b_start, al.a_end, al.b_end): al
                     for al in alignments}.values(),
                    key=lambda al: (al.a_start, al.b_start, -al.a_end, -al.b_end))
    kept: list[Any] = []
    furthest: Any = None
    for al in unique:
        if any(k.a_start <= al.a_start and al.a_end <= k.a_end and k.b_start <= al.b_start
               and al.b_end <= k.b_end for k in [*kept[-_RECENT:], furthest] if k is not None):
            continue
        kept.append(al)
        if furthest is None or al.a_end > furthest.a_end:
            furthest = al
    return kept


# Passages kept last that a passage is compared with, in _outermost.
_RECENT = 64


def _passages_for(corpus: Corpus, alignments: pd.DataFrame, config: Config) -> pd.DataFrame:
    from .cluster.passages import passage_clusters  # scipy.sparse.csgraph: not needed by dedup

    return passage_clusters(
        alignments, corpus.ids, dates=_dates(corpus, config),
        boilerplate_docs=config.passages.boilerplate_docs,
        boilerplate_share=config.passages.boilerplate_share, texts=corpus.texts,
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
    read, options, config = _arguments(run, locals(), "run", corpus_run=True)
    if _engine(engine, "run") == "spark":
        checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "run", engine,
                                         spark_dir)
        with _claimed_for_checkpoints(source, checkpointing):
            return _spark_run(source, read, options, config, spark_dir, quiet, checkpointing)
    n_workers = resolve_workers(workers, "run")
    start_worker_server(n_workers)
    budget = parse_memory_budget(memory_budget, "run")
    checkpointing = Checkpointing.of(checkpoint, resume, keep_checkpoints, "run", engine)
    timings = Timings(quiet=quiet)
    with _claimed_for_checkpoints(source, checkpointing):
        started = _read_and_sketch(source, read, config, config.passages, timings, "run",
                                   quiet, n_workers, budget, checkpointing)
        try:
            result = _near_duplicates(started, config, timings, n_workers, budget)
        except BaseException:
            started.sketches.close()
            raise
        return _passage_reuse(started, result, config, options, timings, quiet, n_workers)


_CANDIDATE_ARRAYS = ("a", "b", "shared", "a_first", "a_last", "b_first", "b_last", "capped_docs",
                     "seed_pair", "seed_a", "seed_b")


def _passage_candidates(sketches: Sketches, passage_config: PassageConfig,
                        ledger: StageLedger | None) -> PassageCandidates:
    """The passage candidates of the window fingerprints; with a ledger, the
    ``passage_candidates`` checkpoint."""
    if ledger is not None and ledger.done("passage_candidates"):
        arrays = dict(zip(_CANDIDATE_ARRAYS, ledger.arrays("passage_candidates",
                                                            *_CANDIDATE_ARRAYS), strict=True))
        capped = int(ledger.values("passage_candidates")["capped_fingerprints"])
        return PassageCandidates(**arrays, capped_fingerprints=capped)
    if sketches.fingerprints is None:
        raise ValueError("_passage_candidates needs the fingerprints of sketch_corpus")
    candidates = passage_candidates(sketches.fingerprints, passage_config)
    sketches.fingerprints = None
    if ledger is not None:
        with ledger.writing("passage_candidates") as folder:
            save_arrays(folder, **{name: getattr(candidates, name) for name in _CANDIDATE_ARRAYS})
        ledger.complete("passage_candidates",
                        {"capped_fingerprints": int(candidates.capped_fingerprints)})
    return candidates


def _aligned(started: _Started, candidates: PassageCandidates, config: Config, quiet: bool,
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
                                 parts=None if ledger is None else _AlignParts(ledger))
    if ledger is not None:
        with ledger.writing("align") as folder:
            save_frame(folder, "alignments", alignments)
            save_arrays(folder, paraphrase_skipped=np.array(paraphrase_skipped, dtype=np.int64))
        ledger.complete("align", {"alignments": len(alignments)})
    return alignments, paraphrase_skipped


def _passages(started: _Started, alignments: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The passage clusters of the alignments; with a ledger, the ``passages`` checkpoint."""
    ledger = started.ledger
    if ledger is not None and ledger.done("passages"):
        return ledger.frame("passages", "passages")
    passages = _passages_for(started.corpus, alignments, config)
    if ledger is not None:
        with ledger.writing("passages") as folder:
            save_frame(folder, "passages", passages)
        ledger.complete("passages", {"passages": len(passages)})
    return passages


def _passage_reuse(started: _Started, result: DedupResult, config: Config,
                   options: dict[str, Any], timings: Timings, quiet: bool, workers: int
                   ) -> RunResult:
    """The passage stages of ``run`` after its near-duplicates: candidates, alignments,
    passage clusters."""
    corpus = started.corpus
    with timings.stage("passage_candidates"):
        candidates = _passage_candidates(started.sketches, config.passages, started.ledger)
    with timings.stage("align", own_bar=True):
        alignments, paraphrase_skipped = _aligned(started, candidates, config, quiet, workers)
    with timings.stage("passages"):
        passages = _passages(started, alignments, config)
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
    return RunResult(
        corpus, config, result.documents, result.near_duplicates, result.clusters, counts,
        timings, result.candidate_pairs, options, alignments, passages, align_config,
        signatures=result.signatures, checkpoints=result.checkpoints,
        input_fingerprints=result.input_fingerprints,
    )


@dataclass
class PairList:
    """Document pairs to align, by position in the corpus, each pair once."""

    left: np.ndarray
    right: np.ndarray
    given: int  # entries in the pairs file, duplicates included
    duplicates: int  # entries dropped because the pair (in either order) came earlier
    fingerprint: str = ""  # "sha256:" and the SHA-256 of the file's bytes


def read_pairs(path: str | os.PathLike[str], corpus: Corpus) -> PairList:
    """Document pairs to align: 'a b' per line (whitespace-separated), or a CSV/TSV/JSONL/Parquet
    table with ``a_id`` and ``b_id`` columns.

    An unknown id, or a document paired with itself, is an error naming the line. A pair listed
    again (in either order) is aligned once, in the order of its first listing, and counted.
    """
    from .errors import InputError

    source = Path(path)
    if not source.exists():
        raise InputError(f"{source}: no such pairs file")
    if not source.is_file():
        raise InputError(f"{source}: not a file; --pairs names a file of document pairs")
    try:
        return _read_pairs(source, corpus)
    except OSError as exc:
        raise InputError(f"{source}: cannot read the pairs file ({exc.strerror or exc})") from exc


def _read_pairs(source: Path, corpus: Corpus) -> PairList:
    from .errors import InputError

    position = {doc: i for i, doc in enumerate(corpus.ids)}
    name = source.name.lower()
    if name.endswith((".csv", ".tsv", ".parquet", ".jsonl")):
        try:
            if name.endswith(".parquet"):
                frame = pd.read_parquet(source)
            elif name.endswith(".jsonl"):
                frame = pd.read_json(source, lines=True, dtype=False)
            else:
                frame = pd.read_csv(source, sep="\t" if name.endswith(".tsv") else ",", dtype=str,
                                    keep_default_na=False)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: cannot read the pairs table ({exc})") from exc
        if not {"a_id", "b_id"} <= set(frame.columns):
            raise InputError(f"{source}: a pairs table needs columns 'a_id' and 'b_id'")
        entries = [(f"row {i}", str(a), str(b)) for i, (a, b) in
                   enumerate(zip(frame["a_id"], frame["b_id"], strict=True))]
    else:
        entries = []
        for number, line in enumerate(decode_text(source.read_bytes(), str(source)).splitlines(),
                                      start=1):
            fields = line.split()
            if not fields or line.lstrip().startswith("#"):
                continue
            if len(fields) != 2:
                raise InputError(
                    f"{source}: line {number}: expected two document ids, found {len(fields)}")
            entries.append((f"line {number}", fields[0], fields[1]))
    left, right = [], []
    seen: set[tuple[int, int]] = set()
    for where, a, b in entries:
        for doc in (a, b):
            if doc not in position:
                raise InputError(f"{source}: {where}: unknown document id {doc!r}")
        if a == b:
            raise InputError(
                f"{source}: {where}: document {a!r} is paired with itself; list pairs of two "
                "different documents")
        key = (min(position[a], position[b]), max(position[a], position[b]))
        if key in seen:
            continue
        seen.add(key)
        left.append(position[a])
        right.append(position[b])
    return PairList(np.array(left, dtype=np.int64), np.array(right, dtype=np.int64),
                    given=len(entries), duplicates=len(entries) - len(left),
                    fingerprint="sha256:" + _file_sha256(source))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def align_pairs(
    source: str | os.PathLike[str] | Corpus,
    pairs: str | os.PathLike[str],
    *,
    config: Config | None = None,
    min_length: int | None = None,
    paraphrase: bool | None = None,
    ocr_tolerant: bool | None = None,
    strip_diacritics: bool | None = None,
    boilerplate_docs: int | None = None,
    boilerplate_share: float | None = None,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    encoding: str = "utf-8",
    metadata_file: str | os.PathLike[str] | None = None,
    date_field: str | None = None,
    workers: int | None = None,
    quiet: bool = True,
) -> RunResult:
    """Align only the given document pairs (pairs mode); no candidate search. ``ocr_tolerant``
    adds character n-gram seeds that survive OCR errors (:mod:`reuse.align.ocr_seeds`; slower, off by
    default). The aligner's settings are ``config.align`` (those left None take the values of
    aligning whole pairs, :data:`reuse.align.config.PAIRS_MODE`: ``paraphrase`` on). The other
    parameters are those of :func:`run`."""
    read, options, config = _arguments(align_pairs, locals(), "align_pairs")
    align_config = config.align
    workers = resolve_workers(workers, "align_pairs")
    timings = Timings(quiet=quiet)
    with timings.stage("ingest", own_bar=True):
        corpus = _load(source, read, quiet)
        _check_date_field(corpus, config.date_field, "align_pairs")
        pair_list = read_pairs(pairs, corpus)
        left, right = pair_list.left, pair_list.right
    paraphrase_skipped: list[int] = []
    with timings.stage("align", own_bar=True):
        alignments = align_documents(corpus, left, right, align_config, config.tokenize, quiet,
                                     paraphrase_skipped, workers=workers)
    with timings.stage("passages"):
        passages = _passages_for(corpus, alignments, config)
    ids = np.array(corpus.ids, dtype=object)
    lengths = corpus.lengths
    n_tokens = _token_counts(corpus.texts, config.tokenize.strip_diacritics, workers)
    documents = pd.DataFrame({"doc_id": ids, "n_chars": lengths, "n_tokens": n_tokens,
                              "status": "compared"})
    counts = {
        "read": corpus.n_read, "compared": len(corpus), "too_short": 0,
        "skipped": len(corpus.skipped), "pairs_given": pair_list.given,
        "duplicate_pairs": pair_list.duplicates, "alignments": len(alignments),
        "passage_clusters": int(passages["passage_id"].nunique()) if len(passages) else 0,
        **input_counts(corpus, _dates(corpus, config)),
    }
    if paraphrase_skipped:
        counts["paraphrase_skipped_pairs"] = len(paraphrase_skipped)
    empty_near = pd.DataFrame({"a_id": [], "b_id": [], "jaccard_estimate": [], "jaccard": []})
    clusters = pd.DataFrame({"doc_id": ids, "cluster_id": np.arange(len(ids)),
                             "representative_id": ids, "keep": True})
    result = RunResult(corpus, config, documents, empty_near, clusters, counts, timings, 0,
                       options, alignments, passages, align_config)
    result.pairs_file = {"path": os.path.abspath(pairs), "fingerprint": pair_list.fingerprint}
    return result



def _token_counts(texts: list[str], strip_diacritics: bool, workers: int) -> np.ndarray:
    """Each document's number of tokens, a batch of documents per task in ``workers``
    processes."""
    from .engine import ordered_map

    tasks = ((texts[lo:hi], strip_diacritics) for lo, hi in batches(texts))
    return np.concatenate([*ordered_map(_batch_token_counts, tasks, workers),
                           np.empty(0, dtype=np.int64)])


def _batch_token_counts(task: tuple[list[str], bool]) -> np.ndarray:
    texts, strip_diacritics = task
    return tokenize_batch(texts, strip_diacritics).counts()


# The Python function behind each command of the manifest, for ``reuse rerun``.
_COMMANDS: dict[str, Callable[..., DedupResult]] = {
    "dedup": dedup, "run": run, "align": align_pairs,
}


def rerun(
    run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
    quiet: bool = True,
) -> DedupResult:
    """Repeat the run of ``run_dir`` from its manifest, into ``out`` (default: ``run_dir``
    itself, whose run is replaced): the same command on the same input, read with the same
    options, with the same parameters, table format and report. The tables are byte-identical
    to the first run's.

    The input (and the pairs file of ``reuse align``) must be unchanged: its fingerprint is
    checked after reading, and a changed input is a RunFolderError (run the command again
    instead). ``write_kept`` is not repeated.
    """
    from .ingest import path_from_manifest, read_options

    source_dir = Path(run_dir)
    manifest = tables.read_manifest(source_dir)
    where = source_dir / tables.MANIFEST
    command = manifest.get("command")
    options = manifest.get("options")
    if options is None:
        raise RunFolderError(
            f"{where}: the manifest records no 'options' (it was written by an earlier version "
            "of reuse), so the run cannot be repeated exactly; run the command again.")
    function = _COMMANDS.get(command)
    if function is None:
        raise RunFolderError(f"{where}: unknown command {command!r}; reuse rerun repeats "
                             f"{', '.join(_COMMANDS)}.")
    keywords = {name for name, parameter in inspect.signature(function).parameters.items()
                if parameter.kind is parameter.KEYWORD_ONLY and name not in _NOT_RECORDED}
    arguments = {k: v for k, v in options.items() if k not in ("format", "report")}
    unknown = sorted(set(arguments) - keywords)
    if unknown:
        raise RunFolderError(f"{where}: options.{unknown[0]} is no parameter of "
                             f"reuse {command}; the manifest was changed or written by another "
                             "version of reuse.")
    if isinstance(manifest.get("config"), dict):
        # The whole config, also what no keyword sets (LSH weights, bands, the aligner);
        # the keyword options recorded beside it hold the same values.
        try:
            arguments = {k: v for k, v in arguments.items() if k not in KEYWORDS}
            arguments["config"] = Config.from_dict(manifest["config"], " in the manifest")
        except ReuseError as exc:
            raise RunFolderError(f"{where}: {exc}") from exc
    spec = manifest.get("input") or {}
    path = path_from_manifest(spec)
    if path is None:
        raise RunFolderError(f"{where}: the run was given a corpus built in Python, not a path; "
                             "there is no input to read again.")
    check_fingerprint_scheme(spec, where)
    fmt = options.get("format", "parquet")
    report = _report_plan(manifest)
    target = source_dir if out is None else Path(out)
    runfolder.check_output_paths(path, target, None)
    with runfolder.claim(target, incomplete_on_interrupt=True) as folder:
        timings = Timings(quiet=quiet)
        with timings.stage("ingest", own_bar=True):
            corpus = read_corpus(path, **read_options(spec, manifest.get("counts")), quiet=quiet)
        fingerprint = "sha256:" + corpus.fingerprint()
        if fingerprint != spec.get("fingerprint"):
            raise RunFolderError(
                f"{where}: the input {spec.get('path')} changed since the run (fingerprint "
                f"{fingerprint}, the run saw {spec.get('fingerprint')}); rerun repeats a run on "
                "the same input. Run the command again to analyse the current input.")
        order = spec.get("order_fingerprint")
        if order is not None and order != "sha256:" + corpus.order_fingerprint():
            raise RunFolderError(
                f"{where}: the records of the input {spec.get('path')} are in another order "
                "than in the run, and the tables follow the input's order; rerun repeats a run "
                "on the same input. Run the command again to analyse the current input.")
        positional: list[Any] = [corpus]
        if command == "align":
            pairs = path_from_manifest(spec, "pairs_file")
            if pairs is None or not Path(pairs).is_file() or (
                    "sha256:" + _file_sha256(Path(pairs)) != spec.get("pairs_fingerprint")):
                raise RunFolderError(
                    f"{where}: the pairs file {spec.get('pairs_file')} is missing or changed "
                    "since the run; rerun repeats a run on the same input.")
            positional.append(pairs)
        if command != "align":  # checkpointed as the command itself is
            arguments["checkpoint"] = folder.path
        result = function(*positional, **arguments, quiet=quiet)
        result.timings["ingest"] = timings["ingest"]
        written = write_run(result, folder.path, fmt=fmt, source=path, command=command,
                            report_options=report)
        if report is not None and report.get("render"):
            from .report.html import render_report

            rendered = manifest.get("report")
            # Only what the run recorded: render_report's own defaults fill in the rest.
            recorded = {key: report[key] for key in _REPORT_OPTIONS if key in report}
            render_report(written, **recorded, date_field=rendered.get("date_field")
                          if isinstance(rendered, dict) else None)
    return result


_REPORT_OPTIONS = ("group_by", "max_matrix_docs", "max_list_rows", "max_pair_pages")


def _report_plan(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The report a rerun renders: the run folder's report as it was last rendered (``reuse
    report`` may have changed its options), else the one the command asked for."""
    report = manifest.get("report")
    if isinstance(report, dict):
        return {"render": True, **{key: report[key] for key in _REPORT_OPTIONS if key in report}}
    planned = (manifest.get("options") or {}).get("report")
    return planned if isinstance(planned, dict) else None
