"""``crmcli complaint plan|refer|refer-done|validity|opinion|notify``: the rest of the handling
sheet (《客戶投訴處置表》), registered on the complaint group by ``register``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crmcli.commands._common import AtOpt, ByOpt, FormatOpt, handle_errors, moment, state
from crmcli.i18n import _
from crmcli.render import Format

IdArg = Annotated[int, typer.Argument(help="Complaint id.", min=1, max=2**63 - 1, metavar="ID")]
TextOpt = Annotated[str, typer.Option("--text", help="What was written on the sheet.")]


def _done(ctx: typer.Context, fmt: Format, step: Any, text: str) -> None:
    """Run a sheet step (``step(session, at)``) and confirm it with the stored time."""
    from crmcli.dates import short_local
    from crmcli.render import record
    from crmcli.services import complaints

    app_state = state(ctx)
    session = app_state.session()
    complaint = step(session)
    if fmt in (Format.json, Format.jsonl):
        record(app_state.env, complaints.summary(complaint), complaints.LIST_COLUMNS, fmt)
        return
    stamp = short_local(complaint.entry_at) if complaint.entry_at else "?"
    app_state.env.out(_("Complaint #{id}: {what} at {at}.").format(id=complaint.id, what=text,
                                                                   at=stamp))


def plan(ctx: typer.Context, complaint_id: IdArg, text: TextOpt, at: AtOpt = None,
         by: ByOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Record the department's handling plan (處理方法); meets the plan deadline (60 min
    after the department was assigned).

    Example: crmcli complaint plan 12 --text "工程部今日16:00前更換閥門" --by 工程部王工 --at 10:20
    """
    from crmcli.services import sheet

    _done(ctx, fmt, lambda s: sheet.plan(s, complaint_id, text, at=moment(at, s.now), by=by),
          _("handling plan recorded"))


def refer(
    ctx: typer.Context,
    complaint_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="The department the letter goes to.")],
    due: Annotated[str, typer.Option("--due", help="When it must be solved (e.g. "
                                     "'2026-11-25 17:00', +2d).")],
    text: Annotated[str | None, typer.Option("--text", help="What is asked.")] = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Send a referral letter (《工作聯繫函》) to another department, with a time limit.

    Example: crmcli complaint refer 12 --to 保安部 --due "2026-11-25 17:00" --text "加強夜間巡邏"
    """
    from crmcli.services import sheet
    from crmcli.services.visits import parse_due

    _done(ctx, fmt, lambda s: sheet.refer(s, complaint_id, to, parse_due(due, s.now), text,
                                          at=moment(at, s.now), by=by),
          _("referral letter to {department} recorded").format(department=to))


def refer_done(
    ctx: typer.Context,
    complaint_id: IdArg,
    letter: Annotated[int, typer.Argument(help="The letter's number (`complaint show`).",
                                          min=1, max=2**63 - 1, metavar="LETTER")],
    note: Annotated[str | None, typer.Option("--note", help="What the department did.")]
    = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Close a referral letter: the department answered it.

    Example: crmcli complaint refer-done 12 57 --note "已加派夜班保安" --at 16:30
    """
    from crmcli.services import sheet

    _done(ctx, fmt, lambda s: sheet.refer_done(s, complaint_id, letter, note,
                                               at=moment(at, s.now), by=by),
          _("letter #{id} closed").format(id=letter))


def validity(
    ctx: typer.Context,
    complaint_id: IdArg,
    unreasonable: Annotated[bool, typer.Option(
        "--unreasonable/--valid", help="無理投訴 (needs --reason), or 有效投訴 (the default "
        "of every complaint).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is unreasonable.")]
    = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Judge a complaint valid or unreasonable; an unreasonable one still needs its feedback
    (the explanation) but is left out of the figures that measure service failures.

    Example: crmcli complaint validity 12 --unreasonable --reason "要求超出合同範圍，已耐心解釋"
    """
    from crmcli.services import sheet

    value = "unreasonable" if unreasonable else "valid"
    _done(ctx, fmt, lambda s: sheet.judge(s, complaint_id, value, reason, at=moment(at, s.now),
                                          by=by),
          _("judged unreasonable") if unreasonable else _("judged valid"))


def opinion(ctx: typer.Context, complaint_id: IdArg, text: TextOpt, at: AtOpt = None,
            by: Annotated[str | None, typer.Option(
                "--by", help="Who gave it (default: the policy's department head).")] = None,
            fmt: FormatOpt = Format.table) -> None:
    """Record the department head's opinion on the complaint.

    Example: crmcli complaint opinion 12 --text "同意處理方案，本週內回訪" --by 李部長
    """
    from crmcli.services import sheet

    _done(ctx, fmt, lambda s: sheet.opinion(s, complaint_id, text, at=moment(at, s.now), by=by),
          _("opinion recorded"))


def notify(
    ctx: typer.Context,
    complaint_id: IdArg,
    written: Annotated[bool, typer.Option("--written/--verbal", help="Told in writing "
                                          "(書面告知), or by word of mouth.")] = True,
    note: Annotated[str | None, typer.Option("--note", help="e.g. the letter's number.")]
    = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record that the result was told to the customer (in writing unless --verbal).

    Example: crmcli complaint notify 12 --written --note "書面回覆函已送達"
    """
    from crmcli.services import sheet

    _done(ctx, fmt, lambda s: sheet.notify(s, complaint_id, written, note,
                                           at=moment(at, s.now), by=by),
          _("result told in writing") if written else _("result told by word of mouth"))


def register(app: typer.Typer) -> None:
    for name, command in (("plan", plan), ("refer", refer), ("refer-done", refer_done),
                          ("validity", validity), ("opinion", opinion), ("notify", notify)):
        app.command(name)(handle_errors(command))
