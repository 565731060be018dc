"""reuse rerun: a run repeated exactly from its manifest, which records every option that
changes results and the absolute input location. Issue 16, item 9."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

import reuse
from reuse.cli.commands import main
from reuse.runfolder.tables import read_manifest

SENTENCE = ("the committee said that its members would meet again next week to discuss the "
            "report on the harbour and the new road along the river and the old mill")
WORDS = SENTENCE.split()


def text(seed: int, n: int = 150, change: int | None = None) -> str:
    words = [WORDS[(seed * 7 + k * 3 + k * k) % len(WORDS)] + str(k % 13) for k in range(n)]
    if change is not None:
        words[change] = "CHANGED"
    return " ".join(words)


def cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def corpus(tmp_path):
    """Near-duplicates, a shared passage, a windows-1252 file, a file that is not text, and a
    metadata file with dates and sources."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(text(1), encoding="utf-8")
    (docs / "b.txt").write_text(text(1, change=60), encoding="utf-8")
    (docs / "c.txt").write_text(text(5) + " " + text(1)[:400], encoding="utf-8")
    (docs / "d.txt").write_bytes(("It\u2019s " + text(9)).encode("cp1252"))
    (docs / "e.txt").write_bytes(b"binary\x00file")
    meta = tmp_path / "meta.csv"
    meta.write_text("id,published,source\na.txt,2001,herald\nb.txt,1999,courier\n"
                    "c.txt,2003,herald\nd.txt,2002,courier\n", encoding="utf-8")
    return docs, meta


OPTIONS = ("--threshold", "0.6", "--window", "8", "--on-error", "skip", "--encoding", "auto",
           "--date-field", "published", "--format", "csv", "--group-by", "source",
           "--max-matrix-docs", "3", "--min-length", "12", "--boilerplate-docs", "3")


def outputs(folder) -> dict[str, str]:
    """SHA-256 of every table, matrix and heatmap of a run folder."""
    manifest = read_manifest(folder)
    names = [*manifest["tables"].values()]
    names += [n for n in ("matrix.csv", "group_matrix.csv") if (folder / n).exists()]
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}


def stable(manifest: dict) -> dict:
    manifest = json.loads(json.dumps(manifest))
    del manifest["timings"]
    if manifest.get("report"):
        del manifest["report"]["seconds"], manifest["report"]["timings"]
    return manifest


def test_rerun_gives_byte_identical_tables(corpus, tmp_path):
    docs, meta = corpus
    first, second = tmp_path / "first", tmp_path / "second"
    result = cli("run", docs, "--out", first, "--quiet", "--metadata-file", meta, *OPTIONS)
    assert result.exit_code == 0, result.output
    manifest = read_manifest(first)
    assert manifest["counts"]["skipped"] == 1 and manifest["counts"]["decoded_with_fallback"] == 1
    assert manifest["counts"]["alignments"] > 0
    result = cli("rerun", first, "--out", second)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"reuse rerun (run) → {second}"
    assert outputs(second) == outputs(first)
    assert stable(read_manifest(second)) == stable(manifest)
    assert (second / "html" / "index.html").exists()


def test_the_manifest_records_every_option(corpus, tmp_path):
    docs, meta = corpus
    out = tmp_path / "run"
    assert cli("run", docs, "--out", out, "--quiet", "--metadata-file", meta,
               *OPTIONS).exit_code == 0
    manifest = read_manifest(out)
    options = manifest["options"]
    assert {k: options[k] for k in ("threshold", "window", "date_field", "min_length",
                                    "boilerplate_docs", "format")} == {
        "threshold": 0.6, "window": 8, "date_field": "published", "min_length": 12,
        "boilerplate_docs": 3, "format": "csv"}
    assert options["report"] == {"render": True, "group_by": "source", "max_matrix_docs": 3,
                                 "max_list_rows": 100_000, "max_pair_pages": 50}
    spec = manifest["input"]
    assert {k: spec[k] for k in ("path", "on_error", "encoding", "metadata_file",
                                 "max_doc_chars", "quoting")} == {
        "path": str(docs), "on_error": "skip", "encoding": "auto", "metadata_file": str(meta),
        "max_doc_chars": 100_000_000, "quoting": None}
    assert "metadata" in spec["fingerprint_covers"]


def test_a_relative_input_is_recorded_as_an_absolute_path(corpus, tmp_path, monkeypatch):
    docs, _ = corpus
    monkeypatch.chdir(tmp_path)
    assert cli("dedup", "docs", "--out", "run", "--quiet", "--on-error", "skip").exit_code == 0
    assert read_manifest(tmp_path / "run")["input"]["path"] == str(docs)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("rerun", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.stderr


def test_rerun_in_place_and_of_dedup_and_align(corpus, tmp_path):
    docs, _ = corpus
    dedup_run = tmp_path / "dedup"
    assert cli("dedup", docs, "--out", dedup_run, "-q", "--on-error", "skip",
               "--encoding", "auto", "--threshold", "0.6", "--format", "jsonl").exit_code == 0
    before = outputs(dedup_run)
    result = cli("rerun", dedup_run, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert outputs(dedup_run) == before
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("a.txt c.txt\nb.txt c.txt\n", encoding="utf-8")
    align_run = tmp_path / "align"
    assert cli("align", docs, "--pairs", pairs, "--out", align_run, "-q", "--on-error",
               "skip", "--min-length", "10").exit_code == 0
    spec = read_manifest(align_run)["input"]
    assert spec["pairs_file"] == str(pairs)
    assert spec["pairs_fingerprint"] == "sha256:" + hashlib.sha256(pairs.read_bytes()).hexdigest()
    result = reuse.rerun(align_run, out=tmp_path / "align2")
    assert result.counts["alignments"] > 0
    assert outputs(tmp_path / "align2") == outputs(align_run)
    pairs.write_text("a.txt c.txt\n", encoding="utf-8")
    result = cli("rerun", align_run, "--out", tmp_path / "align3", "--quiet")
    assert result.exit_code == 4
    assert result.stderr == (
        f"reuse: error: {align_run / 'manifest.json'}: the pairs file {pairs} is missing or "
        "changed since the run; rerun repeats a run on the same input.\n")


def test_rerun_refuses_a_changed_input(corpus, tmp_path):
    docs, _ = corpus
    out = tmp_path / "run"
    assert cli("dedup", docs, "--out", out, "-q", "--on-error", "skip").exit_code == 0
    fingerprint = read_manifest(out)["input"]["fingerprint"]
    (docs / "a.txt").write_text(text(2), encoding="utf-8")
    result = cli("rerun", out, "--out", tmp_path / "again")
    assert result.exit_code == 4
    assert result.stderr.startswith(
        f"reuse: error: {out / 'manifest.json'}: the input {docs} changed since the run "
        "(fingerprint sha256:")
    assert result.stderr.endswith(
        f", the run saw {fingerprint}); rerun repeats a run on the same input. Run the command "
        "again to analyse the current input.\n")
    assert not (tmp_path / "again" / "manifest.json").exists()


def test_rerun_refuses_a_manifest_without_options(corpus, tmp_path):
    docs, _ = corpus
    out = tmp_path / "run"
    assert cli("dedup", docs, "--out", out, "-q", "--on-error", "skip").exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["options"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = cli("rerun", out, "--out", tmp_path / "again")
    assert (result.exit_code, result.stderr) == (4, (
        f"reuse: error: {out / 'manifest.json'}: the manifest records no 'options' (it was "
        "written by an earlier version of reuse), so the run cannot be repeated exactly; run "
        "the command again.\n"))
    manifest["options"] = {"threshold": 0.5, "colour": "blue"}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = cli("rerun", out, "--out", tmp_path / "again")
    assert (result.exit_code, result.stderr) == (4, (
        f"reuse: error: {out / 'manifest.json'}: options.colour is no parameter of reuse "
        "dedup; the manifest was changed or written by another version of reuse.\n"))


def test_rerun_repeats_the_report_as_last_rendered(corpus, tmp_path):
    docs, _ = corpus
    out = tmp_path / "run"
    assert cli("run", docs, "--out", out, "-q", "--on-error", "skip", "--no-report").exit_code == 0
    assert read_manifest(out)["options"]["report"]["render"] is False
    shutil.copytree(out, tmp_path / "copy")
    assert cli("rerun", tmp_path / "copy", "-q").exit_code == 0
    assert read_manifest(tmp_path / "copy")["report"] is None
    assert cli("report", out, "--max-matrix-docs", "2").exit_code == 0
    assert cli("rerun", out, "--out", tmp_path / "again", "-q").exit_code == 0
    report = read_manifest(tmp_path / "again")["report"]
    assert report["max_matrix_docs"] == 2


def test_rerun_refuses_an_input_whose_records_were_reordered(tmp_path):
    records = [{"id": f"d{i}", "text": text(i)} for i in range(4)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "run"
    assert cli("dedup", source, "--out", out, "-q").exit_code == 0
    source.write_text("".join(json.dumps(r) + "\n" for r in reversed(records)), encoding="utf-8")
    result = cli("rerun", out, "--out", tmp_path / "again")
    assert result.exit_code == 4
    assert result.stderr == (
        f"reuse: error: {out / 'manifest.json'}: the records of the input {source} are in another "
        "order than in the run, and the tables follow the input's order; rerun repeats a run on "
        "the same input. Run the command again to analyse the current input.\n")
