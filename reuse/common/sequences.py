"""Values of a sequence at many positions, read together when the sequence can."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def values_at(values: Sequence[Any], positions: np.ndarray) -> list[Any]:
    """``values[p]`` for each of ``positions``: with one call of ``values.read_many`` when it
    has one (a document store's column reads nearby values together, where indexing reads
    each one on its own), else by indexing."""
    read_many = getattr(values, "read_many", None)
    if read_many is not None:
        return list(read_many(np.asarray(positions, dtype=np.int64)))
    return [values[position] for position in np.asarray(positions).tolist()]
