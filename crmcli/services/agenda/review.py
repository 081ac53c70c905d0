"""Credit-grade reviews (顧客情報報告書, seed 003): a customer whose grade is reviewed this
month (A: Mar/Sep, B: Jan/Apr/Jul/Oct, C: monthly; policy) and has no review in it, due on
the month's last day (``crmcli.credit``)."""

from __future__ import annotations

from crmcli import credit
from crmcli.services.agenda.context import Context
from crmcli.services.visits import DueItem

KINDS = ("review",)


def items(ctx: Context) -> list[DueItem]:
    from crmcli.services.reviews import owed

    found = []
    year, month = ctx.today.year, ctx.today.month
    owner = ctx.policy.area_manager
    while (year, month) <= (ctx.last_day.year, ctx.last_day.month):
        end = credit.month_end(year, month)
        if end <= ctx.last_day:
            found += [DueItem(cid, name, "review", end,
                              f"credit review (顧客情報報告書), grade {grade}, "
                              f"{year:04d}-{month:02d}", owner)
                      for cid, name, grade in owed(ctx.session, year, month)]
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
