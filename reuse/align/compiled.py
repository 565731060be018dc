"""Whether the batch aligner runs its compiled kernels (:mod:`reuse.align.kernels`, which need
numba: ``pip install 'reuse-detect[fast]'``). Without numba the numpy code of
:mod:`reuse.align.batch` and :mod:`reuse.align.edits` runs, with the same results; so does it
for a small call while numba is not loaded (:data:`MIN_TOKENS`).
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["ENABLED", "MIN_TOKENS", "kernels"]

# Tests set it False to run the numpy code with numba installed.
ENABLED = True
# Tokens in one call (both sides of every pair) from which the kernels are worth loading numba:
# below it, and while numba is not loaded yet, the numpy code runs. Loading numba takes about a
# second and 140 MB in each process that aligns, and the first run after installing compiles
# the kernels (about 20 s): more than a small job (the sample corpus, a few pairs) spends
# aligning. Once numba is loaded, every call uses the kernels.
MIN_TOKENS = 200_000


def kernels(tokens: int | None = None) -> ModuleType | None:
    """:mod:`reuse.align.kernels` when ``ENABLED``, numba is installed and either numba is
    loaded already or the call aligns at least ``MIN_TOKENS`` tokens (``None``: whatever the
    size); else None. Imported on first use, not with the package."""
    if not ENABLED:
        return None
    if tokens is not None and tokens < MIN_TOKENS and "numba" not in sys.modules:
        return None
    try:
        from . import kernels as compiled_kernels
    except ImportError:
        return None
    return compiled_kernels
