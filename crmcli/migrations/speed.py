"""Indexes that keep the agenda cheap at a big site."""

from __future__ import annotations

import sqlite3

from crmcli.migrations.base import execute_script


def m015_running_deadlines_and_handover_indexes(conn: sqlite3.Connection) -> None:
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
