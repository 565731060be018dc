"""The report on hostile data (issue 11): ids that look like markup to matplotlib or reverse the
text around them, documents too long for one page, and a report swapped in over an old one."""

from __future__ import annotations

import json
import os
import random
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import matplotlib.figure
import matplotlib.text
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixture import build_run_folder, large_pair

from reuse import pipeline
from reuse.cli.commands import main
from reuse.report import highlight
from reuse.report.highlight import Mark, SideMarks, render_side, render_text
from reuse.report.html import pair_page_name, render_report
from reuse.runfolder.tables import read_table

WORDS = ("the council met on tuesday to discuss the budget for next year and agreed that "
         "the new library should open in spring after the roof is repaired by local builders")


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _shared_corpus(ids: list[str], sources: list[str]) -> list[dict]:
    """Documents that all share one long paragraph, so every pair has an alignment."""
    shared = " ".join([WORDS] * 3)
    return [{"id": doc, "text": f"Opening number {k} of this file. {shared} Closing {k}.",
             "source": source} for k, (doc, source) in enumerate(zip(ids, sources, strict=True))]


# --- item 7: ids are data, never mathtext --------------------------------------------------

MATH_IDS = ["$\\foo$", "$x^2$", "\\$", "_{}", "a$b$c", "$$"]
MATH_SOURCES = ["$\\alpha$", "$\\alpha$", "plain", "^{}$", "plain", "$\\alpha$"]


def test_ids_and_group_values_that_look_like_mathtext_do_not_break_the_report(tmp_path):
    source = _write_jsonl(tmp_path / "math.jsonl", _shared_corpus(MATH_IDS, MATH_SOURCES))
    out = tmp_path / "run"
    result = _invoke("run", str(source), "--out", str(out), "--group-by", "source")
    assert result.exit_code == 0, result.output
    for name in ("heatmap.png", "group_heatmap.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob(".*.tmp-*"))


def test_heatmap_labels_and_titles_are_drawn_verbatim(tmp_path, monkeypatch):
    source = _write_jsonl(tmp_path / "math.jsonl", _shared_corpus(MATH_IDS, MATH_SOURCES))
    folder = build_run_folder(source, tmp_path / "run")
    figures: list[matplotlib.figure.Figure] = []
    savefig = matplotlib.figure.Figure.savefig

    def keep(self, *args, **kwargs):
        figures.append(self)
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    render_report(folder, group_by="source")
    assert len(figures) == 2
    drawn = {}
    for figure in figures:
        for text in figure.findobj(matplotlib.text.Text):
            if text.get_text():
                drawn[text.get_text()] = text
    # every id and group value is a tick label, shown as written (no mathtext, no TeX)
    for label in [*MATH_IDS, *set(MATH_SOURCES)]:
        assert label in drawn, label
    for text in drawn.values():
        assert text.get_parse_math() is False, text.get_text()
        assert not text.get_usetex(), text.get_text()


def test_a_group_by_field_named_like_mathtext_titles_the_group_heatmap(tmp_path):
    records = _shared_corpus(["a", "b", "c"], ["x", "y", "x"])
    for record in records:
        record["$\\bad$"] = record.pop("source")
    source = _write_jsonl(tmp_path / "field.jsonl", records)
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder, group_by="$\\bad$")
    assert (folder / "group_heatmap.png").stat().st_size > 0


def test_control_characters_in_ids_are_drawn_as_escapes_without_a_warning(tmp_path,
                                                                         monkeypatch):
    # a missing-glyph warning would print the id's escape sequence on the user's terminal
    ids = ["ctl\x01\x1b[31m.txt", "\u202eevil\u200f.txt", "plain.txt"]
    source = _write_jsonl(tmp_path / "ctl.jsonl", _shared_corpus(ids, ["x", "y", "x"]))
    folder = build_run_folder(source, tmp_path / "run")
    figures: list[matplotlib.figure.Figure] = []
    savefig = matplotlib.figure.Figure.savefig

    def keep(self, *args, **kwargs):
        figures.append(self)
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_report(folder)
    assert [str(w.message) for w in caught] == []
    labels = {t.get_text() for t in figures[0].findobj(matplotlib.text.Text)}
    assert {"ctl\\x01\\x1b[31m.txt", "\\u202eevil\\u200f.txt", "plain.txt"} <= labels


# --- item 6, the report's part: the swap leaves nothing of its own behind --------------------


@pytest.fixture
def small_run(tmp_path: Path) -> Path:
    source = _write_jsonl(tmp_path / "small.jsonl",
                          _shared_corpus(["a.txt", "b.txt", "c.txt"], ["x", "y", "x"]))
    return build_run_folder(source, tmp_path / "run")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if re.match(r"\.html\.(tmp|old)-", p.name)
                  or ".tmp-" in p.name)


def test_an_old_report_folder_left_by_a_process_with_our_pid_is_replaced(small_run):
    # pids repeat (containers start every run with the same few pids): what an earlier,
    # killed process left under our names must not stop the swap
    render_report(small_run)
    for name in (f".html.old-{os.getpid()}", f".html.tmp-{os.getpid()}"):
        (small_run / name / "pairs").mkdir(parents=True)
        (small_run / name / "pairs" / "stale.html").write_text("stale", encoding="utf-8")
    render_report(small_run)
    assert _leftovers(small_run) == []
    assert not (small_run / "html" / "pairs" / "stale.html").exists()


def test_a_report_folder_that_is_a_symlink_is_swapped_without_following_it(small_run, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("user file", encoding="utf-8")
    (small_run / "html").symlink_to(elsewhere, target_is_directory=True)
    render_report(small_run)
    assert _leftovers(small_run) == []
    assert (elsewhere / "keep.txt").read_text(encoding="utf-8") == "user file"
    assert not (small_run / "html").is_symlink()
    assert (small_run / "html" / "index.html").is_file()


def test_an_interrupt_during_the_swap_leaves_no_old_or_staging_folder(small_run, monkeypatch):
    render_report(small_run)
    rename = Path.rename

    def interrupted(self, target):
        if Path(target).name == "html":
            raise KeyboardInterrupt
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        render_report(small_run)
    assert _leftovers(small_run) == []


class Boom(Exception):
    pass


def test_a_heatmap_that_fails_half_written_leaves_no_temporary(small_run, monkeypatch):
    def half_written(self, target, *args, **kwargs):
        Path(target).write_bytes(b"\x89PNG half")
        raise Boom

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", half_written)
    with pytest.raises(Boom):
        render_report(small_run)
    assert _leftovers(small_run) == []


# --- right-to-left overrides in ids and metadata stay inside them ----------------------------

RLO, PDI = "\u202e", "\u2069"
EMBEDDINGS = set("\u202a\u202b\u202c\u202d\u202e")  # LRE RLE PDF LRO RLO
ISOLATES = set("\u2066\u2067\u2068")  # LRI RLI FSI
BIDI_CONTROLS = EMBEDDINGS | ISOLATES | {PDI}
EVIL_IDS = [f"{RLO}evil.txt", f"stray{PDI}{RLO}out.txt", "open\u2067\u2067isolates.txt"]
PLAIN_ID = "plain-b.txt"


def bidi_contained(text: str, *, isolated: bool) -> bool:
    """True when nothing in ``text`` can change the direction of what follows it: every PDI
    closes an isolate opened inside ``text``, every isolate is closed, and (for plain text,
    ``isolated``) every embedding or override lies inside an isolate."""
    depth = 0
    for char in text:
        if char in ISOLATES:
            depth += 1
        elif char == PDI:
            if depth == 0:
                return False
            depth -= 1
        elif char in EMBEDDINGS and depth == 0 and isolated:
            return False
    return depth == 0


class BidiAudit(HTMLParser):
    """Every text node holding a bidi control must be inside a <bdi> whose whole text is
    self-contained; every attribute value and the <title> must be isolated on their own."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.bdi_text: list[list[str]] = []
        self.problems: list[str] = []
        self.title = ""

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and BIDI_CONTROLS & set(value) and not bidi_contained(value, isolated=True):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("br", "meta", "img", "input", "link"):
            return
        self.stack.append(tag)
        if tag == "bdi":
            self.bdi_text.append([])

    def handle_endtag(self, tag):
        if tag in ("br", "meta", "img", "input", "link"):
            return
        assert self.stack.pop() == tag
        if tag == "bdi":
            text = "".join(self.bdi_text.pop())
            if not bidi_contained(text, isolated=False):
                self.problems.append(f"<bdi>{text!r}</bdi> is not self-contained")
            if self.bdi_text:
                self.bdi_text[-1].append(text)

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "title":
            self.title += data
        elif self.bdi_text:
            self.bdi_text[-1].append(data)
        elif BIDI_CONTROLS & set(data):
            self.problems.append(f"text {data!r} outside a <bdi> in {self.stack}")

    def close(self):
        super().close()
        if BIDI_CONTROLS & set(self.title) and not bidi_contained(self.title, isolated=True):
            self.problems.append(f"<title>{self.title!r}")


@pytest.fixture(scope="module")
def bidi_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bidi")
    ids = [*EVIL_IDS, PLAIN_ID]
    records = _shared_corpus(ids, [f"{RLO}wire", "daily", f"x{PDI}{RLO}y", "daily"])
    for k, record in enumerate(records):
        record["date"] = f"2021-0{k + 1}-01{RLO}"
        record[f"{RLO}key"] = "value"
    source = _write_jsonl(base / "bidi.jsonl", records)
    folder = build_run_folder(source, base / "run")
    render_report(folder, group_by="source")
    return folder


def test_every_id_and_metadata_value_is_isolated_on_every_page(bidi_run):
    pages = sorted((bidi_run / "html").rglob("*.html"))
    assert len(pages) > 8
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # the passage list names no document here (the dates do not parse: no likely source)
        assert (RLO in text) != (page.name == "passages-1.html"), page.name
        audit = BidiAudit()
        audit.feed(text)
        audit.close()
        assert audit.problems == [], page.name
    pair = (bidi_run / "html" / "pairs" / pair_page_name(EVIL_IDS[0], PLAIN_ID)).read_text(
        encoding="utf-8")
    assert f'<bdi class="id">{PLAIN_ID}</bdi>' in pair


# --- a pair page stays usable whatever the size of its documents ------------------------------


class CollapsedText(HTMLParser):
    """One side's text read back from a page: the shown pieces with their offsets, the gaps
    (from their data-start/data-end), and the text of each passage (data-p / data-in)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.at = 0
        self.stack: list[dict] = []
        self.passages: dict[int, str] = {}
        self.gaps: list[tuple[int, int]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append(attrs)
        if "gap" in (attrs.get("class") or "").split():
            start, end = int(attrs["data-start"]), int(attrs["data-end"])
            if start != self.at or end <= start:
                self.errors.append(f"gap [{start}, {end}) at offset {self.at}")
            self.gaps.append((start, end))
            for k in (attrs.get("data-in") or "").split():
                self.passages[int(k)] = self.passages.get(int(k), "") + self.text[start:end]
            self.at = end

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and "gap" in (self.stack[-1].get("class") or "").split():
            return
        if self.text[self.at:self.at + len(data)] != data:
            self.errors.append(f"shown text at offset {self.at} is not the document's")
        for attrs in self.stack[-1:]:
            for k in (attrs.get("data-p") or "").split():
                self.passages[int(k)] = self.passages.get(int(k), "") + data
        self.at += len(data)


def laid_out(page: str) -> str:
    """A pair page without the whole texts it embeds (compressed, shown on demand)."""
    return re.sub(r'<script type="application/gzip\+base64"[^>]*>[^<]*</script>', "", page)


def read_side(body: str, text: str) -> CollapsedText:
    parser = CollapsedText(text)
    parser.feed(body)
    parser.close()
    assert parser.errors == []
    assert parser.at == len(text)
    return parser


def test_a_side_never_holds_more_than_its_bound_of_markup():
    # the worst case for the page's size: characters that escape to 5 or 6, and a difference
    # mark (with a tooltip quoting the other side) on every character of a 10 MB text
    text = '"&<>\'' * 2_000_000
    passages = [(k, 3333 * k, 3333 * k + 2000) for k in range(3000)]
    title = "B has “" + '"' * 70 + "”"
    marks = [Mark(i, i + 1, "sub", title) for _, start, end in passages[:200]
             for at in (start, end) for i in range(max(0, at - 50), at + 50)]
    side = SideMarks(passages=passages, marks=marks,
                     points=[(m.start, title) for m in marks[::2]])
    body = str(render_text(text, side))
    assert len(body) <= highlight.MAX_SIDE_MARKUP + 200
    assert body.endswith("this page's size limit is reached …]</span>")
    short = text[:150_000]  # not collapsed, but still bounded
    assert len(str(render_text(short, side))) <= highlight.MAX_SIDE_MARKUP + 200


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='ab <>&"\n', min_size=1, max_size=200), st.data())
def test_a_collapsed_text_reads_back_exactly_with_the_offsets_of_its_gaps(text, data):
    n = len(text)
    spans = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=6))
    marks = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=6))
    side = SideMarks(
        passages=[(k, min(s, e), max(s, e)) for k, (s, e) in enumerate(spans)],
        marks=[Mark(min(s, e), max(s, e), "sub", "x") for s, e in marks],
        points=[(s, "here") for s, _ in marks],
    )
    limits = {"LONG_TEXT_CHARS": 20, "LONG_TEXT_CONTEXT": 6, "MIN_EDGE": 2, "SHOWN_CHARS": 16,
              "MAX_SHOWN_CHARS": data.draw(st.integers(10, 200)), "MAX_PASSAGES_SHOWN": 4}
    with mock.patch.multiple(highlight, **limits):
        rendered = render_side(text, side)
    parsed = read_side(f"<div>{rendered.html}</div>", text)
    assert rendered.collapsed == (n > 20)
    if not rendered.collapsed and rendered.cut_at is None:
        assert parsed.gaps == []
    shown_to = n if rendered.cut_at is None else rendered.cut_at
    for k, start, end in side.passages:
        if start < min(end, shown_to) and (k < 4 or not rendered.collapsed):
            assert parsed.passages.get(k, "") == text[start:min(end, shown_to)]


@pytest.fixture(scope="module")
def large_run(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("large")
    records = large_pair(1_500_000)
    source = _write_jsonl(base / "large.jsonl", records)
    folder = build_run_folder(source, base / "run")
    render_report(folder)
    return folder, {r["id"]: r["text"] for r in records}


def test_a_pair_page_of_large_documents_is_small_and_its_offsets_are_exact(large_run):
    folder, texts = large_run
    page = folder / "html" / "pairs" / pair_page_name("big-a", "big-b")
    body = page.read_text(encoding="utf-8")
    # what the browser lays out is small (the page was 3.6 MB of markup, and 24 MB for two
    # 10 MB documents); the whole texts ride along compressed, to be shown on demand
    assert len(laid_out(body)) < 2 * highlight.MAX_SIDE_MARKUP + 100_000
    assert len(body) < sum(map(len, texts.values()))
    assert "A has 1,5" in body and "this page shows" in body
    alignments = read_table(folder, "alignments").sort_values("a_start")
    assert len(alignments) > 250
    for letter, doc in (("a", "big-a"), ("b", "big-b")):
        start = body.index(f'id="text-{letter}">') + len(f'id="text-{letter}">')
        side = read_side(body[start:body.index("</div>", start)], texts[doc])
        assert len(side.gaps) > 250
        for k, row in enumerate(alignments.itertuples()):
            span = (row.a_start, row.a_end) if letter == "a" else (row.b_start, row.b_end)
            assert side.passages[k] == texts[doc][span[0]:span[1]]


def test_near_duplicates_too_long_to_diff_get_a_page_that_says_so(tmp_path):
    rng = random.Random(3)
    vocab = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9)))
             for _ in range(20000)]
    words = rng.choices(vocab, k=1_700_000)
    edited = ["edited" if i % 400 == 0 else w for i, w in enumerate(words)]
    source = _write_jsonl(tmp_path / "nd.jsonl", [{"id": "a", "text": " ".join(words)},
                                                   {"id": "b", "text": " ".join(edited)}])
    result = pipeline.dedup(source)
    assert len(result.near_duplicates) == 1
    folder = pipeline.write_run(result, tmp_path / "run", source=source, command="dedup")
    render_report(folder)  # a word diff of these two would ask for 360 GB
    body = (folder / "html" / "pairs" / pair_page_name("a", "b")).read_text(encoding="utf-8")
    assert "too long for a word diff on this page (1,700,000 × 1,700,000 tokens" in body
    assert len(laid_out(body)) < 50_000


def test_a_long_passage_and_a_long_metadata_value_are_shown_in_part(tmp_path):
    rng = random.Random(5)
    shared = " ".join(rng.choices(WORDS.split(), k=20_000))  # about 100,000 characters
    records = [{"id": "a", "text": f"Alpha opening. {shared} Alpha end.", "note": "x" * 500_000},
               {"id": "b", "text": f"Beta opening. {shared} Beta end.", "note": "short"}]
    source = _write_jsonl(tmp_path / "long.jsonl", records)
    folder = build_run_folder(source, tmp_path / "run")
    render_report(folder)
    passages = read_table(folder, "passages")
    assert passages["end"].sub(passages["start"]).max() > 90_000
    page = (folder / "html" / "passages" / "0.html").read_text(encoding="utf-8")
    assert len(page) < 60_000
    assert re.search(r"The passage has 10\d,\d{3} characters; its beginning and end are shown",
                     page)
    assert re.search(r'<span class="gap" data-start="\d+" data-end="\d+">\[… 10\d,\d{3} '
                     r"characters not shown …\]</span>", page)
    pair = (folder / "html" / "pairs" / pair_page_name("a", "b")).read_text(encoding="utf-8")
    assert "x" * 2000 + "… (498,000 more characters)" in pair
    assert len(pair) < 2 * len(shared) + 60_000


def test_metadata_integers_beyond_floats_are_reported_as_text(tmp_path):
    import json as _json

    from click.testing import CliRunner

    from reuse.cli.commands import main

    source = tmp_path / "big.jsonl"
    text = "the quick brown fox jumps over the lazy dog near the quiet river bank at dawn"
    source.write_text("".join(
        _json.dumps({"id": f"d{i}", "text": text, "n": 10**400 + i}) + "\n" for i in range(3)),
        encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(source), "--out", str(tmp_path / "o"), "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    index = (tmp_path / "o" / "html" / "index.html").read_text(encoding="utf-8")
    assert str(10**400)[:40] in index
