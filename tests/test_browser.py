"""The HTML report in a real headless chromium, driven over the DevTools protocol.

Skips with the reason when no chromium is installed (Debian: ``apt-get install chromium``; or
point ``REUSE_CHROMIUM`` at a Chrome/Chromium binary). Screenshots go to pytest's tmp folder.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from cdp import Browser, find_chromium
from report_fixture import XSS_ID, XSS_PREFIX, build_run_folder, large_pair, sample_jsonl

from reuse.report import html as report_html
from reuse.report.html import content_security_policy, pair_page_name, render_report
from reuse.report.tables import read_table

pytestmark = pytest.mark.browser

CHROMIUM = find_chromium()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium found (install it with `apt-get install chromium`, or set "
                    "REUSE_CHROMIUM to a Chrome/Chromium binary)")
    with Browser(CHROMIUM) as instance:
        yield instance


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    base = tmp_path_factory.mktemp("browser")
    source = sample_jsonl(Path(request.config.rootpath) / "seeds", base / "sample.jsonl")
    folder = build_run_folder(source, base / "run")
    render_report(folder, group_by="source")
    texts = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts[record["id"]] = record["text"]
    return folder, texts, base / "screenshots"


def asset(name: str) -> str:
    return (Path(report_html.__file__).parent / "static" / name).read_text(encoding="utf-8")


def open_clean(browser: Browser, page: Path) -> None:
    """Open ``page`` and check: no console error, no CSP violation, no dialog, and no request
    other than the page itself."""
    url = page.resolve().as_uri()
    browser.open(url)
    assert browser.problems() == []
    assert browser.dialogs() == []
    assert browser.requests() == [url]


SPANS_JS = """
(() => {
  const out = {};
  for (const side of ["a", "b"]) {
    const spans = {};
    document.querySelectorAll(`.text[data-side="${side}"] [data-p]`).forEach((el) => {
      for (const k of el.getAttribute("data-p").split(" ")) {
        spans[k] = (spans[k] || "") + el.textContent;
      }
    });
    out[side] = spans;
  }
  return out;
})()
"""


def test_index_loads_clean_and_sorts(browser, site):
    folder, _, shots = site
    open_clean(browser, folder / "html" / "index.html")
    shots.mkdir(exist_ok=True)
    assert browser.screenshot(shots / "index.png").stat().st_size > 10_000
    table = 'document.querySelector(\'section[data-explorer="pairs"] table\')'
    first_column = f"""[...{table}.tBodies[0].rows]
                      .map((r) => parseFloat(r.cells[2].textContent))"""
    before = browser.evaluate(first_column)
    assert len(before) == 7 and len(set(before)) > 1
    browser.evaluate(f"{table}.tHead.rows[0].cells[2].click()")
    descending = browser.evaluate(first_column)
    assert descending == sorted(before, reverse=True)
    browser.evaluate(f"{table}.tHead.rows[0].cells[2].click()")
    assert browser.evaluate(first_column) == sorted(before)
    assert browser.evaluate("location.hash") == "#pairs.sort=a_share"
    # every matrix cell with a value has a hover title and a link to its pair page
    cells = browser.evaluate("""[...document.querySelectorAll("table.matrix:not(.groups) td[title]")]
        .map((td) => [td.title, td.querySelector("a") && td.querySelector("a").href])""")
    assert len(cells) == 2 * 7
    assert all(href and "/pairs/" in href for _, href in cells)
    assert all("% of " in title for title, _ in cells)


def test_pair_pages_highlight_the_alignments_in_number_and_text(browser, site):
    folder, texts, shots = site
    alignments = read_table(folder, "alignments")
    for (a_id, b_id), rows in alignments.groupby(["a_id", "b_id"]):
        page = folder / "html" / "pairs" / pair_page_name(a_id, b_id)
        open_clean(browser, page)
        spans = browser.evaluate(SPANS_JS)
        rows = rows.sort_values("a_start")
        assert len(spans["a"]) == len(spans["b"]) == len(rows)
        assert [spans["a"][str(k)] for k in range(len(rows))] == \
            [texts[a_id][r.a_start:r.a_end] for r in rows.itertuples()]
        assert [spans["b"][str(k)] for k in range(len(rows))] == \
            [texts[b_id][r.b_start:r.b_end] for r in rows.itertuples()]
    shots.mkdir(exist_ok=True)
    page = folder / "html" / "pairs" / pair_page_name("000_81ea45a633cdc37b.txt",
                                                       "001_1d9123d4398d72ce.txt")
    open_clean(browser, page)
    browser.screenshot(shots / "pair.png")


def test_clicking_a_passage_scrolls_its_counterpart_into_view(browser, site):
    folder, _, _ = site
    page = folder / "html" / "pairs" / pair_page_name("000_81ea45a633cdc37b.txt",
                                                       "001_1d9123d4398d72ce.txt")
    open_clean(browser, page)
    in_view = """(() => {
        const box = document.getElementById("text-b");
        const target = box.querySelector('[data-p~="0"]');
        const b = box.getBoundingClientRect(), t = target.getBoundingClientRect();
        return t.top >= b.top - 1 && t.top <= b.bottom && t.top >= 0 &&
            t.top <= window.innerHeight;
    })()"""
    browser.evaluate('document.getElementById("text-b").scrollTop = 0')
    browser.evaluate("window.scrollTo(0, 0)")
    assert browser.evaluate(in_view) is False  # the passage starts far down in B
    browser.evaluate("""document.querySelector('#text-a [data-p~="0"]').click()""")
    assert browser.evaluate(in_view) is True
    assert browser.evaluate("document.querySelectorAll('#text-b .flash').length") > 0
    assert browser.problems() == []


def test_hostile_document_is_shown_as_text_and_runs_nothing(browser, site):
    folder, texts, shots = site
    page = folder / "html" / "pairs" / pair_page_name("000_81ea45a633cdc37b.txt", XSS_ID)
    open_clean(browser, page)
    shots.mkdir(exist_ok=True)
    browser.screenshot(shots / "xss.png")
    assert browser.evaluate("document.querySelectorAll('img').length") == 0
    # our two scripts, and the passages as data (which the browser does not run)
    scripts = browser.evaluate("""[...document.querySelectorAll('script')].map((s) =>
        [s.type, s.textContent])""")
    assert sorted(t for t, _ in scripts) == ["", "", "application/json"]
    assert {body for t, body in scripts if not t} == {asset("csv.js"), asset("pair.js")}
    assert XSS_ID in browser.evaluate("document.querySelector('h1').textContent")
    shown = browser.evaluate("document.getElementById('text-b').textContent")
    assert shown == texts[XSS_ID]
    assert shown.startswith(XSS_PREFIX)
    assert "<b>blog</b>" in browser.evaluate("document.querySelector('.pairhead').textContent")
    for other in ("index.html", "lists/pairs-1.html", "passages/0.html"):
        open_clean(browser, folder / "html" / other)
        assert browser.evaluate("document.querySelectorAll('img').length") == 0


def test_the_csp_check_catches_a_script_that_is_not_ours(browser, tmp_path):
    # The detector the other tests rely on: a script missing from the policy is blocked and
    # reported, so "no problems" above means our own scripts ran under the policy.
    ours, foreign = "document.title = 'ours';", "document.title = 'foreign';"
    page = tmp_path / "csp.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="'
        + content_security_policy([ours]).replace("'", "&#39;") + '"><title>t</title></head>'
        f"<body><script>{ours}</script><script>{foreign}</script></body></html>",
        encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.evaluate("document.title") == "ours"
    assert any("Content Security Policy" in p for p in browser.problems())


LAYOUT_JS = """
((selector, needle) => {
  const walker = document.createTreeWalker(document.querySelector(selector),
                                           NodeFilter.SHOW_TEXT);
  let node, at = -1;
  while ((node = walker.nextNode()) && (at = node.data.indexOf(needle)) < 0) {}
  if (at < 0) { return null; }
  const lefts = [];
  for (let k = at; k < at + needle.length; k++) {
    const range = document.createRange();
    range.setStart(node, k);
    range.setEnd(node, k + 1);
    lefts.push(range.getBoundingClientRect().left);
  }
  return lefts;
})
"""


def laid_out_left_to_right(browser: Browser, selector: str, needle: str) -> bool:
    """Each character of ``needle`` (inside ``selector``) right of the one before it."""
    lefts = browser.evaluate(f"{LAYOUT_JS}({json.dumps(selector)}, {json.dumps(needle)})")
    assert lefts is not None and len(lefts) == len(needle), (selector, needle)
    return all(x < y for x, y in itertools.pairwise(lefts))


def test_a_right_to_left_override_in_one_id_does_not_reverse_the_text_after_it(browser,
                                                                                 tmp_path):
    shared = " ".join(["the council met on tuesday to discuss the budget for next year"] * 4)
    stray = "stray\u2069\u202eout.txt"  # a PDI that closes no isolate of its own, then RLO
    records = [{"id": stray, "text": f"Two. {shared} End two.", "date": "2020-01-01"},
               {"id": "\u202eevil.txt", "text": f"One. {shared} End one.", "date": "2021-01-01"},
               {"id": "plain-b.txt", "text": f"Three. {shared} End three.", "date": "2022-01-01"}]
    source = tmp_path / "bidi.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder)
    for evil in (stray, "\u202eevil.txt"):
        open_clean(browser, folder / "html" / "pairs" / pair_page_name(evil, "plain-b.txt"))
        assert laid_out_left_to_right(browser, "h1", "plain-b.txt")
    # the sentence after the likely source's id reads left to right
    open_clean(browser, folder / "html" / "passages" / "0.html")
    assert browser.evaluate("document.querySelector('.flag.source + bdi').textContent") \
        .endswith(stray)
    assert laid_out_left_to_right(browser, "main p", "the earliest dated occurrence")


def test_a_pair_page_of_large_documents_opens_and_jumps_between_its_passages(browser, tmp_path):
    records = large_pair(1_500_000)
    source = tmp_path / "large.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder)
    texts = {r["id"]: r["text"] for r in records}
    alignments = read_table(folder, "alignments").sort_values("a_start").reset_index(drop=True)
    open_clean(browser, folder / "html" / "pairs" / pair_page_name("big-a", "big-b"))
    assert browser.evaluate("document.querySelectorAll('#text-a .gap').length") > 250
    # every passage's first characters are on the page, where its span begins
    firsts = browser.evaluate("""[...document.querySelectorAll('#text-b [data-p]')]
        .reduce((o, el) => { const k = el.getAttribute("data-p").split(" ")[0];
                             if (!(k in o)) { o[k] = el.textContent; } return o; }, {})""")
    assert len(firsts) == len(alignments)
    for k, row in alignments.iterrows():
        assert texts["big-b"][row.b_start:].startswith(firsts[str(k)])
    # clicking passage k in A, or the marker of its middle, brings k into view in B
    in_view = """((k) => {
        const box = document.getElementById("text-b");
        const target = box.querySelector('[data-p~="' + k + '"]');
        const b = box.getBoundingClientRect(), t = target.getBoundingClientRect();
        return t.top >= b.top - 1 && t.bottom <= b.bottom + 1;
    })"""
    n = len(alignments)
    for k, selector in ((n // 2, f'#text-a [data-p~="{n // 2}"]'),
                        (n - 2, f'#text-a .gap[data-in~="{n - 2}"]')):
        browser.evaluate('document.getElementById("text-b").scrollTop = 0')
        assert browser.evaluate(f"{in_view}({k})") is False
        browser.evaluate(f"document.querySelector('{selector}').click()")
        assert browser.evaluate(f"{in_view}({k})") is True
    gap = browser.evaluate("""(() => { const g = document.querySelector('#text-a .gap');
        g.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
        return [g.title, g.getAttribute("data-start"), g.getAttribute("data-end")]; })()""")
    assert gap[0] == f"characters [{int(gap[1]):,}, {int(gap[2]):,}) are not shown"
    assert browser.problems() == []
