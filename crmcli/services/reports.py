"""The monthly complaint analysis (投訴分析報告, seed 004) and the quarterly evaluation (seed 001).

Figures are computed from the recorded history replayed up to the end of the period (or now, for
a period still running), so re-running a past month gives the same figures — except where an
event was entered late (recorded after the period ended), which the report counts as such.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from crmcli.dates import from_db, month_bounds, to_db
from crmcli.policy import Policy
from crmcli.services import Session
from crmcli.services.complaints import Complaint, load_matching

SPEC_FIELDS = (
    "month", "complaints_opened", "complaints_closed", "complaints_escalated",
    "complaints_major", "complaints_minor", "response_on_time_pct", "resolved_on_time_pct",
    "median_resolution_hours", "followups_due", "followups_done", "followup_rate_pct",
    "avg_satisfaction",
)
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
    previous: dict[str, Any] = field(default_factory=dict)


def _in(moment: datetime | None, period: Period) -> bool:
    return moment is not None and period.start <= moment < period.end and moment <= period.as_of


def _complaints(session: Session, period: Period) -> list[Complaint]:
    """Complaints opened before the period ended and touched in it (opened, or any event)."""
    start, end = to_db(period.start), to_db(period.end)
    # One index each: opened in the period, still unclosed, or any event in the period.
    return load_matching(
        session,
        "p.id IN (SELECT id FROM complaints WHERE opened_at >= ? AND opened_at < ? "
        "UNION SELECT id FROM complaints WHERE status != 'closed' AND opened_at < ? "
        "UNION SELECT complaint_id FROM complaint_events WHERE at >= ? AND at < ?)",
        [start, end, end, start, end], period.as_of,
    )


def _escalations(complaint: Complaint, period: Period) -> list[datetime]:
    manual = [e.at for e in complaint.events if e.action == "escalated" and not e.automatic]
    automatic = [a.at for a in complaint.effective.automatic if a.action == "escalated"]
    return [moment for moment in manual + automatic if _in(moment, period)]


def monthly(session: Session, year: int, month: int, *, with_previous: bool = True) -> Monthly:
    period = month_period(year, month, session.now)
    complaints = _complaints(session, period)
    opened = [c for c in complaints if _in(c.effective.opened_at, period)]
    closed = [c for c in complaints if c.effective.closed_at and _in(c.effective.closed_at, period)]
    escalations = {c.id: _escalations(c, period) for c in complaints}
    escalated = [c for c in complaints if escalations[c.id]]

    responses = [c.effective.current("response") for c in opened]
    decided = [t for t in responses if t is not None and t.state != "pending"]
    on_time = [t for t in decided if t.state == "met"]
    resolved_ok = [c for c in closed if not any(t.name == "resolve" and t.breached
                                                for t in c.effective.timers)]
    hours = sorted((c.effective.closed_at - c.effective.opened_at).total_seconds() / 3600
                   for c in closed if c.effective.closed_at)

    visits = _followups(session, period)
    figures: dict[str, Any] = {
        "month": period.label,
        "complete": period.complete,
        "complaints_opened": len(opened),
        "complaints_closed": len(closed),
        "complaints_escalated": len(escalated),
        "complaints_major": sum(c.effective.severity == "major" for c in opened),
        "complaints_minor": sum(c.effective.severity == "minor" for c in opened),
        "complaints_repeat": sum(c.row["repeat_of"] is not None for c in opened),
        "complaints_open_at_end": sum(c.effective.status != "closed" for c in complaints),
        "escalations": sum(len(moments) for moments in escalations.values()),
        "response_on_time_pct": pct(len(on_time), len(decided)),
        "resolved_on_time_pct": pct(len(resolved_ok), len(closed)),
        "median_resolution_hours": round(statistics.median(hours), 1) if hours else None,
        "p90_resolution_hours": round(_percentile(hours, 90), 1) if hours else None,
        **visits,
        "late_entries": _late_entries(session, period),
    }
    report = Monthly(figures)
    if not with_previous:  # the previous month is only compared, figure by figure
        return report
    report.breakdowns = _breakdowns(opened, escalations)
    report.weekly = _weekly(opened, period)
    report.breached = _breached(complaints, period)
    if with_previous:
        py, pm = previous_month(year, month)
        report.previous = monthly(session, py, pm, with_previous=False).figures
    return report


def _percentile(values: list[float], p: int) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-p * len(values) // 100))
    return values[rank - 1]


def _followups(session: Session, period: Period) -> dict[str, Any]:
    start, end, as_of = to_db(period.start), to_db(period.end), to_db(period.as_of)
    marks = ",".join("?" * len(FOLLOWUP_KINDS))
    due, done, done_on_time = session.conn.execute(
        "SELECT count(*), "
        "coalesce(sum(done_at IS NOT NULL AND done_at <= ?), 0), "
        "coalesce(sum(done_at IS NOT NULL AND done_at <= due_at), 0) "
        f"FROM visits WHERE kind IN ({marks}) AND due_at >= ? AND due_at < ? AND due_at <= ? "
        "AND (cancelled_at IS NULL OR cancelled_at > due_at)",
        (as_of, *FOLLOWUP_KINDS, start, end, as_of),
    ).fetchone()
    visits_done, rated, satisfaction, contacted = session.conn.execute(
        "SELECT count(*), count(satisfaction), avg(satisfaction), count(DISTINCT customer_id) "
        "FROM visits WHERE done_at >= ? AND done_at < ? AND done_at <= ?",
        (start, end, as_of),
    ).fetchone()
    scheduled_due, scheduled_done = session.conn.execute(
        "SELECT count(*), coalesce(sum(done_at IS NOT NULL AND done_at <= ?), 0) FROM visits "
        "WHERE due_at >= ? AND due_at < ? AND due_at <= ? "
        "AND (cancelled_at IS NULL OR cancelled_at > due_at)",
        (as_of, start, end, as_of),
    ).fetchone()
    customers = session.conn.execute(
        "SELECT count(*) FROM customers WHERE created_at < ?", (start,)
    ).fetchone()[0]
    year_ago = to_db(period.end - timedelta(days=session.policies.at(period.as_of)
                                            .annual_visit_days))
    visited = session.conn.execute(
        "SELECT count(DISTINCT customer_id) FROM visits WHERE method = 'in-person' "
        "AND done_at >= ? AND done_at < ? AND done_at <= ?", (year_ago, end, as_of),
    ).fetchone()[0]
    all_customers = session.conn.execute(
        "SELECT count(*) FROM customers WHERE created_at < ?", (end,)
    ).fetchone()[0]
    return {
        "followups_due": due,
        "followups_done": done,
        "followups_done_on_time": done_on_time,
        "followup_rate_pct": pct(done, due),
        "followup_target_pct": 100,
        "avg_satisfaction": round(satisfaction, 2) if satisfaction is not None else None,
        "ratings": rated,
        "visits_done": visits_done,
        "visits_scheduled_due": scheduled_due,
        "visits_scheduled_done": scheduled_done,
        "customers_contacted": contacted,
        "cadence_kept_pct": pct(min(contacted, customers), customers),
        "yearly_visits_done_pct": pct(visited, all_customers),
    }


def _late_entries(session: Session, period: Period) -> int:
    """Events that happened in the period but were entered after it ended."""
    if not period.complete:
        return 0
    return int(session.conn.execute(
        "SELECT count(*) FROM complaint_events WHERE at >= ? AND at < ? AND recorded_at >= ? "
        "AND automatic = 0",
        (to_db(period.start), to_db(period.end), to_db(period.end)),
    ).fetchone()[0])


def _key(complaint: Complaint, by: str) -> str:
    if by == "severity":
        return complaint.effective.severity
    if by == "customer":
        return f"#{complaint.row['customer_id']} {complaint.row['customer']}"
    return complaint.row[by] or "(none)"


def _breakdowns(opened: list[Complaint], escalations: dict[int, list[datetime]]
                ) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for by in BREAKDOWNS:
        groups: dict[str, list[Complaint]] = defaultdict(list)
        for complaint in opened:
            groups[_key(complaint, by)].append(complaint)
        rows: list[dict[str, Any]] = []
        for key, members in groups.items():
            closed = [c for c in members if c.effective.status == "closed"]
            rows.append({
                by: key,
                "opened": len(members),
                "major": sum(c.effective.severity == "major" for c in members),
                "escalated": sum(bool(escalations[c.id]) for c in members),
                "closed": len(closed),
                "breached": sum(bool(c.effective.breached) for c in members),
                "repeat": sum(c.row["repeat_of"] is not None for c in members),
            })
        rows.sort(key=lambda r: (-r["opened"], str(r[by])))
        result[by] = rows
    return result


def _weekly(opened: list[Complaint], period: Period) -> list[dict[str, Any]]:
    """Complaints opened per week of the month (weeks start on Monday, local time)."""
    counts: Counter[date] = Counter()
    first = period.start.astimezone().date()
    last = (period.end - timedelta(microseconds=1)).astimezone().date()
    for complaint in opened:
        day = complaint.effective.opened_at.astimezone().date()
        counts[day - timedelta(days=day.weekday())] += 1
    monday = first - timedelta(days=first.weekday())
    rows = []
    while monday <= last:
        rows.append({"week": max(monday, first).isoformat(), "opened": counts[monday]})
        monday += timedelta(days=7)
    return rows


def _breached(complaints: list[Complaint], period: Period) -> list[dict[str, Any]]:
    rows = []
    for complaint in complaints:
        for timer in complaint.effective.timers:
            if timer.breached and _in(timer.due, period):
                rows.append({"complaint_id": complaint.id, "customer": complaint.row["customer"],
                             "timer": timer.name, "due": timer.due, "met_at": timer.met_at,
                             "outcome": _outcome(timer, complaint),
                             "severity": complaint.effective.severity,
                             "status": complaint.effective.status})
    rows.sort(key=lambda r: r["due"])
    return rows


def _outcome(timer: Any, complaint: Complaint) -> str:
    """What became of a missed deadline, in words: late, became major, ended unmet, still owed."""
    if timer.met_at is not None:
        return "met late"
    if timer.name == "resolve" and timer.cancelled_at == timer.due:
        return "became major"
    if timer.cancelled_at is not None:
        return "ended unmet"
    return "still owed"


# Quarterly relationship evaluation (客戶關係評估, seed 001) ------------------------------

QUARTERLY_COLUMNS = ("customer_id", "customer", "segment", "grade", "complaints",
                     "complaints_major", "complaint_rate_pct", "contacts", "contacts_expected",
                     "cadence_kept_pct", "in_person_visits", "yearly_visit_done", "services",
                     "avg_satisfaction")


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    start, _ = month_bounds(year, 3 * quarter - 2)
    end = month_bounds(year + 1, 1)[0] if quarter == 4 else month_bounds(year, 3 * quarter + 1)[0]
    return start, end


def _span_days(text: str) -> float:
    """A cadence span in days, for counting how many contacts a period expects."""
    number = float("".join(ch for ch in text if ch.isdigit()) or 1)
    if text.endswith("mo"):
        return number * 365.25 / 12
    return number * 7 if text.endswith("w") else number


def expected_contacts(began: date, first: date, last: date, policy: Policy, tags: list[str],
                      segment: str | None) -> int:
    """How many contacts the cadence asked for between two days (inclusive)."""
    if last < first or last < began:
        return 0
    overrides = [policy.cadence_overrides.get(f"cadence.tag.{tag}") for tag in tags]
    overrides.append(policy.cadence_overrides.get(f"cadence.segment.{segment}"))
    override = min((_span_days(o) for o in overrides if o), default=None)
    new_until = began + timedelta(days=policy.new_customer_days)
    total = 0.0
    phases = ((max(first, began), min(last, new_until - timedelta(days=1)), policy.cadence_new),
              (max(first, began, new_until), last, policy.cadence_established))
    for phase_start, phase_end, span in phases:
        if phase_end >= phase_start:
            days = (phase_end - phase_start).days + 1
            total += days / (override or _span_days(span))
    return max(1, round(total))


def quarterly(session: Session, year: int, quarter: int) -> list[dict[str, Any]]:
    start, end = quarter_bounds(year, quarter)
    as_of = min(session.now, end - timedelta(microseconds=1))
    s, e, a = to_db(start), to_db(end), to_db(as_of)
    policy = session.policies.at(as_of)
    complaint_counts = {
        cid: (n, major) for cid, n, major in session.conn.execute(
            "SELECT customer_id, count(*), sum(severity = 'major') FROM complaints "
            "WHERE opened_at >= ? AND opened_at < ? AND opened_at <= ? GROUP BY customer_id",
            (s, e, a))
    }
    contacts = {
        cid: (n, visits, sat) for cid, n, visits, sat in session.conn.execute(
            "SELECT customer_id, count(*), sum(method = 'in-person'), avg(satisfaction) "
            "FROM visits WHERE done_at >= ? AND done_at < ? AND done_at <= ? "
            "GROUP BY customer_id", (s, e, a))
    }
    services = dict(session.conn.execute(
        "SELECT customer_id, count(*) FROM services WHERE done_at >= ? AND done_at < ? "
        "AND done_at <= ? GROUP BY customer_id", (s, e, a)))
    year_ago = to_db(as_of - timedelta(days=policy.annual_visit_days))
    visited = {row[0] for row in session.conn.execute(
        "SELECT DISTINCT customer_id FROM visits WHERE method = 'in-person' AND done_at >= ? "
        "AND done_at <= ?", (year_ago, a))}
    rows = []
    for cid, name, segment, grade, since, created, tags in session.conn.execute(
        "SELECT c.id, c.name, c.segment, c.grade, c.since, c.created_at, "
        "(SELECT group_concat(tag, char(31)) FROM customer_tags t WHERE t.customer_id = c.id) "
        "FROM customers c WHERE c.created_at < ? ORDER BY c.id", (e,)
    ):
        n_complaints, n_major = complaint_counts.get(cid, (0, 0))
        n_contacts, n_in_person, sat = contacts.get(cid, (0, 0, None))
        began = date.fromisoformat(since) if since else from_db(created).astimezone().date()
        expected = expected_contacts(
            began, start.astimezone().date(), as_of.astimezone().date(), policy,
            tags.split("\x1f") if tags else [], segment)
        rows.append({
            "customer_id": cid, "customer": name, "segment": segment, "grade": grade,
            "complaints": n_complaints, "complaints_major": n_major or 0,
            "complaint_rate_pct": pct(n_complaints, n_contacts + services.get(cid, 0)),
            "contacts": n_contacts, "contacts_expected": expected,
            "cadence_kept_pct": min(100.0, pct(n_contacts, expected) or 0.0) if expected
            else None,
            "in_person_visits": n_in_person or 0, "yearly_visit_done": cid in visited,
            "services": services.get(cid, 0),
            "avg_satisfaction": round(sat, 2) if sat is not None else None,
        })
    return rows


def quarterly_summary(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[by] or "(none)"].append(row)
    summary = []
    for key, members in sorted(groups.items()):
        rated = [m["avg_satisfaction"] for m in members if m["avg_satisfaction"] is not None]
        kept = [m["cadence_kept_pct"] for m in members if m["cadence_kept_pct"] is not None]
        summary.append({
            by: key, "customers": len(members),
            "complaints": sum(m["complaints"] for m in members),
            "contacts": sum(m["contacts"] for m in members),
            "cadence_kept_pct": round(statistics.fmean(kept), 1) if kept else None,
            "yearly_visit_done_pct": pct(sum(m["yearly_visit_done"] for m in members),
                                         len(members)),
            "services": sum(m["services"] for m in members),
            "avg_satisfaction": round(statistics.fmean(rated), 2) if rated else None,
        })
    return summary
