"""Reading a file's bytes at an offset into memory that is already there."""

from __future__ import annotations

import os

# pread moves at most this many bytes per call on Linux.
IO_LIMIT = 1 << 30


def read_into(descriptor: int, view: memoryview, offset: int, what: str) -> None:
    """Fill ``view`` (a writable byte view) with the bytes of the file ``descriptor`` from
    ``offset``, in as many calls as that takes; an OSError naming ``what`` if the file ends
    first."""
    size = len(view)
    done = 0
    while done < size:
        got = os.preadv(descriptor, [view[done:done + IO_LIMIT]], offset + done)
        if got <= 0:
            raise OSError(f"{what} ended {size - done} bytes early")
        done += got
