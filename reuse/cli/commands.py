"""The ``reuse`` command: a thin layer that parses arguments and calls the Python API."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import ConfigError, printable
from .handling import handle_errors
from .index import index as index_commands
from .options import (
    ALIGN_MIN_LENGTH,
    CONFIG,
    QUIET,
    WORKERS,
    input_options,
    not_empty,
    passage_options,
    sketch_options,
    with_config,
)

# reuse.report.html.MAX_PAIR_PAGES, likewise without importing the report (tests/test_report_long.py
# checks that the two agree).
MAX_PAIR_PAGES = 50


@contextlib.contextmanager
def _claimed(input_path: str, out: str, write_kept: str | None = None) -> Iterator[Path]:
    """Check the output paths against the input and claim (create, check, lock) the run folder
    before the corpus is read, and hold it until the command is done. A Ctrl-C or SIGTERM
    removes the folder's manifest, also an earlier run's: it would make this run look complete."""
    from ..runfolder.folder import check_output_paths, claim

    check_output_paths(input_path, out, write_kept)
    with claim(out, incomplete_on_interrupt=True) as folder:
        yield folder.path


def _start_workers_early(workers: int | None, options: dict[str, Any],
                         stages: tuple[str, ...]) -> int:
    """With more than one worker on the local engine, start the workers' fork server before
    this process imports the pipeline: the server's own imports (of ``stages``) then run
    beside this process's instead of after them. Returns the local engine's worker count (1
    on Spark)."""
    if options.get("engine", "local") != "local":
        return 1
    from ..engine import resolve_workers, start_worker_server

    count = resolve_workers(workers, "the command")
    start_worker_server(count, stages)
    return count


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--out", "out", required=True, type=click.Path(file_okay=False),
                     callback=not_empty,
                     help="Run folder to write: a new or empty folder, or an earlier run folder "
                          "(only reuse's own files in it are replaced)."),
        click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "csv"]),
                     default="parquet", show_default=True, help="Format of the tables."),
        QUIET,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--workers and --memory-budget: how many processes the map stages use, and how much
    memory the grouping stages may hold before they spill to temporary files; --engine and
    --spark-dir: whether they run on Spark, and where it writes."""
    command = click.option(
        "--spark-dir", type=click.Path(file_okay=False), default=None,
        show_default="--out/checkpoints/",
        help="With --engine spark: where the Spark stages write (on a cluster, storage every "
             "executor reaches): the run's stage checkpoints go into a new folder "
             "reuse-checkpoints-HEX/ there, removed once the run is written.")(command)
    command = click.option(
        "--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
        help="Run the stages here (local) or on Spark (the session of spark-submit, else a "
             "local one); the tables are the same.")(command)
    command = click.option(
        "--memory-budget", default=None, show_default="1GiB",
        help="Memory for grouping candidates (e.g. 512MB, 2GB); beyond it they are sorted in "
             "partitions on disk (under TMPDIR).")(command)
    return WORKERS(command)


def checkpoint_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--resume and --keep-checkpoints: the stage checkpoints kept in the run folder."""
    command = click.option(
        "--keep-checkpoints", is_flag=True,
        help="Keep the stage checkpoints (--out/checkpoints/, and with --engine spark "
             "--spark-dir the stage folder there) once the run is written; by default they are "
             "removed then.")(command)
    return click.option(
        "--resume", is_flag=True,
        help="Continue the killed or interrupted run in --out from its last complete stage "
             "(same input, same options; the tables are the same as an uninterrupted run's).")(
        command)


_WRITE_KEPT = click.option(
    "--write-kept", type=click.Path(), default=None, callback=not_empty,
    show_default="not written",
    help="Also write the kept documents here, in the input's format, as UTF-8 (a new path, "
         "outside the input and the run folder).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reuse")
def main() -> None:
    """Find near-duplicate documents and reused passages in a corpus."""


@main.command(short_help="Near-duplicate documents: pairs, clusters, keep/drop.")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False),
                callback=not_empty)
@output_options
@sketch_options
@engine_options
@input_options
@CONFIG
@_WRITE_KEPT
@checkpoint_options
@handle_errors
def dedup(input_path: str, out: str, fmt: str, quiet: bool, write_kept: str | None,
          config_path: str | None, resume: bool, keep_checkpoints: bool,
          **options: Any) -> None:
    """Near-duplicate documents of INPUT: pairs, clusters and keep/drop decisions.

    INPUT is a folder of .txt files, or a .jsonl[.gz], .csv, .tsv or .parquet file; with
    --engine spark, a .jsonl file or .txt folder may be at any URI Spark reads (hdfs://, s3a://).
    """
    from ..engine import DEDUP_STAGES

    started = time.perf_counter()
    options = with_config(options, config_path)
    _start_workers_early(options.get("workers"), options, DEDUP_STAGES)
    from ..pipeline import dedup as run_dedup
    from ..pipeline import write_run
    from ..report.summary import run_summary

    with _claimed(input_path, out, write_kept):
        # The texts are read back only to write the kept documents.
        result = run_dedup(input_path, quiet=quiet, checkpoint=out, resume=resume,
                           keep_checkpoints=keep_checkpoints, keep_texts=write_kept is not None,
                           **options)
        try:
            folder = write_run(result, out, fmt=fmt, source=input_path, write_kept=write_kept)
        finally:
            result.close()
    if not quiet:
        click.echo(run_summary(result, folder, "dedup", wall=time.perf_counter() - started))


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--group-by", default=None, show_default="none",
                     help="Aggregate the reuse matrix by this metadata field (e.g. source)."),
        click.option("--max-matrix-docs", type=click.IntRange(min=2), default=100,
                     show_default=True,
                     help="Above this many documents the HTML matrix shows the most-reusing ones."),
        click.option("--max-list-rows", type=click.IntRange(min=1), default=100_000,
                     show_default=True,
                     help="Rows embedded in one list page; a longer list is split into parts."),
        click.option("--max-pair-pages", type=click.IntRange(min=0), default=MAX_PAIR_PAGES,
                     show_default=True,
                     help="Pair pages written, for the pairs first in the pair list (largest "
                          "share first); the others are listed without a page."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command(short_help="Near-duplicates, reused passages and the HTML report.")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False),
                callback=not_empty)
@output_options
@sketch_options
@passage_options
@input_options
@report_options
@click.option("--no-report", is_flag=True, help="Write the tables only, no HTML report.")
@CONFIG
@_WRITE_KEPT
@engine_options
@checkpoint_options
@handle_errors
def run(input_path: str, out: str, fmt: str, quiet: bool, write_kept: str | None,
        no_report: bool, group_by: str | None, max_matrix_docs: int, max_list_rows: int,
        max_pair_pages: int, config_path: str | None, workers: int | None, resume: bool,
        keep_checkpoints: bool, **options: Any) -> None:
    """Everything: near-duplicates, reused passages, passage clusters and the HTML report.

    INPUT is a folder of .txt files, or a .jsonl[.gz], .csv, .tsv or .parquet file; with
    --engine spark, a .jsonl file or .txt folder may be at any URI Spark reads (hdfs://, s3a://).
    """
    from ..engine import EVERY_STAGE, PIPELINE_STAGES, worker_pool

    started = time.perf_counter()
    options = with_config(options, config_path)
    count = _start_workers_early(workers, options,
                                 PIPELINE_STAGES if no_report else EVERY_STAGE)
    from ..pipeline import run as run_all
    from ..pipeline import write_run
    from ..report.summary import run_summary

    # The report's pages are rendered by the workers of the run's stages.
    with _claimed(input_path, out, write_kept), worker_pool(count):
        on_spark = options.get("engine") == "spark"  # Spark reads the input (reuse.spark.read)
        # --group-by is checked against the corpus before the pipeline runs, which then has the
        # corpus read alone; else the pipeline reads it, sketching while it reads.
        read_first = group_by is not None and not no_report and not on_spark
        corpus = _read_input(input_path, options, quiet) if read_first else input_path
        seconds = time.perf_counter() - started
        if read_first:
            _check_group_by(corpus, group_by)
        result = run_all(corpus, quiet=quiet, workers=workers, checkpoint=out, resume=resume,
                         keep_checkpoints=keep_checkpoints, **options)
        if on_spark and group_by is not None and not no_report:
            _check_group_by(result.corpus, group_by)
        if read_first:
            result.timings["ingest"] = round(seconds, 4)
        plan = {"render": not no_report, "group_by": group_by, "max_matrix_docs": max_matrix_docs,
                "max_list_rows": max_list_rows, "max_pair_pages": max_pair_pages}
        folder = write_run(result, out, fmt=fmt, source=input_path, write_kept=write_kept,
                           command="run", report_options=plan)
        report = None
        if not no_report:
            report = _render(folder, group_by, max_matrix_docs, max_list_rows, max_pair_pages,
                             result, quiet, workers)
    if not quiet:
        click.echo(run_summary(result, folder, "run", report,
                               wall=time.perf_counter() - started))


@main.command(short_help="Align only the document pairs listed in --pairs.")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False),
                callback=not_empty)
@click.option("--pairs", "pairs_path", required=True, type=click.Path(), callback=not_empty,
              help="Pairs to align: 'a b' per line, or a table with a_id and b_id columns.")
@output_options
@click.option("--min-length", type=int, default=ALIGN_MIN_LENGTH, show_default=True,
              help="Shortest reused passage to report, in tokens.")
@click.option("--paraphrase/--no-paraphrase", default=True, show_default=True,
              help="Also seed alignments with sentence TF-IDF similarity.")
@click.option("--ocr-tolerant", is_flag=True, default=False, show_default=True,
              help="Also seed with character n-grams that forgive OCR errors (slower).")
@input_options
@CONFIG
@WORKERS
@handle_errors
def align(input_path: str, pairs_path: str, out: str, fmt: str, quiet: bool,
          config_path: str | None, **options: Any) -> None:
    """Align only the document pairs listed in --pairs (pairs mode)."""
    from ..pipeline import align_pairs, write_run
    from ..report.summary import run_summary

    started = time.perf_counter()
    options = with_config(options, config_path)
    with _claimed(input_path, out):
        result = align_pairs(input_path, pairs_path, quiet=quiet, **options)
        folder = write_run(result, out, fmt=fmt, source=input_path, command="align")
    if not quiet:
        click.echo(run_summary(result, folder, "align", wall=time.perf_counter() - started))


@main.command(short_help="Repeat a run exactly, from its manifest.")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(), callback=not_empty)
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              callback=not_empty, show_default="RUN_DIR, replaced",
              help="Run folder to write the repeated run to.")
@QUIET
@handle_errors
def rerun(run_dir: str, out: str | None, quiet: bool) -> None:
    """Repeat the run of RUN_DIR from its manifest.json: the same command, on the same input
    read the same way, with the same options, table format and report, gives byte-identical
    tables. The input must be unchanged (its fingerprint is checked). --write-kept is not
    repeated.
    """
    from ..pipeline import rerun as repeat
    from ..report.summary import run_summary
    from ..runfolder.tables import read_manifest

    started = time.perf_counter()
    target = run_dir if out is None else out
    result = repeat(run_dir, out=target, quiet=quiet)
    if not quiet:
        manifest = read_manifest(target)
        report = manifest.get("report")
        index = Path(target) / report["index"] if isinstance(report, dict) else None
        if isinstance(report, dict) and "seconds" in report:
            result.timings["report"] = report["seconds"]
        click.echo(run_summary(result, Path(target), f"rerun ({manifest['command']})", index,
                               wall=time.perf_counter() - started))


def _read_input(input_path: str, options: dict[str, Any], quiet: bool) -> Any:
    """Read the corpus with the command's reading options, so that what depends on the corpus
    (--group-by) is checked before the pipeline runs."""
    from ..ingest import READ_OPTIONS, read_corpus

    return read_corpus(input_path, **{name: options[name] for name in READ_OPTIONS},
                       quiet=quiet)


def _check_group_by(corpus: Any, group_by: str) -> None:
    if all(meta.get(group_by) is None for meta in corpus.metadata):
        fields = sorted({key for meta in corpus.metadata for key in meta})
        raise ConfigError(
            f"The 'group_by' field {group_by!r} is not in any document's metadata. "
            f"Fields present: {', '.join(fields) if fields else 'none'}."
        )


def _render(folder: Any, group_by: str | None, max_matrix_docs: int, max_list_rows: int,
            max_pair_pages: int, result: Any = None, quiet: bool = True,
            workers: int | None = None) -> Any:
    """Render the report, with its progress bars; its seconds join ``result``'s timings."""
    from ..report.html import render_report

    started = time.perf_counter()
    index = render_report(folder, group_by=group_by, max_matrix_docs=max_matrix_docs,
                          max_list_rows=max_list_rows, max_pair_pages=max_pair_pages,
                          workers=workers, quiet=quiet)
    if result is not None:
        result.timings["report"] = round(time.perf_counter() - started, 4)
    return index


@main.command(short_help="Render the report of a finished run folder.")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(), callback=not_empty)
@report_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@WORKERS
@handle_errors
def report(run_dir: str, group_by: str | None, max_matrix_docs: int, max_list_rows: int,
           max_pair_pages: int, quiet: bool, workers: int | None) -> None:
    """Render the HTML report, reuse matrix and heatmap of a finished run folder."""
    index = _render(run_dir, group_by, max_matrix_docs, max_list_rows, max_pair_pages,
                    quiet=quiet, workers=workers)
    click.echo(printable(f"report: {index}"))


@main.group(name="eval", short_help="Evaluate against corpora with gold labels.")
def evaluate() -> None:
    """Evaluate against corpora with gold labels."""


@evaluate.command(name="pan", short_help="PlagDet on a PAN text-alignment corpus.")
@click.argument("corpus_dir", metavar="CORPUS_DIR", type=click.Path())
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              show_default="not written",
              help="Write the detections here as PAN XML, one file per pair.")
@click.option("--discover", is_flag=True,
              help="Find the pairs with the corpus-wide pipeline instead of the pairs files.")
@click.option("--category", "categories", multiple=True,
              show_default="every folder with a 'pairs' file",
              help="Only this category folder (repeatable), e.g. 02-no-obfuscation.")
@click.option("--jobs", type=int, default=1, show_default=True,
              help="Align in this many processes.")
@click.option("--ocr-tolerant", is_flag=True,
              help="Also seed with character n-grams that forgive OCR errors (slower).")
@handle_errors
def evaluate_pan_command(corpus_dir: str, out: str | None, discover: bool,
                         categories: tuple[str, ...], jobs: int, ocr_tolerant: bool) -> None:
    """Recall, precision, granularity and PlagDet on a PAN text-alignment corpus.

    Every folder of CORPUS_DIR that holds a 'pairs' file is a category, evaluated in name
    order. With --discover, the corpus-wide pipeline finds the pairs itself, and the table adds
    the pairs-mode recall and the share of it that discovery keeps (recall_kept).
    """
    from ..align.config import AlignConfig
    from ..evaluate import discover_pan, evaluate_pan, format_scores

    evaluate = discover_pan if discover else evaluate_pan
    scores = evaluate(corpus_dir, out, AlignConfig(ocr_tolerant=ocr_tolerant),
                      categories=list(categories) or None, n_jobs=jobs)
    click.echo(format_scores(scores))


main.add_command(index_commands, "index")
