"""Same input, configuration and seed → byte-identical tables.

Across processes, across ``PYTHONHASHSEED`` values, and whatever order the ``.txt`` files were
created in or whatever their modification times. (For JSONL the order of records is data, so
only the folder case is order-free.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SEEDS

from reuse.cli.commands import main
from reuse.runfolder.tables import read_manifest, read_table


def corpus_files() -> dict[str, bytes]:
    """The seeds, an edited copy of each (near-duplicates and shared passages), a document
    in a subfolder, a too-short one and one that is skipped for invalid UTF-8."""
    files = {}
    for k, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        text = path.read_text(encoding="utf-8")
        files[path.name] = text.encode()
        words = text.split(" ")
        words[10 + k] = "CHANGED"
        files[f"copies/{k}-edited.txt"] = " ".join(words[: len(words) - 3 * k]).encode()
    files["tiny.txt"] = b"too short"
    files["zz-latin1.txt"] = "na\u00efve caf\u00e9".encode("latin-1")
    return files


def write_corpus(folder: Path, files: dict[str, bytes], order: list[str]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for step, name in enumerate(order):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name])
        os.utime(path, (1_600_000_000 + 1000 * step, 1_600_000_000 + 1000 * step))


def run_in_process(source: Path, out: Path, fmt: str, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    command = [sys.executable, "-c", "from reuse.cli.commands import main; main()",
               "run", str(source), "--out", str(out), "--format", fmt,
               "--quiet", "--no-report", "--on-error", "skip", "--threshold", "0.7", "--seed", "7"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def table_bytes(out: Path) -> dict[str, bytes]:
    manifest = read_manifest(out)
    return {name: (out / filename).read_bytes() for name, filename in manifest["tables"].items()}


def stable_manifest(out: Path) -> dict:
    manifest = read_manifest(out)
    del manifest["timings"]
    return manifest


def test_tables_are_byte_identical_across_processes_hash_seeds_and_file_order(tmp_path):
    files = corpus_files()
    source = tmp_path / "corpus"
    write_corpus(source, files, sorted(files))
    run_in_process(source, tmp_path / "first", "parquet", "0")
    # The same folder, its files created in the opposite order with opposite mtimes.
    write_corpus(source, files, sorted(files, reverse=True))
    run_in_process(source, tmp_path / "second", "parquet", "4242")

    first, second = table_bytes(tmp_path / "first"), table_bytes(tmp_path / "second")
    assert set(first) == {"documents", "near_duplicates", "clusters", "skipped", "alignments",
                          "passages", "signatures"}
    assert first == second
    assert stable_manifest(tmp_path / "first") == stable_manifest(tmp_path / "second")
    # The comparison above is over tables with content, not over empty files.
    counts = read_manifest(tmp_path / "first")["counts"]
    assert counts["skipped"] == 1 and counts["too_short"] == 1
    assert counts["near_duplicate_pairs"] >= 3 and counts["alignments"] >= 10
    documents = read_table(tmp_path / "first", "documents")
    assert list(documents["doc_id"]) == sorted(n for n in files if n != "zz-latin1.txt")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_text_tables_are_byte_identical_whatever_the_file_order(fmt, tmp_path):
    files = corpus_files()
    source = tmp_path / "corpus"
    outputs = []
    for k, order in enumerate((sorted(files), sorted(files, reverse=True))):
        write_corpus(source, files, order)
        out = tmp_path / f"run{k}"
        result = CliRunner().invoke(main, [
            "run", str(source), "--out", str(out), "--format", fmt, "--quiet", "--no-report",
            "--on-error", "skip", "--threshold", "0.7", "--seed", "7"])
        assert result.exit_code == 0, result.stderr
        outputs.append(table_bytes(out))
    assert outputs[0] == outputs[1]
    assert outputs[0]["alignments"].decode().count("\n") >= 10


def test_a_different_seed_changes_the_signatures_but_not_the_accounting(tmp_path):
    files = corpus_files()
    source = tmp_path / "corpus"
    write_corpus(source, files, sorted(files))
    counts = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        result = CliRunner().invoke(main, [
            "run", str(source), "--out", str(out), "--quiet", "--no-report",
            "--on-error", "skip", "--seed", seed])
        assert result.exit_code == 0, result.stderr
        manifest = read_manifest(out)
        assert manifest["config"]["dedup"]["seed"] == int(seed)
        counts.append({k: manifest["counts"][k] for k in ("read", "compared", "too_short",
                                                          "skipped")})
    assert counts[0] == counts[1] == {"read": 12, "compared": 10, "too_short": 1, "skipped": 1}
