"""The timing of reuse's functions inside Spark's Python workers (``REUSE_SPARK_TIMINGS``,
:mod:`reuse.spark.timing`), which ``benchmarks/bench_spark.py`` uses to split a Spark run's
time between reuse's code and the JVM<->Python exchange."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from reuse.spark.timing import TIMINGS_ENV, timed, timed_frame


def slow_source(n: int, pause: float) -> Iterator[int]:
    for k in range(n):
        time.sleep(pause)
        yield k


def doubled_slowly(batches: Iterator[int]) -> Iterator[int]:
    for batch in batches:
        time.sleep(0.02)
        yield 2 * batch


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_without_the_variable_the_function_runs_unwrapped(monkeypatch):
    monkeypatch.delenv(TIMINGS_ENV, raising=False)
    assert timed("sketch", doubled_slowly) is doubled_slowly
    assert timed_frame("cluster", len) is len


def test_a_timed_function_splits_its_time_between_its_code_and_its_input_and_output(
        monkeypatch, tmp_path):
    monkeypatch.setenv(TIMINGS_ENV, str(tmp_path))
    function = timed("sketch", doubled_slowly)
    results = []
    for result in function(slow_source(4, 0.05)):
        results.append(result)
        time.sleep(0.01)  # the consumer (Spark's serializer) taking the result
    assert results == [0, 2, 4, 6]
    (task,) = records(tmp_path)
    assert task["function"] == "sketch" and task["pid"] == os.getpid()
    assert (task["batches_in"], task["batches_out"]) == (4, 4)
    # 4 x 20 ms in the function, 4 x 50 ms producing its input, 4 x 10 ms taking its output
    # (sleeps: longer on a loaded machine, never shorter).
    assert 0.08 <= task["wall"]["reuse"] < 0.2 <= task["wall"]["input"]
    assert 0.04 <= task["wall"]["output"] < 0.08 <= task["wall"]["reuse"]
    assert abs(sum(task["wall"].values()) - (task["end"] - task["start"])) < 0.01
    inside = sum(end - start for start, end in task["reuse_intervals"])
    assert abs(inside - task["wall"]["reuse"]) < 0.005
    assert all(task["start"] <= start <= end <= task["end"]
               for start, end in task["reuse_intervals"])
    assert task["rss_peak"] >= task["rss_end"] > 0


@pytest.mark.spark
def test_spark_workers_write_one_line_per_task(spark, monkeypatch, tmp_path):
    """The variable is read when the stage is planned (on the driver); the workers write."""
    from reuse.spark.stages import SKETCH_SCHEMA, SketchSettings, sketcher

    settings = SketchSettings(False, 3, 16, 1, 4, 4, True, None)
    texts = [f"document {k} has some words in it and more words after them".encode()
             for k in range(40)]
    frame = spark.createDataFrame([(k, text) for k, text in enumerate(texts)],
                                  "doc long, text binary").repartition(2)
    untimed = sorted(frame.mapInArrow(sketcher(settings), SKETCH_SCHEMA).collect())
    monkeypatch.setenv(TIMINGS_ENV, str(tmp_path))
    sketched = sorted(frame.mapInArrow(sketcher(settings), SKETCH_SCHEMA).collect())
    assert sketched == untimed
    tasks = records(tmp_path)
    assert [task["function"] for task in tasks] == ["sketch", "sketch"]
    assert sum(task["batches_in"] for task in tasks) == 2
    assert all(task["pid"] != os.getpid() for task in tasks)


def test_a_timed_frame_function_records_one_batch(monkeypatch, tmp_path):
    monkeypatch.setenv(TIMINGS_ENV, str(tmp_path))
    table = pa.table({"x": [1, 2, 3]})
    assert timed_frame("cluster", lambda frame: frame.num_rows)(table) == 3
    (task,) = records(tmp_path)
    assert task["function"] == "cluster"
    assert (task["batches_in"], task["batches_out"]) == (1, 1)


@pytest.fixture(autouse=True)
def _no_timings_left(monkeypatch):
    """Each test sets the variable itself, if at all."""
    monkeypatch.delenv(TIMINGS_ENV, raising=False)
