"""Requests (訴求) still owed a reply: due ``request_reply_hours`` after receipt, owed by
whoever took the request."""

from __future__ import annotations

from typing import Any

from crmcli.dates import from_db, to_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def items(ctx: AgendaContext) -> list[DueItem]:
    params: tuple[Any, ...]
    if ctx.customer_id is not None:  # the customer's requests, in the other index's order
        index, where, params = ("requests_customer", "r.customer_id = ? ORDER BY r.reply_due, "
                                "r.received_by, r.id", (ctx.customer_id,))
    else:
        # in the agenda's order (due time, customer), as the index holds them
        index, where, params = ("requests_unreplied", "r.reply_due <= ? ORDER BY r.reply_due, "
                                "r.customer_id, r.received_by, r.id LIMIT ?",
                                (to_db(ctx.horizon), -1 if ctx.limit is None else ctx.limit))
    found = []
    reply, by_caller = _("reply to request #{id} ({kind}): {text}"), _("{caller} (caller)")
    for request_id, customer_id, name, caller, kind, text, due, taker in ctx.session.conn.execute(
        "SELECT r.id, r.customer_id, c.name, r.caller, r.kind, r.text, r.reply_due, "
        f"r.received_by FROM requests r INDEXED BY {index} "
        "LEFT JOIN customers c ON c.id = r.customer_id "
        "WHERE r.replied_at IS NULL AND r.closed_at IS NULL AND r.converted_at IS NULL "
        f"AND r.voided_at IS NULL AND {where}", params,
    ):
        short = text if len(text) <= 24 else text[:23] + "…"
        found.append(DueItem(customer_id, name or by_caller.format(caller=caller), "reply",
                             from_db(due), reply.format(id=request_id, kind=kind, text=short),
                             taker))
    return found


SOURCE = Source("replies", {
    "reply": "a request or inquiry (訴求) not yet answered, due 24 h after receipt "
             "(request_reply_hours); owed by whoever took it",
}, items)
