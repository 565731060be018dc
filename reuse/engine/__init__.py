"""Where the pipeline's stages meet memory and parallelism.

* :mod:`~reuse.engine.workers`: :func:`ordered_map`, the one way a map stage runs over batches in
  worker processes, with results in task order, so that tables are byte-identical for any number
  of workers.
* :mod:`~reuse.engine.spill`: records on disk (partitioned spill files, row files) under a
  memory budget, so that the grouping stages' memory does not grow with the corpus. (Not
  imported here: it imports numpy, and the command line imports this package before it can
  turn a Ctrl-C during start-up into a clean exit.)
* :mod:`~reuse.engine.scratch`: the scratch folders of a process (the document store, spill
  files, shingle hashes), named for it so that a killed run's are removed by the next run.
* :mod:`~reuse.engine.allocator` and :mod:`~reuse.engine.collector`: the process-wide settings
  (glibc's malloc thresholds, the garbage collector's) that the ``reuse`` command and its worker
  processes run with, and a program calling the API may choose; each held by nested blocks
  (:mod:`~reuse.engine.settings`).
"""

from __future__ import annotations

from .workers import (
    DEDUP_STAGES,
    EVERY_STAGE,
    PIPELINE_STAGES,
    default_workers,
    import_in_background,
    ordered_map,
    resolve_workers,
    start_worker_server,
    worker_pool,
)

__all__ = ["DEDUP_STAGES", "EVERY_STAGE", "PIPELINE_STAGES", "default_workers",
           "import_in_background", "ordered_map", "resolve_workers", "start_worker_server",
           "worker_pool"]
