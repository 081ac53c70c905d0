"""``crmcli visit …`` and ``crmcli care``: follow-ups and contacts."""

from typing import Annotated

import typer

from crmcli.commands._common import (
    MAX_ID,
    AtOpt,
    BomOpt,
    ByOpt,
    CustomerArg,
    FormatOpt,
    LimitOpt,
    ListFormatOpt,
    MonthOpt,
    OutputOpt,
    customers,
    data_or_table,
    due_kinds,
    handle_errors,
    methods,
    moment,
    month_of,
    open_complaints,
    state,
    visit_kinds,
)
from crmcli.commands.due import last_day
from crmcli.i18n import _
from crmcli.render import Column, Format, record, render

app = typer.Typer(help="Follow-ups and contacts: log, schedule, cancel, list, due.",
                  no_args_is_help=True)
care_app = typer.Typer()

NoteOpt = Annotated[str | None, typer.Option("--note", help="A note.")]
WithinOpt = Annotated[
    str | None,
    typer.Option("--within", help="Look this far ahead, to the end of that day (3d, 2w, 1mo); "
                 "default: the end of today.", show_default=False),
]


@app.command("log")
@handle_errors
def log(
    ctx: typer.Context,
    customer: CustomerArg,
    method: Annotated[str, typer.Option("--method", "-m",
                                        help="phone, wechat, in-person, email or letter.",
                                        autocompletion=methods)],
    kind: Annotated[str | None, typer.Option(
        "--kind", help="complaint, repair, paid, survey, routine, care, residence, inspection "
        "or invitation (default: the scheduled visit it answers, else routine).",
        show_default=False, autocompletion=visit_kinds)] = None,
    complaint: Annotated[int | None, typer.Option("--complaint", min=1, max=MAX_ID,
                                                  help="The complaint it follows up.",
                                                  autocompletion=open_complaints)] = None,
    service: Annotated[int | None, typer.Option("--service", min=1, max=MAX_ID,
                                                help="The repair or paid service it follows "
                                                "up.")] = None,
    visit: Annotated[int | None, typer.Option("--visit", min=1, max=MAX_ID,
                                              help="The pending visit it fulfils.")] = None,
    satisfaction: Annotated[int | None, typer.Option("--satisfaction",
                                                     help="Overall satisfaction, 1–5.")] = None,
    quality: Annotated[int | None, typer.Option("--quality",
                                                help="Service quality, 1–5.")] = None,
    attitude: Annotated[int | None, typer.Option("--attitude",
                                                 help="Service attitude, 1–5.")] = None,
    price_ok: Annotated[bool | None, typer.Option(
        "--price-ok/--price-wrong", help="The price charged was verified with the customer.",
        show_default=False)] = None,
    shortcomings: Annotated[str | None, typer.Option("--shortcomings",
                                                     help="What the customer found lacking.")]
    = None,
    suggestion: Annotated[str | None, typer.Option("--suggestion",
                                                   help="The customer's suggestion.")] = None,
    unresolved: Annotated[bool, typer.Option(
        "--unresolved", help="The problem is still there: the follow-up is unsatisfactory "
        "(不合格) and goes to the area manager.")] = False,
    note: NoteOpt = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a visit or call done.

    It fulfils the pending follow-up it answers: the one named by --visit, --complaint or
    --service, else the customer's scheduled visit of that kind due within the week. A major
    complaint's follow-up is met only in person; a follow-up rated 1–2 or --unresolved puts
    an `unsatisfied` item on the area manager's agenda.

    Example: crmcli visit log 王小明 --complaint 12 --method phone --satisfaction 5 --at 16:20
    """
    from crmcli.services import visit_register, visits

    app_state = state(ctx)
    session = app_state.session()
    logged = visits.log_visit(session, customer, visits.VisitInput(
        method=method, kind=kind, complaint_id=complaint, service_id=service, visit_id=visit,
        satisfaction=satisfaction, quality=quality, attitude=attitude, price_ok=price_ok,
        shortcomings=shortcomings, suggestion=suggestion, note=note,
        at=moment(at, session.now), by=by, unresolved=unresolved,
    ))
    for line in logged.notes:
        app_state.env.err(line)
    if fmt is Format.table:
        app_state.env.out(visits.describe_logged(logged))
    else:
        record(app_state.env, {**logged.visit, "fulfilled": logged.answered is not None},
                [*visit_register.VISIT_COLUMNS, Column("fulfilled")], fmt)


@app.command("schedule")
@handle_errors
def schedule(
    ctx: typer.Context,
    customer: CustomerArg,
    due: Annotated[str, typer.Option("--due", help="By when: 2026-11-25 (end of that day), "
                                     "'tomorrow 10:00', +3d.")],
    kind: Annotated[str, typer.Option("--kind", help="routine, survey, care, complaint, "
                                      "repair or paid.", autocompletion=visit_kinds)] = "routine",
    assign: Annotated[str | None, typer.Option("--assign", help="Who should do it "
                                               "(default: you).")] = None,
    method: Annotated[str | None, typer.Option("--method", help="How it should be done.",
                                               autocompletion=methods)] = None,
    note: NoteOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Plan a visit or call.

    It shows in `visit due` until it is logged; a date without a time means by the end of
    that day.

    Example: crmcli visit schedule 王小明 --due 2026-11-25 --kind survey --assign 李四
    """
    from crmcli.dates import short_local
    from crmcli.services import visit_register, visits

    app_state = state(ctx)
    session = app_state.session()
    visit = visits.schedule_visit(session, customer, visits.parse_due(due, session.now),
                                  kind=kind, note=note, assign=assign, method=method)
    if fmt is Format.table:
        app_state.env.out(_("Scheduled visit #{id} ({kind}) to {customer}, due {due}, assigned "
                            "to {owner}.").format(
            id=visit["id"], kind=_(visit["kind"]), customer=visit["customer"],
            due=short_local(visit["due"]), owner=visit["assigned_to"]))
    else:
        record(app_state.env, visit, visit_register.VISIT_COLUMNS, fmt)


@app.command("cancel")
@handle_errors
def cancel(
    ctx: typer.Context,
    visit_id: Annotated[int, typer.Argument(help="Visit id.", min=1, max=MAX_ID)],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in its note).")]
    = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Cancel a pending scheduled visit.

    A complaint's follow-up cannot be cancelled: every complaint is followed up (回訪率100%).

    Example: crmcli visit cancel 9 --reason "客戶出差，改期"
    """
    from crmcli.services import visit_register, visits

    app_state = state(ctx)
    visit = visits.cancel_visit(app_state.session(), visit_id, reason)
    if fmt is Format.table:
        app_state.env.out(_("Cancelled visit #{id} ({kind}) to {customer}.").format(
            id=visit_id, kind=_(visit["kind"]), customer=visit["customer"]))
    else:
        record(app_state.env, visit, visit_register.VISIT_COLUMNS, fmt)


@app.command("void")
@handle_errors
def void(
    ctx: typer.Context,
    visit_id: Annotated[int, typer.Argument(help="Visit id.", min=1, max=MAX_ID)],
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided (kept).")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Void a logged visit entered by mistake: it stays in the register, marked voided, and
    stops counting; a follow-up it answered is owed again.

    Example: crmcli visit void 31 --reason "記錯了客戶"
    """
    from crmcli.services import corrections, visit_register

    app_state = state(ctx)
    visit = corrections.void_visit(app_state.session(), visit_id, reason)
    if fmt is Format.table:
        app_state.env.out(_("Voided visit #{id} ({kind}) to {customer}.").format(
            id=visit_id, kind=_(visit["kind"]), customer=visit["customer"]))
    else:
        record(app_state.env, visit, visit_register.VISIT_COLUMNS, fmt)


@app.command("refer")
@handle_errors
def refer(
    ctx: typer.Context,
    visit_id: Annotated[int, typer.Argument(help="The unsatisfactory follow-up's visit id.",
                                            min=1, max=MAX_ID)],
    to: Annotated[str, typer.Option("--to", help="The department responsible.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Refer an unsatisfactory follow-up to the department responsible (《工作聯繫函》);
    clears it from the area manager's agenda.

    Example: crmcli visit refer 31 --to 工程部
    """
    from crmcli.errors import BadInput
    from crmcli.fields import clean_text
    from crmcli.services import followups, visit_register

    department = clean_text(to, "--to")
    if not department:
        raise BadInput(_("--to: name the department."))
    app_state = state(ctx)
    visit = followups.refer(app_state.session(), visit_id, department)
    if fmt is Format.table:
        app_state.env.out(_("Visit #{id}: referred to {department}.").format(
            id=visit_id, department=department))
    else:
        record(app_state.env, visit, visit_register.VISIT_COLUMNS, fmt)


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option("--customer", help="Id or name.",
                                                 autocompletion=customers)] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only this kind "
                                                   "(repeatable).",
                                                   autocompletion=visit_kinds)] = None,
    pending: Annotated[bool, typer.Option("--pending", help="Only visits not yet done.")]
    = False,
    done: Annotated[bool, typer.Option("--done", help="Only visits done.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only pending visits past due.")]
    = False,
    cancelled: Annotated[bool, typer.Option("--cancelled", help="Only cancelled visits.")]
    = False,
    month: MonthOpt = None,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List visits: the follow-up register (回訪記錄).

    Done and pending visits in time order; cancelled ones only with --cancelled.

    Example: crmcli visit list --month 2026-11 --done --format csv --bom > 2026-11-visits.csv
    """
    from crmcli.errors import BadInput
    from crmcli.services import visit_register

    chosen = [name for name, on in (("pending", pending), ("done", done),
                                    ("overdue", overdue), ("cancelled", cancelled)) if on]
    if len(chosen) > 1:
        raise BadInput(_("{first} and {second}: choose one.").format(
            first=f"--{chosen[0]}", second=f"--{chosen[1]}"))
    app_state = state(ctx)
    session = app_state.session()
    filters = visit_register.Filters(customer, tuple(kind or ()),
                                     chosen[0] if chosen else None, month_of(month, session.now))
    render(app_state.env, visit_register.iter_visits(session, filters, limit),
           data_or_table(fmt, visit_register.VISIT_COLUMNS,
                         visit_register.VISIT_TABLE_COLUMNS), fmt,
           bom=bom, empty=_("No visits match."), alert_key="overdue")


@app.command("due")
@handle_errors
def due(
    ctx: typer.Context,
    within: WithinOpt = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="Only this kind (repeatable): complaint, repair, paid, survey, "
        "routine, care, cadence, annual, response, report, resolve, unsatisfied, reply, "
        "meeting, signoff, notice, residence, inspection, invitation, renewal, invoice, "
        "refused-payment, review (`crmcli visit kinds`); followup, deadline or handover.",
        autocompletion=due_kinds)] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only what this person should "
                                              "do.")] = None,
    show_skipped: Annotated[bool, typer.Option(
        "--show-skipped", help="Also list the handover visits skipped (major complaint, "
        "renovating, not living there) with the reason.")] = False,
    fail_on_overdue: Annotated[bool, typer.Option(
        "--fail-on-overdue", help="Exit 3 when anything is overdue (for cron).")] = False,
    summary: Annotated[bool, typer.Option(
        "--summary", help="Only the counts of what is overdue and due, by kind and by owner "
        "(for a cron mail).")] = False,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """What is overdue or due today (for cron).

    One list, most overdue first: follow-ups and scheduled visits, contact cadence, yearly
    in-person visits, running complaint deadlines, handover visits and their invitations,
    contract renewals, unpaid invoices, refused payments to report and credit reviews, due
    by the end of today (local) or of
    the day --within reaches. Contacts and yearly visits are due on a day and overdue from
    the next; the rest are overdue the minute their time has passed. When nothing is due it
    prints nothing (a line only on a terminal; `[]` in json, the header alone in csv).

    On a terminal it starts with the counts by kind and by owner; --summary prints those
    alone. --limit N lists the N most overdue (without the counts).

    Example: crmcli visit due --within 3d --fail-on-overdue
    """
    from crmcli.commands import due as due_list

    code = due_list.show(state(ctx), within=within, kinds=kind, owner=owner,
                         show_skipped=show_skipped, fail_on_overdue=fail_on_overdue,
                         summary=summary, limit=limit, fmt=fmt, bom=bom)
    if code:
        raise typer.Exit(code)


@app.command("kinds")
@handle_errors
def kinds(ctx: typer.Context, fmt: ListFormatOpt = Format.table, bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """The kinds of item `visit due` lists: what each means and who owes it.

    Example: crmcli visit kinds --format csv
    """
    from crmcli.services import agenda

    app_state = state(ctx)
    render(app_state.env, agenda.kind_help(),
           [Column("kind"), Column("group"), Column("source"), Column("help")], fmt, bom=bom)


@care_app.command("care")
@handle_errors
def care(ctx: typer.Context, within: Annotated[str, typer.Option(
        "--within", help="Look this far ahead (7d, 2w, 1mo), to the end of that day.")] = "7d",
         fmt: ListFormatOpt = Format.table, bom: BomOpt = None,
    output: OutputOpt = None) -> None:
    """Birthdays, anniversaries and holidays ahead.

    For greetings in time (生日祝福、節日問候): customers' birthdays (with or without a year),
    anniversaries of their `since`, and the public holidays of the policy region.

    Example: crmcli care --within 2w
    """
    from crmcli.services import care as caring

    app_state = state(ctx)
    session = app_state.session()
    rows = caring.care_rows(session, last_day(within, session.now, 366))
    render(app_state.env, rows, data_or_table(fmt, caring.CARE_COLUMNS,
                                               caring.CARE_TABLE_COLUMNS), fmt,
           bom=bom, empty=_("No birthdays, anniversaries or holidays ahead."))
