"""The keyword arguments of the API's entry points: the read options, the options ``reuse rerun``
repeats, and the :class:`~reuse.config.Config` they resolve to."""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable
from typing import Any

from ..config import KEYWORDS, Config
from ..errors import ConfigError
from ..ingest import READ_OPTIONS, check_read_options

# Keyword arguments that change how a run goes, never its tables: not in the manifest's options.
NOT_RECORDED = ("quiet", "config", "workers", "memory_budget", "checkpoint", "resume",
                 "keep_checkpoints", "engine", "spark_dir", "keep_texts")


def call_arguments(function: Callable[..., Any], values: dict[str, Any], owner: str,
               corpus_run: bool = False) -> tuple[dict[str, Any], dict[str, Any], Config]:
    """The read options, the other options and the config of a call of ``function``, whose
    local variables are ``values`` (taken before any other is set).

    The config is ``values["config"]`` (default: :class:`Config`) with every keyword of
    :data:`reuse.config.KEYWORDS` that is not None written over it, and the aligner's
    command-dependent settings resolved (``corpus_run``: those of ``reuse run``); it is
    validated here, so that a bad value names ``owner`` and the keyword the user wrote. The
    options are every keyword-only parameter but those of ``NOT_RECORDED``, the configured ones
    with the value they took: what ``reuse rerun`` passes again (with the config)."""
    names = [name for name, parameter in inspect.signature(function).parameters.items()
             if parameter.kind is parameter.KEYWORD_ONLY and name not in NOT_RECORDED]
    read = {name: values[name] for name in names if name in READ_OPTIONS}
    read["encoding"] = check_read_options(
        read["on_error"], read["quoting"], read["max_doc_chars"], read["encoding"],
        read["metadata_file"], owner=owner)
    if read["metadata_file"] is not None:
        read["metadata_file"] = os.fspath(read["metadata_file"])
    config = values["config"]
    if config is None:
        config = Config()
    elif not isinstance(config, Config):
        raise ConfigError(f"The 'config' parameter of {owner} must be a reuse.Config or None. "
                          f"Got {config!r} instead.")
    keywords = {name: KEYWORDS[name] for name in names if name in KEYWORDS}
    config = config.with_changes({name: values[name] for name in keywords
                                  if values[name] is not None})
    config = dataclasses.replace(config, align=config.align.resolved(corpus_run))
    config.validate(owner, keywords)
    options = {name: _config_value(config, keywords[name][0]) if name in keywords
               else values[name] for name in names if name not in READ_OPTIONS}
    return read, options, config


def _config_value(config: Config, path: str) -> Any:
    """The value of ``config`` at a dotted ``path`` (``dedup.threshold``)."""
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part)
    return value
