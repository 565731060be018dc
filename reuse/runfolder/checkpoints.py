"""Stage checkpoints in a run folder, so that a killed run continues where it stopped.

While ``reuse dedup`` or ``reuse run`` works, each stage's output goes into
``<run folder>/checkpoints/<stage>/``, a folder reuse creates and owns, and the stage ledger
``checkpoints/stages.json`` records it once its files are complete. The ledger is the contract:

* ``format`` (this module's :data:`LEDGER_FORMAT`), ``reuse_version``, ``command`` and
  ``engine`` (``local`` or ``spark``: a run resumes only the checkpoints of its own engine,
  whose files it can read; a ledger without the key is the local engine's);
* ``stage_root``, when the stages' files are not in ``checkpoints/`` itself: the Spark engine
  with ``--spark-dir`` writes them in a new folder ``reuse-checkpoints-<hex>/`` there (storage
  every executor reaches), which holds the marker file :data:`STAGE_ROOT_MARKER`; only a
  folder with that marker is ever removed;
* ``depends_on``: what every checkpoint was computed from: the input's ``fingerprint``,
  ``order_fingerprint`` and ``documents`` (as in the manifest's input block) and the whole
  ``config`` (as in the manifest). A run resumed with another input or other settings (or by
  another version of reuse) is refused with an error naming the first difference: a
  checkpoint is never reused for other input, and never silently recomputed;
* ``stages``: the completed stages in the order they ran, each with its ``files`` (paths
  inside ``checkpoints/`` or the stage root, with their sizes in bytes: every file under the
  stage's folder, also in sub-folders, as Spark writes a table as a folder of part files) and
  ``values`` (small results: counts);
* ``parts``: the parts kept of a long stage in progress (``align``: its chunks aligned so far,
  in ``align_parts/``, every 10 seconds or so), each stage's with the number of units
  (``total``) it was cut into, how many the parts hold (``kept``) and their ``files``. A
  resumed run reads them back and aligns the chunks after them; the parts go when the stage
  completes.

A stage's files are written and flushed to disk (``fsync``) before the ledger names them, and
the ledger is replaced atomically (a temporary, ``fsync``, rename, ``fsync`` of the folder):
after a crash at any moment, the ledger lists only stages whose files are whole. A stage
folder the ledger does not list is a stage that was cut short; it is removed when the stage
runs again. The flushing and the ledger's rewriting happen in a thread of their own, in the
order the stages completed, while the run goes on with the next stage: a stage's files are
complete when it is recorded, so only the disk is waited for there. A run killed before the
thread caught up resumes from the last stage the ledger names.

A run without ``resume`` starts with an empty ``checkpoints/``; after the run's tables and
manifest are written, ``checkpoints/`` (and its stage root) is removed, unless the run was asked
to keep it (then the ledger says ``"finished": true``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..common.durable import fsync_path
from ..errors import RunFolderError
from .folder import CHECKPOINTS, MANIFEST, os_reason, write_error

if TYPE_CHECKING:
    import pandas as pd

LEDGER = "stages.json"
# The folder of the parts kept of a stage in progress: align_parts/.
PARTS_SUFFIX = "_parts"
LEDGER_FORMAT = 1
# The marker file of a stage root outside checkpoints/ (see stage_root in the ledger).
STAGE_ROOT_MARKER = ".reuse-checkpoints"
STAGE_ROOT_PREFIX = "reuse-checkpoints-"
_STAGE_ROOT_TEXT = ("The stage checkpoints of a reuse run whose ledger is in {ledger}; reuse "
                    "removes this folder once the run is written.\n")
# For tests: the process kills itself (SIGKILL) right after it records this stage complete
# ("start": right after it starts a new ledger).
DIE_AFTER_VARIABLE = "REUSE_TEST_DIE_AFTER"


@functools.cache
def _flusher() -> ThreadPoolExecutor:
    """The thread that flushes the stages' files to disk and rewrites the ledgers, one record
    after the other, for every ledger of the process (see :meth:`StageLedger._record`)."""
    return ThreadPoolExecutor(1, thread_name_prefix="reuse-checkpoints")


def wait_for_flushes() -> None:
    """Return once every stage recorded so far (by any ledger of this process) is in its
    ledger on disk, or failed to be: before checkpoints are read or removed, which a record
    still to come would race, and before a run lets go of its folder."""
    if _flusher.cache_info().currsize:  # else nothing was ever recorded: no thread to start
        _flusher().submit(lambda: None).result()


def _die_after(step: str) -> None:
    if os.environ.get(DIE_AFTER_VARIABLE) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"dedup": {"threshold": 0.8}}`` as ``{"dedup.threshold": 0.8}``."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, inner in value.items():
        flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _difference(recorded: dict[str, Any], current: dict[str, Any]) -> str | None:
    """The first difference between two dependency blocks, in words, or None."""
    recorded_input, current_input = recorded.get("input", {}), current.get("input", {})
    if recorded_input.get("documents") != current_input.get("documents") or (
            recorded_input.get("fingerprint") != current_input.get("fingerprint")):
        return (f"the input changed since the checkpoints were made (now "
                f"{current_input.get('documents')} documents, fingerprint "
                f"{current_input.get('fingerprint')}; then {recorded_input.get('documents')} "
                f"documents, fingerprint {recorded_input.get('fingerprint')})")
    if recorded_input.get("order_fingerprint") != current_input.get("order_fingerprint"):
        return ("the documents of the input are in another order than when the checkpoints "
                "were made, and the tables follow the input's order")
    old, new = _flatten(recorded.get("config", {})), _flatten(current.get("config", {}))
    for key in sorted(old.keys() | new.keys()):
        if old.get(key, "(not set)") != new.get(key, "(not set)"):
            return (f"the setting {key} is {json.dumps(new.get(key))} in this run, and was "
                    f"{json.dumps(old.get(key))} when the checkpoints were made")
    return None


class StageLedger:
    """The checkpoints of one run in ``<run folder>/checkpoints/``: which stages are complete,
    their files and values. Made by :meth:`start` (a new run) or :meth:`resume`."""

    def __init__(self, run_folder: Path, body: dict[str, Any]) -> None:
        self.run_folder = run_folder
        self.path = run_folder / CHECKPOINTS
        self.body = body
        # Where the stages' folders are: checkpoints/ itself, or the recorded stage root.
        self.stage_path = Path(body["stage_root"]) if body.get("stage_root") else self.path
        self.keep = False  # the checkpoints stay once the run is written
        self.resumed_after: str | None = body["stages"][-1]["name"] if body["stages"] else None
        # Units of stages in progress that the killed run kept: {"align": chunks}.
        self.resumed_parts = {name: int(part["kept"]) for name, part in body["parts"].items()}
        # What stopped the flushing thread from recording a stage (see _record).
        self._flush_error: RunFolderError | None = None

    # --- making ---------------------------------------------------------------------------

    @classmethod
    def start(cls, run_folder: str | os.PathLike[str], command: str,
              depends_on: dict[str, Any], engine: str = "local",
              stages_in: str | os.PathLike[str] | None = None) -> StageLedger:
        """New, empty checkpoints for a run of ``command`` on ``engine`` (earlier checkpoints
        are removed). The stages' files go into ``checkpoints/``, or with ``stages_in`` into a
        new stage root ``reuse-checkpoints-<hex>/`` made there."""
        folder = Path(run_folder)
        remove_checkpoints(folder)
        try:
            (folder / CHECKPOINTS).mkdir()
        except OSError as exc:
            raise write_error(folder / CHECKPOINTS, exc) from exc
        body = {"format": LEDGER_FORMAT, "reuse_version": __version__, "command": command,
                "engine": engine, "depends_on": depends_on, "finished": False, "stages": [],
                "parts": {}}
        if stages_in is not None:
            body["stage_root"] = str(_new_stage_root(Path(stages_in), folder / CHECKPOINTS))
        ledger = cls(folder, body)
        ledger._write()
        _die_after("start")
        return ledger

    @classmethod
    def resume(cls, run_folder: str | os.PathLike[str], command: str,
               depends_on: dict[str, Any], engine: str = "local") -> StageLedger:
        """The checkpoints of the killed run in ``run_folder``, checked against this run's
        ``command``, ``engine`` and ``depends_on``; a RunFolderError names what differs."""
        folder = Path(run_folder)
        body = check_resumable(folder, command, engine)
        where = folder / CHECKPOINTS / LEDGER
        difference = _difference(body.get("depends_on", {}), depends_on)
        if difference is not None:
            raise RunFolderError(
                f"{where}: cannot resume: {difference}. Run without --resume to start over "
                "(the checkpoints are then replaced).")
        ledger = cls(folder, body)
        ledger._check_files()
        return ledger

    def _check_files(self) -> None:
        records = [*self.body["stages"],
                   *({"name": name, **part} for name, part in self.body["parts"].items())]
        if self.stage_path != self.path and not (self.stage_path / STAGE_ROOT_MARKER).is_file():
            raise RunFolderError(
                f"{self.path / LEDGER}: the stage root {self.stage_path} it names is gone or is "
                f"not reuse's (no {STAGE_ROOT_MARKER} in it); run without --resume to start "
                "over.")
        for stage in records:
            for name, size in stage["files"].items():
                parts = Path(name).parts
                if len(parts) < 2 or Path(name).is_absolute() or ".." in parts:
                    raise RunFolderError(
                        f"{self.path / LEDGER}: the file {name!r} of stage {stage['name']} is not "
                        f"a file of {CHECKPOINTS}/; the ledger was changed. Run without --resume "
                        "to start over.")
                path = self.stage_path / name
                try:
                    actual = path.stat().st_size
                except OSError as exc:
                    raise RunFolderError(
                        f"{path}: a checkpoint of stage {stage['name']} cannot be read "
                        f"({os_reason(exc)}); run without --resume to start over.") from exc
                if actual != size:
                    raise RunFolderError(
                        f"{path}: a checkpoint of stage {stage['name']} holds {actual} bytes, "
                        f"the ledger recorded {size}; run without --resume to start over.")

    # --- reading ---------------------------------------------------------------------------

    def stage(self, name: str) -> dict[str, Any] | None:
        """The record of stage ``name`` if it is complete, else None."""
        for stage in self.body["stages"]:
            if stage["name"] == name:
                return stage
        return None

    def done(self, name: str) -> bool:
        return self.stage(name) is not None

    def values(self, name: str) -> dict[str, Any]:
        stage = self.stage(name)
        if stage is None:
            raise KeyError(name)
        return stage["values"]

    def file(self, stage: str, name: str) -> Path:
        """The path of a checkpoint file ``name`` of ``stage`` (complete or being written)."""
        return self.stage_path / stage / name

    def arrays(self, stage: str, *names: str) -> list[np.ndarray]:
        """The numpy arrays ``names`` of a complete stage (``<name>.npy``)."""
        return [np.load(self.file(stage, f"{name}.npy"), allow_pickle=False) for name in names]

    def frame(self, stage: str, name: str) -> pd.DataFrame:
        """The table ``name`` of a complete stage (``<name>.parquet``), as it was saved."""
        import pyarrow.parquet as pq

        return pq.read_table(self.file(stage, f"{name}.parquet")).to_pandas()

    # --- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self, name: str) -> Iterator[Path]:
        """The folder to write stage ``name``'s files into (emptied first); an OSError while
        writing them is a RunFolderError naming the file."""
        folder = self.empty_folder(name)
        try:
            yield folder
        except OSError as exc:
            raise write_error(exc.filename or folder, exc) from exc

    def empty_folder(self, name: str) -> Path:
        """Stage ``name``'s folder, emptied (for a stage written by other means than
        :meth:`writing`)."""
        folder = self.stage_path / name
        shutil.rmtree(folder, ignore_errors=True)
        try:
            folder.mkdir()
        except OSError as exc:
            raise write_error(folder, exc) from exc
        return folder

    def record_input(self, fingerprints: dict[str, Any]) -> None:
        """Record the input the checkpoints depend on, when the ledger was started before the
        input was read (its sketching overlapping the reading)."""
        self._raise_flush_error()
        self.body["depends_on"] = {"input": fingerprints, **self.body["depends_on"]}
        self._record([], None)

    def complete(self, name: str, values: dict[str, Any] | None = None) -> None:
        """Record stage ``name`` complete with every file of its folder (and of its
        sub-folders): at once for this process, and in the ledger on disk once the files are
        flushed to it (see the module's notes)."""
        self._raise_flush_error()
        folder = self.stage_path / name
        files: dict[str, int] = {}
        flush: list[Path] = []
        try:
            if folder.is_dir():
                for directory, _, file_names in sorted(os.walk(folder)):
                    for file_name in sorted(file_names):
                        path = Path(directory) / file_name
                        flush.append(path)
                        files[path.relative_to(self.stage_path).as_posix()] = path.stat().st_size
                    flush.append(Path(directory))
        except OSError as exc:
            raise write_error(exc.filename or folder, exc) from exc
        flush += [self.stage_path, self.path]
        self.body["stages"] = [s for s in self.body["stages"] if s["name"] != name]
        self.body["stages"].append({"name": name, "files": files, "values": values or {}})
        had_parts = self.body["parts"].pop(name, None) is not None
        parts = self.stage_path / f"{name}{PARTS_SUFFIX}"
        self._record(flush, name, then=(lambda: shutil.rmtree(parts, ignore_errors=True))
                     if had_parts else None)

    # --- parts of a long stage -------------------------------------------------------------

    def add_part(self, name: str, data: bytes, kept: int, total: int) -> None:
        """Keep a part of stage ``name`` in progress: ``data`` holds the results of its units
        (chunks) up to the ``kept``-th of ``total``; the ledger records the part once it is on
        disk. A resumed run reads the parts back (:meth:`parts`) and goes on after them."""
        folder = self.stage_path / f"{name}{PARTS_SUFFIX}"
        record = self.body["parts"].setdefault(name, {"total": total, "kept": 0, "files": {}})
        file_name = f"part-{len(record['files']) + 1:05d}.pickle"
        self._raise_flush_error()
        try:
            folder.mkdir(exist_ok=True)
            with open(folder / file_name, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise write_error(folder / file_name, exc) from exc
        record["files"][f"{folder.name}/{file_name}"] = len(data)
        record["kept"] = kept
        self._record([folder / file_name, folder], f"{name}_part")

    def parts(self, name: str, total: int) -> list[Path]:
        """The files of the parts kept of stage ``name``, in order, if it was cut into
        ``total`` units as now (else none: the stage starts from its beginning)."""
        record = self.body["parts"].get(name)
        if record is None or record["total"] != total:
            return []
        return [self.stage_path / file_name for file_name in record["files"]]

    def parts_kept(self, name: str) -> int:
        """How many units of stage ``name`` the kept parts hold."""
        record = self.body["parts"].get(name)
        return 0 if record is None else int(record["kept"])

    def finish(self, keep: bool) -> None:
        """The run's tables and manifest are written: remove the checkpoints, or with ``keep``
        mark them finished (they are not resumed again)."""
        if keep:
            self.wait()
            self.body["finished"] = True
            self._write()
        else:
            remove_checkpoints(self.run_folder)

    def wait(self) -> None:
        """Wait until the ledger on disk records every stage completed so far; raise the
        error that stopped the flushing, if any."""
        wait_for_flushes()
        self._raise_flush_error()

    def _record(self, flush: list[Path], step: str | None,
                then: Callable[[], None] | None = None) -> None:
        """Flush ``flush`` (files and folders) to disk, then write the ledger as it is now,
        then call ``then``: in the flushing thread, after what was recorded before."""
        _flusher().submit(self._flush, flush, json.dumps(self.body, indent=1), step, then)

    def _flush(self, flush: list[Path], body: str, step: str | None,
               then: Callable[[], None] | None) -> None:
        if self._flush_error is not None:
            return  # the ledger must not name files that an earlier flush failed to flush
        try:
            for path in flush:
                try:
                    fsync_path(path)
                except OSError as exc:
                    raise write_error(exc.filename or path, exc) from exc
            self._write(body)
        except RunFolderError as exc:
            self._flush_error = exc
            return
        if then is not None:
            then()
        if step is not None:
            _die_after(step)

    def _raise_flush_error(self) -> None:
        if self._flush_error is not None:
            raise self._flush_error

    def _write(self, body: str | None = None) -> None:
        target = self.path / LEDGER
        temporary = self.path / f".{LEDGER}.tmp-{os.getpid()}"
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(self.body, indent=1) if body is None else body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
            fsync_path(self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise write_error(target, exc) from exc


def save_arrays(folder: Path, **arrays: np.ndarray) -> None:
    """Write each array as ``<name>.npy`` into a stage's folder."""
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", np.asarray(array), allow_pickle=False)


def save_frame(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Write a table as ``<name>.parquet`` into a stage's folder, its pandas types kept."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet",
                   compression="zstd")


def check_resumable(run_folder: str | os.PathLike[str], command: str,
                    engine: str = "local") -> dict[str, Any]:
    """The stage ledger of the killed run in ``run_folder``, if a run of ``command`` on
    ``engine`` may resume it (before its input is read: the input and settings are checked by
    :meth:`StageLedger.resume`); else a RunFolderError says why not."""
    folder = Path(run_folder)
    body = read_ledger(folder)
    if body is None or body.get("finished"):
        if (folder / MANIFEST).exists():
            raise RunFolderError(
                f"{folder}: the run is complete ({MANIFEST} is written); there is nothing to "
                "resume. Run without --resume to run it again.")
        raise RunFolderError(
            f"{folder}: no checkpoints to resume from (no {CHECKPOINTS}/{LEDGER}); the run "
            "stopped before its first stage was recorded, or was not started. Run without "
            "--resume.")
    if "input" not in body.get("depends_on", {}):
        raise RunFolderError(
            f"{folder}: no checkpoints to resume from: the run stopped while reading its "
            "input, before its first stage was recorded. Run without --resume.")
    where = folder / CHECKPOINTS / LEDGER
    if body.get("reuse_version") != __version__:
        raise RunFolderError(
            f"{where}: cannot resume: the checkpoints were made by reuse "
            f"{body.get('reuse_version')}, this is reuse {__version__}. Run without --resume "
            "to start over.")
    if body.get("command") != command:
        raise RunFolderError(
            f"{where}: cannot resume: the checkpoints are of reuse {body.get('command')}, "
            f"this is reuse {command}. Run without --resume to start over.")
    recorded = body.get("engine", "local")
    if recorded != engine:
        raise RunFolderError(
            f"{where}: cannot resume: the checkpoints were made by the {recorded} engine, this "
            f"run is on the {engine} engine, which cannot read them. Resume with --engine "
            f"{recorded}, or run without --resume to start over.")
    return body


def _new_stage_root(parent: Path, ledger_folder: Path) -> Path:
    """A new stage root ``reuse-checkpoints-<hex>/`` in ``parent``, with its marker."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        while True:
            root = parent.absolute() / f"{STAGE_ROOT_PREFIX}{os.urandom(6).hex()}"
            try:
                root.mkdir()
            except FileExistsError:
                continue
            break
        (root / STAGE_ROOT_MARKER).write_text(
            _STAGE_ROOT_TEXT.format(ledger=ledger_folder.absolute() / LEDGER), encoding="utf-8")
    except OSError as exc:
        raise write_error(exc.filename or parent, exc) from exc
    return root


def read_ledger(run_folder: Path) -> dict[str, Any] | None:
    """The stage ledger of ``run_folder``, or None when there is none; a ledger that is not
    one of this version's is a RunFolderError."""
    path = run_folder / CHECKPOINTS / LEDGER
    wait_for_flushes()
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RunFolderError(f"{path}: cannot read the stage ledger ({exc}); run without "
                             "--resume to start over.") from exc
    if not isinstance(body, dict) or body.get("format") != LEDGER_FORMAT or not isinstance(
            body.get("stages"), list) or not isinstance(body.get("parts"), dict):
        raise RunFolderError(f"{path}: not a stage ledger of this version of reuse (format "
                             f"{LEDGER_FORMAT}); run without --resume to start over.")
    return body


def remove_checkpoints(run_folder: Path) -> None:
    """Remove ``checkpoints/`` from ``run_folder`` (a folder reuse made there), and the stage
    root its ledger names, if that holds reuse's marker (else nothing of it is touched). The
    ledger goes before the stages' files in ``checkpoints/``: a run killed while they are
    removed, its manifest written, is then a complete run to ``--resume``, not one whose
    checkpoints cannot be read."""
    path = run_folder / CHECKPOINTS
    try:
        body = read_ledger(run_folder)  # (after every record still to be flushed)
    except RunFolderError:  # not a ledger of this version: no stage root of its to remove
        body = None
    root = Path(body["stage_root"]) if body is not None and body.get("stage_root") else None
    if root is not None and (root / STAGE_ROOT_MARKER).is_file():
        try:
            shutil.rmtree(root)
        except OSError as exc:
            raise RunFolderError(f"{root}: cannot remove the stage checkpoints "
                                 f"({os_reason(exc)}); remove it yourself") from exc
    try:
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            (path / LEDGER).unlink(missing_ok=True)
            shutil.rmtree(path)
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot remove the checkpoints ({os_reason(exc)}); remove "
                             "it yourself or choose another --out") from exc
