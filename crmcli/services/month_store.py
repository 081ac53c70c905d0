"""The figures of a completed month, stored once (``month_figures``, schema 11).

A completed month's figures are the history as it stood at the month's end, so they change only
when that history does: an entry dated into the month (or before it) added late, corrected,
voided or archived. Triggers on every table the figures read drop a stored month as soon as
such a write happens (crmcli/migrations/second_wave.py, ``m011_stored_month_figures``); the next
report works the month out again from the history and stores it anew.

What is stored is exactly what ``reports.monthly`` worked out, so a stored month reads the same
as one worked out afresh. The few figures that depend on today (the handover visits, which
leave out customers the skip rules leave out now) or on the archive's own record are never
stored (``LIVE``). Storing is best effort: a read-only file, a busy writer or any write by
another process while the figures were being worked out leaves the month unstored.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from crmcli.dates import to_db

if TYPE_CHECKING:
    from crmcli.services import Session
    from crmcli.services.reports import Period

# The version of the recipe: raised whenever a figure is worked out differently, so that
# months stored by an earlier version are worked out again.
RECIPE = 1
LIVE = ("handover_visits_due", "handover_visits_done", "archived_complaints", "archived_to")


def seen(session: Session) -> int:
    """A mark of the file's state: it changes when another connection commits a write."""
    return int(session.conn.execute("PRAGMA data_version").fetchone()[0])


def load(session: Session, period: Period) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The stored figures and parts of a completed ``period``, or None."""
    if not period.complete:
        return None
    try:
        row = session.conn.execute(
            "SELECT figures FROM month_figures WHERE month = ? AND starts = ? AND ends = ? "
            "AND recipe = ?",
            (period.label, to_db(period.start), to_db(period.end), RECIPE)).fetchone()
    except sqlite3.OperationalError:  # a file from before schema 11, opened read-only
        return None
    if row is None:
        return None
    stored = json.loads(row[0])
    return stored["figures"], stored["parts"]


def save(session: Session, period: Period, figures: dict[str, Any], parts: dict[str, Any],
         mark: int) -> bool:
    """Store a completed ``period``'s figures, worked out since ``mark`` (``seen``); whether
    they were stored. Never waits for another writer and never fails the report."""
    if not period.complete or session.conn.in_transaction:
        return False
    document = json.dumps({"figures": {k: v for k, v in figures.items() if k not in LIVE},
                           "parts": parts}, ensure_ascii=False, separators=(",", ":"))
    conn = session.conn
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if seen(session) != mark:  # another process wrote meanwhile: the figures may lag
                conn.execute("ROLLBACK")
                return False
            conn.execute(
                "INSERT OR REPLACE INTO month_figures (month, starts, ends, recipe, figures, "
                "stored_at) VALUES (?, ?, ?, ?, ?, ?)",
                (period.label, to_db(period.start), to_db(period.end), RECIPE, document,
                 to_db(session.now)))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError:  # read-only, busy, or a file from before schema 11
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    return True


def problems(session: Session) -> list[str]:
    """The stored months whose figures differ from the history worked out afresh
    (``crmcli check``; ``forget`` drops them)."""
    from crmcli.services import reports

    wrong = []
    for month, recipe in session.conn.execute(
            "SELECT month, recipe FROM month_figures ORDER BY month").fetchall():
        year, number = (int(part) for part in month.split("-"))
        period = reports.month_period(year, number, session.now)
        stored = load(session, period)
        if recipe != RECIPE or stored is None:
            continue  # an earlier recipe's or zone's: never read, replaced when next asked
        if stored != reports.stored_figures(session, period):
            wrong.append(month)
    return wrong


def forget(session: Session, months: list[str]) -> int:
    """Drop the stored figures of ``months`` (one transaction); how many were dropped."""
    from crmcli.db import transaction

    with transaction(session.conn):
        return sum(session.conn.execute("DELETE FROM month_figures WHERE month = ?",
                                        (month,)).rowcount for month in months)
