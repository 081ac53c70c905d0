"""What the migrations share: running a script inside the upgrade's transaction, and the
first spelling of each category (also used by files written in bulk)."""

from __future__ import annotations

import sqlite3


def execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction (``executescript`` would commit)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""


def remember_categories(conn: sqlite3.Connection) -> None:
    """Record the first spelling of every category in use (for files written in bulk)."""
    from crmcli.textfold import fold

    for (category,) in conn.execute(
            "SELECT category FROM complaints WHERE category IS NOT NULL GROUP BY category "
            "ORDER BY min(opened_at)").fetchall():
        conn.execute("INSERT OR IGNORE INTO complaint_categories VALUES (?, ?)",
                     (fold(category), category))
