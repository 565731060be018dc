"""The ``reuse`` console script: a Ctrl-C while the libraries load ends as cleanly as one later.

The command-line module and the libraries behind it (click, numpy, pandas) take a moment to
import, and a KeyboardInterrupt raised while they load would otherwise print a traceback. This
module imports nothing from them at import time.
"""

from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130

# pyarrow reads it when it first allocates; the workers inherit it with the environment.
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def prefer_system_arrow_pool() -> None:
    """Have pyarrow allocate from glibc's heap (``system``) instead of its bundled mimalloc,
    unless the user chose a pool. The command keeps freed heap memory for reuse
    (:func:`reuse.engine.allocator.reusable_heap`), so Arrow's buffers then reuse it too; with
    mimalloc the 100k-document dedup took about 0.5 s more system CPU time and 70 MB more peak
    RSS (benchmarks/results_arrow_pool.md)."""
    os.environ.setdefault(ARROW_POOL_VARIABLE, "system")


# Read by OpenBLAS (numpy's and scipy's) and MKL when they load; the workers inherit them.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Have the BLAS libraries run one thread per process, unless the user chose a number.
    reuse runs in parallel with processes (``--workers``); OpenBLAS otherwise starts a thread
    per core in every process, which spin at numpy's import (about 0.1 CPU-s per process) and
    would oversubscribe the cores of a multi-worker run. reuse's matrix products (the paraphrase
    cosines) are sparse, computed by scipy without BLAS: the whole one-worker ``reuse run``
    command on 100k documents of ``benchmarks/generate_text_corpus.py`` took the same wall time
    with one BLAS thread and 0.2-0.4 s less CPU time (three alternated rounds, a one-off loop)."""
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")


def main() -> None:
    """Run the ``reuse`` command line."""
    # The command owns its process, so it may choose the allocators, the garbage collector's
    # thresholds (and its passes at exit) and the BLAS threads for the whole run; the Python
    # API leaves that to the caller (reuse.engine.allocator.reusable_heap,
    # reuse.engine.collector.fewer_collections).
    prefer_system_arrow_pool()
    one_blas_thread()
    try:
        from .commands import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("reuse: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    from ..engine.allocator import reusable_heap
    from ..engine.collector import fewer_collections, no_collection_at_exit

    no_collection_at_exit()
    with reusable_heap(), fewer_collections():
        cli_main(prog_name="reuse")
