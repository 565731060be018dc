"""An add killed at any point leaves the index as it was; readers see one version; segments a
reader may use are not removed under it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_index import comparable, synthetic_records

from reuse.index import Index
from reuse.index.folder import read_lock

ROOT = Path(__file__).resolve().parent.parent


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, list[dict[str, str]], dict]:
    records = synthetic_records()
    index = tmp_path / "index"
    Index.create(index).add(records[:100], workers=1)
    more = write_jsonl(tmp_path / "more.jsonl", records[100:170])
    queried = records[170:]
    return index, more, queried, state(index, queried)


def state(index: Path, queried: list[dict[str, str]]) -> dict:
    opened = Index.open(index)
    stats = opened.stats()
    answer = opened.query(queried, workers=1)
    return {"documents": stats["documents"], "segments": stats["segments"],
            "next_key": stats["next_key"],
            "near_duplicates": answer.near_duplicates,
            "alignments": comparable(answer.alignments)}


def same(a: dict, b: dict) -> bool:
    if {k: a[k] for k in ("documents", "segments", "next_key")} != {
            k: b[k] for k in ("documents", "segments", "next_key")}:
        return False
    try:
        pd.testing.assert_frame_equal(a["near_duplicates"], b["near_duplicates"])
        pd.testing.assert_frame_equal(a["alignments"], b["alignments"])
    except AssertionError:
        return False
    return True


def start_add(index: Path, source: Path, pause_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if pause_at is not None:
        env["REUSE_INDEX_PAUSE_AT"] = pause_at
    return subprocess.Popen([sys.executable, "-m", "reuse", "index", "add", str(index),
                             str(source), "--workers", "1", "-q"], env=env,
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def wait_stopped(process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        with open(f"/proc/{process.pid}/stat") as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.02)
    raise AssertionError("the add never reached its hook")


def kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("hook", ["created", "read", "written", "committing"])
def test_add_killed_at_a_hook_leaves_the_index_as_before(setup, hook: str) -> None:
    index, more, queried, before = setup
    process = start_add(index, more, pause_at=hook)
    wait_stopped(process)
    # A reader during the add sees the old version.
    assert same(state(index, queried), before)
    kill(process)
    assert same(state(index, queried), before)
    # The next writer removes what the killed one left, and adds as if nothing happened.
    Index.open(index).add([{"id": "next", "text": "one more document of a few words"}],
                          workers=1)
    assert len(list((index / "segments").iterdir())) == 2


def test_add_killed_after_its_commit_is_complete(setup) -> None:
    index, more, queried, _ = setup
    process = start_add(index, more, pause_at="committed")
    wait_stopped(process)
    kill(process)
    after = state(index, queried)
    assert after["documents"] == 170 and after["segments"] == 2


def test_add_killed_at_random_points(setup, tmp_path: Path) -> None:
    index, more, queried, before = setup
    # The state after a complete add, in a copy of the index.
    complete = tmp_path / "complete"
    subprocess.run(["cp", "-a", str(index), str(complete)], check=True)
    finished = start_add(complete, more)
    started = time.monotonic()
    assert finished.wait() == 0, finished.stderr.read().decode()
    duration = time.monotonic() - started
    after = state(complete, queried)
    rng = random.Random(3)
    outcomes = []
    for _ in range(6):
        process = start_add(index, more)
        time.sleep(rng.uniform(0.0, duration))
        kill(process)
        now = state(index, queried)
        if same(now, before):
            outcomes.append("before")
            continue
        assert same(now, after), "a killed add left a state that is neither before nor after"
        outcomes.append("after")
        break  # committed: the next add would be a duplicate
    assert "before" in outcomes


def test_a_reader_keeps_its_segments_through_a_compaction(setup) -> None:
    index, more, _, _ = setup
    Index.open(index).add(str(more), workers=1)
    old = sorted(p.name for p in (index / "segments").iterdir())
    assert len(old) == 2
    with read_lock(index):
        Index.open(index).compact()
        # Old segments stay while a reader may read them.
        assert set(old) <= {p.name for p in (index / "segments").iterdir()}
    Index.open(index).remove(["t0000000"], missing_ok=True)
    assert not set(old) & {p.name for p in (index / "segments").iterdir()}
