"""The month's figures that are never stored (``month_store.LIVE``), for ``report monthly``:
the handover visits follow today's skip rules, the archive its own record."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from crmcli.services import Session, archive

if TYPE_CHECKING:
    from crmcli.services.reports import Period


def live(session: Session, period: Period, bounds: dict[str, str]) -> dict[str, Any]:
    """The figures never stored (``month_store.LIVE``): the handover visits follow today's
    skip rules, the archive its own record."""
    return {**handover_visits(session, period, bounds), **archive.archived(session, period.label)}



def handover_visits(session: Session, period: Period, bounds: dict[str, str]
                     ) -> dict[str, int]:
    """Residence visits and house inspections (seed 002) due in the month, and how many of
    them were made by its end. Customers the skip rules leave out now are not counted."""
    from crmcli import handover
    from crmcli.services.agenda import handover as source

    policy = session.policies.at(period.as_of)
    year, month = (int(part) for part in period.label.split("-"))
    first = date(year, month, 1)
    last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    longest = max(policy.residence_visit_months, policy.inspection_visit_months)
    shortest = min(policy.residence_visit_months, policy.inspection_visit_months)
    owed: list[tuple[int, int, int, int]] = []  # (customer, renovating, occupied, done)
    for cid, handed, made, renovating, occupied in session.conn.execute(
            "SELECT c.id, c.handover, (SELECT group_concat(v.kind, char(31)) FROM visits v "
            "INDEXED BY visits_handover WHERE v.customer_id = c.id "
            "AND v.kind IN ('residence', 'inspection', 'invitation') AND v.done_at IS NOT NULL "
            "AND v.kind != 'invitation' AND v.done_at < :upto AND v.done_at < :end), "
            "c.renovating, c.occupied "
            "FROM customers c INDEXED BY customers_handover "
            "WHERE c.handover >= :from AND c.handover <= :to "
            "AND (c.moved_out_at IS NULL OR c.moved_out_at >= :end)",
            {**bounds, "from": (first - timedelta(days=31 * longest + 1)).isoformat(),
             "to": (last - timedelta(days=28 * shortest - 1)).isoformat()}):
        kinds = set(made.split("\x1f")) if made else set()
        for visit in handover.plan(date.fromisoformat(handed), policy):
            if first <= visit.due <= last:
                owed.append((cid, renovating, occupied, int(visit.kind in kinds)))
    majors = source.had_major(session.conn, sorted({row[0] for row in owed}), session.now)
    due = done = 0
    for cid, renovating, occupied, made_it in owed:
        if not handover.skip_reasons(had_major=cid in majors, renovating=bool(renovating),
                                     occupied=bool(occupied)):
            due += 1
            done += made_it
    return {"handover_visits_due": due, "handover_visits_done": done}
