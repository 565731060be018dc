"""reuse: near-duplicate documents and reused passages, with exact character spans."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .errors import ReuseError

if TYPE_CHECKING:
    from .align.config import AlignConfig, BandConfig
    from .config import Config, DedupConfig, PassageConfig, TokenizeConfig
    from .index import Index
    from .pipeline import align_pairs, dedup, rerun, run

__all__ = [
    "AlignConfig", "BandConfig", "Config", "DedupConfig", "Index", "PassageConfig", "ReuseError",
    "TokenizeConfig", "__version__", "align_pairs", "dedup", "rerun", "run",
]

# Loaded on first use, so that ``import reuse`` and ``reuse --help`` start fast and a Ctrl-C
# during start-up is handled by the command line (reuse.cli.command): the pipeline imports numpy
# and pandas; reuse.config only the standard library, but building its dataclasses still
# costs about as much as the rest of ``import reuse``.
_LAZY = {
    **dict.fromkeys(("align_pairs", "dedup", "rerun", "run"), "pipeline"),
    "Index": "index",
    **dict.fromkeys(("AlignConfig", "BandConfig", "Config", "DedupConfig", "PassageConfig",
                     "TokenizeConfig"), "config"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'reuse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
