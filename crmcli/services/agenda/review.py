"""Credit-grade reviews (顧客情報報告書, seed 003): a customer whose grade is reviewed this
month (A: Mar/Sep, B: Jan/Apr/Jul/Oct, C: monthly; policy) and has no review in it, due on
the month's last day (``crmcli.credit``)."""

from __future__ import annotations

from crmcli import credit
from crmcli.dates import local_today
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source

KINDS = ("review",)


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services.reviews import owed

    found: list[DueItem] = []
    today = local_today(ctx.now)
    year, month = today.year, today.month
    owner = ctx.policy.area_manager
    # One customer's next review (within a year), or every review due by the last day.
    months = 12 if ctx.customer_id is not None else (
        (ctx.last_day.year - year) * 12 + ctx.last_day.month - month + 1)
    text = _("credit review (顧客情報報告書), grade {grade}, {month}")
    for _month in range(months):
        end = credit.month_end(year, month)
        if ctx.customer_id is not None or end <= ctx.last_day:
            found += [DueItem(cid, name, "review", end,
                              text.format(grade=grade, month=f"{year:04d}-{month:02d}"),
                              owner)
                      for cid, name, grade in owed(ctx.session, year, month, ctx.customer_id)]
        if ctx.customer_id is not None and found:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


SOURCE = Source("review", {
    "review": "credit-grade review (顧客情報報告書): A in March and September, B in January, "
              "April, July and October, C every month, due at the month's end; owed by the "
              "area manager (seed 003)",
}, items)
