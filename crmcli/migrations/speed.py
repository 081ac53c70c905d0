"""Schema 15 onward: indexes and small stored state so the daily commands of a big site read
what they print, not the site's whole history."""

from __future__ import annotations

import sqlite3

from crmcli.migrations.base import execute_script


def m015_agenda_reads_what_is_open(conn: sqlite3.Connection) -> None:
    """The agenda's small sources read only what may still be owed, in the agenda's order:

    - handling plans: the plan deadlines by the moment they stopped running (met or
      cancelled; '9999' while running), so a plan still owed at any moment is a short range
      from that moment on, not every plan ever made;
    - referral letters: each complaint's earliest letter still open (not voided, not
      answered), stored on the complaint (``crmcli.outcomes.OPEN_LETTER_DUE``) from the
      history here and by every write to a complaint's history, and indexed where set;
    - unpaid invoices with what the agenda prints of them, and running contracts by end day
      and customer, both in the agenda's order (`visit due --limit N` reads N of them).
    """
    execute_script(
        conn,
        """
        CREATE INDEX complaint_timers_open_plans ON complaint_timers
            (min(ifnull(met_at, '9999'), ifnull(cancelled_at, '9999')), due)
            WHERE name = 'plan';
        ALTER TABLE complaints ADD COLUMN open_letter_due TEXT;
        CREATE INDEX complaints_open_letter ON complaints (open_letter_due)
            WHERE open_letter_due IS NOT NULL;
        CREATE INDEX invoices_unpaid_owed ON invoices (due_on, customer_id, amount, paid, id,
            for_text) WHERE settled_at IS NULL;
        CREATE INDEX contracts_renewal ON contracts (end_on, customer_id)
            WHERE ended_on IS NULL AND renewed_by IS NULL;
        """,
    )
    from crmcli import outcomes

    outcomes.store_letters(conn)


def m016_running_deadlines_and_handover_indexes(conn: sqlite3.Connection) -> None:
    """Small partial indexes for the agenda's complaint deadlines and handover visits.

    ``complaint_timers_running``: the deadlines no entry has met or cancelled yet, by due
    time (a few ten thousand of the millions ever kept): `visit due` reads the running ones
    from it, in its order (``crmcli.services.agenda.deadlines``). ``customers_handover`` now
    carries what the handover visits read of a customer, so a range of handover days never
    fetches customer rows. ``complaints_major``: the customers with a major complaint, for
    seed 002's skip rule ①, without reading each of a customer's complaints.
    ``customers_names``: a customer's name by id from a few pages, for lists that name
    thousands of customers (a customer row is ten times wider).
    """
    execute_script(
        conn,
        """
        CREATE INDEX complaint_timers_running ON complaint_timers
            (due, name, started_at, automatic, met_at, cancelled_at)
            WHERE met_at IS NULL AND cancelled_at IS NULL;
        DROP INDEX customers_handover;
        CREATE INDEX customers_handover ON customers
            (handover, moved_out_at, name, renovating, occupied) WHERE handover IS NOT NULL;
        CREATE INDEX complaints_major ON complaints (customer_id, severity)
            WHERE severity = 'major';
        CREATE INDEX customers_names ON customers (id, name);
        """,
    )
