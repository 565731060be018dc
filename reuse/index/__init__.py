"""A persistent, incremental reuse index: add documents over time, query new ones against
everything added, with the spans of every reused passage.

* :mod:`~reuse.index.api`: :class:`Index` (``create``, ``open``, ``add``, ``query``,
  ``stats``, ``remove``, ``compact``).
* :mod:`~reuse.index.folder`: the folder, its manifest (the commit), its locks.
* :mod:`~reuse.index.segments`: the immutable files of an add, and lookups across them.
* :mod:`~reuse.index.query`: a query batch, with the pipeline's stage functions.
* :mod:`~reuse.index.compact`: merging segments without the removed documents.
* :mod:`~reuse.index.runfolder`: a query's answer as a run folder.
"""

from __future__ import annotations

from .api import Index
from .folder import IndexFolderError, IndexLockedError

__all__ = ["Index", "IndexFolderError", "IndexLockedError"]
