"""Backups and checks of the database file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from crmcli.errors import BadInput, Conflict


def backup(conn: sqlite3.Connection, target: Path, *, force: bool) -> int:
    """Copy the live database with SQLite's online backup; the copy is created mode 0600.

    The copy is written beside the target and renamed into place, so an interrupted backup
    never leaves a half-written file under the target's name.
    """
    if target.is_dir():
        raise BadInput(f"{target} is a directory; give a file name.")
    if target.exists() and not force:
        raise Conflict(f"{target} exists; add --force to replace it.")
    if not target.parent.exists():
        raise BadInput(f"{target.parent} does not exist.")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
        finally:
            copy.close()
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target.stat().st_size


def check(conn: sqlite3.Connection) -> list[str]:
    """Everything wrong with the file, each in one sentence; empty when all is well."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} points to a missing {parent} row.")
    for (cid,) in conn.execute(
        "SELECT id FROM complaints p WHERE NOT EXISTS (SELECT 1 FROM complaint_events e "
        "WHERE e.complaint_id = p.id AND e.action = 'opened')"
    ):
        problems.append(f"complaint #{cid} has no 'opened' event in its history.")
    for (vid,) in conn.execute(
        "SELECT id FROM visits WHERE done_at IS NOT NULL AND cancelled_at IS NOT NULL"
    ):
        problems.append(f"visit #{vid} is both done and cancelled.")
    for (vid,) in conn.execute("SELECT id FROM visits WHERE done_at IS NULL AND due_at IS NULL"):
        problems.append(f"visit #{vid} has neither a due time nor a done time.")
    return problems
