"""Unsatisfactory follow-ups (不合格: rated 1–2 or unresolved) not yet dealt with: reported
upward, referred or reopened by the area manager (``crmcli.services.followups``)."""

from __future__ import annotations

from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services import followups

    if ctx.customer_id is not None:
        return []
    return list(followups.items(ctx.session, ctx.last_day))


SOURCE = Source("unsatisfied", {
    "unsatisfied": "a follow-up rated 1-2 or marked unresolved (不合格), due the day it was "
                   "logged until reported upward, referred or reopened; owed by the area "
                   "manager",
}, items)
