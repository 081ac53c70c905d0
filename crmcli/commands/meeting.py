"""``crmcli meeting …``: tenant meetings (租戶大會) and who attended."""

from pathlib import Path
from typing import Annotated

import typer

from crmcli.commands._common import (
    BomOpt,
    ByOpt,
    FormatOpt,
    ListFormatOpt,
    OutputOpt,
    handle_errors,
    state,
)
from crmcli.i18n import _, ngettext
from crmcli.render import Format, record, render

app = typer.Typer(help="Tenant meetings: log, list, show, void.", no_args_is_help=True)

MAX_ID = 2**63 - 1
IdArg = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The meeting's id.")]


@app.command("log")
@handle_errors
def log(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The meeting's title.")],
    at: Annotated[str, typer.Option("--at", help="When it was held: 2026-11-20 19:00.")],
    kind: Annotated[str, typer.Option("--kind", help="quarterly or special.")] = "quarterly",
    attended: Annotated[list[str] | None, typer.Option(
        "--attended", help="A customer who attended (repeatable).")] = None,
    attended_file: Annotated[Path | None, typer.Option(
        "--attended-file", help="A file of customers who attended, one id or name a line.")]
    = None,
    note: Annotated[str | None, typer.Option("--note", help="The record of the meeting.")]
    = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a tenant meeting held and who attended (face to face).

    Attending resets each customer's contact cadence. Suggestions raised there are requests:
    `crmcli request open CUSTOMER TEXT --kind suggestion --meeting ID`.

    Example: crmcli meeting log "Q4 租戶大會" --at "2026-11-20 19:00" --attended 王小明
    """
    from crmcli.dates import parse_when, short_local
    from crmcli.services import meetings

    app_state = state(ctx)
    session = app_state.session()
    names = list(attended or [])
    if attended_file is not None:
        names += meetings.read_attendees(attended_file)
    meeting = meetings.log_meeting(session, title, at=parse_when(at, session.now), kind=kind,
                                   attended=names, note=note, by=by)
    if fmt is Format.table:
        app_state.env.out(ngettext(
            "Logged meeting #{id} ({at}), {count} customer attended.",
            "Logged meeting #{id} ({at}), {count} customers attended.",
            meeting["attended"]).format(id=meeting["id"], at=short_local(meeting["held_at"]),
                                        count=meeting["attended"]))
    else:
        record(app_state.env, meeting, meetings.COLUMNS, fmt)


@app.command("void")
@handle_errors
def void(
    ctx: typer.Context,
    meeting_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Void a meeting entered by mistake (it stays in the history; figures leave it out).

    Example: crmcli meeting void 3 --reason "日期記錯，已重新登記"
    """
    from crmcli.services import meetings

    app_state = state(ctx)
    meeting = meetings.void(app_state.session(), meeting_id, reason)
    if fmt is Format.table:
        app_state.env.out(_("Voided meeting #{id}.").format(id=meeting_id))
    else:
        record(app_state.env, meeting, meetings.COLUMNS, fmt)


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", min=1900, max=9998,
                                             help="Only meetings held this year.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Only those this customer "
                                                 "attended.")] = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List tenant meetings with attendance and suggestions replied.

    Example: crmcli meeting list --year 2026
    """
    from crmcli.services import meetings

    app_state = state(ctx)
    session = app_state.session()
    render(app_state.env, meetings.iter_meetings(session, meetings.Filters(year, customer)),
           meetings.TABLE_COLUMNS if fmt is Format.table else meetings.COLUMNS, fmt, bom=bom,
           empty=_("No meetings match."))


@app.command("show")
@handle_errors
def show(ctx: typer.Context, meeting_id: IdArg, fmt: FormatOpt = Format.table) -> None:
    """Show a meeting, who attended and the suggestions raised.

    Example: crmcli meeting show 3 --format json
    """
    import json

    from crmcli.render import json_value
    from crmcli.services import meetings, requests

    app_state = state(ctx)
    session = app_state.session()
    meeting = meetings.get(session, meeting_id)
    people = meetings.attendees(session, meeting_id)
    raised = list(requests.iter_requests(session, requests.Filters(meeting_id=meeting_id)))
    if fmt in (Format.json, Format.jsonl):
        document = {c.key: json_value(meeting[c.key]) for c in meetings.COLUMNS}
        document["attendees"] = people
        document["suggestions"] = [{c.key: json_value(r[c.key]) for c in requests.COLUMNS}
                                   for r in raised]
        app_state.env.out(json.dumps(document, ensure_ascii=False,
                                     indent=2 if fmt is Format.json else None))
        return
    render(app_state.env, [meeting], meetings.COLUMNS if fmt is not Format.table
           else meetings.TABLE_COLUMNS, fmt, title=_("Meeting #{id}").format(id=meeting_id))
    if fmt is Format.table:
        app_state.env.out("")
        render(app_state.env, people, meetings.ATTENDEE_COLUMNS, fmt, title=_("Attended"))
        if raised:
            app_state.env.out("")
            render(app_state.env, raised, requests.TABLE_COLUMNS, fmt, title=_("Suggestions"))
