"""The README documents every table column, command and option, and every command has help
that states its defaults (like sqlite-utils)."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner
from conftest import ROOT

from reuse.cli.commands import main
from reuse.runfolder.schema import TABLES

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_column_is_documented_in_the_readme(table):
    section = re.search(rf"#### `{table}`\n(.*?)(?=\n#### |\n## |\Z)", README, re.S)
    assert section, f"README has no section for table {table}"
    documented = re.findall(r"^\| `([a-z_]+)` \|", section.group(1), re.M)
    assert documented == list(TABLES[table])


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage: main" in result.output or "Usage: reuse" in result.output
    command = dict(_commands(main))[path]
    assert command.help, f"reuse {' '.join(path)} has no help text"


def test_readme_starts_with_the_two_setup_commands():
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


# --- help texts and the options the README documents (issue 16, item 12) ---------------------


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]


def test_reuse_help_shows_every_command_in_full():
    for group, prefix in ((main, []), (main.commands["eval"], ["eval"])):
        listing = CliRunner(env={"COLUMNS": "80"}).invoke(main, [*prefix, "--help"]).output
        for name, command in group.commands.items():
            line = next(line for line in listing.splitlines() if line.split()[:1] == [name])
            assert line.split(None, 1)[1] == command.get_short_help_str(limit=1000), name
            assert not line.endswith("..."), line


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_option_states_its_default(path):
    command = dict(_commands(main))[path]
    context = click.Context(command, info_name=path[-1])
    for option in _options(command):
        if option.required or (option.is_flag and not option.secondary_opts):
            continue  # a required option has no default; a plain flag is off unless given
        record = option.get_help_record(context)
        assert record is not None and "[default: " in record[1], (path, option.opts)


def test_the_default_shown_for_min_length_is_the_aligners():
    from reuse.align.config import AlignConfig
    from reuse.cli.commands import ALIGN_MIN_LENGTH

    assert AlignConfig().min_length == ALIGN_MIN_LENGTH
    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    assert f"[default: {ALIGN_MIN_LENGTH}]" in " ".join(help_text.split())


def undocumented(readme: str) -> list[str]:
    """Every command (``reuse NAME``) and option (``--name``) of the command line that the
    README does not mention."""
    missing = []
    for path, command in _commands(main):
        if f"reuse {' '.join(path)}" not in readme:
            missing.append(f"reuse {' '.join(path)}")
        for option in _options(command):
            for name in option.opts + option.secondary_opts:
                if name.startswith("--") and not re.search(
                        rf"(?<![\w-]){re.escape(name)}(?![\w-])", readme):
                    missing.append(f"{name} (reuse {' '.join(path)})")
    return sorted(set(missing))


def test_the_readme_documents_every_command_and_option():
    assert undocumented(README) == []


def test_an_undocumented_option_fails_the_check():
    assert "--write-kept (reuse dedup)" in undocumented(README.replace("--write-kept", "--x"))
