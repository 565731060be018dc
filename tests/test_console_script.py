"""What the ``reuse`` console script sets up for its process before the libraries load."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Starts the entry point as the installed script does, then reports what the process got.
SCRIPT = """
import json, os, sys
from reuse.cli.command import main
try:
    main()
except SystemExit:
    pass
from threadpoolctl import threadpool_info
blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
print(json.dumps({"blas_threads": blas, "arrow_pool": os.environ.get("ARROW_DEFAULT_MEMORY_POOL"),
                  "openblas": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


def _started(seeds_dir, tmp_path, **environment: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ARROW_DEFAULT_MEMORY_POOL")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "dedup", str(seeds_dir), "--out", str(tmp_path / "o"),
         "--quiet"], capture_output=True, text=True, timeout=120, env=env | environment,
        check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_the_command_runs_one_blas_thread_and_arrow_on_the_system_heap(seeds_dir, tmp_path):
    pytest.importorskip("threadpoolctl")
    started = _started(seeds_dir, tmp_path)
    # numpy's OpenBLAS loaded after the setting: one thread, not one per core.
    assert started["blas_threads"] and set(started["blas_threads"]) == {1}
    assert started["openblas"] == "1" and started["arrow_pool"] == "system"


def test_the_users_own_settings_are_kept(seeds_dir, tmp_path):
    pytest.importorskip("threadpoolctl")
    started = _started(seeds_dir, tmp_path, OPENBLAS_NUM_THREADS="2",
                       ARROW_DEFAULT_MEMORY_POOL="mimalloc")
    assert set(started["blas_threads"]) == {2}
    assert started["openblas"] == "2" and started["arrow_pool"] == "mimalloc"


def test_the_command_line_is_built_without_numpy_or_the_readers():
    # The fork server of a multi-worker command starts once the command line is parsed; what
    # the parsing imports delays it (and `reuse --help` waits for all of it).
    code = ("import sys\n"
            "from reuse.cli.command import main\n"
            "sys.argv = ['reuse', '--version']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'pyarrow', 'pandas', 'reuse.ingest') "
            "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
