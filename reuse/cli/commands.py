"""The ``reuse`` command: a thin layer that parses arguments and calls the Python API."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import ConfigError, ReuseError, printable
from .index import index as index_commands

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
_RUN_FOLDER_COMMANDS = ("dedup", "run", "align", "rerun")
# reuse.align.config.AlignConfig.min_length, shown in --help without importing the aligner;
# tests/test_docs.py checks that the two agree.
ALIGN_MIN_LENGTH = 25
# reuse.report.html.MAX_PAIR_PAGES, likewise without importing the report (tests/test_report_long.py
# checks that the two agree).
MAX_PAIR_PAGES = 50


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so that ``finally`` blocks remove temporary files."""


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    def on_sigterm(signum: int, frame: Any) -> None:
        raise _Terminated

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ReuseError into 'reuse: error: ...' and its exit code; Ctrl-C into exit 130 and
    SIGTERM into exit 143. The run folder claimed by the command (see :func:`_claimed`) has
    already been marked incomplete then; a folder the command never claimed is not touched."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _terminate_as_interrupt():
                return command(*args, **kwargs)
        except ReuseError as exc:
            click.echo(f"reuse: error: {printable(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            message = "reuse: terminated" if isinstance(exc, _Terminated) else "reuse: interrupted"
            out = kwargs.get("out") or kwargs.get("run_dir")
            if command.__name__ in _RUN_FOLDER_COMMANDS and out and _was_marked_incomplete(out):
                message += f"; {out} holds no complete run (no manifest.json). Run it again."
            click.echo(printable(message), err=True)
            sys.exit(EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED)

    return wrapper


def _was_marked_incomplete(out: str) -> bool:
    if "reuse.runfolder.folder" not in sys.modules:  # interrupted before anything was claimed
        return False
    from ..runfolder.folder import marked_incomplete

    return marked_incomplete(out)


@contextlib.contextmanager
def _claimed(input_path: str, out: str, write_kept: str | None = None) -> Iterator[Path]:
    """Check the output paths against the input and claim (create, check, lock) the run folder
    before the corpus is read, and hold it until the command is done. A Ctrl-C or SIGTERM
    removes the folder's manifest, also an earlier run's: it would make this run look complete."""
    from ..runfolder.folder import check_output_paths, claim

    check_output_paths(input_path, out, write_kept)
    with claim(out, incomplete_on_interrupt=True) as folder:
        yield folder.path


def _not_empty(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value == "":
        raise click.BadParameter("an empty path; name a file or folder (. for the current one)")
    return value


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    from ..ingest import DEFAULT_MAX_DOC_CHARS, QUOTING_CHOICES

    options = [
        click.option("--id-field", default="id", show_default=True,
                     help="Field or column holding the document id (JSONL, CSV/TSV, Parquet, "
                     "and the --metadata-file)."),
        click.option("--text-field", default="text", show_default=True,
                     help="Field or column holding the document text."),
        click.option("--encoding", default="utf-8", show_default=True,
                     help="Encoding of the input: utf-8 (strict), auto (UTF-8, else "
                     "windows-1252, counted and listed), or a Python codec (cp1252, latin-1, "
                     "...). A byte-order mark overrides it."),
        click.option("--metadata-file", type=click.Path(), default=None, callback=_not_empty,
                     show_default="none",
                     help="A CSV, TSV, JSONL or Parquet table of metadata with the --id-field "
                     "column, added to each document's (e.g. dates for a folder of .txt)."),
        click.option("--date-field", default=None, show_default="date",
                     help="Metadata field holding each document's date; the earliest is kept "
                     "and marked as the likely source."),
        click.option("--on-error", type=click.Choice(["raise", "skip"]), default="raise",
                     show_default=True,
                     help="On a bad record: stop with an error, or skip it and count it."),
        click.option("--quoting", type=click.Choice(QUOTING_CHOICES), default=None,
                     show_default="csv for .csv, none for .tsv",
                     help="CSV/TSV dialect: csv (RFC 4180 quotes) or none (every field "
                     "literal)."),
        click.option("--max-doc-chars", type=int, default=DEFAULT_MAX_DOC_CHARS,
                     show_default=True,
                     help="A longer text is a bad record (too_long), refused unread where the "
                     "format allows."),
        click.option("--strip-diacritics", is_flag=True,
                     help="Compare tokens without diacritics (é = e)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def sketch_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--threshold", type=float, default=0.8, show_default=True,
                     help="Jaccard similarity at which two documents are near-duplicates."),
        click.option("--num-perm", type=int, default=128, show_default=True,
                     help="MinHash permutations per signature."),
        click.option("--ngram", type=int, default=5, show_default=True,
                     help="Words per shingle."),
        click.option("--seed", type=int, default=1, show_default=True,
                     help="Seed of the MinHash hash family."),
        click.option("--verify", type=click.Choice(["estimate", "exact"]), default="estimate",
                     show_default=True,
                     help="Accept candidates on the MinHash estimate or on exact Jaccard."),
        click.option("--min-tokens", type=int, default=0, show_default=True,
                     help="Documents with fewer tokens (or fewer than --ngram) are too short."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--out", "out", required=True, type=click.Path(file_okay=False),
                     callback=_not_empty,
                     help="Run folder to write: a new or empty folder, or an earlier run folder "
                          "(only reuse's own files in it are replaced)."),
        click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "csv"]),
                     default="parquet", show_default=True, help="Format of the tables."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bars and no summary."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


_CONFIG = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), default=None,
    callback=_not_empty, show_default="none",
    help="A TOML or JSON file of parameters: the keys of reuse.Config, at the top (threshold, "
         "passage_ngram, ...) or in [dedup], [passages], [align], [bands] and [tokenize] "
         "tables. Options given on the command line override it.")


def _with_config(options: dict[str, Any], config_path: str | None) -> dict[str, Any]:
    """The command's keyword arguments for the Python API: with ``--config``, its config, and
    only the options that the command line gave (the others would override the file with
    their defaults)."""
    if config_path is None:
        return options
    from click.core import ParameterSource

    from ..config import KEYWORDS, load_config

    context = click.get_current_context()
    given = {name: value for name, value in options.items()
             if name not in KEYWORDS or context.get_parameter_source(name)
             is not ParameterSource.DEFAULT}
    return {**given, "config": load_config(config_path)}

_WORKERS = click.option(
    "--workers", type=click.IntRange(min=1), default=None, show_default="every core",
    help="Worker processes for the map stages; the output is the same for any number.")


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--workers and --memory-budget: how many processes the map stages use, and how much
    memory the grouping stages may hold before they spill to temporary files; --engine and
    --spark-dir: whether they run on Spark, and where it writes."""
    command = click.option(
        "--spark-dir", type=click.Path(file_okay=False), default=None,
        show_default="a temporary folder",
        help="With --engine spark: where the Spark stages write (on a cluster, storage every "
             "executor reaches).")(command)
    command = click.option(
        "--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
        help="Run the stages here (local) or on Spark (the session of spark-submit, else a "
             "local one); the tables are the same.")(command)
    command = click.option(
        "--memory-budget", default=None, show_default="1GiB",
        help="Memory for grouping candidates (e.g. 512MB, 2GB); beyond it they are sorted in "
             "partitions on disk (under TMPDIR).")(command)
    return _WORKERS(command)


def checkpoint_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--resume and --keep-checkpoints: the stage checkpoints kept in the run folder."""
    command = click.option(
        "--keep-checkpoints", is_flag=True,
        help="Keep the stage checkpoints (--out/checkpoints/) once the run is written; by "
             "default they are removed then.")(command)
    return click.option(
        "--resume", is_flag=True,
        help="Continue the killed or interrupted run in --out from its last complete stage "
             "(same input, same options; the tables are the same as an uninterrupted run's).")(
        command)


_WRITE_KEPT = click.option(
    "--write-kept", type=click.Path(), default=None, callback=_not_empty,
    show_default="not written",
    help="Also write the kept documents here, in the input's format, as UTF-8 (a new path, "
         "outside the input and the run folder).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reuse")
def main() -> None:
    """Find near-duplicate documents and reused passages in a corpus."""


@main.command(short_help="Near-duplicate documents: pairs, clusters, keep/drop.")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False),
                callback=_not_empty)
@output_options
@sketch_options
@engine_options
@input_options
@_CONFIG
@_WRITE_KEPT
@checkpoint_options
@_handle_errors
def dedup(input_path: str, out: str, fmt: str, quiet: bool, write_kept: str | None,
          config_path: str | None, resume: bool, keep_checkpoints: bool,
          **options: Any) -> None:
    """Near-duplicate documents of INPUT: pairs, clusters and keep/drop decisions.

    INPUT is a folder of .txt files, or a .jsonl[.gz], .csv, .tsv or .parquet file.
    """
    from ..pipeline import dedup as run_dedup
    from ..pipeline import write_run
    from ..report.summary import run_summary

    started = time.perf_counter()
    options = _with_config(options, config_path)
    with _claimed(input_path, out, write_kept):
        result = run_dedup(input_path, quiet=quiet, checkpoint=out, resume=resume,
                           keep_checkpoints=keep_checkpoints, **options)
        try:
            folder = write_run(result, out, fmt=fmt, source=input_path, write_kept=write_kept)
        finally:
            result.close()
    if not quiet:
        click.echo(run_summary(result, folder, "dedup", wall=time.perf_counter() - started))


def passage_options(command: Callable[..., Any]) -> Callable[..., Any]:
    from ..config import PassageConfig

    options = [
        click.option("--min-length", type=int, default=ALIGN_MIN_LENGTH, show_default=True,
                     help="Shortest reused passage to report, in tokens."),
        click.option("--paraphrase/--no-paraphrase", default=False, show_default=True,
                     help="Also seed alignments with sentence TF-IDF similarity (slower)."),
        click.option("--window", type=int, default=PassageConfig.window, show_default=True,
                     help="Shingles per passage window."),
        click.option("--passage-ngram", type=int, default=PassageConfig.ngram, show_default=True,
                     help="Words per shingle for passage windows."),
        click.option("--max-bucket", type=int, default=PassageConfig.max_bucket, show_default=True,
                     help="A passage window found in more documents is very common: its "
                     "documents are paired with one of them only (counted)."),
        click.option("--max-pairs-per-doc", type=int, default=PassageConfig.max_pairs_per_doc,
                     show_default=True, help="Candidate partners kept per document."),
        click.option("--boilerplate-docs", type=int, default=PassageConfig.boilerplate_docs,
                     show_default=True, help="A passage in this many unrelated documents is boilerplate."),
        click.option("--boilerplate-share", type=float,
                     default=PassageConfig.boilerplate_share, show_default=True,
                     help="...or in this share of the documents (and at least 3)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


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
                callback=_not_empty)
@output_options
@sketch_options
@passage_options
@input_options
@report_options
@click.option("--no-report", is_flag=True, help="Write the tables only, no HTML report.")
@_CONFIG
@_WRITE_KEPT
@engine_options
@checkpoint_options
@_handle_errors
def run(input_path: str, out: str, fmt: str, quiet: bool, write_kept: str | None,
        no_report: bool, group_by: str | None, max_matrix_docs: int, max_list_rows: int,
        max_pair_pages: int, config_path: str | None, workers: int | None, resume: bool,
        keep_checkpoints: bool, **options: Any) -> None:
    """Everything: near-duplicates, reused passages, passage clusters and the HTML report.

    INPUT is a folder of .txt files, or a .jsonl[.gz], .csv, .tsv or .parquet file.
    """
    from ..pipeline import run as run_all
    from ..pipeline import write_run
    from ..report.summary import run_summary

    started = time.perf_counter()
    options = _with_config(options, config_path)
    with _claimed(input_path, out, write_kept):
        corpus = _read_input(input_path, options, quiet)
        seconds = time.perf_counter() - started
        if group_by is not None and not no_report:
            _check_group_by(corpus, group_by)
        result = run_all(corpus, quiet=quiet, workers=workers, checkpoint=out, resume=resume,
                         keep_checkpoints=keep_checkpoints, **options)
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
                callback=_not_empty)
@click.option("--pairs", "pairs_path", required=True, type=click.Path(), callback=_not_empty,
              help="Pairs to align: 'a b' per line, or a table with a_id and b_id columns.")
@output_options
@click.option("--min-length", type=int, default=ALIGN_MIN_LENGTH, show_default=True,
              help="Shortest reused passage to report, in tokens.")
@click.option("--paraphrase/--no-paraphrase", default=True, show_default=True,
              help="Also seed alignments with sentence TF-IDF similarity.")
@click.option("--ocr-tolerant", is_flag=True, default=False, show_default=True,
              help="Also seed with character n-grams that forgive OCR errors (slower).")
@input_options
@_CONFIG
@_WORKERS
@_handle_errors
def align(input_path: str, pairs_path: str, out: str, fmt: str, quiet: bool,
          config_path: str | None, **options: Any) -> None:
    """Align only the document pairs listed in --pairs (pairs mode)."""
    from ..pipeline import align_pairs, write_run
    from ..report.summary import run_summary

    started = time.perf_counter()
    options = _with_config(options, config_path)
    with _claimed(input_path, out):
        result = align_pairs(input_path, pairs_path, quiet=quiet, **options)
        folder = write_run(result, out, fmt=fmt, source=input_path, command="align")
    if not quiet:
        click.echo(run_summary(result, folder, "align", wall=time.perf_counter() - started))


@main.command(short_help="Repeat a run exactly, from its manifest.")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(), callback=_not_empty)
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              callback=_not_empty, show_default="RUN_DIR, replaced",
              help="Run folder to write the repeated run to.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars and no summary.")
@_handle_errors
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
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(), callback=_not_empty)
@report_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_WORKERS
@_handle_errors
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
@_handle_errors
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
