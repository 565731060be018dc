"""`reuse dedup`: exact output, exit codes, run folder contents, and one real subprocess run."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT
from near_dup_corpus import make_corpus

import reuse
from reuse.cli.commands import main
from reuse.ingest import read_corpus
from reuse.runfolder.schema import TABLES

SUMMARY_LABELS = [
    "documents read", "  compared", "  too short to compare", "  skipped (bad records)",
    "near-duplicate candidates", "crowded LSH buckets", "near-duplicate pairs",
    "near-duplicate clusters", "documents to drop", "seconds (wall clock)", "  start-up",
    "  ingest", "  sketch", "  candidates", "  verify", "  cluster", "  write", "  other",
]


@pytest.fixture(scope="module")
def corpus_jsonl(tmp_path_factory) -> Path:
    """60 synthetic documents (12 edited copies), one bad line and one empty document."""
    corpus = make_corpus(n_docs=60, n_copies=12, seed=5)
    path = tmp_path_factory.mktemp("cli") / "docs.jsonl"
    lines = [
        json.dumps({"id": doc_id, "text": text, "source": f"s{k % 3}"}, ensure_ascii=False)
        for k, (doc_id, text) in enumerate(zip(corpus.ids, corpus.texts, strict=True))
    ]
    lines.insert(10, '{"id": "broken", "text": ')
    lines.append(json.dumps({"id": "empty", "text": ""}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args: str):
    return CliRunner().invoke(main, ["dedup", *args], catch_exceptions=False)


def _summary_rows(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    rows = {}
    for line in lines[1:]:
        label, value = re.fullmatch(r"  (.+?)\s{2,}(\S+)", line).groups()
        rows[label.strip()] = value
    return rows


def test_seeds_summary_is_exact(seeds_dir, tmp_path):
    out = tmp_path / "run"
    # Exact verification: 002 and 003 are the only pair with Jaccard >= 0.3 (0.345; the others
    # are 0.26-0.29), which estimates of 128 values cannot separate reliably.
    result = _run(str(seeds_dir), "--out", str(out), "--threshold", "0.3", "--verify", "exact")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"reuse dedup → {out}"
    assert lines[1:10] == [
        "  documents read             5",
        "    compared                 5",
        "    too short to compare     0",
        "    skipped (bad records)    0",
        "  near-duplicate candidates  6",
        "  crowded LSH buckets        0",
        "  near-duplicate pairs       1",
        "  near-duplicate clusters    4",
        "  documents to drop          1",
    ]
    assert re.fullmatch(r"  seconds \(wall clock\)       \d+\.\d\d", lines[10])
    assert [line.split()[0] for line in lines[11:]] == [
        "start-up", "ingest", "sketch", "candidates", "verify", "cluster", "write", "other"]
    assert result.stderr == ""


def test_quiet_prints_nothing(seeds_dir, tmp_path):
    result = _run(str(seeds_dir), "--out", str(tmp_path / "run"), "--quiet")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert (tmp_path / "run" / "manifest.json").exists()


def test_bad_record_is_an_input_error_with_exit_code_3(corpus_jsonl, tmp_path):
    result = _run(str(corpus_jsonl), "--out", str(tmp_path / "run"))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        f"reuse: error: {corpus_jsonl}:11: malformed JSON (Expecting value at column 26) "
        "(use --on-error skip to skip such records)\n"
    )
    assert not (tmp_path / "run" / "manifest.json").exists()


def test_missing_input_exit_code_3(tmp_path):
    result = _run(str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "run"))
    assert result.exit_code == 3
    assert result.stderr == f"reuse: error: {tmp_path / 'absent.jsonl'}: no such file or folder\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "1.5"],
         "The 'threshold' parameter of dedup must be a float in [0.0, 1.0]. Got 1.5 instead."),
        (["--num-perm", "1"],
         "The 'num_perm' parameter of dedup must be an int in [2, 4096]. Got 1 instead."),
        (["--ngram", "0"],
         "The 'ngram' parameter of dedup must be an int in [1, 64]. Got 0 instead."),
        (["--seed", "-3"],
         "The 'seed' parameter of dedup must be an int in [0, 4294967295]. Got -3 instead."),
    ],
)
def test_bad_parameters_are_config_errors_with_exit_code_2(seeds_dir, tmp_path, args, message):
    result = _run(str(seeds_dir), "--out", str(tmp_path / "run"), *args)
    assert result.exit_code == 2
    assert result.stderr == f"reuse: error: {message}\n"
    assert result.stdout == ""


def test_click_usage_error_exit_code(seeds_dir, tmp_path):
    result = _run(str(seeds_dir), "--out", str(tmp_path / "run"), "--verify", "maybe")
    assert result.exit_code == 2
    assert "Invalid value for '--verify'" in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_formats_and_manifest(corpus_jsonl, tmp_path, fmt):
    out = tmp_path / "run"
    result = _run(
        str(corpus_jsonl), "--out", str(out), "--format", fmt, "--on-error", "skip",
        "--threshold", "0.5", "--quiet",
    )
    assert result.exit_code == 0, result.output
    names = ["documents", "near_duplicates", "clusters", "skipped"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.{fmt}" for n in names] + ["signatures.parquet", "manifest.json", ".reuse-run"]
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == "1"
    assert manifest["reuse_version"] == reuse.__version__
    assert manifest["command"] == "dedup"
    assert manifest["tables"] == {**{n: f"{n}.{fmt}" for n in names},
                                  "signatures": "signatures.parquet"}
    assert manifest["config"]["dedup"] == {
        "threshold": 0.5, "num_perm": 128, "ngram": 5, "seed": 1, "verify": "estimate",
        "min_tokens": 0, "false_positive_weight": 0.5, "false_negative_weight": 0.5,
        "max_bucket": 1000,
    }
    assert manifest["config"]["tokenize"] == {"strip_diacritics": False}
    assert manifest["input"] == {
        "path": str(corpus_jsonl), "format": "jsonl", "id_field": "id", "text_field": "text",
        "quoting": None, "max_doc_chars": 100_000_000, "encoding": "utf-8", "on_error": "skip",
        "fingerprint": "sha256:" + read_corpus(corpus_jsonl, on_error="skip").fingerprint(),
        "order_fingerprint":
            "sha256:" + read_corpus(corpus_jsonl, on_error="skip").order_fingerprint(),
        "fingerprint_covers": manifest["input"]["fingerprint_covers"],
    }
    counts = manifest["counts"]
    assert counts["read"] == 62
    assert (counts["compared"], counts["too_short"], counts["skipped"]) == (60, 1, 1)
    assert counts["read"] == counts["compared"] + counts["too_short"] + counts["skipped"]
    assert (counts["candidate_pairs"], counts["near_duplicate_pairs"]) == (7, 6)
    assert (counts["clusters"], counts["dropped"]) == (55, 6)
    assert set(manifest["timings"]) >= {"ingest", "sketch", "candidates", "verify", "cluster"}

    tables = {n: _read(out / f"{n}.{fmt}", fmt) for n in names}
    for name, frame in tables.items():
        assert frame.columns.tolist() == list(TABLES[name]), name
    assert len(tables["documents"]) == len(tables["clusters"]) == 61
    pairs = tables["near_duplicates"][["a_id", "b_id"]].to_numpy().tolist()
    # The planted copies (tests/near_dup_corpus.py) whose estimate reaches the threshold and
    # that share an LSH bucket (doc0005-doc0058, estimate 0.55, collides in no band).
    assert pairs == [
        ["doc0013", "doc0056"], ["doc0021", "doc0049"],
        ["doc0031", "doc0057"], ["doc0040", "doc0050"], ["doc0042", "doc0048"],
        ["doc0043", "doc0051"],
    ]
    assert tables["skipped"]["origin"].tolist() == [f"{corpus_jsonl}:11"]
    assert tables["skipped"]["reason"].tolist() == ["malformed_json"]
    assert int(tables["clusters"]["keep"].astype(str).isin(["True", "true"]).sum()) == (
        counts["clusters"]
    )


def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        return pd.DataFrame(rows[1:], columns=rows[0])
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    columns = list(records[0]) if records else []
    return pd.DataFrame(records, columns=columns or None)


def test_jsonl_tables_use_null_for_missing_exact_jaccard(corpus_jsonl, tmp_path):
    out = tmp_path / "run"
    _run(str(corpus_jsonl), "--out", str(out), "--format", "jsonl", "--on-error", "skip",
         "--threshold", "0.5", "--quiet")
    first = json.loads((out / "near_duplicates.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == ["a_id", "b_id", "jaccard_estimate", "jaccard"]
    assert first["jaccard"] is None
    assert 0.5 <= first["jaccard_estimate"] <= 1.0


@pytest.mark.parametrize("kept_name", ["kept.jsonl", "kept.jsonl.gz"])
def test_write_kept_writes_the_deduplicated_corpus(corpus_jsonl, tmp_path, kept_name):
    out, kept = tmp_path / "run", tmp_path / kept_name
    result = _run(
        str(corpus_jsonl), "--out", str(out), "--on-error", "skip", "--threshold", "0.5",
        "--verify", "exact", "--write-kept", str(kept), "--quiet",
    )
    assert result.exit_code == 0, result.output
    clusters = pd.read_parquet(out / "clusters.parquet")
    kept_corpus = read_corpus(kept)
    assert kept_corpus.ids == clusters.loc[clusters["keep"], "doc_id"].tolist()
    original = read_corpus(corpus_jsonl, on_error="skip")
    by_id = dict(zip(original.ids, original.texts, strict=True))
    assert kept_corpus.texts == [by_id[i] for i in kept_corpus.ids]
    assert kept_corpus.metadata[0] == {"source": "s0"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["kept_written"] == len(kept_corpus.ids) == 61 - (
        manifest["counts"]["dropped"]
    )
    assert manifest["counts"]["dropped"] > 0


def test_write_kept_txt_folder(seeds_dir, tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "copy_of_000.txt").write_text(texts[sorted(texts)[0]], encoding="utf-8")
    result = _run(str(folder), "--out", str(tmp_path / "run"), "--write-kept",
                  str(tmp_path / "kept"), "--quiet")
    assert result.exit_code == 0, result.output
    kept = sorted(p.name for p in (tmp_path / "kept").iterdir())
    # The copy has the same length and date (none), so the first seen of the two is kept.
    assert kept == sorted(texts)


def test_real_subprocess_run(seeds_dir, tmp_path):
    executable = ROOT / ".venv" / "bin" / "reuse"
    if not executable.exists():
        pytest.skip("needs the project's virtualenv at .venv")
    out = tmp_path / "run"
    done = subprocess.run(
        [str(executable), "dedup", str(seeds_dir), "--out", str(out), "--threshold", "0.3",
         "--format", "csv"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"reuse dedup → {out}"
    assert [re.split(r"\s{2,}", line.strip())[0] for line in lines[1:]] == [
        label.strip() for label in SUMMARY_LABELS
    ]
    assert _summary_rows(done.stdout)["documents read"] == "5"
    assert (out / "documents.csv").read_text(encoding="utf-8").splitlines()[0] == (
        '"doc_id","n_chars","n_tokens","status"'
    )
    bad = subprocess.run(
        [str(executable), "dedup", str(seeds_dir), "--out", str(out), "--threshold", "1.5"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == (
        "reuse: error: The 'threshold' parameter of dedup must be a float in [0.0, 1.0]. "
        "Got 1.5 instead.\n"
    )


def test_summary_counts_skipped_and_too_short(corpus_jsonl, tmp_path):
    out = tmp_path / "run"
    result = _run(str(corpus_jsonl), "--out", str(out), "--on-error", "skip", "--threshold", "0.5")
    assert result.exit_code == 0, result.output
    rows = _summary_rows(result.stdout)
    assert list(rows) == [label.strip() for label in SUMMARY_LABELS]
    assert [rows[label.strip()] for label in SUMMARY_LABELS[:9]] == [
        "62", "60", "1", "1", "7", "0", "6", "55", "6",
    ]


def test_unwritable_out_and_write_kept_are_reuse_errors(seeds_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = _run(str(seeds_dir), "--out", str(blocker / "run"))
    assert result.exit_code == 4
    assert result.stderr == (
        f"reuse: error: {blocker / 'run'}: cannot create the run folder (Not a directory); "
        "choose another --out\n"
    )
    result = _run(str(seeds_dir), "--out", str(tmp_path / "run"), "--write-kept",
                  str(blocker / "kept"), "--quiet")
    assert result.exit_code == 1
    assert result.stderr == (
        f"reuse: error: {blocker / 'kept'}: cannot write the kept documents (Not a directory); "
        "choose another --write-kept path\n"
    )
    assert not (tmp_path / "run" / "manifest.json").exists()
