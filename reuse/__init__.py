"""reuse: near-duplicate documents and reused passages, with exact character spans."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from .errors import ReuseError

__all__ = ["ReuseError", "__version__", "align_pairs", "dedup", "rerun", "run"]

# The pipeline imports numpy and pandas; it is loaded on first use, so that ``reuse --help``
# starts fast and a Ctrl-C during start-up is handled by the command line (reuse.cli.command).
_PIPELINE_NAMES = frozenset({"align_pairs", "dedup", "rerun", "run"})


def __getattr__(name: str) -> Any:
    if name in _PIPELINE_NAMES:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'reuse' has no attribute {name!r}")
