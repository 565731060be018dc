"""``reuse index``: create, add to, query, inspect and prune a persistent reuse index
(:class:`reuse.Index`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from .handling import handle_errors
from .options import (
    CONFIG,
    DATE_FIELD,
    QUIET,
    STRIP_DIACRITICS,
    WORKERS,
    not_empty,
    passage_options,
    read_options,
    sketch_options,
    with_config,
)


def _index_read_options(command: Callable[..., Any]) -> Callable[..., Any]:
    return read_options(WORKERS(QUIET(command)))


@click.group(short_help="A persistent index: add documents, query new ones.")
def index() -> None:
    """A persistent index: add documents over time, query new ones against all of them."""


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False), callback=not_empty)
@sketch_options
@passage_options
@DATE_FIELD
@STRIP_DIACRITICS
@CONFIG
@handle_errors
def create(path: str, config_path: str | None, **options: Any) -> None:
    """Make an empty index in DIR; its configuration is fixed here."""
    from ..index import Index

    created = Index.create(path, **with_config(options, config_path))
    click.echo(f"created {created.path}")


@index.command()
@click.argument("path", metavar="DIR", type=click.Path(file_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--replace", is_flag=True,
              help="An id already in the index replaces the old document (else an error).")
@_index_read_options
@handle_errors
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
@_index_read_options
@handle_errors
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
@handle_errors
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
@handle_errors
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
@handle_errors
def compact(path: str) -> None:
    """Merge the index's segments into one, without the removed documents."""
    from ..index import Index

    counts = Index.open(path).compact()
    click.echo(", ".join(f"{key}: {value:,}" for key, value in counts.items()))
