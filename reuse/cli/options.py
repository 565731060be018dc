"""Command-line options shared by the commands (``reuse dedup``, ``run``, ``align``) and the
index commands (``reuse index ...``): one definition of each option, its default and its help.

Each ``*_options`` function is a decorator adding a group of options to a click command, in the
order ``--help`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

# reuse.align.config.AlignConfig.min_length, shown in --help without importing the aligner;
# tests/test_docs.py checks that the two agree.
ALIGN_MIN_LENGTH = 25

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def not_empty(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A click callback refusing an empty path."""
    if value == "":
        raise click.BadParameter("an empty path; name a file or folder (. for the current one)")
    return value


def _applied(options: list[Decorator], command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(options):
        command = option(command)
    return command


def _read_option_list(*, with_analysis: bool) -> list[Decorator]:
    from ..common.inputs import DEFAULT_MAX_DOC_CHARS, QUOTING_CHOICES

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
        click.option("--metadata-file", type=click.Path(), default=None, callback=not_empty,
                     show_default="none",
                     help="A CSV, TSV, JSONL or Parquet table of metadata with the --id-field "
                     "column, added to each document's (e.g. dates for a folder of .txt)."),
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
    ]
    if with_analysis:
        options.insert(4, DATE_FIELD)
        options.append(STRIP_DIACRITICS)
    return options


DATE_FIELD = click.option(
    "--date-field", default=None, show_default="date",
    help="Metadata field holding each document's date; the earliest is kept and marked as the "
         "likely source.")

STRIP_DIACRITICS = click.option(
    "--strip-diacritics", is_flag=True, help="Compare tokens without diacritics (é = e).")


def read_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """How the input is read: fields, encoding, metadata file, bad records, dialect, limit."""
    return _applied(_read_option_list(with_analysis=False), command)


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`read_options`, and the two settings of the analysis that describe the input:
    ``--date-field`` and ``--strip-diacritics``."""
    return _applied(_read_option_list(with_analysis=True), command)


def sketch_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The near-duplicate settings: threshold, signature, shingles, verification."""
    return _applied([
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
    ], command)


def passage_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The passage settings: shortest passage, paraphrase, windows, caps, boilerplate."""
    from ..config import PassageConfig

    return _applied([
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
                     show_default=True,
                     help="A passage in this many unrelated documents is boilerplate."),
        click.option("--boilerplate-share", type=float,
                     default=PassageConfig.boilerplate_share, show_default=True,
                     help="...or in this share of the documents (and at least 3)."),
    ], command)


CONFIG = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), default=None,
    callback=not_empty, show_default="none",
    help="A TOML or JSON file of parameters: the keys of reuse.Config, at the top (threshold, "
         "passage_ngram, ...) or in [dedup], [passages], [align], [bands] and [tokenize] "
         "tables. Options given on the command line override it.")


def with_config(options: dict[str, Any], config_path: str | None) -> dict[str, Any]:
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


WORKERS = click.option(
    "--workers", type=click.IntRange(min=1), default=None, show_default="every core",
    help="Worker processes for the map stages; the output is the same for any number.")

QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress bars and no summary.")
