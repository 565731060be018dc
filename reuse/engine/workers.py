"""Map stages in worker processes, results in task order.

A map stage (tokenize → shingle → sketch a batch, align a batch of pairs, render a page) is a
module-level function of one picklable task. :func:`ordered_map` runs it in ``workers`` processes
and yields the results in the order of the tasks, whatever order the workers finish in, so the
stage's output does not depend on the number of workers. At most ``window`` tasks are in flight,
so a stream of tasks is consumed lazily and memory holds only that many tasks and results.

With one worker the function runs in this process: no pool, no pickling.

Workers are started with ``forkserver``: a fork of a clean server process, not of the caller,
which may hold threads (a fork of a process with threads can deadlock) or gigabytes of state.
A worker whose caller is gone (killed with SIGKILL, or by the kernel's out-of-memory killer,
so that it never shut its pool down) exits within a second: a worker's parent is the fork
server, not the caller, and a pool worker waits for its next task forever, so without this
the workers and the fork server would outlive a killed run.

A worker keeps freed memory for its next task (:func:`reuse.engine.allocator.reusable_heap`, for
the worker's lifetime): the process is reuse's own, and without it every task page-faults its
numpy working arrays in again, which made each worker of a sketching pool about 1.7x slower per
batch than the same batches in the calling process.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from ..errors import ConfigError

Task = TypeVar("Task")
Result = TypeVar("Result")

# Tasks in flight per worker: enough to keep each busy while the caller consumes a result.
_IN_FLIGHT_PER_WORKER = 2
# The modules of the map stages, imported once by the fork server (when the first pool
# starts): each worker is a fork of it with them loaded, instead of importing numpy, pandas and
# the stages itself (seconds on a busy machine, for every worker of every stage).
EVERY_STAGE = ("reuse.pipeline", "reuse.report.html")
# The map stages of a dedup (reading a JSONL file, sketching, verifying), which need neither
# pandas nor the aligner: a fork server that loads only them starts in a quarter of the time.
DEDUP_STAGES = ("reuse.ingest.jsonl", "reuse.sketch.minhash", "reuse.verify")


# The worker's lifetime context (the allocator settings), entered by _start_worker.
_WORKER_CONTEXT = contextlib.ExitStack()


# Seconds between a worker's checks that its caller is still there.
_OWNER_CHECK_SECONDS = 1.0


def _exit_without(owner: int) -> None:
    """Exit this process (a worker) once process ``owner`` is gone."""
    while True:
        time.sleep(_OWNER_CHECK_SECONDS)
        try:
            os.kill(owner, 0)
        except (ProcessLookupError, PermissionError):  # gone (or its pid another user's now)
            os._exit(1)


def _start_worker(initializer: Callable[..., Any] | None, initargs: tuple[Any, ...],
                  owner: int) -> None:
    from .allocator import reusable_heap

    threading.Thread(target=_exit_without, args=(owner,), name="reuse-owner-watch",
                     daemon=True).start()
    _WORKER_CONTEXT.enter_context(reusable_heap())
    if initializer is not None:
        initializer(*initargs)


def _context(preload: Sequence[str] = EVERY_STAGE) -> Any:
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


def start_worker_server(workers: int, stages: Sequence[str] = EVERY_STAGE) -> None:
    """With ``workers > 1``, start the fork server now, without waiting for it: its imports
    (the modules of the map ``stages`` to come, about a second for :data:`EVERY_STAGE`) then
    run while the caller reads its input, instead of delaying the first pool's first task.
    The server lasts as long as the process: the first call decides what it loads (a worker
    imports what else its tasks need)."""
    if workers > 1:
        from multiprocessing import forkserver

        _context(stages)
        forkserver.ensure_running()


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def resolve_workers(workers: int | None, owner: str) -> int:
    """``workers`` checked, with ``None`` meaning every core (:func:`default_workers`)."""
    if workers is None:
        return default_workers()
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(
            f"The 'workers' parameter of {owner} must be an int >= 1 (or None: every core). "
            f"Got {workers!r} instead."
        )
    return workers


def ordered_map(
    function: Callable[[Task], Result],
    tasks: Iterable[Task],
    workers: int,
    window: int | None = None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[Result]:
    """``function(task)`` for each task, in task order, computed in ``workers`` processes.

    ``tasks`` is consumed lazily, at most ``window`` (default: twice the workers) ahead of the
    result being yielded. ``initializer(*initargs)`` runs once in each worker (and once here when
    ``workers == 1``), for state every task shares. An exception raised by ``function`` is raised
    here, for the first failing task in order; the pool is shut down and pending tasks dropped.
    """
    if workers == 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(function, tasks)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    window = window or _IN_FLIGHT_PER_WORKER * workers
    context = _context()  # the preload matters only if the server is not running yet
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(initializer, initargs, os.getpid()))
    pending: deque[Future[Result]] = deque()
    try:
        iterator = iter(tasks)
        for task in iterator:
            pending.append(pool.submit(function, task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
