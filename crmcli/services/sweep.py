"""`complaint sweep`: record once the automatic upgrades and escalations that have come due
(cron runs it before `visit due`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from crmcli import rules
from crmcli.dates import to_db
from crmcli.db import transaction
from crmcli.services import Session
from crmcli.services.complaints import (
    ROW,
    Complaint,
    attention,
    load_many,
    store_state,
    sync_followup,
)


@dataclass
class SweepItem:
    complaint_id: int
    customer: str
    action: str
    at: datetime
    note: str


def sweep(session: Session, dry_run: bool) -> list[SweepItem]:
    """Record the automatic upgrades and escalations that have come due, once each.

    A dry run only reads. A real one writes SWEEP_BATCH complaints a transaction, each
    complaint's events with its stored state, so that a large sweep never holds the write
    lock for long (people's writes wait at most a busy timeout) and a stopped one leaves
    every complaint whole: the next sweep does the rest. Each batch is read again inside its
    transaction, so a complaint closed meanwhile is left alone.
    """
    if dry_run:
        return [item for complaint in _due_for_sweep(session)
                for item in _sweep_items(complaint)]
    found: list[SweepItem] = []
    ids = [row[0] for row in session.conn.execute(
        "SELECT id FROM complaints WHERE attention_at <= ? AND status != 'closed'",
        (to_db(session.now),))]
    ids.sort()
    for start in range(0, len(ids), SWEEP_BATCH):
        batch = ids[start:start + SWEEP_BATCH]
        if start and not session.conn.in_transaction:
            # SQLite queues no one: a writer waiting on the lock retries every 100 ms or so,
            # and would never find it free if the next batch took it at once.
            time.sleep(SWEEP_PAUSE)
        with transaction(session.conn):
            for complaint in _due_for_sweep(session, (batch[0], batch[-1])):
                items = _sweep_items(complaint)
                if items:
                    sync_followup(session, store_state(session, complaint.id))
                else:
                    session.conn.execute("UPDATE complaints SET attention_at = ? WHERE id = ?",
                                         (attention(complaint.effective), complaint.id))
                found += items
    return found


SWEEP_BATCH = 200  # complaints a sweep transaction (~0.3 s of the write lock at most)
SWEEP_PAUSE = 0.12  # seconds the lock is left free between two batches, for waiting writers


def _due_for_sweep(session: Session, ids: tuple[int, int] | None = None) -> list[Complaint]:
    """Unclosed complaints whose attention time has come (``ids``: the first and last of a
    batch), replayed up to now (a closed one can owe its report to the head, which brings no
    automatic event to record)."""
    where = " AND p.id BETWEEN ? AND ?" if ids else ""
    rows = sorted(session.conn.execute(  # sorted here: ORDER BY p.id would scan by rowid
        ROW + " WHERE p.attention_at <= ? AND p.status != 'closed'" + where,
        (to_db(session.now), *(ids or ()))).fetchall())
    return load_many(session, rows, session.now)


def _sweep_items(complaint: Complaint) -> list[SweepItem]:
    return [SweepItem(complaint.id, complaint.row["customer"], auto.action, auto.at, auto.note)
            for auto in rules.pending_automatic(complaint.effective, complaint.events)]
