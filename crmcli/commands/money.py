"""``crmcli contract …``, ``crmcli invoice …`` and ``crmcli payment …``: renewals and money."""

from datetime import date, datetime
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
from crmcli.i18n import _, ngettext
from crmcli.render import Column, Format, record, render

contract_app = typer.Typer(help="Contracts and renewals (續簽): add, renew, end, list.",
                           no_args_is_help=True)
invoice_app = typer.Typer(help="Invoices (開發票): issue, list.", no_args_is_help=True)
payment_app = typer.Typer(help="Payments (收款): record, refuse (拒付), report, list.",
                          no_args_is_help=True)

MAX_ID = 2**63 - 1
CustomerArg = Annotated[str, typer.Argument(help="Customer id or exact name.")]
CustomerOpt = Annotated[str | None, typer.Option("--customer", help="Only this customer.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note.")]
AmountOpt = Annotated[str | None, typer.Option(
    "--amount", help="Amount in the site's currency, exactly (1234.56).")]


def _day(text: str | None, now: datetime, option: str) -> date | None:
    from crmcli.dates import parse_day

    return parse_day(text, now, option) if text is not None else None


def _show(app_state: Any, row: dict[str, Any], columns: list[Column], fmt: Format,
          text: str) -> None:
    if fmt in (Format.json, Format.jsonl):
        record(app_state.env, row, columns, fmt)
    else:
        app_state.env.out(text)


# --- contracts --------------------------------------------------------------------------------

@contract_app.command("add")
@handle_errors
def contract_add(
    ctx: typer.Context,
    customer: CustomerArg,
    start: Annotated[str, typer.Option("--start", help="First day (2026-12-01).")],
    end: Annotated[str, typer.Option("--end", help="Last day (2027-11-30).")],
    amount: AmountOpt = None,
    billing: Annotated[str, typer.Option(
        "--billing", help="monthly, quarterly, yearly or once: how often --amount is "
        "invoiced.")] = "once",
    note: NoteOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a contract; its renewal comes on the agenda before it ends.

    Example: crmcli contract add 王小明 --start 2026-12-01 --end 2027-11-30 --amount 8500
    """
    from crmcli.services import contracts

    app_state = state(ctx)
    session = app_state.session()
    first = _day(start, session.now, "--start")
    last = _day(end, session.now, "--end")
    assert first is not None and last is not None
    contract = contracts.add(session, customer, first, last, amount=amount, billing=billing,
                             note=note)
    _show(app_state, contract, contracts.COLUMNS, fmt,
          _("Added contract #{id} for {customer}: {start} to {end}, recorded {at}.").format(
              id=contract["id"], customer=contract["customer"], start=contract["start_on"],
              end=contract["end_on"], at=short_local(session.now)))


@contract_app.command("renew")
@handle_errors
def contract_renew(
    ctx: typer.Context,
    contract_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The contract.")],
    end: Annotated[str, typer.Option("--end", help="The renewed contract's last day.")],
    amount: AmountOpt = None,
    note: NoteOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Renew a contract (續簽): a new contract from the day after its end, same terms unless
    --amount says otherwise.

    Example: crmcli contract renew 3 --end 2028-11-30 --amount 8800
    """
    from crmcli.services import contracts

    app_state = state(ctx)
    session = app_state.session()
    last = _day(end, session.now, "--end")
    assert last is not None
    contract = contracts.renew(session, contract_id, last, amount=amount, note=note)
    _show(app_state, contract, contracts.COLUMNS, fmt,
          _("Renewed contract #{old} as contract #{id}: {start} to {end}, recorded "
            "{at}.").format(old=contract_id, id=contract["id"], start=contract["start_on"],
                            end=contract["end_on"], at=short_local(session.now)))


@contract_app.command("end")
@handle_errors
def contract_end(
    ctx: typer.Context,
    contract_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The contract.")],
    at: Annotated[str | None, typer.Option(
        "--at", help="Its last day (default: its end, or today if earlier).")] = None,
    moved_out: Annotated[bool, typer.Option(
        "--moved-out", help="The customer moved out (can be added later).")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """End a contract without renewal; asks whether the customer moved out.

    Example: crmcli contract end 3 --at 2026-12-31 --moved-out
    """
    from crmcli.services import contracts

    app_state = state(ctx)
    session = app_state.session()
    contract, question = contracts.end(session, contract_id, _day(at, session.now, "--at"),
                                       moved_out=moved_out)
    _show(app_state, contract, contracts.COLUMNS, fmt,
          (_("Ended contract #{id} ({customer}) on {day}, moved out, recorded {at}.")
           if contract["moved_out"] else
           _("Ended contract #{id} ({customer}) on {day}, recorded {at}.")).format(
              id=contract_id, customer=contract["customer"], day=contract["ended_on"],
              at=short_local(session.now)))
    if question:
        app_state.env.err(question)


@contract_app.command("list")
@handle_errors
def contract_list(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    expiring: Annotated[str | None, typer.Option(
        "--expiring", help="Only contracts ending within this span and not renewed (60d).")]
    = None,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List contracts by end date, with whether each is running, renewed, ended or expired.

    Example: crmcli contract list --expiring 60d
    """
    from crmcli.commands.due import last_day
    from crmcli.services import contracts

    app_state = state(ctx)
    session = app_state.session()
    by = last_day(expiring, session.now, 36600) if expiring else None
    rows = contracts.iter_contracts(session, customer, by, limit)
    render(app_state.env, rows, contracts.COLUMNS, fmt, bom=bom, empty=_("No contracts match."))


# --- invoices ---------------------------------------------------------------------------------

@invoice_app.command("issue")
@handle_errors
def invoice_issue(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Customer id or exact name.")] = None,
    amount: Annotated[str | None, typer.Argument(
        help="Amount in the site's currency, exactly (1234.56).")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date (2026-12-15).")] = None,
    contract: Annotated[int | None, typer.Option("--contract", min=1, max=MAX_ID,
                                                 help="The contract it bills.")] = None,
    for_text: Annotated[str | None, typer.Option("--for", help="What it is for.")] = None,
    at: AtOpt = None,
    from_contracts: Annotated[bool, typer.Option(
        "--from-contracts", help="Issue every running contract's invoice for --month "
        "(idempotent).")] = False,
    month: Annotated[str | None, typer.Option(
        "--month", help="With --from-contracts: YYYY-MM, this or last.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Issue an invoice (開發票), or each contract's invoice for a month by its billing.

    Example: crmcli invoice issue 王小明 8500 --due 2026-12-05 --for "2026-12 rent"
    """
    from crmcli.dates import parse_month
    from crmcli.errors import BadInput
    from crmcli.services import billing

    app_state = state(ctx)
    session = app_state.session()
    if from_contracts:
        if customer or amount or due or contract or for_text or at:
            raise BadInput(_("--from-contracts takes only --month."))
        year, mon = parse_month(month or "this", session.now)
        issued, existing = billing.issue_from_contracts(session, year, mon)
        if fmt in (Format.json, Format.jsonl, Format.csv, Format.tsv):
            render(app_state.env, issued, billing.INVOICE_COLUMNS, fmt)
            return
        app_state.env.out(ngettext(
            "Issued {count} invoice for {month} from contracts ({existing} already issued), "
            "recorded {at}.",
            "Issued {count} invoices for {month} from contracts ({existing} already issued), "
            "recorded {at}.", len(issued)).format(
                count=len(issued), month=f"{year:04d}-{mon:02d}", existing=existing,
                at=short_local(session.now)))
        for invoice in issued:
            app_state.env.out("  " + _("#{id} {customer} {amount} {currency} due {due}").format(
                id=invoice["id"], customer=invoice["customer"], amount=invoice["amount"],
                currency=invoice["currency"], due=invoice["due_on"]))
        return
    if customer is None or amount is None or due is None:
        raise BadInput(_("Give CUSTOMER AMOUNT --due DATE (or --from-contracts "
                         "--month M)."))
    if month is not None:
        raise BadInput(_("--month goes with --from-contracts."))
    due_day = _day(due, session.now, "--due")
    assert due_day is not None
    invoice = billing.issue(session, customer, amount, due_day, contract_id=contract,
                            for_text=for_text, at=moment(at, session.now))
    _show(app_state, invoice, billing.INVOICE_COLUMNS, fmt,
          _("Issued invoice #{id} to {customer}: {amount} {currency} due {due}, at "
            "{at}.").format(id=invoice["id"], customer=invoice["customer"],
                            amount=invoice["amount"], currency=invoice["currency"],
                            due=invoice["due_on"], at=short_local(invoice["issued_at"])))


@invoice_app.command("list")
@handle_errors
def invoice_list(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    unpaid: Annotated[bool, typer.Option("--unpaid", help="Only invoices not fully paid.")]
    = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only unpaid past their due date.")]
    = False,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List invoices by due date, with what is paid and outstanding.

    Example: crmcli invoice list --overdue --format csv
    """
    from crmcli.services import billing

    app_state = state(ctx)
    rows = billing.iter_invoices(app_state.session(), customer, unpaid=unpaid, overdue=overdue,
                                 limit=limit)
    columns = billing.INVOICE_TABLE_COLUMNS if fmt is Format.table else billing.INVOICE_COLUMNS
    render(app_state.env, rows, columns, fmt, bom=bom, empty=_("No invoices match."),
           alert_key="overdue")


# --- payments ---------------------------------------------------------------------------------

@payment_app.command("record")
@handle_errors
def payment_record(
    ctx: typer.Context,
    customer: CustomerArg,
    amount: Annotated[str, typer.Argument(help="Amount received, exactly (1234.56).")],
    invoice: Annotated[int | None, typer.Option("--invoice", min=1, max=MAX_ID,
                                                help="The invoice it pays first.")] = None,
    at: AtOpt = None,
    method: Annotated[str | None, typer.Option(
        "--method", help="transfer, cash, cheque, card, wechat, alipay or other.")] = None,
    note: NoteOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a payment received; part payments are fine, and what no invoice needs is credit.

    Example: crmcli payment record 王小明 4250.50 --invoice 7 --method transfer --at 10:30
    """
    from crmcli import money
    from crmcli.services import billing

    app_state = state(ctx)
    session = app_state.session()
    payment, credit = billing.record_payment(session, customer, amount, invoice_id=invoice,
                                             at=moment(at, session.now), method=method, note=note,
                                             by=by)
    values = {"id": payment["id"], "customer": payment["customer"],
              "amount": payment["amount"], "currency": payment["currency"],
              "at": short_local(payment["paid_at"])}
    if credit:
        text = _("Recorded payment #{id} from {customer}: {amount} {currency} at {at}; "
                 "{credit} {currency} credit.").format(
            credit=money.format_amount(credit, payment["currency"]), **values)
    else:
        text = _("Recorded payment #{id} from {customer}: {amount} {currency} at "
                 "{at}.").format(**values)
    _show(app_state, payment, billing.PAYMENT_COLUMNS, fmt, text)


@payment_app.command("refuse")
@handle_errors
def payment_refuse(
    ctx: typer.Context,
    payment_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The payment.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (退票, 拒付…).")],
    at: AtOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a refused payment or bounced cheque (拒付): it no longer pays anything, and an
    emergency report to the department head is due at once.

    Example: crmcli payment refuse 12 --reason "支票退票" --at 09:15
    """
    from crmcli.services import billing

    app_state = state(ctx)
    session = app_state.session()
    payment = billing.refuse(session, payment_id, reason, moment(at, session.now))
    head = session.policies.current.department_head
    assert payment["refused_at"] is not None
    _show(app_state, payment, billing.PAYMENT_COLUMNS, fmt,
          _("Refused payment #{id} from {customer} at {at}. Report it to {head} now (緊急報告), "
            "then: {command}").format(id=payment_id, customer=payment["customer"],
                                      at=short_local(payment["refused_at"]), head=head,
                                      command=f"crmcli payment report {payment_id}"))


@payment_app.command("report")
@handle_errors
def payment_report(
    ctx: typer.Context,
    payment_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The refused payment.")],
    to: Annotated[str | None, typer.Option("--to", help="Whom it was reported to (default: "
                                           "the department head).")] = None,
    at: AtOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record that a refused payment was reported to the department head.

    Example: crmcli payment report 12 --at 09:20
    """
    from crmcli.services import billing

    app_state = state(ctx)
    session = app_state.session()
    payment = billing.report_refusal(session, payment_id, moment(at, session.now), to)
    assert payment["reported_at"] is not None
    _show(app_state, payment, billing.PAYMENT_COLUMNS, fmt,
          _("Reported the refusal of payment #{id} to {head} at {at}.").format(
              id=payment_id, head=payment["reported_to"], at=short_local(payment["reported_at"])))


@payment_app.command("list")
@handle_errors
def payment_list(
    ctx: typer.Context,
    customer: CustomerOpt = None,
    refused: Annotated[bool, typer.Option("--refused", help="Only refused payments.")] = False,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM, this or last.")]
    = None,
    limit: LimitOpt = None,
    fmt: ListFormatOpt = Format.table,
    bom: BomOpt = None,
    output: OutputOpt = None,
) -> None:
    """List payments received, oldest first, with how much of each is applied to invoices.

    Example: crmcli payment list --month last --format csv
    """
    from crmcli.dates import parse_month
    from crmcli.services import billing

    app_state = state(ctx)
    session = app_state.session()
    rows = billing.iter_payments(session, customer, refused=refused,
                                 month=parse_month(month, session.now) if month else None,
                                 limit=limit)
    render(app_state.env, rows, billing.PAYMENT_COLUMNS, fmt, bom=bom,
           empty=_("No payments match."))
