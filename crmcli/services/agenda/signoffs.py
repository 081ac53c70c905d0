"""Deliveries of a notice with sign-off (簽收) still unsigned ``signoff_days`` (3) after it
was sent; owed by whoever sent it."""

from __future__ import annotations

from crmcli.dates import from_db, to_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def items(ctx: AgendaContext) -> list[DueItem]:
    where, params = ("d.customer_id = ?", (ctx.customer_id,)) if ctx.customer_id is not None \
        else ("n.signoff_due <= ?", (to_db(ctx.horizon),))
    found = []
    text = _("sign-off (簽收) of notice #{id} ({kind}): {title}")
    # CROSS JOIN: the few notices with sign-off first, then each one's unsigned deliveries
    for notice_id, kind, title, due, by, customer_id, name in ctx.session.conn.execute(
        "SELECT n.id, n.kind, n.title, n.signoff_due, n.by, c.id, c.name FROM notices n "
        "CROSS JOIN notice_deliveries d INDEXED BY notice_deliveries_unsigned "
        "ON d.notice_id = n.id "
        "AND d.signed_at IS NULL JOIN customers c ON c.id = d.customer_id "
        "WHERE n.sign_off = 1 AND n.voided_at IS NULL AND c.moved_out_at IS NULL AND "
        + where, params,
    ):
        short = title if len(title) <= 24 else title[:23] + "…"
        found.append(DueItem(customer_id, name, "signoff", from_db(due),
                             text.format(id=notice_id, kind=kind, title=short), by))
    return found


SOURCE = Source("signoffs", {
    "signoff": "a delivery of a notice with sign-off (簽收) still unsigned 3 days after it was "
               "sent (signoff_days); owed by whoever sent it",
}, items)
