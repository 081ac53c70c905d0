"""Schemas 12–13: what a big site's daily commands read without going through every row."""

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
