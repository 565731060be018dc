"""Whether the batch aligner runs its compiled kernels (:mod:`reuse.align.kernels`, which need
numba: ``pip install 'reuse-detect[fast]'``). Without numba the numpy code of
:mod:`reuse.align.batch` and :mod:`reuse.align.edits` runs, with the same results; so does it
for a small call while numba is not loaded (:data:`MIN_TOKENS`). The rule is
:func:`reuse.common.compiled.load`'s, whose ``ENABLED`` switches off every stage's kernels.
"""

from __future__ import annotations

from types import ModuleType

from ..common import compiled

__all__ = ["ENABLED", "MIN_TOKENS", "kernels"]

# Tests set it False to run the aligner's numpy code with numba installed.
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
    return compiled.load("reuse.align.kernels", tokens, MIN_TOKENS)
