"""The switch of the package's compiled passes, C built with the package: the documents'
SHA-256s (:mod:`reuse.ingest.compiled_digests`), the tokenizer's narrow path
(:mod:`reuse.text.compiled_narrow`), shingle hashing (:mod:`reuse.text.compiled_shingles`),
MinHash (:mod:`reuse.sketch.compiled_minhash`), the passage windows
(:mod:`reuse.sketch.compiled_windows`), exact verification (:mod:`reuse.compiled_verify`), the
stable sort orders (:mod:`reuse.common.compiled_sorting`) and the batch aligner's kernels
(:mod:`reuse.align.kernels`, switched by :mod:`reuse.align.compiled`). Where the package was
built without a C compiler, or with ``ENABLED`` False, the Python and numpy code runs, with the
same results.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["ENABLED", "load"]

# Tests set it False to run the Python and numpy code of every stage where the passes are built.
ENABLED = True


def load(module: str) -> ModuleType | None:
    """The module ``module`` (a full name) of compiled code when ``ENABLED`` and built; else
    None."""
    if not ENABLED:
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
