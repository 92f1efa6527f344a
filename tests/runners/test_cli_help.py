"""`meritgen --help` reads like the docs (issue #12): every command says what the user gets, every
option has help and shows its default, `--set` says how values are typed and gives an example."""

from __future__ import annotations

import argparse

import pytest

from pipelines.runners.cli import build_parser

# Words that describe the machinery rather than what the user gets.
INTERNALS = ("adapter", "runner.", "run_build", "plan_build", "execute_step", "StageResult", "->")


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ("meritgen",)):
    """(path, parser, help line in the parent's command list) for every command and subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from _commands(sub, (*path, name))


def _options(parser: argparse.ArgumentParser):
    return [a for a in parser._actions if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]


def _expanded_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    return formatter._expand_help(action) if action.help else ""


COMMANDS = list(_commands(build_parser()))


def test_the_walk_sees_every_command():
    names = {" ".join(path) for path, _, _ in COMMANDS}
    assert {"meritgen build", "meritgen inspect", "meritgen card", "meritgen audit", "meritgen beam run",
            "meritgen qa sample", "meritgen qa apply", "meritgen qa status", "meritgen annotate"} <= names


@pytest.mark.parametrize("path, parser, line", COMMANDS, ids=lambda c: " ".join(c) if isinstance(c, tuple) else "")
def test_every_command_says_what_it_gives(path, parser, line):
    assert line and line.strip(), f"{' '.join(path)} has no line in its parent's command list"
    assert parser.description and len(parser.description.split()) >= 8, f"{' '.join(path)} --help has no description"
    text = parser.format_help()
    assert not [w for w in INTERNALS if w in text], f"{' '.join(path)} --help describes internals"


@pytest.mark.parametrize("path, parser, line", COMMANDS, ids=lambda c: " ".join(c) if isinstance(c, tuple) else "")
def test_no_option_lacks_help_and_every_value_option_shows_its_default(path, parser, line):
    for action in _options(parser):
        name = "/".join(action.option_strings) or action.dest
        text = _expanded_help(parser, action)
        assert text.strip(), f"{' '.join(path)} {name} has no help text"
        takes_value = action.option_strings and action.nargs != 0
        if takes_value and not action.required:
            assert "default" in text, f"{' '.join(path)} {name} does not say what happens without it"
            if action.default not in (None, [], argparse.SUPPRESS):
                assert str(action.default) in text, f"{' '.join(path)} {name} hides its default {action.default!r}"


def test_set_says_how_values_are_typed_with_an_example():
    sets = [(path, a) for path, parser, _ in COMMANDS for a in _options(parser) if "--set" in a.option_strings]
    assert {" ".join(p) for p, _ in sets} >= {"meritgen build", "meritgen beam run"}
    for path, action in sets:
        text = action.help
        assert "JSON" in text and "TOML" in text and "e.g." in text, f"{' '.join(path)} --set: {text}"


def test_top_level_help_describes_the_product():
    text = build_parser().format_help()
    assert "retrieval dataset" in text and "data card" in text
    assert not [w for w in INTERNALS if w in text]


def test_quiet_is_the_no_progress_flag():
    assert build_parser().parse_args(["build", "--demo", "--quiet"]).no_progress
    assert not build_parser().parse_args(["build", "--demo"]).no_progress
