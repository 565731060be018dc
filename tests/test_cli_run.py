"""`reuse run` and `reuse align`: exact messages, exit codes and run folders."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from reuse.cli.commands import main

A = "000_81ea45a633cdc37b.txt"
B = "001_1d9123d4398d72ce.txt"


def _invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_writes_every_table_and_reports_passages(seeds_dir, tmp_path):
    out = tmp_path / "run"
    result = _invoke("run", str(seeds_dir), "--out", str(out), "--no-report")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"reuse run → {out}"
    rows = dict(line.strip().rsplit(None, 1) for line in lines[1:])
    assert rows["documents read"] == "5"
    assert rows["passage clusters"] == "2"
    assert rows["boilerplate passage clusters"] == "1"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "run"
    assert set(manifest["tables"]) == {
        "documents", "near_duplicates", "clusters", "skipped", "alignments", "passages",
        "signatures"}
    assert manifest["config"]["passages"]["window"] == 10
    assert "min_length" in manifest["config"]["align"]
    passages = pd.read_parquet(out / "passages.parquet")
    assert passages.groupby("passage_id")["doc_id"].count().tolist() == [2, 4]


def test_align_pairs_file_aligns_only_those_pairs(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(f"# one pair\n{A} {B}\n", encoding="utf-8")
    out = tmp_path / "align"
    result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    alignments = pd.read_parquet(out / "alignments.parquet")
    assert set(zip(alignments["a_id"], alignments["b_id"], strict=True)) == {(A, B)}


def test_align_accepts_a_pairs_table(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"a_id": [A], "b_id": [B]}).to_csv(pairs, index=False)
    result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out", str(tmp_path / "o"),
                     "-q", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "alignments.jsonl").read_text().count("\n") == 1


def test_align_unknown_id_names_the_line(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(f"{A} {B}\n{A} nope.txt\n", encoding="utf-8")
    result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert result.stderr == f"reuse: error: {pairs}: line 2: unknown document id 'nope.txt'\n"
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_align_malformed_pairs_line(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(f"{A}\n", encoding="utf-8")
    result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert result.stderr == (
        f"reuse: error: {pairs}: line 1: expected two document ids, found 1\n")


def test_run_rejects_a_bad_passage_parameter(seeds_dir, tmp_path):
    result = _invoke("run", str(seeds_dir), "--out", str(tmp_path / "o"), "--window", "0")
    assert result.exit_code == 2
    assert result.stderr == ("reuse: error: The 'window' parameter of run must be an int "
                             "in [1, 10000]. Got 0 instead.\n")
