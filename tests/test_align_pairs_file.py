"""`reuse align --pairs`: each pair aligned once, self-pairs and unreadable files refused."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from reuse.cli.commands import main

A = "000_81ea45a633cdc37b.txt"
B = "001_1d9123d4398d72ce.txt"


def _invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_pair_listed_again_in_either_order_is_aligned_once(seeds_dir, tmp_path):
    once, repeated = tmp_path / "once.txt", tmp_path / "repeated.txt"
    once.write_text(f"{A} {B}\n", encoding="utf-8")
    repeated.write_text(f"{A} {B}\n{A} {B}\n{B} {A}\n", encoding="utf-8")
    for pairs in (once, repeated):
        result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out",
                         str(tmp_path / pairs.stem))
        assert result.exit_code == 0, result.output
    expected = pd.read_parquet(tmp_path / "once" / "alignments.parquet")
    got = pd.read_parquet(tmp_path / "repeated" / "alignments.parquet")
    assert len(expected) >= 1
    pd.testing.assert_frame_equal(got, expected)
    rows = dict(line.strip().rsplit(None, 1) for line in result.stdout.splitlines()[1:])
    assert rows["pairs given"] == "3"
    assert rows["pairs listed again"] == "2"
    counts = json.loads((tmp_path / "repeated" / "manifest.json").read_text())["counts"]
    assert (counts["pairs_given"], counts["duplicate_pairs"]) == (3, 2)


def test_a_document_paired_with_itself_is_an_error(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(f"{A} {B}\n{A} {A}\n", encoding="utf-8")
    result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert result.stderr == (
        f"reuse: error: {pairs}: line 2: document {A!r} is paired with itself; list pairs of two "
        "different documents\n")


def test_a_pairs_file_that_is_not_utf8_is_a_named_error(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_bytes(f"{A} {B}\n".encode() + b"\xff\n")
    result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert result.stderr == f"reuse: error: {pairs}: line 2, column 1: invalid UTF-8 (byte 0xff)\n"


def test_an_unreadable_pairs_table_is_a_named_error(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.parquet"
    pairs.write_bytes(b"not parquet at all")
    result = _invoke("align", str(seeds_dir), "--pairs", str(pairs), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"reuse: error: {pairs}: cannot read the pairs table (")


def test_a_pairs_path_that_is_a_folder_is_a_named_error(seeds_dir, tmp_path):
    result = _invoke("align", str(seeds_dir), "--pairs", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert result.stderr == (
        f"reuse: error: {tmp_path}: not a file; --pairs names a file of document pairs\n")
