"""Whether the batch aligner runs its compiled kernels (:mod:`reuse.align.kernels`, which need
numba: ``pip install 'reuse-detect[fast]'``). Without numba the numpy code of
:mod:`reuse.align.batch` and :mod:`reuse.align.edits` runs, with the same results.
"""

from __future__ import annotations

from types import ModuleType

__all__ = ["ENABLED", "kernels"]

# Tests set it False to run the numpy code with numba installed.
ENABLED = True


def kernels() -> ModuleType | None:
    """:mod:`reuse.align.kernels` when ``ENABLED`` and numba is installed, else None. Imported
    on first use, not with the package: numba takes a few tenths of a second to import."""
    if not ENABLED:
        return None
    try:
        from . import kernels as compiled_kernels
    except ImportError:
        return None
    return compiled_kernels
