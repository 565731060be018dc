"""Keep freed numpy working memory in the process between batches (glibc only).

Every batch of documents allocates and frees tens of megabytes of numpy working arrays. glibc's
malloc serves a block above its mmap threshold with fresh ``mmap`` pages, and hands free memory
at the top of the heap back to the kernel once it exceeds the trim threshold; it raises both
thresholds on its own as it sees large blocks freed, but reuse's pattern of many arrays freed at
once still crosses them. Each batch then page-faults its working memory in again, and the
kernel zeroes every page: about a third of the wall time of the 100k-document dedup benchmark.

:func:`reusable_heap` sets the two thresholds to the top of glibc's own dynamic range (an mmap
threshold of 32 MiB and a trim threshold of twice that), so freed blocks stay in the heap and
the next batch reuses them. When the run ends and more than 256 MiB of the heap is free, it
returns the free memory to the kernel (``malloc_trim``); below that, the memory stays for the
next call, which would otherwise page-fault it in again. The thresholds stay set afterwards:
glibc offers no way back to its dynamic adjustment, and its fixed initial values (128 KiB) would
be slower for any numpy work. Where the C library is not glibc (macOS, musl) it does nothing.

Because the settings are process-wide, only the ``reuse`` command sets them (around the whole
command). The Python API changes nothing in the process: a service, a notebook or a Spark
executor that wants the same speed-up wraps its calls in ``with reusable_heap():``.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager

from .settings import OutermostSetting

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems
_TRIM_THRESHOLD = 2 * _MMAP_THRESHOLD
_TRIM_AFTER_FREE = 256 * 1024 * 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost",
    )]


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
        for name in ("gnu_get_libc_version", "mallopt", "malloc_trim"):
            getattr(libc, name)
    except (OSError, AttributeError):
        return None
    if hasattr(libc, "mallinfo2"):  # glibc >= 2.33
        libc.mallinfo2.restype = _MallInfo2
    return libc


_LIBC = _glibc()


def _free_heap_bytes() -> int | None:
    """Free bytes inside the heap (``mallinfo2().fordblks``), or None if glibc cannot say."""
    mallinfo2 = getattr(_LIBC, "mallinfo2", None)
    return None if mallinfo2 is None else int(mallinfo2().fordblks)


def _keep_freed_memory() -> None:
    assert _LIBC is not None
    _LIBC.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    _LIBC.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def _trim_if_much_is_free() -> None:
    assert _LIBC is not None
    free = _free_heap_bytes()
    if free is None or free > _TRIM_AFTER_FREE:
        _LIBC.malloc_trim(0)


HEAP = OutermostSetting(_keep_freed_memory, _trim_if_much_is_free)


@contextmanager
def reusable_heap() -> Iterator[None]:
    """Keep freed memory for reuse while the block runs (re-entrant; see the module doc)."""
    if _LIBC is None:
        yield
        return
    with HEAP.held():
        yield
