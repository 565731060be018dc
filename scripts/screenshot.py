"""Screenshots of the sample report for the README.

    make screenshot            # or: .venv/bin/python scripts/screenshot.py

Runs the pipeline on a copy of ``seeds/`` into a run folder of its own (``make demo``'s
``reports/seeds`` is left alone), both in ``WORK``, opens the report in headless chromium and
captures:

- ``docs/report.png``: the index (counts, pictures, matrix);
- ``docs/report-pair.png``: the pair page with the most word-level differences, as it opens (at
  its first passage);
- ``docs/report-lists.png``: the passage pair list, searched for a word.

A picture is written only when its pixels differ from the file already there, so a run that
changes nothing visible leaves the checkout as it was (``git status`` stays clean). The index
shows the input's path, so the input is copied to the same place (``WORK``) whatever the
checkout: the pictures do not depend on where it lives. ``WORK`` is removed afterwards; two
runs at once take turns. Needs chromium (Debian: ``apt-get install chromium``) or
``REUSE_CHROMIUM=/path/to/chrome``.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the DevTools client the browser tests use

from cdp import Browser, find_chromium  # noqa: E402

from reuse.pipeline import run, write_run  # noqa: E402
from reuse.report.html import pair_page_name, render_report  # noqa: E402
from reuse.runfolder.tables import read_table  # noqa: E402

SEARCH = "tashkent"  # the word the list screenshot searches for
WORK = Path(tempfile.gettempdir()) / "reuse-screenshot"


def most_edited_pair(folder: Path) -> tuple[str, str]:
    alignments = read_table(folder, "alignments")
    edits = alignments["edits"].map(lambda e: len(json.loads(e)) if e else 0)
    row = alignments.loc[edits.idxmax()]
    documents = read_table(folder, "documents")["doc_id"].tolist()
    a, b = sorted((row["a_id"], row["b_id"]), key=documents.index)
    return a, b


def same_picture(png: bytes, target: Path) -> bool:
    """Whether ``target`` already holds this picture, pixel for pixel (PNG bytes may differ
    for the same pixels)."""
    from PIL import Image

    if not target.exists():
        return False
    with Image.open(io.BytesIO(png)) as new, Image.open(target) as old:
        return new.size == old.size and new.convert("RGBA").tobytes() == \
            old.convert("RGBA").tobytes()


def capture(browser: Browser, url: str, target: Path, width: int, height: int) -> str:
    """Open ``url``, capture its top (at most ``height`` pixels, less for a shorter page), and
    write ``target`` if the picture changed."""
    browser.open(url)
    problems = browser.problems()
    if problems:
        sys.exit(f"screenshot: {url} reported {problems[0]}")
    page = browser.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, page["height"]), "scale": 1}
    png = base64.b64decode(browser.call("Page.captureScreenshot", session=True, format="png",
                                        clip=clip, captureBeyondViewport=True)["data"])
    if same_picture(png, target):
        return f"screenshot: {target} unchanged"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temporary.write_bytes(png)
    temporary.replace(target)
    return f"screenshot: {target} written"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs-dir", type=Path, default=ROOT / "docs",
                        help="where the pictures go (default: docs/)")
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("screenshot: no chromium found; install it (apt-get install chromium) or set "
                 "REUSE_CHROMIUM to a Chrome/Chromium binary")
    docs = args.docs_dir.resolve()
    with open(WORK.with_name(WORK.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run waits until this one is done
        try:
            shutil.rmtree(WORK, ignore_errors=True)
            shutil.copytree(ROOT / "seeds", WORK / "seeds")
            shoot(chromium, WORK, docs, args.width)
        finally:
            shutil.rmtree(WORK, ignore_errors=True)


def shoot(chromium: str, work: Path, docs: Path, width: int) -> None:
    """Run the pipeline and the report in ``work`` and capture the three pictures."""
    folder = write_run(run(work / "seeds"), work / "run", source=work / "seeds", command="run")
    index = render_report(folder)
    pair = folder / "html" / "pairs" / pair_page_name(*most_edited_pair(folder))
    lists = folder / "html" / "lists" / "alignments-1.html"
    with Browser(chromium, width=width, height=1100) as browser:  # the texts: 80% of it
        for url, name, height in (
                (index.as_uri(), "report.png", 1500),
                (pair.as_uri(), "report-pair.png", 1100),
                (f"{lists.as_uri()}#alignments.q={SEARCH}", "report-lists.png", 1500)):
            print(capture(browser, url, docs / name, width, height))


if __name__ == "__main__":
    main()
