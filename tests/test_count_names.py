"""Words a reader understands: one name per count in the command's summary and the report, each
explained where shown; eval pan shows what is meaningful without cases. Issue 16, item 6."""

from __future__ import annotations

import html
import re

from click.testing import CliRunner

from reuse.cli.commands import main
from reuse.evaluate import PanSpan, false_positive_chars, read_pan_xml
from reuse.report.summary import COUNTS
from reuse.runfolder.tables import read_manifest


def cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_every_count_has_one_name_in_the_summary_and_the_report(seeds_dir, tmp_path):
    out = tmp_path / "run"
    result = cli("run", seeds_dir, "--out", out)
    assert result.exit_code == 0, result.output
    counts = read_manifest(out)["counts"]
    summary = {}
    for line in result.stdout.splitlines()[1:]:
        label, value = re.fullmatch(r"  (.+?)\s{2,}(\S+)", line).groups()
        summary[label.strip()] = value
    index = (out / "html" / "index.html").read_text(encoding="utf-8")
    shown = {html.unescape(label): html.unescape(title) for title, label in re.findall(
        r'<dt><span title="([^"]*)">([^<]*)</span></dt>', index)}
    assert len(shown) == len(counts)
    for key, value in counts.items():
        label = COUNTS[key][0].strip()
        assert summary[label] == str(value), key
        in_report = label[0].upper() + label[1:]
        assert in_report in shown, key
        # The tooltip explains the count and names its key in the manifest.
        assert shown[in_report] == f"{COUNTS[key][1]} Manifest: counts.{key}.", key
    # The words the issue found meaningless to a reader are gone.
    assert not any("capped" in label.lower() for label in [*summary, *shown])
    assert "capped_fingerprints" in counts and "very common passage windows" in summary


def _no_plagiarism_corpus(root):
    """02-no-obfuscation: one pair whose case is found; 01-no-plagiarism: one pair that
    shares a passage anyway, so its detection is a false positive."""
    passage = ("The river rose through the night and by morning the lower town was under water. "
               "Boats moved slowly between the roofs, carrying bread, lamps and the few animals "
               "that had been saved from the barns along the old mill road.")
    for folder in ("src", "susp", "01-no-plagiarism", "02-no-obfuscation"):
        (root / folder).mkdir()
    texts = {
        "src/source-document00001.txt": "A quiet market opened.\n" + passage + "\nThe end.",
        "susp/suspicious-document00001.txt": "Another story starts here.\n" + passage + " Bye.",
        "src/source-document00002.txt": "Some other opening words.\n" + passage,
        "susp/suspicious-document00002.txt": passage + "\nAnd then it was over.",
    }
    for name, text in texts.items():
        (root / name).write_text(text, encoding="utf-8", newline="")
    susp, src = texts["susp/suspicious-document00001.txt"], texts["src/source-document00001.txt"]
    (root / "02-no-obfuscation" / "pairs").write_text(
        "suspicious-document00001.txt source-document00001.txt\n", encoding="utf-8")
    (root / "02-no-obfuscation" / "suspicious-document00001-source-document00001.xml").write_text(
        '<document reference="suspicious-document00001.txt">\n<feature name="plagiarism" '
        f'this_offset="{susp.index(passage)}" this_length="{len(passage) - 1}" '
        'source_reference="source-document00001.txt" '
        f'source_offset="{src.index(passage)}" source_length="{len(passage) - 1}" />\n'
        "</document>\n", encoding="utf-8")
    (root / "01-no-plagiarism" / "pairs").write_text(
        "suspicious-document00002.txt source-document00002.txt\n", encoding="utf-8")
    (root / "01-no-plagiarism" / "suspicious-document00002-source-document00002.xml").write_text(
        '<document reference="suspicious-document00002.txt">\n</document>\n', encoding="utf-8")


def test_eval_pan_shows_false_positives_where_there_are_no_cases(tmp_path):
    corpus, out = tmp_path / "pan", tmp_path / "detections"
    corpus.mkdir()
    _no_plagiarism_corpus(corpus)
    result = cli("eval", "pan", corpus, "--out", out)
    assert result.exit_code == 0, result.output
    detected = read_pan_xml(
        out / "01-no-plagiarism" / "suspicious-document00002-source-document00002.xml",
        "detected-plagiarism")
    wrongly = sum(d.this_length + d.source_length for d in detected)
    assert wrongly > 300
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["recall", "precision", "granularity", "plagdet",
                                "false_positive_chars", "pairs", "seconds"]
    assert lines[2].split() == ["01-no-plagiarism", "n/a", "n/a", "n/a", "n/a", str(wrongly),
                                "1"]
    assert lines[3].split()[:6] == ["02-no-obfuscation", "1.0000", "1.0000", "1.0000",
                                    "1.0000", "0"]
    assert lines[-1] == (
        "01-no-plagiarism: no plagiarism cases, so recall, precision and PlagDet do not apply "
        "(n/a); false_positive_chars counts the characters detected there (0 is perfect).")


def test_false_positive_characters_are_counted_in_both_documents():
    case = PanSpan("s", "r", 0, 100, 0, 100)
    detection = PanSpan("s", "r", 50, 100, 0, 300)  # 50 + 200 characters outside the case
    assert false_positive_chars([case], [detection]) == 250
    other_pair = PanSpan("s", "other", 0, 10, 0, 10)
    assert false_positive_chars([case], [detection, other_pair]) == 270
    assert false_positive_chars([case], []) == 0
