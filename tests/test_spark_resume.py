"""Stage checkpoints and ``--resume`` on the Spark engine: a run that failed resumes from its
last complete stage with the tables of a whole run; a run resumes only its own engine's
checkpoints; with ``--spark-dir`` the stages go into a folder reuse made there (with its
marker), and nothing else there is ever removed.

The failure is simulated in the process (a stage function that raises), on small corpora, with
the Spark session of conftest's ``spark`` fixture.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SEEDS
from near_dup_corpus import make_corpus
from test_spark import assert_same_frames

import reuse
import reuse.pipeline
import reuse.spark.dedup
import reuse.spark.passages
from reuse.cli.commands import main
from reuse.errors import ConfigError, RunFolderError
from reuse.ingest import Corpus
from reuse.pipeline import write_run
from reuse.runfolder import folder as runfolder
from reuse.runfolder.checkpoints import STAGE_ROOT_MARKER, STAGE_ROOT_PREFIX, StageLedger
from reuse.runfolder.tables import read_manifest, read_table


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, [*args, "-q"])


def ledger_of(out: Path) -> dict:
    return json.loads((out / "checkpoints" / "stages.json").read_text(encoding="utf-8"))


def fail(what: str):
    def raising(*args: object, **kwargs: object) -> None:
        raise RuntimeError(what)

    return raising


@pytest.mark.spark
def test_dedup_resumed_after_a_failure_gives_the_tables_of_a_whole_run(spark, tmp_path,
                                                                      monkeypatch):
    """A Spark dedup that fails in its cluster stage leaves the stages before it in a stage
    root under spark_dir; a resume reads them back (running any of them again would fail here)
    and gives the tables of an uninterrupted run (the local engine's, which equal Spark's:
    test_spark); writing the run folder removes the stage root, and nothing else under
    spark_dir. (The passage stages of ``run`` resume the same way: bench_resume.py --engine
    spark checks them on 2k documents; a Spark ``run`` here would take a minute.)"""
    planted = make_corpus(n_docs=40, n_copies=12, seed=5)
    corpus = Corpus(ids=planted.ids, texts=planted.texts)
    local, out, spark_dir = tmp_path / "local", tmp_path / "out", tmp_path / "shared"
    write_run(reuse.dedup(corpus, workers=1), local)
    foreign = spark_dir / "notes.txt"
    look_alike = spark_dir / f"{STAGE_ROOT_PREFIX}000000000000"  # no marker: not reuse's
    look_alike.mkdir(parents=True)
    (look_alike / "data.parquet").write_bytes(b"not reuse's")
    foreign.write_text("the user's", encoding="utf-8")
    options = {"engine": "spark", "checkpoint": out, "spark_dir": spark_dir}

    with monkeypatch.context() as patched:
        patched.setattr(reuse.spark.dedup, "star_representatives",
                        fail("simulated failure in cluster"))
        with pytest.raises(RuntimeError, match="simulated failure in cluster"):
            reuse.dedup(corpus, **options)
    ledger = ledger_of(out)
    assert ledger["engine"] == "spark"
    assert [stage["name"] for stage in ledger["stages"]] == [
        "input", "sketch", "candidates", "verify"]
    root = Path(ledger["stage_root"])
    assert root.parent == spark_dir and root.name.startswith(STAGE_ROOT_PREFIX)
    assert (root / STAGE_ROOT_MARKER).is_file()
    sketch_files = ledger["stages"][1]["files"]
    assert any(name.startswith("sketch/part-") and name.endswith(".parquet")
               for name in sketch_files)
    assert all((root / name).stat().st_size == size for name, size in sketch_files.items())
    assert ledger["stages"][2]["values"]["capped_buckets"] == 0

    for module, name in ((reuse.spark.dedup, "stage_corpus"), (reuse.spark.dedup, "sketcher"),
                         (reuse.spark.dedup, "band_pairs"), (reuse.spark.dedup, "verifier")):
        monkeypatch.setattr(module, name, fail(f"{name} ran again on resume"))
    result = reuse.dedup(corpus, resume=True, **options)
    write_run(result, out)

    for name in ("documents", "near_duplicates", "clusters"):
        assert_same_frames(read_table(local, name), read_table(out, name))
    local_signatures, spark_signatures = (read_table(side, "signatures") for side in (local, out))
    assert all(np.array_equal(a, b) for a, b in zip(
        local_signatures["signature"], spark_signatures["signature"], strict=True))
    manifest = read_manifest(out)
    assert manifest["counts"] == read_manifest(local)["counts"]
    assert manifest["counts"]["near_duplicate_pairs"] > 0
    assert manifest["checkpoints"] == {"resumed_after": "verify", "kept": False}
    assert not root.exists() and not (out / "checkpoints").exists()
    assert foreign.read_text(encoding="utf-8") == "the user's"
    assert (look_alike / "data.parquet").read_bytes() == b"not reuse's"
    assert sorted(p.name for p in spark_dir.iterdir()) == sorted([look_alike.name, foreign.name])


def local_checkpoints(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local dedup of the seeds that failed in its cluster stage: its checkpoints in out."""
    with monkeypatch.context() as patched:
        patched.setattr(reuse.pipeline.near_duplicates, "star_clusters", fail("simulated failure in cluster"))
        result = invoke("dedup", str(SEEDS), "--out", str(out), "--workers", "1")
    assert isinstance(result.exception, RuntimeError), result.output
    assert [stage["name"] for stage in ledger_of(out)["stages"]] == [
        "sketch", "candidates", "verify"]


def spark_checkpoints(out: Path) -> None:
    """The ledger a Spark dedup of the seeds leaves once its input is recorded."""
    with runfolder.claim(out):
        StageLedger.start(out, "dedup", {"input": {"documents": 5}, "config": {}},
                          engine="spark")


def test_local_checkpoints_are_refused_by_a_spark_resume(tmp_path, monkeypatch):
    """Refused before any Spark starts (no session is needed to say so)."""
    out = tmp_path / "out"
    local_checkpoints(out, monkeypatch)
    result = invoke("dedup", str(SEEDS), "--out", str(out), "--engine", "spark", "--resume")
    assert result.exit_code == RunFolderError.exit_code
    assert result.output == (
        f"reuse: error: {out / 'checkpoints' / 'stages.json'}: cannot resume: the checkpoints "
        "were made by the local engine, this run is on the spark engine, which cannot read "
        "them. Resume with --engine local, or run without --resume to start over.\n")
    assert [stage["name"] for stage in ledger_of(out)["stages"]] == [
        "sketch", "candidates", "verify"]  # untouched: the local run can still resume them
    result = invoke("dedup", str(SEEDS), "--out", str(out), "--workers", "1", "--resume")
    assert result.exit_code == 0, result.output
    assert read_manifest(out)["checkpoints"]["resumed_after"] == "verify"


def test_spark_checkpoints_are_refused_by_a_local_resume(tmp_path):
    out = tmp_path / "out"
    spark_checkpoints(out)
    message = (f"{out / 'checkpoints' / 'stages.json'}: cannot resume: the checkpoints were made "
               "by the spark engine, this run is on the local engine, which cannot read them. "
               "Resume with --engine spark, or run without --resume to start over.")
    result = invoke("dedup", str(SEEDS), "--out", str(out), "--resume")
    assert result.exit_code == RunFolderError.exit_code
    assert result.output == f"reuse: error: {message}\n"
    with pytest.raises(RunFolderError, match=f"^{message.replace('.', '[.]')}$"):
        reuse.dedup(SEEDS, checkpoint=out, resume=True)


def test_spark_resume_without_checkpoints_is_refused(tmp_path):
    result = invoke("run", str(SEEDS), "--out", str(tmp_path / "out"), "--engine", "spark",
                    "--resume")
    assert result.exit_code == RunFolderError.exit_code
    assert "no checkpoints to resume from (no checkpoints/stages.json)" in result.output
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_stage_root_without_its_marker_is_never_removed(tmp_path):
    """A ledger naming a stage root that lacks reuse's marker (moved, or edited): starting over
    removes checkpoints/ only, and a resume is refused."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    ledger = StageLedger.start(out, "dedup", {"input": {}, "config": {}}, engine="spark",
                               stages_in=tmp_path / "shared")
    root = ledger.stage_path
    assert (root / STAGE_ROOT_MARKER).read_text(encoding="utf-8").startswith(
        "The stage checkpoints of a reuse run")
    elsewhere.mkdir()
    (elsewhere / "data.txt").write_text("keep", encoding="utf-8")
    ledger.body["stage_root"] = str(elsewhere)
    ledger.complete("input")  # rewrites the ledger, now naming the foreign folder
    with pytest.raises(RunFolderError, match=r"the stage root .*elsewhere it names is gone or "
                                             r"is not reuse's \(no \.reuse-checkpoints in it\)"):
        StageLedger.resume(out, "dedup", ledger.body["depends_on"], engine="spark")
    StageLedger.start(out, "dedup", {"input": {}, "config": {}}, engine="spark")
    assert (elsewhere / "data.txt").read_text(encoding="utf-8") == "keep"
    assert root.exists()  # the ledger no longer named it: not removed either


def test_a_spark_dir_uri_is_refused_before_spark_starts(tmp_path):
    """With checkpoints (the command line always keeps them), the stage root is made under
    --spark-dir by the driver: a URI is refused before anything is written."""
    result = invoke("dedup", str(SEEDS), "--out", str(tmp_path / "out"), "--engine", "spark",
                    "--spark-dir", "s3a://bucket/reuse-work")
    assert result.exit_code == ConfigError.exit_code
    assert ("reuse: error: The 'spark_dir' parameter must be a folder of the driver's file "
            "system that every executor reads too") in result.output
    assert not (tmp_path / "out" / "checkpoints").exists()
    assert not Path("s3a:").exists()
