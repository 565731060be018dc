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

from . import __version__
from .errors import ConfigError, ReuseError, printable

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
_RUN_FOLDER_COMMANDS = ("dedup", "run", "align")


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
            out = kwargs.get("out")
            if command.__name__ in _RUN_FOLDER_COMMANDS and out and _was_marked_incomplete(out):
                message += f"; {out} holds no complete run (no manifest.json). Run it again."
            click.echo(printable(message), err=True)
            sys.exit(EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED)

    return wrapper


def _was_marked_incomplete(out: str) -> bool:
    if "reuse.runfolder" not in sys.modules:  # interrupted before anything was claimed
        return False
    from .runfolder import marked_incomplete

    return marked_incomplete(out)


@contextlib.contextmanager
def _claimed(input_path: str, out: str, write_kept: str | None = None) -> Iterator[Path]:
    """Check the output paths against the input and claim (create, check, lock) the run folder
    before the corpus is read, and hold it until the command is done. A Ctrl-C or SIGTERM
    removes the folder's manifest, also an earlier run's: it would make this run look complete."""
    from .runfolder import check_output_paths, claim

    check_output_paths(input_path, out, write_kept)
    with claim(out, incomplete_on_interrupt=True) as folder:
        yield folder.path


def _not_empty(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value == "":
        raise click.BadParameter("an empty path; name a file or folder (. for the current one)")
    return value


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    from .ingest import DEFAULT_MAX_DOC_CHARS, QUOTING_CHOICES

    options = [
        click.option("--id-field", default="id", show_default=True,
                     help="Field or column holding the document id (JSONL, CSV/TSV, Parquet)."),
        click.option("--text-field", default="text", show_default=True,
                     help="Field or column holding the document text."),
        click.option("--on-error", type=click.Choice(["raise", "skip"]), default="raise",
                     show_default=True,
                     help="On a bad record: stop with an error, or skip it and count it."),
        click.option("--quoting", type=click.Choice(QUOTING_CHOICES), default=None,
                     help="CSV/TSV dialect: csv (RFC 4180 quotes) or none (every field literal). "
                     "Default: csv for .csv, none for .tsv."),
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
                     help="Documents with fewer tokens (and fewer than --ngram) are too short."),
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reuse")
def main() -> None:
    """Find near-duplicate documents and reused passages in a corpus."""


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False),
                callback=_not_empty)
@output_options
@sketch_options
@input_options
@click.option("--write-kept", type=click.Path(), default=None, callback=_not_empty,
              help="Also write the kept documents here, in the input's format (a new path, "
                   "outside the input and the run folder).")
@_handle_errors
def dedup(input_path: str, out: str, fmt: str, quiet: bool, write_kept: str | None,
          **options: Any) -> None:
    """Near-duplicate documents of INPUT: pairs, clusters and keep/drop decisions.

    INPUT is a folder of .txt files, or a .jsonl[.gz], .csv, .tsv or .parquet file.
    """
    from .pipeline import dedup as run_dedup
    from .pipeline import write_run
    from .summary import run_summary

    with _claimed(input_path, out, write_kept):
        result = run_dedup(input_path, quiet=quiet, **options)
        folder = write_run(result, out, fmt=fmt, source=input_path, write_kept=write_kept)
    if not quiet:
        click.echo(run_summary(result, folder, "dedup"))


def passage_options(command: Callable[..., Any]) -> Callable[..., Any]:
    from .config import PassageConfig

    options = [
        click.option("--min-length", type=int, default=None,
                     help="Shortest reused passage to report, in tokens (default: the aligner's)."),
        click.option("--paraphrase/--no-paraphrase", default=False, show_default=True,
                     help="Also seed alignments with sentence TF-IDF similarity (slower)."),
        click.option("--window", type=int, default=PassageConfig.window, show_default=True,
                     help="Shingles per passage window."),
        click.option("--passage-ngram", type=int, default=PassageConfig.ngram, show_default=True,
                     help="Words per shingle for passage windows."),
        click.option("--max-bucket", type=int, default=PassageConfig.max_bucket, show_default=True,
                     help="A window fingerprint in more documents is capped and flagged."),
        click.option("--max-pairs-per-doc", type=int, default=PassageConfig.max_pairs_per_doc,
                     show_default=True, help="Candidate partners kept per document."),
        click.option("--boilerplate-docs", type=int, default=PassageConfig.boilerplate_docs,
                     show_default=True, help="A passage in this many documents is boilerplate."),
        click.option("--boilerplate-share", type=float,
                     default=PassageConfig.boilerplate_share, show_default=True,
                     help="...or in this share of the documents (at least 3)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--group-by", default=None,
                     help="Aggregate the reuse matrix by this metadata field (e.g. source)."),
        click.option("--max-matrix-docs", type=click.IntRange(min=2), default=100,
                     show_default=True,
                     help="Above this many documents the HTML matrix shows the most-reusing ones."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False),
                callback=_not_empty)
@output_options
@sketch_options
@passage_options
@input_options
@report_options
@click.option("--no-report", is_flag=True, help="Write the tables only, no HTML report.")
@click.option("--write-kept", type=click.Path(), default=None, callback=_not_empty,
              help="Also write the kept documents here, in the input's format (a new path, "
                   "outside the input and the run folder).")
@_handle_errors
def run(input_path: str, out: str, fmt: str, quiet: bool, write_kept: str | None,
        no_report: bool, group_by: str | None, max_matrix_docs: int, **options: Any) -> None:
    """Everything: near-duplicates, reused passages, passage clusters and the HTML report.

    INPUT is a folder of .txt files, or a .jsonl[.gz], .csv, .tsv or .parquet file.
    """
    from .pipeline import run as run_all
    from .pipeline import write_run
    from .summary import run_summary

    with _claimed(input_path, out, write_kept):
        started = time.perf_counter()
        corpus = _read_input(input_path, options)
        seconds = time.perf_counter() - started
        if group_by is not None and not no_report:
            _check_group_by(corpus, group_by)
        result = run_all(corpus, quiet=quiet, **options)
        result.timings["ingest"] = round(seconds, 4)
        folder = write_run(result, out, fmt=fmt, source=input_path, write_kept=write_kept,
                           command="run")
        report = None
        if not no_report:
            report = _render(folder, group_by, max_matrix_docs)
    if not quiet:
        click.echo(run_summary(result, folder, "run", report))


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False),
                callback=_not_empty)
@click.option("--pairs", "pairs_path", required=True, type=click.Path(), callback=_not_empty,
              help="Pairs to align: 'a b' per line, or a table with a_id and b_id columns.")
@output_options
@click.option("--min-length", type=int, default=None,
              help="Shortest reused passage to report, in tokens (default: the aligner's).")
@click.option("--paraphrase/--no-paraphrase", default=True, show_default=True,
              help="Also seed alignments with sentence TF-IDF similarity.")
@input_options
@_handle_errors
def align(input_path: str, pairs_path: str, out: str, fmt: str, quiet: bool,
          **options: Any) -> None:
    """Align only the document pairs listed in --pairs (pairs mode)."""
    from .pipeline import align_pairs, write_run
    from .summary import run_summary

    with _claimed(input_path, out):
        result = align_pairs(input_path, pairs_path, quiet=quiet, **options)
        folder = write_run(result, out, fmt=fmt, source=input_path, command="align")
    if not quiet:
        click.echo(run_summary(result, folder, "align"))


def _read_input(input_path: str, options: dict[str, Any]) -> Any:
    """Read the corpus with the command's reading options, so that what depends on the corpus
    (--group-by) is checked before the pipeline runs."""
    from .ingest import read_corpus

    return read_corpus(
        input_path, id_field=options["id_field"], text_field=options["text_field"],
        on_error=options["on_error"], quoting=options["quoting"],
        max_doc_chars=options["max_doc_chars"],
    )


def _check_group_by(corpus: Any, group_by: str) -> None:
    if all(meta.get(group_by) is None for meta in corpus.metadata):
        fields = sorted({key for meta in corpus.metadata for key in meta})
        raise ConfigError(
            f"The 'group_by' field {group_by!r} is not in any document's metadata. "
            f"Fields present: {', '.join(fields) if fields else 'none'}."
        )


def _render(folder: Any, group_by: str | None, max_matrix_docs: int) -> Any:
    from .report.html import render_report

    return render_report(folder, group_by=group_by, max_matrix_docs=max_matrix_docs)


@main.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(), callback=_not_empty)
@report_options
@_handle_errors
def report(run_dir: str, group_by: str | None, max_matrix_docs: int) -> None:
    """Render the HTML report, reuse matrix and heatmap of a finished run folder."""
    index = _render(run_dir, group_by, max_matrix_docs)
    click.echo(printable(f"report: {index}"))


@main.group(name="eval")
def evaluate() -> None:
    """Evaluate against corpora with gold labels."""


@evaluate.command(name="pan")
@click.argument("corpus_dir", metavar="CORPUS_DIR", type=click.Path())
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Write the detections here as PAN XML, one file per pair.")
@click.option("--discover", is_flag=True,
              help="Find the pairs with the corpus-wide pipeline instead of the pairs files.")
@click.option("--category", "categories", multiple=True,
              help="Only this category folder (repeatable), e.g. 02-no-obfuscation.")
@click.option("--jobs", type=int, default=1, show_default=True,
              help="Align in this many processes.")
@_handle_errors
def evaluate_pan_command(corpus_dir: str, out: str | None, discover: bool,
                         categories: tuple[str, ...], jobs: int) -> None:
    """Recall, precision, granularity and PlagDet on a PAN text-alignment corpus.

    With --discover, the corpus-wide pipeline finds the pairs itself, and the table adds the
    pairs-mode recall and the share of it that discovery keeps (recall_kept).
    """
    from .evaluate import discover_pan, evaluate_pan, format_scores

    evaluate = discover_pan if discover else evaluate_pan
    scores = evaluate(corpus_dir, out, categories=list(categories) or None, n_jobs=jobs)
    click.echo(format_scores(scores))
