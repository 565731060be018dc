"""Where the pipeline's stages meet memory and parallelism.

* :mod:`~reuse.engine.workers`: :func:`ordered_map`, the one way a map stage runs over batches in
  worker processes, with results in task order, so that tables are byte-identical for any number
  of workers.
* :mod:`~reuse.engine.spill`: records on disk (partitioned spill files, row files) under a
  memory budget, so that the grouping stages' memory does not grow with the corpus.
"""

from __future__ import annotations

from .spill import (
    DEFAULT_MEMORY_BUDGET,
    PartitionedSpill,
    RowFile,
    Workspace,
    parse_memory_budget,
    partitions_for,
)
from .workers import default_workers, ordered_map, resolve_workers

__all__ = ["DEFAULT_MEMORY_BUDGET", "PartitionedSpill", "RowFile", "Workspace", "default_workers",
           "ordered_map", "parse_memory_budget", "partitions_for", "resolve_workers"]
