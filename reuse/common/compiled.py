"""The switch of the compiled kernels: the aligner's (numba, the ``fast`` extra: ``pip install
'reuse-detect[fast]'``, :mod:`reuse.align.compiled`) and the sketching's C passes, built with
the package (:mod:`reuse.ingest.compiled_frames`, :mod:`reuse.text.compiled_narrow`,
:mod:`reuse.text.compiled_shingles`, :mod:`reuse.sketch.compiled_minhash`,
:mod:`reuse.sketch.compiled_windows`), exact verification's (:mod:`reuse.compiled_verify`) and
the stable sort orders' (:mod:`reuse.common.compiled_sorting`).
Without them the Python and numpy code runs, with the same results; so does it for a small
alignment while numba is not loaded yet.

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

__all__ = ["COMPILED_RUN_BYTES", "ENABLED", "KERNEL_MODULES", "load", "preload", "run_kernels"]

# Tests set it False to run the numpy code of every stage with the kernels installed.
ENABLED = True
# Every numba kernel module.
KERNEL_MODULES = ("reuse.align.kernels",)
# Input bytes from which a run loads numba before reading (with the ``fast`` extra): its
# alignment will load it anyway (a chunk of boxes is about 400k tokens, over
# reuse.align.compiled.MIN_TOKENS), once, in the workers' fork server.
COMPILED_RUN_BYTES = 64 << 20


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


def preload(modules: tuple[str, ...] = KERNEL_MODULES) -> tuple[str, ...]:
    """Load kernel ``modules`` now (numba included; default: the aligner's), for a job that
    will use them (a large ``run`` aligns with them): every alignment then runs compiled, a
    small first chunk included. Returns the modules loaded: none when not ``ENABLED`` or
    without numba."""
    return tuple(module for module in modules if load(module, None, 0) is not None)


def run_kernels(input_size: int) -> tuple[str, ...]:
    """The kernel modules that a ``run`` of an input of ``input_size`` bytes loads before it
    reads (the aligner's from ``COMPILED_RUN_BYTES`` on, none below it or when not
    ``ENABLED``): in its own process with one worker (:func:`preload`), else in the workers'
    fork server, whose workers then start with them loaded."""
    return KERNEL_MODULES if ENABLED and input_size >= COMPILED_RUN_BYTES else ()
