"""The root command: global options and the wiring of the command groups."""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from crmcli import __version__
from crmcli.commands._common import AppState
from crmcli.env import Env

# Typer bundles its own Click and does not re-export its exception classes; BadParameter's
# bases are that Click's UsageError and ClickException.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
_ClickException: type[Exception] = _UsageError.__mro__[1]


# Command name → (module under crmcli.commands, its Typer app, the command within it or None
# for the whole group). Groups are built only when named, so a cron run of `visit due` never
# builds the other thirty-odd commands.
COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "init": ("database", "init_app", "init"),
    "db": ("database", "app", None),
    "customer": ("customer", "app", None),
    "complaint": ("complaint", "app", None),
    "visit": ("visit", "app", None),
    "service": ("visit", "service_app", None),
    "care": ("visit", "care_app", "care"),
    "report": ("report", "app", None),
    "policy": ("policy", "app", None),
    "access-log": ("customer", "access_app", "access-log"),
    "backup": ("database", "init_app", "backup"),
    "check": ("database", "init_app", "check"),
}


class CrmGroup(TyperGroup):
    """The root group: commands load when named; a usage error is one line on stderr."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        module_name, attribute, member = COMMANDS[cmd_name]
        module = importlib.import_module(f"crmcli.commands.{module_name}")
        command = typer.main.get_command(getattr(module, attribute))
        if member is not None and member in getattr(command, "commands", {}):
            command = command.commands[member]  # type: ignore[attr-defined]
        command.name = cmd_name
        _plain_help(command)
        self.commands[cmd_name] = command
        return command

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        run = functools.partial(super().main, args, prog_name, complete_var,
                                standalone_mode=False, windows_expand_args=windows_expand_args,
                                **extra)
        if not standalone_mode:
            return run()
        try:
            code = run()
        except _ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]
                sys.exit(0)
            context = getattr(exc, "ctx", None)
            hint = f" (see `{context.command_path} --help`)" if context is not None else ""
            message = exc.format_message()  # type: ignore[attr-defined]
            sys.stderr.write(f"Error: {message}{hint}\n")
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        except typer.Abort:
            sys.stderr.write("Aborted.\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _plain_help(command: Any) -> None:
    """Plain Click help everywhere, as the root has: no Rich boxes, no Rich import."""
    command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


app = typer.Typer(
    name="crmcli",
    cls=CrmGroup,
    help="Customer relationships for on-site teams: customers, complaints, follow-ups, reports.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crmcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Database file (default: $CRMCLI_DB, else crm.db in the "
                     "user's application directory).", show_default=False),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Customer relationships for on-site teams, over one SQLite file.

    Example: crmcli --db sample.db visit due
    """
    preset = ctx.obj.env if isinstance(ctx.obj, AppState) else Env()
    ctx.obj = AppState(db=db, debug=debug or os.environ.get("CRMCLI_DEBUG") == "1", env=preset)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    if hasattr(signal, "SIGPIPE"):
        # `crmcli visit list | head` ends quietly, as other Unix tools do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    app(prog_name="crmcli")
