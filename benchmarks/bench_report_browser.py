"""The report in a browser at scale: how fast its pages load and its filters apply, in chromium.

Builds the synthetic run folder of ``bench_report.py`` (``--docs`` documents; passage families
of ``--family`` documents, every pair of a family aligned, giving about ``--alignments``
alignments), renders the report with ``group_by="source"``, and opens three of its pages in
headless chromium (driven over the DevTools protocol by ``tests/cdp.py``): the index (with the
table of every document), the list of document pairs and the list of passage pairs.

For each page, over ``--repeat`` fresh loads (the median is reported):

- **interactive**: the ``reuse-ready`` mark that ``explore.js`` sets once every table of the
  page is drawn and its controls answer (the browser's performance API, in milliseconds since
  the navigation started); **load event**: the navigation's ``loadEventEnd``.
- **filters**: for each control, the time from setting it (as a reader types or picks) to the
  next painted frame after the table was redrawn: ``performance.now()`` in the page before the
  ``input`` event, and after a ``requestAnimationFrame`` and a zero timeout that follow it.
  Each filter is applied to the page as loaded (the other controls empty), then cleared.

    .venv/bin/python benchmarks/bench_report_browser.py                 # 10k docs, ~100k alignments
    .venv/bin/python benchmarks/bench_report_browser.py --docs 2000 --alignments 10000 --no-write

The targets (issue 16): the index interactive within 2 s and a filter applied within 200 ms, at
10k documents and 100k alignments. Writes ``benchmarks/results_report_browser.md`` unless
``--no-write``. Needs chromium (``apt-get install chromium``, or ``REUSE_CHROMIUM``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_report import build  # noqa: E402
from cdp import Browser, find_chromium  # noqa: E402

from reuse.report.html import render_report  # noqa: E402

TARGET_INTERACTIVE_MS = 2000
TARGET_FILTER_MS = 200

APPLY = """(async (name, param, value) => {
  const input = document.querySelector(
    'section[data-explorer="' + name + '"] [data-param="' + param + '"]');
  const start = performance.now();
  input.value = value;
  input.dispatchEvent(new Event(input.tagName === "SELECT" ? "change" : "input"));
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  const ms = performance.now() - start;
  const rows = document.querySelector('section[data-explorer="' + name + '"] .status')
    .textContent;
  input.value = "";
  input.dispatchEvent(new Event(input.tagName === "SELECT" ? "change" : "input"));
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  return [ms, rows];
})"""

SORT = """(async (name, column) => {
  const th = document.querySelector('section[data-explorer="' + name + '"] thead th:nth-child('
                                    + column + ')');
  const start = performance.now();
  th.click();
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  return [performance.now() - start, th.textContent];
})"""

TIMES = """(() => {
  const ready = performance.getEntriesByName("reuse-ready")[0];
  const nav = performance.getEntriesByType("navigation")[0];
  const tables = [...document.querySelectorAll('section.explorer script[type="application/json"]')]
    .map((s) => JSON.parse(s.textContent).rows.length);
  return [ready ? ready.startTime : null, nav.loadEventEnd, tables];
})()"""


def load(browser: Browser, url: str) -> tuple[float, float, float, list[int]]:
    """Open ``url`` fresh: (interactive ms, load event ms, wall s from Python, rows per table)."""
    browser.open("about:blank")
    started = time.perf_counter()
    browser.open(url)
    wall = time.perf_counter() - started - 0.3  # less Browser.open's settling pause
    problems = browser.problems()
    if problems:
        raise RuntimeError(f"{url}: {problems[0]}")
    ready, loaded, rows = browser.evaluate(TIMES)
    return ready, loaded, wall, rows


def measure(browser: Browser, page: Path, filters: list[tuple[str, str, str]],
            sorts: list[tuple[str, int]], repeat: int) -> dict:
    url = page.resolve().as_uri()
    loads = [load(browser, url) for _ in range(repeat)]
    out = {"page": page.name, "mb": page.stat().st_size / 1e6, "rows": loads[0][3],
           "interactive": statistics.median(x[0] for x in loads),
           "load_event": statistics.median(x[1] for x in loads),
           "wall": statistics.median(x[2] for x in loads), "filters": []}
    for name, param, value in filters:
        runs = [browser.evaluate(f"{APPLY}({json.dumps(name)}, {json.dumps(param)}, "
                                 f"{json.dumps(value)})") for _ in range(repeat)]
        out["filters"].append((f"{name}: {param} = {value!r}",
                               statistics.median(r[0] for r in runs), runs[0][1]))
    for name, column in sorts:
        runs = []
        for _ in range(repeat):
            browser.open(url)
            runs.append(browser.evaluate(f"{SORT}({json.dumps(name)}, {column})"))
        out["filters"].append((f"{name}: sort by {runs[0][1]!r}",
                               statistics.median(r[0] for r in runs), ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--alignments", type=int, default=100_000)
    parser.add_argument("--family", type=int, default=10, help="documents per passage family")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("bench_report_browser: no chromium found; install it (apt-get install "
                 "chromium) or set REUSE_CHROMIUM to a Chrome/Chromium binary")
    with tempfile.TemporaryDirectory(prefix="bench-report-browser-") as tmp:
        folder = Path(tmp) / "run"
        started = time.perf_counter()
        sizes = build(folder, args.docs, args.alignments, args.family, args.seed)
        built = time.perf_counter() - started
        started = time.perf_counter()
        index = render_report(folder, group_by="source")
        rendered = time.perf_counter() - started
        print(f"built {sizes} in {built:.0f} s; rendered in {rendered:.0f} s", flush=True)
        html = folder / "html"
        doc = "doc-000123"
        results = []
        with Browser(chromium, width=1400, height=1000) as browser:
            results.append(measure(browser, index, [
                ("docs", "q", doc), ("docs", "q", "doc-00"), ("docs", "share.min", "20"),
                ("docs", "m.source", "outlet-3"), ("docs", "m.date.from", "2024-06"),
                ("docs", "partners.min", "12"),
            ], [("docs", 6)], args.repeat))
            results.append(measure(browser, html / "lists" / "pairs-1.html", [
                ("pairs", "q", doc), ("pairs", "similarity.max", "<1"),
                ("pairs", "a_share.min", "15"), ("pairs", "m.source", "outlet-3"),
                ("pairs", "m.date.to", "2024-03"),
            ], [("pairs", 3)], args.repeat))
            first_word = read_first_word(html / "lists" / "alignments-1.html")
            results.append(measure(browser, html / "lists" / "alignments-1.html", [
                ("alignments", "q", doc), ("alignments", "q", first_word),
                ("alignments", "q", "zzzz"), ("alignments", "similarity.max", "<1"),
                ("alignments", "m.source", "outlet-3"),
            ], [("alignments", 7)], args.repeat))
    report(args, sizes, rendered, results)


def read_first_word(page: Path) -> str:
    """A word of the first passage of the list: a search that finds some rows."""
    text = page.read_text(encoding="utf-8")
    data = json.loads(text.split('<script type="application/json">')[1].split("</script>")[0])
    return data["strings"][data["rows"][0][1]].split()[3]


def report(args: argparse.Namespace, sizes: dict, rendered: float, results: list[dict]) -> None:
    lines = ["| page | MB | rows embedded | interactive ms | load event ms | open (Python) s |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['page']} | {r['mb']:.1f} | {' + '.join(map(str, r['rows']))} | "
                     f"{r['interactive']:.0f} | {r['load_event']:.0f} | {r['wall']:.2f} |")
    lines += ["", "| page | filter | ms | rows after |", "|---|---|---:|---|"]
    worst = 0.0
    for r in results:
        for what, ms, status in r["filters"]:
            worst = max(worst, ms)
            lines.append(f"| {r['page']} | {what} | {ms:.0f} | {status} |")
    index = results[0]
    verdict = [
        f"- index interactive: {index['interactive']:.0f} ms (target {TARGET_INTERACTIVE_MS} ms): "
        + ("**met**" if index["interactive"] <= TARGET_INTERACTIVE_MS else "**missed**"),
        f"- slowest filter or sort on any page: {worst:.0f} ms (target {TARGET_FILTER_MS} ms): "
        + ("**met**" if worst <= TARGET_FILTER_MS else "**missed**"),
    ]
    body = "\n".join(lines)
    print(body)
    print("\n".join(verdict))
    if not args.no_write:
        command = " ".join([".venv/bin/python", "benchmarks/bench_report_browser.py",
                            *sys.argv[1:]])
        (HERE / "results_report_browser.md").write_text(
            "# The report in a browser at scale\n\n"
            f"`{command}` on {platform.machine()} Python {platform.python_version()}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
            f"{os.getloadavg()[0]:.1f}; headless chromium; medians of {args.repeat} runs.\n\n"
            f"Run folder: {sizes['docs']:,} documents, {sizes['alignments']:,} alignments in "
            f"{sizes['pairs']:,} pairs, {sizes['passages']:,} passage clusters; report "
            f"rendered in {rendered:.0f} s.\n\n{body}\n\n" + "\n".join(verdict) + "\n",
            encoding="utf-8")


if __name__ == "__main__":
    main()
