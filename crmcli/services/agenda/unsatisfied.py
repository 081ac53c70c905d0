"""Follow-ups rated 1-2 or marked unresolved (不合格…上報, seed 004): owed by the area manager
the day they were logged (the rule and its SQL are ``crmcli.services.followups``)."""

from __future__ import annotations

from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services import followups

    found = followups.items(ctx.session, ctx.last_day)
    if ctx.customer_id is not None:
        found = [item for item in found if item.customer_id == ctx.customer_id]
    return found


SOURCE = Source("unsatisfied", {
    "unsatisfied": "a follow-up rated 1-2 or marked unresolved, to be reported upward, "
                   "referred or reopened; owed by the area manager the day it was logged "
                   "(seed 004)",
}, items)
