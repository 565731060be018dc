"""How a command ends: a ReuseError as ``reuse: error: ...`` and its exit code, Ctrl-C and
SIGTERM as an interruption, a run folder left incomplete said so."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import click

from ..errors import ReuseError, printable

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
# The commands that write a run folder (--out, or the rerun's RUN_DIR).
_RUN_FOLDER_COMMANDS = ("dedup", "run", "align", "rerun", "query")


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so that ``finally`` blocks remove temporary files."""


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    def on_sigterm(signum: int, frame: Any) -> None:
        raise _Terminated

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ReuseError into 'reuse: error: ...' and its exit code; Ctrl-C into exit 130 and
    SIGTERM into exit 143. The run folder claimed by the command (see ``reuse.cli.commands``) has
    already been marked incomplete then; a folder the command never claimed is not touched."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _terminate_as_interrupt():
                return command(*args, **kwargs)
        except ReuseError as exc:
            click.echo(f"reuse: error: {printable(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            message = "reuse: terminated" if isinstance(exc, _Terminated) else "reuse: interrupted"
            out = kwargs.get("out") or kwargs.get("run_dir")
            if command.__name__ in _RUN_FOLDER_COMMANDS and out and _was_marked_incomplete(out):
                message += f"; {out} holds no complete run (no manifest.json). Run it again."
            click.echo(printable(message), err=True)
            sys.exit(EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED)

    return wrapper


def _was_marked_incomplete(out: str) -> bool:
    if "reuse.runfolder.folder" not in sys.modules:  # interrupted before anything was claimed
        return False
    from ..runfolder.folder import marked_incomplete

    return marked_incomplete(out)
