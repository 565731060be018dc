"""Progress bars on stderr: shown only on a terminal and when not quiet.

:func:`progress` is a bar for a stage that counts its work (documents, pairs); :func:`ticking`
is for a stage that cannot count its work (the LSH candidate search, clustering, writing the
tables and the report), and shows the stage's name and elapsed time. A thread redraws every
shown bar each second, so the elapsed time moves even while one step of the work takes long.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

REFRESH_SECONDS = 1.0


class HiddenBar:
    """What :func:`progress` yields when no bar is shown: it takes the counts and draws nothing,
    without loading tqdm or starting its monitor thread."""

    disable = True

    def __init__(self, total: int | None) -> None:
        self.total = total

    def update(self, n: int = 1) -> None:
        pass

    def refresh(self) -> None:
        pass


def shown(quiet: bool) -> bool:
    """Whether progress is shown: not quiet, and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress(total: int | None, desc: str, quiet: bool, unit: str = "doc",
             bar_format: str | None = None) -> Iterator[tqdm | HiddenBar]:
    """A progress bar on stderr counting ``total`` units (None: a count without a total),
    closed (and erased) when the block ends."""
    if not shown(quiet):
        yield HiddenBar(total)
        return
    from tqdm import tqdm

    bar = tqdm(
        total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr, leave=False,
        mininterval=0.5, bar_format=bar_format,
    )
    done = threading.Event()

    def refresh() -> None:
        while not done.wait(REFRESH_SECONDS):
            bar.refresh()

    thread = threading.Thread(target=refresh, name=f"progress {desc}", daemon=True)
    thread.start()
    try:
        yield bar
    finally:
        done.set()
        thread.join()
        bar.close()


@contextmanager
def ticking(desc: str, quiet: bool) -> Iterator[tqdm | HiddenBar]:
    """A bar showing ``desc`` and the elapsed time while the block runs."""
    with progress(None, desc, quiet, bar_format="{desc}: {elapsed}") as bar:
        yield bar
