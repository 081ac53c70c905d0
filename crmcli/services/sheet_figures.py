"""The month's figures of the handling sheet (seed 004 《客戶投訴處置表》), for `report monthly`.

As the rest of the report, each is the history as it stood at the period's end (``:upto`` /
``:past`` bounds, see ``crmcli.outcomes``), voided entries left out.

- ``complaints_valid`` / ``complaints_unreasonable``: the complaints opened in the period, as
  last judged by its end (a complaint is valid unless judged unreasonable; seed 004: 將本月所有
  有效投訴的處理情況…上報).
- ``plans_due`` / ``plans_on_time_pct``: handling plans that fell due in the period and were
  decided by its end (met, or missed), and the share met within ``plan_minutes``.
- ``closed_without_written_notice``: closings in the period (still closed at its end) with no
  written notice of the result since the stretch they close began (處理結果要以書面形式告知客戶).
"""

from __future__ import annotations

from typing import Any

from crmcli.outcomes import not_voided
from crmcli.services import Session

FIGURES = ("complaints_valid", "complaints_unreasonable", "plans_due", "plans_on_time_pct",
           "closed_without_written_notice")


def unreasonable(complaint_id: str) -> str:
    """SQL: the complaint ``complaint_id`` (a column) was last judged unreasonable by
    ``:upto``. Such a complaint is left out of the figures that measure service failures."""
    return ("ifnull((SELECT j.new_value = 'unreasonable' FROM complaint_events j "
            f"WHERE j.complaint_id = {complaint_id} AND j.action = 'validity' "
            f"AND j.at < :upto AND {not_voided('j')} ORDER BY j.at DESC, j.id DESC LIMIT 1), 0)")


def month(session: Session, bounds: dict[str, str], parts: dict[str, Any]) -> dict[str, Any]:
    """The figures, and in ``parts`` what the head office sums over sites (``plans_met``)."""
    from crmcli.services.reports import pct

    opened, judged = session.conn.execute(
        f"SELECT count(*), total({unreasonable('o.complaint_id')}) FROM complaint_outcomes o "
        "WHERE o.opened_at >= :start AND o.opened_at < :end AND o.opened_at < :upto",
        bounds).fetchone()
    met, decided = session.conn.execute(
        "SELECT total(NOT (breached AND due < :past)), count(*) FROM complaint_timers "
        "INDEXED BY complaint_timers_plan WHERE name = 'plan' AND due >= :start "
        "AND due < :end AND (due < :past OR met_at < :upto) "
        "AND NOT (met_at IS NULL AND cancelled_at IS NOT NULL AND cancelled_at <= due)",
        bounds).fetchone()
    (unwritten,) = session.conn.execute(
        "SELECT count(*) FROM complaint_cycles y WHERE y.closed_at >= :start "
        "AND y.closed_at < :end AND y.closed_at < :upto "
        "AND (y.reopened_at IS NULL OR y.reopened_at >= :upto) AND NOT EXISTS (SELECT 1 "
        "FROM complaint_events w WHERE w.complaint_id = y.complaint_id "
        "AND w.action = 'notified' AND w.new_value = 'written' AND w.at >= y.opened_at "
        f"AND w.at < :upto AND {not_voided('w')})", bounds).fetchone()
    parts["plans_met"] = int(met)
    return {"complaints_valid": int(opened) - int(judged),
            "complaints_unreasonable": int(judged), "plans_due": int(decided),
            "plans_on_time_pct": pct(int(met), int(decided)),
            "closed_without_written_notice": int(unwritten)}
