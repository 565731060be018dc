"""Hostile and broken input through the ``reuse`` command: a pinned outcome for every case.

The cases and their expected outcomes live in ``tests/bad_inputs/make_bad_inputs.py``; the
inputs are generated into ``tmp_path`` (nothing binary is committed).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bad_inputs.make_bad_inputs import (
    CASES,
    HOSTILE_IDS,
    UNICODE_PASSAGE,
    BadInput,
    make,
)
from click.testing import CliRunner
from conftest import need_shared

from reuse.cli.commands import main
from reuse.errors import RunFolderError
from reuse.runfolder.tables import read_manifest, read_table

BY_NAME = {case.name: case for case in CASES}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    return make(tmp_path_factory.mktemp("bad_inputs"))


def reuse_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_case(case: BadInput, source: Path, out: Path, on_error: str, *extra: str):
    return reuse_cli("run", str(source), "--out", str(out), "--quiet", "--no-report",
                     "--on-error", on_error, *extra)


def check_error(result, expected: str, exit_code: int, source: Path, out: Path) -> None:
    message = "reuse: error: " + expected.replace("{input}", str(source))
    if expected.endswith("("):  # the rest is the third-party library's own wording
        assert result.stderr.startswith(message)
    else:
        assert result.stderr == message + "\n"
    assert result.exit_code == exit_code
    assert result.stdout == ""
    # A failed run leaves nothing that could be mistaken for a complete run folder.
    with pytest.raises(RunFolderError):
        read_manifest(out)


def check_accounting(case: BadInput, out: Path, skipped: tuple[str, ...]) -> None:
    counts = read_manifest(out)["counts"]
    assert counts["read"] == counts["compared"] + counts["too_short"] + counts["skipped"]
    assert (counts["read"], counts["skipped"], counts["too_short"]) == (
        case.read, len(skipped), case.too_short)
    documents = read_table(out, "documents")
    assert len(documents) == case.documents
    assert (documents["status"] == "too_short").sum() == case.too_short
    table = read_table(out, "skipped")
    assert tuple(table["reason"]) == skipped
    assert table["origin"].is_unique
    assert all(table["detail"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_default_run_stops_with_the_pinned_error_or_reads_everything(case, inputs, tmp_path):
    source, out = inputs[case.name], tmp_path / "run"
    result = run_case(case, source, out, "raise")
    if case.error is None:
        assert (result.exit_code, result.stderr) == (0, "")
        assert case.skipped == ()
        check_accounting(case, out, ())
    else:
        check_error(result, case.error, case.exit_code, source, out)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_skip_run_counts_every_record_read_compared_too_short_or_skipped(case, inputs, tmp_path):
    source, out = inputs[case.name], tmp_path / "run"
    result = run_case(case, source, out, "skip")
    if case.skip_error is not None:
        check_error(result, case.skip_error, case.exit_code, source, out)
        return
    assert (result.exit_code, result.stderr) == (0, "")
    check_accounting(case, out, case.skipped)


def test_skipped_records_name_their_origin_and_reason(inputs, tmp_path):
    source = inputs["missing_and_mistyped_fields"]
    run_case(BY_NAME["missing_and_mistyped_fields"], source, tmp_path / "run", "skip")
    table = read_table(tmp_path / "run", "skipped")
    assert table.to_dict("records")[:4] == [
        {"origin": f"{source}:2", "reason": "missing_id", "detail": "missing id field 'id'"},
        {"origin": f"{source}:3", "reason": "missing_text",
         "detail": "missing text field 'text'"},
        {"origin": f"{source}:4", "reason": "bad_text",
         "detail": "text field 'text' must be a string, not int"},
        {"origin": f"{source}:5", "reason": "bad_text",
         "detail": "text field 'text' must be a string, not list"},
    ]


def test_byte_order_marks_are_dropped_and_utf16_is_decoded(inputs, tmp_path):
    for name, expected in (("utf8_bom", {"bom.txt": len("hello with a BOM")}),
                           ("utf16_with_bom", {"utf16.txt": len("hello from UTF-16"),
                                               "utf16be.txt": len("big endian")})):
        run_case(BY_NAME[name], inputs[name], tmp_path / name, "raise")
        documents = read_table(tmp_path / name, "documents").set_index("doc_id")
        for doc_id, n_chars in expected.items():
            assert documents.loc[doc_id, "n_chars"] == n_chars


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_hostile_ids_survive_into_every_table_format_unchanged(fmt, inputs, tmp_path):
    out = tmp_path / "run"
    result = run_case(BY_NAME["hostile_ids_jsonl"], inputs["hostile_ids_jsonl"], out, "raise",
                      "--format", fmt, "--threshold", "0.5")
    assert result.exit_code == 0
    assert list(read_table(out, "documents")["doc_id"]) == list(HOSTILE_IDS)
    assert set(read_table(out, "clusters")["doc_id"]) == set(HOSTILE_IDS)
    alignments = read_table(out, "alignments")
    assert len(alignments) > 0
    assert set(alignments["a_id"]) | set(alignments["b_id"]) == set(HOSTILE_IDS)
    assert set(read_table(out, "passages")["doc_id"]) == set(HOSTILE_IDS)


@pytest.mark.parametrize("name", ["hostile_ids_jsonl", "hostile_file_names"])
def test_html_report_of_hostile_ids_stays_inside_the_run_folder(name, inputs, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    out = work / "run"
    before = _files_under(tmp_path)
    result = reuse_cli("run", str(inputs[name]), "--out", str(out), "--quiet")
    assert result.exit_code == 0, result.stderr
    created = _files_under(tmp_path) - before
    assert created and all(path == out or path.is_relative_to(out) for path in created - {out})
    pages = list((out / "html").rglob("*.html"))
    pair_pages = list((out / "html" / "pairs").glob("*.html"))
    assert len(pair_pages) >= 1 and len(pages) > len(pair_pages)
    for page in pages:
        assert page.resolve().is_relative_to(out.resolve())
        assert not page.is_symlink()
        assert len(page.name.encode()) <= 255
    ids = list(read_table(out, "documents")["doc_id"])
    if name == "hostile_ids_jsonl":
        assert ids == list(HOSTILE_IDS)
    else:
        assert sorted(ids) == sorted([
            "ctl\x01\x1b[31m.txt", "\u202eevil\u202c\u200f.txt",
            "d" * 100 + "/" + "e" * 100 + "/" + "f" * 96 + ".txt", "..dots...txt",
            "sp ace\u00a0&<tag>\"'.txt",
        ])
    site = "".join(page.read_text(encoding="utf-8") for page in pages)
    assert "<tag>" not in site
    if name == "hostile_file_names":
        assert "&lt;tag&gt;" in site


def test_offsets_in_mixed_scripts_emoji_and_combining_characters_are_exact(inputs, tmp_path):
    source, out = inputs["unicode_passage"], tmp_path / "run"
    assert run_case(BY_NAME["unicode_passage"], source, out, "raise").exit_code == 0
    texts = {r["id"]: r["text"] for r in map(json.loads, source.read_text("utf-8").splitlines())}
    passage = UNICODE_PASSAGE.removesuffix(".")  # the final full stop is not a token
    alignments = read_table(out, "alignments")
    assert len(alignments) == 1
    row = alignments.iloc[0]
    assert texts[row.a_id][row.a_start:row.a_end] == passage
    assert texts[row.b_id][row.b_start:row.b_end] == passage
    assert (row.similarity, row.edits) == (1.0, "[]")
    passages = read_table(out, "passages")
    assert [texts[r.doc_id][r.start:r.end] for r in passages.itertuples()] == [passage, passage]
    documents = read_table(out, "documents").set_index("doc_id")
    assert documents.loc["a", "n_chars"] == len(texts["a"])  # code points, not bytes or UTF-16


def test_clough_stevenson_skips_exactly_its_17_legacy_encoded_files(tmp_path):
    folder = need_shared("clough-stevenson") / "data"
    result = reuse_cli("run", str(folder), "--out", str(tmp_path / "raise"), "--quiet",
                       "--no-report")
    assert result.exit_code == 3
    assert result.stderr == (
        f"reuse: error: {folder}/g1pB_taska.txt: line 1, column 77: invalid UTF-8 (byte 0x92) "
        "(use --on-error skip to skip such records)\n")
    out = tmp_path / "skip"
    result = reuse_cli("run", str(folder), "--out", str(out), "--quiet", "--no-report",
                       "--on-error", "skip")
    assert result.exit_code == 0
    counts = read_manifest(out)["counts"]
    assert (counts["read"], counts["skipped"], counts["compared"] + counts["too_short"]) == (
        100, 17, 83)
    skipped = read_table(out, "skipped")
    assert list(skipped["reason"]) == ["invalid_utf8"] * 17
    assert all(detail.startswith("line ") and "invalid UTF-8 (byte 0x" in detail
               for detail in skipped["detail"])
    documents = read_table(out, "documents")
    read_ids = set(documents["doc_id"])
    txt_names = {p.name for p in folder.glob("*.txt")}
    assert read_ids | {Path(o).name for o in skipped["origin"]} == txt_names
    assert not read_ids & {Path(o).name for o in skipped["origin"]}


def test_a_single_20_mb_line_runs_in_bounded_time_and_memory(tmp_path):
    # 100 MB is measured in benchmarks/bench_limits.py; 20 MB keeps the suite fast.
    vocabulary = np.array([f"w{k}" for k in range(20_000)])
    words = vocabulary[np.random.default_rng(5).integers(0, len(vocabulary), 3_400_000)]
    text = " ".join(words.tolist())[:20_000_000]
    folder = tmp_path / "huge"
    folder.mkdir()
    (folder / "huge.txt").write_text(text, encoding="utf-8")
    (folder / "excerpt.txt").write_text("Excerpt: " + text[1000:4000], encoding="utf-8")
    del words
    out = tmp_path / "run"
    result = reuse_cli("run", str(folder), "--out", str(out), "--quiet", "--no-report")
    assert result.exit_code == 0
    counts = read_manifest(out)["counts"]
    assert (counts["read"], counts["compared"], counts["skipped"]) == (2, 2, 0)
    assert read_table(out, "documents").set_index("doc_id").loc["huge.txt", "n_chars"] == len(text)
    alignments = read_table(out, "alignments")
    assert len(alignments) >= 1
    for row in alignments.itertuples():
        assert 0 <= row.a_start < row.a_end and 0 <= row.b_start < row.b_end
        huge_span = (row.b_start, row.b_end) if row.b_id == "huge.txt" else (row.a_start, row.a_end)
        # The excerpt is text[1000:4000]; a cut word at either end may not match.
        assert 990 <= huge_span[0] < huge_span[1] <= 4000
        assert huge_span[1] - huge_span[0] > 2900

