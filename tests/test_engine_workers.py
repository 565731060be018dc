"""reuse.engine.workers: ordered results for any number of workers, lazy consumption, errors."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
import time

import pytest
from conftest import SEEDS

from reuse.engine import ordered_map, resolve_workers, worker_pool
from reuse.errors import ConfigError


def square_after_delay(task: tuple[int, float]) -> int:
    import time

    number, delay = task
    time.sleep(delay)
    return number * number


def fail_on_three(number: int) -> int:
    if number == 3:
        raise ValueError(f"task {number} failed")
    return number


_STATE: dict[str, int] = {}


def remember_offset(offset: int) -> None:
    _STATE["offset"] = offset


def add_offset(number: int) -> int:
    return number + _STATE["offset"]


def _pool(workers: int, shared: bool) -> contextlib.AbstractContextManager[None]:
    return worker_pool(workers) if shared else contextlib.nullcontext()


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_come_in_task_order_whatever_order_workers_finish(workers: int,
                                                                  shared: bool) -> None:
    # Early tasks sleep longest, so with several workers later tasks finish first.
    tasks = [(number, 0.05 if number < 2 else 0.0) for number in range(8)]
    with _pool(workers, shared):
        assert list(ordered_map(square_after_delay, tasks, workers)) == [n * n for n in range(8)]


def test_tasks_are_consumed_lazily_within_the_window() -> None:
    consumed = []

    def tasks():
        for number in itertools.count():
            consumed.append(number)
            yield (number, 0.0)

    results = ordered_map(square_after_delay, tasks(), workers=2, window=3)
    assert [next(results) for _ in range(2)] == [0, 1]
    results.close()
    assert len(consumed) <= 2 + 3


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_failing_task_raises_its_error(workers: int, shared: bool) -> None:
    with _pool(workers, shared):
        results = ordered_map(fail_on_three, range(6), workers)
        assert [next(results) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(ValueError, match=r"^task 3 failed$"):
            next(results)
        # The workers of a block go on with the next stage.
        assert list(ordered_map(add_one, range(4), workers)) == [1, 2, 3, 4]


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("workers", [1, 2])
def test_initializer_runs_in_every_worker(workers: int, shared: bool) -> None:
    with _pool(workers, shared):
        results = ordered_map(add_offset, range(5), workers, initializer=remember_offset,
                              initargs=(100,))
        assert list(results) == [100, 101, 102, 103, 104]
        # Each call's own initializer, in workers that ran another call's.
        results = ordered_map(add_offset, range(5), workers, initializer=remember_offset,
                              initargs=(7,))
        assert list(results) == [7, 8, 9, 10, 11]


def add_one(number: int) -> int:
    return number + 1


def process_of(_: int) -> int:
    import time

    time.sleep(0.01)
    return os.getpid()


def test_the_stages_of_a_worker_pool_block_share_its_processes() -> None:
    with worker_pool(3):
        first = set(ordered_map(process_of, range(12), 3))
        second = set(ordered_map(process_of, range(12), 3))
        # A stage of fewer workers (to bound its memory) runs in the same processes.
        fewer = set(ordered_map(process_of, range(6), 2))
        with worker_pool(3):  # a block inside one of as many workers adds none
            inner = set(ordered_map(process_of, range(12), 3))
    assert len(first) <= 3 and os.getpid() not in first
    assert second <= first and fewer <= first and inner <= first
    after = set(ordered_map(process_of, range(8), 2))  # the block's workers are gone
    assert not after & first


def test_workers_must_be_a_positive_int_or_none() -> None:
    assert resolve_workers(None, "dedup") >= 1
    assert resolve_workers(2, "dedup") == 2
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ConfigError, match=r"^The 'workers' parameter of dedup must be an int "
                                              r">= 1 \(or None: every core\)\. Got "):
            resolve_workers(bad, "dedup")


def heap_settings_entered(_: int) -> int:
    from reuse.engine import allocator

    return allocator.HEAP.depth


def test_a_worker_keeps_freed_memory_for_its_next_task() -> None:
    # Each worker enters reusable_heap for its lifetime: without it every task of a pool
    # page-faulted its working arrays in again (1.7x the CPU per sketching batch).
    assert list(ordered_map(heap_settings_entered, range(4), 2)) == [1, 1, 1, 1]


_OWNER_SCRIPT = '''
import os, sys, time
from reuse.engine import ordered_map

def slow(number):
    time.sleep(0.1 if number < 4 else 120)
    return os.getpid()

if __name__ == "__main__":
    for number, pid in enumerate(ordered_map(slow, range(8), 2, window=8)):
        print(pid, flush=True)
        if number == 3:
            print("ready", flush=True)
'''


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process states from /proc")
def test_workers_exit_when_their_caller_is_killed(tmp_path):
    # A run killed with SIGKILL (or by the out-of-memory killer) never shuts its pool down;
    # its workers, children of the fork server, must not wait for tasks forever.
    (tmp_path / "owner.py").write_text(_OWNER_SCRIPT)
    owner = subprocess.Popen([sys.executable, "owner.py"], cwd=tmp_path, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    workers = set()
    for line in owner.stdout:
        if line.strip() == "ready":
            break
        workers.add(int(line))
    assert workers and owner.pid not in workers
    assert all(_running(pid) for pid in workers)
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 15
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_running(pid) for pid in workers)


def test_modules_imported_in_the_background_are_loaded_and_a_missing_one_is_no_error():
    code = ("import sys, threading; from reuse.engine import import_in_background; "
            "import_in_background(['no_such_module_here', 'fractions', 'decimal']); "
            "[t.join() for t in threading.enumerate() if t.name == 'reuse-imports']; "
            "print('fractions' in sys.modules, 'decimal' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["True", "True"] and done.stderr == ""


def test_input_bytes_of_a_folder_stop_counting_at_the_threshold(tmp_path, monkeypatch):
    from reuse.common import inputs

    for k in range(10):
        (tmp_path / f"{k}.txt").write_bytes(b"x" * 100)
    sizes = []
    real = os.path.getsize
    monkeypatch.setattr(inputs.os.path, "getsize", lambda path: sizes.append(path) or real(path))
    assert inputs.input_bytes(tmp_path) == 1000 and len(sizes) == 10
    sizes.clear()
    assert inputs.input_bytes(tmp_path, 250) == 300 and len(sizes) == 3
    assert inputs.input_bytes(tmp_path, 10**6) == 1000
    assert inputs.input_bytes(tmp_path / "0.txt", 5) == 100


def test_the_fork_server_of_a_run_through_the_api_leaves_the_report_out():
    # The Python API renders no report: its fork server loads the pipeline's stages, not the
    # report's modules (a fresh pool's workers are forks of it, with what it loaded).
    code = ("import functools, reuse\n"
            "from reuse.engine import ordered_map\n"
            f"reuse.run({str(SEEDS)!r}, workers=2)\n"
            "loaded = functools.partial(eval, \"[m in __import__('sys').modules for m in "
            "('reuse.pipeline', 'reuse.report.html')]\")\n"
            "print(*ordered_map(loaded, [{}], 2))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[True, False]"
