"""Interrupted runs never look complete.

``reuse run`` runs in a subprocess with a hook that stops it at a chosen point of a chosen stage:
it kills itself with SIGKILL, or it touches a marker file and waits there for the test to send
SIGINT (Ctrl-C) or SIGTERM. Afterwards ``reuse report`` must refuse the run folder, with exit code
4 and a pinned message, and a new run must succeed in the same folder.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from reuse import pipeline
from reuse.cli.commands import main
from reuse.errors import RunFolderError
from reuse.runfolder import tables
from reuse.runfolder.tables import read_manifest, read_table

# argv: STAGE CALL ACTION MARKER, then the reuse arguments. STAGE is "write_table" (the tables
# module) or "align_documents" (as ``reuse run`` calls it); after its CALL-th call returns, ACTION happens.
HOOK = """
import os, signal, sys, time
from pathlib import Path
from reuse.pipeline import passages
from reuse.runfolder import tables
from reuse.cli.commands import main

stage, call, action, marker = sys.argv[1:5]
del sys.argv[1:5]
module = tables if stage == "write_table" else passages
original = getattr(module, stage)
calls = []

def hooked(*args, **kwargs):
    result = original(*args, **kwargs)
    calls.append(1)
    if len(calls) == int(call):
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        Path(marker).touch()
        time.sleep(60)
    return result

setattr(module, stage, hooked)
main(prog_name="reuse")
"""


def reuse_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def complete_run(source: Path, out: Path) -> None:
    result = reuse_cli("run", str(source), "--out", str(out), "--quiet", "--no-report")
    assert result.exit_code == 0
    read_manifest(out)


def start_hooked(source: Path, out: Path, stage: str, call: int, action: str,
                 marker: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", HOOK, stage, str(call), action, str(marker),
               "run", str(source), "--out", str(out), "--quiet", "--no-report"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_ctrl_c_default)


def _ctrl_c_default() -> None:
    # The run must see the Ctrl-C a test sends even when the tests were started with SIGINT
    # ignored (a background job of a shell without job control), which a child inherits.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(marker: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the run ended before the hook: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the run never reached the hook")
        time.sleep(0.02)


def assert_refused(out: Path) -> None:
    result = reuse_cli("report", str(out))
    assert result.exit_code == 4
    assert result.stderr == (
        f"reuse: error: {out}: incomplete run folder (no manifest.json); the run was "
        "interrupted or failed. Run it again.\n")
    with pytest.raises(RunFolderError, match="incomplete run folder"):
        read_table(out, "documents")


def test_sigkill_while_writing_tables_leaves_a_folder_that_report_refuses(seeds_dir, tmp_path):
    out = tmp_path / "run"
    complete_run(seeds_dir, out)  # an earlier complete run in the same folder
    process = start_hooked(seeds_dir, out, "write_table", 2, "kill", tmp_path / "unused")
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists()
    assert_refused(out)
    # A stale temporary file from the killed run is cleaned up by the next run.
    stale = out / f".alignments.parquet.tmp-{process.pid}"
    stale.write_bytes(b"half a table")
    complete_run(seeds_dir, out)
    assert not stale.exists()
    assert not list(out.glob(".*.tmp-*"))


@pytest.mark.parametrize(
    ("stage", "call", "sent", "exit_code", "word"),
    [
        ("align_documents", 1, signal.SIGINT, 130, "interrupted"),
        ("write_table", 3, signal.SIGINT, 130, "interrupted"),
        ("write_table", 1, signal.SIGTERM, 143, "terminated"),
    ],
    ids=["ctrl-c-while-aligning", "ctrl-c-while-writing", "sigterm-while-writing"],
)
def test_signal_ends_the_run_cleanly_with_a_message(stage, call, sent, exit_code, word,
                                                    seeds_dir, tmp_path):
    out = tmp_path / "run"
    complete_run(seeds_dir, out)  # its manifest must not survive the interrupted run
    marker = tmp_path / "reached"
    process = start_hooked(seeds_dir, out, stage, call, "wait", marker)
    wait_for(marker, process)
    started = time.monotonic()
    process.send_signal(sent)
    stdout, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert process.returncode == exit_code
    assert stdout == ""
    assert stderr == f"reuse: {word}; {out} holds no complete run (no manifest.json). Run it again.\n"
    assert not list(out.glob(".*.tmp-*"))
    assert_refused(out)
    complete_run(seeds_dir, out)


def test_a_stage_that_raises_ctrl_c_in_process_marks_the_folder_incomplete(
        seeds_dir, tmp_path, monkeypatch):
    out = tmp_path / "run"
    complete_run(seeds_dir, out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.passages, "passage_candidates", interrupted)
    result = CliRunner().invoke(main, ["run", str(seeds_dir), "--out", str(out), "--quiet"])
    assert result.exit_code == 130
    assert result.stderr == (
        f"reuse: interrupted; {out} holds no complete run (no manifest.json). Run it again.\n")
    assert_refused(out)


def test_a_failing_stage_leaves_no_manifest_behind(seeds_dir, tmp_path, monkeypatch):
    out = tmp_path / "run"
    original = tables.write_table
    written = []

    def fail_on_third(folder, name, frame, fmt="parquet"):
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(name)
        return original(folder, name, frame, fmt)

    monkeypatch.setattr(tables, "write_table", fail_on_third)
    with pytest.raises(RunFolderError, match=r"cannot write \(No space left on device\)"):
        pipeline.write_run(pipeline.run(seeds_dir), out)
    # The signatures table, written beside the others, is finished before the error is raised.
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.parquet" for n in written] + ["signatures.parquet", ".reuse-run"])
    assert_refused(out)


def test_report_on_a_folder_that_does_not_exist(tmp_path):
    result = reuse_cli("report", str(tmp_path / "nowhere"))
    assert (result.exit_code, result.stderr) == (
        4, f"reuse: error: {tmp_path / 'nowhere'}: no such run folder\n")


def test_the_sigterm_handler_is_restored_after_the_command(seeds_dir, tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    complete_run(seeds_dir, tmp_path / "run")
    assert signal.getsignal(signal.SIGTERM) is before
