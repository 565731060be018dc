"""A Ctrl-C while ``reuse`` is still importing its libraries ends like any other Ctrl-C.

The subprocess installs an import hook that raises KeyboardInterrupt when a chosen module is
imported (as a Ctrl-C arriving at that moment would), then starts the console script's entry
point exactly as the installed ``reuse`` script does.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HOOK = """
import sys

TARGET = sys.argv.pop(1)

class CtrlC:
    fired = False

    def find_spec(self, name, path=None, target=None):
        if name == TARGET and not self.fired:
            self.fired = True  # as one Ctrl-C would: the import may be retried later
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
from reuse.cli.command import main
main()
"""


@pytest.mark.parametrize("module", ["click", "pyarrow", "numpy"])
def test_ctrl_c_while_importing_is_exit_130_without_traceback(module, seeds_dir, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", HOOK, module, "dedup", str(seeds_dir), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 130
    assert done.stderr.startswith("reuse: interrupted")


def test_importing_reuse_does_not_load_pandas():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, reuse; print('pandas' in sys.modules)"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.stdout.strip() == "False"


def test_python_dash_m_reuse_runs_the_command():
    done = subprocess.run([sys.executable, "-m", "reuse", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("reuse, version ")
