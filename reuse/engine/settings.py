"""A process-wide setting held by nested blocks: set when the outermost block starts, undone
when it ends (the allocator's and the garbage collector's, :mod:`.allocator`,
:mod:`.collector`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class OutermostSetting:
    """``apply()`` when the first of any number of nested (or concurrent) blocks starts,
    ``undo()`` when the last one ends, whatever the blocks raise."""

    def __init__(self, apply: Callable[[], None], undo: Callable[[], None]) -> None:
        self._apply = apply
        self._undo = undo
        self._lock = threading.Lock()
        self.depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            self.depth += 1
            if self.depth == 1:
                self._apply()
        try:
            yield
        finally:
            with self._lock:
                self.depth -= 1
                if self.depth == 0:
                    self._undo()
