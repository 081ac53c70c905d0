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
