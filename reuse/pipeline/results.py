"""What :func:`reuse.dedup` and :func:`reuse.run` return: the run's tables as pandas DataFrames
(or, from another engine, as Parquet parts read when first used) and its bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..config import Config
from ..engine.spill import RowFile, Workspace
from ..ingest import Corpus
from ..runfolder.checkpoints import StageLedger
from ..sketch.minhash import LEAN_MINHASH_SCHEME
from .timings import Timings


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
        from ..spark.parts import PartSignatures

        self.corpus, self.config, self.counts, self.timings = corpus, config, counts, timings
        self.options = options
        self.candidate_pairs = counts["candidate_pairs"]
        self.stored = stored
        self._frames: dict[str, pd.DataFrame] = {}
        self.signatures = Signatures(
            PartSignatures(stored.tables["signatures"], len(corpus), config.dedup.num_perm),
            config.dedup.seed)

    def _frame(self, name: str) -> pd.DataFrame:
        from ..runfolder.schema import arrow_schema
        from ..spark.parts import frame

        if name not in self._frames:
            self._frames[name] = frame(self.stored.tables[name], arrow_schema(name))
        return self._frames[name]

    documents = property(lambda self: self._frame("documents"))  # type: ignore[assignment]
    near_duplicates = property(  # type: ignore[assignment]
        lambda self: self._frame("near_duplicates"))
    clusters = property(lambda self: self._frame("clusters"))  # type: ignore[assignment]

    def table_data(self, name: str) -> Any:
        from ..runfolder.schema import arrow_schema
        from ..spark.parts import batches as part_batches

        if name in self._frames:
            return self._frames[name]
        names = arrow_schema(name).names
        return (batch.select(names) for batch in part_batches(self.stored.tables[name]))

    def close(self) -> None:
        """Remove the parts the engine wrote (DataFrames read before stay usable)."""
        self.stored.close()


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
