"""The HTML report in a real headless chromium, driven over the DevTools protocol.

Skips with the reason when no chromium is installed (Debian: ``apt-get install chromium``; or
point ``REUSE_CHROMIUM`` at a Chrome/Chromium binary). Screenshots go to pytest's tmp folder.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from cdp import Browser, find_chromium
from report_fixture import (
    XSS_ID,
    XSS_PREFIX,
    build_run_folder,
    chain_corpus,
    large_pair,
    multi_passage_pair,
    sample_jsonl,
)

from reuse.report import html as report_html
from reuse.report.html import content_security_policy, pair_page_name, render_report
from reuse.runfolder.tables import read_table

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
    return report_html.asset_text(name)


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
    assert gap[0] == (f"characters [{int(gap[1]):,}, {int(gap[2]):,}) are not shown; click "
                      "to show them")
    assert browser.problems() == []


# --- issue 16: find, filter, download, pictures, and the first passage -----------------------


def rows_of(browser: Browser, name: str, column: int | None = None) -> list:
    """The rows an explorer table shows: each row's cell texts, or one column's."""
    cells = browser.evaluate(f"""[...document.querySelector(
        'section[data-explorer="{name}"] table').tBodies[0].rows].map((r) =>
        [...r.cells].map((c) => c.textContent))""")
    return cells if column is None else [r[column] for r in cells]


def type_into(browser: Browser, name: str, param: str, value: str) -> None:
    """Set a control of an explorer as a reader would, one input or change event."""
    browser.evaluate(f"""(() => {{
        const input = document.querySelector(
            'section[data-explorer="{name}"] [data-param="{param}"]');
        input.value = {json.dumps(value)};
        input.dispatchEvent(new Event(input.tagName === "SELECT" ? "change" : "input"));
    }})()""")


def reused_shares(folder: Path, texts: dict[str, str]) -> dict[str, float]:
    """Each document's share of characters inside some alignment, counted position by
    position (a reference for the report's vectorized union)."""
    covered: dict[str, set[int]] = {doc: set() for doc in texts}
    for row in read_table(folder, "alignments").itertuples():
        covered[row.a_id].update(range(row.a_start, row.a_end))
        covered[row.b_id].update(range(row.b_start, row.b_end))
    return {doc: len(covered[doc]) / len(texts[doc]) for doc in texts}


def test_the_documents_table_searches_and_filters_as_one_types_and_keeps_the_view_in_the_url(
        browser, site):
    folder, texts, _ = site
    index = folder / "html" / "index.html"
    open_clean(browser, index)
    meta = {json.loads(line)["id"]: json.loads(line) for line in
            (folder.parent / "sample.jsonl").read_text(encoding="utf-8").splitlines()}
    assert len(rows_of(browser, "docs")) == 6
    type_into(browser, "docs", "q", "003")
    assert rows_of(browser, "docs", 0) == ["003_ad6eff3e562ac92b.txt"]
    assert browser.evaluate("location.hash") == "#docs.q=003"
    type_into(browser, "docs", "q", "")
    type_into(browser, "docs", "m.source", "daily")
    daily = sorted(d for d, r in meta.items() if r["source"] == "daily")
    assert sorted(rows_of(browser, "docs", 0)) == daily
    type_into(browser, "docs", "m.date.from", "2021-08-22")
    assert rows_of(browser, "docs", 0) == [d for d in daily if meta[d]["date"] >= "2021-08-22"]
    type_into(browser, "docs", "m.source", "")
    type_into(browser, "docs", "m.date.from", "")
    shares = reused_shares(folder, texts)
    type_into(browser, "docs", "share.min", "45")
    assert sorted(rows_of(browser, "docs", 0)) == sorted(d for d, s in shares.items()
                                                         if s >= 0.45)
    type_into(browser, "docs", "share.max", "<90")
    expected = sorted(d for d, s in shares.items() if 0.45 <= s < 0.9)
    assert len(expected) >= 2 and sorted(rows_of(browser, "docs", 0)) == expected
    # the filtered view is an address: opened anew, it shows the same rows and controls
    url = browser.evaluate("location.href")
    assert url.endswith("#docs.share.min=45&docs.share.max=%3C90")
    browser.open("about:blank")
    browser.open(index.resolve().as_uri())
    assert len(rows_of(browser, "docs")) == 6
    browser.open("about:blank")
    browser.open(url)
    assert sorted(rows_of(browser, "docs", 0)) == expected
    assert browser.evaluate("""document.querySelector(
        'section[data-explorer="docs"] [data-param="share.min"]').value""") == "45"
    assert browser.problems() == []


def download(browser: Browser, target: Path, click: str) -> str:
    """Click what ``click`` selects and return the text of the file the browser saves."""
    target.mkdir(parents=True, exist_ok=True)
    browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(target),
                 eventsEnabled=True)
    browser.events = []
    browser.evaluate(f"document.querySelector({json.dumps(click)}).click()")
    for _ in range(50):
        browser.settle(0.1)
        done = [e for e in browser.events if e["method"] == "Browser.downloadProgress"
                and e["params"]["state"] == "completed"]
        if done:
            files = list(target.iterdir())
            assert len(files) == 1
            data = files[0].read_bytes()
            files[0].unlink()
            assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so that spreadsheets read UTF-8
            return data[3:].decode("utf-8")
    raise AssertionError("no download completed")


def test_a_filtered_table_downloads_as_csv(browser, site, tmp_path):
    folder, _, _ = site
    open_clean(browser, folder / "html" / "index.html")
    type_into(browser, "docs", "m.source", "<b>blog</b>")
    text = download(browser, tmp_path / "dl", 'section[data-explorer="docs"] button.csv')
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["doc_id", "date", "source", "n_chars"]
    assert rows[1][:3] == [XSS_ID, "2021-09-01", "<b>blog</b>"]
    assert len(rows) == 2
    # the pair page's passages, with their offsets
    open_clean(browser, folder / "html" / "pairs" / pair_page_name(
        "000_81ea45a633cdc37b.txt", "001_1d9123d4398d72ce.txt"))
    rows = list(csv.DictReader(io.StringIO(download(browser, tmp_path / "dl", "button.csv"))))
    alignments = read_table(folder, "alignments")
    mine = alignments[(alignments.a_id == "000_81ea45a633cdc37b.txt")
                      & (alignments.b_id == "001_1d9123d4398d72ce.txt")]
    assert [(int(r["a_start"]), int(r["a_end"]), int(r["b_start"]), int(r["b_end"]))
            for r in rows] == [(r.a_start, r.a_end, r.b_start, r.b_end) for r in
                               mine.sort_values("a_start").itertuples()]
    assert browser.problems() == []
    # a passage cluster's occurrences
    open_clean(browser, folder / "html" / "passages" / "0.html")
    rows = list(csv.DictReader(io.StringIO(download(browser, tmp_path / "dl", "button.csv"))))
    passages = read_table(folder, "passages")
    assert sorted((r["doc_id"], int(r["start"]), int(r["end"])) for r in rows) == sorted(
        (p.doc_id, p.start, p.end) for p in passages[passages.passage_id == 0].itertuples())
    assert list(rows[0]) == ["passage_id", "doc_id", "start", "end", "date", "is_source"]
    assert {r["passage_id"] for r in rows} == {"0"}
    assert browser.problems() == []


@pytest.fixture(scope="module")
def multi_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("multi")
    records = multi_passage_pair()
    source = base / "multi.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    folder = build_run_folder(source, base / "run")
    render_report(folder)
    return folder, {r["id"]: r["text"] for r in records}


def in_box(browser: Browser, side: str, k: int) -> bool:
    """Whether passage k's first run is inside the visible part of its text box, and the box
    inside the window."""
    return browser.evaluate(f"""(() => {{
        const box = document.getElementById("text-{side}");
        const target = box.querySelector('[data-p~="{k}"]');
        const b = box.getBoundingClientRect(), t = target.getBoundingClientRect();
        return t.top >= b.top - 1 && t.bottom <= b.bottom + 1 && b.top < window.innerHeight;
    }})()""")


def test_a_pair_page_opens_at_its_first_passage(browser, site, multi_site):
    folder, _, _ = site
    open_clean(browser, folder / "html" / "pairs" / pair_page_name(
        "000_81ea45a633cdc37b.txt", "001_1d9123d4398d72ce.txt"))
    # without a click: the passage starts far down in B, and both texts open at it
    assert in_box(browser, "a", 0) and in_box(browser, "b", 0)
    assert browser.evaluate("document.getElementById('text-b').scrollTop") > 100
    assert browser.evaluate("window.scrollY") == 0  # the page's head stays in view
    folder, _ = multi_site
    open_clean(browser, folder / "html" / "pairs" / pair_page_name("left.txt", "right.txt"))
    assert in_box(browser, "a", 0) and in_box(browser, "b", 0)
    assert not in_box(browser, "a", 2)


def test_the_passage_pair_list_searches_the_texts_and_links_to_the_pair_page_at_the_passage(
        browser, multi_site, tmp_path):
    folder, texts = multi_site
    page = folder / "html" / "lists" / "alignments-1.html"
    open_clean(browser, page)
    alignments = read_table(folder, "alignments").sort_values("a_start").reset_index(drop=True)
    assert len(alignments) == 3
    shown = rows_of(browser, "alignments")
    assert [r[0] for r in shown] == ["left.txt"] * 3 and [r[2] for r in shown] == ["right.txt"] * 3
    for row, a in zip(shown, alignments.itertuples(), strict=True):
        # a snippet from each side: the passage's beginning and end
        a_text = " ".join(texts["left.txt"][a.a_start:a.a_end].split())
        b_text = " ".join(texts["right.txt"][a.b_start:a.b_end].split())
        for snippet, text in ((row[1], a_text), (row[3], b_text)):
            head, tail = snippet.split(" … ")
            assert text.startswith(head) and text.endswith(tail)
    links = browser.evaluate("""[...document.querySelectorAll(
        'section[data-explorer="alignments"] tbody tr td:first-child a')].map((a) => a.href)""")
    assert [link.rsplit("#", 1)[1] for link in links] == ["p0", "p1", "p2"]
    # full-text search in the passages: only the third has "changed", in the middle of B,
    # which the snippet does not show: the row shows where the search found it
    type_into(browser, "alignments", "q", "CHANGED")
    assert len(rows_of(browser, "alignments")) == 1
    hit = browser.evaluate("""document.querySelector(
        'section[data-explorer="alignments"] tbody td.snip:nth-of-type(4) .hit mark')""")
    assert hit is not None
    assert browser.evaluate("""document.querySelectorAll(
        'section[data-explorer="alignments"] tbody .hit mark')[0].textContent""") == "changed"
    type_into(browser, "alignments", "q", "")
    type_into(browser, "alignments", "similarity.max", "<1")
    assert len(rows_of(browser, "alignments")) == 1
    # the list's CSV has the offsets, and a formula in a metadata value is not run
    rows = list(csv.DictReader(io.StringIO(download(browser, tmp_path / "dl",
                                                    'section[data-explorer] button.csv'))))
    assert [(int(r["a_start"]), int(r["b_end"])) for r in rows] == [
        (alignments.a_start[2], alignments.b_end[2])]
    assert rows[0]["b_id.source"] == "'=1+1"
    # following the link opens the pair page at that passage, in both texts
    browser.open(links[2])
    assert browser.problems() == []
    assert in_box(browser, "a", 2) and in_box(browser, "b", 2)
    assert browser.evaluate("document.querySelectorAll('.flash').length") > 0
    assert browser.evaluate("location.hash") == "#p2"


def test_histogram_bars_count_their_rows_and_open_them(browser, site):
    folder, texts, _ = site
    index = folder / "html" / "index.html"
    open_clean(browser, index)
    bars = browser.evaluate("""[...document.querySelectorAll('svg.shares rect.bar')].map((r) =>
        [Number(r.dataset.count), r.closest('a') && r.closest('a').getAttribute('href')])""")
    shares = [s for s in reused_shares(folder, texts).values() if s > 0]
    assert len(bars) == 20 and sum(count for count, _ in bars) == len(shares)
    for k, (count, href) in enumerate(bars):
        assert count == sum(1 for s in shares if k / 20 <= s < (k + 1) / 20 or (k == 19
                                                                               and s == 1))
        assert (href is None) == (count == 0)
    for count, href in bars:
        if href:
            browser.evaluate(f"""document.querySelector('svg.shares a[href="{href}"]')
                .dispatchEvent(new MouseEvent("click", {{bubbles: true}}))""")
            browser.settle(0.2)
            assert len(rows_of(browser, "docs")) == count
    similarity = browser.evaluate("""[...document.querySelectorAll('svg.similarity rect.bar')]
        .map((r) => Number(r.dataset.count))""")
    assert sum(similarity) == len(read_table(folder, "pair_reuse"))
    link = browser.evaluate("""new URL(document.querySelector('svg.similarity a')
        .getAttribute('href'), location.href).href""")
    browser.open(link)
    assert len(rows_of(browser, "pairs")) == max(similarity)
    assert browser.problems() == []


def test_a_matrix_of_120_documents_fits_the_screen_with_its_labels_in_view(browser,
                                                                            tmp_path):
    records = chain_corpus(120)
    source = tmp_path / "chain.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder, max_matrix_docs=120)
    open_clean(browser, folder / "html" / "index.html")
    box = """(() => { const w = document.querySelector(".matrix-wrap:last-of-type");
        return [w.scrollWidth, w.clientWidth, w.getBoundingClientRect().right,
                window.innerWidth]; })()"""
    wrap = "document.querySelectorAll('.matrix-wrap')[document.querySelectorAll('.matrix-wrap').length - 1]"
    scroll_width, client_width, right, window_width = browser.evaluate(box.replace(
        'document.querySelector(".matrix-wrap:last-of-type")', wrap))
    assert scroll_width <= client_width and right <= window_width
    assert browser.evaluate(f"{wrap}.querySelectorAll('th.row').length") == 120
    # scrolled down inside its box, the column labels stay at the top
    browser.evaluate(f"{wrap}.scrollTop = 600")
    assert browser.evaluate(f"""{wrap}.querySelector('th.col').getBoundingClientRect().top -
        {wrap}.getBoundingClientRect().top""") <= 2
    # a timeline of first appearances: every dated passage cluster in one bar, which lists it
    counts = browser.evaluate("""[...document.querySelectorAll('svg.timeline rect.bar')]
        .map((r) => Number(r.dataset.count))""")
    assert sum(counts) == len(read_table(folder, "passages")["passage_id"].unique())
    labels = browser.evaluate("""[...document.querySelectorAll('svg.timeline rect.bar')]
        .map((r) => r.dataset.lo)""")
    assert labels == [str(year) for year in range(2000, 2010)]  # ten years: a bar a year
    link = browser.evaluate("""new URL(document.querySelector('svg.timeline a')
        .getAttribute('href'), location.href).href""")
    browser.open(link)
    assert len(rows_of(browser, "passages")) == counts[0] > 0
    # 120 documents: pages of 50 rows and a pager
    browser.open((folder / "html" / "index.html").resolve().as_uri())
    assert len(rows_of(browser, "docs")) == 50
    pager = """[...document.querySelectorAll('section[data-explorer="docs"] .pager button')]"""
    browser.evaluate(f"""{pager}.find((b) => b.textContent === "›").click()""")
    assert len(rows_of(browser, "docs")) == 50
    browser.evaluate(f"""{pager}.find((b) => b.textContent === "»").click()""")
    assert len(rows_of(browser, "docs")) == 20
    assert browser.evaluate("location.hash") == "#docs.page=3"
    assert browser.problems() == []
