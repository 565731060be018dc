"""The switch of the compiled kernels (numba, the ``fast`` extra: ``pip install
'reuse-detect[fast]'``), shared by the stages that have them (:mod:`reuse.align.compiled`, the
tokenizer's :mod:`reuse.text.kernels`). Without numba the numpy code runs, with the same
results; so does it for a small call while numba is not loaded yet.

Loading numba takes about a second and 140 MB in each process that uses it, and the first run
after installing compiles the kernels (tens of seconds): more than a small job (the sample
corpus) saves. So a stage loads its kernels only for a call of at least its own minimum size,
or once numba is loaded anyway (by a stage that met its minimum): from then on every call of
every stage uses them. numba is never imported with the package.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["ENABLED", "KERNEL_MODULES", "load", "preload"]

# Tests set it False to run the numpy code of every stage with numba installed.
ENABLED = True
# Every stage's kernel module.
KERNEL_MODULES = ("reuse.text.kernels", "reuse.align.kernels")


def load(module: str, size: int | None, min_size: int) -> ModuleType | None:
    """The kernel module ``module`` (a full name; it imports numba) when ``ENABLED``, numba is
    installed and either numba is loaded already or the call's ``size`` is at least
    ``min_size`` (``None``: whatever the size); else None."""
    if not ENABLED:
        return None
    if size is not None and size < min_size and "numba" not in sys.modules:
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def preload() -> tuple[str, ...]:
    """Load every stage's kernels now (numba included), for a job that will load them anyway
    (a large ``run`` aligns with them), so that its earlier stages run compiled too. Returns the
    modules loaded: none when not ``ENABLED`` or without numba."""
    return tuple(module for module in KERNEL_MODULES if load(module, None, 0) is not None)
