"""Progress that moves: every stage shows a bar on a terminal, bars are redrawn while a stage
works, the alignment bar advances per batch, and the summary gives the wall time and each
stage's. Issue 16, item 10."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest
from click.testing import CliRunner
from conftest import ROOT
from tqdm import tqdm

import reuse
import reuse.common.progress
import reuse.pipeline
from reuse.cli.commands import main

STAGES = ["ingest", "sketch", "candidates", "verify", "cluster", "passage_candidates", "align",
          "passages", "write", "report"]


def _stderr_on_a_terminal(args: list[str]) -> str:
    """Run ``reuse`` with its stderr on a pseudo-terminal; returns what it wrote there."""
    master, slave = os.openpty()
    # A terminal of 24 x 160 characters (a new pseudo-terminal has none, and tqdm would draw
    # its bars 0 characters wide).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", "from reuse.cli.command import main; main()", *args],
        stdout=subprocess.DEVNULL, stderr=slave, cwd=ROOT)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closed: the process ended
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_every_stage_shows_progress_on_a_terminal(seeds_dir, tmp_path):
    shown = _stderr_on_a_terminal(["run", str(seeds_dir), "--out", str(tmp_path / "run")])
    descs = set(re.findall(r"(?:^|\r|\n)([a-z_]+): ", shown))
    assert set(STAGES) <= descs, sorted(descs)


def test_quiet_and_a_pipe_show_no_progress(seeds_dir, tmp_path):
    shown = _stderr_on_a_terminal(["run", str(seeds_dir), "--out", str(tmp_path / "run"), "-q"])
    assert shown == ""
    piped = subprocess.run(
        [sys.executable, "-c", "from reuse.cli.command import main; main()", "run", str(seeds_dir),
         "--out", str(tmp_path / "piped")], capture_output=True, text=True, cwd=ROOT,
        timeout=120, check=True)
    assert piped.stderr == ""


def test_the_alignment_bar_advances_per_batch_and_batches_never_change_results(
        seeds_dir, monkeypatch):
    whole = reuse.run(seeds_dir)
    updates: list[int] = []
    update = tqdm.update

    def spy(bar: tqdm, n: float = 1) -> bool | None:
        if bar.desc == "align":
            updates.append(n)
        return update(bar, n)

    monkeypatch.setattr(reuse.common.progress, "shown", lambda quiet: not quiet)
    monkeypatch.setattr(tqdm, "update", spy)
    # One box of a seed band per batch: each is long for the batch's token budget.
    monkeypatch.setattr(reuse.pipeline.documents, "_ALIGN_BATCH_TOKENS", 1)
    piecewise = reuse.run(seeds_dir, quiet=False)
    pairs = whole.counts["passage_candidate_pairs"]
    assert pairs > 3
    assert len(updates) >= len(whole.alignments.groupby(["a_id", "b_id"])) > 3
    assert piecewise.alignments.equals(whole.alignments)
    assert piecewise.passages.equals(whole.passages)


def test_a_stage_without_steps_is_redrawn_while_it_works(monkeypatch):
    monkeypatch.setattr(reuse.common.progress, "shown", lambda quiet: not quiet)
    monkeypatch.setattr(reuse.common.progress, "REFRESH_SECONDS", 0.01)
    redrawn = threading.Event()
    calls: list[int] = []
    refresh = tqdm.refresh

    def counting(bar: tqdm, *args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) >= 5:
            redrawn.set()
        refresh(bar, *args, **kwargs)

    monkeypatch.setattr(tqdm, "refresh", counting)
    with reuse.common.progress.ticking("candidates", quiet=False):
        # No update inside the block: only the thread redraws the elapsed time.
        assert redrawn.wait(timeout=30)


def _times(stdout: str) -> tuple[float, list[tuple[str, float]]]:
    """The summary's wall time and its rows under it: (name, seconds), a report's own stages
    indented as in the summary."""
    lines = stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("  seconds (wall clock)"))
    wall = float(lines[start].split()[-1])
    rows = []
    for line in lines[start + 1:]:
        if not line.startswith("    ") or line.strip().startswith("decoded as"):
            break
        name, seconds = line[4:].rsplit(None, 1)
        rows.append((name.rstrip(), float(seconds)))
    return wall, rows


def test_the_summary_gives_the_wall_time_and_each_stage(seeds_dir, tmp_path):
    result = CliRunner().invoke(main, ["run", str(seeds_dir), "--out", str(tmp_path / "run")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    wall, rows = _times(result.stdout)
    stages = [(name, seconds) for name, seconds in rows if not name.startswith(" ")]
    names = [name for name, _ in stages]
    # start-up (the process started before the command: Python and the libraries loading),
    # then the command's stages in order, and the rest: together, the process's wall time
    assert [n for n in names if n not in ("start-up", "other")] == STAGES
    assert names[0] == "start-up" and names[-1] == "other"
    assert abs(wall - sum(seconds for _, seconds in stages)) <= 0.01 * len(stages)
    # the report's own stages, as the manifest records them, under it
    report = [name.strip() for name, _ in rows[names.index("report") + 1:]
              if name.startswith("  ")]
    assert report == ["read", "matrix", "pair pages", "passage pages", "index and lists"]
    assert dict(stages)["report"] > 0


def test_the_summarys_wall_time_is_the_whole_process(seeds_dir, tmp_path):
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from reuse.cli.command import main; main()", "run", str(seeds_dir),
         "--out", str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT,
        timeout=300, check=True)
    elapsed = time.perf_counter() - started
    wall, rows = _times(done.stdout)
    # what the user waited for, imports included (within the resolution of /proc's clock);
    # only the exit after the summary is printed is left out
    assert dict(rows)["start-up"] > 0
    assert 0.6 * elapsed <= wall <= elapsed + 0.05, (wall, elapsed)


def test_the_report_and_the_ingest_show_how_far_they_are(seeds_dir, tmp_path):
    n_files = len(list(seeds_dir.glob("*.txt")))
    shown = _stderr_on_a_terminal(["run", str(seeds_dir), "--out", str(tmp_path / "run")])
    # bars with a total (tqdm writes n as "n.00"): files of the folder, pages
    assert re.search(rf"ingest: +\d+%.*/{n_files}\.00 ", shown), shown[:500]
    pages = json.loads((tmp_path / "run" / "manifest.json").read_text())["report"]
    for bar, total in (("pair pages", pages["pair_pages"]),
                       ("passage pages", pages["passage_pages"])):
        assert total > 1
        assert re.search(rf"report: {bar}: +\d+%.*/{total}\.00 ", shown), bar


@pytest.mark.parametrize("command", ["dedup", "align"])
def test_other_commands_give_their_stages(seeds_dir, tmp_path, command):
    pairs = tmp_path / "pairs.txt"
    names = sorted(p.name for p in seeds_dir.glob("*.txt"))
    pairs.write_text(f"{names[0]} {names[1]}\n", encoding="utf-8")
    extra = ["--pairs", str(pairs)] if command == "align" else []
    result = CliRunner().invoke(main, [command, str(seeds_dir), "--out", str(tmp_path / "o"),
                                       *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    _, rows = _times(result.stdout)
    stages = [name for name, _ in rows if name not in ("start-up", "other")]
    expected = {"dedup": ["ingest", "sketch", "candidates", "verify", "cluster", "write"],
                "align": ["ingest", "align", "passages", "write"]}[command]
    assert stages == expected
