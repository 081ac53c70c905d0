"""Referral letters (《工作聯繫函》) not yet answered by their due time: kind ``referral``
(``crmcli.services.referrals``)."""

from __future__ import annotations

from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services import referrals

    return referrals.items(ctx.session, ctx.last_day, ctx.customer_id, ctx.limit)


SOURCE = Source("referrals", {
    "referral": "a referral letter (工作聯繫函) to another department, due at the time it "
                "names until answered (complaint refer-done); owed by whoever sent it",
}, items)
