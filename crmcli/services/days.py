"""The day's record (每日下班前記錄, seed 000) and the end-of-day screen (`today`).

Before leaving, each person records how far the day's plan was done: one record per person
and local day; a second one amends it (a new row that supersedes the one before, which stays
in the history). `today` shows what was entered today and by whom, what is still due today,
what comes due tomorrow, and who made entries today without a day record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from crmcli.dates import from_db, local_midnight, local_today, month_bounds, to_db, to_local
from crmcli.db import transaction
from crmcli.errors import BadInput
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session, entry

COLUMNS = [
    Column("id", justify="right"), Column("day"), Column("person"),
    Column("plan_done_pct", "plan done %", justify="right"), Column("note"),
    Column("recorded_at", "recorded"), Column("amended", justify="right"),
    Column("supersedes", in_table=False),
]
ENTRY_COLUMNS = [
    Column("at"), Column("by"), Column("what"), Column("ref"), Column("customer"),
    Column("text"),
]
TODAY_COLUMNS = [  # csv/jsonl of `today`: one rectangular table, a section a row
    Column("section"), Column("at"), Column("by"), Column("what"), Column("ref"),
    Column("customer_id"), Column("customer"), Column("text"), Column("overdue"),
]
_SELECT = (
    "SELECT d.id, d.day, d.person, d.plan_done_pct, d.note, d.recorded_at, d.supersedes, "
    "(SELECT count(*) FROM day_records e WHERE e.day = d.day AND e.person = d.person "
    "AND e.id < d.id) FROM day_records d WHERE d.id = (SELECT max(x.id) FROM day_records x "
    "WHERE x.day = d.day AND x.person = d.person)"
)


def _record(row: Any) -> dict[str, Any]:
    record_id, day, person, pct, note, recorded, supersedes, amended = row
    return {"id": record_id, "day": date.fromisoformat(day), "person": person,
            "plan_done_pct": pct, "note": note, "recorded_at": from_db(recorded),
            "amended": amended, "supersedes": supersedes}


def close_day(session: Session, note: str | None, plan_done: int | None, by: str | None,
              day: date | None = None) -> dict[str, Any]:
    """Record (or amend) the person's day record for today (one transaction)."""
    text = entry.text(note, "--note", required=_("say how the day went."))
    if plan_done is not None and not 0 <= plan_done <= 100:
        raise BadInput(_("--plan-done: {plan_done} is not a percentage from 0 to 100.").format(
            plan_done=plan_done))
    person = entry.actor(session, by)
    today = local_today(session.now)
    which = day or today
    if which > today:
        raise BadInput(_("--day {which} is in the future.").format(
            which=which.isoformat()))
    with transaction(session.conn):
        before = session.conn.execute(
            "SELECT max(id) FROM day_records WHERE day = ? AND person = ?",
            (which.isoformat(), person)).fetchone()[0]
        cursor = session.conn.execute(
            "INSERT INTO day_records (person, day, plan_done_pct, note, supersedes, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            (person, which.isoformat(), plan_done, text, before, to_db(session.now)))
        row = session.conn.execute(_SELECT + " AND d.id = ?",
                                   (int(cursor.lastrowid or 0),)).fetchone()
        return _record(row)


def iter_days(session: Session, month: tuple[int, int] | None, person: str | None
              ) -> Iterator[dict[str, Any]]:
    """The day records in force (the latest of each person and day), by day."""
    sql, params = _SELECT, []
    if month:
        first = date(*month, 1)
        last = to_local(month_bounds(*month)[1]).date()
        sql += " AND d.day >= ? AND d.day < ?"
        params += [first.isoformat(), max(last, first + timedelta(days=1)).isoformat()]
    if person:
        sql += " AND d.person = ?"
        params.append(person)
    for row in session.conn.execute(sql + " ORDER BY d.day, d.person", params):
        yield _record(row)


_ENTRIES = """
    SELECT e.recorded_at, e.by, 'complaint ' || e.action, '#' || p.id, c.name, p.summary
    FROM complaint_events e INDEXED BY complaint_events_recorded
    JOIN complaints p ON p.id = e.complaint_id
    JOIN customers c ON c.id = p.customer_id
    WHERE e.recorded_at >= :start AND e.recorded_at < :end AND e.automatic = 0
    UNION ALL
    SELECT v.done_at, v.by, 'visit (' || v.kind || ', ' || v.method || ')', '#' || v.id,
        c.name, v.note
    FROM visits v INDEXED BY visits_done_covering JOIN customers c ON c.id = v.customer_id
    WHERE v.done_at >= :start AND v.done_at < :end
    UNION ALL
    SELECT s.created_at, s.by, s.type, '#' || s.id, c.name, s.description
    FROM services s JOIN customers c ON c.id = s.customer_id
    WHERE s.created_at >= :start AND s.created_at < :end
    UNION ALL
    SELECT e.recorded_at, e.by, 'request ' || e.action, '#' || r.id,
        coalesce(c.name, r.caller), coalesce(e.note, r.text)
    FROM request_events e INDEXED BY request_events_recorded JOIN requests r
        ON r.id = e.request_id LEFT JOIN customers c ON c.id = r.customer_id
    WHERE e.recorded_at >= :start AND e.recorded_at < :end
    UNION ALL
    SELECT m.created_at, m.by, 'meeting', '#' || m.id, NULL, m.title FROM meetings m
    WHERE m.created_at >= :start AND m.created_at < :end
    UNION ALL
    SELECT n.created_at, n.by, 'notice (' || n.kind || ')', '#' || n.id, n.audience, n.title
    FROM notices n WHERE n.created_at >= :start AND n.created_at < :end
    UNION ALL
    SELECT d.recorded_at, d.recorded_by, 'notice signed', '#' || d.notice_id, c.name,
        'signed by ' || d.signed_by
    FROM notice_deliveries d INDEXED BY notice_deliveries_recorded
    JOIN customers c ON c.id = d.customer_id
    WHERE d.recorded_at >= :start AND d.recorded_at < :end
"""


def entered(session: Session, day: date, by: str | None = None) -> list[dict[str, Any]]:
    """What was entered on a local day, oldest first."""
    bounds = {"start": to_db(local_midnight(day)),
              "end": to_db(local_midnight(day + timedelta(days=1)))}
    rows = [{"at": from_db(at), "by": who, "what": what, "ref": ref, "customer": name,
             "text": text}
            for at, who, what, ref, name, text in session.conn.execute(_ENTRIES, bounds)]
    if by is not None:
        rows = [row for row in rows if (row["by"] or "").casefold() == by.casefold()]
    return sorted(rows, key=lambda row: (row["at"], row["what"], row["ref"]))


def today(session: Session, by: str | None) -> dict[str, list[dict[str, Any]]]:
    """The end-of-day screen: entered today, due today, due tomorrow, day records missing."""
    from crmcli.services import agenda

    day = local_today(session.now)
    done = entered(session, day, by)
    items = agenda.due_rows(agenda.due_items(session, day + timedelta(days=1), None, by),
                            session.now)
    end_of_today = local_midnight(day + timedelta(days=1))
    due_today = [row for row in items if _due_moment(row["due"]) < end_of_today]
    due_tomorrow = [row for row in items if _due_moment(row["due"]) >= end_of_today]
    people = sorted({row["by"] for row in done if row["by"] and row["by"] != "system"})
    recorded = {person for (person,) in session.conn.execute(
        "SELECT person FROM day_records WHERE day = ?", (day.isoformat(),))}
    missing = [{"person": person, "day": day,
                "entries": sum(1 for row in done if row["by"] == person)}
               for person in people if person not in recorded]
    return {"entered": done, "due_today": due_today, "due_tomorrow": due_tomorrow,
            "no_day_record": missing}


def _due_moment(due: Any) -> Any:
    from crmcli import cadence

    return cadence.deadline(due) if type(due) is date else due


def today_rows(screen: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The screen as one rectangular table (csv, tsv, jsonl)."""
    rows: list[dict[str, Any]] = []
    for row in screen["entered"]:
        rows.append({"section": "entered", **row, "customer_id": None, "overdue": None})
    for section in ("due_today", "due_tomorrow"):
        for item in screen[section]:
            ref = (f"complaint #{item['complaint_id']}" if item["complaint_id"]
                   else f"visit #{item['visit_id']}" if item["visit_id"] else None)
            rows.append({"section": section, "at": item["due"], "by": item["owner"],
                         "what": item["kind"], "ref": ref, "customer_id": item["customer_id"],
                         "customer": item["customer"], "text": item["reason"],
                         "overdue": item["overdue"]})
    for miss in screen["no_day_record"]:
        rows.append({"section": "no_day_record", "at": miss["day"], "by": miss["person"],
                     "what": "day record", "ref": None, "customer_id": None, "customer": None,
                     "text": f"{miss['entries']} entries today, no day record "
                             "(crmcli day close)", "overdue": None})
    return rows
