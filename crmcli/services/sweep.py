"""`complaint sweep`: record once the automatic upgrades and escalations that have come due
(cron runs it before `visit due`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from crmcli import rules
from crmcli.dates import from_db, to_db
from crmcli.db import transaction
from crmcli.outcomes import not_voided
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
        return _pending(session)
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


# Where each unclosed complaint's history leads is stored (``rules.outcome``: every deadline
# passing, with the automatic event it fires; kept true by every write and `crmcli check`), and
# the replay up to now fires exactly the stored deadlines due before now. So the events a sweep
# would record are those stored firings not recorded yet: read with SQL, no replay (the
# customer's name looked up for those rows only, not for every unclosed complaint).
_PENDING = (
    "SELECT p.id, (SELECT c.name FROM customers c WHERE c.id = p.customer_id), t.fires, "
    "t.due, t.started_at FROM complaints p JOIN complaint_timers t ON t.complaint_id = p.id "
    "WHERE p.attention_at <= :now AND p.status != 'closed' AND t.fires IS NOT NULL "
    "AND t.due <= :now AND NOT EXISTS (SELECT 1 FROM complaint_events e "
    "WHERE e.complaint_id = p.id AND e.at = t.due AND e.action = t.fires AND e.automatic = 1 "
    f"AND {not_voided('e')}) ORDER BY p.id, t.due, t.seq"
)


def _pending(session: Session) -> list[SweepItem]:
    """What a sweep now would record, from the stored outcomes (a dry run)."""
    now = session.now
    found = []
    for complaint_id, customer, action, due_text, started in session.conn.execute(
            _PENDING, {"now": to_db(now)}):
        due = from_db(due_text)
        if due < now:  # fired strictly before now, as the replay fires them
            policy = session.policies.at(from_db(started)) if action == "upgraded" else None
            found.append(SweepItem(complaint_id, customer, action, due,
                                   rules.automatic_note(action, policy)))
    return found


def _sweep_items(complaint: Complaint) -> list[SweepItem]:
    return [SweepItem(complaint.id, complaint.row["customer"], auto.action, auto.at, auto.note)
            for auto in rules.pending_automatic(complaint.effective, complaint.events)]
