"""Whether the batch aligner runs its compiled kernels (:mod:`reuse.align.kernels`, C built
with the package). Where the package was built without a C compiler, or with ``ENABLED``
False (or :data:`reuse.common.compiled.ENABLED`, which switches off every stage's compiled
code), the numpy code of :mod:`reuse.align.batch`, :mod:`reuse.align.edits` and
:mod:`reuse.align.bands` runs, with the same results.
"""

from __future__ import annotations

from types import ModuleType

from ..common import compiled

__all__ = ["ENABLED", "kernels"]

# Tests set it False to run the aligner's numpy code where the kernels are built.
ENABLED = True


def kernels() -> ModuleType | None:
    """:mod:`reuse.align.kernels` when ``ENABLED`` and built; else None."""
    if not ENABLED:
        return None
    return compiled.load("reuse.align.kernels")
