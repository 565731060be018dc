"""The run folder of a result: its tables, and the manifest that records the input, the options,
the counts and the timings."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import __version__
from ..ingest import FINGERPRINT_COVERS, Corpus, path_for_manifest, write_corpus
from ..runfolder import folder as runfolder
from ..runfolder import tables
from ..runfolder.checkpoints import StageLedger, remove_checkpoints
from .results import DedupResult, RunResult


def input_counts(corpus: Corpus, dates: list[object] | None) -> dict[str, int]:
    """The counts about reading that only some runs have: documents decoded with the fallback
    (``encoding="auto"``), the metadata file's rows, and documents with a parseable date."""
    from ..cluster.documents import parse_dates

    counts = {}
    if corpus.encoding == "auto":
        counts["decoded_with_fallback"] = len(corpus.decoded_with_fallback)
    if corpus.metadata_file is not None:
        counts["metadata_rows"] = corpus.metadata_rows
        counts["metadata_unmatched"] = len(corpus.metadata_unmatched)
        counts["no_metadata"] = corpus.no_metadata
    if dates is not None:
        counts["dated_documents"] = int(parse_dates(dates).notna().sum())
    return counts


def write_run(
    result: DedupResult,
    out: str | os.PathLike[str],
    *,
    fmt: str = "parquet",
    source: str | os.PathLike[str] | None = None,
    write_kept: str | os.PathLike[str] | None = None,
    command: str = "dedup",
    report_options: dict[str, Any] | None = None,
) -> Path:
    """Write a result as a run folder (tables first, ``manifest.json`` last).

    ``source`` is the input path recorded in the manifest (default: the path the corpus was
    read from, if any). ``out`` must be a new or empty folder or a run folder of reuse's (see
    :mod:`reuse.runfolder.folder`); its earlier run's outputs are removed first, and no other file in
    it is touched. An error
    while writing leaves the folder without a manifest, and an OSError (a full disk) is a
    RunFolderError naming the file. ``report_options`` (``render``, ``group_by``,
    ``max_matrix_docs``) says which report the caller renders next, for ``reuse rerun``.

    The result's stage checkpoints, when they are in ``out``, are removed once the manifest is
    written (kept, marked finished, if the run was asked to keep them); checkpoints of another
    run in ``out`` (a killed one, replaced by this result) are removed first.
    """
    tables.check_format(fmt)
    if source is None:
        source = result.corpus.source
    runfolder.check_output_paths(source, out, write_kept)
    with runfolder.claim(out) as folder:
        folder.clear()
        ledger = result.checkpoints
        own_checkpoints = ledger is not None and _same_folder(ledger.run_folder, folder.path)
        if not own_checkpoints:  # a killed run's, which this run replaces
            remove_checkpoints(folder.path)
        written = {}
        try:
            with result.timings.stage("write"):
                frames = {
                    "documents": result.table_data("documents"),
                    "near_duplicates": result.table_data("near_duplicates"),
                    "clusters": result.table_data("clusters"),
                    # record batches: millions of skipped records are never one frame
                    "skipped": result.corpus.skipped.batches(),
                }
                if isinstance(result, RunResult):
                    frames["alignments"] = result.table_data("alignments")
                    frames["passages"] = result.table_data("passages")
                # The signatures table (512 bytes a document) is written beside the others:
                # Arrow's Parquet writer releases the GIL, so the two use both cores.
                with ThreadPoolExecutor(1, thread_name_prefix="reuse-write") as beside:
                    signatures = None if result.signatures is None else beside.submit(
                        runfolder.write_signatures, folder.path, result.document_ids(),
                        result.signatures.file)
                    for name, frame in frames.items():
                        written[name] = tables.write_table(folder.path, name, frame, fmt)
                    if signatures is not None:
                        written["signatures"] = signatures.result()
                if write_kept is not None:
                    result.counts["kept_written"] = write_corpus(
                        result.corpus, result.keep_mask(), write_kept
                    )
            body = manifest_body(result, source, written, command, write_kept=write_kept,
                                 fmt=fmt, report_options=report_options)
            if result.signatures is not None:
                body["signatures"] = {"scheme": result.signatures.scheme,
                                      "seed": result.signatures.seed,
                                      "num_perm": result.signatures.file.width}
            tables.write_manifest(folder.path, body)
        except OSError as exc:
            where = exc.filename or folder.path
            raise runfolder.write_error(where, exc) from exc
        if own_checkpoints:
            assert ledger is not None
            ledger.finish(ledger.keep)
    return folder.path


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# Ids listed in the manifest's input block (all of them are counted).
MANIFEST_IDS = 1000


def manifest_body(
    result: DedupResult, source: Any, written: dict[str, str], command: str, *,
    write_kept: str | os.PathLike[str] | None = None, fmt: str = "parquet",
    report_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a run. ``report`` is null until a report is written into the folder;
    ``write_kept`` is the real path the kept documents were written to, so that the next run
    into the same folder may replace them. ``options`` holds what ``reuse rerun`` needs besides
    the input block: the call's other keyword arguments, the table format and the report's
    options."""
    return {
        "reuse_version": __version__,
        "command": command,
        "config": {
            **result.config.to_dict(),
            **({"align": dataclasses.asdict(result.align_config)}
               if getattr(result, "align_config", None) is not None else {}),
        },
        "options": {**result.options, "format": fmt, "report": report_options},
        "input": input_for_manifest(result, source),
        "counts": result.counts,
        "timings": dict(result.timings),
        "tables": written,
        **_checkpoints_for_manifest(result.checkpoints),
        **_kept_for_manifest(write_kept),
        "report": None,
    }


def input_for_manifest(result: DedupResult, source: Any) -> dict[str, Any]:
    """The manifest's input block: where the input is (an absolute path), how it was read, and
    its fingerprint (and what the fingerprint covers)."""
    corpus = result.corpus
    spec: dict[str, Any] = (
        {"path": None} if source is None else path_for_manifest(os.path.abspath(source)))
    spec.update({
        "format": corpus.input_format,
        "id_field": corpus.id_field,
        "text_field": corpus.text_field,
        "quoting": corpus.quoting,
        "max_doc_chars": corpus.max_doc_chars,
        "encoding": corpus.encoding,
        "on_error": corpus.on_error,
    })
    if spec["max_doc_chars"] is None:  # a corpus built in Python: no limit was applied
        del spec["max_doc_chars"]
    if corpus.metadata_file is not None:
        spec.update(path_for_manifest(os.path.abspath(corpus.metadata_file), "metadata_file"))
    pairs_file = getattr(result, "pairs_file", None)
    if pairs_file is not None:
        spec.update(path_for_manifest(pairs_file["path"], "pairs_file"))
        spec["pairs_fingerprint"] = pairs_file["fingerprint"]
    if corpus.decoded_with_fallback:
        spec["decoded_with_fallback"] = corpus.decoded_with_fallback[:MANIFEST_IDS]
    if corpus.metadata_unmatched:
        spec["metadata_unmatched"] = corpus.metadata_unmatched[:MANIFEST_IDS]
    known = result.input_fingerprints or {}
    spec["fingerprint"] = known.get("fingerprint") or "sha256:" + corpus.fingerprint()
    spec["order_fingerprint"] = (known.get("order_fingerprint")
                                 or "sha256:" + corpus.order_fingerprint())
    spec["fingerprint_covers"] = FINGERPRINT_COVERS
    return spec


def _checkpoints_for_manifest(ledger: StageLedger | None) -> dict[str, Any]:
    """``checkpoints``: whether the run was resumed (after which stage, and with how many units
    of a stage in progress: ``resumed_parts``) and whether its checkpoints were kept; absent for
    a run without checkpoints."""
    if ledger is None:
        return {}
    block: dict[str, Any] = {"resumed_after": ledger.resumed_after, "kept": ledger.keep}
    if ledger.resumed_parts:
        block["resumed_parts"] = ledger.resumed_parts
    return {"checkpoints": block}


def _kept_for_manifest(write_kept: str | os.PathLike[str] | None) -> dict[str, str | None]:
    """``write_kept``: the real path of the kept documents, spelt as the input path is (see
    :func:`reuse.ingest.path_for_manifest`), with ``write_kept_bytes`` when that spelling is not
    the name's bytes."""
    if write_kept is None:
        return {"write_kept": None}
    fields = path_for_manifest(os.path.realpath(write_kept))
    kept = {"write_kept": fields["path"]}
    if "path_bytes" in fields:
        kept["write_kept_bytes"] = fields["path_bytes"]
    return kept
