"""Deadlines missed in a month, with what became of each by its end (``report monthly``, the
printed analysis)."""

from __future__ import annotations

from typing import Any

from crmcli import outcomes
from crmcli.dates import from_db
from crmcli.services import Session

MISSED_SHOWN = 40  # on a screen: the missed deadlines listed (the report says how many more)

MISSED_WHERE = ("d.breached = 1 AND d.due >= :start AND d.due < :end AND d.due < :past")
_OUTCOME = (  # what became of a missed deadline by the period's end
    "CASE WHEN d.met_at < :upto THEN 'met late' "
    "WHEN d.name = 'resolve' AND d.cancelled_at = d.due THEN 'became major' "
    "WHEN d.cancelled_at < :upto THEN 'ended unmet' ELSE 'still owed' END"
)


def breached(session: Session, bounds: dict[str, str], limit: int | None
              ) -> tuple[list[dict[str, Any]], int]:
    """Deadlines missed in the period, by due time, with what became of each by its end; and
    how many there were. With ``limit``, those still owed come first, then the latest."""
    total = session.conn.execute(
        f"SELECT count(*) FROM complaint_timers d WHERE {MISSED_WHERE}", bounds).fetchone()[0]
    order = ""
    if limit is not None:
        order = "ORDER BY outcome != 'still owed', d.due DESC, d.complaint_id DESC LIMIT :limit"
    rows = session.conn.execute(  # the deadlines first, then their complaints
        "SELECT m.complaint_id, c.name, m.name, m.due, m.met_at, m.outcome, "
        f"{outcomes.MAJOR}, {outcomes.STATUS}, m.seq FROM (SELECT complaint_id, name, due, seq, "
        f"CASE WHEN d.met_at < :upto THEN d.met_at END AS met_at, {_OUTCOME} AS outcome "
        f"FROM complaint_timers d WHERE {MISSED_WHERE} {order}) m "
        "JOIN complaint_outcomes o ON o.complaint_id = m.complaint_id "
        "JOIN complaints p ON p.id = m.complaint_id JOIN customers c ON c.id = p.customer_id",
        {**bounds, "limit": limit},
    ).fetchall()
    rows.sort(key=lambda row: (row[3], row[0], row[8]))
    return [{"complaint_id": cid, "customer": customer, "timer": name, "due": from_db(due),
             "met_at": from_db(met_at) if met_at else None, "outcome": outcome,
             "severity": "major" if major else "minor", "status": status}
            for cid, customer, name, due, met_at, outcome, major, status, _ in rows], total
