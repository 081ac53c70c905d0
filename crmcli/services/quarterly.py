"""The quarterly relationship evaluation (客戶關係評估, seed 001): per customer, complaints,
contacts against the cadence, in-person visits, services and satisfaction in a quarter."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from crmcli.dates import from_db, local_day, month_bounds, to_db
from crmcli.policy import Policy
from crmcli.services import Session
from crmcli.services.reports import pct

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
            "AND voided_at IS NULL GROUP BY customer_id", (s, e, a))
    }
    services = dict(session.conn.execute(
        "SELECT customer_id, count(*) FROM services WHERE done_at >= ? AND done_at < ? "
        "AND done_at <= ? AND voided_at IS NULL GROUP BY customer_id", (s, e, a)))
    year_ago = to_db(as_of - timedelta(days=policy.annual_visit_days))
    visited = {row[0] for row in session.conn.execute(
        "SELECT DISTINCT customer_id FROM visits WHERE method = 'in-person' AND done_at >= ? "
        "AND done_at <= ? AND voided_at IS NULL", (year_ago, a))}
    rows = []
    for cid, name, segment, grade, since, created, tags in session.conn.execute(
        "SELECT c.id, c.name, c.segment, c.grade, c.since, c.created_at, "
        "(SELECT group_concat(tag, char(31)) FROM customer_tags t WHERE t.customer_id = c.id) "
        "FROM customers c WHERE c.created_at < ? ORDER BY c.id", (e,)
    ):
        n_complaints, n_major = complaint_counts.get(cid, (0, 0))
        n_contacts, n_in_person, sat = contacts.get(cid, (0, 0, None))
        began = date.fromisoformat(since) if since else local_day(from_db(created))
        expected = expected_contacts(
            began, local_day(start), local_day(as_of), policy,
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
