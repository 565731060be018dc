"""The size of an input on disk, known before it is read (without this package's heavier
modules: the command line asks it before importing them)."""

from __future__ import annotations

import os
from typing import Any


def input_bytes(source: Any) -> int:
    """The bytes of ``source`` on disk: a file's size, the sum over a folder's files; 0 for
    documents in memory or a path that cannot be read (the reading reports that)."""
    if not isinstance(source, str | os.PathLike):
        return 0
    try:
        if os.path.isdir(source):
            return sum(os.path.getsize(os.path.join(folder, name))
                       for folder, _, files in os.walk(source) for name in files)
        return os.path.getsize(source)
    except OSError:
        return 0
