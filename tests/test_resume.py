"""Restartable runs: a ``reuse run`` or ``reuse dedup`` killed with SIGKILL continues with
``--resume`` from its last complete stage, and its tables are byte for byte those of a run
that was never interrupted, with one worker or two.

The runs are real processes. ``REUSE_TEST_DIE_AFTER=STAGE`` makes one kill itself right after
the stage ledger records STAGE complete (no timing races); one test kills a run at a random
moment instead.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from near_dup_corpus import make_corpus

import reuse
from reuse.errors import ConfigError, RunFolderError
from reuse.pipeline import write_run

RUN_STAGES = ("sketch", "candidates", "verify", "cluster", "passage_candidates", "align",
              "passages")
DEDUP_STAGES = RUN_STAGES[:4]  # the dedup's checkpoints
TABLE_SUFFIXES = (".parquet", ".jsonl", ".csv")


def reuse_process(*args: str, die_after: str | None = None) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment.pop("REUSE_TEST_DIE_AFTER", None)
    if die_after is not None:
        environment["REUSE_TEST_DIE_AFTER"] = die_after
    return subprocess.run([sys.executable, "-m", "reuse", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=600)


def tables_of(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())
            if path.suffix in TABLE_SUFFIXES}


def stages_recorded(folder: Path) -> list[str]:
    ledger = json.loads((folder / "checkpoints" / "stages.json").read_text())
    return [stage["name"] for stage in ledger["stages"]]


def assert_same_tables(expected: Path, actual: Path) -> None:
    want, got = tables_of(expected), tables_of(actual)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], f"{name} differs after the resumed run"


def synthetic_corpus(path: Path) -> Path:
    """Near-duplicates (edited copies) and reused passages (a stretch of one document quoted in
    another), as JSONL with dates."""
    corpus = make_corpus(n_docs=160, n_copies=30, seed=11)
    texts = list(corpus.texts)
    for k in range(0, 40, 2):
        source = texts[k + 41]
        quoted = source[len(source) // 4: len(source) // 4 + 400]
        texts[k] = f"{texts[k][:300]} {quoted} {texts[k][300:]}"
    with open(path, "w", encoding="utf-8") as handle:
        for i, (doc_id, text) in enumerate(zip(corpus.ids, texts, strict=True)):
            handle.write(json.dumps({"id": doc_id, "text": text,
                                     "date": f"19{10 + i % 80:02d}-01-01"}) + "\n")
    return path


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    return synthetic_corpus(tmp_path_factory.mktemp("corpus") / "corpus.jsonl")


RUN_SEEDS = ("run", str(ROOT / "seeds"), "--no-report", "--quiet", "--workers", "1")


def run_synthetic(corpus: Path) -> tuple[str, ...]:
    return ("run", str(corpus), "--no-report", "--quiet", "--workers", "2", "--verify",
            "exact", "--format", "jsonl")


def dedup_synthetic(corpus: Path) -> tuple[str, ...]:
    return ("dedup", str(corpus), "--quiet", "--workers", "2", "--verify", "exact",
            "--threshold", "0.5", "--format", "csv")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, corpus_file) -> dict[str, Path]:
    """The tables of uninterrupted runs, one folder per command line."""
    base = tmp_path_factory.mktemp("uninterrupted")
    folders = {}
    for name, args in (("seeds", RUN_SEEDS), ("run", run_synthetic(corpus_file)),
                       ("dedup", dedup_synthetic(corpus_file))):
        folders[name] = base / name
        done = reuse_process(*args, "--out", str(folders[name]))
        assert done.returncode == 0, done.stderr
        assert not (folders[name] / "checkpoints").exists()
    return folders


def kill_and_resume(args: tuple[str, ...], out: Path, stage: str) -> None:
    killed = reuse_process(*args, "--out", str(out), die_after=stage)
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists()
    assert stages_recorded(out)[-1] == stage
    resumed = reuse_process(*args, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert not (out / "checkpoints").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["checkpoints"] == {"resumed_after": stage, "kept": False}


@pytest.mark.parametrize("stage", RUN_STAGES)
def test_run_on_the_seeds_killed_after_each_stage_resumes_to_the_same_tables(
        stage, uninterrupted, tmp_path):
    kill_and_resume(RUN_SEEDS, tmp_path / "out", stage)
    assert_same_tables(uninterrupted["seeds"], tmp_path / "out")


# Every stage is killed after on the seeds (above); with two workers, a stage of each kind.
@pytest.mark.parametrize("stage", ["sketch", "verify", "align"])
def test_run_with_two_workers_and_exact_verification_resumes_to_the_same_tables(
        stage, uninterrupted, corpus_file, tmp_path):
    kill_and_resume(run_synthetic(corpus_file), tmp_path / "out", stage)
    assert_same_tables(uninterrupted["run"], tmp_path / "out")
    near = (tmp_path / "out" / "near_duplicates.jsonl").read_text().splitlines()
    passages = (tmp_path / "out" / "passages.jsonl").read_text().splitlines()
    assert len(near) >= 5 and len(passages) >= 20  # the corpus has both kinds of reuse


@pytest.mark.parametrize("stage", ["sketch", "candidates"])
def test_dedup_killed_after_each_stage_resumes_to_the_same_tables(
        stage, uninterrupted, corpus_file, tmp_path):
    kill_and_resume(dedup_synthetic(corpus_file), tmp_path / "out", stage)
    assert_same_tables(uninterrupted["dedup"], tmp_path / "out")


def test_a_run_killed_at_a_random_moment_resumes_to_the_same_tables(uninterrupted, corpus_file,
                                                                     tmp_path):
    out = tmp_path / "out"
    args = run_synthetic(corpus_file)
    environment = {k: v for k, v in os.environ.items() if k != "REUSE_TEST_DIE_AFTER"}
    started = time.monotonic()
    timed = reuse_process(*args, "--out", str(tmp_path / "timed"))
    assert timed.returncode == 0
    duration = time.monotonic() - started
    delay = random.Random(12).uniform(0.4, 0.9) * duration
    process = subprocess.Popen([sys.executable, "-m", "reuse", *args, "--out", str(out)],
                               cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if (out / "manifest.json").exists():  # it finished first: nothing left to resume
        finished = reuse_process(*args, "--out", str(out), "--resume")
        assert "the run is complete" in finished.stderr
    elif not (out / "checkpoints" / "stages.json").exists():  # killed while reading the input
        fresh = reuse_process(*args, "--out", str(out))
        assert fresh.returncode == 0, fresh.stderr
    else:
        resumed = reuse_process(*args, "--out", str(out), "--resume")
        if resumed.returncode == 4:  # killed while reading the input, sketching as it read
            assert resumed.stderr.endswith(
                "no checkpoints to resume from: the run stopped while reading its input, before "
                "its first stage was recorded. Run without --resume.\n"), resumed.stderr
            resumed = reuse_process(*args, "--out", str(out))
        assert resumed.returncode == 0, resumed.stderr
    assert_same_tables(uninterrupted["run"], out)


def test_resume_with_a_changed_input_is_refused_naming_it(tmp_path):
    source = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", source)
    out = tmp_path / "out"
    args = ("run", str(source), "--no-report", "--quiet", "--workers", "1", "--out", str(out))
    assert reuse_process(*args, die_after="verify").returncode == -signal.SIGKILL
    first = sorted(source.iterdir())[0]
    first.write_text(first.read_text() + " One more sentence.", encoding="utf-8")
    refused = reuse_process(*args, "--resume")
    assert refused.returncode == 4
    ledger = out / "checkpoints" / "stages.json"
    assert refused.stderr.startswith(
        f"reuse: error: {ledger}: cannot resume: the input changed since the checkpoints were "
        "made (now 5 documents, fingerprint sha256:")
    assert "; then 5 documents, fingerprint sha256:" in refused.stderr
    assert refused.stderr.endswith(
        "). Run without --resume to start over (the checkpoints are then replaced).\n")
    assert stages_recorded(out) == ["sketch", "candidates", "verify"]  # nothing was touched
    fresh = reuse_process(*args)
    assert fresh.returncode == 0 and not (out / "checkpoints").exists()


def test_resume_with_other_settings_is_refused_naming_the_setting(tmp_path):
    out = tmp_path / "out"
    args = ("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out", str(out))
    assert reuse_process(*args, die_after="candidates").returncode == -signal.SIGKILL
    refused = reuse_process(*args, "--threshold", "0.9", "--resume")
    assert refused.returncode == 4
    assert refused.stderr == (
        f"reuse: error: {out / 'checkpoints' / 'stages.json'}: cannot resume: the setting "
        "dedup.threshold is 0.9 in this run, and was 0.8 when the checkpoints were made. Run "
        "without --resume to start over (the checkpoints are then replaced).\n")
    other_command = reuse_process("run", *args[1:], "--no-report", "--resume")
    assert other_command.returncode == 4
    assert ("cannot resume: the checkpoints are of reuse dedup, this is reuse run. Run without "
            "--resume to start over.") in other_command.stderr


def test_resume_of_a_finished_run_or_of_nothing_is_refused(tmp_path):
    out = tmp_path / "out"
    args = ("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out", str(out))
    nothing = reuse_process(*args, "--resume")
    assert nothing.returncode == 4
    assert nothing.stderr == (
        f"reuse: error: {out}: no checkpoints to resume from (no checkpoints/stages.json); the "
        "run stopped before its first stage was recorded, or was not started. Run without "
        "--resume.\n")
    assert reuse_process(*args).returncode == 0
    before = tables_of(out)
    finished = reuse_process(*args, "--resume")
    assert finished.returncode == 4
    assert finished.stderr == (
        f"reuse: error: {out}: the run is complete (manifest.json is written); there is nothing "
        "to resume. Run without --resume to run it again.\n")
    assert tables_of(out) == before


def test_a_run_killed_while_its_input_was_read_is_not_resumed(tmp_path):
    # With two workers the sketching overlaps the reading: the ledger starts before the input is
    # read, and records the input only once it is.
    out = tmp_path / "out"
    args = ("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "2", "--out", str(out))
    killed = reuse_process(*args, die_after="start")
    assert killed.returncode == -signal.SIGKILL
    refused = reuse_process(*args, "--resume")
    assert refused.returncode == 4
    assert refused.stderr == (
        f"reuse: error: {out}: no checkpoints to resume from: the run stopped while reading its "
        "input, before its first stage was recorded. Run without --resume.\n")
    assert reuse_process(*args).returncode == 0
    assert not (out / "checkpoints").exists()


def test_keep_checkpoints_keeps_a_finished_ledger(tmp_path):
    out = tmp_path / "out"
    done = reuse_process("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out",
                         str(out), "--keep-checkpoints")
    assert done.returncode == 0
    ledger = json.loads((out / "checkpoints" / "stages.json").read_text())
    assert ledger["finished"] is True and ledger["command"] == "dedup"
    assert [stage["name"] for stage in ledger["stages"]] == list(DEDUP_STAGES)
    for stage in ledger["stages"]:
        for name, size in stage["files"].items():
            assert (out / "checkpoints" / name).stat().st_size == size
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["checkpoints"] == {"resumed_after": None, "kept": True}
    # A new run into the folder starts with fresh checkpoints, and removes them at the end.
    assert reuse_process("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out",
                         str(out)).returncode == 0
    assert not (out / "checkpoints").exists()


def test_a_damaged_checkpoint_is_refused_naming_the_file(tmp_path):
    out = tmp_path / "out"
    args = ("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out", str(out))
    assert reuse_process(*args, die_after="verify").returncode == -signal.SIGKILL
    damaged = out / "checkpoints" / "verify" / "left.npy"
    damaged.write_bytes(damaged.read_bytes()[:-8])
    refused = reuse_process(*args, "--resume")
    assert refused.returncode == 4
    assert f"reuse: error: {damaged}: a checkpoint of stage verify holds" in refused.stderr


def test_the_api_resumes_into_the_same_tables(tmp_path):
    out = tmp_path / "out"
    done = reuse_process("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out",
                         str(tmp_path / "whole"))
    assert done.returncode == 0
    killed = reuse_process("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out",
                           str(out), die_after="candidates")
    assert killed.returncode == -signal.SIGKILL
    result = reuse.dedup(ROOT / "seeds", workers=1, checkpoint=out, resume=True)
    assert result.checkpoints is not None and result.checkpoints.resumed_after == "candidates"
    write_run(result, out, source=ROOT / "seeds")
    assert not (out / "checkpoints").exists()
    assert_same_tables(tmp_path / "whole", out)


def test_the_api_asks_for_a_folder_to_resume_from(seeds_dir, tmp_path):
    with pytest.raises(ConfigError, match=r"^The 'resume' and 'keep_checkpoints' parameters of "
                       r"run need 'checkpoint': the run folder that holds the checkpoints\.$"):
        reuse.run(seeds_dir, resume=True)
    with pytest.raises(RunFolderError, match="no checkpoints to resume from"):
        reuse.dedup(seeds_dir, checkpoint=tmp_path / "nowhere-yet", resume=True)


def test_without_resume_a_killed_runs_checkpoints_are_replaced(tmp_path):
    out = tmp_path / "out"
    args = ("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out", str(out))
    assert reuse_process(*args, die_after="verify").returncode == -signal.SIGKILL
    again = reuse_process(*args, "--threshold", "0.9", die_after="sketch")
    assert again.returncode == -signal.SIGKILL
    assert stages_recorded(out) == ["sketch"]  # the earlier checkpoints are gone
    ledger = json.loads((out / "checkpoints" / "stages.json").read_text())
    assert ledger["depends_on"]["config"]["dedup"]["threshold"] == 0.9
    # Another command writing into the folder removes the killed run's checkpoints.
    pairs = tmp_path / "pairs.txt"
    names = sorted(path.name for path in (ROOT / "seeds").iterdir())
    pairs.write_text(f"{names[0]} {names[1]}\n")
    aligned = reuse_process("align", str(ROOT / "seeds"), "--pairs", str(pairs), "--quiet",
                            "--out", str(out))
    assert aligned.returncode == 0, aligned.stderr
    assert not (out / "checkpoints").exists()
    assert "checkpoints" not in json.loads((out / "manifest.json").read_text())


def quoting_corpus(path: Path) -> Path:
    """300 pairs of documents that share a passage: more boxes than one align chunk holds."""
    corpus = make_corpus(n_docs=600, n_copies=10, seed=5)
    texts = list(corpus.texts)
    for k in range(300):
        source = texts[k + 300]
        texts[k] = f"{texts[k]} {source[: len(source) // 2]}"
    with open(path, "w", encoding="utf-8") as handle:
        for doc_id, text in zip(corpus.ids, texts, strict=True):
            handle.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_run_killed_in_the_middle_of_align_keeps_the_chunks_aligned(workers, tmp_path):
    corpus = quoting_corpus(tmp_path / "quotes.jsonl")
    args = ("run", str(corpus), "--no-report", "--quiet", "--workers", workers)
    whole = reuse_process(*args, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "out"
    os.environ["REUSE_TEST_ALIGN_PART_SECONDS"] = "0"  # a part after every chunk
    try:
        killed = reuse_process(*args, "--out", str(out), die_after="align_part")
    finally:
        del os.environ["REUSE_TEST_ALIGN_PART_SECONDS"]
    assert killed.returncode == -signal.SIGKILL
    ledger = json.loads((out / "checkpoints" / "stages.json").read_text())
    assert ledger["parts"]["align"]["kept"] == 1 and ledger["parts"]["align"]["total"] >= 2
    resumed = reuse_process(*args, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["checkpoints"] == {"resumed_after": "passage_candidates", "kept": False,
                                       "resumed_parts": {"align": 1}}
    assert manifest["counts"]["alignments"] >= 250
    assert_same_tables(tmp_path / "whole", out)


def test_a_ledger_naming_a_file_outside_the_checkpoints_is_refused(tmp_path):
    out = tmp_path / "out"
    args = ("dedup", str(ROOT / "seeds"), "--quiet", "--workers", "1", "--out", str(out))
    assert reuse_process(*args, die_after="sketch").returncode == -signal.SIGKILL
    path = out / "checkpoints" / "stages.json"
    ledger = json.loads(path.read_text())
    ledger["stages"][0]["files"]["../../elsewhere.npy"] = 10
    path.write_text(json.dumps(ledger))
    refused = reuse_process(*args, "--resume")
    assert refused.returncode == 4
    assert refused.stderr == (
        f"reuse: error: {path}: the file '../../elsewhere.npy' of stage sketch is not a file of "
        "checkpoints/; the ledger was changed. Run without --resume to start over.\n")




# Runs `reuse` in this process, killed (SIGKILL) as it starts removing checkpoints/.
KILLED_WHILE_REMOVING = """
import os, shutil, signal, sys
from pathlib import Path
from reuse.runfolder import checkpoints
real_rmtree = shutil.rmtree
def rmtree(path, *args, **kwargs):
    if Path(path).name == "checkpoints":
        os.kill(os.getpid(), signal.SIGKILL)
    return real_rmtree(path, *args, **kwargs)
checkpoints.shutil.rmtree = rmtree
from reuse.cli.command import main
sys.argv = ["reuse", *sys.argv[1:]]
main()
"""


def test_a_run_killed_while_its_checkpoints_are_removed_is_complete_to_resume(seeds_dir,
                                                                             tmp_path):
    # The tables and the manifest are written, then the checkpoints go: a kill in the middle
    # of their removal leaves a run that --resume calls complete, not one whose checkpoints
    # cannot be read.
    out = tmp_path / "out"
    args = ("dedup", str(seeds_dir), "--out", str(out), "--workers", "1")
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_REMOVING, *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert (out / "manifest.json").exists() and (out / "checkpoints").is_dir()
    resumed = reuse_process(*args, "--resume")
    assert resumed.returncode == 4
    assert "the run is complete (manifest.json is written)" in resumed.stderr
