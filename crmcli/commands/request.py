"""``crmcli request …``: requests and inquiries (訴求/需求) and their replies."""

from typing import Annotated, Any

import typer

from crmcli.commands._common import (
    AtOpt,
    BomOpt,
    ByOpt,
    FormatOpt,
    LimitOpt,
    ListFormatOpt,
    OutputOpt,
    handle_errors,
    moment,
    state,
)
from crmcli.dates import short_local
from crmcli.i18n import _
from crmcli.render import Column, Format, record, render

app = typer.Typer(help="Requests and inquiries: open, reply, close, convert, void, list, show.",
                  no_args_is_help=True)

MAX_ID = 2**63 - 1
IdArg = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The request's id.")]


def _confirm(ctx: typer.Context, request: dict[str, Any], fmt: Format, text: str) -> None:
    from crmcli.services import requests

    app_state = state(ctx)
    if fmt is Format.table:
        app_state.env.out(text)
    else:
        record(app_state.env, request, requests.COLUMNS, fmt)


@app.command("open")
@handle_errors
def open_(
    ctx: typer.Context,
    who: Annotated[str | None, typer.Argument(help="Customer id or exact name (omit with "
                                              "--caller).", show_default=False)] = None,
    text: Annotated[str | None, typer.Argument(help="What was asked.", show_default=False)]
    = None,
    kind: Annotated[str, typer.Option("--kind", help="inquiry, repair, service, suggestion, "
                                      "praise or other.")] = "inquiry",
    channel: Annotated[str | None, typer.Option(
        "--channel", help="phone, hotline, wechat, visit, web, meeting, letter or email.")]
    = None,
    caller: Annotated[str | None, typer.Option("--caller", help="A caller not on file: their "
                                               "name.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The caller's phone.")] = None,
    meeting: Annotated[int | None, typer.Option("--meeting", min=1, max=MAX_ID,
                                                help="Raised at this tenant meeting.")] = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a request or inquiry; prints its id and its reply deadline.

    WHO is a customer; for a caller not on file give only the text with --caller NAME
    --phone N. A request not answered at once is owed a reply within 24 h (policy
    request_reply_hours).

    Example: crmcli request open 王小明 "停車位月租多少" --channel hotline --at 09:10
    """
    from crmcli.services import requests

    if caller is not None and text is None:
        who, text = None, who
    app_state = state(ctx)
    session = app_state.session()
    request = requests.open_request(session, requests.NewRequest(
        text=text or "", customer=who, caller=caller, phone=phone, kind=kind, channel=channel,
        meeting_id=meeting, at=moment(at, session.now), by=by))
    _confirm(ctx, request, fmt,
             _("Opened request #{id} from {who} ({at}); reply due {due}.").format(
                 id=request["id"], who=request["who"], at=short_local(request["received_at"]),
                 due=short_local(request["reply_due"])))


@app.command("reply")
@handle_errors
def reply(
    ctx: typer.Context,
    request_id: IdArg,
    note: Annotated[str, typer.Option("--note", help="What was replied.")],
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record the reply to a request (the first one decides its deadline).

    Example: crmcli request reply 12 --note "已告知月租價格" --at 15:00
    """
    from crmcli.services import requests

    session = state(ctx).session()
    request = requests.reply(session, request_id, note, moment(at, session.now), by)
    timing = {"met": _("on time"), "late": _("late")}.get(request["reply_state"], "")
    _confirm(ctx, request, fmt, _("Replied to request #{id} ({at}, {timing}).").format(
        id=request_id, at=short_local(request["replied_at"]), timing=timing))


@app.command("close")
@handle_errors
def close(
    ctx: typer.Context,
    request_id: IdArg,
    note: Annotated[str | None, typer.Option("--note", help="How it ended.")] = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Close a request (closing one never replied to counts as its reply).

    Example: crmcli request close 12 --note "已處理"
    """
    from crmcli.services import requests

    session = state(ctx).session()
    request = requests.close(session, request_id, note, moment(at, session.now), by)
    _confirm(ctx, request, fmt, _("Closed request #{id} ({at}); reply {state}.").format(
        id=request_id, at=short_local(request["closed_at"]), state=_(request["reply_state"])))


@app.command("convert")
@handle_errors
def convert(
    ctx: typer.Context,
    request_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="complaint or service.")],
    severity: Annotated[str, typer.Option("--severity", help="complaint: minor or major.")]
    = "minor",
    category: Annotated[str | None, typer.Option("--category", help="complaint: its "
                                                 "category.")] = None,
    service_type: Annotated[str, typer.Option("--type", help="service: repair, maintenance "
                                              "or paid.")] = "repair",
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Turn a request into a complaint or a service order done, linked both ways.

    A complaint counts its deadlines from the request's receipt; a service is logged as
    done (--at, --by) and schedules its follow-up as `service log` does.

    Example: crmcli request convert 12 --to service --type repair --by 李四 --at 16:30
    """
    from crmcli.services import requests

    session = state(ctx).session()
    request = requests.convert(session, request_id, to, category=category, severity=severity,
                               service_type=service_type, at=moment(at, session.now), by=by)
    made = (_("complaint #{id}").format(id=request["complaint_id"]) if request["complaint_id"]
            else _("service #{id}").format(id=request["service_id"]))
    _confirm(ctx, request, fmt, _("Converted request #{id} into {made}.").format(
        id=request_id, made=made))


@app.command("void")
@handle_errors
def void(
    ctx: typer.Context,
    request_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Void a request entered by mistake (it stays in the history; figures leave it out).

    Example: crmcli request void 12 --reason "重複登記"
    """
    from crmcli.services import requests

    session = state(ctx).session()
    request = requests.void(session, request_id, reason)
    _confirm(ctx, request, fmt, _("Voided request #{id}.").format(id=request_id))


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Only those still owed a reply.")]
    = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those whose reply is "
                                          "overdue.")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    month: Annotated[str | None, typer.Option("--month", help="Received in YYYY-MM (local), "
                                              "this or last.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Id or name.")] = None,
    meeting: Annotated[int | None, typer.Option("--meeting", min=1, max=MAX_ID,
                                                help="Raised at this meeting.")] = None,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List the request register (訴求記錄表), newest first; --open and --overdue list the
    soonest due first.

    Example: crmcli request list --open --format csv
    """
    from crmcli.dates import parse_month
    from crmcli.services import requests

    app_state = state(ctx)
    session = app_state.session()
    filters = requests.Filters(customer, kind, "overdue" if overdue else "open" if open_only
                               else None, parse_month(month, session.now) if month else None,
                               meeting)
    render(app_state.env, requests.iter_requests(session, filters, limit),
           requests.TABLE_COLUMNS if fmt is Format.table else requests.COLUMNS, fmt, bom=bom,
           empty=_("No requests match."), alert_key="overdue")


@app.command("show")
@handle_errors
def show(ctx: typer.Context, request_id: IdArg, fmt: FormatOpt = Format.table) -> None:
    """Show a request with its history.

    Example: crmcli request show 12 --format json
    """
    import json

    from crmcli.render import json_value
    from crmcli.services import requests

    app_state = state(ctx)
    session = app_state.session()
    request = requests.get(session, request_id)
    history = requests.events(session, request_id)
    if fmt in (Format.json, Format.jsonl):
        document = {c.key: json_value(request[c.key]) for c in requests.COLUMNS}
        document["events"] = [{k: json_value(v) for k, v in e.items()} for e in history]
        app_state.env.out(json.dumps(document, ensure_ascii=False,
                                     indent=2 if fmt is Format.json else None))
        return
    if fmt is not Format.table:
        render(app_state.env, [request], requests.COLUMNS, fmt)
        return
    from crmcli.i18n import word
    from crmcli.render import table_value

    words = ("kind", "channel", "reply_state", "status")  # the data's words, in the language
    rows = [{"field": c.title, "value": word(request[c.key]) if c.key in words
             else table_value(request[c.key])}
            for c in requests.COLUMNS if request[c.key] not in (None, "", False)]
    render(app_state.env, rows, [Column("field"), Column("value")], fmt,
           title=_("Request #{id}").format(id=request_id))
    app_state.env.out("")
    render(app_state.env, history, requests.EVENT_COLUMNS, fmt, title=_("History"))
