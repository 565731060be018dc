"""Scratch folders: a process's temporary folders (the document store, spill files, shingle
hashes), which the process removes when it is done with them, and otherwise the next process
to make one on the same machine.

A process killed by SIGKILL or by the kernel's out-of-memory killer cannot remove its own, and
a large run's scratch is gigabytes (13 GB of shingle hashes at 10M documents). So a scratch
folder is named for its machine and process, ``reuse-KIND-HOST-PID-XXXXXXXX`` (``HOST``: 8 hex
digits of a hash of the host name), and holds a marker file; making a new one first removes,
in the same parent folder, the scratch folders of this machine whose process has ended. A
folder without the marker (not reuse's), of another machine (a ``TMPDIR`` on shared storage),
or of a process that is running or whose state cannot be told, is left alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import stat
import tempfile
from pathlib import Path

MARKER = ".reuse-scratch"
_NAME = re.compile(r"reuse-[a-z]+-([0-9a-f]{8})-(\d+)-.+")


def host_tag() -> str:
    """This machine's part of a scratch folder's name."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "surrogatepass")).hexdigest()[:8]


def scratch_folder(kind: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """A new, empty scratch folder of this process for ``kind`` (a lowercase word) in
    ``directory`` (an existing folder; by default ``TMPDIR``), made after removing the scratch
    folders there of this machine's processes that have ended. The caller removes it."""
    parent = Path(tempfile.gettempdir() if directory is None else directory)
    remove_stale_scratch(parent)
    folder = Path(tempfile.mkdtemp(prefix=f"reuse-{kind}-{host_tag()}-{os.getpid()}-",
                                   dir=parent))
    try:
        (folder / MARKER).touch()
    except OSError:  # a full disk, say: leave no unmarked folder behind
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def remove_stale_scratch(directory: Path) -> None:
    """Remove the scratch folders in ``directory`` of this machine's processes that have ended
    (see the module's documentation for what is left alone)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    host = host_tag()
    for entry in entries:
        match = _NAME.fullmatch(entry.name)
        if (match is None or match.group(1) != host or process_alive(int(match.group(2)))
                or not _marked(entry)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)


def _marked(entry: os.DirEntry[str]) -> bool:
    try:
        if not entry.is_dir(follow_symlinks=False):
            return False
        return stat.S_ISREG(os.lstat(os.path.join(entry.path, MARKER)).st_mode)
    except OSError:
        return False


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine may be running: False only when it surely is
    not (another user's process, or no way to tell, counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
