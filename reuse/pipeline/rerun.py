"""``reuse rerun``: repeat the run that made a run folder, from its manifest."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import KEYWORDS, Config
from ..errors import ReuseError, RunFolderError
from ..ingest import check_fingerprint_scheme, read_corpus
from ..runfolder import folder as runfolder
from ..runfolder import tables
from .arguments import NOT_RECORDED
from .near_duplicates import dedup
from .output import write_run
from .pairs import align_pairs, file_sha256
from .passages import run
from .results import DedupResult
from .timings import Timings

# The Python function behind each command of the manifest, for ``reuse rerun``.
_COMMANDS: dict[str, Callable[..., DedupResult]] = {
    "dedup": dedup, "run": run, "align": align_pairs,
}


def rerun(
    run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
    quiet: bool = True,
) -> DedupResult:
    """Repeat the run of ``run_dir`` from its manifest, into ``out`` (default: ``run_dir``
    itself, whose run is replaced): the same command on the same input, read with the same
    options, with the same parameters, table format and report. The tables are byte-identical
    to the first run's.

    The input (and the pairs file of ``reuse align``) must be unchanged: its fingerprint is
    checked after reading, and a changed input is a RunFolderError (run the command again
    instead). ``write_kept`` is not repeated.
    """
    from ..ingest import path_from_manifest, read_options

    source_dir = Path(run_dir)
    manifest = tables.read_manifest(source_dir)
    where = source_dir / tables.MANIFEST
    command = manifest.get("command")
    options = manifest.get("options")
    if options is None:
        raise RunFolderError(
            f"{where}: the manifest records no 'options' (it was written by an earlier version "
            "of reuse), so the run cannot be repeated exactly; run the command again.")
    function = _COMMANDS.get(command)
    if function is None:
        raise RunFolderError(f"{where}: unknown command {command!r}; reuse rerun repeats "
                             f"{', '.join(_COMMANDS)}.")
    keywords = {name for name, parameter in inspect.signature(function).parameters.items()
                if parameter.kind is parameter.KEYWORD_ONLY and name not in NOT_RECORDED}
    arguments = {k: v for k, v in options.items() if k not in ("format", "report")}
    unknown = sorted(set(arguments) - keywords)
    if unknown:
        raise RunFolderError(f"{where}: options.{unknown[0]} is no parameter of "
                             f"reuse {command}; the manifest was changed or written by another "
                             "version of reuse.")
    if isinstance(manifest.get("config"), dict):
        # The whole config, also what no keyword sets (LSH weights, bands, the aligner);
        # the keyword options recorded beside it hold the same values.
        try:
            arguments = {k: v for k, v in arguments.items() if k not in KEYWORDS}
            arguments["config"] = Config.from_dict(manifest["config"], " in the manifest")
        except ReuseError as exc:
            raise RunFolderError(f"{where}: {exc}") from exc
    spec = manifest.get("input") or {}
    path = path_from_manifest(spec)
    if path is None:
        raise RunFolderError(f"{where}: the run was given a corpus built in Python, not a path; "
                             "there is no input to read again.")
    check_fingerprint_scheme(spec, where)
    fmt = options.get("format", "parquet")
    report = _report_plan(manifest)
    target = source_dir if out is None else Path(out)
    runfolder.check_output_paths(path, target, None)
    with runfolder.claim(target, incomplete_on_interrupt=True) as folder:
        timings = Timings(quiet=quiet)
        with timings.stage("ingest", own_bar=True):
            corpus = read_corpus(path, **read_options(spec, manifest.get("counts")), quiet=quiet)
        fingerprint = "sha256:" + corpus.fingerprint()
        if fingerprint != spec.get("fingerprint"):
            raise RunFolderError(
                f"{where}: the input {spec.get('path')} changed since the run (fingerprint "
                f"{fingerprint}, the run saw {spec.get('fingerprint')}); rerun repeats a run on "
                "the same input. Run the command again to analyse the current input.")
        order = spec.get("order_fingerprint")
        if order is not None and order != "sha256:" + corpus.order_fingerprint():
            raise RunFolderError(
                f"{where}: the records of the input {spec.get('path')} are in another order "
                "than in the run, and the tables follow the input's order; rerun repeats a run "
                "on the same input. Run the command again to analyse the current input.")
        positional: list[Any] = [corpus]
        if command == "align":
            pairs = path_from_manifest(spec, "pairs_file")
            if pairs is None or not Path(pairs).is_file() or (
                    "sha256:" + file_sha256(Path(pairs)) != spec.get("pairs_fingerprint")):
                raise RunFolderError(
                    f"{where}: the pairs file {spec.get('pairs_file')} is missing or changed "
                    "since the run; rerun repeats a run on the same input.")
            positional.append(pairs)
        if command != "align":  # checkpointed as the command itself is
            arguments["checkpoint"] = folder.path
        result = function(*positional, **arguments, quiet=quiet)
        result.timings["ingest"] = timings["ingest"]
        written = write_run(result, folder.path, fmt=fmt, source=path, command=command,
                            report_options=report)
        if report is not None and report.get("render"):
            from ..report.html import render_report

            rendered = manifest.get("report")
            # Only what the run recorded: render_report's own defaults fill in the rest.
            recorded = {key: report[key] for key in _REPORT_OPTIONS if key in report}
            render_report(written, **recorded, date_field=rendered.get("date_field")
                          if isinstance(rendered, dict) else None)
    return result


_REPORT_OPTIONS = ("group_by", "max_matrix_docs", "max_list_rows", "max_pair_pages")


def _report_plan(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The report a rerun renders: the run folder's report as it was last rendered (``reuse
    report`` may have changed its options), else the one the command asked for."""
    report = manifest.get("report")
    if isinstance(report, dict):
        return {"render": True, **{key: report[key] for key in _REPORT_OPTIONS if key in report}}
    planned = (manifest.get("options") or {}).get("report")
    return planned if isinstance(planned, dict) else None
