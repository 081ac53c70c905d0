"""Unpaid invoices (開發票並收款, seed 004): an invoice not fully paid is due on its due date
and stays on the agenda, overdue, until paid."""

from __future__ import annotations

from datetime import date

from crmcli import money
from crmcli.services.agenda.context import Context
from crmcli.services.visits import DueItem

KINDS = ("invoice",)


def items(ctx: Context) -> list[DueItem]:
    currency = ctx.policy.currency
    owner = ctx.policy.area_manager
    return [
        DueItem(cid, name, "invoice", date.fromisoformat(due_on),
                f"invoice #{iid} unpaid: {money.format_amount(amount - paid, currency)} "
                f"{currency} of {money.format_amount(amount, currency)}"
                + (f" — {for_text}" if for_text else ""), owner)
        for iid, cid, name, due_on, amount, paid, for_text in ctx.session.conn.execute(
            "SELECT i.id, i.customer_id, c.name, i.due_on, i.amount, i.paid, i.for_text "
            "FROM invoices i INDEXED BY invoices_unpaid JOIN customers c ON c.id = i.customer_id "
            "WHERE i.settled_at IS NULL AND i.due_on <= ?", (ctx.last_day.isoformat(),))
    ]
