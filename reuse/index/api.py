"""``reuse.Index``: a persistent, incremental reuse index (create, add, query, stats, remove,
compact). See :mod:`reuse.index` for the folder and what a query answers."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..common.durable import fsync_path
from ..config import KEYWORDS, Config
from ..engine import resolve_workers
from ..errors import ConfigError, InputError, ReuseError
from ..ingest import DEFAULT_MAX_DOC_CHARS, check_read_options, read_corpus
from ..pipeline import RunResult, Timings
from .folder import (
    SEGMENTS,
    TOMBSTONES,
    IndexFolderError,
    Manifest,
    new_name,
    read_lock,
    read_manifest,
    remove_unreferenced,
    write_lock,
    write_manifest,
)
from .segments import DOCS, duckdb_connection, parquet_list, write_segment

if TYPE_CHECKING:
    import pyarrow as pa

# Test hooks: a point in an add where REUSE_INDEX_PAUSE_AT names it makes the process stop
# itself (SIGSTOP) so that a test can kill it exactly there.
_HOOK_VARIABLE = "REUSE_INDEX_PAUSE_AT"


def _hook(name: str) -> None:
    if os.environ.get(_HOOK_VARIABLE) == name:
        import signal

        os.kill(os.getpid(), signal.SIGSTOP)


class Index:
    """An index folder opened at one committed version (see :mod:`reuse.index.folder`)."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest
        try:
            self.config = Config.from_dict(manifest.config).validate("reuse.Index")
        except ReuseError as exc:
            raise IndexFolderError(f"{path}: the index's configuration is invalid ({exc}).") \
                from None

    def __repr__(self) -> str:
        return (f"<Index {self.path}: {self.documents:,} documents in "
                f"{len(self.manifest.segments)} segments>")

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, config: Config | None = None,
               **keywords: Any) -> Index:
        """Make an empty index in ``path`` (a new or empty folder) whose configuration is
        ``config`` (default ``Config()``) with the keywords of :func:`reuse.run` applied
        (``threshold``, ``num_perm``, ``ngram``, ``seed``, ``window``, ...)."""
        folder = Path(path)
        unknown = sorted(set(keywords) - set(KEYWORDS))
        if unknown:
            raise ConfigError(f"Index.create has no parameter {unknown[0]!r}; its parameters "
                              f"are config and {', '.join(sorted(KEYWORDS))}.")
        if config is not None and not isinstance(config, Config):
            raise ConfigError(f"The 'config' parameter of Index.create must be a reuse.Config "
                              f"or None. Got {config!r} instead.")
        config = (config or Config()).with_changes(
            {k: v for k, v in keywords.items() if v is not None})
        config = dataclasses.replace(config, align=config.align.resolved(True))
        config.validate("Index.create", {k: KEYWORDS[k] for k in keywords})
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise IndexFolderError(f"{folder}: exists and is not an empty folder; an index is "
                                   "made in a new or empty folder.")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SEGMENTS).mkdir(exist_ok=True)
        (folder / TOMBSTONES).mkdir(exist_ok=True)
        with write_lock(folder):
            write_manifest(folder, Manifest(config.to_dict()))
        return cls.open(folder)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, config: Config | None = None) -> Index:
        """The index in ``path`` at its last committed version. With ``config``, it must be
        the index's configuration (else an IndexFolderError naming what differs)."""
        folder = Path(path)
        index = cls(folder, read_manifest(folder))
        if config is not None:
            config = dataclasses.replace(config, align=config.align.resolved(True))
        if config is not None and config.to_dict() != index.config.to_dict():
            ours, theirs = index.config.to_dict(), config.to_dict()
            differ = [f"{section}.{key}" for section in ours
                      for key in (ours[section] if isinstance(ours[section], dict) else [""])
                      if _at(ours, section, key) != _at(theirs, section, key)]
            raise IndexFolderError(
                f"{folder}: the index was created with another configuration ({', '.join(differ)} "
                "differ); an index answers with the configuration it was built with.")
        return index

    def refresh(self) -> None:
        """Read the last committed version again."""
        self.manifest = read_manifest(self.path)

    @property
    def documents(self) -> int:
        """Live documents: added and not removed."""
        return sum(s.count for s in self.manifest.segments) - self.manifest.removed

    def removed_keys(self) -> np.ndarray:
        if self.manifest.tombstones is None:
            return np.empty(0, dtype=np.int64)
        try:
            return np.load(self.path / TOMBSTONES / self.manifest.tombstones)
        except (OSError, ValueError) as exc:
            raise IndexFolderError(f"{self.path}: the tombstone file "
                                   f"{self.manifest.tombstones} cannot be read ({exc}).") from None

    def add(
        self,
        source: Any,
        *,
        replace: bool = False,
        id_field: str = "id",
        text_field: str = "text",
        on_error: str = "raise",
        quoting: str | None = None,
        max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
        encoding: str = "utf-8",
        metadata_file: str | os.PathLike[str] | None = None,
        workers: int | None = None,
        quiet: bool = True,
    ) -> dict[str, int]:
        """Add the documents of ``source`` (any input of :func:`reuse.run`) as one new segment,
        committed at once. An id already in the index is an InputError, or with ``replace``
        the old document is removed in the same commit. Returns counts (``added``,
        ``replaced``, ``skipped``, ``documents``)."""
        encoding = check_read_options(on_error, quoting, max_doc_chars, encoding,
                                      metadata_file, owner="Index.add")
        n_workers = resolve_workers(workers, "Index.add")
        with write_lock(self.path):
            self.refresh()
            remove_unreferenced(self.path, self.manifest)
            name = new_name("segment")
            folder = self.path / SEGMENTS / name
            folder.mkdir()
            _hook("created")
            corpus = read_corpus(source, id_field=id_field, text_field=text_field,
                                 on_error=on_error, quoting=quoting, max_doc_chars=max_doc_chars,
                                 encoding=encoding, metadata_file=metadata_file, quiet=quiet,
                                 store_dir=folder)
            if not len(corpus):  # every record skipped: nothing to commit
                corpus.close()
                return {"added": 0, "replaced": 0, "skipped": len(corpus.skipped),
                        "documents": self.documents}
            try:
                _hook("read")
                old_keys = self._keys_of(corpus.arrow_ids())
                if len(old_keys) and not replace:
                    raise InputError(
                        f"{len(old_keys)} documents of the input are in the index already "
                        f"(e.g. {self._id_of(int(old_keys[0]))!r}); remove them first, or add "
                        "with replace=True (--replace) to replace them.")
                first_key = self.manifest.next_key
                segment = write_segment(self.path, name, corpus, self.config, first_key,
                                        n_workers)
            finally:
                corpus.close()
            _hook("written")
            fsync_path(folder)
            fsync_path(self.path / SEGMENTS)
            manifest = dataclasses.replace(
                self.manifest, segments=[*self.manifest.segments, segment],
                next_key=first_key + len(corpus))
            if len(old_keys):
                self._tombstone(manifest, old_keys)
            _hook("committing")
            write_manifest(self.path, manifest)
            self.manifest = manifest
            _hook("committed")
        return {"added": len(corpus), "replaced": len(old_keys), "skipped": len(corpus.skipped),
                "documents": self.documents}

    def _tombstone(self, manifest: Manifest, keys: np.ndarray) -> None:
        """Write a new tombstone file (the old one's keys and ``keys``) and name it in
        ``manifest`` (not committed here)."""
        removed = np.union1d(self.removed_keys(), np.asarray(keys, dtype=np.int64))
        name = new_name("tombstones") + ".npy"
        with open(self.path / TOMBSTONES / name, "wb") as handle:
            np.save(handle, removed)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_path(self.path / TOMBSTONES)
        manifest.tombstones = name
        manifest.removed = len(removed)

    def _docs_query(self, sql: str, tables: dict[str, Any]) -> Any:
        if not self.manifest.segments:
            return None
        files = parquet_list([str(self.path / SEGMENTS / s.name / DOCS)
                              for s in self.manifest.segments])
        connection = duckdb_connection()
        try:
            for name, table in tables.items():
                connection.register(name, table)
            return connection.sql(sql.replace("DOCS", f"read_parquet({files})")).to_arrow_table()
        finally:
            connection.close()

    def _keys_of(self, ids: list[str] | pa.Array) -> np.ndarray:
        """The live keys of the documents ``ids`` in the index, sorted."""
        import pyarrow as pa

        wanted = ids if isinstance(ids, pa.Array) else pa.array(ids, pa.string())
        found = self._docs_query("SELECT d.key FROM DOCS d JOIN wanted w ON d.id = w.id",
                                 {"wanted": pa.table({"id": wanted})})
        if found is None:
            return np.empty(0, dtype=np.int64)
        keys = np.sort(found.column("key").to_numpy().astype(np.int64))
        return keys[~np.isin(keys, self.removed_keys())]

    def _id_of(self, key: int) -> str:
        found = self._docs_query(f"SELECT id FROM DOCS WHERE key = {int(key)}", {})
        return str(found.column("id")[0].as_py())

    def remove(self, ids: list[str], *, missing_ok: bool = False) -> int:
        """Remove the documents ``ids`` (tombstones, committed at once; :meth:`compact` drops
        their files). An id not in the index is an InputError unless ``missing_ok``. Returns
        the number removed."""
        ids = list(dict.fromkeys(ids))
        with write_lock(self.path):
            self.refresh()
            remove_unreferenced(self.path, self.manifest)
            keys = self._keys_of(ids)
            if len(keys) < len(ids) and not missing_ok:
                import pyarrow as pa

                found = self._docs_query(
                    "SELECT d.id FROM DOCS d JOIN wanted w ON d.key = w.key",
                    {"wanted": pa.table({"key": keys})})
                present = set() if found is None else set(found.column("id").to_pylist())
                absent = [doc for doc in ids if doc not in present]
                raise InputError(f"{self.path}: {len(absent)} of the ids to remove are not in "
                                 f"the index (e.g. {absent[0]!r}).")
            if not len(keys):
                return 0
            manifest = dataclasses.replace(self.manifest)
            self._tombstone(manifest, keys)
            write_manifest(self.path, manifest)
            self.manifest = manifest
        return len(keys)

    def compact(self, *, workers: int | None = None) -> dict[str, int]:
        """Merge every segment into one, without the removed documents; committed at once."""
        from .compact import compact_segments

        with write_lock(self.path):
            self.refresh()
            remove_unreferenced(self.path, self.manifest)
            before = len(self.manifest.segments)
            segment = compact_segments(self.path, self.manifest, self.removed_keys(),
                                       self.config.dedup.num_perm)
            manifest = dataclasses.replace(
                self.manifest, segments=[] if segment is None else [segment], tombstones=None,
                removed=0)
            write_manifest(self.path, manifest)
            self.manifest = manifest
            remove_unreferenced(self.path, self.manifest)
        return {"segments_before": before, "segments": len(manifest.segments),
                "documents": self.documents}

    def stats(self) -> dict[str, Any]:
        """Documents, removed documents, segments, next key, bytes on disk, configuration."""
        size = 0
        for segment in self.manifest.segments:
            for root, _, files in os.walk(self.path / SEGMENTS / segment.name):
                size += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        return {
            "path": str(self.path), "version": self.manifest.version,
            "documents": self.documents, "removed": self.manifest.removed,
            "segments": len(self.manifest.segments), "next_key": self.manifest.next_key,
            "disk_bytes": size, "config": self.manifest.config,
        }

    def query(
        self,
        source: Any,
        *,
        among_queries: bool = False,
        out: str | os.PathLike[str] | None = None,
        fmt: str = "parquet",
        report: bool = False,
        id_field: str = "id",
        text_field: str = "text",
        on_error: str = "raise",
        quoting: str | None = None,
        max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
        encoding: str = "utf-8",
        metadata_file: str | os.PathLike[str] | None = None,
        workers: int | None = None,
        quiet: bool = True,
    ) -> RunResult:
        """Answer for each document of ``source``: its near-duplicates in the index (and among
        the query's documents with ``among_queries``), keep/drop (an indexed document always
        wins), and every reused passage with its spans in both documents (see
        :mod:`reuse.index.query`). Returns the result type of :func:`reuse.run`; with ``out``,
        also writes it as a run folder (``report``: with its HTML report)."""
        from .query import run_query

        encoding = check_read_options(on_error, quoting, max_doc_chars, encoding,
                                      metadata_file, owner="Index.query")
        n_workers = resolve_workers(workers, "Index.query")
        timings = Timings(quiet=quiet)
        with timings.stage("ingest", own_bar=True):
            corpus = read_corpus(source, id_field=id_field, text_field=text_field,
                                 on_error=on_error, quoting=quoting, max_doc_chars=max_doc_chars,
                                 encoding=encoding, metadata_file=metadata_file, quiet=quiet)
        options = {"among_queries": among_queries, "index": str(self.path.resolve())}
        with read_lock(self.path):
            # One version: the manifest read under the read lock names the files read.
            self.refresh()
            result = run_query(self.path, self.manifest, self.config, corpus,
                               among_queries=among_queries, removed=self.removed_keys(),
                               workers=n_workers, timings=timings, quiet=quiet, options=options)
        if out is not None:
            from .runfolder import write_query_run

            write_query_run(result, out, fmt=fmt, report=report)
        return result


def _at(config: dict[str, Any], section: str, key: str) -> Any:
    value = config.get(section)
    return value.get(key) if isinstance(value, dict) and key else value

