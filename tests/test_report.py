from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixture import XSS_ID, build_run_folder, sample_jsonl

from reuse import pipeline
from reuse.errors import ConfigError, RunFolderError
from reuse.report import highlight
from reuse.report.highlight import Mark, SideMarks, render_text
from reuse.report.html import pair_page_name, render_report, slug
from reuse.runfolder.tables import read_manifest, read_table

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def sample(tmp_path_factory, request):
    base = tmp_path_factory.mktemp("report")
    seeds = Path(request.config.rootpath) / "seeds"
    source = sample_jsonl(seeds, base / "sample.jsonl")
    folder = build_run_folder(source, base / "run")
    index = render_report(folder, group_by="source")
    return folder, index, source


class SideSpans(HTMLParser):
    """Text of each passage (data-p) per side of a pair page, and the difference marks."""

    def __init__(self) -> None:
        super().__init__()
        self.side: str | None = None
        self.depth = 0
        self.stack: list[tuple[list[str], str]] = []
        self.spans: dict[str, dict[int, str]] = {"a": {}, "b": {}}
        self.marks: dict[str, list[tuple[str, str]]] = {"a": [], "b": []}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "text" in (attrs.get("class") or "").split():
            self.side, self.depth = attrs["data-side"], 0
        if self.side is None:
            return
        self.depth += tag == "div"
        ks = attrs.get("data-p", "")
        self.stack.append(([int(k) for k in ks.split()], attrs.get("class") or ""))

    def handle_endtag(self, tag):
        if self.side is None:
            return
        self.stack.pop()
        if tag == "div":
            self.depth -= 1
            if self.depth == 0:
                self.side = None

    def handle_data(self, data):
        if self.side is None or not self.stack:
            return
        ks, css = self.stack[-1]
        for k in ks:
            self.spans[self.side][k] = self.spans[self.side].get(k, "") + data
        for kind in ("sub", "del", "ins", "pun"):
            if kind in css.split():
                self.marks[self.side].append((kind, data))


def parse_pair_page(path: Path) -> SideSpans:
    parser = SideSpans()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def texts_of(source: Path) -> dict[str, str]:
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r["text"] for r in records}


def test_report_writes_matrix_heatmap_pair_table_and_site(sample):
    folder, index, _ = sample
    assert index == folder / "html" / "index.html"
    for name in ("matrix.csv", "heatmap.png", "group_matrix.csv", "group_heatmap.png"):
        assert (folder / name).stat().st_size > 0, name
    assert (folder / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = read_manifest(folder)
    assert manifest["tables"]["pair_reuse"] == "pair_reuse.parquet"
    assert manifest["report"]["index"] == "html/index.html"
    assert manifest["report"]["group_by"] == "source"
    pairs = read_table(folder, "pair_reuse")
    assert manifest["report"]["pair_pages"] == len(pairs) == 7
    assert len(list((folder / "html" / "pairs").glob("*.html"))) == 7
    assert len(list((folder / "html" / "passages").glob("*.html"))) == 3


def test_matrix_csv_is_labelled_and_agrees_with_the_pair_table(sample):
    folder, _, _ = sample
    matrix = pd.read_csv(folder / "matrix.csv", index_col="doc_id")
    documents = read_table(folder, "documents")
    assert list(matrix.index) == list(matrix.columns) == documents["doc_id"].tolist()
    pairs = read_table(folder, "pair_reuse")
    for row in pairs.itertuples():
        assert matrix.loc[row.a_id, row.b_id] == pytest.approx(row.a_share, abs=1e-6)
        assert matrix.loc[row.b_id, row.a_id] == pytest.approx(row.b_share, abs=1e-6)
    assert matrix.isna().to_numpy().diagonal().all()
    # The seeds share one background paragraph: 000 and 001 reuse ~44% / ~41% of each other.
    assert matrix.loc["000_81ea45a633cdc37b.txt", "001_1d9123d4398d72ce.txt"] == \
        pytest.approx(1407 / 3196, abs=1e-6)
    assert matrix.loc["004_acef7f7aebaea87e.txt"].fillna(0).sum() == 0.0


def test_group_matrix_aggregates_by_source(sample):
    folder, _, _ = sample
    groups = pd.read_csv(folder / "group_matrix.csv", index_col="doc_id")
    assert list(groups.index) == ["<b>blog</b>", "daily", "weekly", "wire"]
    # the blog post (the XSS document) reuses 1188 of its 1254 characters from a wire article
    assert groups.loc["<b>blog</b>", "wire"] == pytest.approx(1188 / 1266, abs=1e-6)


def test_pair_page_highlights_exactly_the_aligned_spans(sample):
    folder, _, source = sample
    texts = texts_of(source)
    alignments = read_table(folder, "alignments")
    for (a_id, b_id), rows in alignments.groupby(["a_id", "b_id"]):
        page = folder / "html" / "pairs" / pair_page_name(a_id, b_id)
        parsed = parse_pair_page(page)
        rows = rows.sort_values("a_start")
        expected_a = [texts[a_id][r.a_start:r.a_end] for r in rows.itertuples()]
        expected_b = [texts[b_id][r.b_start:r.b_end] for r in rows.itertuples()]
        assert [parsed.spans["a"][k] for k in sorted(parsed.spans["a"])] == expected_a
        assert [parsed.spans["b"][k] for k in sorted(parsed.spans["b"])] == expected_b


def test_word_and_punctuation_differences_are_marked(sample):
    folder, _, _ = sample
    page = folder / "html" / "pairs" / pair_page_name("000_81ea45a633cdc37b.txt",
                                                       "001_1d9123d4398d72ce.txt")
    parsed = parse_pair_page(page)
    assert ("sub", "at") in parsed.marks["a"]
    assert ("sub", "in") in parsed.marks["b"]
    # "(CST) -- Armenia" against "(CST) — Armenia": the raw text between the tokens differs
    assert ("pun", ") -- ") in parsed.marks["a"]
    assert ("pun", ") — ") in parsed.marks["b"]
    assert len(parsed.marks["a"]) == len(parsed.marks["b"]) == 2
    # a non-breaking space against a space is not a difference a reader cares about
    assert not any("\xa0" in text for _, text in parsed.marks["a"])


def test_every_page_escapes_ids_text_and_metadata(sample):
    folder, _, _ = sample
    pages = list((folder / "html").rglob("*.html"))
    assert len(pages) == 1 + 7 + 3 + 4  # index, pairs, passages, lists
    xss_pages = 0
    for page in pages:
        body = page.read_text(encoding="utf-8")
        assert XSS_SCRIPT not in body, page
        assert "<img" not in body, page
        assert "<b>blog" not in body, page
        if "&lt;script&gt;alert(1)&lt;/script&gt;" in body:
            xss_pages += 1
    assert xss_pages >= 3  # index, its pair page, the passage page and the lists


def test_pages_are_self_contained_with_a_csp_that_allows_only_our_scripts(sample):
    folder, _, _ = sample
    for page in (folder / "html").rglob("*.html"):
        body = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", body), page
        assert "http://" not in body and "https://" not in body, page
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', body).group(1)
        assert csp.startswith("default-src 'none'; img-src 'self' data:; "
                              "style-src 'unsafe-inline'; script-src ")
        scripts = re.findall(r"<script>(.*?)</script>", body, flags=re.S)
        assert scripts, page
        for script in scripts:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"sha256-{digest}" in csp


def test_page_names_are_safe_and_unique_for_hostile_ids():
    long_a, long_b = "x" * 299 + "a", "x" * 299 + "b"
    names = {pair_page_name(a, b) for a, b in (
        ("../../x", "y"), ("..\\..\\x", "y"), ("a/b", "c"), ("a-b", "c"), (long_a, "y"),
        (long_b, "y"), (XSS_ID, "y"), ("", "y"),
    )}
    assert len(names) == 8
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,30}__[A-Za-z0-9_-]{1,30}-[0-9a-f]{16}\.html", name)
        assert len(name) < 100
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("") == "doc"


def test_matrix_above_the_cap_shows_the_most_reusing_documents_and_says_so(tmp_path, sample):
    _, _, source = sample
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder, max_matrix_docs=2, top_pairs=3)
    index = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert "The corpus has 6 documents; the matrix shows the 2 most reusing" in index
    grid = index.split('<table class="matrix" ')[1].split("</table>")[0]
    assert grid.count('<th class="row"') == 2
    assert "the 3 with the largest shares are listed here" in index


def test_a_list_longer_than_max_list_rows_is_split_into_parts(tmp_path, sample):
    _, _, source = sample
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder, max_list_rows=2)
    lists = sorted(p.name for p in (folder / "html" / "lists").glob("pairs-*.html"))
    assert lists == ["pairs-1.html", "pairs-2.html", "pairs-3.html", "pairs-4.html"]
    page = (folder / "html" / "lists" / "pairs-4.html").read_text(encoding="utf-8")
    assert "The list has 7 rows in 4 parts of at most 2; this is part 4 (rows 7–7)" in page
    assert '<a href="pairs-1.html">1</a>' in page
    data = embedded_tables(page)[0]
    assert (data["total"], data["first"], len(data["rows"])) == (7, 7, 1)
    # the index's documents table is bounded too, and says so
    index = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert "the 2 most reused of 6; the documents table of the run folder has all" in index
    assert len(embedded_tables(index)[0]["rows"]) == 2


def embedded_tables(page: str) -> list[dict]:
    """The JSON of every table of a page, in order."""
    return [json.loads(m) for m in re.findall(
        r'<script type="application/json">(.*?)</script>', page, flags=re.S)]


def test_near_duplicate_pair_without_alignments_gets_a_diff_page(tmp_path, seeds_dir):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    text = (seeds_dir / "000_81ea45a633cdc37b.txt").read_text(encoding="utf-8")
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    (corpus / "b.txt").write_text(text.replace("yesterday held", "on Monday held"),
                                  encoding="utf-8")
    result = pipeline.dedup(corpus, threshold=0.5)
    folder = pipeline.write_run(result, tmp_path / "run", source=corpus)
    render_report(folder)
    page = folder / "html" / "pairs" / pair_page_name("a.txt", "b.txt")
    body = page.read_text(encoding="utf-8")
    assert "near-duplicates (Jaccard" in body
    assert "word diff of the two documents" in body
    parsed = parse_pair_page(page)
    assert ("sub", "yesterday") in parsed.marks["a"] or ("del", "yesterday") in parsed.marks["a"]
    index = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert "1 clusters with more than one document" in index


def test_a_changed_input_is_refused(tmp_path, sample):
    _, _, source = sample
    copy = tmp_path / "sample.jsonl"
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    folder = build_run_folder(copy, tmp_path / "run")
    with copy.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "new", "text": "a late addition"}) + "\n")
    with pytest.raises(RunFolderError, match=r"the input .*sample\.jsonl changed since the run"):
        render_report(folder)


def test_an_incomplete_run_folder_is_refused(tmp_path):
    (tmp_path / "documents.parquet").write_bytes(b"")
    with pytest.raises(RunFolderError, match=r"incomplete run folder \(no manifest\.json\)"):
        render_report(tmp_path)


def test_bad_parameters_are_config_errors(sample):
    folder, _, _ = sample
    with pytest.raises(ConfigError, match=r"'group_by' field 'outlet' is not in any document's "
                                          r"metadata\. Fields present: date, source\."):
        render_report(folder, group_by="outlet")
    with pytest.raises(ConfigError, match=r"'max_matrix_docs' parameter of render_report must "
                                          r"be an int >= 2\. Got 0 instead\."):
        render_report(folder, max_matrix_docs=0)


def test_a_run_with_skipped_records_and_no_reuse_renders(tmp_path):
    source = tmp_path / "docs.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "one two three four five six seven eight nine ten"}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "b", "text": "alpha beta gamma delta epsilon zeta eta theta"}) + "\n"
        + json.dumps({"id": "c", "text": "red green blue cyan magenta yellow black white"}) + "\n",
        encoding="utf-8")
    result = pipeline.run(source, on_error="skip")
    folder = pipeline.write_run(result, tmp_path / "run", source=source, command="run")
    render_report(folder, max_matrix_docs=2)
    index = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert "No document reuses another." in index
    assert "docs.jsonl:2" in index  # the skipped record's origin
    assert read_table(folder, "pair_reuse").empty
    matrix = pd.read_csv(folder / "matrix.csv", index_col="doc_id")
    assert list(matrix.index) == ["a", "b", "c"]
    assert matrix.fillna(0).to_numpy().sum() == 0.0


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet='ab <>&"\'—\n', min_size=1, max_size=60), st.data())
def test_rendered_text_reads_back_as_the_text_and_each_passage_as_its_span(text, data):
    n = len(text)
    spans = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=4))
    marks = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=4))
    side = SideMarks(
        passages=[(k, min(s, e), max(s, e)) for k, (s, e) in enumerate(spans)],
        marks=[Mark(min(s, e), max(s, e), "sub", "x") for s, e in marks],
        points=[(s, "here") for s, _ in marks],
    )
    body = str(render_text(text, side))
    wrapped = f'<div class="text" data-side="a">{body}</div>'
    parser = SideSpans()
    parser.feed(wrapped)
    plain = re.sub(r"<[^>]+>", "", body)
    assert html.unescape(plain) == text
    for k, start, end in side.passages:
        assert parser.spans["a"].get(k, "") == text[start:end]


def test_a_very_long_text_shows_only_the_surroundings_of_its_passages(monkeypatch):
    monkeypatch.setattr(highlight, "LONG_TEXT_CHARS", 100)
    monkeypatch.setattr(highlight, "LONG_TEXT_CONTEXT", 10)
    text = "".join(chr(ord("a") + i % 26) for i in range(1000))
    body = str(render_text(text, SideMarks(passages=[(0, 500, 520)])))
    assert body.count("characters not shown") == 2
    assert "[… 490 characters not shown …]" in body
    assert "[… 470 characters not shown …]" in body
    assert f'<mark class="p c0" data-p="0">{text[500:520]}</mark>' in body


def test_group_matrix_above_the_cap_shows_the_most_reusing_groups(tmp_path, sample):
    _, _, source = sample
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder, group_by="date", max_matrix_docs=3)
    index = (folder / "html" / "index.html").read_text(encoding="utf-8")
    assert "There are 6 groups; the matrix shows the 3 most reusing." in index
    groups = pd.read_csv(folder / "group_matrix.csv", index_col="doc_id")
    assert len(groups) == 6
