"""The index folder: its manifest (one committed version), its locks, and its segments.

Layout of an index folder::

    index.json              the committed state: format, config, next key, segments, tombstones
    write.lock              held (fcntl.flock, exclusive) by the one writer: add, remove, compact
    read.lock               held shared by each reader while it reads segment files
    segments/NAME/          one immutable segment per add (see :mod:`reuse.index.segments`)
    tombstones/NAME.npy     the removed keys (int64, sorted), immutable, named by the manifest

A writer writes its new files first (a new segment folder, a new tombstone file), then a new
``index.json`` under a temporary name, fsyncs it and renames it over the old one: that rename
is the commit. A writer killed before it leaves the index as it was (its files are not named
by the manifest and are removed by the next writer); a reader reads ``index.json`` once and
sees the segments of that version only. A writer removes the files no manifest names only when
no reader holds ``read.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.durable import fsync_path
from ..errors import ReuseError

MANIFEST = "index.json"
FORMAT = "reuse-index"
FORMAT_VERSION = 1
SEGMENTS = "segments"
TOMBSTONES = "tombstones"
WRITE_LOCK = "write.lock"
READ_LOCK = "read.lock"


class IndexFolderError(ReuseError):
    """An index folder is missing, foreign, corrupted, or made with another configuration."""

    exit_code = 4


class IndexLockedError(IndexFolderError):
    """Another process is writing to the index."""


@dataclass
class Segment:
    """One add's (or compaction's) documents: ``count`` of them, in ``segments/name``, their
    keys from ``first_key`` on (increasing; listed in the segment's ``keys.npy``)."""

    name: str
    count: int
    first_key: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "count": self.count, "first_key": self.first_key}


@dataclass
class Manifest:
    """One committed version of an index."""

    config: dict[str, Any]
    next_key: int = 0
    segments: list[Segment] = field(default_factory=list)
    tombstones: str | None = None  # file name under tombstones/, or None
    removed: int = 0  # tombstoned documents not yet compacted away
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "version": self.version,
                "config": self.config, "next_key": self.next_key,
                "segments": [s.to_dict() for s in self.segments],
                "tombstones": self.tombstones, "removed": self.removed}


def read_manifest(path: Path) -> Manifest:
    """The committed manifest of the index in ``path``; an IndexFolderError when ``path`` is
    no index folder, or its manifest is not one reuse wrote."""
    where = path / MANIFEST
    if not path.is_dir():
        raise IndexFolderError(f"{path}: no such index folder; make one with `reuse index "
                               "create`.")
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IndexFolderError(f"{path}: not a reuse index (it has no {MANIFEST}); make one "
                               "with `reuse index create`.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexFolderError(f"{where}: cannot read the index manifest ({exc}).") from None
    try:
        body = json.loads(text)
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError("not a reuse index manifest")
        if body.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format version {body.get('format_version')!r}, this reuse reads "
                             f"{FORMAT_VERSION}")
        segments = [Segment(str(s["name"]), int(s["count"]), int(s["first_key"]))
                    for s in body["segments"]]
        manifest = Manifest(dict(body["config"]), int(body["next_key"]), segments,
                            body.get("tombstones"), int(body.get("removed", 0)),
                            int(body.get("version", 0)))
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexFolderError(f"{where}: the index manifest is corrupted or foreign ({exc}); "
                               "it was not written by this version of reuse.") from None
    for segment in manifest.segments:
        if not (path / SEGMENTS / segment.name).is_dir():
            raise IndexFolderError(f"{path}: segment {segment.name} named by the manifest is "
                                   "missing; the index folder was changed by hand.")
    return manifest


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Commit ``manifest``: written to a temporary name, synced, renamed over ``index.json``."""
    manifest.version += 1
    temporary = path / f".{MANIFEST}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest.to_dict(), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path / MANIFEST)
    fsync_path(path)


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the index's write lock; another writer gets an IndexLockedError at once."""
    with open(path / WRITE_LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"{path}: another process is writing to this index (add, remove or compact); "
                "wait until it has finished, then run this command again.") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def read_lock(path: Path) -> Iterator[None]:
    """Hold the index's read lock (shared): no writer removes files while it is held."""
    with open(path / READ_LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_unreferenced(path: Path, manifest: Manifest) -> None:
    """Remove the segments and tombstone files that ``manifest`` does not name (left by a
    killed writer, or replaced by a compaction), when no reader holds the read lock (else they
    stay until the next writer). Called with the write lock held."""
    with open(path / READ_LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        try:
            named = {segment.name for segment in manifest.segments}
            for entry in _entries(path / SEGMENTS):
                if entry.name not in named:
                    shutil.rmtree(entry.path, ignore_errors=True)
            for entry in _entries(path / TOMBSTONES):
                if entry.name != manifest.tombstones:
                    os.unlink(entry.path)
            for entry in os.scandir(path):
                if entry.name.startswith(f".{MANIFEST}.tmp-"):
                    os.unlink(entry.path)
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except FileNotFoundError:
        return []


def new_name(prefix: str) -> str:
    """A file or folder name no other writer picks."""
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(6)}"
