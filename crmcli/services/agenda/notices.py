"""Recurring notices (policy ``notice.every.KIND SPAN``, e.g. the monthly fire-safety notice
消防安全檢查通知): one span after the last one of that kind was sent, or from the day the
setting was made if none was; a day obligation, the area manager's."""

from __future__ import annotations

from datetime import date

from crmcli import cadence
from crmcli.dates import from_db, to_local
from crmcli.i18n import _
from crmcli.services.agenda.base import AgendaContext, DueItem, Source


def next_due(last_sent: date | None, set_on: date, every: str) -> date:
    """The day the next notice of a kind is due (pure)."""
    return cadence.add_span(last_sent, every) if last_sent is not None else set_on


def items(ctx: AgendaContext) -> list[DueItem]:
    if ctx.customer_id is not None or not ctx.policy.notice_every:
        return []
    found = []
    for kind, every in sorted(ctx.policy.notice_every.items()):
        last, set_at = ctx.session.conn.execute(
            "SELECT (SELECT max(sent_at) FROM notices WHERE kind = ?1 AND voided_at IS NULL), "
            "(SELECT max(set_at) FROM policy_settings WHERE key = ?2)",
            (kind, f"notice.every.{kind}")).fetchone()
        last_day = to_local(from_db(last)).date() if last else None
        due = next_due(last_day, to_local(from_db(set_at)).date(), every)
        if due <= ctx.last_day:
            what = (_("last sent {day}").format(day=last_day.isoformat()) if last_day
                    else _("none sent yet"))
            found.append(DueItem(None, None, "notice", due,
                                 _("{kind} notice due every {every}; {what}").format(
                                     kind=kind, every=every, what=what),
                                 ctx.policy.area_manager))
    return found


SOURCE = Source("notices", {
    "notice": "a recurring notice (e.g. the monthly fire-safety notice, policy "
              "notice.every.KIND) not sent for its span; owed by the area manager",
}, items)
