"""The README documents every table column and every command has help (like sqlite-utils)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from reuse.cli import main
from reuse.report.schema import TABLES

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
