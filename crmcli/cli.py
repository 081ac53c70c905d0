"""The root command: global options and the wiring of the command groups."""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crmcli import __version__
from crmcli.commands import complaint, customer, database, policy, report, visit
from crmcli.commands._common import AppState
from crmcli.env import Env

# Typer bundles its own Click and does not re-export its exception classes; BadParameter's
# bases are that Click's UsageError and ClickException.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
_ClickException: type[Exception] = _UsageError.__mro__[1]


class CrmGroup(TyperGroup):
    """The root group: a usage error is one line on stderr (exit 2), not a usage block."""

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


app.add_typer(database.init_app, name=None)
app.add_typer(database.app, name="db")
app.add_typer(customer.app, name="customer")
app.add_typer(complaint.app, name="complaint")
app.add_typer(visit.app, name="visit")
app.add_typer(visit.service_app, name="service")
app.add_typer(visit.care_app, name=None)
app.add_typer(report.app, name="report")
app.add_typer(policy.app, name="policy")
app.add_typer(customer.access_app, name=None)


def main() -> None:
    if hasattr(signal, "SIGPIPE"):
        # `crmcli visit list | head` ends quietly, as other Unix tools do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    app(prog_name="crmcli")
