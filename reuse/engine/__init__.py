"""Where the pipeline's stages meet memory and parallelism.

* :mod:`~reuse.engine.workers`: :func:`ordered_map`, the one way a map stage runs over batches in
  worker processes, with results in task order, so that tables are byte-identical for any number
  of workers.
"""

from __future__ import annotations

from .workers import default_workers, ordered_map, resolve_workers

__all__ = ["default_workers", "ordered_map", "resolve_workers"]
