"""Every command and group explains itself, and every command shows an example that works."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from conftest import Cli

from crmcli.cli import app

ROOT = typer.main.get_command(app)


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "list_commands"):  # Click's API: the root loads its groups lazily
        for name in sorted(command.list_commands(None)):
            yield from walk(command.get_command(None, name), (*path, name))


ALL = list(walk(ROOT))
GROUPS = [(path, c) for path, c in ALL if hasattr(c, "commands")]
COMMANDS = [(path, c) for path, c in ALL if not hasattr(c, "commands")]


def label(path: tuple[str, ...]) -> str:
    return " ".join(("crmcli", *path))


def example_lines(command: Any) -> list[str]:
    return [line.strip() for line in (command.help or "").splitlines()
            if line.strip().startswith("Example:")]


def example_words(line: str) -> list[str]:
    """The example as the shell would pass it (substitutions stand in as one word)."""
    text = re.sub(r"\$\([^)]*\)", "X", line.removeprefix("Example:").strip())
    words = shlex.split(text)
    for stop in (">", "|", "&&"):
        words = words[:words.index(stop)] if stop in words else words
    return words


def test_the_tree_has_the_commands_the_spec_names() -> None:
    names = {label(path) for path, _ in ALL}
    for expected in ("crmcli init", "crmcli db path", "crmcli db status",
                     "crmcli customer add", "crmcli customer list", "crmcli customer show",
                     "crmcli customer edit", "crmcli customer import", "crmcli customer export",
                     "crmcli complaint open", "crmcli complaint respond",
                     "crmcli complaint escalate", "crmcli complaint close",
                     "crmcli complaint reopen", "crmcli complaint list", "crmcli complaint show",
                     "crmcli complaint sweep", "crmcli policy show", "crmcli policy set",
                     "crmcli access-log"):
        assert expected in names


@pytest.mark.parametrize(("path", "group"), GROUPS, ids=[label(p) for p, _ in GROUPS])
def test_every_group_has_help(path: tuple[str, ...], group: Any) -> None:
    assert (group.help or "").strip(), f"{label(path)} has no help"
    assert group.get_short_help_str(limit=200).strip()


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[label(p) for p, _ in COMMANDS])
def test_every_command_has_help_and_an_example(path: tuple[str, ...], command: Any) -> None:
    text = (command.help or "").strip()
    assert text, f"{label(path)} has no help"
    short = command.get_short_help_str(limit=200)
    assert len(short) > 10 and not short.endswith("(e.g."), short
    examples = example_lines(command)
    assert examples, f"{label(path)}: no 'Example:' line in its help"
    for line in examples:
        words = example_words(line)
        assert words[0] == "crmcli"
        assert tuple(w for w in words[1:] if not w.startswith("-"))[:len(path)] == path or (
            "--db" in words), line


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[label(p) for p, _ in COMMANDS])
def test_every_example_parses(path: tuple[str, ...], command: Any) -> None:
    for line in example_lines(command):
        words = example_words(line)
        # walk down the groups as Click would, parsing each level's options for real
        context: Any = ROOT.make_context("crmcli", words[1:])
        current: Any = ROOT
        args = [*context._protected_args, *context.args]
        while hasattr(current, "commands") and args:
            name, current, rest = current.resolve_command(context, args)
            context = current.make_context(name, rest, parent=context)
            args = [*getattr(context, "_protected_args", []), *context.args]
        assert current is command, line
        assert not args, f"{line}: left over {args}"


@pytest.mark.parametrize(("path", "command"), ALL, ids=[label(p) or "crmcli" for p, _ in ALL])
def test_help_option_works_everywhere(cli: Cli, path: tuple[str, ...], command: Any) -> None:
    for flag in ("--help", "-h"):
        code, out, err = cli(*path, flag)
        assert code == 0, err
        assert out.startswith("Usage: ")
        assert (command.help or "").strip().splitlines()[0][:30] in out


def test_no_arguments_shows_help(cli: Cli) -> None:
    code, out, err = cli()
    assert code == 0
    assert "Usage: " in out + err
    assert "customer" in out + err and "complaint" in out + err


def test_version(cli: Cli) -> None:
    from crmcli import __version__

    assert cli.ok("--version") == f"crmcli {__version__}\n"


def test_the_root_listing_is_what_the_commands_themselves_would_list() -> None:
    """`crmcli --help` lists cli.COMMANDS' help texts without importing the command modules;
    they must say what the commands' own help says, at any terminal width."""
    from typer.core import TyperGroup

    from crmcli.cli import COMMANDS

    for name, (_, _, _, listed) in COMMANDS.items():
        command = ROOT.get_command(None, name)
        assert (command.help or "").split("\n\n")[0].strip() == listed, name
    for width in (40, 80, 120, 200):
        context: Any = ROOT.make_context("crmcli", ["visit"])
        ours, clicks = context.make_formatter(), context.make_formatter()
        ours.width = clicks.width = width
        ROOT.format_commands(context, ours)
        TyperGroup.format_commands(ROOT, context, clicks)
        assert ours.getvalue() == clicks.getvalue()


def test_a_group_builds_only_the_command_named_but_lists_them_all() -> None:
    from crmcli.cli import COMMANDS, _build

    group = _build(*COMMANDS["visit"][:3])
    assert group.list_commands(None) == ["log", "schedule", "cancel", "void", "refer", "list",
                                         "due", "kinds"]
    assert group.get_command(None, "due").name == "due"
    assert list(group.commands) == ["due"]
    assert group.get_command(None, "duee") is None
    assert list(group.commands) == ["due"]  # "did you mean" reads the names alone
