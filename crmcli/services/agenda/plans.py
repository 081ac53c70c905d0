"""The department's handling plan still owed (seed 004: 1小時內…制定處理措施): kind ``plan``
(``crmcli.services.plans``)."""

from __future__ import annotations

from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services import plans

    return plans.items(ctx.session, ctx.last_day, ctx.customer_id, ctx.limit)


SOURCE = Source("plans", {
    "plan": "the department complained about makes its handling plan (處理方法) within "
            "plan_minutes (60) of being assigned; owed by the complaint's owner, who chases "
            "the department named in the reason",
}, items)
