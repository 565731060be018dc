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

__all__ = ["COMPILED_DEDUP_BYTES", "COMPILED_RUN_BYTES", "ENABLED", "KERNEL_MODULES",
           "dedup_kernels", "load", "preload", "run_kernels"]

# Tests set it False to run the numpy code of every stage with numba installed.
ENABLED = True
# Every stage's kernel module.
KERNEL_MODULES = ("reuse.text.kernels", "reuse.align.kernels")
# Input bytes from which a run loads numba before reading (with the ``fast`` extra): its
# alignment will load it anyway (a chunk of boxes is about 400k tokens, over
# reuse.align.compiled.MIN_TOKENS), and the tokenizer then saves about 3 ns a character.
COMPILED_RUN_BYTES = 64 << 20
# Input bytes per process (the whole input with one worker, a worker's share with more) from
# which a dedup loads the tokenizer's kernels before reading: they save a few ns a character,
# and loading numba and them costs each process about 0.8 s of CPU time.
COMPILED_DEDUP_BYTES = 512 << 20


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
    """Load kernel ``modules`` now (numba included; default: every stage's), for a job that
    will use them (a large ``run`` aligns with them), so that its earlier stages run compiled
    too. Returns the modules loaded: none when not ``ENABLED`` or without numba."""
    return tuple(module for module in modules if load(module, None, 0) is not None)


def run_kernels(input_size: int) -> tuple[str, ...]:
    """The kernel modules that a ``run`` of an input of ``input_size`` bytes loads before it
    reads (every stage's from ``COMPILED_RUN_BYTES`` on, none below it or when not
    ``ENABLED``): in its own process with one worker (:func:`preload`), else in the workers'
    fork server, whose workers then start with them loaded."""
    return KERNEL_MODULES if ENABLED and input_size >= COMPILED_RUN_BYTES else ()


def dedup_kernels(input_size: int, workers: int) -> tuple[str, ...]:
    """The kernel modules that a ``dedup`` of an input of ``input_size`` bytes with ``workers``
    processes loads before it reads, as :func:`run_kernels` for a ``run``: the tokenizer's,
    once each process tokenizes at least ``COMPILED_DEDUP_BYTES``; else none."""
    if ENABLED and input_size >= COMPILED_DEDUP_BYTES * workers:
        return ("reuse.text.kernels",)
    return ()
