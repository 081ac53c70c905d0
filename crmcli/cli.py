"""The root command: global options and the wiring of the command groups."""

# No ``from __future__ import annotations`` here or in the command modules: Typer reads every
# parameter's annotation, and string annotations cost an ``eval`` each on every run.

import copy
import functools
import importlib
import os
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
    "service": ("service", "app", None,
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
    return _localize(typer.main.get_command_from_info(
        info, pretty_exceptions_short=typer_app.pretty_exceptions_short, rich_markup_mode=None))


_HelpFormatter: type[Any] = TyperCommand.context_class.formatter_class


class _Formatter(_HelpFormatter):  # type: ignore[misc]
    """Click's help layout with its headings in the interface language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        from crmcli.i18n import _

        if prefix is None:
            prefix = _("Usage:")
            prefix += "" if prefix.endswith("：") else " "
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        from crmcli.i18n import _

        self.write(f"{'':>{self.current_indent}}{_(heading + ':')}\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        from crmcli.i18n import _, language

        if language() == "en":
            super().write_dl(rows, col_max, col_spacing)
            return
        # The notes Click adds to an option's help ([default: x; required]) in the language,
        # and Chinese wrapped by its display width (Click counts characters).
        label = _("default:")
        label += "" if label.endswith("：") else " "
        rows = [(term, text.replace("[default: ", "[" + label)
                 .replace("required]", _("required") + "]")) for term, text in rows]
        first_col = min(max((_columns(term) for term, _text in rows), default=0),
                        col_max) + col_spacing
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            if _columns(term) <= first_col - col_spacing:
                self.write(" " * (first_col - _columns(term)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(text, max(self.width - first_col - self.current_indent - 2, 10))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")

    def write_text(self, text: str) -> None:
        from crmcli.i18n import language

        if language() == "en" or text.isascii():
            super().write_text(text)
            return
        indent = " " * self.current_indent
        paragraphs = [_wrap(paragraph, max(self.width - self.current_indent, 20))
                      for paragraph in text.split("\n\n")]
        self.write("\n\n".join("\n".join(indent + line for line in lines)
                               for lines in paragraphs) + "\n")


def _columns(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """Text broken into lines of at most ``width`` columns: between words of Latin text, or
    between any two Chinese characters (never before closing punctuation)."""
    import re

    tokens = re.findall(r"\s+|[!-~]+|.", " ".join(text.split()))
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token.isspace():
            if line:
                line += " "
            continue
        if line and _columns(line.rstrip() + token) > width and token not in "，。；：、）」』":
            lines.append(line.rstrip())
            line = ""
        line += token
    return [*lines, line.rstrip()] if line or not lines else lines


_ContextBase: type[Any] = TyperCommand.context_class


class _Context(_ContextBase):  # type: ignore[misc]
    formatter_class = _Formatter


def _localize(command: Any) -> Any:
    """A built command's help in the interface language, its number ranges written 1–5.

    Called whenever a group hands the command out: the English texts are kept aside the first
    time, and each call translates them into the language of the moment."""
    from crmcli.i18n import _, paragraphs, range_text

    source = command.__dict__.get("_crmcli_source")
    if source is None:
        command.context_class = _Context
        for param in command.params:
            kind = param.type
            if hasattr(kind, "_describe_range"):
                low, high = kind.min, kind.max
                kind._describe_range = lambda low=low, high=high: range_text(low, high)
        source = (command.help, command.short_help, [getattr(p, "help", None)
                                                     for p in command.params])
        command._crmcli_source = source
        get_help_option = command.get_help_option

        def help_option(ctx: Any) -> Any:
            option = get_help_option(ctx)
            if option is not None:
                option.help = _("Show this message and exit.")
            return option

        command.get_help_option = help_option
    text, short, helps = source
    command.help = paragraphs(text) if text else text
    command.short_help = _(short) if short else short
    for param, help_text in zip(command.params, helps, strict=False):
        if help_text:
            param.help = paragraphs(help_text)
    return command


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
        command = self.commands.get(cmd_name)
        return _localize(command) if command is not None else None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        return _resolve(self, ctx, args)


def _resolve(group: Any, ctx: Any, args: list[str]) -> Any:
    """Click's resolution, and for an unknown name the closest of the group's commands."""
    name = args[0] if args else ""
    if args and not name.startswith("-") and group.get_command(ctx, name) is None \
            and not ctx.resilient_parsing:
        import difflib

        from crmcli.i18n import _, join

        text = _("No such command {name!r}.").format(name=name)
        matches = difflib.get_close_matches(name, group.list_commands(ctx), n=3, cutoff=0.6)
        if matches:
            text = join(text, _("Did you mean {names}?").format(
                names=", ".join(f"'{match}'" for match in matches)))
        ctx.fail(text)
    return TyperGroup.resolve_command(group, ctx, args)


def usage_message(exc: Any) -> str:
    """A usage error (Click's exception) as one line in the interface language."""
    from crmcli.i18n import _, join, language

    kind = type(exc).__name__
    if language() == "en" and kind != "NoSuchOption":
        return str(exc.format_message())
    hint = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        hint = param.get_error_hint(exc.ctx)
    if isinstance(hint, list | tuple):
        hint = " / ".join(f"'{item}'" for item in hint)
    if kind == "NoSuchOption":
        text = _("No such option {name}.").format(name=exc.option_name)
        if exc.possibilities:
            text = join(text, _("Did you mean {names}?").format(
                names=", ".join(sorted(exc.possibilities))))
        return text
    if kind == "MissingParameter":
        return _("Missing {what}: give {name}.").format(
            what=_("argument") if getattr(param, "param_type_name", "") == "argument"
            else _("option"), name=hint or "")
    if kind == "BadParameter":
        return _("Invalid value for {name}: {message}").format(
            name=hint or "", message=_bad_value(exc.message))
    return str(exc.format_message())


def _bad_value(message: str) -> str:
    import re

    from crmcli.i18n import _

    for pattern, text in (
        (r"'(?P<value>.*)' is not a valid (integer|float)\.", _("{value!r} is not a number.")),
        (r"(?P<value>.*) is not in the range (?P<range>.*)\.",
         _("{value} is not in the range {range}.")),
        (r"'(?P<value>.*)' is not one of (?P<choices>.*)\.",
         _("{value!r} is not one of {choices}.")),
        (r"'(?P<value>.*)' is not (?P<choices>.*)\.", _("{value!r} is not one of {choices}.")),
    ):
        found = re.fullmatch(pattern, message)
        if found:
            values = found.groupdict()
            return text.format(**values)
    return message


def _lazy_group(typer_app: typer.Typer) -> LazyGroup:
    """The group ``typer.main.get_command(typer_app)`` makes, but with no command built yet."""
    empty = copy.copy(typer_app)
    empty.registered_commands = []
    group = typer.main.get_group_from_info(
        typer.models.TyperInfo(empty, cls=LazyGroup),
        pretty_exceptions_short=typer_app.pretty_exceptions_short,
        suggest_commands=typer_app.suggest_commands, rich_markup_mode=None)
    assert isinstance(group, LazyGroup)
    _localize(group)
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
    return _localize(command)


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
        return _localize(self.commands[cmd_name])

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        return _resolve(self, ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        from crmcli.i18n import _

        # Stand-ins carrying each command's help make the same listing as the commands would,
        # without importing and building every group to list their names.
        stand_ins = [(name, TyperCommand(name=name, help=_(entry[3])))
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
        _localize(self)
        if not standalone_mode:
            return run()
        try:
            code = run()
        except _ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]
                sys.exit(0)
            from crmcli.i18n import _, join

            context = getattr(exc, "ctx", None)
            hint = (_("(see `{command} --help`)").format(command=context.command_path)
                    if context is not None else "")
            from crmcli.text import inert  # the message may quote what was typed

            sys.stderr.write(inert(join(_("Error: {message}").format(
                message=usage_message(exc)), hint)) + "\n")
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        except typer.Abort:
            from crmcli.i18n import _

            sys.stderr.write(_("Aborted.") + "\n")
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
    from crmcli.commands.base import AppState
    from crmcli.env import Env

    preset = ctx.obj.env if isinstance(ctx.obj, AppState) else Env()
    ctx.obj = AppState(db=db, debug=debug or os.environ.get("CRMCLI_DEBUG") == "1", env=preset)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    from crmcli.launch import settle

    settle()
    app(prog_name="crmcli")
