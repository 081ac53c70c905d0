"""Retention (保存期限為兩年, seed 004): closed complaints past ``retention_years`` move to an
archive file.

A complaint closed longer ago than the retention period (never a younger one) moves with its
events, stored timers, cycles and outcome and its follow-up visits into an SQLite file of the
same schema (mode 0600; its customers are copied there so the file stands alone). Each batch
is written to the archive in one transaction, read back and compared with the source row for
row, and only then deleted from the site's file in one transaction; a run stopped between the
two is finished by running it again. Nothing else is ever deleted.

Decisions where the seeds are silent: a complaint that a request was converted into, or that
is a repeat of another (or has one), stays with the records that point to it. Each month an
archived complaint was opened or closed in is remembered (``archived_months``), so a report
of that month says it is archived and where.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crmcli.dates import from_db, local_midnight, local_today, to_db, to_local
from crmcli.db import connect, transaction
from crmcli.errors import BadInput, Conflict
from crmcli.i18n import _
from crmcli.services import Session

BATCH = 500
# Each table moved, and how its rows of a batch of complaints are found (``:ids`` a json list).
_MOVED = (
    ("complaint_events", "complaint_id IN (SELECT value FROM json_each(:ids))"),
    ("complaint_timers", "complaint_id IN (SELECT value FROM json_each(:ids))"),
    ("complaint_cycles", "complaint_id IN (SELECT value FROM json_each(:ids))"),
    ("complaint_outcomes", "complaint_id IN (SELECT value FROM json_each(:ids))"),
    ("visits", "complaint_id IN (SELECT value FROM json_each(:ids))"),
)


@dataclass
class Plan:
    cutoff: datetime
    path: Path
    ids: list[int]
    events: int = 0
    visits: int = 0
    months: Counter[str] = field(default_factory=Counter)


def cutoff(session: Session, before: date | None) -> datetime:
    """The moment complaints must have been closed before: the retention period ago, or an
    earlier ``--before``; a later one is refused (records are kept at least that long)."""
    today = local_today(session.now)
    years = session.policies.current.retention_years
    try:
        limit = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - years, day=28)
    if before is not None and before > limit:
        raise BadInput(_("--before {before}: complaints are kept {years} years "
                         "(retention_years); archive only those closed before {limit}.").format(
            before=before.isoformat(), years=years, limit=limit.isoformat()))
    return local_midnight(before or limit)


def plan(session: Session, before: date | None, target: Path) -> Plan:
    moment = cutoff(session, before)
    conn = session.conn
    ids = [row[0] for row in conn.execute(
        "SELECT p.id FROM complaints p WHERE p.status = 'closed' AND p.closed_at < ? "
        "AND p.repeat_of IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM complaints q WHERE q.repeat_of = p.id) "
        "AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.complaint_id = p.id) "
        "ORDER BY p.id", (to_db(moment),))]
    found = Plan(moment, target, ids)
    for start in range(0, len(ids), BATCH):
        batch = _json(ids[start:start + BATCH])
        found.events += conn.execute(
            "SELECT count(*) FROM complaint_events WHERE complaint_id IN (SELECT value FROM "
            "json_each(?))", (batch,)).fetchone()[0]
        found.visits += conn.execute(
            "SELECT count(*) FROM visits WHERE complaint_id IN (SELECT value FROM "
            "json_each(?))", (batch,)).fetchone()[0]
        for opened, closed in conn.execute(
                "SELECT opened_at, closed_at FROM complaints WHERE id IN (SELECT value FROM "
                "json_each(?))", (batch,)):
            for month in {_month(opened), _month(closed)}:
                found.months[month] += 1
    return found


def _month(text: str) -> str:
    return to_local(from_db(text)).strftime("%Y-%m")


def _json(ids: list[int]) -> str:
    import json

    return json.dumps(ids)


def run(session: Session, found: Plan) -> int:
    """Move the planned complaints, batch by batch; returns the number of batches."""
    target = found.path.resolve()
    connect(target, create=True).close()  # the archive's schema, mode 0600 when new
    target.chmod(0o600)
    conn = session.conn
    conn.execute("ATTACH DATABASE ? AS archive", (str(target),))
    try:
        batches = 0
        for start in range(0, len(found.ids), BATCH):
            _move(conn, found.ids[start:start + BATCH])
            batches += 1
        with transaction(conn):
            cursor = conn.execute(
                "INSERT INTO main.archives (archived_at, by, cutoff, path, complaints, events, "
                "visits) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (to_db(session.now), session.user, to_db(found.cutoff), str(target),
                 len(found.ids), found.events, found.visits))
            conn.executemany(
                "INSERT INTO main.archived_months (month, archive_id, complaints) "
                "VALUES (?, ?, ?)",
                [(month, cursor.lastrowid, count) for month, count in
                 sorted(found.months.items())])
        return batches
    finally:
        conn.execute("DETACH DATABASE archive")


def _move(conn: Any, ids: list[int]) -> None:
    batch = {"ids": _json(ids)}
    where = "id IN (SELECT value FROM json_each(:ids))"
    customers = ("id IN (SELECT customer_id FROM main.complaints WHERE "
                 "id IN (SELECT value FROM json_each(:ids)))")
    with transaction(conn):  # the archive's copy, in one transaction
        conn.execute(f"INSERT OR REPLACE INTO archive.customers SELECT * FROM main.customers "
                     f"WHERE {customers}", batch)
        conn.execute(f"INSERT OR REPLACE INTO archive.complaints SELECT * FROM main.complaints "
                     f"WHERE {where}", batch)
        for table, rows in _MOVED:
            conn.execute(f"INSERT OR REPLACE INTO archive.{table} SELECT * FROM main.{table} "
                         f"WHERE {rows}", batch)
    for table, rows in (("complaints", where), *_MOVED):  # verified, row for row
        missing = conn.execute(
            f"SELECT count(*) FROM (SELECT * FROM main.{table} WHERE {rows} EXCEPT "
            f"SELECT * FROM archive.{table} WHERE {rows})", batch).fetchone()[0]
        if missing:
            raise Conflict(_("The archive's copy of {table} differs from the site's for "
                             "complaints #{first}–#{last}; nothing of them was "
                             "deleted.").format(table=table, first=ids[0], last=ids[-1]))
    with transaction(conn):  # then, and only then, out of the site's file
        for table, rows in reversed(_MOVED):
            conn.execute(f"DELETE FROM main.{table} WHERE {rows}", batch)
        conn.execute(f"DELETE FROM main.complaints WHERE {where}", batch)


def archived(session: Session, month: str) -> dict[str, Any]:
    """Whether complaints of a month (YYYY-MM) were archived: how many, and where."""
    rows = session.conn.execute(
        "SELECT a.path, m.complaints FROM archived_months m JOIN archives a "
        "ON a.id = m.archive_id WHERE m.month = ? ORDER BY a.id", (month,)).fetchall()
    return {"archived_complaints": sum(n for _, n in rows) if rows else 0,
            "archived_to": "; ".join(dict.fromkeys(path for path, _ in rows)) or None}
