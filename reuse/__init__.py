"""reuse: near-duplicate documents and reused passages, with exact character spans."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ReuseError
from .pipeline import align_pairs, dedup, run

__all__ = ["ReuseError", "__version__", "align_pairs", "dedup", "run"]
