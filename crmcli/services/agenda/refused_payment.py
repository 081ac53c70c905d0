"""Refused payments (拒付, seed 003): an emergency report to the department head, due the
moment the refusal was recorded (緊急報告…以最迅速的方法), met by `payment report`."""

from __future__ import annotations

from crmcli import money
from crmcli.dates import from_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source

KINDS = ("refused-payment",)


def items(ctx: AgendaContext) -> list[DueItem]:
    policy = ctx.policy
    text = _("payment #{id} refused ({amount} {currency}: {reason}): emergency report to "
             "{head} (緊急報告)")
    where, params = "", tuple[int, ...]()
    if ctx.customer_id is not None:
        where, params = " AND p.customer_id = ?", (ctx.customer_id,)
    return [
        DueItem(cid, name, "refused-payment", from_db(refused_at),
                text.format(id=pid, amount=money.format_amount(amount, currency),
                            currency=currency, reason=reason, head=policy.department_head),
                policy.department_head, "phone")
        for pid, cid, name, amount, currency, refused_at, reason in ctx.session.conn.execute(
            "SELECT p.id, p.customer_id, c.name, p.amount, p.currency, p.refused_at, "
            "p.refused_reason FROM payments p INDEXED BY payments_unreported "
            "JOIN customers c ON c.id = p.customer_id "
            "WHERE p.refused_at IS NOT NULL AND p.reported_at IS NULL" + where, params)
    ]


SOURCE = Source("refused-payment", {
    "refused-payment": "a refused payment or bounced cheque (拒付): an emergency report to the "
                       "department head, due at once; owed by the department head's reporter "
                       "(seed 003), met by `payment report`",
}, items)
