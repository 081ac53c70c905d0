"""The root command: global options and the wiring of the command groups."""

# No ``from __future__ import annotations`` here or in the command modules: Typer reads every
# parameter's annotation, and string annotations cost an ``eval`` each on every run.

import copy
import functools
import gc
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from crmcli import __version__

# Typer bundles its own Click and does not re-export its exception classes; BadParameter's
# bases are that Click's UsageError and ClickException.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
_ClickException: type[Exception] = _UsageError.__mro__[1]


# Command name → (module under crmcli.commands, its Typer app, the command within it or None
# for the whole group, the first paragraph of its help). Groups are built only when named, and
# a group's commands only when named in turn, so a cron run of `visit due` builds one command
# of the thirty-six; `crmcli --help` lists the table without importing any command module
# (tests/test_help.py checks the help texts against the modules).
COMMANDS: dict[str, tuple[str, str, str | None, str]] = {
    "init": ("database", "init_app", "init",
             "Create the database (mode 0600), or bring an existing one up to the current "
             "schema."),
    "db": ("database", "app", None, "The database file: where it is and what it holds."),
    "customer": ("customer", "app", None,
                 "The customer file: add, list, show, edit, import, export."),
    "complaint": ("complaint", "app", None,
                  "Complaints: open, respond, escalate, close, reopen, list, sweep."),
    "visit": ("visit", "app", None, "Follow-ups and contacts: log, schedule, cancel, list, due."),
    "service": ("visit", "service_app", None,
                "Work done on site: repairs, maintenance, paid services."),
    "care": ("visit", "care_app", "care", "Birthdays, anniversaries and holidays ahead."),
    "request": ("request", "app", None,
                "Requests and inquiries: open, reply, close, convert, void, list, show."),
    "meeting": ("meeting", "app", None, "Tenant meetings: log, list, show, void."),
    "notice": ("notice", "app", None, "Notices and sign-off: send, sign, list, show, void."),
    "today": ("day", "today_app", "today",
              "The end-of-day screen: entered today, still due today, due tomorrow."),
    "day": ("day", "app", None, "The day's record (每日下班前記錄): close, list."),
    "report": ("report", "app", None,
               "Reports: monthly complaint analysis, quarterly evaluation, meetings, credit "
               "grades."),
    "contract": ("money", "contract_app", None,
                 "Contracts and renewals (續簽): add, renew, end, list."),
    "invoice": ("money", "invoice_app", None, "Invoices (開發票): issue, list."),
    "payment": ("money", "payment_app", None,
                "Payments (收款): record, refuse (拒付), report, list."),
    "policy": ("policy", "app", None, "The site's policy: deadlines, cadence, holiday region."),
    "access-log": ("customer", "access_app", "access-log",
                   "List who revealed confidential customer details, when and why (newest "
                   "first)."),
    "archive": ("archive", "app", "archive",
                "Move complaints closed longer ago than retention_years (2) into an archive "
                "file."),
    "backup": ("database", "init_app", "backup",
               "Make a consistent copy of the database while others may be writing (mode "
               "0600)."),
    "replicate": ("replicate", "app", None,
                  "Continuous replication of the site file off the machine (Litestream)."),
    "restore": ("replicate", "restore_app", "restore",
                "Restore a site file from its replica, checked, into a new file (mode 0600)."),
    "hq": ("hq", "app", None,
           "The head office's view of many site files: monthly figures, overdue work."),
    "check": ("database", "init_app", "check",
              "Check the database: SQLite integrity, foreign keys and crmcli's own "
              "invariants."),
}


def _name(info: Any) -> str:
    return str(info.name or typer.main.get_command_name(info.callback.__name__))


def _command(typer_app: typer.Typer, info: Any) -> Any:
    """One command of a Typer app, as Typer builds it, with plain Click help."""
    return typer.main.get_command_from_info(
        info, pretty_exceptions_short=typer_app.pretty_exceptions_short, rich_markup_mode=None)


class LazyGroup(TyperGroup):
    """A command group whose commands are built from their Typer definitions when named."""

    typer_app: typer.Typer
    pending: dict[str, Any]

    def list_commands(self, ctx: Any) -> list[str]:
        return [_name(info) for info in self.typer_app.registered_commands]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        info = self.pending.pop(cmd_name, None)
        if info is not None:
            self.commands[cmd_name] = _command(self.typer_app, info)
        elif cmd_name not in self.commands and self.pending:
            # An unknown name: build them all, so Click's "Did you mean …?" sees every one.
            for name in self.list_commands(ctx):
                self.get_command(ctx, name)
        return self.commands.get(cmd_name)


def _lazy_group(typer_app: typer.Typer) -> LazyGroup:
    """The group ``typer.main.get_command(typer_app)`` makes, but with no command built yet."""
    empty = copy.copy(typer_app)
    empty.registered_commands = []
    group = typer.main.get_group_from_info(
        typer.models.TyperInfo(empty, cls=LazyGroup),
        pretty_exceptions_short=typer_app.pretty_exceptions_short,
        suggest_commands=typer_app.suggest_commands, rich_markup_mode=None)
    assert isinstance(group, LazyGroup)
    group.typer_app = typer_app
    group.pending = {_name(info): info for info in typer_app.registered_commands}
    if typer_app._add_completion:
        group.params.extend(typer.main.get_install_completion_arguments())
    return group


def _build(module_name: str, attribute: str, member: str | None) -> Any:
    typer_app: typer.Typer = getattr(
        importlib.import_module(f"crmcli.commands.{module_name}"), attribute)
    if member is None:
        return _lazy_group(typer_app)
    infos = typer_app.registered_commands
    if len(infos) > 1 or typer_app.registered_callback:
        # One command of a group (init of init/backup/check): built as the group would hold it.
        return _command(typer_app, next(info for info in infos if _name(info) == member))
    command = typer.main.get_command(typer_app)
    command.rich_markup_mode = None  # type: ignore[attr-defined]
    return command


class CrmGroup(TyperGroup):
    """The root group: commands load when named; a usage error is one line on stderr."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            command = _build(*COMMANDS[cmd_name][:3])
            command.name = cmd_name
            self.commands[cmd_name] = command
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # Stand-ins carrying each command's help make the same listing as the commands would,
        # without importing and building every group to list their names.
        stand_ins = [(name, TyperCommand(name=name, help=entry[3]))
                     for name, entry in COMMANDS.items()]
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, command.get_short_help_str(limit)) for name, command in stand_ins]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
            from crmcli.text import inert  # the message may quote what was typed

            sys.stderr.write(inert(f"Error: {message}{hint}") + "\n")
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        except typer.Abort:
            sys.stderr.write("Aborted.\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


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
    from crmcli.commands._common import AppState
    from crmcli.env import Env

    preset = ctx.obj.env if isinstance(ctx.obj, AppState) else Env()
    ctx.obj = AppState(db=db, debug=debug or os.environ.get("CRMCLI_DEBUG") == "1", env=preset)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    # One command per process: what the imports made lives until exit, so the cycle collector
    # need not walk it again each time a large command (thousands of rows) allocates more;
    # cycles made from here on are still collected, in fewer and larger batches.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    if hasattr(signal, "SIGPIPE"):
        # `crmcli visit list | head` ends quietly, as other Unix tools do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    app(prog_name="crmcli")
