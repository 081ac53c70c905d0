"""``crmcli complaint …``: the life of a complaint (投訴) on the seed's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from crmcli.commands._common import (
    AtOpt,
    ByOpt,
    CustomerArg,
    FormatOpt,
    categories,
    channels,
    handle_errors,
    moment,
    open_complaints,
    state,
)
from crmcli.commands.base import AppState
from crmcli.i18n import _, gap, join
from crmcli.render import Format

app = typer.Typer(help="Complaints: open, respond, escalate, close, reopen, list, sweep.",
                  no_args_is_help=True)

# At most SQLite's largest integer: a bigger id is a usage error, not a crash.
IdArg = Annotated[int, typer.Argument(help="Complaint id.", min=1, max=2**63 - 1, metavar="ID",
                                      autocompletion=open_complaints)]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note for the history.")]


def _say(app_state: AppState, complaint: Any, fmt: Format, text: str) -> None:
    from crmcli.render import record
    from crmcli.services import complaints

    if fmt in (Format.json, Format.jsonl):
        record(app_state.env, complaints.summary(complaint), complaints.LIST_COLUMNS, fmt)
    else:
        app_state.env.out(text)


def _stamp(moment: datetime | None) -> str:
    from crmcli.dates import short_local

    return short_local(moment) if moment is not None else "?"


def _deadlines(complaint: Any) -> list[str]:
    from crmcli.dates import short_local

    labels = {"response": _("feedback to the customer due"), "report":
              _("report to the department head due"), "resolve": _("resolve by"),
              "followup": _("follow-up visit due"),
              "plan": _("handling plan of the department due")}
    lines = []
    for timer in complaint.effective.running_timers():
        extra = gap() + _("(else it becomes major)") if (
            timer.name == "resolve" and complaint.effective.severity == "minor") else ""
        extra = extra or (gap() + _("(else escalated)") if timer.name == "resolve" else "")
        late = " — " + _("OVERDUE") if timer.overdue else ""
        lines.append(f"  {labels[timer.name]} {short_local(timer.due)}{extra}{late}")
    return lines


# The deadline an entry answers, and how its confirmation names what was done.
_MEETS = {"responded": "response", "escalated": "report", "closed": "resolve"}


def _deadline_notes(complaint: Any, action: str, done: datetime) -> list[str]:
    from crmcli.confirm import deadline_note

    name = _MEETS.get(action)
    timers = [t for t in complaint.effective.timers if t.name == name and t.met_at is not None]
    if not timers:
        return []
    what = {"response": _("feedback given"), "report": _("reported to the department head"),
            "resolve": _("resolved")}[timers[-1].name]
    return [deadline_note(what, done, timers[-1].due)]


@app.command("open")
@handle_errors
def open_(
    ctx: typer.Context,
    customer: CustomerArg,
    summary: Annotated[str, typer.Argument(help="What the customer complains about.")],
    severity: Annotated[
        str, typer.Option("--severity", help="minor, major, or auto (major if it repeats an "
                          "unresolved complaint of the same category).")
    ] = "minor",
    category: Annotated[str | None, typer.Option("--category", help="e.g. 漏水, 噪音, 空調.",
                                                       autocompletion=categories)]
    = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="phone, email, wechat, visit, hotline, web.",
                                 autocompletion=channels)
    ] = None,
    at: AtOpt = None,
    by: Annotated[str | None, typer.Option("--by", help="Who received it (default: you).")]
    = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who handles it.")] = None,
    note: NoteOpt = None,
    complainant: Annotated[str | None, typer.Option(
        "--complainant", help="Who complained (default: the customer's contact person).")]
    = None,
    contact: Annotated[str | None, typer.Option(
        "--contact", help="How to reach them (default: the customer's phone).")] = None,
    department: Annotated[str | None, typer.Option(
        "--department", help="The department complained about (its plan is due in 60 min).")]
    = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a complaint; prints its id and the deadlines now running.

    Example: crmcli complaint open 王小明 "空調不製冷" --complainant 王太 --department 工程部
    """
    from crmcli.dates import short_local
    from crmcli.services import complaints

    app_state = state(ctx)
    session = app_state.session()
    opened = complaints.open_complaint(
        session, customer, summary, severity=severity, category=category, channel=channel,
        at=moment(at, session.now), by=by, owner=owner, note=note,
        complainant=complainant, contact=contact, department=department,
    )
    complaint = opened.complaint
    eff = complaint.effective
    lines = [_("Opened complaint #{id} ({severity}) for {customer} at {at}.").format(
        id=complaint.id, severity=_(eff.severity), customer=complaint.row["customer"],
        at=_stamp(complaint.entry_at)), *_deadlines(complaint)]
    if opened.repeat_of:
        lines.append(join(
            _("Repeat: complaint #{earlier} of this customer in the same category is still "
              "unresolved; a repeated complaint counts as major.").format(earlier=opened.repeat_of),
            "" if eff.severity == "major" else _(
                "Upgrade it with `crmcli complaint upgrade {id}`.").format(id=complaint.id)))
    report = eff.current("report")
    if eff.severity == "major" and report is not None and fmt is Format.table:
        _alert(app_state, _("MAJOR complaint #{id}: report to the department head by "
                            "{due}.").format(id=complaint.id, due=short_local(report.due)))
    _say(app_state, complaint, fmt, "\n".join(lines))


def _alert(app_state: AppState, text: str) -> None:
    if app_state.env.rich:
        from rich.panel import Panel

        from crmcli.render import console

        console(app_state.env).print(Panel(text, style="bold red", expand=False))
    else:
        app_state.env.out(text)


def _act(ctx: typer.Context, complaint_id: int, action: str, at: str | None, by: str | None,
         fmt: Format, verb: str, note: str | None = None, case: bool = False, **extra: Any
         ) -> None:
    from crmcli.confirm import confirmation
    from crmcli.services import complaints

    app_state = state(ctx)
    session = app_state.session()
    when = moment(at, session.now) or session.now
    complaint = complaints.act(session, complaint_id, action, at=moment(at, session.now),
                               by=by, note=note, case=case, **extra)
    eff = complaint.effective
    done = complaint.entry_at or when
    lines = [confirmation(
        _("Complaint #{id} {customer}: {verb} at {at} (now {severity}, {status}).").format(
            id=complaint_id, customer=complaint.row["customer"], verb=verb,
            at=_stamp(complaint.entry_at), severity=_(eff.severity), status=_(eff.status)),
        None, _deadline_notes(complaint, action, done)), *_deadlines(complaint)]
    if case:
        lines.append(_("Added to the case library."))
    _say(app_state, complaint, fmt, "\n".join(lines))


@app.command("respond")
@handle_errors
def respond(ctx: typer.Context, complaint_id: IdArg, note: NoteOpt = None, at: AtOpt = None,
            by: ByOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Record the feedback given to the customer (meets the 24 h feedback deadline).

    Example: crmcli complaint respond 12 --at 15:00 --note "已致電說明維修安排"
    """
    _act(ctx, complaint_id, "responded", at, by, fmt, _("responded"), note)


@app.command("escalate")
@handle_errors
def escalate(
    ctx: typer.Context,
    complaint_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is escalated.")],
    to: Annotated[str | None, typer.Option("--to", help="Whom it was reported to.")] = None,
    level: Annotated[int, typer.Option("--level", min=1, max=5,
                                       help="1 department head, 2 above.")] = 1,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Escalate (升級): report the complaint upward; meets the 10 min report deadline.

    Example: crmcli complaint escalate 12 --reason "客戶要求賠償" --to 張經理
    """
    from crmcli.errors import BadInput
    from crmcli.fields import clean_text

    why = clean_text(reason, "--reason")
    if not why:
        raise BadInput(_("{option}: say why.").format(option="--reason"))
    _act(ctx, complaint_id, "escalated", at, by, fmt, _("escalated"), why, reason=why,
         to=clean_text(to, "--to") if to else None, level=level)


@app.command("report")
@handle_errors
def report(
    ctx: typer.Context,
    complaint_id: IdArg,
    to: Annotated[str | None, typer.Option("--to", help="Whom it was reported to (default: "
                                           "the department head of the policy).")] = None,
    note: NoteOpt = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record the report of a major complaint to the department head, in any status (owed
    within 10 minutes, even when the complaint was closed on the spot).

    Example: crmcli complaint report 12 --to 李部長 --at 09:48
    """
    from crmcli.fields import clean_text

    _act(ctx, complaint_id, "reported", at, by, fmt, "reported", note,
         to=clean_text(to, "--to") if to else None)


@app.command("void-event")
@handle_errors
def void_event(
    ctx: typer.Context,
    complaint_id: IdArg,
    entry: Annotated[int, typer.Argument(help="The entry's number (`complaint show` lists "
                                         "them).", min=1, max=2**63 - 1, metavar="ENTRY")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Void an entry typed by mistake; it stays in the history, marked, and every deadline
    and figure is worked out again without it.

    Example: crmcli complaint void-event 12 57 --reason "回覆記錯了投訴單"
    """
    from crmcli.services import corrections

    app_state = state(ctx)
    complaint = corrections.void_event(app_state.session(), complaint_id, entry, reason)
    eff = complaint.effective
    _say(app_state, complaint, fmt, "\n".join([
        _("Voided entry #{entry} of complaint #{id} (now {severity}, {status}).").format(
            entry=entry, id=complaint_id, severity=_(eff.severity), status=_(eff.status)),
        *_deadlines(complaint)]))


@app.command("edit")
@handle_errors
def edit(
    ctx: typer.Context,
    complaint_id: IdArg,
    summary: Annotated[str | None, typer.Option("--summary", help="What it is about.")] = None,
    category: Annotated[str | None, typer.Option("--category", autocompletion=categories)] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="Severity at opening: "
                                                  "minor or major.")] = None,
    department: Annotated[str | None, typer.Option(
        "--department", help="Hand it to this department: its plan is due within "
        "plan_minutes from now (or --at).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is corrected.")]
    = None,
    at: AtOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Correct what was typed when the complaint was opened, or name the department
    complained about; each change (old → new, who, why) is kept in its history and the
    deadlines follow.

    Example: crmcli complaint edit 12 --category 空調 --reason "類別登記錯誤"
    """
    from crmcli.services import corrections, sheet

    app_state = state(ctx)
    session = app_state.session()
    changed: list[str] = []
    if department is not None:
        complaint = sheet.assign(session, complaint_id, department,
                                 at=moment(at, session.now), by=None, reason=reason)
        changed.append("department")
    if department is None or (summary, category, severity) != (None, None, None):
        complaint, edited = corrections.edit(
            session, complaint_id,
            corrections.Edit(summary=summary, category=category, severity=severity), reason)
        changed += edited
    eff = complaint.effective
    what = (", ".join(_({"severity_at_open": "severity"}.get(field, field)) for field in changed)
            if changed else _("nothing (already so)"))
    _say(app_state, complaint, fmt, "\n".join([
        _("Complaint #{id}: corrected {what} (now {severity}, {status}).").format(
            id=complaint_id, what=what, severity=_(eff.severity), status=_(eff.status)),
        *_deadlines(complaint)]))


@app.command("upgrade")
@handle_errors
def upgrade(ctx: typer.Context, complaint_id: IdArg,
            reason: Annotated[str | None, typer.Option("--reason")] = None,
            at: AtOpt = None, by: ByOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Make a minor complaint major, as for a repeated complaint; starts the major deadlines.

    Example: crmcli complaint upgrade 12 --reason "同一問題第三次投訴"
    """
    _act(ctx, complaint_id, "upgraded", at, by, fmt, _("upgraded to major"), reason,
         field="severity", old="minor", new="major")


@app.command("close")
@handle_errors
def close(
    ctx: typer.Context,
    complaint_id: IdArg,
    resolution: Annotated[str, typer.Option("--resolution", help="How it was resolved.")],
    case: Annotated[bool, typer.Option("--case", help="Mark it for the case library.")] = False,
    written_notice: Annotated[bool, typer.Option(
        "--written-notice", help="The result was told to the customer in writing.")] = False,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Close a complaint with its resolution; schedules the follow-up visit (回訪).

    Example: crmcli complaint close 12 --resolution "更換壓縮機，已恢復製冷" --at 17:30
    """
    from crmcli.errors import BadInput
    from crmcli.fields import clean_text

    text = clean_text(resolution, "--resolution", multiline=True)
    if not text:
        raise BadInput(_("{option}: say how it was resolved.").format(option="--resolution"))
    _act(ctx, complaint_id, "closed", at, by, fmt, _("closed"), text, case=case,
         field="resolution", new=text, written_notice=written_notice)


@app.command("reopen")
@handle_errors
def reopen(ctx: typer.Context, complaint_id: IdArg,
           reason: Annotated[str, typer.Option("--reason", help="Why it is reopened.")],
           at: AtOpt = None, by: ByOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Reopen a closed complaint; its resolution deadline runs again.

    Example: crmcli complaint reopen 12 --reason "客戶反映問題再次出現"
    """
    from crmcli.errors import BadInput
    from crmcli.fields import clean_text

    why = clean_text(reason, "--reason")
    if not why:
        raise BadInput(_("{option}: say why.").format(option="--reason"))
    _act(ctx, complaint_id, "reopened", at, by, fmt, _("reopened"), why, reason=why)


@app.command("note")
@handle_errors
def note_(ctx: typer.Context, complaint_id: IdArg,
          text: Annotated[str, typer.Argument(help="The note.")],
          referred_to: Annotated[str | None, typer.Option(
              "--referred-to", help="The department it was referred to (《工作聯繫函》); "
              "clears an unsatisfactory follow-up from the agenda.")] = None,
          at: AtOpt = None, by: ByOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Add a note to a complaint's history (any status).

    Example: crmcli complaint note 12 "已聯繫工程部，明早上門" --referred-to 工程部
    """
    from crmcli.errors import BadInput
    from crmcli.fields import clean_text

    body = clean_text(text, "note", multiline=True)
    if not body:
        raise BadInput(_("note: the note is empty."))
    department = clean_text(referred_to, "--referred-to") if referred_to else None
    if referred_to is not None and not department:
        raise BadInput(_("--referred-to: name the department."))
    extra: dict[str, Any] = {"field": "referred_to", "new": department} if department else {}
    _act(ctx, complaint_id, "noted", at, by, fmt, _("noted"), body, referred_to=department,
         **extra)


@app.command("case")
@handle_errors
def case(ctx: typer.Context, complaint_id: IdArg,
         remove: Annotated[bool, typer.Option("--remove", help="Take it out of the library.")]
         = False, by: ByOpt = None) -> None:
    """Mark a typical complaint for the case library (案例庫).

    Example: crmcli complaint case 12
    """
    from crmcli.services import complaints

    app_state = state(ctx)
    complaints.set_case(app_state.session(), complaint_id, not remove, by)
    app_state.env.out((_("Complaint #{id} removed from the case library.") if remove
                       else _("Complaint #{id} added to the case library.")).format(
                           id=complaint_id))


def _register_more() -> None:
    from crmcli.commands import complaint_read, complaint_sheet

    complaint_read.register(app)
    complaint_sheet.register(app)


_register_more()
