"""The monthly complaint analysis (投訴分析報告, seed 004) and the quarterly evaluation (seed 001).

Figures are the recorded history as it stood at the end of the period (or now, for a period
still running), read from the stored outcomes (``crmcli.outcomes``) with SQL, so re-running a
past month gives the same figures — except where an event was entered late (recorded after the
period ended), which the report counts as such.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from crmcli import outcomes
from crmcli.dates import local_day, local_midnight, month_bounds, to_db
from crmcli.services import Session, live_figures, month_store, sheet_figures
from crmcli.services.missed import MISSED_SHOWN, MISSED_WHERE, breached

SPEC_FIELDS = (
    "month", "complaints_opened", "complaints_closed", "complaints_escalated",
    "complaints_major", "complaints_minor", "response_on_time_pct", "resolved_on_time_pct",
    "median_resolution_hours", "followups_due", "followups_done", "followup_rate_pct",
    "avg_satisfaction",
)
FIGURES = (  # the order of csv rows and json keys
    "month", "complete", "complaints_opened", "complaints_closed", "complaints_escalated",
    "complaints_major", "complaints_minor", "complaints_repeat", "complaints_open_at_end",
    "escalations", "response_on_time_pct", "resolved_on_time_pct", "median_resolution_hours",
    "p90_resolution_hours", "followups_due", "followups_done", "followups_done_on_time",
    "followup_rate_pct", "followup_target_pct", "followups_unsatisfied", "avg_satisfaction",
    "ratings", "visits_done",
    "visits_scheduled_due", "visits_scheduled_done", "customers_contacted", "cadence_kept_pct",
    "yearly_visits_done_pct", "handover_visits_due", "handover_visits_done", "late_entries",
    "requests_received", "requests_replied_on_time_pct", "request_reply_rate_pct",
    "notices_sent", "meetings_held", "archived_complaints", "archived_to",
    *sheet_figures.FIGURES,
)
# The monthly figures' names, by their json key: the terminal report, its workbook and the
# printed analysis say the same words (through the catalogue).
FIGURE_LABELS: dict[str, str] = {
    "complaints_opened": "Complaints opened",
    "complaints_closed": "Complaints closed",
    "complaints_escalated": "Complaints escalated",
    "complaints_major": "of those opened: major",
    "complaints_minor": "of those opened: minor",
    "complaints_repeat": "of those opened: repeats",
    "complaints_valid": "of those opened: valid 有效投訴",
    "complaints_unreasonable": "of those opened: unreasonable 無理投訴",
    "complaints_open_at_end": "Still open at the end",
    "escalations": "Escalations (events)",
    "response_on_time_pct": "Feedback within deadline %",
    "resolved_on_time_pct": "Resolved within deadline % (valid complaints)",
    "plans_due": "Handling plans due",
    "plans_on_time_pct": "Handling plans within deadline %",
    "closed_without_written_notice": "Closed without a written notice",
    "median_resolution_hours": "Median resolution (hours)",
    "p90_resolution_hours": "90th percentile resolution (hours)",
    "followups_due": "Follow-ups due",
    "followups_done": "Follow-ups done",
    "followups_done_on_time": "Follow-ups done on time",
    "followup_rate_pct": "Follow-up rate % (target 100)",
    "followup_target_pct": "Follow-up target %",
    "followups_unsatisfied": "Follow-ups rated 1–2 or unresolved",
    "avg_satisfaction": "Average satisfaction (1–5)",
    "ratings": "Ratings given",
    "visits_done": "Visits and calls made",
    "visits_scheduled_due": "Scheduled visits due",
    "visits_scheduled_done": "Scheduled visits done",
    "customers_contacted": "Customers contacted",
    "cadence_kept_pct": "Customers contacted this month %",
    "yearly_visits_done_pct": "Visited in person within a year %",
    "late_entries": "Entries made after the month ended",
    "requests_received": "Requests received (訴求)",
    "requests_replied_on_time_pct": "Requests replied within deadline %",
    "request_reply_rate_pct": "Request reply rate % (target 100)",
    "notices_sent": "Notices sent",
    "meetings_held": "Tenant meetings held",
    "handover_visits_due": "Handover visits due (residence, inspection)",
    "handover_visits_done": "Handover visits done",
    "archived_complaints": "Complaints archived (left out above)",
    "archived_to": "Archived to",
}
BREAKDOWNS = ("category", "severity", "channel", "owner", "customer")
FOLLOWUP_KINDS = ("complaint", "repair", "paid")


def pct(part: int, whole: int) -> float | None:
    """A percentage to one decimal, or None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Period:
    label: str
    start: datetime
    end: datetime
    as_of: datetime
    complete: bool


def month_period(year: int, month: int, now: datetime) -> Period:
    start, end = month_bounds(year, month)
    return Period(f"{year:04d}-{month:02d}", start, end, min(now, end - timedelta(microseconds=1)),
                  now >= end)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass
class Monthly:
    figures: dict[str, Any]
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    weekly: list[dict[str, Any]] = field(default_factory=list)
    breached: list[dict[str, Any]] = field(default_factory=list)
    missed: int = 0  # deadlines missed in the month (``breached`` may list fewer)
    previous: dict[str, Any] = field(default_factory=dict)
    # What the percentages, the median and the average are made of (``PARTS``), so figures
    # over several sites come from the complaints themselves (services/hq.py).
    parts: dict[str, Any] = field(default_factory=dict)


PARTS = ("responses_met", "responses_decided", "resolved_on_time", "resolution_seconds",
         "satisfaction_total", "customers_before", "customers_kept", "customers_all",
         "customers_visited", "plans_met")


def _bounds(period: Period) -> dict[str, str]:
    moment = outcomes.Moment.of(period.as_of)
    return {"start": to_db(period.start), "end": to_db(period.end), "upto": moment.upto,
            "past": moment.past}


# Each complaint opened in the period, as it stood at the period's end (see crmcli.outcomes).
_STATE = (f"o.repeat, {outcomes.MAJOR} AS major, {outcomes.ESCALATED} AS escalated, "
          f"{outcomes.CLOSED} AS closed, {outcomes.BREACHED} AS breached, "
          f"{outcomes.RESPONSE} AS response")
_IN_PERIOD = "o.opened_at >= :start AND o.opened_at < :end AND o.opened_at < :upto"
_OPENED = f"SELECT {_STATE} FROM complaint_outcomes o WHERE {_IN_PERIOD}"
_OPENED_DETAIL = f"""
    SELECT p.customer_id, c.name AS customer, p.category, p.channel, p.owner, o.opened_at,
        {_STATE}
    FROM complaint_outcomes o JOIN complaints p ON p.id = o.complaint_id
    JOIN customers c ON c.id = p.customer_id WHERE {_IN_PERIOD}
"""
_COUNTS = ("count(*), total(major), total(escalated), total(closed), total(breached), "
           "total(repeat)")
_GROUPS = {
    "category": "category",
    "severity": "CASE WHEN major THEN 'major' ELSE 'minor' END",
    "channel": "channel",
    "owner": "owner",
    "customer": "'#' || customer_id || ' ' || customer",
}


def _opened(session: Session, period: Period, bounds: dict[str, str], detail: bool,
            screen: bool = False) -> dict[str, dict[Any, tuple[int, ...]]]:
    """Counts over the complaints opened in the period: in total, and (``detail``) by each
    breakdown and by week — on a ``screen``, only customers with more than one complaint.
    One statement: SQLite works out each complaint's state once."""
    parts = [f"SELECT 'total', NULL, {_COUNTS} FROM month"]
    params: dict[str, str] = dict(bounds)
    if detail:
        for by, key in _GROUPS.items():
            group = "GROUP BY 2"
            if by == "customer":  # by id (the label follows from it)
                group = "GROUP BY customer_id" + (" HAVING count(*) > 1" if screen else "")
            parts.append(f"SELECT '{by}', {key}, {_COUNTS} FROM month {group}")
        mondays = _mondays(period)[1:]  # week i ends where week i + 1 starts
        weeks = " ".join(f"WHEN opened_at < :week{i} THEN {i}" for i in range(len(mondays)))
        params.update({f"week{i}": to_db(local_midnight(day)) for i, day in enumerate(mondays)})
        parts.append(f"SELECT 'week', CASE {weeks} ELSE {len(mondays)} END, {_COUNTS} "
                     "FROM month GROUP BY 2")
    found: dict[str, dict[Any, tuple[int, ...]]] = defaultdict(dict)
    for group, key, *counts in session.conn.execute(
        f"WITH month AS MATERIALIZED ({_OPENED_DETAIL if detail else _OPENED}) "
        + " UNION ALL ".join(parts), params
    ):
        found[group][key] = tuple(map(int, counts))
    return found


def _mondays(period: Period) -> list[date]:
    """The first day of the month, then each Monday in it (local calendar)."""
    first = local_day(period.start)
    last = local_day(period.end - timedelta(microseconds=1))
    monday = first - timedelta(days=first.weekday()) + timedelta(days=7)
    days = [first]
    while monday <= last:
        days.append(monday)
        monday += timedelta(days=7)
    return days


def _closed(session: Session, bounds: dict[str, str]) -> tuple[int, int, list[int]]:
    """Complaints closed in the period (and still closed at its end): how many; how many of
    them met every resolution deadline, and the seconds each took from opening to closing,
    sorted. The first count is of every closing; the others measure service failures and
    leave out the complaints judged unreasonable (無理投訴)."""
    seconds: list[int] = []
    on_time = closed = 0
    for taken, missed, unreasonable in session.conn.execute(
        "SELECT seconds_to_close, ifnull(resolve_missed_at < :past, 0), "
        f"{sheet_figures.unreasonable('y.complaint_id')} FROM complaint_cycles y "
        "WHERE closed_at >= :start AND closed_at < :end AND closed_at < :upto "
        "AND (reopened_at IS NULL OR reopened_at >= :upto)", bounds,
    ):
        closed += 1
        if unreasonable:
            continue
        seconds.append(taken)
        on_time += not missed
    seconds.sort()
    return closed, on_time, seconds


def resolution_hours(seconds: list[int]) -> tuple[float | None, float | None]:
    """The median and 90th percentile (nearest rank) of sorted resolution times, in hours."""
    if not seconds:
        return None, None
    hours = [value / 3600 for value in seconds]
    return statistics.median(hours), hours[max(1, -(-90 * len(hours) // 100)) - 1]


def _feedback(session: Session, bounds: dict[str, str]) -> tuple[int, int]:
    """Feedback deadlines that fell due in the period and were decided by its end (met, or
    missed), and how many were met on time: each complaint counts once, in the month its
    deadline fell due, wherever its opening was."""
    met, decided = session.conn.execute(
        "SELECT total(NOT (response_missed AND response_due < :past)), count(*) "
        "FROM complaint_outcomes INDEXED BY complaint_outcomes_response "
        "WHERE response_due >= :start AND response_due < :end "
        "AND (response_due < :past OR response_met_at < :upto)", bounds).fetchone()
    return int(met), int(decided)


def _unsatisfied(session: Session, bounds: dict[str, str]) -> int:
    """Follow-ups done in the period that were unsatisfactory (rated 1–2, or unresolved)."""
    return int(session.conn.execute(
        "SELECT count(*) FROM visits WHERE done_at >= :start AND done_at < :end "
        "AND done_at < :upto AND voided_at IS NULL AND (complaint_id IS NOT NULL "
        "OR service_id IS NOT NULL) AND (satisfaction <= 2 OR quality <= 2 OR attitude <= 2 "
        "OR unresolved = 1)", bounds).fetchone()[0])


def _escalations(session: Session, bounds: dict[str, str]) -> tuple[int, int]:
    """Complaints escalated in the period, and escalations (by people and by the rules)."""
    complaints, events = session.conn.execute(
        "SELECT count(DISTINCT complaint_id), count(*) FROM ("
        "SELECT complaint_id FROM complaint_events e WHERE at >= :start AND at < :end "
        f"AND at < :upto AND action = 'escalated' AND automatic = 0 AND {outcomes.not_voided('e')} "
        "UNION ALL "
        "SELECT complaint_id FROM complaint_timers WHERE breached = 1 AND fires = 'escalated' "
        "AND due >= :start AND due < :end AND due < :past)", bounds,
    ).fetchone()
    return int(complaints), int(events)


def _open_at_end(session: Session, bounds: dict[str, str]) -> int:
    return int(session.conn.execute(
        "SELECT (SELECT count(*) FROM complaint_cycles WHERE closed_at IS NULL "
        "AND opened_at < :upto) + (SELECT count(*) FROM complaint_cycles "
        "WHERE closed_at >= :upto AND opened_at < :upto)", bounds,
    ).fetchone()[0])


def monthly(session: Session, year: int, month: int, *, detail: bool = True,
            compare: bool = True, screen: bool = False) -> Monthly:
    """The month's figures; with ``detail`` its breakdowns, weeks and missed deadlines, with
    ``compare`` the previous month's SPEC figures (the formats that show them ask for them).
    For a ``screen``, the customers with more than one complaint and ``MISSED_SHOWN`` missed
    deadlines (still owed first, then the latest) are enough. A completed month's figures are
    stored once and read back until an entry dated into it changes (``month_store``)."""
    period = month_period(year, month, session.now)
    bounds = _bounds(period)
    stored = month_store.load(session, period)
    if stored is None:
        mark = month_store.seen(session)
        opened = _opened(session, period, bounds, detail=detail, screen=screen)
        figures, parts = _stored(session, period, bounds, opened)
        month_store.save(session, period, figures, parts, mark)
    else:
        figures, parts = stored
        opened = _opened(session, period, bounds, detail=True, screen=screen) if detail else {}
    figures = {**figures, **live_figures.live(session, period, bounds)}
    report = Monthly({key: figures[key] for key in FIGURES}, parts=parts)
    if detail:
        opened["category"] = _fold_categories(session, opened["category"])
        report.breakdowns = {by: _breakdown(by, opened[by]) for by in BREAKDOWNS}
        weeks = opened["week"]
        report.weekly = [{"week": day.isoformat(), "opened": weeks.get(i, (0,))[0]}
                         for i, day in enumerate(_mondays(period))]
        report.breached, report.missed = breached(
            session, bounds, MISSED_SHOWN if screen else None)
    if compare:  # the previous month is only compared, figure by figure
        py, pm = previous_month(year, month)
        before = month_period(py, pm, session.now)
        kept = month_store.load(session, before)
        if kept is not None:
            report.previous = {key: value for key, value in kept[0].items()
                               if key in COMPARABLE}
        else:
            before_bounds = _bounds(before)
            report.previous = _figures(session, before, before_bounds,
                                       _opened(session, before, before_bounds, detail=False))
    return report


def stored_figures(session: Session, period: Period) -> tuple[dict[str, Any], dict[str, Any]]:
    """The figures of ``period`` that are stored once it is complete, and their parts, worked
    out afresh from the history (what ``crmcli check`` compares the stored ones with)."""
    bounds = _bounds(period)
    opened = _opened(session, period, bounds, detail=False)
    figures, parts = _stored(session, period, bounds, opened)
    # as they read back from storage (a JSON document)
    return json.loads(json.dumps(figures)), json.loads(json.dumps(parts))


def _stored(session: Session, period: Period, bounds: dict[str, str],
            opened: dict[str, dict[Any, tuple[int, ...]]]
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    parts: dict[str, Any] = {}
    return {**_figures(session, period, bounds, opened, parts),
            **_month_extras(session, period, bounds, parts)}, parts


# The figures the month before is compared by (``_figures``).
COMPARABLE = (
    "month", "complete", "complaints_opened", "complaints_closed", "complaints_escalated",
    "complaints_major", "complaints_minor", "complaints_repeat", "escalations",
    "response_on_time_pct", "resolved_on_time_pct", "median_resolution_hours",
    "p90_resolution_hours", "followups_due", "followups_done", "followups_done_on_time",
    "followup_rate_pct", "followup_target_pct", "followups_unsatisfied", "avg_satisfaction",
    "ratings",
)


def _figures(session: Session, period: Period, bounds: dict[str, str],
             opened: dict[str, dict[Any, tuple[int, ...]]],
             parts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The figures of SPEC's monthly report, and a few more as cheap to count."""
    n_opened, n_major, _, _, _, n_repeat = opened["total"][None]
    n_met, n_decided = _feedback(session, bounds)
    n_closed, resolved_ok, seconds = _closed(session, bounds)
    median, p90 = resolution_hours(seconds)
    escalated, escalations = _escalations(session, bounds)
    due, done, done_on_time = session.conn.execute(
        "SELECT count(*), total(done_at IS NOT NULL AND done_at < :upto), "
        "total(done_at IS NOT NULL AND done_at <= due_at) FROM visits "
        f"WHERE kind IN {FOLLOWUP_KINDS} AND due_at >= :start AND due_at < :end "
        "AND due_at < :upto AND (cancelled_at IS NULL OR cancelled_at > due_at) "
        "AND voided_at IS NULL", bounds,
    ).fetchone()
    rated, satisfaction_total = session.conn.execute(
        "SELECT count(satisfaction), total(satisfaction) FROM visits WHERE done_at >= :start "
        "AND done_at < :end AND done_at < :upto AND satisfaction IS NOT NULL "
        "AND voided_at IS NULL", bounds,
    ).fetchone()
    satisfaction = satisfaction_total / rated if rated else None
    if parts is not None:
        parts.update(responses_met=n_met, responses_decided=n_decided,
                     resolved_on_time=resolved_ok, resolution_seconds=seconds,
                     satisfaction_total=int(satisfaction_total))
    return {
        "month": period.label,
        "complete": period.complete,
        "complaints_opened": n_opened,
        "complaints_closed": n_closed,
        "complaints_escalated": escalated,
        "complaints_major": n_major,
        "complaints_minor": n_opened - n_major,
        "complaints_repeat": n_repeat,
        "escalations": escalations,
        "response_on_time_pct": pct(n_met, n_decided),
        "resolved_on_time_pct": pct(resolved_ok, len(seconds)),
        "median_resolution_hours": round(median, 1) if median is not None else None,
        "p90_resolution_hours": round(p90, 1) if p90 is not None else None,
        "followups_due": due,
        "followups_done": int(done),
        "followups_done_on_time": int(done_on_time),
        "followup_rate_pct": pct(int(done), due),
        "followup_target_pct": 100,
        "followups_unsatisfied": _unsatisfied(session, bounds),
        "avg_satisfaction": round(satisfaction, 2) if satisfaction is not None else None,
        "ratings": rated,
    }


def _month_extras(session: Session, period: Period, bounds: dict[str, str],
                  parts: dict[str, Any]) -> dict[str, Any]:
    """Figures the month's report shows but does not compare with the month before."""
    visits_done = session.conn.execute(
        "SELECT count(*) FROM visits WHERE done_at >= :start AND done_at < :end "
        "AND done_at < :upto AND voided_at IS NULL", bounds).fetchone()[0]
    year_ago = to_db(period.end - timedelta(days=session.policies.at(period.as_of)
                                            .annual_visit_days))
    # Rates about current customers leave out those who had moved out by the month's end.
    current = "(c.moved_out_at IS NULL OR c.moved_out_at >= :end)"
    if period.complete:
        contacted = session.conn.execute(  # every real contact (crmcli.services.contacts)
            "SELECT count(DISTINCT x.customer_id) FROM ("
            "SELECT customer_id FROM visits WHERE done_at >= :start AND done_at < :end "
            "AND voided_at IS NULL UNION ALL "
            "SELECT p.customer_id FROM complaint_events e JOIN complaints p "
            "ON p.id = e.complaint_id WHERE e.at >= :start AND e.at < :end "
            f"AND e.action IN ('opened', 'responded') AND e.automatic = 0 "
            f"AND {outcomes.not_voided('e')} UNION ALL "
            "SELECT customer_id FROM services WHERE done_at >= :start AND done_at < :end "
            "AND voided_at IS NULL UNION ALL "
            "SELECT customer_id FROM requests INDEXED BY requests_replied WHERE replied_at >= "
            ":start AND replied_at < :end AND customer_id IS NOT NULL AND voided_at IS NULL "
            "UNION ALL SELECT a.customer_id FROM meetings m JOIN meeting_attendees a "
            "ON a.meeting_id = m.id WHERE m.held_at >= :start AND m.held_at < :end "
            "AND m.voided_at IS NULL) x JOIN customers c ON c.id = x.customer_id "
            f"WHERE {current}", bounds).fetchone()[0]
        visited = session.conn.execute(
            "SELECT count(DISTINCT v.customer_id) FROM visits v JOIN customers c "
            "ON c.id = v.customer_id WHERE v.method = 'in-person' AND v.done_at >= :year_ago "
            f"AND v.done_at < :end AND v.voided_at IS NULL AND {current}",
            {**bounds, "year_ago": year_ago},
        ).fetchone()[0]
    else:  # the month so far: each customer's latest contact and visit say it
        contacted = session.conn.execute(
            "SELECT count(*) FROM customers c WHERE c.last_contact_at >= :start "
            f"AND c.last_contact_at < :upto AND {current}", bounds).fetchone()[0]
        visited = session.conn.execute(
            "SELECT count(*) FROM customers c WHERE c.last_in_person_at >= :year_ago "
            f"AND c.last_in_person_at < :upto AND {current}",
            {**bounds, "year_ago": year_ago}).fetchone()[0]
    scheduled_due, scheduled_done = session.conn.execute(
        "SELECT count(*), total(done_at IS NOT NULL AND done_at < :upto) FROM visits "
        "WHERE due_at >= :start AND due_at < :end AND due_at < :upto "
        "AND (cancelled_at IS NULL OR cancelled_at > due_at) AND voided_at IS NULL", bounds,
    ).fetchone()
    customers, all_customers = session.conn.execute(  # before the month, before its end
        "SELECT total(c.created_at < :start), count(*) FROM customers c "
        f"WHERE c.created_at < :end AND {current}", bounds).fetchone()
    customers, all_customers = int(customers), int(all_customers)
    parts.update(customers_before=customers, customers_kept=min(contacted, customers),
                 customers_all=all_customers, customers_visited=visited)
    return {
        "complaints_open_at_end": _open_at_end(session, bounds),
        "visits_done": visits_done,
        "visits_scheduled_due": scheduled_due,
        "visits_scheduled_done": int(scheduled_done),
        "customers_contacted": contacted,
        "cadence_kept_pct": pct(min(contacted, customers), customers),
        "yearly_visits_done_pct": pct(visited, all_customers),
        "late_entries": _late_entries(session, period),
        **_front_desk(session, bounds, parts),
        **sheet_figures.month(session, bounds, parts),
    }


def _front_desk(session: Session, bounds: dict[str, str], parts: dict[str, Any]
                ) -> dict[str, Any]:
    """Requests, notices and meetings of the month (seed 000, seed 001)."""
    from crmcli.services import meetings, notices, requests

    window = (bounds["start"], bounds["end"], bounds["upto"])
    return {**requests.month_figures(session, *window, bounds["past"], parts),
            "notices_sent": notices.month_count(session, *window),
            "meetings_held": meetings.month_count(session, *window)}


def _late_entries(session: Session, period: Period) -> int:
    """Events that happened in the period but were entered after it ended."""
    if not period.complete:
        return 0
    return int(session.conn.execute(
        "SELECT count(*) FROM complaint_events WHERE at >= ? AND at < ? AND recorded_at >= ? "
        "AND automatic = 0 AND recorded_at > at",
        (to_db(period.start), to_db(period.end), to_db(period.end)),
    ).fetchone()[0])


def _fold_categories(session: Session, groups: dict[Any, tuple[int, ...]]
                     ) -> dict[Any, tuple[int, ...]]:
    """One group per category however it was spelt (空調 = 空调), under its first spelling."""
    from crmcli.textfold import fold

    keys = {key: fold(key) for key in groups if key is not None}
    wanted = sorted(set(keys.values()))
    labels = dict(session.conn.execute(
        f"SELECT key, label FROM complaint_categories WHERE key IN "
        f"({', '.join('?' * len(wanted))})", wanted).fetchall()) if wanted else {}
    merged: dict[Any, tuple[int, ...]] = {}
    for key, counts in groups.items():
        label = labels.get(keys[key], key) if key is not None else None
        before = merged.get(label)
        merged[label] = counts if before is None else tuple(
            a + b for a, b in zip(before, counts, strict=True))
    return merged


def _breakdown(by: str, groups: dict[Any, tuple[int, ...]]) -> list[dict[str, Any]]:
    merged: dict[str, list[int]] = {}
    for key, counts in groups.items():
        row = merged.setdefault(key or "(none)", [0] * len(counts))
        for i, count in enumerate(counts):
            row[i] += count
    names = ("opened", "major", "escalated", "closed", "breached", "repeat")
    rows: list[dict[str, Any]] = [{by: key, **dict(zip(names, counts, strict=False))}
                                  for key, counts in merged.items()]
    rows.sort(key=lambda r: (-r["opened"], str(r[by])))
    return rows


def missed_by_timer(session: Session, year: int, month: int) -> dict[str, int]:
    """How many deadlines of each kind (response, report, resolve, followup) were missed in
    the month: the printed analysis charts them, however many there are."""
    bounds = _bounds(month_period(year, month, session.now))
    return {name: count for name, count in session.conn.execute(
        f"SELECT d.name, count(*) FROM complaint_timers d WHERE {MISSED_WHERE} "
        "GROUP BY d.name", bounds)}
