"""Seconds spent per stage of a run, shown on a terminal as each stage ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from ..common.progress import ticking


class Timings(dict):
    """Seconds spent per stage, in the order the stages ran. A stage without a progress bar of
    its own shows its name and elapsed time on a terminal unless ``quiet``."""

    def __init__(self, *args: Any, quiet: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quiet = quiet

    @contextmanager
    def stage(self, name: str, own_bar: bool = False) -> Iterator[None]:
        start = time.perf_counter()
        try:
            with nullcontext() if own_bar else ticking(name, self.quiet):
                yield
        finally:
            self[name] = round(self.get(name, 0.0) + time.perf_counter() - start, 4)
