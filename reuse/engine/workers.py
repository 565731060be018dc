"""Map stages in worker processes, results in task order.

A map stage (tokenize → shingle → sketch a batch, align a batch of pairs, render a page) is a
module-level function of one picklable task. :func:`ordered_map` runs it in ``workers`` processes
and yields the results in the order of the tasks, whatever order the workers finish in, so the
stage's output does not depend on the number of workers. At most ``window`` tasks are in flight,
so a stream of tasks is consumed lazily and memory holds only that many tasks and results.

With one worker the function runs in this process: no pool, no pickling.

Inside :func:`worker_pool` (a whole ``dedup`` or ``run``), every map stage uses the same worker
processes, started once: a worker then loads the modules and the compiled kernels of a stage
once for the run, not once per stage, and keeps its warm heap from one stage to the next.

Workers are started with ``forkserver``: a fork of a clean server process, not of the caller,
which may hold threads (a fork of a process with threads can deadlock) or gigabytes of state.
A worker whose caller is gone (killed with SIGKILL, or by the kernel's out-of-memory killer,
so that it never shut its pool down) exits within a second: a worker's parent is the fork
server, not the caller, and a pool worker waits for its next task forever, so without this
the workers and the fork server would outlive a killed run.

A worker keeps freed memory for its next task (:func:`reuse.engine.allocator.reusable_heap`, for
the worker's lifetime): the process is reuse's own, and without it every task page-faults its
numpy working arrays in again, which made each worker of a sketching pool about 1.7x slower per
batch than the same batches in the calling process. It also runs the garbage collector less often
(:func:`reuse.engine.collector.fewer_collections`), as the ``reuse`` command does.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import itertools
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
# The map stages of a run that renders no report (the Python API's, ``reuse run --no-report``):
# without the report's modules the fork server is ready, and the reading starts, about 0.25 s
# sooner.
PIPELINE_STAGES = ("reuse.pipeline",)
# The map stages of a dedup (reading a JSONL file, sketching, verifying), which need neither
# pandas nor the aligner: a fork server that loads only them starts in a quarter of the time.
DEDUP_STAGES = ("reuse.ingest.jsonl", "reuse.sketch.minhash", "reuse.verify")


# The worker's lifetime context (the allocator and collector settings), entered by _start_worker.
_WORKER_CONTEXT = contextlib.ExitStack()


# Seconds between a worker's checks that its caller is still there.
_OWNER_CHECK_SECONDS = 1.0


def _is_gone(pid: int) -> bool:
    """Whether process ``pid`` has ended: it no longer exists, or it is a zombie (killed, and
    not yet reaped by its parent: a program that waits for a run's output before it waits for
    the run leaves it so)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone (or its pid another user's now)
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):  # no /proc: only a process that is gone counts
        return False


def _exit_without(owner: int) -> None:
    """Exit this process (a worker) once process ``owner`` has ended. (The fork server cannot
    tell: it stops when every holder of its "alive" pipe is gone, the workers included.)"""
    while True:
        time.sleep(_OWNER_CHECK_SECONDS)
        if _is_gone(owner):
            os._exit(1)


def _start_worker(initializer: Callable[..., Any] | None, initargs: tuple[Any, ...],
                  owner: int) -> None:
    from .allocator import reusable_heap
    from .collector import fewer_collections

    threading.Thread(target=_exit_without, args=(owner,), name="reuse-owner-watch",
                     daemon=True).start()
    _WORKER_CONTEXT.enter_context(reusable_heap())
    _WORKER_CONTEXT.enter_context(fewer_collections())
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


def import_in_background(modules: Sequence[str]) -> None:
    """Import ``modules`` in a daemon thread, for a process that needs them later and mostly
    waits on its workers until then (a ``run``'s process while they read: pandas and
    scipy.sparse take it about 0.7 s, otherwise spent after the reading with the workers idle).
    Third-party modules only, which import nothing of this package: the thread then never
    holds a module that this process's own thread waits on while it waits on that thread.
    A module that fails to import fails again where it is needed, with its own error."""

    def load() -> None:
        for module in modules:
            with contextlib.suppress(Exception):
                importlib.import_module(module)

    threading.Thread(target=load, name="reuse-imports", daemon=True).start()


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


# The buffer of a pool's result pipe (Linux's default is 64 KiB; 1 MiB is the most an
# unprivileged process may ask for, /proc/sys/fs/pipe-max-size).
RESULT_PIPE_BYTES = 1 << 20


def _widen_result_pipe(executor: Any) -> None:
    """Give ``executor``'s result pipe a buffer of ``RESULT_PIPE_BYTES``, where the platform
    allows it. A task's result is megabytes (a batch's documents and sketches), and a worker
    writing it blocks each time the buffer is full until this process, busy with its own part
    of the stage, reads again: through 64 KiB, the workers of a two-worker ``run`` spent about
    a fifth of their reading time blocked so. The pipe is the executor's own (CPython's
    ``ProcessPoolExecutor._result_queue``): if a Python version names it otherwise, the
    buffer stays as it is."""
    import fcntl

    reader = getattr(getattr(executor, "_result_queue", None), "_reader", None)
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if reader is None or set_size is None:
        return
    with contextlib.suppress(OSError, ValueError):
        fcntl.fcntl(reader.fileno(), set_size, RESULT_PIPE_BYTES)


class _SharedPool:
    """The worker processes of a :func:`worker_pool` block, started at its first task."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: Any = None
        self._lock = threading.Lock()
        self._calls = itertools.count()

    def executor(self) -> Any:
        from concurrent.futures import ProcessPoolExecutor

        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=_context(), initializer=_start_worker,
                    initargs=(None, (), os.getpid()))
                _widen_result_pipe(self._executor)
            return self._executor

    def call_token(self) -> tuple[int, int]:
        return os.getpid(), next(self._calls)

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


# The pools of the worker_pool blocks open now, innermost last (threads of the block use them).
_SHARED_POOLS: list[_SharedPool] = []
# The ordered_map calls whose initializer this worker process has run.
_INITIALIZED_CALLS: set[tuple[int, int]] = set()


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[None]:
    """Run the map stages inside the block (every :func:`ordered_map` of up to ``workers``
    workers, from any thread) in one set of ``workers`` processes, started at the first task
    and shut down when the block ends; nothing with one worker, or inside a block of as many
    workers already. The results are those of separate pools: each call still yields in task
    order, and runs its ``initializer`` in each worker before that worker's first task of it."""
    if workers <= 1 or (_SHARED_POOLS and _SHARED_POOLS[-1].workers == workers):
        yield
        return
    pool = _SharedPool(workers)
    _SHARED_POOLS.append(pool)
    try:
        yield
    finally:
        _SHARED_POOLS.remove(pool)
        pool.close()


def _run_call_task(call: tuple[int, int], initializer: Callable[..., Any] | None,
                   initargs: tuple[Any, ...], function: Callable[[Task], Result],
                   task: Task) -> Result:
    """One task of an :func:`ordered_map` call in a shared worker (see :func:`worker_pool`)."""
    if initializer is not None and call not in _INITIALIZED_CALLS:
        initializer(*initargs)
        _INITIALIZED_CALLS.add(call)
    return function(task)


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
    here, for the first failing task in order; pending tasks are dropped. Inside a
    :func:`worker_pool` block of at least ``workers`` processes, the tasks run in its processes
    (fewer than the block's run at most ``workers`` tasks at once); else in a pool of this
    call's own, shut down at the end.
    """
    if workers == 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(function, tasks)
        return
    shared = _SHARED_POOLS[-1] if _SHARED_POOLS else None
    if shared is not None and shared.workers >= workers:
        # A call of fewer workers than the pool has (to bound memory) runs no more tasks at once.
        window = window or (_IN_FLIGHT_PER_WORKER * workers if workers == shared.workers
                            else workers)
        submit = functools.partial(shared.executor().submit, _run_call_task,
                                   shared.call_token(), initializer, initargs, function)
        yield from _in_order(submit, tasks, window)
        return
    from concurrent.futures import ProcessPoolExecutor

    window = window or _IN_FLIGHT_PER_WORKER * workers
    context = _context()  # the preload matters only if the server is not running yet
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(initializer, initargs, os.getpid()))
    _widen_result_pipe(pool)
    try:
        yield from _in_order(functools.partial(pool.submit, function), tasks, window)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_order(submit: Callable[[Task], Any], tasks: Iterable[Task], window: int
              ) -> Iterator[Result]:
    """The results of ``submit(task)`` (a future) for each task, in task order, with at most
    ``window`` submitted and not yet yielded; the pending ones are cancelled if the caller
    stops early or a task fails."""
    pending: deque[Any] = deque()
    try:
        for task in tasks:
            pending.append(submit(task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
