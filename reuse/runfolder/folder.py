"""Claiming, locking and cleaning a run folder, so that reuse only ever touches its own files.

A run folder is reuse's when it holds the marker file ``.reuse-run``, which reuse writes into a
new or empty folder before anything else. A folder written by an earlier version of reuse, which
had no marker, is recognised by a parseable ``manifest.json`` (with ``reuse_version`` and
``schema_version``) beside nothing but reuse's own output names; it gets the marker when it is
claimed. Any other non-empty folder is refused, and nothing in it is touched.

The marker is also the lock: a process that claims a folder holds an exclusive ``flock`` on it
until it is done (tables, manifest and report), so a second process on the same folder is
refused with an error naming the process that holds it. The kernel releases the lock when its
process dies, even by SIGKILL, so a stale lock never blocks. A claim is re-entrant within one
thread (``reuse run`` writes the tables, then renders the report under the same claim).

Cleaning removes only reuse's own names: every table in every format, ``manifest.json``, the
report's files (``matrix.csv``, ``heatmap.png``, ``group_matrix.csv``, ``group_heatmap.png``,
``html/``), and the temporaries reuse writes beside them (``.<name>.tmp-<pid>…``,
``.html.tmp-<pid>``, ``.html.old-<pid>``). Any other file in the folder is left alone. The
stage checkpoints of a run in progress (``checkpoints/``, also reuse's) are managed by
:mod:`reuse.runfolder.checkpoints`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.arrow import as_type, from_numpy, from_strings
from ..errors import ConfigError, ReuseError, RunFolderError
from ..ingest import path_from_manifest
from .schema import TABLES

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; the folder is then not locked
    fcntl = None  # type: ignore[assignment]

MARKER = ".reuse-run"
MANIFEST = "manifest.json"
# Stage checkpoints of a run in progress (see reuse.runfolder.checkpoints); not an output.
CHECKPOINTS = "checkpoints"
FORMATS = ("parquet", "jsonl", "csv")
HTML_DIR = "html"
REPORT_FILES = frozenset({"matrix.csv", "heatmap.png", "group_matrix.csv", "group_heatmap.png",
                          HTML_DIR, *(f"pair_reuse.{fmt}" for fmt in FORMATS)})
TABLE_FILES = frozenset(f"{name}.{fmt}" for name in TABLES for fmt in FORMATS)
OUTPUT_NAMES = TABLE_FILES | REPORT_FILES | {MANIFEST}
# ".documents.parquet.tmp-123", ".html.tmp-123", ".html.old-123"; and ".heatmap.png.tmp-123.png",
# as reuse 0.1.0 named the heatmap's temporary
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?:tmp|old)-\d+(?:\.png)?")
_MARKER_TEXT = "This is a reuse run folder: reuse replaces its own files here and no others.\n"


def temporary_of(name: str) -> str | None:
    """The output name whose temporary ``name`` is, or None when it is not a reuse temporary."""
    match = _TEMPORARY.fullmatch(name)
    if match is None or match["name"] not in OUTPUT_NAMES:
        return None
    return match["name"]


def is_reuse_name(name: str) -> bool:
    """True for the names reuse writes into a run folder (outputs, temporaries, the marker,
    the checkpoints)."""
    return (name in OUTPUT_NAMES or name in (MARKER, CHECKPOINTS)
            or temporary_of(name) is not None)


def os_reason(exc: OSError) -> str:
    """The OS's words for an error ("No space left on device"), also for pyarrow's OSErrors,
    whose strerror is a sentence of their own."""
    if exc.errno:
        return os.strerror(exc.errno)
    return exc.strerror or str(exc)


def write_error(path: str | os.PathLike[str], exc: OSError) -> RunFolderError:
    """The error for a file of a run folder that could not be written."""
    return RunFolderError(
        f"{path}: cannot write ({os_reason(exc)}). Make room (or fix the cause) and run again."
    )


def incomplete_error(folder: Path) -> RunFolderError:
    return RunFolderError(
        f"{folder}: incomplete run folder (no {MANIFEST}); the run was interrupted or failed. "
        "Run it again."
    )


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Around the writing of ``path``: an OSError (a full disk) becomes a RunFolderError naming
    it, also when the library that wrote (pyarrow, PIL) did not name the file."""
    try:
        yield
    except OSError as exc:
        raise write_error(path, exc) from exc


def write_atomically(target: Path, write: Any) -> None:
    """Call ``write(temporary)`` and rename the temporary to ``target`` once it is complete; an
    OSError is a RunFolderError naming ``target``."""
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        with writing(target):
            write(temporary)
            os.replace(temporary, target)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


# --- paths given to a run -------------------------------------------------------------------


def _real(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(path))


def _overlap(a: Path, b: Path) -> str | None:
    """How real path ``a`` relates to real path ``b``: 'is', 'lies inside', 'contains' or None."""
    if a == b:
        return "is"
    if a.is_relative_to(b):
        return "lies inside"
    if b.is_relative_to(a):
        return "contains"
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _recorded_kept(out: Path) -> str | None:
    """The --write-kept path recorded by the run in ``out``, if its manifest records one."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("write_kept"), str):
        return None
    spec = {"path": manifest["write_kept"], "path_bytes": manifest.get("write_kept_bytes")}
    try:
        return path_from_manifest(spec)
    except ReuseError:
        return None


def check_output_paths(
    source: Any, out: str | os.PathLike[str], write_kept: str | os.PathLike[str] | None = None
) -> None:
    """Refuse, before any work starts, outputs that would overwrite the input, be read back as
    input, or overwrite a file that reuse did not write.

    ``source`` is the input path (anything else, e.g. an in-memory corpus, is not checked
    against). ``--out`` must not be, contain or lie inside the input. ``--write-kept`` must not
    be the input file (also through a link), lie inside an input folder or contain the input,
    overlap ``--out``, or be an existing file or non-empty folder, unless the earlier run in
    ``--out`` recorded that it wrote it there.
    """
    if str(out) == "":
        raise ConfigError("--out is an empty path; name the run folder to write.")
    out_real = _real(out)
    source_real = None
    if isinstance(source, str | os.PathLike):
        if str(source) == "":
            raise ConfigError("INPUT is an empty path; name a file or folder (. for the current "
                              "folder).")
        source_real = _real(source)
        relation = _overlap(out_real, source_real)
        if relation is not None:
            raise ConfigError(
                f"--out {out} {relation} the input {source}: the run folder must lie outside "
                "the input, and the input outside it. Choose another --out."
            )
    if write_kept is None:
        return
    if str(write_kept) == "":
        raise ConfigError("--write-kept is an empty path; name the file or folder to write.")
    kept, kept_real = Path(write_kept), _real(write_kept)
    if source_real is not None:
        relation = "is" if _same_file(kept, Path(source)) else _overlap(kept_real, source_real)
        if relation is not None:
            raise ConfigError(
                f"--write-kept {kept} {relation} the input {source}: the kept documents would "
                "overwrite the input or be read as input by the next run. Choose a path outside "
                "the input."
            )
    relation = _overlap(kept_real, out_real)
    if relation is not None:
        raise ConfigError(
            f"--write-kept {kept} {relation} the run folder --out {out}. Choose a path outside it."
        )
    ancestor = kept.parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if os.path.lexists(ancestor) and not ancestor.is_dir():
        raise ReuseError(
            f"{kept}: cannot write the kept documents (Not a directory); "
            "choose another --write-kept path"
        )
    if not os.path.lexists(kept):
        return
    if kept.is_dir() and not kept.is_symlink() and not any(kept.iterdir()):
        return
    if _recorded_kept(Path(out)) == str(kept_real):
        return
    what = "a folder that is not empty" if kept.is_dir() else "a file"
    raise ConfigError(
        f"--write-kept {kept}: already exists ({what}) and was not written by the run in {out}; "
        "reuse does not overwrite it. Remove it, or choose another --write-kept path."
    )


# --- claiming and locking -------------------------------------------------------------------


@dataclass
class RunFolder:
    """A run folder claimed (and locked) by this process."""

    path: Path
    writing: bool = False  # clear() has run: the earlier run in the folder is gone
    created: list[Path] = field(default_factory=list)  # folders the claim created, outermost first
    marker_created: bool = False

    def clear(self) -> None:
        """Remove every output of an earlier run (the manifest first), and nothing else (the
        checkpoints of the run being written stay; see :mod:`reuse.runfolder.checkpoints`)."""
        self.writing = True
        self._remove(self.path / MANIFEST)
        for name in sorted(os.listdir(self.path)):
            if name in OUTPUT_NAMES or temporary_of(name) is not None:
                self._remove(self.path / name)

    def remove_report(self, *, strict: bool = True) -> None:
        """Remove the report's files (matrix, heatmaps, html/, pair_reuse) and their
        temporaries; the tables and the manifest stay."""
        for name in sorted(os.listdir(self.path)):
            if name in REPORT_FILES or temporary_of(name) in REPORT_FILES:
                self._remove(self.path / name, strict=strict)

    @contextlib.contextmanager
    def writing_report(self) -> Iterator[None]:
        """Around the writing of a report: an error or interrupt removes what was written of it
        (the manifest already says that there is no report), and an OSError becomes a
        RunFolderError naming the file."""
        try:
            yield
        except OSError as exc:
            self.remove_report(strict=False)
            raise write_error(exc.filename or self.path, exc) from exc
        except BaseException:
            self.remove_report(strict=False)
            raise

    def remove_manifest(self) -> None:
        with contextlib.suppress(OSError):
            (self.path / MANIFEST).unlink(missing_ok=True)

    def remove_stale_temporaries(self) -> None:
        """Temporaries of processes that died while writing here (the lock says none is alive)."""
        for name in sorted(os.listdir(self.path)):
            if temporary_of(name) is not None:
                self._remove(self.path / name)

    def _remove(self, path: Path, *, strict: bool = True) -> None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            if strict:
                raise RunFolderError(
                    f"{path}: cannot remove the earlier run's output ({os_reason(exc)})") from exc
            return
        try:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            if strict:
                raise RunFolderError(
                    f"{path}: cannot remove the earlier run's output ({os_reason(exc)}); remove "
                    "it yourself or choose another --out") from exc

    def undo_creation(self) -> None:
        """Leave the place as it was before the claim: remove the marker and the folders that the
        claim created, if they hold nothing else. A folder holding checkpoints keeps its marker:
        the run that failed may be resumed there."""
        if self.marker_created and not os.path.lexists(self.path / CHECKPOINTS):
            with contextlib.suppress(OSError):
                (self.path / MARKER).unlink()
        for folder in reversed(self.created):
            with contextlib.suppress(OSError):
                folder.rmdir()


@dataclass
class _Claim:
    folder: RunFolder
    fd: int
    thread: int
    depth: int = 1


_claims: dict[tuple[int, int], _Claim] = {}
_claims_lock = threading.Lock()
_marked_incomplete: set[Path] = set()


def marked_incomplete(path: str | os.PathLike[str]) -> bool:
    """True when this process claimed ``path`` and removed its manifest on an interrupt."""
    return _real(path) in _marked_incomplete


def _create(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created (outermost first)."""
    missing = []
    cursor = folder
    while not os.path.lexists(cursor) and cursor != cursor.parent:
        missing.append(cursor)
        cursor = cursor.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(
            f"{folder}: cannot create the run folder ({os_reason(exc)}); choose another --out"
        ) from exc
    return missing[::-1]


def _legacy_run_folder(folder: Path, names: list[str]) -> bool:
    """A run folder of a reuse version without the marker: a manifest and only reuse's names."""
    if MANIFEST not in names or not all(is_reuse_name(n) for n in names):
        return False
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"reuse_version", "schema_version"} <= manifest.keys()


def _check_ownership(folder: Path, create: bool) -> None:
    try:
        marker = os.lstat(folder / MARKER)
    except FileNotFoundError:
        marker = None
    except OSError as exc:
        raise RunFolderError(f"{folder}: cannot read the folder ({os_reason(exc)})") from exc
    if marker is not None:
        if not stat.S_ISREG(marker.st_mode):
            raise RunFolderError(
                f"{folder / MARKER}: not reuse's marker file (a folder or a link); reuse does not "
                "write into this folder. Choose another folder.")
        return
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise RunFolderError(f"{folder}: cannot read the folder ({os_reason(exc)})") from exc
    if not names and create:
        return
    if _legacy_run_folder(folder, names):
        return
    if not create:
        if MANIFEST not in names:
            raise incomplete_error(folder)
        raise RunFolderError(
            f"{folder}: not a run folder written by reuse (no {MARKER} marker, and it holds files "
            "reuse does not write); reuse reads and reports only its own run folders.")
    foreign = [n for n in names if not is_reuse_name(n)] or names
    shown = ", ".join(repr(n) for n in foreign[:3])
    more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
    raise RunFolderError(
        f"{folder}: not empty and not a reuse run folder (it holds {shown}{more}); reuse writes "
        "only into a new or empty folder or a run folder it wrote, and never deletes other "
        "files. Choose another --out, or move those files away."
    )


def _lock(folder: Path, fd: int) -> None:
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise RunFolderError(
                f"{folder}: cannot lock the run folder ({os_reason(exc)}); choose a --out on a "
                "local file system") from exc
        holder = ""
        with contextlib.suppress(OSError, ValueError):
            text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            found = re.search(r"^pid (\d+)$", text, re.MULTILINE)
            holder = f" (pid {int(found[1])})" if found else ""
        raise RunFolderError(
            f"{folder}: another reuse process{holder} is using this run folder. Wait for it to "
            "finish, or choose another --out."
        ) from None


def _open_marker(folder: Path) -> tuple[int, bool]:
    path = folder / MARKER
    flags = os.O_RDWR | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644), True
        except FileExistsError:
            return os.open(path, flags), False
    except OSError as exc:
        raise RunFolderError(
            f"{folder}: cannot write in the run folder ({os_reason(exc)}); choose another --out"
        ) from exc


def _acquire(folder: Path, create: bool, created: list[Path]) -> tuple[int, RunFolder]:
    claimed = RunFolder(folder, created=created)
    fd = -1
    try:
        _check_ownership(folder, create)
        fd, created_marker = _open_marker(folder)
        _lock(folder, fd)
        # Only once the lock is ours: a process that created the marker but lost the lock to
        # another must not remove the marker (or the folder) the other one holds.
        claimed.marker_created = created_marker
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{_MARKER_TEXT}pid {os.getpid()}\n".encode(), 0)
        except OSError as exc:
            raise write_error(folder / MARKER, exc) from exc
        claimed.remove_stale_temporaries()
    except BaseException:
        if fd >= 0:
            os.close(fd)
        claimed.undo_creation()
        raise
    return fd, claimed


def _release(entry: _Claim, failure: BaseException | None, incomplete_on_interrupt: bool) -> None:
    folder = entry.folder
    try:
        if failure is not None:
            interrupted = isinstance(failure, KeyboardInterrupt)
            if folder.writing or (interrupted and incomplete_on_interrupt):
                folder.remove_manifest()
                if interrupted:
                    _marked_incomplete.add(_real(folder.path))
            if not folder.writing:
                folder.undo_creation()
    finally:
        os.close(entry.fd)  # closing the only descriptor of the marker releases the flock


@contextlib.contextmanager
def claim(
    path: str | os.PathLike[str], *, create: bool = True, incomplete_on_interrupt: bool = False
) -> Iterator[RunFolder]:
    """Claim the run folder ``path`` for this process: create it (``create``), check that it is
    reuse's, lock it, and remove the temporaries of dead runs.

    A failure inside the block after :meth:`RunFolder.clear` leaves no manifest behind; one
    before it undoes what the claim created. With ``incomplete_on_interrupt``, a Ctrl-C or
    SIGTERM also removes an earlier run's manifest (the command was asked to replace it).
    """
    folder = Path(path)
    if str(path) == "":
        raise RunFolderError("the run folder is an empty path; name a folder.")
    if create:
        if os.path.lexists(folder) and not folder.is_dir():
            raise RunFolderError(
                f"{folder}: cannot create the run folder (a file is in the way); choose another "
                "--out")
    elif not folder.is_dir():
        raise RunFolderError(f"{folder}: no such run folder")
    held = _held_claim(folder)
    if held is None:
        created = _create(folder) if create else []
        key = _key(folder)
        fd, claimed = _acquire(folder, create, created)
        entry = _Claim(claimed, fd, threading.get_ident())
        with _claims_lock:
            _claims[key] = entry
    else:
        key, entry = held
        entry.depth += 1
    failure: BaseException | None = None
    try:
        yield entry.folder
    except BaseException as exc:
        failure = exc
        raise
    finally:
        entry.depth -= 1
        if entry.depth == 0:
            with _claims_lock:
                _claims.pop(key, None)
            _release(entry, failure, incomplete_on_interrupt)


def _key(folder: Path) -> tuple[int, int]:
    try:
        info = os.stat(folder)
    except OSError as exc:
        raise RunFolderError(f"{folder}: cannot open the run folder ({os_reason(exc)})") from exc
    return info.st_dev, info.st_ino


def _held_claim(folder: Path) -> tuple[tuple[int, int], _Claim] | None:
    try:
        info = os.stat(folder)
    except OSError:
        return None
    key = (info.st_dev, info.st_ino)
    with _claims_lock:
        entry = _claims.get(key)
    if entry is None:
        return None
    if entry.thread != threading.get_ident():
        raise RunFolderError(
            f"{folder}: another thread of this process is using this run folder. Wait for it to "
            "finish, or choose another folder.")
    return key, entry


SIGNATURES_FILE = "signatures.parquet"
# Documents per row group of the signatures table: 8 MB of values with 128 of them. The group
# is encoded while the other tables are written: at 65,536 rows the whole dedup peaked 60-90 MB
# higher (246 against 185 MiB on 100k documents, 337 against 261 MiB on 155k Bible verses).
SIGNATURE_ROWS_PER_GROUP = 1 << 14


def write_signatures(folder: Path, ids: Any, signatures: Any,
                     rows_per_group: int = SIGNATURE_ROWS_PER_GROUP) -> str:
    """Write the ``signatures`` table (``doc_id``, and ``signature``: a fixed-size list of
    ``num_perm`` uint32) into ``folder``, a row group at a time from ``signatures`` (a
    :class:`reuse.engine.RowFile` of one row per document, in the order of ``ids``: a sequence
    of strings, or an Arrow string array); returns the file name. The table is Parquet
    whatever the other tables' format: its values are random 32-bit numbers, which no text
    format holds compactly, and compression would not shrink."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if signatures.n_rows != len(ids):
        raise ValueError(f"{signatures.n_rows} signatures for {len(ids)} documents")
    num_perm = signatures.width
    # Required fields: Parquet then stores no definition level per value, which took the
    # writing of a million signatures from about 2.2 to 1.7 CPU-s, and reading them back
    # several times faster.
    signature_type = pa.list_(pa.field("item", pa.uint32(), nullable=False), num_perm)
    schema = pa.schema([pa.field("doc_id", pa.string(), nullable=False),
                        pa.field("signature", signature_type, nullable=False)])

    def write(temporary: Path) -> None:
        with pq.ParquetWriter(temporary, schema, compression="none", use_dictionary=False,
                              write_statistics=["doc_id"]) as writer:
            if not ids:
                writer.write_table(schema.empty_table())
            for start, block in signatures.blocks(rows_per_group):
                values = pa.FixedSizeListArray.from_arrays(from_numpy(block.ravel()),
                                                           type=signature_type)
                doc_ids = (as_type(ids.slice(start, len(block)), pa.string())
                           if isinstance(ids, pa.Array)
                           else from_strings(ids[start:start + len(block)], pa.string()))
                writer.write_table(pa.Table.from_arrays([doc_ids, values], schema=schema))

    write_atomically(Path(folder) / SIGNATURES_FILE, write)
    return SIGNATURES_FILE
