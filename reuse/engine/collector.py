"""Fewer runs of Python's cyclic garbage collector while a batch builds its results.

The aligner builds hundreds of thousands of small containers per batch (each passage's edit
script, its alignment row) that all live until the batch is done. CPython's collector runs a
young-generation pass every 700 new containers and a full pass each time the old generation has
grown by a quarter, so it walks the same live results over and over: in the one-worker
``reuse run --no-report`` of the 100k-document benchmark it took 1.13 s in 4,278 passes (0.74 s
of it in full ones, timed with ``gc.callbacks``); with a young threshold of
:data:`YOUNG_THRESHOLD`, 0.12 s in 28 passes, none full, and the whole process 15.1 CPU-s
instead of 17.3, at the same peak RSS (``benchmarks/results_collector.md``). Cycles are still
collected, only less often.

The setting is process-wide, so, as with :func:`reuse.engine.allocator.reusable_heap`, only the
``reuse`` command (around the whole command) and reuse's worker processes (for their lifetime)
set it; a program calling the Python API wraps its calls in ``with fewer_collections():`` for
the same effect.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager

from .settings import OutermostSetting

# New containers between two young-generation passes (CPython's default is 700).
YOUNG_THRESHOLD = 50_000

_saved: list[tuple[int, ...]] = []


def _collect_less_often() -> None:
    _saved.append(gc.get_threshold())
    gc.set_threshold(max(_saved[-1][0], YOUNG_THRESHOLD), *_saved[-1][1:])


def _restore_thresholds() -> None:
    gc.set_threshold(*_saved.pop())


THRESHOLDS = OutermostSetting(_collect_less_often, _restore_thresholds)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's young-generation threshold to at least :data:`YOUNG_THRESHOLD`
    while the block runs (re-entrant); the thresholds found are restored after the outermost
    block."""
    with THRESHOLDS.held():
        yield


def no_collection_at_exit() -> None:
    """Have this process's interpreter exit skip the collector's passes over the objects alive
    then: :func:`gc.freeze` runs as the last exit handler (the handlers run last registered
    first), after every other one, and the objects are still freed, module by module, as
    the interpreter tears down. CPython runs full collections while it does: they took about
    0.2 s of a ``reuse run`` of the sample corpus, and 0.35-0.4 s of a one-worker run of 2,000
    or 100,000 documents of ``benchmarks/generate_text_corpus.py`` (whole processes, which at
    the time loaded numba, with its many objects, for the aligner's kernels). Only for a process reuse owns
    (the ``reuse`` command): a cycle still alive then is never collected, so its finalizers do
    not run."""
    atexit.register(gc.freeze)
