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


def main() -> None:
    """Run the ``reuse`` command line."""
    # The command owns its process, so it may choose the allocators for the whole run; the
    # Python API leaves that to the caller (reuse.engine.allocator.reusable_heap).
    prefer_system_arrow_pool()
    try:
        from .commands import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("reuse: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    from ..engine.allocator import reusable_heap

    with reusable_heap():
        cli_main(prog_name="reuse")
