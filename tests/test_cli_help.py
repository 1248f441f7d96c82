"""Every command and subcommand's --help, as a user runs it (`python -m generator … --help`):
it exits 0 and ends with at least one usage example. The commands come from the real parser,
so a command added without examples fails here."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import parser

ROOT = Path(__file__).resolve().parent.parent


def _commands(p: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(prefix + (name,))
                found.extend(_commands(sub, prefix + (name,)))
    return found


COMMANDS = _commands(parser())


def test_discovery_finds_commands_and_subcommands():
    assert ("build",) in COMMANDS and ("migrate", "status") in COMMANDS and ("reset",) in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_an_example(command):
    run = subprocess.run([sys.executable, "-m", "generator", *command, "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "\nexamples:\n" in run.stdout, run.stdout
    examples = run.stdout.split("\nexamples:\n", 1)[1].splitlines()
    assert any(line.strip().startswith("gen " + " ".join(command)) for line in examples), run.stdout


def test_one_command_parser_is_the_full_parsers_command():
    """`gen build ...` builds the parser of build alone (generator.cli.COMMANDS): every command is
    mapped to the module that registers it, and its parser there is the one of the full parser."""
    from generator.cli import COMMANDS as MODULES
    full = {c[0] for c in COMMANDS}
    assert set(MODULES) == full
    for name in sorted(full):
        one = _commands(parser(name))
        assert [c for c in one if c[0] == name] == [c for c in COMMANDS if c[0] == name]


def test_command_word_skips_global_options():
    from generator.cli import command_of
    assert command_of(["-q", "--config", "build", "validate", "x.yaml"]) == "validate"
    assert command_of(["--config=gen.toml", "--debug", "build"]) == "build"
    assert command_of(["--version"]) is None
    assert command_of(["--", "build"]) is None
    assert command_of(["nosuch", "build"]) == "nosuch"
