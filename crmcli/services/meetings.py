"""Tenant meetings (租戶大會, seed 000): one every quarter, with who attended and what was
suggested.

Seed 000 asks for a meeting each quarter, face-to-face communication with at least 90 % of the
tenants a year, and a reply to every suggestion (100 %). Suggestions are requests
(``request open … --meeting ID``), so each is owed a reply like any other. Attending is a real
contact (it resets the contact cadence). A quarter is the local calendar quarter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crmcli.dates import from_db, local_midnight, to_db, to_local
from crmcli.db import transaction
from crmcli.errors import BadInput, NotFound
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.render import Column
from crmcli.services import Session, contacts, entry

KINDS = ("quarterly", "special")
MAX_ATTENDEES = 100_000

COLUMNS = [
    Column("id", justify="right"), Column("title"), Column("kind"), Column("held_at"),
    Column("by"), Column("attended", justify="right"), Column("suggestions", justify="right"),
    Column("suggestions_replied", justify="right"), Column("note"), Column("voided_at"),
    Column("void_reason"),
]
TABLE_COLUMNS = [  # fits 80 columns; the data formats carry the rest
    Column("id", justify="right"), Column("held_at", "held"), Column("kind", words=True),
    Column("title"),
    Column("attended", "att.", justify="right"), Column("suggestions", "sugg.",
                                                        justify="right"),
    Column("suggestions_replied", "repl.", justify="right"), Column("status", words=True),
]
ATTENDEE_COLUMNS = [Column("customer_id"), Column("customer")]

_SELECT = (
    "SELECT m.id, m.title, m.kind, m.held_at, m.by, m.note, m.voided_at, m.void_reason, "
    "(SELECT count(*) FROM meeting_attendees a WHERE a.meeting_id = m.id), "
    "(SELECT count(*) FROM requests r WHERE r.meeting_id = m.id AND r.voided_at IS NULL), "
    "(SELECT count(*) FROM requests r WHERE r.meeting_id = m.id AND r.voided_at IS NULL "
    "AND r.replied_at IS NOT NULL) FROM meetings m"
)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_days(year: int, quarter: int) -> tuple[date, date]:
    """The first and last local day of a quarter (pure)."""
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def meeting_due(year: int, quarter: int, warning_days: int) -> tuple[date, date]:
    """A quarter's meeting is on the agenda from the first of its last ``warning_days`` days
    and due on its last day (pure)."""
    _, last = quarter_days(year, quarter)
    return date.fromordinal(last.toordinal() - warning_days + 1), last


def _record(row: Any) -> dict[str, Any]:
    (meeting_id, title, kind, held, by, note, voided, reason, attended, suggestions,
     replied) = row
    return {
        "id": meeting_id, "title": title, "kind": kind, "held_at": from_db(held), "by": by,
        "attended": attended, "suggestions": suggestions, "suggestions_replied": replied,
        "note": note, "voided_at": from_db(voided) if voided else None,
        "void_reason": reason, "status": "void" if voided else "held",
    }


def get(session: Session, meeting_id: int) -> dict[str, Any]:
    row = session.conn.execute(_SELECT + " WHERE m.id = ?", (meeting_id,)).fetchone()
    if row is None:
        raise NotFound(_("No meeting #{meeting_id}; `crmcli meeting list` shows them.").format(
            meeting_id=meeting_id))
    return _record(row)


def attendees(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    return [{"customer_id": cid, "customer": name} for cid, name in session.conn.execute(
        "SELECT c.id, c.name FROM meeting_attendees a JOIN customers c ON c.id = a.customer_id "
        "WHERE a.meeting_id = ? ORDER BY c.id", (meeting_id,))]


def read_attendees(path: Path) -> list[str]:
    """One customer (id or name) a line; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(_("--attended-file: cannot read {path} ({exc}).").format(
            path=path, exc=exc)) from None
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def log_meeting(session: Session, title: str, *, at: datetime, kind: str,
                attended: list[str], note: str | None, by: str | None) -> dict[str, Any]:
    """Record a meeting held and who attended (one transaction)."""
    from crmcli.services.customers import find as find_customer

    name = clean_text(title, "title")
    if not name:
        raise BadInput(_("title: name the meeting."))
    if kind not in KINDS:
        raise BadInput(_("--kind: {kind!r} is not one of {choices}.").format(
            kind=kind, choices=', '.join(KINDS)))
    if len(attended) > MAX_ATTENDEES:
        raise BadInput(_("--attended: at most {MAX_ATTENDEES:,} customers.").format(
            MAX_ATTENDEES=MAX_ATTENDEES))
    when = entry.moment(session, at)
    who = entry.actor(session, by)
    remark = entry.text(note, "--note")
    with transaction(session.conn):
        ids = sorted({find_customer(session, ref)["id"] for ref in attended})
        cursor = session.conn.execute(
            "INSERT INTO meetings (title, kind, held_at, by, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (name, kind, to_db(when), who, remark,
                                          to_db(session.now)))
        meeting_id = int(cursor.lastrowid or 0)
        session.conn.executemany(
            "INSERT INTO meeting_attendees (meeting_id, customer_id) VALUES (?, ?)",
            [(meeting_id, cid) for cid in ids])
        contacts.refresh(session, ids)
        return get(session, meeting_id)


def void(session: Session, meeting_id: int, reason: str | None) -> dict[str, Any]:
    with transaction(session.conn):
        entry.void(session, "meetings", meeting_id, reason)
        contacts.refresh(session, [a["customer_id"] for a in attendees(session, meeting_id)])
        return get(session, meeting_id)


@dataclass
class Filters:
    year: int | None = None
    customer: str | None = None


def iter_meetings(session: Session, filters: Filters) -> Iterator[dict[str, Any]]:
    from crmcli.services.customers import find as find_customer

    where: list[str] = []
    params: list[Any] = []
    if filters.year is not None:
        where.append("m.held_at >= ? AND m.held_at < ?")
        params += [to_db(local_midnight(date(filters.year, 1, 1))),
                   to_db(local_midnight(date(filters.year + 1, 1, 1)))]
    if filters.customer:
        where.append("m.id IN (SELECT meeting_id FROM meeting_attendees WHERE customer_id = ?)")
        params.append(find_customer(session, filters.customer)["id"])
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY m.held_at"
    for row in session.conn.execute(sql, params):
        yield _record(row)


def held_in(session: Session, first: date, last: date) -> int:
    """Meetings (not voided) held between two local days, both included."""
    return int(session.conn.execute(
        "SELECT count(*) FROM meetings WHERE held_at >= ? AND held_at < ? AND voided_at IS NULL",
        (to_db(local_midnight(first)), to_db(local_midnight(date.fromordinal(
            last.toordinal() + 1))))).fetchone()[0])


YEAR_FIGURES = (
    "year", "meetings_held", "quarters_with_meeting", "quarters_without_meeting",
    "customers_active", "customers_met", "face_to_face_pct", "face_to_face_target_pct",
    "suggestions", "suggestions_replied", "suggestion_reply_rate_pct",
    "suggestions_replied_on_time_pct",
)


def year_report(session: Session, year: int) -> dict[str, Any]:
    """`report meetings`: the year's meetings, face-to-face share and suggestions replied.

    Active customers are those entered before the year ended (or now, for the year running)
    and not moved out by then; met are those of them at a meeting (not voided) in the year.
    """
    from crmcli.services.reports import pct
    from crmcli.services.requests import REPLY_STATE_SQL

    start = local_midnight(date(year, 1, 1))
    end = min(local_midnight(date(year + 1, 1, 1)), session.now)
    from crmcli.outcomes import Moment

    moment = Moment.of(end)
    bounds = {"start": to_db(start), "end": to_db(end), "upto": moment.upto,
              "past": moment.past}
    held = session.conn.execute(
        "SELECT held_at FROM meetings WHERE held_at >= :start AND held_at < :end "
        "AND voided_at IS NULL", bounds).fetchall()
    quarters = {quarter_of(to_local(from_db(at)).date())[1] for (at,) in held}
    today = to_local(end).date()
    began = session.conn.execute("SELECT min(created_at) FROM customers").fetchone()[0]
    first_day = to_local(from_db(began)).date() if began else today
    elapsed = [q for q in range(1, 5)  # quarters over, since the site has been on file
               if first_day <= quarter_days(year, q)[1] < today]
    active, met = session.conn.execute(
        "SELECT count(*), total(c.id IN (SELECT a.customer_id FROM meeting_attendees a "
        "JOIN meetings m ON m.id = a.meeting_id WHERE m.held_at >= :start AND m.held_at < :end "
        "AND m.voided_at IS NULL)) FROM customers c WHERE c.created_at < :end "
        "AND (c.moved_out_at IS NULL OR c.moved_out_at >= :end)", bounds).fetchone()
    suggestions, replied, met_on_time = session.conn.execute(
        f"SELECT count(*), total(s IN ('met', 'late')), total(s = 'met') FROM (SELECT "
        f"{REPLY_STATE_SQL} AS s FROM requests r JOIN meetings m ON m.id = r.meeting_id "
        "WHERE m.held_at >= :start AND m.held_at < :end AND m.voided_at IS NULL "
        "AND r.voided_at IS NULL)", bounds).fetchone()
    policy = session.policies.at(end)
    return {
        "year": year,
        "meetings_held": len(held),
        "quarters_with_meeting": len(quarters),
        "quarters_without_meeting": [f"{year}-Q{q}" for q in elapsed if q not in quarters],
        "customers_active": active,
        "customers_met": int(met),
        "face_to_face_pct": pct(int(met), active),
        "face_to_face_target_pct": policy.meeting_attendance_target_pct,
        "suggestions": suggestions,
        "suggestions_replied": int(replied),
        "suggestion_reply_rate_pct": pct(int(replied), suggestions),
        "suggestions_replied_on_time_pct": pct(int(met_on_time), suggestions),
    }


def for_customer(session: Session, customer_id: int) -> list[dict[str, Any]]:
    return list(iter_meetings(session, Filters(customer=str(customer_id))))


def month_count(session: Session, start: str, end: str, upto: str) -> int:
    return int(session.conn.execute(
        "SELECT count(*) FROM meetings WHERE held_at >= ? AND held_at < ? AND held_at < ? "
        "AND (voided_at IS NULL OR voided_at >= ?)", (start, end, upto, upto)).fetchone()[0])
