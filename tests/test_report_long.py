"""A pair page of two long documents: small on disk, interactive at once, and the text it does
not show drawn on demand, exactly, from the whole text embedded in the page (issue 15, item 3).

The browser tests skip with the reason when no chromium is installed (``apt-get install
chromium``, or ``REUSE_CHROMIUM``).
"""

from __future__ import annotations

import json
import random
import time
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from cdp import Browser, find_chromium
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixture import build_run_folder

from reuse.errors import ConfigError
from reuse.report import highlight
from reuse.report.html import pair_page_name, render_report
from reuse.runfolder.tables import read_table

CHROMIUM = find_chromium()
TEXT_CHARS = 2_000_000
# Shared passages: (offset in A, offset in B, words); the rest of each text is its own.
PLANTED = [(150_000, 900_000, 500), (700_000, 300_000, 800), (1_300_000, 1_700_000, 400),
           (1_850_000, 60_000, 600)]


def zipf_words(rng: random.Random, vocabulary: list[str], weights: list[float], n: int
               ) -> list[str]:
    return rng.choices(vocabulary, weights=weights, k=n)


def long_pair(seed: int = 3) -> tuple[str, str]:
    """Two texts of about 2 MB: made-up words at English-like frequencies, sentences and
    paragraphs, characters that HTML must escape and characters outside the Basic Multilingual
    Plane (two UTF-16 units each in JavaScript), sharing the ``PLANTED`` passages with a word
    changed every 25, one left out every 97 and punctuation changed here and
    there."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9)))
                  for _ in range(5000)] + ["<b>", "&amp;", "AT&T", "𝔘𝔫𝔦", "😀", "ה"]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    rng.shuffle(weights)

    def prose(n_chars: int) -> str:
        words = zipf_words(rng, vocabulary, weights, n_chars // 6)
        sentences = [" ".join(words[i:i + 12]).capitalize() + "."
                     for i in range(0, len(words), 12)]
        return "\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))

    def with_passages(own: str, where: list[tuple[int, str]]) -> str:
        pieces, at = [], 0
        for offset, passage in sorted(where):
            cut = own.index(" ", max(at, offset))
            pieces += [own[at:cut], " ", passage, " "]
            at = cut
        return "".join(pieces) + own[at:]

    shared = [zipf_words(rng, vocabulary, weights, n) for _, _, n in PLANTED]
    edited = [[("CHANGED" if i % 25 == 7 else w + ("," if i % 40 == 3 else ""))
               for i, w in enumerate(words) if i % 97 != 50] for words in shared]
    text_a = with_passages(prose(TEXT_CHARS), [(a, " ".join(w))
                                               for (a, _, _), w in zip(PLANTED, shared,
                                                                       strict=True)])
    text_b = with_passages(prose(TEXT_CHARS), [(b, " ".join(w))
                                               for (_, b, _), w in zip(PLANTED, edited,
                                                                       strict=True)])
    return text_a, text_b


@pytest.fixture(scope="module")
def long_run(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    base = tmp_path_factory.mktemp("long")
    text_a, text_b = long_pair()
    source = base / "long.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n"
                              for i, t in (("long-a", text_a), ("long-b", text_b))),
                      encoding="utf-8")
    folder = build_run_folder(source, base / "run")
    render_report(folder)
    page = folder / "html" / "pairs" / pair_page_name("long-a", "long-b")
    return folder, {"long-a": text_a, "long-b": text_b}, page


def test_the_pair_page_of_two_long_documents_is_small_on_disk(long_run):
    folder, texts, page = long_run
    alignments = read_table(folder, "alignments")
    assert len(alignments) == len(PLANTED)
    body = page.read_text(encoding="utf-8")
    both = sum(map(len, texts.values()))
    # both whole texts are in the page, compressed: less than half their size in all ...
    assert page.stat().st_size < 0.5 * both
    # ... and what the browser lays out (the two text boxes) is a small part of it
    for side in ("a", "b"):
        start = body.index(f'id="text-{side}">')
        assert body.index("</div>", start) - start < 60_000
    assert "Show the whole text" in body


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium found (install it with `apt-get install chromium`, or set "
                    "REUSE_CHROMIUM to a Chrome/Chromium binary)")
    with Browser(CHROMIUM) as instance:
        yield instance


LOADED = """(() => { const nav = performance.getEntriesByType("navigation")[0];
  return [nav.domInteractive, nav.loadEventEnd, document.getElementsByTagName("*").length]; })()"""

# The side's content in order: ["t", text, data-p, class, title] for text (in a mark or not),
# ["g", start, end] for a marker of a stretch not shown, ["at", title] for a point.
READ_SIDE = """((side) => {
  const out = [];
  for (const node of document.getElementById("text-" + side).childNodes) {
    if (node.nodeType === Node.TEXT_NODE) { out.push(["t", node.data, null, null, null]); }
    else if (node.classList.contains("gap")) {
      out.push(["g", Number(node.dataset.start), Number(node.dataset.end)]); }
    else if (node.classList.contains("at")) { out.push(["at", node.title]); }
    else { out.push(["t", node.textContent, node.getAttribute("data-p"), node.className,
                     node.title || null]); }
  }
  return out;
})"""

def wait_for(browser: Browser, test: str, seconds: float = 10.0) -> bool:
    """Poll ``test`` (a JavaScript expression) until it is true (the page's CSP forbids eval,
    so the polling is done from here)."""
    deadline = time.monotonic() + seconds
    while not browser.evaluate(test):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def read_back(pieces: list[list], text: str) -> tuple[dict[int, str], list[tuple[int, int]]]:
    """Check that the pieces read the document in order; the text of each passage, and the
    markers left."""
    at, passages, gaps = 0, {}, []
    for piece in pieces:
        if piece[0] == "g":
            assert piece[1] == at
            gaps.append((piece[1], piece[2]))
            at = piece[2]
        elif piece[0] == "t":
            assert text[at:at + len(piece[1])] == piece[1], f"offset {at}"
            for k in (piece[2] or "").split():
                passages[int(k)] = passages.get(int(k), "") + piece[1]
            at += len(piece[1])
    assert at == len(text)
    return passages, gaps


class Runs(HTMLParser):
    """Python's markup of a side as the same pieces as READ_SIDE."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[list] = []
        self.open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "span" and attrs.get("class") == "at":
            self.pieces.append(["at", attrs["title"]])
        elif tag == "mark":
            self.open = attrs
            self.pieces.append(["t", "", attrs["data-p"], attrs["class"], attrs.get("title")])

    def handle_endtag(self, tag):
        if tag == "mark":
            self.open = None

    def handle_data(self, data):
        if self.open is None:
            self.pieces.append(["t", data, None, None, None])
        else:
            self.pieces[-1][1] += data


def python_pieces(folder: Path, texts: dict[str, str], letter: str) -> list[list]:
    """The whole side as the report's Python renders a text it shows whole."""
    from reuse.report.html import RunData, reread_input
    from reuse.runfolder.tables import read_manifest

    manifest = read_manifest(folder)
    run = RunData.load(folder, manifest, reread_input(folder, manifest))
    rows = run.alignments.to_dict("records")
    oriented = highlight.oriented_alignments(rows, "long-a")
    side_a, side_b = highlight.SideMarks(), highlight.SideMarks()
    for k, row in enumerate(oriented):
        highlight.mark_alignment(k, row, texts["long-a"], texts["long-b"],
                                 (run.tokens("long-a"), run.tokens("long-b")), side_a, side_b)
    side, text = (side_a, texts["long-a"]) if letter == "a" else (side_b, texts["long-b"])
    limits = {"LONG_TEXT_CHARS": 10**9, "MAX_SHOWN_CHARS": 10**9, "MAX_SIDE_MARKUP": 10**10}
    with mock.patch.multiple(highlight, **limits):
        markup = str(highlight.render_side(text, side).html)
    parser = Runs()
    parser.feed(markup)
    parser.close()
    return parser.pieces


def merged(pieces: list[list]) -> list[list]:
    """Adjacent runs with the same attributes joined (where a renderer cut is immaterial)."""
    out: list[list] = []
    for piece in pieces:
        if out and piece[0] == "t" and out[-1][0] == "t" and out[-1][2:] == piece[2:]:
            out[-1] = [*out[-1][:1], out[-1][1] + piece[1], *out[-1][2:]]
        else:
            out.append(list(piece))
    return out


def test_the_long_pair_page_opens_within_two_seconds_and_shows_the_rest_exactly(
        long_run, browser):
    folder, texts, page = long_run
    url = page.resolve().as_uri()
    browser.open(url)
    assert browser.problems() == [] and browser.requests() == [url]
    _, loaded, elements = browser.evaluate(LOADED)
    assert loaded < 2000, f"load event at {loaded:.0f} ms"
    assert elements < 5000
    alignments = read_table(folder, "alignments")
    spans = highlight.oriented_alignments(alignments.to_dict("records"), "long-a")
    for letter, doc in (("a", "long-a"), ("b", "long-b")):
        passages, gaps = read_back(browser.evaluate(f"{READ_SIDE}({json.dumps(letter)})"),
                                   texts[doc])
        assert len(gaps) >= len(PLANTED)
        # a click on a marker shows its stretch in its place, and the rest stays as it was
        middle = max(gaps, key=lambda g: g[1] - g[0])
        browser.evaluate(f"""document.querySelector('#text-{letter} .gap[data-start="{middle[0]}"]')
            .click()""")
        test = f"!document.querySelector('#text-{letter} .gap[data-start=\"{middle[0]}\"]')"
        assert wait_for(browser, test)
        _, left = read_back(browser.evaluate(f"{READ_SIDE}({json.dumps(letter)})"), texts[doc])
        assert left == [g for g in gaps if g != middle]
        # the whole text: every character, each passage exactly its span, and marked as the
        # Python of the report marks a text it shows whole
        browser.evaluate(f"document.querySelector('button.whole[data-side=\"{letter}\"]').click()")
        test = f"document.getElementById('text-{letter}').hasAttribute('data-whole')"
        assert wait_for(browser, test)
        pieces = browser.evaluate(f"{READ_SIDE}({json.dumps(letter)})")
        passages, gaps = read_back(pieces, texts[doc])
        assert gaps == []
        for k, row in enumerate(spans):
            start, end = (row["a_start"], row["a_end"]) if letter == "a" else \
                (row["b_start"], row["b_end"])
            assert passages[k] == texts[doc][start:end]
        assert merged(pieces) == merged(python_pieces(folder, texts, letter))
        if letter == "b":  # the edited side: its differences came through, with their tooltips
            assert any(p[0] == "t" and "sub" in (p[3] or "") and p[4] for p in pieces)
            assert any(p[0] == "at" for p in pieces)
    assert browser.problems() == []


# --- --max-pair-pages: the pairs with a page, recorded and replayed ---------------------------


def _invoke(*args):
    from click.testing import CliRunner

    from reuse.cli.commands import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _pages(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "html" / "pairs").glob("*.html"))


def _pair_list(folder: Path) -> list[tuple[str, str, bool, str | None]]:
    """(A, B, the Page flag, the page) of each row of the pair list, in its order."""
    body = (folder / "html" / "lists" / "pairs-1.html").read_text(encoding="utf-8")
    data = json.loads(body.split('<script type="application/json">')[1].split("</script>")[0])
    keys = [c["key"] for c in data["columns"]]
    a, b, flag, page = (keys.index(k) for k in ("a_id", "b_id", "has_page", "page"))
    return [(data["docs"][r[a]][0], data["docs"][r[b]][0], r[flag],
             None if r[page] is None else data["strings"][r[page]]) for r in data["rows"]]


def test_max_pair_pages_caps_the_pair_pages_and_a_rerun_keeps_the_cap(seeds_dir, tmp_path):
    from reuse.cli.commands import MAX_PAIR_PAGES
    from reuse.report.html import MAX_PAIR_PAGES as REPORT_DEFAULT

    assert MAX_PAIR_PAGES == REPORT_DEFAULT
    every, capped, again = tmp_path / "every", tmp_path / "capped", tmp_path / "again"
    assert _invoke("run", seeds_dir, "--out", every, "-q").exit_code == 0
    rows = _pair_list(every)
    assert len(rows) > 3 and all(flag for _, _, flag, _ in rows)
    result = _invoke("run", seeds_dir, "--out", capped, "--max-pair-pages", 2, "-q")
    assert result.exit_code == 0, result.output
    manifest = json.loads((capped / "manifest.json").read_text())
    assert manifest["options"]["report"]["max_pair_pages"] == 2
    assert manifest["report"]["max_pair_pages"] == 2 and manifest["report"]["pair_pages"] == 2
    capped_rows = _pair_list(capped)
    # the first two pairs of the list have their page; the others are listed without one
    assert [(a, b) for a, b, _, _ in capped_rows] == [(a, b) for a, b, _, _ in rows]
    assert [flag for _, _, flag, _ in capped_rows] == [True, True] + [False] * (len(rows) - 2)
    assert [page for _, _, _, page in capped_rows[:2]] == [page for _, _, _, page in rows[:2]]
    assert _pages(capped) == sorted(page.split("/")[1] for _, _, _, page in capped_rows[:2])
    assert all(page is None for _, _, _, page in capped_rows[2:])
    # no page links to a pair page that was not written
    for html_file in (capped / "html").rglob("*.html"):
        for name in set(_pages(every)) - set(_pages(capped)):
            assert name not in html_file.read_text(encoding="utf-8"), html_file
    assert _invoke("rerun", capped, "--out", again, "-q").exit_code == 0
    assert _pages(again) == _pages(capped)
    assert _invoke("report", capped, "--max-pair-pages", 0, "-q").exit_code == 0
    assert _pages(capped) == []
    assert json.loads((capped / "manifest.json").read_text())["report"]["max_pair_pages"] == 0


def test_max_pair_pages_must_not_be_negative(tmp_path):
    result = _invoke("report", tmp_path, "--max-pair-pages", -1)
    assert result.exit_code == 2
    assert "Invalid value for '--max-pair-pages': -1 is not in the range x>=0." in result.stderr
    with pytest.raises(ConfigError, match=r"The 'max_pair_pages' parameter of render_report must "
                                        r"be an int >= 0\. Got -1 instead\."):
        render_report(tmp_path, max_pair_pages=-1)


# --- the differences inside an aligned stretch, found with arrays ----------------------------


def _reference_stretch(text_a, text_b, tokens_a, tokens_b, side_a, side_b):
    """compare_stretch token by token, as it was written before it used arrays."""
    quote = highlight._quote
    sa, ea = tokens_a.starts.tolist(), tokens_a.ends.tolist()
    sb, eb = tokens_b.starts.tolist(), tokens_b.ends.tolist()
    for t in range(len(sa)):
        word_a, word_b = text_a[sa[t]:ea[t]], text_b[sb[t]:eb[t]]
        if word_a != word_b:
            side_a.marks.append(highlight.Mark(sa[t], ea[t], "pun", f"B has {quote(word_b)}"))
            side_b.marks.append(highlight.Mark(sb[t], eb[t], "pun", f"A has {quote(word_a)}"))
        if t + 1 < len(sa):
            gap_a, gap_b = text_a[ea[t]:sa[t + 1]], text_b[eb[t]:sb[t + 1]]
            if gap_a != gap_b and " ".join(gap_a.split()) != " ".join(gap_b.split()):
                for gap, other, side, at, end, letter in (
                        (gap_a, gap_b, side_a, ea[t], sa[t + 1], "B"),
                        (gap_b, gap_a, side_b, eb[t], sb[t + 1], "A")):
                    if gap:
                        side.marks.append(highlight.Mark(at, end, "pun",
                                                         f"{letter} has {quote(other)}"))
                    else:
                        side.points.append((at, f"{letter} has {quote(other)} here"))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["word", "Word", "WORD", "café", "naïve", "𝔘ni"]),
                          st.sampled_from([" ", ", ", " -- ", "  ", "\n", " — ", ""]),
                          st.sampled_from([" ", "; ", " ", "\t", " -- ", ""])),
                min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_the_differences_in_a_stretch_are_those_a_token_by_token_comparison_finds(words, rng):
    from reuse.text.tokenize import tokenize

    text_a = "".join(w + sep for w, sep, _ in words).strip() or "word"
    text_b = "".join((w.lower() if rng.random() < 0.3 else w) + sep
                     for w, _, sep in words).strip() or "word"
    tokens_a, tokens_b = tokenize(text_a), tokenize(text_b)
    if len(tokens_a) != len(tokens_b) or not len(tokens_a):
        return
    found = highlight.SideMarks(), highlight.SideMarks()
    expected = highlight.SideMarks(), highlight.SideMarks()
    highlight.compare_stretch(text_a, text_b, tokens_a, tokens_b, (0, len(text_a)),
                              (0, len(text_b)), *found)
    if text_a != text_b:
        _reference_stretch(text_a, text_b, tokens_a, tokens_b, *expected)
    assert found == expected
