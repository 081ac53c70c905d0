"""Schemas 12–13: what a big site's daily commands read without going through every row: an
index of the sweep's automatic entries, and each customer's stored next-due dates."""

from __future__ import annotations

import sqlite3

from crmcli.migrations.base import execute_script


def m012_recorded_automatic_entries(conn: sqlite3.Connection) -> None:
    """An index of the automatic entries a sweep recorded, by complaint and time: `complaint
    sweep --dry-run` asks of each deadline that fired whether its entry is in the history,
    without reading the complaint's whole history from the table."""
    execute_script(
        conn,
        """
        CREATE INDEX complaint_events_automatic ON complaint_events (complaint_id, at, action)
            WHERE automatic = 1;
        """,
    )


def m013_stored_next_due(conn: sqlite3.Connection) -> None:
    """Each customer's next contact (cadence) and next in-person visit, stored on the customer
    (``crmcli.next_due``) and indexed by day, so `visit due` reads a range of an index instead
    of working out every customer's cadence; worked out here for every customer. The indexes
    hold what the agenda prints of each (name, reason): it never reads the customer rows. The
    agenda's running complaint deadlines read whether each complaint is major by then from an
    index of their own (``complaint_outcomes_major``), not the outcome rows."""
    execute_script(
        conn,
        """
        ALTER TABLE customers ADD COLUMN next_contact_due TEXT;
        ALTER TABLE customers ADD COLUMN next_contact_every TEXT;
        ALTER TABLE customers ADD COLUMN next_contact_rule TEXT;
        ALTER TABLE customers ADD COLUMN next_contact_from TEXT;
        ALTER TABLE customers ADD COLUMN next_visit_due TEXT;
        ALTER TABLE customers ADD COLUMN next_visit_from TEXT;
        CREATE INDEX customers_next_contact ON customers (next_contact_due, id, name,
            last_contact_at, next_contact_every, next_contact_rule, next_contact_from)
            WHERE next_contact_due IS NOT NULL;
        CREATE INDEX customers_next_visit ON customers (next_visit_due, id, name,
            last_in_person_at, next_visit_from) WHERE next_visit_due IS NOT NULL;
        CREATE INDEX complaint_outcomes_major ON complaint_outcomes (complaint_id, major_at,
            major_auto);
        """,
    )
    from crmcli import next_due
    from crmcli.db import load_policies

    next_due.rebuild(conn, load_policies(conn).current)
