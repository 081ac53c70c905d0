"""Shell completion of the site's data, answered before the command tree is built.

A shell asks for completions on every Tab (``_CRMCLI_COMPLETE=complete_bash`` and the words
typed so far; see Typer's completion scripts). Building the command tree means importing Typer
and Click, most of the time a completion takes; so when the word being completed is a value
the data (or a fixed word list) completes — a customer, an open complaint, a category, a
method, a kind, a policy key — it is answered here from ``TABLE``, with nothing but sqlite3 and
crmcli.services.completion imported. Anything else (command and option names, files, the
``source`` instruction, a line this module cannot follow) falls through to Click.

``TABLE`` is generated from the commands (``python scripts/completion_table.py``);
tests/test_completion.py fails when it and the commands disagree and checks that both ways
answer alike.
"""

from __future__ import annotations

import os
import sys

from crmcli.completion_table import GROUPS, ROOT_OPTIONS, TABLE, Completer

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

Answer = list[tuple[str, str]]


def app_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where crmcli keeps its default database (what Click's ``get_app_dir("crmcli")`` says)."""
    from pathlib import Path

    return Path(_app_dir(os.environ if environ is None else environ))


def _app_dir(env: Mapping[str, str]) -> str:
    # os.path, not pathlib: a Tab need not import pathlib
    if sys.platform.startswith("win"):
        return os.path.join(env.get("APPDATA") or os.path.expanduser("~"), "crmcli")
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Application Support"), "crmcli")
    return os.path.join(env.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "crmcli")


def _split(text: str) -> list[str]:
    """The words of a command line as Click's ``split_arg_string`` reads them."""
    import shlex

    lex = shlex.shlex(text, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out: list[str] = []
    try:
        for token in lex:
            out.append(token)
    except ValueError:
        out.append(lex.token)
    return out


def _words(shell: str) -> tuple[list[str], str] | None:
    """(the words before the one being completed, that word), as the shell's protocol says."""
    if shell == "bash":
        words = _split(os.environ.get("COMP_WORDS", ""))
        try:
            cword = int(os.environ.get("COMP_CWORD", ""))
        except ValueError:
            return None
        return words[1:cword], (words[cword] if cword < len(words) else "")
    if shell in ("zsh", "fish"):
        line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
        args = _split(line)[1:]
        if args and not line.endswith(" "):
            return args[:-1], args[-1]
        return args, ""
    return None


def _completer(args: list[str], incomplete: str) -> tuple[Completer, str | None] | None:
    """(the completer of the word being completed, the --db given on the line), or None when
    Click should answer."""
    if incomplete.startswith("-"):
        return None
    db = None
    rest = list(args)
    while rest and rest[0].startswith("-"):
        name, eq, value = rest.pop(0).partition("=")
        kind = ROOT_OPTIONS.get(name)
        if kind is None and name not in ROOT_OPTIONS:
            return None
        if kind == "value":
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if name == "--db":
                db = value
    if not rest:
        return None  # a command name: Click lists them
    path = rest.pop(0)
    if path in GROUPS:
        if not rest:
            return None
        path += " " + rest.pop(0)
    entry = TABLE.get(path)
    if entry is None:
        return None
    options, arguments, variadic = entry
    positional = 0
    pending: str | None = None
    for word in rest:
        if pending is not None:
            pending = None
            continue
        if word == "--":
            return None
        if word.startswith("-") and len(word) > 1:
            name, eq, _value = word.partition("=")
            if name not in options:
                return None
            if options[name] is not None and not eq:
                pending = name
            continue
        positional += 1
    if pending is not None:
        found = options[pending]
    elif positional < len(arguments):
        found = arguments[positional]
    elif arguments and variadic:
        found = arguments[-1]
    else:
        return None
    return (found, db) if found else None


def _database(given: str | None) -> str:
    if given:
        return os.path.expanduser(given)
    configured = os.environ.get("CRMCLI_DB")
    return configured or os.path.join(_app_dir(os.environ), "crm.db")


def _read_only_uri(path: str) -> str:
    """An SQLite URI opening ``path`` read-only (``%``, ``?`` and ``#`` escaped)."""
    if os.name != "posix":
        from pathlib import Path

        return f"{Path(path).resolve().as_uri()}?mode=ro"
    absolute = os.path.realpath(path)
    for char, code in (("%", "%25"), ("?", "%3F"), ("#", "%23")):
        absolute = absolute.replace(char, code)
    return f"file:{absolute}?mode=ro"


def candidates(name: str, incomplete: str, db: str | None) -> Answer:
    """What the data offers for ``incomplete`` (``name``: a function of
    crmcli.services.completion): (value, help) pairs. The database is opened read-only, never
    created or upgraded; any problem (no file yet, a file being written) completes nothing
    rather than printing into the shell."""
    import sqlite3

    from crmcli.services import completion

    path = _database(db)
    if not os.path.isfile(path):
        return []
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=0.1)
    except sqlite3.Error:
        return []
    try:
        found = getattr(completion, name)(conn, incomplete)
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [item if isinstance(item, tuple) else (item, "") for item in found]


def _zsh_escape(text: str) -> str:
    return (text.replace('"', '""').replace("'", "''").replace("$", "\\$")
            .replace("`", "\\`").replace(":", r"\\:"))


def formatted(shell: str, answer: Answer) -> tuple[str, int]:
    """The answer as the shell's completion script reads it, and the exit status."""
    if shell == "bash":
        return "\n".join(value for value, _help in answer), 0
    if shell == "zsh":
        if not answer:
            return "_files", 0
        rows = "\n".join(f'"{_zsh_escape(value)}":"{_zsh_escape(" ".join(help.split()))}"'
                         if help else f'"{_zsh_escape(value)}"' for value, help in answer)
        return f"_arguments '*: :(({rows}))'", 0
    # fish
    action = os.environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
    if action == "is-args":
        return "", 0 if answer else 1
    rows = "\n".join(f"{value}\t{' '.join(help.split())}" if help else value
                     for value, help in answer)
    return rows, 0


def _keeping_what_was_typed(offered: Answer, incomplete: str) -> Answer:
    """Bash replaces the word with what its candidates have in common: names found by their
    folded form (谢丽 → 謝麗華, 謝丽华) have less in common with what was typed than it says, and
    bash would cut 谢丽 down to 謝. Offering what was typed too leaves the word as it is; a
    second Tab lists the names."""
    values = [value for value, _help in offered]
    if len(values) < 2 or all(value.startswith(incomplete) for value in values):
        return offered
    common = values[0]  # the characters every candidate starts with
    for value in values[1:]:
        while not value.startswith(common):
            common = common[:-1]
    if not common or len(common) >= len(incomplete):
        return offered  # nothing in common: bash leaves the word as typed anyway
    return [(incomplete, ""), *offered]


def answer() -> int | None:
    """Answer the shell's completion request (the exit status), or None to leave it to
    Click."""
    instruction = os.environ.get("_CRMCLI_COMPLETE", "")
    action, _sep, shell = instruction.partition("_")
    if action != "complete" or shell not in ("bash", "zsh", "fish"):
        return None
    words = _words(shell)
    if words is None:
        return None
    args, incomplete = words
    found = _completer(args, incomplete)
    if found is None:
        return None
    completer, db = found
    if isinstance(completer, tuple):
        offered = [(word, "") for word in completer if word.startswith(incomplete)]
    else:
        offered = candidates(completer, incomplete, db)
    if shell == "bash":
        offered = _keeping_what_was_typed(offered, incomplete)
    text, status = formatted(shell, offered)
    if not (shell == "fish" and os.environ.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args"):
        sys.stdout.write(text + "\n")
    return status
