"""The report's tables as data, its pictures and its matrix (issue 16), read from the pages.

The browser tests (tests/test_browser.py) drive the same pages in chromium; these check what the
pages hold without one.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixture import build_run_folder, sample_jsonl, words

from reuse.errors import ConfigError
from reuse.report.html import render_report, write_heatmap
from reuse.report.lists import SEARCH_CHARS, passage_text, script_json, share_text, snippet
from reuse.runfolder.tables import read_manifest

UNSAFE_IN_SCRIPT = re.compile("[<>&\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


@pytest.fixture(scope="module")
def sample(tmp_path_factory, request):
    base = tmp_path_factory.mktemp("explore")
    source = sample_jsonl(Path(request.config.rootpath) / "seeds", base / "sample.jsonl")
    folder = build_run_folder(source, base / "run")
    render_report(folder, group_by="source")
    return folder


def tables_of(page: Path) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'<script type="application/json">(.*?)</script>',
                                              page.read_text(encoding="utf-8"), flags=re.S)]


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12))
def test_json_in_a_script_element_cannot_end_it_or_reorder_text_and_reads_back(value):
    text = str(script_json(value))
    assert not UNSAFE_IN_SCRIPT.search(text)
    assert "</script" not in text.lower()
    assert json.loads(text) == value


def test_script_json_escapes_markup_and_line_separators():
    text = str(script_json({"id": '</script><img src=x onerror=alert(1)>\u2028\u202e&'}))
    assert text == ('{"id":"\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e'
                    '\\u2028\\u202e\\u0026"}')


def test_passage_texts_and_snippets_are_bounded_and_cut_at_words():
    rng = random.Random(3)
    text = words(rng, 5000)
    whole = passage_text(text, 0, 300)
    assert whole == " ".join(text[:300].split())
    long = passage_text(text, 10, 20_000)
    assert len(long) <= SEARCH_CHARS + 3 and " … " in long
    head, tail = long.split(" … ")
    assert " ".join(text[10:20_000].split()).startswith(head)
    assert " ".join(text[10:20_000].split()).endswith(tail)
    shown = snippet(long)
    assert len(shown) <= 240 and shown.startswith(head[:100]) and shown.endswith(tail[-40:])
    # cut between words, not inside one
    assert shown.split(" … ")[0] + " " in long and " " + shown.split(" … ")[1] in long
    assert passage_text("  a \n\n b  ", 0, 10) == "a b"


def test_shares_never_read_zero_or_whole_when_they_are_not():
    assert share_text(0.0) == "0.0%"
    assert share_text(0.0001) == "<0.1%"
    assert share_text(0.9999) == ">99.9%"
    assert share_text(1.0) == "100.0%"
    assert share_text(0.4321) == "43.2%"


def test_every_list_and_the_index_hold_their_tables_as_data(sample):
    html = sample / "html"
    index = tables_of(html / "index.html")
    assert [t["name"] for t in index] == ["docs", "pairs", "passages"]
    docs = index[0]
    assert len(docs["rows"]) == 6 and docs["showFields"]
    assert [(f["name"], f["type"]) for f in docs["fields"]] == [("date", "date"),
                                                                 ("source", "cat")]
    assert docs["fields"][1]["values"] == ["<b>blog</b>", "daily", "weekly", "wire"]
    alignments = tables_of(html / "lists" / "alignments-1.html")[0]
    assert len(alignments["rows"]) == 7
    keys = [c["key"] for c in alignments["columns"]]
    for row in alignments["rows"]:
        record = dict(zip(keys, row, strict=True))
        # a link to the pair page at the passage, and the passage's text on both sides
        assert alignments["strings"][record["page"]].startswith("pairs/")
        assert record["k"] == 0  # each pair of the sample has one passage
        assert alignments["strings"][record["a_text"]]
    pairs = tables_of(html / "lists" / "pairs-1.html")[0]
    assert pairs["total"] == len(pairs["rows"]) == 7


@pytest.fixture(scope="module")
def quoted(tmp_path_factory) -> Path:
    """A 60,000-character document quoting 40 words of a short one, by two desks."""
    base = tmp_path_factory.mktemp("quoted")
    rng = random.Random(8)
    quote = words(rng, 40)
    long = words(rng, 9000)  # about 60,000 characters
    records = [{"id": "long.txt", "text": f"{long[:30000]} {quote} {long[30000:]}", "desk": "a"},
               {"id": "short.txt", "text": f"{words(rng, 30)} {quote} {words(rng, 30)}",
                "desk": "b"}]
    source = base / "quote.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    folder = build_run_folder(source, base / "run")
    render_report(folder, group_by="desk")
    return folder / "html" / "index.html"


def test_the_group_matrix_comes_first(quoted):
    page = quoted.read_text(encoding="utf-8")
    assert page.index("<h2>Reuse by <bdi>desk</bdi></h2>") < page.index("<h2>Reuse matrix</h2>")


def test_matrix_cells_never_show_zero_for_a_share_above_zero(quoted):
    page = quoted.read_text(encoding="utf-8")
    grid = page.split('<table class="matrix" ')[1].split("</table>")[0]
    values = re.findall(r'<td class="h\d" title="[^"]*"><a href="[^"]*">([^<]*)</a></td>', grid)
    assert sorted(values) == ["&lt;1", "40"]  # the long text's share in the short one is 0.4%
    assert "0.4% of" in grid


def test_the_heatmap_is_labelled_at_100_documents_and_says_why_not_above_its_limit(tmp_path):
    rng = np.random.default_rng(1)
    for n, labelled in ((100, True), (260, False)):
        ids = [f"document-{k:04d}.txt" for k in range(n)]
        matrix = pd.DataFrame(rng.random((n, n)) * (rng.random((n, n)) < 0.05), index=ids,
                              columns=ids)
        note = write_heatmap(matrix, tmp_path / f"{n}.png", "Reuse between documents")
        assert (note is None) == labelled
        if labelled:
            from PIL import Image

            with Image.open(tmp_path / f"{n}.png") as image:
                # 7-point labels on rows of at least 12 pixels
                assert image.height >= 100 * 12
    assert note == ("no labels: 260 documents are too many to label legibly (at most 250); "
                    "matrix.csv has the labelled values")


def test_the_index_says_so_when_the_heatmap_has_no_labels(tmp_path, sample, monkeypatch):
    from reuse.report import html as report_html

    monkeypatch.setattr(report_html, "HEATMAP_LABELS", 3)
    source = sample.parent / "sample.jsonl"
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder)
    page = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert "heatmap.png</a> (no labels: 6 documents are too many to label legibly" in page
    assert read_manifest(folder)["report"]["heatmap_labels"] is False


def test_dates_come_from_the_date_field_and_give_a_timeline(tmp_path, sample):
    source = sample.parent / "sample.jsonl"
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    for k, record in enumerate(records):
        record["published"] = f"{2010 + k}-03-01"
        del record["date"]
    moved = tmp_path / "published.jsonl"
    moved.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    folder = build_run_folder(moved, tmp_path / "run")
    render_report(folder)
    page = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert 'class="chart timeline"' not in page  # no "date" field: no timeline
    render_report(folder, date_field="published")
    page = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert 'class="chart timeline"' in page
    assert read_manifest(folder)["report"]["date_field"] == "published"
    docs = tables_of(folder / "html" / "index.html")[0]
    assert docs["fields"][0] == {"name": "published", "type": "date"}


def test_max_list_rows_must_be_a_positive_int(sample):
    with pytest.raises(ConfigError, match=r"The 'max_list_rows' parameter of render_report must "
                                          r"be an int >= 1\. Got 0 instead\."):
        render_report(sample, max_list_rows=0)
