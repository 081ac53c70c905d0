"""What every command shares: the app state, option types, error mapping and output helpers."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from crmcli.commands.base import AppState, failed
from crmcli.errors import ExitCode
from crmcli.i18n import _
from crmcli.render import Format, PaperFormat, paged

P = ParamSpec("P")
R = TypeVar("R")


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def _check_encoding(ctx: Any, params: dict[str, Any]) -> None:
    """Every text a command is given is checked here, whatever the command does with it.

    Bytes that are not UTF-8 (a GBK terminal, a Latin-1 script) reach Python as lone
    surrogates, which SQLite and the output cannot take; control characters (an escape code,
    a CR, a bidi override) would act on the terminal or the cron mail that shows them again:
    refuse both as bad input, naming the option and never echoing the text."""
    from crmcli.errors import BadInput
    from crmcli.text import refuse_control

    declared = getattr(getattr(ctx, "command", None), "params", [])
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str | PurePath):
                label = next((p.opts[0] for p in declared
                              if p.name == name and p.param_type_name == "option"), name)
                if isinstance(item, PurePath):  # a file name may be any bytes, but no escape
                    refuse_control(str(item), label)
                    continue
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise BadInput(_("{option}: not UTF-8 text; set the terminal to UTF-8 "
                                     "(e.g. LANG=zh_CN.UTF-8).").format(option=label)) from None
                refuse_control(item, label)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into one line on stderr and an exit code (STYLE habit 4)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # Typer passes its bundled Click's Context, which is not a typer.Context instance.
        ctx: Any = kwargs.get("ctx")
        app_state = state(ctx) if hasattr(ctx, "find_root") else AppState()
        debug = app_state.debug or os.environ.get("CRMCLI_DEBUG") == "1"
        from crmcli.db import ROLLBACKS

        rollbacks = ROLLBACKS[0]

        try:
            _check_encoding(ctx, kwargs)
            with paged(app_state.env):
                if "output" in kwargs or "fmt" in kwargs:
                    return _with_output(app_state, fn, *args, **kwargs)
                return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            code = failed(app_state.env, exc, rollbacks, debug=debug)
            if code is None:
                raise  # --debug: the traceback
            raise typer.Exit(code) from None

    return wrapper


def _with_output(app_state: AppState, fn: Callable[P, R], *args: P.args,
                 **kwargs: P.kwargs) -> R:
    """``--output FILE`` for every list and report, decided here once: the command writes to
    its Env as always, and that Env's output is a file renamed into place when it succeeds."""
    from crmcli.errors import BadInput

    fmt, output = str(kwargs.get("fmt", "")), kwargs.get("output")
    if fmt in FILE_FORMATS and "output" not in kwargs:
        raise BadInput(_("--format {fmt} is for lists and reports; use table or json "
                         "here.").format(
            fmt=fmt))
    if fmt in FILE_FORMATS and output is None:
        raise BadInput(_("--format {fmt} writes a file: add --output FILE.{fmt}.").format(
            fmt=fmt))
    if "bom" in kwargs and kwargs["bom"] is None:  # csv to a file is most often for Excel
        kwargs["bom"] = output is not None and fmt == "csv"
    if output is None:
        return fn(*args, **kwargs)
    if not isinstance(output, str) or not output or "\x00" in output:
        raise BadInput(_("--output: name a file."))
    from crmcli.output import to_file

    env = app_state.env
    finished: typer.Exit | None = None
    with to_file(env, Path(output)) as file_env:
        app_state.env = file_env
        try:
            result = fn(*args, **kwargs)
        except typer.Exit as exc:  # exit 3 of --fail-on-overdue still wrote its list
            if exc.exit_code not in (ExitCode.OK, ExitCode.OVERDUE):
                raise
            finished = exc
        finally:
            app_state.env = env
    if env.stderr_rich:
        env.err(_("Wrote {file}.").format(file=output))
    if finished is not None:
        raise finished
    return result


FILE_FORMATS = ("xlsx",)  # binary: only ever written to a file

ListFormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, csv, tsv, json, jsonl "
                         "or xlsx (with --output).")
]
PaperFormatOpt = Annotated[
    PaperFormat, typer.Option("--format", "-f", help="Output format: table, csv, tsv, json, "
                              "jsonl, xlsx (with --output) or html (a page to print on A4).")
]
# A plain string, made a Path in _with_output: Click's path type would stat it while parsing.
OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", metavar="FILE",
                 help="Write to this file (0600, replaced whole) instead of the screen.")
]
FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, csv, tsv, json or jsonl.")
]
def _limit_given(ctx: typer.Context, value: int | None) -> int | None:
    """An explicit --limit is the number of rows wanted, on a terminal too (``Env.screen_rows``
    caps only a list given none)."""
    if value is not None and not ctx.resilient_parsing:
        state(ctx).env.screen_rows = None
    return value


LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Show at most N rows.",
                                              callback=_limit_given)]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="When it happened: 09:40, 'yesterday 15:00', 2026-11-20 10:00, -2h."),
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who did it (default: $CRMCLI_USER).")]
BomOpt = Annotated[
    bool | None,
    typer.Option("--bom/--no-bom", help="Start csv/tsv with a UTF-8 BOM so Excel reads Chinese "
                 "text (default: csv written with --output has one).", show_default=False)
]
MonthOpt = Annotated[str | None, typer.Option("--month", help="YYYY-MM (local), this or last.")]
MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger id is a usage error, not a crash


def moment(at: str | None, now: Any) -> Any:
    """An --at option's moment (``dates.parse_when``), or None when it was not given."""
    from crmcli.dates import parse_when

    return parse_when(at, now) if at is not None else None


def month_of(month: str | None, now: Any) -> tuple[int, int] | None:
    """A --month option's (year, month) (``dates.parse_month``), or None when not given."""
    from crmcli.dates import parse_month

    return parse_month(month, now) if month else None


def data_or_table(fmt: Format, data: list[Any], table: list[Any]) -> list[Any]:
    """The columns of a list: its table's on a table, its stable data columns otherwise."""
    return table if fmt is Format.table else data


RevealOpt = Annotated[
    bool, typer.Option("--reveal", help="Show confidential details (needs --reason; logged).")
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (written to the log).")]


# --- shell completion that knows the site's data (`crmcli --install-completion`) -------------
# Typer ``autocompletion`` callbacks. Those reading the data open the database read-only (never
# creating or upgrading it) and answer from crmcli.services.completion; any problem (no file
# yet, a file being written) completes nothing rather than printing into the shell.

def _answer(ctx: Any, incomplete: str, name: str) -> Any:
    from crmcli.quickcomplete import candidates

    root = ctx.find_root() if ctx is not None else None
    given = root.params.get("db") if root is not None else None
    return candidates(name, incomplete, str(given) if given else None)


def customers(ctx: Any, incomplete: str) -> Any:
    return _answer(ctx, incomplete, "customers")


def open_complaints(ctx: Any, incomplete: str) -> Any:
    return _answer(ctx, incomplete, "open_complaints")


def categories(ctx: Any, incomplete: str) -> Any:
    return _answer(ctx, incomplete, "categories")


def _words(source: Callable[[], Iterable[str]]) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        return [word for word in source() if word.startswith(incomplete)]

    return complete


def _methods() -> Iterable[str]:
    from crmcli.services.visit_register import METHODS

    return METHODS


def _visit_kinds() -> Iterable[str]:
    from crmcli.services.visit_register import VISIT_KINDS

    return VISIT_KINDS


def _due_kinds() -> Iterable[str]:
    from crmcli.services.agenda import DUE_KINDS, KIND_GROUPS

    return (*DUE_KINDS, *KIND_GROUPS)


def _service_types() -> Iterable[str]:
    from crmcli.services.services_log import TYPES

    return TYPES


def _policy_keys() -> Iterable[str]:
    from crmcli.policy import KEYS

    return (*KEYS, "cadence.tag.", "cadence.segment.")


methods = _words(_methods)
visit_kinds = _words(_visit_kinds)
due_kinds = _words(_due_kinds)
service_types = _words(_service_types)
policy_keys = _words(_policy_keys)
channels = _words(lambda: ("phone", "email", "wechat", "visit", "hotline", "web"))
# The callbacks scripts/completion_table.py looks for (crmcli/completion_table.py).
COMPLETERS = frozenset({"customers", "open_complaints", "categories", "methods", "visit_kinds",
                        "due_kinds", "service_types", "policy_keys", "channels"})

CustomerArg = Annotated[str, typer.Argument(help="Customer id or exact name.",
                                            autocompletion=customers)]


severities = _words(lambda: ("minor", "major", "auto"))
