"""Unpaid invoices (開發票並收款, seed 004): an invoice not fully paid is due on its due date
and stays on the agenda, overdue, until paid."""

from __future__ import annotations

from datetime import date

from crmcli import money
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source

KINDS = ("invoice",)
_SELECT = ("SELECT i.id, i.customer_id, c.name, i.due_on, i.amount, i.paid, i.for_text "
           "FROM invoices i {index} JOIN customers c ON c.id = i.customer_id "
           "WHERE i.settled_at IS NULL AND {where}")


def items(ctx: AgendaContext) -> list[DueItem]:
    currency = ctx.policy.currency
    owner = ctx.policy.area_manager
    if ctx.customer_id is not None:
        rows = ctx.session.conn.execute(_SELECT.format(index="", where="i.customer_id = ?"),
                                        (ctx.customer_id,))
    else:  # in the agenda's order (due day, customer), read from an index that holds it
        rows = ctx.session.conn.execute(
            _SELECT.format(index="INDEXED BY invoices_unpaid_owed", where="i.due_on <= ? ")
            + "ORDER BY i.due_on, i.customer_id, i.amount, i.paid, i.id LIMIT ?",
            (ctx.last_day.isoformat(), -1 if ctx.limit is None else ctx.limit))
    unpaid = _positional(_("invoice #{id} unpaid: {left} {currency} of {amount}"), currency)
    unpaid_for = _positional(
        _("invoice #{id} unpaid: {left} {currency} of {amount} — {what}"), currency)
    # A site's invoices share a few hundred amounts and due days: each worked out once.
    amounts: dict[int, str] = {}
    days: dict[str, date] = {}
    found = []
    new = tuple.__new__
    for iid, cid, name, due_on, amount, paid, for_text in rows:
        day = days.get(due_on)
        if day is None:
            day = days[due_on] = date.fromisoformat(due_on)
        left = amounts.get(amount - paid)
        if left is None:
            left = amounts[amount - paid] = money.format_amount(amount - paid, currency)
        whole = amounts.get(amount)
        if whole is None:
            whole = amounts[amount] = money.format_amount(amount, currency)
        reason = (unpaid_for if for_text else unpaid).format(iid, left, whole, for_text)
        found.append(new(DueItem, (cid, name, "invoice", day, reason, owner, None, None, None,
                                   None)))
    return found


def _positional(line: str, currency: str) -> str:
    """A translated reason with the currency filled in and its other fields by position (id,
    left, amount, what): a format string cheaper to fill than one of named fields."""
    marked = line.format(id="\x00", left="\x01", currency=currency, amount="\x02",
                         what="\x03")
    marked = marked.replace("{", "{{").replace("}", "}}")
    for number in range(4):
        marked = marked.replace(chr(number), f"{{{number}}}")
    return marked


SOURCE = Source("invoice", {
    "invoice": "an invoice not fully paid, due on its due date and overdue until paid; owed "
               "by the area manager (seed 004: 開發票並收款)",
}, items)
