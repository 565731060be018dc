"""Screenshots of the sample report for the README.

Runs the pipeline on ``seeds/`` into ``reports/seeds`` (with the report), then has headless
chromium capture the index and the pair page with the most word-level differences:

    .venv/bin/python scripts/screenshot.py            # → docs/report.png, docs/report-pair.png

Needs chromium (Debian: ``apt-get install chromium``) or ``REUSE_CHROMIUM=/path/to/chrome``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reuse.pipeline import run, write_run  # noqa: E402
from reuse.report.html import pair_page_name, render_report  # noqa: E402
from reuse.report.tables import read_table  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def find_chromium() -> str:
    override = os.environ.get("REUSE_CHROMIUM")
    for candidate in ([override] if override else []) + ["chromium", "chromium-browser",
                                                          "google-chrome"]:
        found = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if found:
            return found
    sys.exit("screenshot: no chromium found; install it (apt-get install chromium) or set "
             "REUSE_CHROMIUM to a Chrome/Chromium binary")


def capture(chromium: str, page: Path, target: Path, width: int, height: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reuse-shot-") as profile:
        subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             f"--screenshot={target}", page.resolve().as_uri()],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
        )
    print(f"screenshot: {target}")


def most_edited_pair(folder: Path) -> tuple[str, str]:
    alignments = read_table(folder, "alignments")
    edits = alignments["edits"].map(lambda e: len(json.loads(e)) if e else 0)
    row = alignments.loc[edits.idxmax()]
    documents = read_table(folder, "documents")["doc_id"].tolist()
    a, b = sorted((row["a_id"], row["b_id"]), key=documents.index)
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=ROOT / "seeds")
    parser.add_argument("--run-dir", type=Path, default=ROOT / "reports" / "seeds")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args()
    chromium = find_chromium()
    folder = write_run(run(args.input), args.run_dir, source=args.input, command="run")
    index = render_report(folder)
    capture(chromium, index, args.out, args.width, args.height)
    pair = folder / "html" / "pairs" / pair_page_name(*most_edited_pair(folder))
    capture(chromium, pair, args.out.with_name(args.out.stem + "-pair.png"), args.width,
            args.height)


if __name__ == "__main__":
    main()
