"""The stage ledger records a stage at once for the run and on disk once the stage's files are
flushed, in a thread of its own: the run goes on meanwhile, the ledger on disk never names a
file before it is flushed, and a failed flush is the run's error."""

from __future__ import annotations

import errno
import json
import threading
from pathlib import Path

import pytest

from reuse.errors import RunFolderError
from reuse.runfolder import checkpoints
from reuse.runfolder.checkpoints import StageLedger, wait_for_flushes


def on_disk(out: Path) -> list[str]:
    body = json.loads((out / "checkpoints" / "stages.json").read_text())
    return [stage["name"] for stage in body["stages"]]


def new_ledger(out: Path) -> StageLedger:
    out.mkdir()
    return StageLedger.start(out, "dedup", {"config": {}})


def write_stage(ledger: StageLedger, name: str, files: dict[str, bytes]) -> None:
    with ledger.writing(name) as folder:
        for file_name, data in files.items():
            (folder / file_name).write_bytes(data)


def test_complete_returns_before_the_flush_and_the_ledger_names_the_stage_after_it(
        tmp_path, monkeypatch):
    ledger = new_ledger(tmp_path / "out")
    release, flushing = threading.Event(), threading.Event()
    real_fsync = checkpoints.fsync_path

    def slow_fsync(path):
        flushing.set()
        assert release.wait(10)
        real_fsync(path)

    monkeypatch.setattr(checkpoints, "fsync_path", slow_fsync)
    write_stage(ledger, "sketch", {"signatures.u32": b"\x01" * 64})
    ledger.complete("sketch", {"documents": 3})
    assert flushing.wait(10)
    # The run knows the stage is complete; the disk does not, yet.
    assert ledger.done("sketch") and ledger.values("sketch") == {"documents": 3}
    assert on_disk(tmp_path / "out") == []
    release.set()
    ledger.wait()
    assert on_disk(tmp_path / "out") == ["sketch"]


def test_every_file_of_a_stage_is_flushed_before_the_ledger_names_it(tmp_path, monkeypatch):
    out = tmp_path / "out"
    ledger = new_ledger(out)
    seen: list[tuple[Path, list[str]]] = []
    real_fsync = checkpoints.fsync_path

    def recording_fsync(path):
        seen.append((Path(path), on_disk(out)))
        real_fsync(path)

    monkeypatch.setattr(checkpoints, "fsync_path", recording_fsync)
    write_stage(ledger, "sketch", {"a.npy": b"a", "b.npy": b"bb"})
    ledger.complete("sketch")
    write_stage(ledger, "candidates", {"pairs.i64": b"c" * 16})
    ledger.complete("candidates")
    ledger.wait()
    assert on_disk(out) == ["sketch", "candidates"]
    for stage, names in (("sketch", ["a.npy", "b.npy"]), ("candidates", ["pairs.i64"])):
        for name in names:
            (recorded,) = [listed for path, listed in seen
                           if path == out / "checkpoints" / stage / name]
            assert stage not in recorded  # flushed while the ledger did not name it yet


def test_a_failed_flush_is_raised_and_the_ledger_never_names_the_stage(tmp_path, monkeypatch):
    out = tmp_path / "out"
    ledger = new_ledger(out)

    def failing_fsync(path):
        raise OSError(errno.EIO, "Input/output error", str(path))

    monkeypatch.setattr(checkpoints, "fsync_path", failing_fsync)
    write_stage(ledger, "sketch", {"a.npy": b"a"})
    ledger.complete("sketch")
    wait_for_flushes()
    monkeypatch.undo()
    write_stage(ledger, "candidates", {"b.npy": b"b"})
    with pytest.raises(RunFolderError, match=r"a\.npy.*Input/output error"):
        ledger.complete("candidates")
    with pytest.raises(RunFolderError, match=r"a\.npy.*Input/output error"):
        ledger.wait()
    assert on_disk(out) == []


def test_removing_the_checkpoints_waits_for_the_flushes_still_to_come(tmp_path, monkeypatch):
    out = tmp_path / "out"
    ledger = new_ledger(out)
    release = threading.Event()
    real_fsync = checkpoints.fsync_path

    def slow_fsync(path):
        assert release.wait(10)
        real_fsync(path)

    monkeypatch.setattr(checkpoints, "fsync_path", slow_fsync)
    write_stage(ledger, "sketch", {"a.npy": b"a"})
    ledger.complete("sketch")
    threading.Timer(0.2, release.set).start()
    ledger.finish(keep=False)
    ledger.wait()  # the flush ran whole, before the removal: it did not fail on removed files
    assert not (out / "checkpoints").exists()
