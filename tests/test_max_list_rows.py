"""`--max-list-rows`: a list longer than it is split into parts, recorded, and replayed."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reuse.cli.commands import main


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _parts(folder, kind):
    return sorted(p.name for p in (folder / "html" / "lists").glob(f"{kind}-*.html"))


def test_lists_are_split_at_max_list_rows_and_a_rerun_keeps_the_bound(seeds_dir, tmp_path):
    whole, split, again = tmp_path / "whole", tmp_path / "split", tmp_path / "again"
    assert _invoke("run", seeds_dir, "--out", whole, "-q").exit_code == 0
    assert _parts(whole, "pairs") == ["pairs-1.html"]
    result = _invoke("run", seeds_dir, "--out", split, "--max-list-rows", 2, "-q")
    assert result.exit_code == 0, result.output
    assert _parts(split, "pairs") == ["pairs-1.html", "pairs-2.html", "pairs-3.html"]
    assert json.loads((split / "manifest.json").read_text())["report"]["max_list_rows"] == 2
    assert _invoke("rerun", split, "--out", again, "-q").exit_code == 0
    assert _parts(again, "pairs") == _parts(split, "pairs")


def test_max_list_rows_must_be_positive(seeds_dir, tmp_path):
    result = _invoke("report", tmp_path, "--max-list-rows", 0)
    assert result.exit_code == 2
    assert "Invalid value for '--max-list-rows': 0 is not in the range x>=1." in result.stderr
