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
from crmcli.services import Session


def items(session: Session, last_day: date, customer_id: int | None = None) -> list[Any]:
    """Plans still owed (overdue, or due by the end of ``last_day``, local); with
    ``customer_id``, that customer's alone (read from their complaints, not the site's)."""
    from crmcli import cadence
    from crmcli.services.agenda.base import DueItem

    moment = outcomes.Moment.of(session.now)
    params = {"upto": moment.upto, "past": moment.past,
              "horizon": to_db(cadence.deadline(last_day)), "customer": customer_id}
    if customer_id is None:
        rows = session.conn.execute(
            "SELECT p.id, p.customer_id, c.name, p.summary, p.department, "
            "coalesce(nullif(p.owner, ''), p.received_by), t.due "
            "FROM complaints p JOIN customers c ON c.id = p.customer_id "
            "JOIN complaint_timers t ON t.complaint_id = p.id "
            "WHERE p.attention_at <= :horizon AND t.name = 'plan' AND t.due <= :horizon "
            f"AND {outcomes.RUNNING}", params).fetchall()
    else:
        rows = session.conn.execute(
            "SELECT p.id, p.customer_id, c.name, p.summary, p.department, "
            "coalesce(nullif(p.owner, ''), p.received_by), t.due "
            "FROM complaints p INDEXED BY complaints_customer "
            "CROSS JOIN complaint_timers t JOIN customers c ON c.id = p.customer_id "
            "WHERE p.customer_id = :customer AND t.complaint_id = p.id "
            "AND p.attention_at <= :horizon AND t.name = 'plan' AND +t.due <= :horizon "
            f"AND {outcomes.RUNNING} ORDER BY t.due, p.id, t.seq", params).fetchall()
    found = []
    for complaint_id, customer_id, customer, summary, department, handler, due in rows:
        short = summary if len(summary) <= 24 else summary[:23] + "…"
        found.append(DueItem(customer_id, customer, "plan", from_db(due),
                             f"complaint #{complaint_id}: handling plan (處理方法) of "
                             f"{department} — {short}", handler, complaint_id=complaint_id))
    return found
