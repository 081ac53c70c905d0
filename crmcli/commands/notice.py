"""``crmcli notice …``: notices and letters to customers, and their sign-off (簽收)."""

from typing import Annotated

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
    state,
)
from crmcli.i18n import _, ngettext
from crmcli.render import Format, record, render

app = typer.Typer(help="Notices and sign-off: send, sign, list, show, void.",
                  no_args_is_help=True)

MAX_ID = 2**63 - 1
IdArg = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The notice's id.")]


@app.command("send")
@handle_errors
def send(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What the notice says.")],
    kind: Annotated[str, typer.Option("--kind", help="notice, fire-safety, rectification, "
                                      "weather, greeting or other.")] = "notice",
    to: Annotated[list[str] | None, typer.Option(
        "--to", help="all (default), segment:S, tag:T or a customer (repeatable).")] = None,
    sign_off: Annotated[bool, typer.Option("--sign-off", help="Each recipient signs for it "
                                           "(簽收); unsigned ones are chased after 3 days.")]
    = False,
    note: Annotated[str | None, typer.Option("--note", help="A note.")] = None,
    at: AtOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a notice and its delivery to each recipient (moved-out customers left out).

    A weather reminder to all tenants: crmcli notice send "颱風預警：請關好門窗" --kind weather
    --to segment:tenant

    Example: crmcli notice send "11月消防安全檢查通知" --kind fire-safety --to all --sign-off
    """
    from crmcli.dates import parse_when, short_local
    from crmcli.services import notices

    app_state = state(ctx)
    session = app_state.session()
    notice = notices.send(session, notices.NewNotice(
        title, kind, tuple(to or ()), sign_off,
        parse_when(at, session.now) if at is not None else None, by, note))
    if fmt is Format.table:
        values = {"id": notice["id"], "kind": _(notice["kind"]),
                  "at": short_local(notice["sent_at"]), "count": notice["recipients"]}
        if notice["sign_off"]:
            text = ngettext(
                "Sent notice #{id} ({kind}, {at}) to {count} customer; sign-off chased from "
                "{due}.",
                "Sent notice #{id} ({kind}, {at}) to {count} customers; sign-off chased from "
                "{due}.", notice["recipients"]).format(
                    due=short_local(notice["signoff_due"]), **values)
        else:
            text = ngettext("Sent notice #{id} ({kind}, {at}) to {count} customer.",
                            "Sent notice #{id} ({kind}, {at}) to {count} customers.",
                            notice["recipients"]).format(**values)
        app_state.env.out(text)
    else:
        record(app_state.env, notice, notices.COLUMNS, fmt)


@app.command("sign")
@handle_errors
def sign(
    ctx: typer.Context,
    notice_id: IdArg,
    customer: Annotated[str, typer.Argument(help="Customer id or exact name.")],
    at: AtOpt = None,
    by: Annotated[str | None, typer.Option("--by", help="Who signed (default: the "
                                           "customer).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a recipient's signed receipt of a notice (簽收).

    Example: crmcli notice sign 5 王小明 --at "2026-11-21 10:00"
    """
    from crmcli.dates import parse_when, short_local
    from crmcli.render import Column
    from crmcli.services import notices

    app_state = state(ctx)
    session = app_state.session()
    signed = notices.sign(session, notice_id, customer,
                          parse_when(at, session.now) if at is not None else None, by)
    if fmt is Format.table:
        app_state.env.out(_("{customer} signed notice #{id} ({at}); {count} still "
                            "unsigned.").format(customer=signed["customer"], id=notice_id,
                                                at=short_local(signed["signed_at"]),
                                                count=signed["unsigned"]))
    else:
        record(app_state.env, signed, [*notices.COLUMNS, Column("customer_id"),
                                       Column("customer"), Column("signed_at"),
                                       Column("signed_by")], fmt)


@app.command("void")
@handle_errors
def void(
    ctx: typer.Context,
    notice_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Void a notice entered by mistake (it stays in the history; figures leave it out).

    Example: crmcli notice void 5 --reason "發錯對象"
    """
    from crmcli.services import notices

    app_state = state(ctx)
    notice = notices.void(app_state.session(), notice_id, reason)
    if fmt is Format.table:
        app_state.env.out(_("Voided notice #{id}.").format(id=notice_id))
    else:
        record(app_state.env, notice, notices.COLUMNS, fmt)


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    month: Annotated[str | None, typer.Option("--month", help="Sent in YYYY-MM (local), this "
                                              "or last.")] = None,
    unsigned: Annotated[bool, typer.Option("--unsigned", help="Only notices with deliveries "
                                           "still unsigned.")] = False,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List notices sent, with how many signed.

    Example: crmcli notice list --month 2026-11 --kind fire-safety
    """
    from crmcli.dates import parse_month
    from crmcli.services import notices

    app_state = state(ctx)
    session = app_state.session()
    filters = notices.Filters(kind, parse_month(month, session.now) if month else None,
                              unsigned)
    render(app_state.env, notices.iter_notices(session, filters, limit),
           notices.TABLE_COLUMNS if fmt is Format.table else notices.COLUMNS, fmt, bom=bom,
           empty=_("No notices match."), alert_key="overdue")


@app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    notice_id: IdArg,
    unsigned: Annotated[bool, typer.Option("--unsigned", help="Only who has not signed.")]
    = False,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show a notice and its deliveries: who has signed and who has not.

    Example: crmcli notice show 5 --unsigned
    """
    import json

    from crmcli.render import json_value
    from crmcli.services import notices

    app_state = state(ctx)
    session = app_state.session()
    notice = notices.get(session, notice_id)
    rows = notices.deliveries(session, notice_id, unsigned_only=unsigned)
    if fmt in (Format.json, Format.jsonl):
        document = {c.key: json_value(notice[c.key]) for c in notices.COLUMNS}
        document["deliveries"] = [{k: json_value(v) for k, v in r.items()} for r in rows]
        app_state.env.out(json.dumps(document, ensure_ascii=False,
                                     indent=2 if fmt is Format.json else None))
        return
    if fmt is not Format.table:  # the deliveries, one rectangular table
        render(app_state.env, rows, notices.DELIVERY_COLUMNS, fmt, bom=bom)
        return
    render(app_state.env, [notice], notices.TABLE_COLUMNS, fmt,
           title=_("Notice #{id}").format(id=notice_id))
    app_state.env.out("")
    render(app_state.env, rows, notices.DELIVERY_COLUMNS[1:], fmt,
           title=_("Not signed") if unsigned else _("Deliveries"),
           empty=_("Everyone has signed."))
