"""The report of a corpus of long documents: its size on disk, the time to write it, and how
fast its pages open in a browser (issue 15, item 3).

On the five English Bible versions (``../shared/data/bible-en``: 330 books, 21.8 MB), as a user
runs it, each command a whole process timed with ``/usr/bin/time -v``:

1. ``reuse run DATA --out RUN --no-report -q``: the run folder, once;
2. ``reuse report RUN -q``: the report alone (wall time, peak RSS);
3. ``reuse run DATA --out RUN2 -q``: the whole run, report included (skipped by ``--no-full``).

Then the report's size (``html/``, ``matrix.csv``, ``heatmap.png``, ``pair_reuse``) against the
corpus's, and in headless chromium (``tests/cdp.py``, as ``bench_report_browser.py``), over
``--repeat`` fresh loads (medians): the index, the largest pair page, the largest passage page
and the largest list page, each with its ``domInteractive``, ``loadEventEnd`` and (the index and
lists) the ``reuse-ready`` mark that ``explore.js`` sets once the tables answer. On the largest
pair page, the time from a click on "Show the whole text" to both whole texts drawn.

``--before DIR`` measures an existing report (e.g. one written by an earlier version) the
same way, read-only, for the ratio. Writes ``benchmarks/results_report_long.md`` unless
``--no-write``.

    .venv/bin/python benchmarks/bench_report_long.py
    .venv/bin/python benchmarks/bench_report_long.py --before /path/to/old/run --no-full

Targets: report <= 3x the corpus size; every page interactive within 2 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from cdp import Browser, find_chromium  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bible-en"
TARGET_RATIO = 3.0
TARGET_MS = 2000

TIMES = """(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const ready = performance.getEntriesByName("reuse-ready")[0];
  return [nav.domInteractive, nav.loadEventEnd, ready ? ready.startTime : null,
          document.getElementsByTagName("*").length];
})()"""

WHOLE = """(() => {
  window.__wholeStart = performance.now();
  document.querySelectorAll("button.whole").forEach((b) => b.click());
  return document.querySelectorAll("button.whole").length;
})()"""

WHOLE_DONE = """(() => {
  const boxes = [...document.querySelectorAll(".text[data-side]")];
  return boxes.every((b) => b.hasAttribute("data-whole")) ?
    [performance.now() - window.__wholeStart, document.getElementsByTagName("*").length] : null;
})()"""


def timed(command: list[str], cwd: Path) -> dict:
    """Run ``command`` under /usr/bin/time -v: wall seconds and peak RSS (MB)."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], cwd=cwd, capture_output=True,
                          text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return {"wall": wall, "rss_mb": int(rss.group(1)) / 1024 if rss else float("nan")}


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def report_bytes(run: Path) -> dict[str, int]:
    """What the report wrote into the run folder, by part."""
    html = run / "html"
    parts = {name: folder_bytes(html / name) for name in ("pairs", "passages", "lists")}
    parts["index"] = folder_bytes(html / "index.html")
    parts["matrix, heatmap, pair table"] = sum(
        folder_bytes(p) for p in run.iterdir()
        if p.name in ("matrix.csv", "heatmap.png", "group_matrix.csv", "group_heatmap.png")
        or p.name.startswith("pair_reuse."))
    parts["total"] = sum(parts.values())
    return parts


def largest(folder: Path) -> Path:
    return max(folder.glob("*.html"), key=lambda p: p.stat().st_size)


def measure_page(browser: Browser, page: Path, repeat: int, whole: bool = False) -> dict:
    url = page.resolve().as_uri()
    loads = []
    for _ in range(repeat):
        browser.open("about:blank")
        browser.open(url)
        problems = browser.problems()
        if problems:
            raise RuntimeError(f"{page}: {problems[0]}")
        loads.append(browser.evaluate(TIMES))
    out = {"page": f"{page.parent.name}/{page.name}", "mb": page.stat().st_size / 1e6,
           "dom_interactive": statistics.median(x[0] for x in loads),
           "load_event": statistics.median(x[1] for x in loads),
           "ready": None if loads[0][2] is None else statistics.median(x[2] for x in loads),
           "elements": loads[0][3], "whole_ms": None, "whole_elements": None}
    if whole and browser.evaluate(WHOLE):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = browser.evaluate(WHOLE_DONE)
            if done:
                out["whole_ms"], out["whole_elements"] = done
                break
            time.sleep(0.05)
    return out


def interactive(r: dict) -> float:
    """When the page answers: the tables' ready mark where there is one, else the load event."""
    return r["ready"] if r["ready"] is not None else r["load_event"]


def measure_site(browser: Browser, run: Path, repeat: int) -> list[dict]:
    html = run / "html"
    pages = [(html / "index.html", False)]
    for sub in ("pairs", "passages", "lists"):
        if any((html / sub).glob("*.html")):
            pages.append((largest(html / sub), sub == "pairs"))
    return [measure_page(browser, page, repeat, whole) for page, whole in pages]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--run-folder", type=Path, default=None,
                        help="instead of step 1, copy the tables of this run folder (made by "
                             "the same pipeline) and report on the copy")
    parser.add_argument("--before", type=Path, default=None,
                        help="a run folder with an earlier report, measured read-only")
    parser.add_argument("--no-full", action="store_true",
                        help="skip the whole `reuse run` with the report")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("bench_report_long: no chromium found; install it (apt-get install chromium) "
                 "or set REUSE_CHROMIUM to a Chrome/Chromium binary")
    if not args.data.is_dir():
        sys.exit(f"bench_report_long: no corpus at {args.data}")
    corpus = folder_bytes(args.data)
    python = [sys.executable, "-m", "reuse"]
    with tempfile.TemporaryDirectory(prefix="bench-report-long-") as tmp:
        run = Path(tmp) / "run"
        if args.run_folder is None:
            tables = timed([*python, "run", str(args.data), "--out", str(run), "--no-report",
                            "-q"], ROOT)
            print(f"run --no-report: {tables['wall']:.1f} s", flush=True)
        else:
            run.mkdir()
            for part in args.run_folder.iterdir():
                if part.is_file() and (part.suffix in (".parquet", ".csv", ".jsonl")
                                       or part.name == "manifest.json"):
                    shutil.copy2(part, run / part.name)
            tables = None
        report = timed([*python, "report", str(run), "-q"], ROOT)
        print(f"report: {report['wall']:.1f} s", flush=True)
        sizes = report_bytes(run)
        full = None
        if not args.no_full:
            shutil.rmtree(Path(tmp) / "full", ignore_errors=True)
            full = timed([*python, "run", str(args.data), "--out", str(Path(tmp) / "full"),
                          "-q"], ROOT)
            print(f"run: {full['wall']:.1f} s", flush=True)
        import json

        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        with Browser(chromium, width=1400, height=1000) as browser:
            after = measure_site(browser, run, args.repeat)
            before = (measure_site(browser, args.before, args.repeat)
                      if args.before is not None else None)
        before_sizes = report_bytes(args.before) if args.before is not None else None
        write(args, corpus, tables, report, full, sizes, after, before_sizes, before,
              manifest)


def write(args: argparse.Namespace, corpus: int, tables: dict | None, report: dict,
          full: dict | None,
          sizes: dict, after: list[dict], before_sizes: dict | None, before: list[dict] | None,
          manifest: dict) -> None:
    mb = 1e6
    counts = manifest.get("counts", {})
    rendered = manifest.get("report", {})
    lines = ["| command (whole process) | wall s | peak RSS MB |", "|---|---:|---:|"]
    if tables is not None:
        lines.append(f"| `reuse run DATA --out RUN --no-report -q` | {tables['wall']:.1f} | "
                     f"{tables['rss_mb']:.0f} |")
    else:
        lines.append(f"| (RUN: the tables of `{args.run_folder}`, copied) | | |")
    lines.append(f"| `reuse report RUN -q` | {report['wall']:.1f} | {report['rss_mb']:.0f} |")
    if full is not None:
        lines.append(f"| `reuse run DATA --out RUN2 -q` (report included) | {full['wall']:.1f} "
                     f"| {full['rss_mb']:.0f} |")
    lines += ["", "| report part | MB" + (" | before MB |" if before_sizes else " |"),
              "|---|---:|" + ("---:|" if before_sizes else "")]
    for part, value in sizes.items():
        row = f"| {part} | {value / mb:.1f} |"
        if before_sizes:
            row += f" {before_sizes.get(part, 0) / mb:.1f} |"
        lines.append(row)
    ratio = sizes["total"] / corpus
    lines += ["", f"Corpus {corpus / mb:.1f} MB; report {sizes['total'] / mb:.1f} MB = "
              f"**{ratio:.2f}x** the corpus (target <= {TARGET_RATIO:g}x)"
              + (f"; before {before_sizes['total'] / mb:.1f} MB = "
                 f"{before_sizes['total'] / corpus:.1f}x" if before_sizes else "") + ".",
              "", "| report | page | MB | elements | DOM interactive ms | load event ms | "
              "tables ready ms | whole texts drawn ms (elements) |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    worst = 0.0
    for label, results in (("after", after), ("before", before or [])):
        for r in results:
            if label == "after":
                worst = max(worst, interactive(r))
            whole = "" if r["whole_ms"] is None else \
                f"{r['whole_ms']:.0f} ({r['whole_elements']:,})"
            ready = "" if r["ready"] is None else f"{r['ready']:.0f}"
            lines.append(f"| {label} | {r['page']} | {r['mb']:.2f} | {r['elements']:,} | "
                         f"{r['dom_interactive']:.0f} | {r['load_event']:.0f} | {ready} | "
                         f"{whole} |")
    verdict = [
        f"- report size: {ratio:.2f}x the corpus (target <= {TARGET_RATIO:g}x): "
        + ("**met**" if ratio <= TARGET_RATIO else "**missed**"),
        f"- slowest page to become interactive (tables ready, else load event): {worst:.0f} ms "
        f"(target {TARGET_MS} ms): " + ("**met**" if worst <= TARGET_MS else "**missed**"),
    ]
    body = "\n".join(lines)
    print(body)
    print("\n".join(verdict))
    if args.no_write:
        return
    command = " ".join([".venv/bin/python", "benchmarks/bench_report_long.py", *sys.argv[1:]])
    (HERE / "results_report_long.md").write_text(
        "# The report of long documents: size, writing time, pages in a browser\n\n"
        f"`{command}` on {platform.machine()} Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end; headless chromium; page times are medians of "
        f"{args.repeat} fresh loads.\n\n"
        f"Corpus: `{args.data.name}` ({counts.get('read', '?')} documents), "
        f"{counts.get('alignments', '?'):,} passage pairs, "
        f"{counts.get('passage_clusters', '?'):,} passage clusters; the report wrote "
        f"{rendered.get('pair_pages', '?')} pair pages (--max-pair-pages "
        f"{rendered.get('max_pair_pages', '?')}) and {rendered.get('passage_pages', '?')} "
        f"passage pages. Its own stages (manifest): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in rendered.get("timings", {}).items())
        + ".\n\n" + body + "\n\n" + "\n".join(verdict) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
