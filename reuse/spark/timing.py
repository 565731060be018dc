"""Where the time of reuse's functions goes inside Spark's Python workers, when asked.

With the environment variable ``REUSE_SPARK_TIMINGS`` naming a folder (on the driver, when the
stages are planned), each function that Spark ships to its Python workers (``mapInArrow``,
``applyInPandas``) is wrapped by :func:`timed`, and each task appends one JSON line to
``<folder>/<worker pid>.jsonl``: the function's name, the task's start and end (Unix
seconds), and the wall and CPU seconds the worker spent

- ``reuse``: in reuse's code (the stage function, from receiving a batch to yielding its
  result),
- ``input``: waiting for the next Arrow batch (reading and deserializing it, and the JVM
  producing it: Spark's own operators that feed this one in the same task, its conversion of
  rows to Arrow),
- ``output``: after yielding a result, until asked for the next one (serializing it to Arrow
  and writing it to the JVM, which converts it back to rows and runs the operators after this
  one in the same task),

with the intervals spent in reuse's code (to lay them on a timeline of the run) and the
worker's resident memory (current and peak, MiB) at the task's start and end. The folder must
be one the executors can write (in local mode, any local folder). Without the variable the
functions run unwrapped: nothing is timed and nothing is written.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

TIMINGS_ENV = "REUSE_SPARK_TIMINGS"
_KINDS = ("reuse", "input", "output")


def timings_folder() -> str | None:
    """The folder named by ``REUSE_SPARK_TIMINGS``, or None (timing off)."""
    return os.environ.get(TIMINGS_ENV) or None


def _rss_mib() -> float:
    """The resident memory of this process in MiB (Linux; 0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


class _Clock:
    """Wall and CPU seconds per kind of work, switched as the task's control moves."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.wall = dict.fromkeys(_KINDS, 0.0)
        self.cpu = dict.fromkeys(_KINDS, 0.0)
        self.intervals: list[list[float]] = []  # [start, end] in reuse's code, Unix seconds
        self.batches_in = self.batches_out = 0
        self.start = time.time()
        self.rss_start = _rss_mib()
        self.kind = "reuse"
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        self._epoch = self.start - self._wall  # perf_counter to Unix seconds

    def switch(self, kind: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[self.kind] += wall - self._wall
        self.cpu[self.kind] += cpu - self._cpu
        if self.kind == "reuse":
            if self.intervals and self.intervals[-1][1] >= self._wall + self._epoch - 1e-4:
                self.intervals[-1][1] = wall + self._epoch
            else:
                self.intervals.append([self._wall + self._epoch, wall + self._epoch])
        self.kind, self._wall, self._cpu = kind, wall, cpu

    def record(self, folder: str) -> None:
        self.switch("reuse")
        rss_end = _rss_mib()
        line = {
            "function": self.name, "pid": os.getpid(), "start": self.start, "end": time.time(),
            "wall": self.wall, "cpu": self.cpu, "batches_in": self.batches_in,
            "batches_out": self.batches_out, "reuse_intervals": self.intervals,
            "rss_start": self.rss_start, "rss_end": rss_end,
            # The worker's peak since it started (a worker runs many tasks: the first task
            # with the largest peak is where it grew). Linux reports it in KiB, and updates
            # it lazily: it can lag the current size.
            "rss_peak": max(rss_end, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        path = Path(folder) / f"{os.getpid()}.jsonl"
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")


ArrowFunction = Callable[[Iterator[Any]], Iterator[Any]]


def timed(name: str, function: ArrowFunction) -> ArrowFunction:
    """``function`` (batches in, batches out), timed as the module says when
    ``REUSE_SPARK_TIMINGS`` is set; else ``function`` itself."""
    folder = timings_folder()
    if folder is None:
        return function
    Path(folder).mkdir(parents=True, exist_ok=True)

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        clock = _Clock(name)
        source = iter(batches)

        def fed() -> Iterator[Any]:
            while True:
                clock.switch("input")
                try:
                    batch = next(source)
                except StopIteration:
                    clock.switch("reuse")
                    return
                clock.batches_in += 1
                clock.switch("reuse")
                yield batch

        results = function(fed())
        while True:
            try:
                result = next(results)
            except StopIteration:
                break
            clock.batches_out += 1
            clock.switch("output")
            yield result
            clock.switch("reuse")
        clock.record(folder)

    return run


def timed_frame(name: str, function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A function of one pandas DataFrame (``applyInPandas``), timed as :func:`timed` times
    one that yields one result for one batch; else ``function`` itself."""
    folder = timings_folder()
    if folder is None:
        return function
    Path(folder).mkdir(parents=True, exist_ok=True)

    def run(frame: Any) -> Any:
        clock = _Clock(name)
        clock.batches_in = clock.batches_out = 1
        result = function(frame)
        clock.record(folder)
        return result

    return run
