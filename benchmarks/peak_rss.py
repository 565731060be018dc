"""Run a command and measure its peak resident memory, its own and nobody else's.

``ru_maxrss`` of a child counts the memory it had before ``exec``: a child forked from a
benchmark that holds a generated corpus starts with the benchmark's whole resident set. So the
peak here is the child's ``VmHWM`` (the high-water mark of the address space that ``exec``
made), read from ``/proc`` every few milliseconds while the command runs and only once its
command line is the one started. Linux only.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any


def run_measured(command: list[str], interval: float = 0.005, **popen: Any
                 ) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``command`` to the end: the finished process (output captured as ``popen`` asks),
    its wall seconds and its peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(command, **popen)
    output: list[tuple[Any, Any]] = []
    # communicate() drains the pipes (a full pipe would stall the child) and reaps it.
    reader = threading.Thread(target=lambda: output.append(child.communicate()))
    reader.start()
    expected = b"\0".join(arg.encode() for arg in command[1:]) + b"\0"
    proc = Path(f"/proc/{child.pid}")
    peak_kib = 0
    while reader.is_alive():
        try:
            if (proc / "cmdline").read_bytes().endswith(expected):
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
        except OSError:  # it has ended
            pass
        reader.join(interval)
    seconds = time.perf_counter() - started
    stdout, stderr = output[0]
    done = subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
    return done, seconds, peak_kib / 1024
