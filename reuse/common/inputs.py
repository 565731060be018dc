"""What the command line knows of an input before it reads it, without this package's heavier
modules (numpy, the readers): the reading options' defaults and choices, and the input's size
on disk. The command imports them before it starts the workers' fork server, which then loads
the stages beside this process's own imports."""

from __future__ import annotations

import os
from typing import Any

# The longest document text read, in characters (--max-doc-chars).
DEFAULT_MAX_DOC_CHARS = 100_000_000
# The CSV/TSV dialects (--quoting): RFC 4180 quotes, or every field literal.
QUOTING_CHOICES = ("csv", "none")


def input_bytes(source: Any, stop_at: int | None = None) -> int:
    """The bytes of ``source`` on disk: a file's size, the sum over a folder's files; 0 for
    documents in memory or a path that cannot be read (the reading reports that). With
    ``stop_at``, a folder's files are counted only until they reach it (the answer is then at
    least ``stop_at``): a caller comparing with a threshold need not stat every file of a
    folder of millions."""
    if not isinstance(source, str | os.PathLike):
        return 0
    try:
        if not os.path.isdir(source):
            return os.path.getsize(source)
        total = 0
        for folder, _, files in os.walk(source):
            for name in files:
                total += os.path.getsize(os.path.join(folder, name))
                if stop_at is not None and total >= stop_at:
                    return total
        return total
    except OSError:
        return 0
