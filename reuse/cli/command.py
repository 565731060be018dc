"""The ``reuse`` console script: a Ctrl-C while the libraries load ends as cleanly as one later.

The command-line module and the libraries behind it (click, numpy, pandas) take a moment to
import, and a KeyboardInterrupt raised while they load would otherwise print a traceback. This
module imports nothing from them at import time.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main() -> None:
    """Run the ``reuse`` command line."""
    try:
        from .commands import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("reuse: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    # The command owns its process, so it may tune the allocator for the whole run; the Python
    # API leaves that to the caller (reuse.engine.allocator.reusable_heap).
    from ..engine.allocator import reusable_heap

    with reusable_heap():
        cli_main(prog_name="reuse")
