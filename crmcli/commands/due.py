"""`visit due`'s work, with no Typer in it: the command (commands/visit.py) and cron's quick
path (crmcli/quickdue.py) both run ``show``, so both print the same list the same way."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from crmcli.commands.base import AppState
from crmcli.errors import BadInput, ExitCode
from crmcli.i18n import _
from crmcli.render import Format, render
from crmcli.render import cells as render_cells


def last_day(within: str | None, now: datetime, most_days: int) -> date:
    """The end of today, or of the day ``within`` from now (whole local days)."""
    from crmcli.dates import parse_span, to_local

    today = to_local(now)
    if not within:
        return today.date()
    try:
        last = (today + parse_span(within)).date()
    except (OverflowError, ValueError):
        last = date.max
    if last > today.date() + timedelta(days=most_days):
        raise BadInput(_("{option}: {value} is too far ahead (at most {days} days).").format(
            option="--within", value=within, days=most_days))
    return last


def show(app_state: AppState, *, within: str | None, kinds: list[str] | None,
         owner: str | None, show_skipped: bool, fail_on_overdue: bool, summary: bool,
         limit: int | None, fmt: Format, bom: bool | None) -> int:
    """Print what is overdue or due by the end of the day ``within`` reaches; the exit code
    (``ExitCode.OVERDUE`` with ``fail_on_overdue`` when something is overdue, else 0)."""
    from crmcli.services import agenda

    if summary and fmt is not Format.table:
        raise BadInput(_("{first} and {second}: choose one.").format(
            first="--summary", second="--format"))
    if summary and limit is not None:
        raise BadInput(_("{first} and {second}: choose one.").format(
            first="--summary", second="--limit"))
    session = app_state.session()
    chosen = agenda.expand_kinds(kinds) if kinds else None
    last = last_day(within, session.now, 3660)
    if fmt in (Format.csv, Format.tsv) and not show_skipped and not fail_on_overdue:
        # for a spreadsheet: cells straight from the agenda, no row dicts
        render_cells(app_state.env, agenda.due_cells(session, last, chosen, owner, limit),
                     agenda.DUE_COLUMNS, fmt, bom=bom)
        return 0
    rows = agenda.due_rows(agenda.due_items(session, last, chosen, owner, limit), session.now)
    if show_skipped:
        rows += agenda.skipped_rows(session, last, chosen)
    late = any(row["overdue"] for row in rows)
    overdue = int(ExitCode.OVERDUE) if fail_on_overdue and late else 0
    if summary and not rows and not app_state.env.stdout_isatty:
        return 0  # cron mails only when there is work
    if summary or (fmt is Format.table and app_state.env.stdout_isatty and rows
                   and limit is None):
        from crmcli.services import due_summary

        counts = due_summary.summarize(rows, last)
        _summary(app_state, due_summary.lines(counts), late, table=not summary)
    if summary:
        return overdue
    columns = agenda.DUE_TABLE_COLUMNS if fmt is Format.table else agenda.DUE_COLUMNS
    render(app_state.env, rows, columns, fmt, bom=bom, empty=_("Nothing due."),
           alert_key="overdue")
    return overdue


def _summary(app_state: AppState, lines: list[str], late: bool, *, table: bool) -> None:
    """The counts ahead of the table (its headline red on a colour terminal when something is
    overdue), or alone with --summary."""
    env = app_state.env
    if not env.rich:
        env.out("\n".join(lines) + ("\n" if table else ""))
        return
    from rich.text import Text

    from crmcli.render import console

    out = console(env)
    out.print(Text(lines[0], style="bold red" if late else "bold"))
    for line in lines[1:]:
        out.print(Text(line))
    if table:
        out.print()
