"""The quarter's tenant meeting (租戶大會, seed 000): a quarter with none held is on the agenda
in its last ``meeting_warning_days`` days (14), due on its last day; the area manager's."""

from __future__ import annotations

from datetime import date

from crmcli.dates import local_midnight, local_today, to_db
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def _quarters(first: date, last: date) -> list[tuple[int, int]]:
    from crmcli.services.meetings import quarter_of

    found = []
    year, quarter = quarter_of(first)
    while (year, quarter) <= quarter_of(last):
        found.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return found


def items(ctx: AgendaContext) -> list[DueItem]:
    from crmcli.services.meetings import held_in, meeting_due, quarter_days

    if ctx.customer_id is not None:
        return []
    today = local_today(ctx.now)
    year, quarter = _quarters(today, today)[0]
    previous = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    site_began = ctx.session.conn.execute(
        "SELECT min(created_at) FROM customers").fetchone()[0]
    if site_began is None:
        return []
    found = []
    for y, q in [previous, *_quarters(today, ctx.last_day)]:
        first, last = quarter_days(y, q)
        show_from, due = meeting_due(y, q, ctx.policy.meeting_warning_days)
        if show_from > ctx.last_day or site_began >= to_db(local_midnight(first)):
            continue  # not yet in view, or the site was not on file when it began
        if (y, q) == previous and today > date.fromordinal(
                last.toordinal() + ctx.policy.meeting_warning_days):
            continue  # a quarter missed stays on the agenda for as long as it was warned of
        if held_in(ctx.session, first, last) == 0:
            found.append(DueItem(None, None, "meeting", due,
                                 _("no tenant meeting (租戶大會) held in {quarter}").format(
                                     quarter=f"{y}-Q{q}"), ctx.policy.area_manager))
    return found


SOURCE = Source("meetings", {
    "meeting": "a quarter with no tenant meeting (租戶大會), from its last 14 days "
               "(meeting_warning_days); owed by the area manager",
}, items)
