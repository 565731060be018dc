"""Scratch folders (reuse.engine.scratch): a killed process's are removed by the next one; what
is not reuse's, or not surely stale, is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from reuse.engine.scratch import MARKER, host_tag, remove_stale_scratch, scratch_folder


@pytest.fixture(scope="module")
def ended_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_scratch_folder_is_named_for_its_process_and_marked(tmp_path):
    folder = scratch_folder("spill", tmp_path)
    assert folder.parent == tmp_path
    assert folder.name.startswith(f"reuse-spill-{host_tag()}-{os.getpid()}-")
    assert [entry.name for entry in folder.iterdir()] == [MARKER]


def test_only_marked_folders_of_ended_processes_of_this_machine_are_removed(tmp_path, ended_pid):
    def folder(name: str, marked: bool = True):
        path = tmp_path / name
        path.mkdir()
        (path / "data").write_bytes(b"x" * 100)
        if marked:
            (path / MARKER).touch()
        return path

    host = host_tag()
    other_host = "0" * 8 if host != "0" * 8 else "1" * 8
    stale = folder(f"reuse-shingles-{host}-{ended_pid}-abc")
    kept = [
        folder(f"reuse-shingles-{host}-{ended_pid}-nomarker", marked=False),  # not reuse's
        folder(f"reuse-shingles-{other_host}-{ended_pid}-abc"),  # another machine's
        folder(f"reuse-shingles-{host}-{os.getpid()}-abc"),  # a running process's
        folder(f"reuse-shingles-{host}-{os.getppid()}-abc"),
        folder(f"reuse-store-{ended_pid}-abc"),  # not a scratch folder's name
        folder(f"my-reuse-spill-{host}-{ended_pid}-abc"),
    ]
    link_target = folder("elsewhere")
    link = tmp_path / f"reuse-spill-{host}-{ended_pid}-link"
    link.symlink_to(link_target, target_is_directory=True)
    file = tmp_path / f"reuse-spill-{host}-{ended_pid}-file"
    file.write_bytes(b"not a folder")
    remove_stale_scratch(tmp_path)
    assert not stale.exists()
    assert all((path / "data").exists() for path in [*kept, link_target])
    assert link.is_symlink() and file.exists()


def test_a_marker_that_is_not_a_file_does_not_mark(tmp_path, ended_pid):
    path = tmp_path / f"reuse-spill-{host_tag()}-{ended_pid}-abc"
    (path / MARKER).mkdir(parents=True)
    remove_stale_scratch(tmp_path)
    assert path.exists()


def test_a_missing_parent_folder_has_nothing_to_remove(tmp_path):
    remove_stale_scratch(tmp_path / "missing")


KILLED_RUN = """
import os, signal, sys
import numpy as np
from reuse.engine.spill import Workspace
from reuse.ingest import read_corpus
from reuse.verify import ShingleStore

corpus = read_corpus(sys.argv[1])
shingles = ShingleStore()
shingles.append(np.arange(10, dtype=np.uint64), np.array([0, 4, 10]))
workspace = Workspace()
workspace.file("spill").write_bytes(b"x" * 100)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_scratch_of_a_killed_process_is_removed_by_the_next_one(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    corpus = tmp_path / "a.jsonl"
    corpus.write_text('{"id": "a", "text": "some words here"}\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", KILLED_RUN, str(corpus)], check=False,
                          env={**os.environ, "TMPDIR": str(scratch)})
    assert done.returncode == -signal.SIGKILL
    left = sorted(entry.name.split("-")[1] for entry in scratch.iterdir())
    assert left == ["shingles", "spill", "store"]  # nothing ran to remove them
    made = scratch_folder("spill", scratch)
    assert list(scratch.iterdir()) == [made]


def test_a_folder_whose_marker_cannot_be_written_is_not_left_behind(tmp_path, monkeypatch):
    from pathlib import Path

    def refuse(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "touch", refuse)
    with pytest.raises(OSError, match="No space left"):
        scratch_folder("spill", tmp_path)
    assert list(tmp_path.iterdir()) == []
