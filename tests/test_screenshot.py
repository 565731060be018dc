"""`make screenshot` (scripts/screenshot.py) rewrites no file when nothing visible changed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cdp import find_chromium
from conftest import ROOT

pytestmark = pytest.mark.browser


def test_a_second_screenshot_run_leaves_the_pictures_and_the_checkout_alone(tmp_path):
    if find_chromium() is None:
        pytest.skip("no chromium found (install it with `apt-get install chromium`, or set "
                    "REUSE_CHROMIUM to a Chrome/Chromium binary)")
    demo = ROOT / "reports" / "seeds" / "manifest.json"
    demo_before = demo.stat().st_mtime_ns if demo.exists() else None
    names = ["report.png", "report-pair.png", "report-lists.png"]
    command = [sys.executable, str(ROOT / "scripts" / "screenshot.py"), "--docs-dir",
               str(tmp_path)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [f"screenshot: {tmp_path / n} written" for n in names]
    stamps = {n: (tmp_path / n).stat().st_mtime_ns for n in names}
    assert all((tmp_path / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names)
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [f"screenshot: {tmp_path / n} unchanged" for n in names]
    assert {n: (tmp_path / n).stat().st_mtime_ns for n in names} == stamps
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temporary left
    # `make demo`'s report is not the screenshot's run folder
    assert (demo.stat().st_mtime_ns if demo.exists() else None) == demo_before
