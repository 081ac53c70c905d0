"""Cron's `visit due`, answered before Typer is imported.

A cron job or a pipe runs ``crmcli [--db FILE] visit due [options]`` many times a day, and
Typer with Click is about half of what a bare run of it costs. A command line of that shape
whose output goes to a pipe or a file (never a terminal) is read here and run by the same
``commands.due.show`` the Typer command runs: same list, same errors, same exit codes.

Only a plain, well-formed line is taken: the options of `visit due` below, each value of the
form Typer would accept. Anything else — a terminal, ``--help``, ``--output``, ``--debug``,
``CRMCLI_DEBUG``, an unknown or misspelt option, a value Typer would refuse or that is not
clean text — goes to Typer (``answer`` returns None), which prints its usual message.
"""

import os

_FORMATS = ("table", "csv", "tsv", "json", "jsonl")
# option -> (the attribute of ``Line`` it sets, whether it takes a value)
_OPTIONS = {
    "--within": ("within", True), "--kind": ("kinds", True), "--owner": ("owner", True),
    "--limit": ("limit", True), "-n": ("limit", True), "--format": ("fmt", True),
    "-f": ("fmt", True), "--show-skipped": ("show_skipped", False),
    "--fail-on-overdue": ("fail_on_overdue", False), "--summary": ("summary", False),
    "--bom": ("bom", False), "--no-bom": ("bom", False),
}


class Line:
    """A `visit due` command line: its --db and the options ``commands.due.show`` takes."""

    def __init__(self) -> None:
        self.db: str | None = None
        self.within: str | None = None
        self.kinds: list[str] = []
        self.owner: str | None = None
        self.limit: int | None = None
        self.fmt = "table"
        self.show_skipped = False
        self.fail_on_overdue = False
        self.summary = False
        self.bom: bool | None = None


def parse(args: list[str]) -> Line | None:
    """``crmcli``'s arguments as a `visit due` line, or None when they are not a plain one
    (Typer is to read them)."""
    line = Line()
    rest = list(args)
    while rest and rest[0].startswith("--db"):
        option = rest.pop(0)
        if option == "--db" and rest:
            line.db = rest.pop(0)
        elif option.startswith("--db="):
            line.db = option[len("--db="):]
        else:
            return None
        if not line.db or line.db.startswith("-"):
            return None
    if rest[:2] != ["visit", "due"]:
        return None
    words = iter(rest[2:])
    for word in words:
        option, equals, value = word.partition("=") if word.startswith("--") else (
            word, "", "")
        known = _OPTIONS.get(option)
        if known is None:
            return None
        name, takes = known
        if not takes:
            if equals:
                return None
            setattr(line, name, option != "--no-bom")
            continue
        if not equals:
            value = next(words, "")
        if not value or value.startswith("-"):
            return None
        if name == "kinds":
            line.kinds.append(value)
        elif name == "limit":
            if not value.isascii() or not value.isdigit() or int(value) < 1:
                return None
            line.limit = int(value)
        elif name == "fmt":
            if value not in _FORMATS:
                return None
            line.fmt = value
        else:
            setattr(line, name, value)
    return line


def _clean(texts: list[str]) -> bool:
    """Every argument is UTF-8 text with no control character (else Typer names the option in
    its refusal)."""
    from crmcli.errors import BadInput
    from crmcli.text import refuse_control

    try:
        for text in texts:
            text.encode("utf-8")
            refuse_control(text, "")
    except (UnicodeEncodeError, BadInput):
        return False
    return True


def answer(args: list[str]) -> int | None:
    """Run a cron-shaped `visit due` and return its exit code; None when Typer is to run the
    command line."""
    line = parse(args)
    if line is None or os.environ.get("CRMCLI_DEBUG") == "1" or not _clean(args):
        return None
    from crmcli.env import Env

    env = Env()
    if env.stdout_isatty:
        return None  # a person at a terminal: the pager, colours and counts of the command
    from pathlib import Path

    from crmcli.commands.base import AppState, failed
    from crmcli.db import ROLLBACKS
    from crmcli.errors import ExitCode
    from crmcli.render import Format

    app_state = AppState(db=Path(line.db) if line.db is not None else None, env=env)
    if line.limit is not None:
        env.screen_rows = None
    rollbacks = ROLLBACKS[0]
    try:
        from crmcli.commands import due

        return due.show(app_state, within=line.within, kinds=line.kinds or None,
                        owner=line.owner, show_skipped=line.show_skipped,
                        fail_on_overdue=line.fail_on_overdue, summary=line.summary,
                        limit=line.limit, fmt=Format(line.fmt), bom=line.bom)
    except BrokenPipeError:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        return failed(env, exc, rollbacks, debug=False) or int(ExitCode.FAILED)
    finally:
        app_state.close()
