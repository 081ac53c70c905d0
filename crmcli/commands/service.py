"""``crmcli service …``: work done on site — repairs, maintenance, paid services
(維修、保養、有償服務)."""

from typing import Annotated

import typer

from crmcli.commands._common import (
    MAX_ID,
    AtOpt,
    BomOpt,
    CustomerArg,
    FormatOpt,
    LimitOpt,
    ListFormatOpt,
    MonthOpt,
    OutputOpt,
    customers,
    data_or_table,
    handle_errors,
    moment,
    month_of,
    service_types,
    state,
)
from crmcli.i18n import _, join
from crmcli.render import Format, record, render

app = typer.Typer(help="Work done on site: repairs, maintenance, paid services.",
                  no_args_is_help=True)


@app.command("log")
@handle_errors
def service_log(
    ctx: typer.Context,
    customer: CustomerArg,
    description: Annotated[str, typer.Argument(help="What was done.")],
    kind: Annotated[str, typer.Option("--type", help="repair, maintenance or paid.",
                                                    autocompletion=service_types)],
    fee: Annotated[str | None, typer.Option(
        "--fee", help="What was charged, in the site's currency (e.g. 150 or 80.50; 0 when "
        "free of charge).")] = None,
    at: AtOpt = None,
    by: Annotated[str | None, typer.Option("--by", help="Who did the work (default: you).")]
    = None,
    received_by: Annotated[str | None, typer.Option(
        "--received-by", help="Who took the order (接單人; default: you); they follow it up.")]
    = None,
    request: Annotated[int | None, typer.Option(
        "--request", min=1, max=MAX_ID, help="The request (訴求) this work answers: it is "
        "converted into this service; whoever took it took the order.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record work done for a customer.

    A repair or paid service schedules its follow-up visit (回訪) 24 h later (policy
    service_followup_hours), assigned to whoever took the order, not to the worker.

    Example: crmcli service log 王小明 "更換UPS電池" --type repair --by 李四 --received-by 陳主任
    """
    from crmcli.dates import short_local
    from crmcli.services import services_log

    app_state = state(ctx)
    session = app_state.session()
    logged = services_log.log_service(session, customer, description, kind=kind,
                                      at=moment(at, session.now), by=by, fee=fee,
                                      received_by=received_by, request_id=request)
    service = logged.service
    if fmt is not Format.table:
        record(app_state.env, service, services_log.SERVICE_COLUMNS, fmt)
        return
    text = _("Logged {kind} #{id} for {customer} at {at}.").format(
        kind=_(service["type"]), id=service["id"], customer=service["customer"],
        at=short_local(service["done_at"]))
    if logged.followup is not None:
        text = join(text, _("Follow-up visit #{id} due {due}, assigned to {owner}.").format(
            id=logged.followup["id"], due=short_local(logged.followup["due"]),
            owner=logged.followup["assigned_to"]))
    app_state.env.out(text)


@app.command("void")
@handle_errors
def service_void(
    ctx: typer.Context,
    service_id: Annotated[int, typer.Argument(help="Service id.", min=1, max=MAX_ID)],
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided (kept).")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Void work entered by mistake: it stays in the log, marked voided, and stops counting;
    its pending follow-up is no longer owed.

    Example: crmcli service void 8 --reason "重複登記"
    """
    from crmcli.services import corrections, services_log

    app_state = state(ctx)
    service = corrections.void_service(app_state.session(), service_id, reason)
    if fmt is Format.table:
        app_state.env.out(_("Voided {type} #{id} for {customer}.").format(
            type=_(service["type"]), id=service_id, customer=service["customer"]))
    else:
        record(app_state.env, service, services_log.SERVICE_COLUMNS, fmt)


@app.command("list")
@handle_errors
def service_list(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option("--customer", help="Id or name.",
                                                 autocompletion=customers)] = None,
    kind: Annotated[str | None, typer.Option("--type", help="repair, maintenance or paid.",
                                                    autocompletion=service_types)]
    = None,
    by: Annotated[str | None, typer.Option("--by", help="Only work done by this person.")]
    = None,
    month: MonthOpt = None,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List the work log.

    Each service with its follow-up's state.

    Example: crmcli service list --month 2026-11 --type repair
    """
    from crmcli.services import services_log

    app_state = state(ctx)
    session = app_state.session()
    filters = services_log.Filters(customer, kind, month_of(month, session.now), by)
    render(app_state.env, services_log.iter_services(session, filters, limit),
           data_or_table(fmt, services_log.SERVICE_COLUMNS,
                          services_log.SERVICE_TABLE_COLUMNS), fmt,
           bom=bom, empty=_("No services match."), alert_key="followup_overdue")
