"""The department's handling plan still owed (seed 004: 1小時內…制定處理措施): kind ``plan``
(``crmcli.services.plans``)."""

from __future__ import annotations

from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services import plans

    found = plans.items(ctx.session, ctx.last_day)
    if ctx.customer_id is not None:
        return [item for item in found if item.customer_id == ctx.customer_id]
    return list(found)


SOURCE = Source("plans", {
    "plan": "the department complained about makes its handling plan (處理方法) within "
            "plan_minutes (60) of being assigned; owed by the complaint's owner, who chases "
            "the department named in the reason",
}, items)
