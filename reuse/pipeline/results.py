"""What :func:`reuse.dedup` and :func:`reuse.run` return: the run's tables as pandas DataFrames
(or, from another engine, as Parquet parts read when first used) and its bookkeeping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..common.arrow import from_numpy, from_strings, take_strings
from ..config import Config
from ..engine.spill import RowFile, Workspace
from ..ingest import Corpus
from ..runfolder.checkpoints import StageLedger
from ..sketch.minhash import LEAN_MINHASH_SCHEME
from .timings import Timings

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Signatures:
    """The MinHash signatures of a dedup, one row per document, in a file of the run's
    :class:`~reuse.engine.Workspace` (kept while this is referenced; removed with it)."""

    file: RowFile
    seed: int
    workspace: Workspace | None = None
    scheme: str = LEAN_MINHASH_SCHEME


# Rows per record batch of a written per-document table.
_BATCH_ROWS = 1 << 18


@dataclass(frozen=True)
class DocumentColumns:
    """The per-document tables of a dedup (``documents`` and ``clusters``) as columns: the ids
    as Arrow strings, the rest as numpy arrays, one row per document in input order. Written to
    the run folder a record batch at a time; pandas DataFrames only when asked for."""

    ids: pa.LargeStringArray
    n_chars: np.ndarray
    n_tokens: np.ndarray
    compared: np.ndarray
    cluster: np.ndarray
    representative: np.ndarray
    keep: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def ids_at(self, positions: np.ndarray) -> pa.LargeStringArray:
        """The ids of the documents at ``positions``."""
        return take_strings(self.ids, positions)

    def batches(self, name: str) -> Iterator[pa.RecordBatch]:
        """Table ``name`` (``documents`` or ``clusters``), a record batch at a time."""
        # Made here, not when the module is imported: Arrow's first allocation reserves a large
        # address range for its memory pool (a process under a ulimit -v runs out of it).
        status = from_strings(["too_short", "compared"], pa.string())
        for lo in range(0, len(self), _BATCH_ROWS):
            hi = min(lo + _BATCH_ROWS, len(self))
            doc_id = self.ids.slice(lo, hi - lo)
            if name == "documents":
                columns = {"doc_id": doc_id, "n_chars": from_numpy(self.n_chars[lo:hi]),
                           "n_tokens": from_numpy(self.n_tokens[lo:hi]),
                           "status": take_strings(status, self.compared[lo:hi])}
            elif name == "clusters":
                columns = {"doc_id": doc_id, "cluster_id": from_numpy(self.cluster[lo:hi]),
                           "representative_id": self.ids_at(self.representative[lo:hi]),
                           "keep": from_numpy(self.keep[lo:hi])}
            else:
                raise ValueError(f"no per-document table {name!r}")
            yield pa.RecordBatch.from_pydict(columns)

    def frame(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a pandas DataFrame (ids as Python strings: for a large corpus, the
        one O(documents) copy of them)."""
        import pandas as pd

        ids = np.array(self.ids.to_pylist(), dtype=object)
        if name == "documents":
            return pd.DataFrame({
                "doc_id": ids, "n_chars": self.n_chars, "n_tokens": self.n_tokens,
                # Two shared strings, referenced per row (np.where would make one per row).
                "status": np.array(["too_short", "compared"], dtype=object)[
                    self.compared.astype(np.intp)],
            })
        if name == "clusters":
            return pd.DataFrame({
                "doc_id": ids, "cluster_id": self.cluster,
                "representative_id": ids[self.representative], "keep": self.keep,
            })
        raise ValueError(f"no per-document table {name!r}")


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

    def document_ids(self) -> Any:
        """The ids in input order, as the run folder writer takes them (here the corpus's)."""
        return self.corpus.ids

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
        # The public class, however the engine keeps the tables.
        name = "RunResult" if isinstance(self, RunResult) else "DedupResult"
        return f"<{name}: {counts}; {seconds:.2f} s>"


class ColumnarDedupResult(DedupResult):
    """A :class:`DedupResult` whose per-document tables are kept as :class:`DocumentColumns`
    (about 50 bytes per document, a fraction of what DataFrames of Python-string ids take) and
    the near-duplicate pairs as an Arrow table (``near_duplicate_table``): the ``documents``,
    ``clusters`` and ``near_duplicates`` DataFrames are built when first used, and the run
    folder writer takes the columns a record batch at a time."""

    def __init__(self, corpus: Corpus, config: Config, columns: DocumentColumns,
                 near_duplicate_table: pa.Table, counts: dict[str, int], timings: Timings,
                 candidate_pairs: int = 0, options: dict[str, Any] | None = None, *,
                 signatures: Signatures | None = None, checkpoints: StageLedger | None = None,
                 input_fingerprints: dict[str, Any] | None = None) -> None:
        self.corpus, self.config, self.counts, self.timings = corpus, config, counts, timings
        self.near_duplicate_table, self.candidate_pairs = near_duplicate_table, candidate_pairs
        self.options = {} if options is None else options
        self.signatures, self.checkpoints = signatures, checkpoints
        self.input_fingerprints = input_fingerprints
        self.columns = columns
        self._frames: dict[str, pd.DataFrame] = {}

    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = (_pair_frame(self.near_duplicate_table)
                                  if name == "near_duplicates" else self.columns.frame(name))
        return self._frames[name]

    documents = property(lambda self: self._frame("documents"))  # type: ignore[assignment]
    near_duplicates = property(  # type: ignore[assignment]
        lambda self: self._frame("near_duplicates"))
    clusters = property(lambda self: self._frame("clusters"))  # type: ignore[assignment]

    def keep_mask(self) -> list[bool]:
        return self.columns.keep.tolist()

    def document_ids(self) -> pa.LargeStringArray:
        """The ids as the Arrow array the columns hold: written without a Python string each."""
        return self.columns.ids

    def table_data(self, name: str) -> Any:
        if name in self._frames:
            return self._frames[name]
        if name in ("documents", "clusters"):
            return self.columns.batches(name)
        if name == "near_duplicates":
            return self.near_duplicate_table.to_batches()
        return super().table_data(name)


def _pair_frame(pairs: pa.Table) -> pd.DataFrame:
    """The ``near_duplicates`` DataFrame of an Arrow table of pairs (ids as Python strings)."""
    import pandas as pd

    return pd.DataFrame({
        name: (np.array(column.to_pylist(), dtype=object) if name.endswith("_id")
               else column.to_numpy())
        for name, column in zip(pairs.column_names, pairs.columns, strict=True)})


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


def _empty_frame() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame()


@dataclass(repr=False)
class RunResult(DedupResult):
    """Near-duplicates plus passage reuse: alignments and passage clusters."""

    alignments: pd.DataFrame = field(default_factory=_empty_frame)
    passages: pd.DataFrame = field(default_factory=_empty_frame)
    align_config: Any = None
    # Pairs mode: the pairs file (absolute path) and the SHA-256 of its bytes.
    pairs_file: dict[str, str] | None = None


class ColumnarRunResult(ColumnarDedupResult, RunResult):
    """A :class:`RunResult` whose per-document tables are kept as columns (see
    :class:`ColumnarDedupResult`)."""

    def __init__(self, dedup: ColumnarDedupResult, counts: dict[str, int],
                 options: dict[str, Any], alignments: pd.DataFrame, passages: pd.DataFrame,
                 align_config: Any) -> None:
        super().__init__(dedup.corpus, dedup.config, dedup.columns, dedup.near_duplicate_table,
                         counts, dedup.timings, dedup.candidate_pairs, options,
                         signatures=dedup.signatures, checkpoints=dedup.checkpoints,
                         input_fingerprints=dedup.input_fingerprints)
        self.alignments, self.passages, self.align_config = alignments, passages, align_config
        self.pairs_file = None


class StoredRunResult(StoredDedupResult, RunResult):
    """A :class:`RunResult` whose tables another engine (:mod:`reuse.spark`) wrote as Parquet
    parts (see :class:`StoredDedupResult`); ``alignments`` is read from them when first used,
    and ``passages`` is set by the caller."""

    def __init__(self, corpus: Corpus, config: Config, stored: Any, counts: dict[str, int],
                 timings: Timings, options: dict[str, Any]) -> None:
        super().__init__(corpus, config, stored, counts, timings, options)
        self.passages = _empty_frame()
        self.align_config = config.align
        self.pairs_file = None

    alignments = property(lambda self: self._frame("alignments"))  # type: ignore[assignment]

    def table_data(self, name: str) -> Any:
        if name == "passages":
            return self.passages
        return super().table_data(name)
