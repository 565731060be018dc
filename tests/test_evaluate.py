from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import need_shared

from reuse.align.config import AlignConfig
from reuse.cli.commands import main
from reuse.errors import ConfigError, InputError
from reuse.evaluate import (
    PanSpan,
    discover_pan,
    evaluate_pan,
    find_categories,
    pair_xml_name,
    plagdet,
    read_pairs,
    read_pan_xml,
    write_pan_xml,
)


def span(this: tuple[int, int], source: tuple[int, int], susp="s.txt", src="r.txt") -> PanSpan:
    return PanSpan(susp, src, this[0], this[1] - this[0], source[0], source[1] - source[0])


# --------------------------------------------------------------- PlagDet, worked out on paper


def test_half_overlap_gives_half_recall_and_precision():
    # Case: 100 + 100 characters. Detection shifted by 50 in both documents: 50 + 50 shared.
    scores = plagdet([span((0, 100), (0, 100))], [span((50, 150), (50, 150))])
    assert scores["recall"] == 0.5
    assert scores["precision"] == 0.5
    assert scores["granularity"] == 1.0
    assert scores["plagdet"] == 0.5


def test_two_detections_of_one_case_cost_granularity():
    case = span((0, 100), (0, 100))
    detections = [span((0, 50), (0, 50)), span((50, 100), (50, 100))]
    scores = plagdet([case], detections)
    assert (scores["recall"], scores["precision"], scores["granularity"]) == (1.0, 1.0, 2.0)
    assert scores["plagdet"] == pytest.approx(1 / math.log2(3), abs=1e-15)


def test_missed_case_halves_recall():
    cases = [span((0, 100), (0, 100)), span((500, 600), (500, 600))]
    scores = plagdet(cases, [span((0, 100), (0, 100))])
    assert scores["recall"] == 0.5
    assert scores["precision"] == 1.0
    assert scores["plagdet"] == pytest.approx(2 / 3, abs=1e-15)


def test_precision_counts_characters_of_both_documents():
    # Detection: 100 + 300 characters, of which 100 + 100 belong to the case.
    scores = plagdet([span((0, 100), (0, 100))], [span((0, 100), (0, 300))])
    assert scores["recall"] == 1.0
    assert scores["precision"] == 0.5
    assert scores["plagdet"] == pytest.approx(2 / 3, abs=1e-15)


def test_detection_must_overlap_in_both_documents_and_the_same_pair():
    case = span((0, 100), (0, 100))
    wrong_source_span = span((0, 100), (200, 300))
    wrong_pair = span((0, 100), (0, 100), src="other.txt")
    scores = plagdet([case], [wrong_source_span, wrong_pair])
    assert (scores["recall"], scores["precision"], scores["plagdet"]) == (0.0, 0.0, 0.0)
    assert scores["granularity"] == 1.0


def test_one_detection_spanning_two_cases():
    # Cases [0,100)/[0,100) and [100,200)/[100,200); detection [0,200)/[0,200) covers both.
    cases = [span((0, 100), (0, 100)), span((100, 200), (100, 200))]
    scores = plagdet(cases, [span((0, 200), (0, 200))])
    assert (scores["recall"], scores["precision"], scores["granularity"]) == (1.0, 1.0, 1.0)


def test_empty_conventions():
    assert plagdet([], [])["plagdet"] == 1.0
    assert plagdet([], [span((0, 1), (0, 1))])["precision"] == 0.0
    assert plagdet([span((0, 1), (0, 1))], [])["recall"] == 0.0


# ------------------------------------------------------------------------------- PAN XML


def test_detections_round_trip_through_pan_xml(tmp_path):
    detections = [span((3, 10), (0, 7), susp="s&1.txt", src='r"1.txt'), span((20, 30), (5, 9))]
    detections[1] = PanSpan("s&1.txt", "r.txt", 20, 10, 5, 4)
    path = tmp_path / "out.xml"
    write_pan_xml(path, "s&1.txt", detections)
    assert read_pan_xml(path, "detected-plagiarism") == detections
    assert read_pan_xml(path) == []  # gold features are named "plagiarism"


def test_malformed_xml_names_the_file(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text("<document reference='x'><feature", encoding="utf-8")
    with pytest.raises(InputError, match=r"Cannot read the PAN XML file .*bad\.xml"):
        read_pan_xml(path)


def test_feature_without_offsets_is_an_input_error(tmp_path):
    path = tmp_path / "gold.xml"
    path.write_text(
        '<document reference="s.txt"><feature name="plagiarism" this_offset="1" /></document>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"lacks a valid attribute"):
        read_pan_xml(path)


def test_pair_xml_name_follows_pan():
    assert (
        pair_xml_name("suspicious-document00005.txt", "source-document01090.txt")
        == "suspicious-document00005-source-document01090.xml"
    )


# ------------------------------------------------------------------- evaluate_pan end to end


def _tiny_corpus(root: Path, category: str = "02-no-obfuscation",
                 number: int = 1) -> tuple[int, int]:
    """One pair whose suspicious document copies a source passage after \\r\\n line breaks,
    listed in the folder ``category``; the documents are numbered ``number``."""
    passage = (
        "The river rose through the night and by morning the lower town was under water. "
        "Boats moved slowly between the roofs, carrying bread, lamps and the few animals "
        "that had been saved from the barns along the old mill road."
    )
    src = "Unrelated opening words about a quiet market.\r\n\r\n" + passage + "\r\nThe end."
    susp = "Another story starts here, with\r\nseveral\r\nline breaks.\r\n" + passage + " Bye."
    susp_name, src_name = f"suspicious-document{number:05d}", f"source-document{number:05d}"
    for folder in ("src", "susp", category):
        (root / folder).mkdir(exist_ok=True)
    for folder, name, text in (("src", f"{src_name}.txt", src), ("susp", f"{susp_name}.txt", susp)):
        with open(root / folder / name, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    with open(root / category / "pairs", "a", encoding="utf-8") as handle:
        handle.write(f"{susp_name}.txt {src_name}.txt\n")
    this_offset, source_offset = susp.index(passage), src.index(passage)
    length = len(passage) - 1  # the gold case ends on the last word, like the aligner's spans
    (root / category / f"{susp_name}-{src_name}.xml").write_text(
        f'<document reference="{susp_name}.txt">\n'
        f'<feature name="plagiarism" this_offset="{this_offset}" this_length="{length}" '
        f'source_reference="{src_name}.txt" source_offset="{source_offset}" '
        f'source_length="{length}" />\n</document>\n',
        encoding="utf-8",
    )
    return this_offset, source_offset


def test_evaluate_pan_scores_an_exact_copy_perfectly(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    this_offset, source_offset = _tiny_corpus(corpus)
    table = evaluate_pan(corpus, out)
    assert list(table.index) == ["02-no-obfuscation", "overall"]
    row = table.loc["overall"]
    assert (row.recall, row.precision, row.granularity, row.plagdet) == (1.0, 1.0, 1.0, 1.0)
    written = read_pan_xml(
        out / "02-no-obfuscation" / "suspicious-document00001-source-document00001.xml",
        "detected-plagiarism",
    )
    assert [(d.this_offset, d.source_offset) for d in written] == [(this_offset, source_offset)]


def test_evaluate_pan_rejects_a_folder_without_documents(tmp_path):
    with pytest.raises(InputError, match=r"is not a PAN text-alignment corpus"):
        evaluate_pan(tmp_path)


def test_evaluate_pan_rejects_bad_jobs(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _tiny_corpus(corpus)
    with pytest.raises(ConfigError, match=r"The 'n_jobs' parameter of evaluate_pan"):
        evaluate_pan(corpus, n_jobs=0)


def _unfamiliar_corpus(root: Path) -> None:
    """Categories named like no PAN 2013 folder, made out of name order, next to a folder
    without a ``pairs`` file and a corpus-wide ``pairs`` file (as icdar2017-ocr/pan has)."""
    root.mkdir()
    _tiny_corpus(root, "03-whatever", number=3)
    _tiny_corpus(root, "02-ocr", number=1)
    _tiny_corpus(root, "02-ocr", number=2)
    (root / "notes").mkdir()
    (root / "notes" / "readme.txt").write_text("not a category\n", encoding="utf-8")
    (root / "pairs").write_text("".join(
        f"suspicious-document{n:05d}.txt source-document{n:05d}.txt\n" for n in (1, 2, 3)),
        encoding="utf-8")


def test_evaluate_pan_finds_every_category_by_its_pairs_file(tmp_path):
    corpus = tmp_path / "corpus"
    _unfamiliar_corpus(corpus)
    assert find_categories(corpus) == ["02-ocr", "03-whatever"]
    table = evaluate_pan(corpus)
    assert list(table.index) == ["02-ocr", "03-whatever", "overall"]
    assert list(table["cases"]) == [2, 1, 3]
    assert list(table["pairs"]) == [2, 1, 3]
    assert list(table["plagdet"]) == [1.0, 1.0, 1.0]


def test_discover_pan_finds_every_category_by_its_pairs_file(tmp_path):
    corpus = tmp_path / "corpus"
    _unfamiliar_corpus(corpus)
    table = discover_pan(corpus)
    assert list(table.index) == ["02-ocr", "03-whatever", "overall"]
    assert list(table["cases"]) == [2, 1, 3]
    assert table.loc["overall", "pairs_recall"] == 1.0


def test_eval_pan_command_reports_each_unfamiliar_category(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    _unfamiliar_corpus(corpus)
    result = CliRunner().invoke(main, ["eval", "pan", str(corpus), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [line.split()[:5] for line in result.stdout.splitlines()[2:5]]
    assert rows == [[name, "1.0000", "1.0000", "1.0000", "1.0000"]
                    for name in ("02-ocr", "03-whatever", "overall")]
    assert sorted(path.name for path in (out / "02-ocr").iterdir()) == [
        "suspicious-document00001-source-document00001.xml",
        "suspicious-document00002-source-document00002.xml",
    ]


NO_CATEGORY = (r"^{corpus} has no category folder: no folder in it holds a 'pairs' file\. A PAN "
               r"text-alignment corpus has one folder per category \(such as 02-no-obfuscation\) "
               r"with a 'pairs' file listing 'suspicious source' pairs and a gold XML per pair\.$")


def _corpus_without_pairs(root: Path) -> None:
    for folder in ("src", "susp", "02-ocr"):
        (root / folder).mkdir(parents=True)
    (root / "pairs").write_text("a.txt b.txt\n", encoding="utf-8")  # not inside a category


def test_a_corpus_without_pairs_files_is_an_input_error(tmp_path):
    corpus = tmp_path / "corpus"
    _corpus_without_pairs(corpus)
    expected = NO_CATEGORY.format(corpus=re.escape(str(corpus)))
    with pytest.raises(InputError, match=expected):
        evaluate_pan(corpus)
    with pytest.raises(InputError, match=expected):
        discover_pan(corpus)


def test_eval_pan_command_without_pairs_files_exits_3(tmp_path):
    corpus = tmp_path / "corpus"
    _corpus_without_pairs(corpus)
    result = CliRunner().invoke(main, ["eval", "pan", str(corpus)])
    assert result.exit_code == 3
    assert re.fullmatch("reuse: error: " + NO_CATEGORY.format(corpus=re.escape(str(corpus)))[1:],
                        result.stderr.strip())


def test_read_pairs_reports_the_bad_line(tmp_path):
    (tmp_path / "pairs").write_text("a.txt b.txt\nonly-one\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"pairs, line 2: expected"):
        read_pairs(tmp_path)


@pytest.mark.data
def test_pan13_sample_scores():
    """A fixed small sample of the real corpus (the full run is benchmarks/eval_pan.py)."""
    corpus = need_shared("pan13-train")
    table = evaluate_pan(
        corpus, None, AlignConfig(), ["01-no-plagiarism", "02-no-obfuscation"], sample=8
    )
    assert table.loc["01-no-plagiarism", "detections"] == 0
    no_obfuscation = table.loc["02-no-obfuscation"]
    assert no_obfuscation.cases == 11
    assert no_obfuscation.recall > 0.99
    assert no_obfuscation.plagdet > 0.9


def test_one_source_per_passage_keeps_the_better_copy():
    from reuse.align.alignment import Alignment
    from reuse.evaluate import one_source_per_passage

    def alignment(a_start, a_end, b_start, matched):
        return Alignment(a_start, a_end, b_start, b_start + (a_end - a_start), 10, 10, matched,
                         matched / 10, "lexical", [])

    weaker = alignment(0, 100, 500, 8)
    better = alignment(10, 100, 0, 10)
    elsewhere = alignment(200, 300, 900, 5)
    assert one_source_per_passage([weaker, elsewhere, better]) == [better, elsewhere]
