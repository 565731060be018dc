"""The ``reuse`` command: a thin layer that parses arguments and calls the Python API."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from . import __version__
from .errors import ReuseError

EXIT_INTERRUPTED = 130


def _handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ReuseError into 'reuse: error: ...' and its exit code; Ctrl-C into exit 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ReuseError as exc:
            click.echo(f"reuse: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("reuse: interrupted; the run folder is incomplete and has no manifest.json",
                       err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--id-field", default="id", show_default=True,
                     help="Field or column holding the document id (JSONL, CSV/TSV, Parquet)."),
        click.option("--text-field", default="text", show_default=True,
                     help="Field or column holding the document text."),
        click.option("--on-error", type=click.Choice(["raise", "skip"]), default="raise",
                     show_default=True,
                     help="On a bad record: stop with an error, or skip it and count it."),
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
                     help="Run folder to write."),
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
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False))
@output_options
@sketch_options
@input_options
@click.option("--write-kept", type=click.Path(), default=None,
              help="Also write the kept documents here, in the input's format.")
@_handle_errors
def dedup(input_path: str, out: str, fmt: str, quiet: bool, write_kept: str | None,
          **options: Any) -> None:
    """Near-duplicate documents of INPUT: pairs, clusters and keep/drop decisions.

    INPUT is a folder of .txt files, or a .jsonl[.gz], .csv, .tsv or .parquet file.
    """
    from .pipeline import dedup as run_dedup
    from .pipeline import write_dedup
    from .summary import dedup_summary

    result = run_dedup(input_path, quiet=quiet, **options)
    folder = write_dedup(result, out, fmt=fmt, source=input_path, write_kept=write_kept)
    if not quiet:
        click.echo(dedup_summary(result, folder))
