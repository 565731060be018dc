"""Nothing lost, nothing overwritten: the run folder and the other outputs of a run.

- ``--out`` and ``--write-kept`` never overwrite the input, are never written where the next run
  would read them as input, and never overwrite a file that reuse did not write; all of that is
  refused before the corpus is read.
- reuse writes only into a new or empty folder or a run folder of its own, and cleans only its
  own names there.
- A run folder is locked for the whole run, report included: a second process is refused.
- After any run, everything in the folder belongs to that run.
- A failed write (a full disk) is a named error, and the folder does not look complete.
- A tampered manifest is a named error, and no path in it leads outside the folder.
- Options and the output location are checked before the corpus is read.
"""

from __future__ import annotations

import errno
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT

from reuse import pipeline
from reuse.cli.commands import main
from reuse.errors import RunFolderError
from reuse.report.html import render_report
from reuse.runfolder.tables import read_manifest, read_table

RECORDS = [
    {"id": "a", "text": "the quick brown fox jumps over the lazy dog again and again"},
    {"id": "b", "text": "the quick brown fox jumps over the lazy dog again and again"},
    {"id": "c", "text": "a completely different text about something else entirely here"},
]


def cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_jsonl(path: Path, records: list[dict] = RECORDS) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def error(message: str) -> str:
    return f"reuse: error: {message}\n"


# --- 3. --write-kept and --out against the input ---------------------------------------------


def kept_is_input(kept: Path, source: Path) -> str:
    return error(f"--write-kept {kept} is the input {source}: the kept documents would overwrite "
                 "the input or be read as input by the next run. Choose a path outside the input.")


def test_write_kept_onto_the_input_file_is_refused_before_anything_is_written(tmp_path):
    source = write_jsonl(tmp_path / "c.jsonl")
    before = source.read_bytes()
    out = tmp_path / "o"
    result = cli("dedup", source, "--out", out, "--write-kept", source)
    assert (result.exit_code, result.stderr) == (2, kept_is_input(source, source))
    assert source.read_bytes() == before
    assert not out.exists()


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_write_kept_onto_a_link_to_the_input_is_refused(tmp_path, link):
    source = write_jsonl(tmp_path / "c.jsonl")
    kept = tmp_path / "k.jsonl"
    (os.symlink if link == "symlink" else os.link)(source, kept)
    result = cli("dedup", source, "--out", tmp_path / "o", "--write-kept", kept)
    assert (result.exit_code, result.stderr) == (2, kept_is_input(kept, source))
    assert source.read_bytes() == (tmp_path / "c.jsonl").read_bytes()
    assert len(source.read_text().splitlines()) == 3


def txt_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for record in RECORDS:
        (folder / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
    return folder


def test_write_kept_inside_the_input_folder_is_refused(tmp_path):
    source = txt_folder(tmp_path)
    kept = source / "kept"
    result = cli("dedup", source, "--out", tmp_path / "o", "--write-kept", kept)
    assert result.exit_code == 2
    assert result.stderr == error(
        f"--write-kept {kept} lies inside the input {source}: the kept documents would overwrite "
        "the input or be read as input by the next run. Choose a path outside the input.")
    assert names(source) == ["a.txt", "b.txt", "c.txt"]


@pytest.mark.parametrize("where", ["inside", "same"])
def test_out_inside_or_equal_to_the_input_folder_is_refused(tmp_path, where):
    source = txt_folder(tmp_path)
    out = source / "run" if where == "inside" else source
    relation = "lies inside" if where == "inside" else "is"
    result = cli("run", source, "--out", out)
    assert result.exit_code == 2
    assert result.stderr == error(
        f"--out {out} {relation} the input {source}: the run folder must lie outside the input, "
        "and the input outside it. Choose another --out.")
    assert names(source) == ["a.txt", "b.txt", "c.txt"]


@pytest.mark.parametrize("where", ["inside", "contains"])
def test_write_kept_overlapping_the_run_folder_is_refused(tmp_path, where):
    source = write_jsonl(tmp_path / "c.jsonl")
    out = tmp_path / "runs" / "o"
    kept = out / "kept.jsonl" if where == "inside" else tmp_path / "runs"
    relation = "lies inside" if where == "inside" else "contains"
    result = cli("dedup", source, "--out", out, "--write-kept", kept)
    assert result.exit_code == 2
    assert result.stderr == error(
        f"--write-kept {kept} {relation} the run folder --out {out}. Choose a path outside it.")
    assert not (tmp_path / "runs").exists()


def test_write_kept_onto_a_foreign_file_is_refused_but_its_own_output_is_replaced(tmp_path):
    source = write_jsonl(tmp_path / "c.jsonl")
    kept, out = tmp_path / "kept.jsonl", tmp_path / "o"
    kept.write_text("my notes\n", encoding="utf-8")
    result = cli("dedup", source, "--out", out, "--write-kept", kept, "-q")
    assert result.exit_code == 2
    assert result.stderr == error(
        f"--write-kept {kept}: already exists (a file) and was not written by the run in {out}; "
        "reuse does not overwrite it. Remove it, or choose another --write-kept path.")
    assert kept.read_text(encoding="utf-8") == "my notes\n"
    assert not out.exists()

    kept.unlink()
    assert cli("dedup", source, "--out", out, "--write-kept", kept, "-q").exit_code == 0
    assert read_manifest(out)["write_kept"] == str(kept.resolve())
    # The same command again may replace what the run in --out wrote ...
    assert cli("dedup", source, "--out", out, "--write-kept", kept, "-q").exit_code == 0
    assert len(kept.read_text(encoding="utf-8").splitlines()) == 2
    # ... but another run folder did not write it.
    result = cli("dedup", source, "--out", tmp_path / "other", "--write-kept", kept, "-q")
    assert result.exit_code == 2


def test_write_kept_into_a_non_empty_folder_is_refused_and_an_empty_one_is_used(tmp_path):
    source = txt_folder(tmp_path)
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "mine.txt").write_text("mine", encoding="utf-8")
    result = cli("dedup", source, "--out", tmp_path / "o", "--write-kept", kept, "-q")
    assert result.exit_code == 2
    assert "already exists (a folder that is not empty)" in result.stderr
    (kept / "mine.txt").unlink()
    assert cli("dedup", source, "--out", tmp_path / "o", "--write-kept", kept, "-q").exit_code == 0
    assert names(kept) == ["a.txt", "c.txt"]


# --- 4. only reuse's own files --------------------------------------------------------------


def test_a_foreign_folder_is_refused_and_left_untouched(tmp_path):
    source = write_jsonl(tmp_path / "c.jsonl")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    (out / ".cache.tmp-1").mkdir()
    (out / ".cache.tmp-1" / "data").write_text("keep me too", encoding="utf-8")
    (out / "manifest.json").write_text('{"my": "manifest"}', encoding="utf-8")
    result = cli("dedup", source, "--out", out)
    assert result.exit_code == 4
    assert result.stderr == error(
        f"{out}: not empty and not a reuse run folder (it holds '.cache.tmp-1', 'notes.txt'); "
        "reuse writes only into a new or empty folder or a run folder it wrote, and never "
        "deletes other files. Choose another --out, or move those files away.")
    assert names(out) == [".cache.tmp-1", "manifest.json", "notes.txt"]
    assert (out / ".cache.tmp-1" / "data").read_text(encoding="utf-8") == "keep me too"
    assert (out / "manifest.json").read_text(encoding="utf-8") == '{"my": "manifest"}'


def test_a_run_folder_keeps_files_that_reuse_did_not_write(tmp_path):
    source = write_jsonl(tmp_path / "c.jsonl")
    out = tmp_path / "o"
    assert cli("dedup", source, "--out", out, "-q").exit_code == 0
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    (out / ".notes.txt.tmp-5").mkdir()  # looks like a temporary, but not of a reuse name
    (out / ".documents.parquet.tmp-99999999").write_bytes(b"half a table")  # reuse's, stale
    (out / ".html.old-99999999").mkdir()
    assert cli("dedup", source, "--out", out, "-q", "--format", "csv").exit_code == 0
    assert names(out) == [".notes.txt.tmp-5", ".reuse-run", "clusters.csv", "documents.csv",
                          "manifest.json", "near_duplicates.csv", "notes.txt",
                          "signatures.parquet", "skipped.csv"]


def test_an_empty_folder_and_a_run_folder_of_an_earlier_version_are_used(tmp_path):
    source = write_jsonl(tmp_path / "c.jsonl")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("dedup", source, "--out", empty, "-q").exit_code == 0
    # A run folder written before the marker existed: a manifest and only reuse's names.
    (empty / ".reuse-run").unlink()
    assert cli("dedup", source, "--out", empty, "-q", "--format", "jsonl").exit_code == 0
    assert names(empty) == [".reuse-run", "clusters.jsonl", "documents.jsonl", "manifest.json",
                            "near_duplicates.jsonl", "signatures.parquet", "skipped.jsonl"]


# --- 5. one process per run folder ----------------------------------------------------------

# argv: MODULE FUNCTION MARKER GO, then the reuse arguments. When FUNCTION of MODULE is called,
# the process touches MARKER and waits until GO exists (at most 60 s) before it goes on.
HOLD = """
import importlib, sys, time
from pathlib import Path
from reuse.cli.commands import main

module_name, function, marker, go = sys.argv[1:5]
del sys.argv[1:5]
module = importlib.import_module(module_name)
original = getattr(module, function)

def held(*args, **kwargs):
    Path(marker).touch()
    deadline = time.monotonic() + 60
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return original(*args, **kwargs)

setattr(module, function, held)
main(prog_name="reuse")
"""


def start_holding(tmp_path: Path, module: str, function: str, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-c", HOLD, module, function, str(tmp_path / "reached"),
               str(tmp_path / "go"), *map(str, args)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "reached").exists():
        if process.poll() is not None:
            pytest.fail(f"the holding process ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the holding process never got there")
        time.sleep(0.02)
    return process


def busy(out: Path, pid: int) -> str:
    return error(f"{out}: another reuse process (pid {pid}) is using this run folder. Wait for "
                 "it to finish, or choose another --out.")


def finish(process: subprocess.Popen, tmp_path: Path) -> tuple[int, str, str]:
    (tmp_path / "go").touch()
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


def test_a_run_is_refused_while_a_report_is_written_into_the_folder(seeds_dir, tmp_path):
    out = tmp_path / "run"
    assert cli("run", seeds_dir, "--out", out, "-q", "--no-report").exit_code == 0
    holder = start_holding(tmp_path, "reuse.report.html", "write_matrices", "report", out)
    source = write_jsonl(tmp_path / "other.jsonl")
    result = cli("dedup", source, "--out", out, "-q")
    assert (result.exit_code, result.stderr) == (4, busy(out, holder.pid))
    # The refused run removed nothing: the manifest the report wrote before it paused is there.
    assert read_manifest(out)["report"] is None
    assert "documents.parquet" in names(out)
    code, _, stderr = finish(holder, tmp_path)
    assert (code, stderr) == (0, "")
    # The folder is the first run's, with its report: the refused run changed nothing.
    manifest = read_manifest(out)
    assert manifest["command"] == "run" and manifest["report"]["index"] == "html/index.html"
    assert len(read_table(out, "documents")) == 5


def test_a_report_is_refused_while_a_run_writes_the_folder(seeds_dir, tmp_path):
    out = tmp_path / "run"
    holder = start_holding(tmp_path, "reuse.pipeline.passages", "align_documents",
                           "run", seeds_dir, "--out", out, "-q")
    result = cli("report", out)
    assert (result.exit_code, result.stderr) == (4, busy(out, holder.pid))
    with pytest.raises(RunFolderError, match=rf"another reuse process \(pid {holder.pid}\)"):
        render_report(out)
    code, _, stderr = finish(holder, tmp_path)
    assert (code, stderr) == (0, "")
    assert read_manifest(out)["report"]["index"] == "html/index.html"


def test_a_killed_run_does_not_leave_the_folder_locked(seeds_dir, tmp_path):
    out = tmp_path / "run"
    holder = start_holding(tmp_path, "reuse.pipeline.passages", "align_documents",
                           "run", seeds_dir, "--out", out, "-q")
    holder.kill()
    holder.communicate(timeout=60)
    assert cli("run", seeds_dir, "--out", out, "-q", "--no-report").exit_code == 0
    assert read_manifest(out)["counts"]["read"] == 5


def test_ctrl_c_before_the_folder_is_claimed_leaves_its_manifest(seeds_dir, tmp_path,
                                                                 monkeypatch):
    from reuse.runfolder import folder as runfolder

    out = tmp_path / "run"
    assert cli("dedup", seeds_dir, "--out", out, "-q").exit_code == 0

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runfolder, "check_output_paths", interrupted)
    result = cli("dedup", seeds_dir, "--out", out, "-q")
    assert (result.exit_code, result.stderr) == (130, "reuse: interrupted\n")
    assert read_manifest(out)["command"] == "dedup"


# --- 6. everything in the folder belongs to the last run ------------------------------------


REPORT_NAMES = ["heatmap.png", "html", "matrix.csv", "pair_reuse.parquet"]


def test_another_command_or_no_report_removes_the_old_report_and_tables(seeds_dir, tmp_path):
    out = tmp_path / "run"
    assert cli("run", seeds_dir, "--out", out, "-q").exit_code == 0
    assert set(REPORT_NAMES) <= set(names(out))
    assert cli("run", seeds_dir, "--out", out, "-q", "--no-report").exit_code == 0
    assert not set(REPORT_NAMES) & set(names(out))
    assert read_manifest(out)["report"] is None
    assert cli("run", seeds_dir, "--out", out, "-q").exit_code == 0
    assert cli("dedup", seeds_dir, "--out", out, "-q", "--format", "jsonl").exit_code == 0
    assert names(out) == [".reuse-run", "clusters.jsonl", "documents.jsonl", "manifest.json",
                          "near_duplicates.jsonl", "signatures.parquet", "skipped.jsonl"]
    manifest = read_manifest(out)
    assert (manifest["command"], manifest["report"]) == ("dedup", None)


def test_a_report_without_group_by_removes_the_group_matrix(tmp_path, seeds_dir):
    from report_fixture import build_run_folder, sample_jsonl

    source = sample_jsonl(seeds_dir, tmp_path / "sample.jsonl", with_xss=False)
    out = build_run_folder(source, tmp_path / "run")
    assert cli("report", out, "--group-by", "source").exit_code == 0
    assert {"group_matrix.csv", "group_heatmap.png"} <= set(names(out))
    assert cli("report", out).exit_code == 0
    assert not {"group_matrix.csv", "group_heatmap.png"} & set(names(out))
    assert read_manifest(out)["report"]["group_matrix"] is None


KILL_IN = """
import os, signal, sys
from reuse.report import html
from reuse.cli.commands import main

original = html.Site._write_index

def killed(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

html.Site._write_index = killed
main(prog_name="reuse")
"""


def test_sigkill_during_the_report_leaves_no_stale_report(seeds_dir, tmp_path):
    out = tmp_path / "run"
    assert cli("run", seeds_dir, "--out", out, "-q").exit_code == 0  # an old report
    process = subprocess.run([sys.executable, "-c", KILL_IN, "report", str(out)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120, check=False)
    assert process.returncode == -signal.SIGKILL
    assert read_manifest(out)["report"] is None
    assert "pair_reuse" not in read_manifest(out)["tables"]
    # The old site is gone (matrix.csv and heatmap.png may be the new report's: the manifest
    # says there is no report, and the next command on the folder removes them).
    assert "html" not in names(out)
    staging = [n for n in names(out) if n.startswith(".html.tmp-")]
    assert staging  # the killed process could not remove it ...
    result = cli("report", out)
    assert result.exit_code == 0, result.stderr
    assert not [n for n in names(out) if n.startswith((".html.tmp-", ".html.old-"))]  # ... the next did
    assert read_manifest(out)["report"]["index"] == "html/index.html"


# --- 10. a failed write ----------------------------------------------------------------------


def test_no_space_while_writing_a_table_is_a_named_error_and_leaves_no_manifest(
        seeds_dir, tmp_path, monkeypatch):
    from reuse.runfolder import tables

    out = tmp_path / "run"
    assert cli("dedup", seeds_dir, "--out", out, "-q").exit_code == 0  # an earlier run
    original = tables.pq.ParquetWriter

    def full_disk(where, schema, **kwargs):
        if "a_id" in schema.names:  # the near_duplicates table
            Path(where).write_bytes(b"part of a table")
            raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No "
                          "space left on device")
        return original(where, schema, **kwargs)

    monkeypatch.setattr(tables.pq, "ParquetWriter", full_disk)
    result = cli("dedup", seeds_dir, "--out", out, "-q")
    assert result.exit_code == 4
    assert result.stderr == error(f"{out / 'near_duplicates.parquet'}: cannot write (No space "
                                  "left on device). Make room (or fix the cause) and run again.")
    assert "manifest.json" not in names(out)
    assert not [n for n in names(out) if ".tmp-" in n]


def test_no_space_while_writing_the_report(seeds_dir, tmp_path, monkeypatch):
    out = tmp_path / "run"

    from matplotlib.figure import Figure

    def full_disk(self, *args, **kwargs):  # as PIL fails: an OSError that names no file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    result = cli("run", seeds_dir, "--out", out, "-q")
    assert result.exit_code == 4
    assert result.stderr == error(f"{out / 'heatmap.png'}: cannot write (No space left on "
                                  "device). Make room (or fix the cause) and run again.")
    assert "manifest.json" not in names(out)  # `reuse run` failed as a whole
    # `reuse report` on a complete run keeps the run and says plainly that there is no report.
    assert cli("run", seeds_dir, "--out", out, "-q", "--no-report").exit_code == 0
    result = cli("report", out)
    assert result.exit_code == 4
    assert read_manifest(out)["report"] is None
    assert not {"matrix.csv", "html", "pair_reuse.parquet"} & set(names(out))


def limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_real_failing_write_in_a_subprocess(tmp_path):
    # The file size limit is set after dedup, so that the first file written past it is the
    # run folder's: dedup writes temporary files of its own (the store, spills; below).
    out = tmp_path / "run"
    script = (
        "import os, resource, signal, sys\n"
        "from reuse.errors import RunFolderError\n"
        "from reuse.ingest import Corpus\n"
        "from reuse.pipeline import dedup, write_run\n"
        "ids = [os.urandom(16).hex() for _ in range(400)]\n"
        "texts = [f'text {i} ' + os.urandom(8).hex() for i in range(400)]\n"
        "result = dedup(Corpus(ids=ids, texts=texts), workers=1)\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        "    write_run(result, sys.argv[1])\n"
        "except RunFolderError as exc:\n"
        "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", script, str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"{out / 'documents.parquet'}: cannot write (File too large). "
                           "Make room (or fix the cause) and run again.\n")
    assert names(out) == [".reuse-run"]


def test_a_real_failing_write_of_the_documents_read(tmp_path):
    source = tmp_path / "many.jsonl"
    write_jsonl(source, [{"id": os.urandom(16).hex(), "text": f"text {i} " + os.urandom(8).hex()}
                         for i in range(400)])
    out = tmp_path / "run"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = subprocess.run([sys.executable, "-m", "reuse", "dedup", str(source), "--out", str(out),
                           "-q"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(temporary)},
                          preexec_fn=limit_file_size(4096), check=False)
    assert done.returncode == 4
    assert re.fullmatch(
        re.escape(f"reuse: error: {temporary}/") + r"reuse-store-[0-9a-f]{8}-\d+-\w+"
        + re.escape(": cannot write the documents read to disk (File too large); reuse keeps "
                    "the corpus in a temporary folder while it runs. Make room there, or set "
                    "TMPDIR to a folder with room, and run again.\n"), done.stderr)
    assert list(temporary.iterdir()) == []  # the temporary folder is removed
    assert not out.exists()


# --- 11. a tampered manifest -------------------------------------------------------------------


@pytest.fixture
def complete(seeds_dir, tmp_path) -> Path:
    out = tmp_path / "run"
    assert cli("run", seeds_dir, "--out", out, "-q", "--no-report").exit_code == 0
    return out


def tamper(out: Path, change) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest = change(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def field_error(out: Path, field: str, expected: str, got: str) -> str:
    return error(f"{out / 'manifest.json'}: field {field!r} must be {expected}, got {got}. The "
                 "manifest was changed or not written by reuse; run the pipeline again into a "
                 "new folder.")


@pytest.mark.parametrize(("change", "field", "expected", "got"), [
    (lambda m: [m], "(top level)", "an object", None),
    (lambda m: {**m, "tables": ["documents.parquet"]}, "tables", "an object",
     "['documents.parquet']"),
    (lambda m: {**m, "counts": {**m["counts"], "skipped": "many"}}, "counts.skipped",
     "a non-negative integer", "'many'"),
    (lambda m: {**m, "input": "corpus.jsonl"}, "input", "an object or null", "'corpus.jsonl'"),
    (lambda m: {**m, "input": {**m["input"], "path": 7}}, "input.path", "a string or null", "7"),
    (lambda m: {**m, "input": {**m["input"], "id_field": ["id"]}}, "input.id_field", "a string",
     "['id']"),
    (lambda m: {**m, "command": None}, "command", "a string", "None"),
    (lambda m: {**m, "tables": {**m["tables"], "secrets": "secrets.parquet"}}, "tables.secrets",
     "one of the tables documents, near_duplicates, clusters, signatures, alignments, passages, "
     "skipped, pair_reuse (not a table reuse writes)", "'secrets.parquet'"),
    (lambda m: {**m, "tables": {**m["tables"], "documents": "../outside/documents.parquet"}},
     "tables.documents", "one of documents.parquet, documents.jsonl, documents.csv",
     "'../outside/documents.parquet'"),
    (lambda m: {**m, "tables": {**m["tables"], "documents": "/etc/passwd"}},
     "tables.documents", "one of documents.parquet, documents.jsonl, documents.csv",
     "'/etc/passwd'"),
    (lambda m: {**m, "input": {**m["input"], "max_doc_chars": "many"}}, "input.max_doc_chars",
     "an integer", "'many'"),
    (lambda m: {**m, "input": {**m["input"], "quoting": 1}}, "input.quoting", "a string or null",
     "1"),
], ids=["list", "tables-list", "counts-string", "input-string", "path-number", "id-field-list",
        "command-null", "unknown-table", "dot-dot", "absolute", "max-doc-chars", "quoting"])
def test_a_tampered_manifest_is_a_named_error(complete, change, field, expected, got):
    if got is None:
        got = repr(change(json.loads((complete / "manifest.json").read_text())))[:77] + "..."
    tamper(complete, change)
    result = cli("report", complete)
    assert (result.exit_code, result.stderr) == (4, field_error(complete, field, expected, got))
    with pytest.raises(RunFolderError, match="must be"):
        read_table(complete, "documents")


def test_a_manifest_that_is_not_json_is_a_named_error(complete):
    (complete / "manifest.json").write_text("{not json", encoding="utf-8")
    result = cli("report", complete)
    assert result.exit_code == 4
    assert result.stderr.startswith(f"reuse: error: {complete / 'manifest.json'}: not a valid "
                                    "manifest (Expecting property name")


def test_a_table_linked_outside_the_folder_is_not_read(complete, tmp_path):
    outside = tmp_path / "outside.parquet"
    pd.DataFrame({"doc_id": ["secret"], "n_chars": [1], "n_tokens": [1],
                  "status": ["compared"]}).to_parquet(outside)
    (complete / "documents.parquet").unlink()
    (complete / "documents.parquet").symlink_to(outside)
    result = cli("report", complete)
    assert result.exit_code == 4
    assert result.stderr == error(
        f"{complete / 'manifest.json'}: table 'documents' (documents.parquet) is a link to "
        f"{outside}, outside the run folder; reuse reads only files inside it. Run the pipeline "
        "again into a new folder.")


def test_a_damaged_table_is_a_named_error(complete):
    (complete / "passages.parquet").write_bytes(b"PAR1 not really")
    result = cli("report", complete)
    assert result.exit_code == 4
    assert result.stderr.startswith(
        f"reuse: error: {complete / 'passages.parquet'}: cannot read the passages table (")
    assert result.stderr.endswith("); the run folder is damaged. Run the pipeline again.\n")


# --- 14. checked before the corpus is read ----------------------------------------------------


def test_an_unusable_out_fails_before_the_input_is_read(tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": "a", "text": "fine"}\n{not json\n', encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = cli("run", source, "--out", blocker / "run")
    assert result.exit_code == 4  # not 3, the bad record: the input was not read
    assert result.stderr == error(
        f"{blocker / 'run'}: cannot create the run folder (Not a directory); choose another --out")


def test_group_by_is_checked_before_the_pipeline_runs(seeds_dir, tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the corpus was sketched")

    monkeypatch.setattr(pipeline.start, "sketch_corpus", never)
    from report_fixture import sample_jsonl

    source = sample_jsonl(seeds_dir, tmp_path / "sample.jsonl", with_xss=False)
    out = tmp_path / "run"
    result = cli("run", source, "--out", out, "--group-by", "nosuchfield")
    assert result.exit_code == 2
    assert result.stderr == error("The 'group_by' field 'nosuchfield' is not in any document's "
                                  "metadata. Fields present: date, source.")
    assert not out.exists()  # the folder the run had created is gone again


@pytest.mark.parametrize(("args", "message"), [
    (["run", "", "--out", "{out}"], "Invalid value for 'INPUT': an empty path"),
    (["run", "{seeds}", "--out", ""], "Invalid value for '--out': an empty path"),
    (["run", "{seeds}", "--out", "{out}", "--max-matrix-docs", "1"],
     "Invalid value for '--max-matrix-docs': 1 is not in the range x>=2."),
    (["report", ""], "Invalid value for 'RUN_DIR': an empty path"),
])
def test_bad_options_are_usage_errors(seeds_dir, tmp_path, args, message):
    out = tmp_path / "run"
    result = cli(*[a.format(out=out, seeds=seeds_dir) for a in args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.exists()


def test_write_kept_to_a_path_that_is_not_utf8_is_recorded_and_replaced_on_a_rerun(tmp_path):
    source = write_jsonl(tmp_path / "c.jsonl")
    out = tmp_path / "o"
    kept = Path(os.fsdecode(bytes(tmp_path) + b"/kept-\xff.jsonl"))
    for _ in range(2):  # the second run recognises the file the first one wrote
        result = cli("dedup", source, "--out", out, "--write-kept", kept, "-q")
        assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert manifest["write_kept"] == f"{tmp_path.resolve()}/kept-\\xff.jsonl"
    assert bytes.fromhex(manifest["write_kept_bytes"]) == os.fsencode(kept.resolve())
    assert len(kept.read_text(encoding="utf-8").splitlines()) == 2


def test_a_rerun_replaces_the_kept_txt_folder_instead_of_adding_to_it(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    texts = {f"d{i}": f"unique text number {i} with several more words in it {i} {i}"
             for i in range(3)}
    for name, text in texts.items():
        (source / f"{name}.txt").write_text(text, encoding="utf-8")
    kept, out = tmp_path / "kept", tmp_path / "o"
    assert cli("dedup", source, "--out", out, "--write-kept", kept, "-q").exit_code == 0
    assert sorted(p.name for p in kept.iterdir()) == ["d0.txt", "d1.txt", "d2.txt"]
    # d2 becomes a copy of d0, so this run drops it: the kept folder must not keep it either.
    (source / "d2.txt").write_text(texts["d0"], encoding="utf-8")
    assert cli("dedup", source, "--out", out, "--write-kept", kept, "-q").exit_code == 0
    assert sorted(p.name for p in kept.iterdir()) == ["d0.txt", "d1.txt"]
    assert read_manifest(out)["counts"]["kept_written"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "o", "src"]
