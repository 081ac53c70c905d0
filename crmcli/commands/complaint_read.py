"""``crmcli complaint list|show|sweep``: the complaint register, one complaint's record and
history, and cron's sweep; registered on the complaint group by ``register``."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.commands._common import (
    BomOpt,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    PaperFormatOpt,
    categories,
    customers,
    handle_errors,
    open_complaints,
    state,
)
from crmcli.i18n import _
from crmcli.render import Format, PaperFormat, render

# At most SQLite's largest integer: a bigger id is a usage error, not a crash.
IdArg = Annotated[int, typer.Argument(help="Complaint id.", min=1, max=2**63 - 1, metavar="ID",
                                      autocompletion=open_complaints)]


def register(group: typer.Typer) -> None:
    """Add list, show and sweep to the complaint group (after the entries, as in `--help`)."""
    for name, command in (("list", list_), ("show", show), ("sweep", sweep)):
        group.command(name)(handle_errors(command))


def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="open, escalated or closed.")]
    = None,
    severity: Annotated[str | None, typer.Option("--severity", help="minor or major.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Id or name.",
                                                 autocompletion=customers)] = None,
    category: Annotated[str | None, typer.Option("--category", autocompletion=categories)] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those with a missed "
                                          "deadline still owed.")] = False,
    month: Annotated[str | None, typer.Option("--month", help="Opened in YYYY-MM (local).")]
    = None,
    cases: Annotated[bool, typer.Option("--cases", help="Only the case library.")] = False,
    repeats: Annotated[bool, typer.Option("--repeats", help="Only repeat complaints.")] = False,
    limit: LimitOpt = None,
    fmt: PaperFormatOpt = PaperFormat.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List complaints with their state as of now (the complaint register, 投訴記錄表).

    With --format html, the register to print (客戶投訴記錄表).

    Example: crmcli complaint list --month 2026-11 --format csv --bom > 2026-11-complaints.csv
    """
    from crmcli.dates import month_bounds, parse_month
    from crmcli.errors import BadInput
    from crmcli.services import complaints

    if status not in (None, "open", "escalated", "closed"):
        raise BadInput(_("{option}: {value!r} is not one of {choices}.").format(
            option="--status", value=status, choices="open, escalated, closed"))
    if severity not in (None, "minor", "major"):
        raise BadInput(_("{option}: {value!r} is not one of {choices}.").format(
            option="--severity", value=severity, choices="minor, major"))
    app_state = state(ctx)
    session = app_state.session()
    bounds = month_bounds(*parse_month(month, session.now)) if month else None
    filters = complaints.Filters(status, severity, customer, category, overdue, bounds, cases,
                                 repeats)
    rows = complaints.iter_complaints(session, filters, limit)
    if fmt is PaperFormat.html:
        from crmcli import papers
        from crmcli.services.papers import site_name

        period = "{:04d}-{:02d}".format(*parse_month(month, session.now)) if month else \
            papers.when(session.now)
        app_state.env.stdout.write(papers.register(site_name(session), period, list(rows),
                                                   session.now))
        return
    render(app_state.env, rows, complaints.LIST_COLUMNS, Format(fmt), bom=bom,
           empty=_("No complaints match."), alert_key="overdue")


def show(ctx: typer.Context, complaint_id: IdArg,
         fmt: PaperFormatOpt = PaperFormat.table, output: OutputOpt = None) -> None:
    """Show a complaint: the record, its timers and its whole history.

    With --format html, its handling sheet to print and sign (客戶投訴處置表).

    Example: crmcli complaint show 12 --format json
    """
    import json

    from crmcli.render import Column, json_value
    from crmcli.services import complaints, referrals

    app_state = state(ctx)
    session = app_state.session()
    if fmt is PaperFormat.html:
        from crmcli import papers
        from crmcli.services.papers import handling_sheet, site_name

        app_state.env.stdout.write(papers.handling_sheet(
            site_name(session), handling_sheet(session, complaint_id), session.now))
        return
    record, timers, events = complaints.detail(session, complaint_id)
    letters = referrals.letters(session, complaint_id)
    if fmt is PaperFormat.xlsx:
        from crmcli.xlsx import write_workbook

        fields = [{"field": c.key, "value": record.get(c.key)} for c in complaints.LIST_COLUMNS]
        write_workbook(app_state.env, [
            (f"Complaint {complaint_id}", [Column("field"), Column("value")], fields),
            ("Timers", complaints.TIMER_COLUMNS, timers),
            ("Letters", referrals.LETTER_COLUMNS, letters),
            ("History", complaints.EVENT_COLUMNS, events)])
        return
    if fmt in (PaperFormat.json, PaperFormat.jsonl):
        document = {c.key: json_value(record.get(c.key)) for c in complaints.LIST_COLUMNS}
        document["timers"] = [{k: json_value(v) for k, v in t.items()} for t in timers]
        document["letters"] = [{k: json_value(v) for k, v in t.items()} for t in letters]
        document["events"] = [{k: json_value(v) for k, v in e.items()} for e in events]
        app_state.env.out(json.dumps(document, ensure_ascii=False,
                                     indent=2 if fmt is PaperFormat.json else None))
        return
    table = Format(fmt)
    if table in (Format.csv, Format.tsv):
        render(app_state.env, events, complaints.EVENT_COLUMNS, table)
        return
    from crmcli.render import table_value

    fields = [{"field": c.key, "value": table_value(record.get(c.key))}
              for c in complaints.LIST_COLUMNS if record.get(c.key) not in (None, "", [], False)]
    render(app_state.env, fields, [Column("field", words=True), Column("value")], table,
           title=_("Complaint #{id} — {customer}").format(id=complaint_id,
                                                         customer=record["customer"]))
    app_state.env.out("")
    shown = [{**t, "state": t["state"].upper() if t["state"] == "overdue" else t["state"]}
             for t in timers]  # shouted in the table only; json keeps the stable word
    render(app_state.env, shown, complaints.TIMER_COLUMNS, table, title=_("Timers"))
    app_state.env.out("")
    if letters:
        render(app_state.env, letters, referrals.LETTER_COLUMNS, table,
               title=_("Referral letters (工作聯繫函)"))
        app_state.env.out("")
    render(app_state.env, events, complaints.EVENT_COLUMNS, table, title=_("History"))


def sweep(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be recorded.")]
    = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record the automatic upgrades and escalations that have come due (idempotent; for cron).

    Example: crmcli complaint sweep
    """
    from crmcli.render import Column
    from crmcli.services import sweep as sweeping

    app_state = state(ctx)
    items = sweeping.sweep(app_state.session(), dry_run)
    rows = [{"complaint_id": i.complaint_id, "customer": i.customer, "action": i.action,
             "at": i.at, "note": i.note, "recorded": not dry_run} for i in items]
    columns = [Column("complaint_id", "complaint", justify="right"), Column("customer"),
               Column("action"), Column("at"), Column("note"), Column("recorded")]
    render(app_state.env, rows, columns, fmt, empty=_("Nothing to sweep."))
