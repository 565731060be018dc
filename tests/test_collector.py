"""collector: the young-generation threshold is raised for the outermost block, then restored;
the command's process skips the collector's passes at exit."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from reuse.engine import ordered_map
from reuse.engine.collector import YOUNG_THRESHOLD, fewer_collections


@pytest.fixture
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raised_inside_and_restored_after_the_outermost_block(default_thresholds):
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        with fewer_collections():
            assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_after_an_error(default_thresholds):
    with pytest.raises(KeyError), fewer_collections():
        raise KeyError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_chosen_by_the_caller_is_kept(default_thresholds):
    gc.set_threshold(YOUNG_THRESHOLD * 4, 5, 6)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD * 4, 5, 6)
    assert gc.get_threshold() == (YOUNG_THRESHOLD * 4, 5, 6)


def young_threshold(_: int) -> int:
    return gc.get_threshold()[0]


def test_worker_processes_collect_less_often():
    assert list(ordered_map(young_threshold, range(4), 2)) == [YOUNG_THRESHOLD] * 4


def test_the_command_runs_with_fewer_collections(monkeypatch, default_thresholds):
    import reuse.cli.commands
    from reuse.cli import command

    seen = []
    monkeypatch.setattr(reuse.cli.commands, "main",
                        lambda prog_name: seen.append(gc.get_threshold()[0]))
    monkeypatch.setattr("reuse.engine.collector.no_collection_at_exit",
                        lambda: seen.append("no collection at exit"))
    command.main()
    assert seen == ["no collection at exit", YOUNG_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)


EXIT_SCRIPT = """
import sys
from reuse.engine.collector import no_collection_at_exit

class Cycle:
    def __del__(self):
        sys.stdout.write("collected")

if sys.argv[1] == "skip":
    no_collection_at_exit()
cycle = Cycle()
cycle.itself = cycle
del cycle  # garbage now: only a pass of the collector finds it
"""


@pytest.mark.parametrize(("mode", "output"), [("skip", ""), ("collect", "collected")])
def test_no_collection_at_exit_leaves_a_cycle_to_the_operating_system(mode, output):
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, mode], capture_output=True,
                          text=True, check=True)
    assert done.stdout == output
