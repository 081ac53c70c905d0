"""The department's handling plan on the agenda: kind ``plan``.

Seed 004: 被投訴部門接到《客戶投訴處置表》後,1小時內組織人員分析投訴事件,制定處理措施. From the
moment a department is assigned, its plan is due within policy ``plan_minutes`` (a deadline of
the replay, ``crmcli.rules``). The item goes to whoever handles the complaint (its owner, else
who received it), who chases the department; the department is named in the reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli import outcomes
from crmcli.dates import from_db, to_db
from crmcli.i18n import _
from crmcli.services import Session


def items(session: Session, last_day: date, customer_id: int | None = None,
          limit: int | None = None) -> list[Any]:
    """Plans still owed (overdue, or due by the end of ``last_day``, local), by due time,
    customer and complaint (the agenda's order); with ``limit``, the first ``limit``; with
    ``customer_id``, that customer's alone (read from their complaints, not the site's)."""
    from crmcli import cadence
    from crmcli.services.agenda.base import DueItem

    moment = outcomes.Moment.of(session.now)
    params = {"upto": moment.upto, "past": moment.past,
              "horizon": to_db(cadence.deadline(last_day)), "customer": customer_id,
              "limit": -1 if limit is None else limit}
    if customer_id is None:
        # A plan still running stopped (met, cancelled) at or after the moment, or not yet:
        # a short range of the index of plans by that (``past`` is at most ``upto``).
        rows = session.conn.execute(
            "SELECT p.id, p.customer_id, c.name, p.summary, p.department, "
            "coalesce(nullif(p.owner, ''), p.received_by), t.due "
            "FROM complaint_timers t INDEXED BY complaint_timers_open_plans "
            "JOIN complaints p ON p.id = t.complaint_id "
            "JOIN customers c ON c.id = p.customer_id WHERE t.name = 'plan' "
            "AND min(ifnull(t.met_at, '9999'), ifnull(t.cancelled_at, '9999')) >= :past "
            "AND t.due <= :horizon AND p.attention_at <= :horizon "
            f"AND {outcomes.RUNNING} ORDER BY t.due, p.customer_id, p.id, t.seq LIMIT :limit",
            params).fetchall()
    else:
        rows = session.conn.execute(
            "SELECT p.id, p.customer_id, c.name, p.summary, p.department, "
            "coalesce(nullif(p.owner, ''), p.received_by), t.due "
            "FROM complaints p INDEXED BY complaints_customer "
            "CROSS JOIN complaint_timers t JOIN customers c ON c.id = p.customer_id "
            "WHERE p.customer_id = :customer AND t.complaint_id = p.id "
            "AND p.attention_at <= :horizon AND t.name = 'plan' AND +t.due <= :horizon "
            f"AND {outcomes.RUNNING} ORDER BY t.due, p.id, t.seq", params).fetchall()
    reason = _("complaint #{id}: handling plan (處理方法) of {department} — {summary}")
    found = []
    for complaint_id, customer_id, customer, summary, department, handler, due in rows:
        short = summary if len(summary) <= 24 else summary[:23] + "…"
        found.append(DueItem(customer_id, customer, "plan", from_db(due),
                             reason.format(id=complaint_id, department=department,
                                           summary=short), handler, complaint_id=complaint_id))
    return found
