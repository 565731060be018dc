"""``reuse index``: create, add to, query, inspect and prune a persistent reuse index
(:class:`reuse.Index`)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import ReuseError, printable

_PASSAGE_DEFAULTS = {"min_length": 25, "window": 10, "passage_ngram": 4, "max_bucket": 50,
                     "max_pairs_per_doc": 100, "boilerplate_docs": 20,
                     "boilerplate_share": 0.5}


def _reported(command: Callable[..., Any]) -> Callable[..., Any]:
    """A ReuseError as 'reuse: error: ...' and its exit code; Ctrl-C as exit 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ReuseError as exc:
            click.echo(f"reuse: error: {printable(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("reuse: interrupted", err=True)
            sys.exit(130)

    return wrapper


def _read_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--id-field", default="id", show_default=True,
                     help="Field or column holding the document id."),
        click.option("--text-field", default="text", show_default=True,
                     help="Field or column holding the document text."),
        click.option("--encoding", default="utf-8", show_default=True,
                     help="utf-8 (strict), auto (UTF-8, else windows-1252) or a Python codec."),
        click.option("--on-error", type=click.Choice(["raise", "skip"]), default="raise",
                     show_default=True, help="On a bad record: stop, or skip it and count it."),
        click.option("--quoting", type=click.Choice(["csv", "none"]), default=None,
                     show_default="csv for .csv, none for .tsv", help="CSV/TSV dialect."),
        click.option("--max-doc-chars", type=int, default=100_000_000, show_default=True,
                     help="A longer text is a bad record."),
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     show_default="every core", help="Worker processes for sketching and "
                     "alignment; the answer is the same for any number."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bars and no summary."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(short_help="A persistent index: add documents, query new ones.")
def index() -> None:
    """A persistent index: add documents over time, query new ones against all of them."""


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--threshold", type=float, default=0.8, show_default=True,
              help="Jaccard similarity at which two documents are near-duplicates.")
@click.option("--num-perm", type=int, default=128, show_default=True,
              help="MinHash values per signature.")
@click.option("--ngram", type=int, default=5, show_default=True, help="Words per shingle.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the hash family.")
@click.option("--verify", type=click.Choice(["estimate", "exact"]), default="estimate",
              show_default=True, help="Accept candidates on the estimate or exact Jaccard.")
@click.option("--min-tokens", type=int, default=0, show_default=True,
              help="Documents with fewer tokens are too short to compare.")
@click.option("--strip-diacritics", is_flag=True, help="Compare tokens without diacritics.")
@click.option("--min-length", type=int, default=_PASSAGE_DEFAULTS["min_length"],
              show_default=True, help="The shortest reused passage reported, in tokens.")
@click.option("--window", type=int, default=_PASSAGE_DEFAULTS["window"], show_default=True,
              help="Shingles per passage window.")
@click.option("--passage-ngram", type=int, default=_PASSAGE_DEFAULTS["passage_ngram"],
              show_default=True, help="Words per shingle of passage windows.")
@click.option("--max-bucket", type=int, default=_PASSAGE_DEFAULTS["max_bucket"],
              show_default=True, help="A passage window in more documents is very common.")
@click.option("--max-pairs-per-doc", type=int, default=_PASSAGE_DEFAULTS["max_pairs_per_doc"],
              show_default=True, help="Candidate partners kept per document.")
@click.option("--boilerplate-docs", type=int, default=_PASSAGE_DEFAULTS["boilerplate_docs"],
              show_default=True, help="A passage in this many unrelated documents is "
              "boilerplate.")
@click.option("--boilerplate-share", type=float,
              default=_PASSAGE_DEFAULTS["boilerplate_share"], show_default=True,
              help="... or in this share of them.")
@click.option("--date-field", default=None, show_default="date",
              help="The metadata field holding each document's date.")
@_reported
def create(path: str, **options: Any) -> None:
    """Make an empty index in DIR; its configuration is fixed here."""
    from ..index import Index

    created = Index.create(path, **options)
    click.echo(f"created {created.path}")


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--replace", is_flag=True,
              help="An id already in the index replaces the old document (else an error).")
@_read_options
@_reported
def add(path: str, input_path: str, replace: bool, quiet: bool, **options: Any) -> None:
    """Add the documents of INPUT to the index in DIR (one commit)."""
    from ..index import Index

    counts = Index.open(path).add(input_path, replace=replace, quiet=quiet, **options)
    if not quiet:
        click.echo(", ".join(f"{key}: {value:,}" for key, value in counts.items()))


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Run folder to write (reuse report renders it).")
@click.option("--among-queries", is_flag=True,
              help="Also pair the query documents with each other.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "csv"]),
              default="parquet", show_default=True, help="Format of the tables.")
@click.option("--no-report", is_flag=True, help="Write the tables only.")
@_read_options
@_reported
def query(path: str, input_path: str, out: str, among_queries: bool, fmt: str, no_report: bool,
          quiet: bool, **options: Any) -> None:
    """Query the documents of INPUT against the index in DIR; write the answer to --out."""
    from ..index import Index

    result = Index.open(path).query(input_path, among_queries=among_queries, out=out, fmt=fmt,
                                    report=not no_report, quiet=quiet, **options)
    if not quiet:
        click.echo(", ".join(f"{key}: {value:,}" for key, value in result.counts.items()))
        click.echo(f"run folder: {out}")


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False))
@_reported
def stats(path: str) -> None:
    """The index's documents, removed documents, segments, size and configuration (JSON)."""
    from ..index import Index

    click.echo(json.dumps(Index.open(path).stats(), indent=1))


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False))
@click.argument("ids", nargs=-1)
@click.option("--ids-file", type=click.Path(dir_okay=False), default=None, show_default="none",
              help="A file of ids to remove, one per line.")
@click.option("--missing-ok", is_flag=True, help="Ids not in the index are ignored.")
@_reported
def remove(path: str, ids: tuple[str, ...], ids_file: str | None, missing_ok: bool) -> None:
    """Remove documents by id (tombstones; `reuse index compact` drops their files)."""
    from ..errors import InputError
    from ..index import Index

    wanted = list(ids)
    if ids_file is not None:
        try:
            with open(ids_file, encoding="utf-8") as handle:
                wanted += [line.rstrip("\n") for line in handle if line.strip()]
        except OSError as exc:
            raise InputError(f"{ids_file}: cannot read the ids ({exc.strerror or exc})") from None
    if not wanted:
        raise InputError("name the ids to remove (arguments or --ids-file)")
    removed = Index.open(path).remove(wanted, missing_ok=missing_ok)
    click.echo(f"removed: {removed:,}")


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False))
@_reported
def compact(path: str) -> None:
    """Merge the index's segments into one, without the removed documents."""
    from ..index import Index

    counts = Index.open(path).compact()
    click.echo(", ".join(f"{key}: {value:,}" for key, value in counts.items()))
